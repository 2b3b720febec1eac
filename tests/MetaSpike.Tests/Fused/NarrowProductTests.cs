using MetaSpike.Layers.Fused;
using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static MetaSpike.Tests.Fused.FusedTestNets;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// The streaming products of a linear layer with few outputs (<see cref="NarrowProduct"/>): numbers by hand, BLAS as
/// reference in float64 to first and second order, the fused network against the unfused one, and fallbacks.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class NarrowProductTests
{
    [Fact]
    public void Products_match_hand_computed_numbers_with_a_register_remainder()
    {
        // 17 columns: whole registers plus a scalar tail. X rows: all ones, and 0, 1, ..., 16. W rows: 0, 1, ..., 16
        // and all twos. X·Wᵀ = [[136, 34], [1496, 272]] (Σ c = 136, Σ c² = 1496).
        var ramp = arange(17, dtype: float64);
        var x = stack([ones(17, dtype: float64), ramp]);
        var w = stack([ramp, full(17, 2.0, dtype: float64)]);
        Assert.Equal([136.0, 34, 1496, 272], TensorAssert.Values(NarrowProduct.Compute(NarrowProductKind.Project, x, w)));
        // N·W with N = [[1, -1], [0, 3]]: row 0 = ramp - 2, row 1 = 6 everywhere.
        var n = tensor(new double[] { 1, -1, 0, 3 }, [2, 2]);
        var expanded = TensorAssert.Values(NarrowProduct.Compute(NarrowProductKind.Expand, n, w));
        Assert.Equal(Enumerable.Range(0, 17).Select(c => c - 2.0).Concat(Enumerable.Repeat(6.0, 17)), expanded);
        // Nᵀ·X: row 0 = 1·ones + 0·ramp = ones, row 1 = -1·ones + 3·ramp.
        var correlated = TensorAssert.Values(NarrowProduct.Compute(NarrowProductKind.Correlate, n, x));
        Assert.Equal(Enumerable.Repeat(1.0, 17).Concat(Enumerable.Range(0, 17).Select(c => 3.0 * c - 1)), correlated);
    }

    [Theory]
    [InlineData(3, 16, 1)]
    [InlineData(7, 19, 5)]
    [InlineData(5000, 19, 8)] // two threads; the second half's partial sums are added at the end
    [InlineData(3000, 64, 2)]
    [InlineData(40, 1, 1)] // from here on the rows are shorter than MinWide: a row in one register
    [InlineData(7, 3, 5)]
    [InlineData(3001, 4, 2)]
    [InlineData(5000, 6, 8)] // two threads
    public void Products_equal_blas_in_both_precisions(int rows, int wide, int narrow)
    {
        var generator = new Generator((ulong)(rows + wide + narrow));
        var x = randn([rows, wide], dtype: float64, generator: generator);
        var g = randn([rows, narrow], dtype: float64, generator: generator);
        var w = randn([narrow, wide], dtype: float64, generator: generator);
        var cases = new (NarrowProductKind Kind, Tensor A, Tensor B, Tensor Expected)[]
        {
            (NarrowProductKind.Project, x, w, x.mm(w.t())),
            (NarrowProductKind.Expand, g, w, g.mm(w)),
            (NarrowProductKind.Correlate, g, x, g.t().mm(x)),
        };
        foreach (var (kind, a, b, expected) in cases)
        {
            Close(expected, NarrowProduct.Compute(kind, a, b), 1e-12, $"{kind} float64");
            Close(expected, NarrowProduct.Compute(kind, a.to(float32), b.to(float32)).to(float64), 1e-4, $"{kind} float32");
        }
        var bias = randn([narrow], dtype: float64, generator: generator);
        Close(x.mm(w.t()) + bias, NarrowProduct.Compute(NarrowProductKind.Project, x, w, bias), 1e-12, "Project + bias float64");
        Close(x.mm(w.t()) + bias, NarrowProduct.Compute(NarrowProductKind.Project, x.to(float32), w.to(float32), bias.to(float32)).to(float64), 1e-4, "Project + bias float32");
    }

    [Theory]
    [InlineData(nameof(NarrowProductKind.Project), 21)]
    [InlineData(nameof(NarrowProductKind.Expand), 21)]
    [InlineData(nameof(NarrowProductKind.Correlate), 21)]
    [InlineData(nameof(NarrowProductKind.Project), 4)]
    [InlineData(nameof(NarrowProductKind.Expand), 4)]
    [InlineData(nameof(NarrowProductKind.Correlate), 4)]
    public void Gradients_and_second_derivatives_equal_those_of_blas(string kindName, int wide)
    {
        var kind = Enum.Parse<NarrowProductKind>(kindName);
        var generator = new Generator(11);
        var (rows, narrow) = (40, 3);
        var (firstShape, secondShape) = kind switch
        {
            NarrowProductKind.Project => (new long[] { rows, wide }, new long[] { narrow, wide }),
            NarrowProductKind.Expand => ([rows, narrow], [narrow, wide]),
            _ => ([rows, narrow], [rows, wide]),
        };
        var first = randn(firstShape, dtype: float64, generator: generator);
        var second = randn(secondShape, dtype: float64, generator: generator);
        Func<Tensor, Tensor, Tensor> reference = kind switch
        {
            NarrowProductKind.Project => (a, b) => a.mm(b.t()),
            NarrowProductKind.Expand => (a, b) => a.mm(b),
            _ => (a, b) => a.t().mm(b),
        };
        var expected = SecondOrder(reference, first, second, generator: new Generator(12));
        var actual = SecondOrder((a, b) => NarrowProductFunction.apply(a, b, kind), first, second, generator: new Generator(12));
        for (int i = 0; i < expected.Length; i++) Close(expected[i], actual[i], 1e-12, $"{kind} term {i}");
        Assert.Contains(TensorAssert.Values(expected[2]), v => Math.Abs(v) > 1e-3); // the second-order terms are not zero
    }

    /// <summary>
    /// The gradients of L = Σ sin(P(a, b)) · c in a and b (with the graph kept), then the gradients of
    /// Σ ga · u + Σ gb · v in a and b: the mixed second derivatives through the product's backward.
    /// </summary>
    private static Tensor[] SecondOrder(Func<Tensor, Tensor, Tensor> product, Tensor first, Tensor second, Generator generator)
    {
        var (a, b) = (first.detach().requires_grad_(), second.detach().requires_grad_());
        var output = product(a, b);
        var c = randn(output.shape, dtype: float64, generator: generator);
        var grads = Autograd.Grad([(output.sin() * c).sum()], [a, b], createGraph: true);
        var (u, v) = (randn(a.shape, dtype: float64, generator: generator), randn(b.shape, dtype: float64, generator: generator));
        var second2 = Autograd.Grad([(grads[0] * u).sum() + (grads[1] * v).sum()], [a, b]);
        return [grads[0].detach(), grads[1].detach(), second2[0], second2[1]];
    }

    [Fact]
    public void Fused_network_with_a_narrow_readout_agrees_with_the_blas_path_in_values_gradients_and_meta_gradients()
    {
        var setup = new LifSetup();
        var (support, query) = (Input(25, 3, 30, seed: 51, p: 0.2), Input(25, 6, 30, seed: 52, p: 0.2));
        Assert.InRange(SpikeRate(Dense(30, 20, 3, setup, fused: false), support), 0.02, 0.9);
        Assert.NotNull(NarrowProduct.TryLinear(ones(75, 20, dtype: float64), randn(3, 20, dtype: float64))); // the readout takes it
        var metaGradients = AssertFusedAgrees(30, 20, 3, setup, support, query);
        Assert.All(metaGradients, g => Assert.Contains(TensorAssert.Values(g), value => value != 0));
    }

    [Fact]
    public void Wide_outputs_long_short_rows_and_mixed_inputs_take_blas()
    {
        var x = randn(10, 20, dtype: float64);
        Assert.NotNull(NarrowProduct.TryLinear(x, randn(NarrowProduct.MaxNarrow, 20, dtype: float64)));
        Assert.Null(NarrowProduct.TryLinear(x, randn(NarrowProduct.MaxNarrow + 1, 20, dtype: float64)));
        // Rows shorter than MinWide take the product only where they fit one register (8 float64 lanes at most).
        Assert.Equal(ShortRows.Fit<double>(15), NarrowProduct.TryLinear(randn(10, 15, dtype: float64), randn(2, 15, dtype: float64)) is not null);
        Assert.False(ShortRows.Fit<double>(15));
        Assert.Equal(ShortRows.Fit<double>(4), NarrowProduct.TryLinear(randn(10, 4, dtype: float64), randn(2, 4, dtype: float64)) is not null);
        Assert.Null(NarrowProduct.TryLinear(x, randn(2, 20, dtype: float64), randn(3, dtype: float64)));
        Assert.Null(NarrowProduct.TryLinear(x, randn(2, 20, dtype: float32)));
        Assert.Null(NarrowProduct.TryLinear(x, randn(2, 21, dtype: float64)));
        Assert.Null(NarrowProduct.TryLinear(x.unsqueeze(0), randn(2, 20, dtype: float64)));
        Assert.Null(NarrowProduct.TryLinear(x.to(int32), randn(2, 20).to(int32)));
    }
}
