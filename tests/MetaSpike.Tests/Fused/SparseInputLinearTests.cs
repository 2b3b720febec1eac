using MetaSpike.Layers;
using MetaSpike.Layers.Fused;
using MetaSpike.Modules;
using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;
using static MetaSpike.Tests.Fused.FusedTestNets;

namespace MetaSpike.Tests.Fused;

/// <summary>
/// The event-driven product of <see cref="Linear"/> with <c>Fused</c> on (skips the zeros of inputs that carry no
/// gradient): numbers by hand, the dense product as reference in float64 to first and second order, and fallbacks.
/// </summary>
[Collection(GlobalRandomCollection.Name)]
public class SparseInputLinearTests
{
    [Fact]
    public void Products_skip_zeros_and_match_hand_computed_numbers()
    {
        // X = [[0, 2, 0], [1, 0, -1]], M = [[1, 2], [3, 4], [5, 6]]: X·M = [[6, 8], [-4, -4]]; Xᵀ·G with G = [[1, 0], [2, 1]]:
        // row 0 = 1·[2, 1] = [2, 1], row 1 = 2·[1, 0] = [2, 0], row 2 = -1·[2, 1] = [-2, -1].
        var x = tensor(new double[] { 0, 2, 0, 1, 0, -1 }, [2, 3]);
        var rows = SparseRows<double>.From(x, maxDensity: 1.0)!;
        Assert.Equal([0, 1, 3], rows.Start);
        Assert.Equal([1, 0, 2], rows.Index);
        Assert.Equal([2.0, 1.0, -1.0], rows.Values);
        var m = tensor(new double[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
        Assert.Equal([6.0, 8, -4, -4], TensorAssert.Values(rows.Times(m, null)));
        var g = tensor(new double[] { 1, 0, 2, 1 }, [2, 2]);
        Assert.Equal([2.0, 1, 2, 0, -2, -1], TensorAssert.Values(rows.TransposeTimes(g)));
        // 3 of 6 entries are nonzero: a density limit below one half refuses the matrix.
        Assert.Null(SparseRows<double>.From(x, maxDensity: 0.4));
    }

    [Fact]
    public void Large_products_split_across_threads_equal_the_dense_product()
    {
        var generator = new Generator(5);
        var x = rand([2000, 300], dtype: float64, generator: generator).lt(0.05).to(float64) * randn([2000, 300], dtype: float64, generator: generator);
        var m = randn([300, 64], dtype: float64, generator: generator);
        var g = randn([2000, 64], dtype: float64, generator: generator);
        var rows = SparseRows<double>.From(x, 0.1)!;
        Close(x.mm(m), rows.Times(m, null), 1e-12, "X·M");
        Close(x.t().mm(g), rows.TransposeTimes(g), 1e-12, "Xᵀ·G");
        var single = SparseRows<float>.From(x.to(float32), 0.1)!;
        Close(x.mm(m), single.Times(m.to(float32), null).to(float64), 1e-4, "float32 X·M");
        Assert.Equal(x.count_nonzero().ToInt64(), rows.Index.Length);
        // Two threads scan half the rows each: each half alone (about 5 % of 600,000 entries) stays under a 4 %
        // limit on the whole matrix, their sum does not.
        Assert.Null(SparseRows<double>.From(x, 0.04));
    }

    [Fact]
    public void A_dense_start_is_counted_first_and_a_sparse_whole_is_still_indexed()
    {
        // The first 100 rows are all ones (a first chunk far denser than the limit sends the half through a
        // counting pass), but the whole matrix is 2.5 % nonzero: it must still be indexed exactly, on two threads.
        var x = zeros(4000, 100, dtype: float64);
        x[TensorIndex.Slice(0, 100)] = ones(100, 100, dtype: float64);
        x[TensorIndex.Slice(3000, 3001)] = full(1, 100, 2.0, dtype: float64);
        var rows = SparseRows<double>.From(x, 0.1)!;
        Assert.Equal(10_100, rows.Index.Length);
        Assert.Equal(0, rows.Start[0]);
        Assert.Equal(10_000, rows.Start[100]);
        Assert.Equal(10_100, rows.Start[4000]);
        var m = randn([100, 8], dtype: float64, generator: new Generator(6));
        Close(x.mm(m), rows.Times(m, null), 1e-12, "X·M");
        // Over a 2 % limit the dense start alone turns the matrix away.
        Assert.Null(SparseRows<double>.From(x, 0.02));
    }

    [Fact]
    public void Every_eighth_row_turns_a_plainly_dense_matrix_away()
    {
        // Rows 0, 8, 16, ... all ones, the rest zero: the whole is 12.5 % nonzero, under a 40 % limit, but the rows
        // read for the estimate are full (over twice the limit), so the matrix is refused without being scanned.
        var x = zeros(64, 50, dtype: float64);
        x[TensorIndex.Slice(0, 64, 8)] = ones(8, 50, dtype: float64);
        Assert.Null(SparseRows<double>.From(x, 0.4));
        // The other way round, 87.5 % nonzero with empty sampled rows: the estimate lets it through, the exact count refuses it.
        Assert.Null(SparseRows<double>.From(ones(64, 50, dtype: float64) - x, 0.4));
        // Rows 1, 9, 17, ... (12.5 %): the sampled rows are empty, so the rows are scanned and indexed exactly.
        var rows = SparseRows<double>.From(x.roll(1, 0), 0.4)!;
        Assert.Equal(Enumerable.Range(0, 50), rows.Index.Take(50));
        Assert.Equal(400, rows.Index.Length);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 1)]
    [InlineData(4, 1)]
    [InlineData(7, 2)]
    [InlineData(16, 2)]
    public void Rows_that_fit_one_register_give_the_dense_products_with_the_bias_and_no_spill_between_rows(int width, int threads)
    {
        // Short rows are read and written a whole register at a time; the spare lanes hold the neighbouring rows. An
        // infinite row of M that X never reaches, and an infinite row of G whose row of X is empty, must not leak into
        // any result (the dense product would give 0 · inf = NaN there, so the reference zeroes those rows).
        var generator = new Generator((ulong)(width + 10 * threads));
        int rows = threads == 2 ? 5003 : 37;
        var x = rand([rows, 9], dtype: float64, generator: generator).lt(0.06).to(float64) * randn([rows, 9], dtype: float64, generator: generator);
        x[TensorIndex.Colon, 4] = zeros(rows, dtype: float64);
        x[rows / 2] = zeros(9, dtype: float64);
        var (m, g, bias) = (randn([9, width], dtype: float64, generator: generator), randn([rows, width], dtype: float64, generator: generator), randn([width], dtype: float64, generator: generator));
        var (mInfinite, gInfinite) = (m.clone(), g.clone());
        mInfinite[4] = full(width, double.PositiveInfinity, dtype: float64);
        gInfinite[rows / 2] = full(width, double.NegativeInfinity, dtype: float64);
        int before = get_num_threads();
        try
        {
            set_num_threads(threads);
            foreach (var dtype in new[] { float64, float32 })
            {
                double tol = dtype == float64 ? 1e-12 : 1e-4;
                var sparse = SparseRows<double>.From(x, 0.2)!;
                var single = SparseRows<float>.From(x.to(float32), 0.2)!;
                Tensor Times(Tensor right, Tensor? b) => dtype == float64 ? sparse.Times(right, b) : single.Times(right.to(float32), b?.to(float32)).to(float64);
                Tensor TransposeTimes(Tensor right) => dtype == float64 ? sparse.TransposeTimes(right) : single.TransposeTimes(right.to(float32)).to(float64);
                Close(x.mm(m), Times(mInfinite, null), tol, $"X·M, width {width}, {dtype}");
                Close(x.mm(m) + bias, Times(mInfinite, bias), tol, $"X·M + bias, width {width}, {dtype}");
                var gReference = g.clone();
                gReference[rows / 2] = zeros(width, dtype: float64);
                Close(x.t().mm(gReference), TransposeTimes(gInfinite), tol, $"Xᵀ·G, width {width}, {dtype}");
            }
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void Only_gradient_free_sparse_cpu_matrices_take_the_event_driven_product()
    {
        var weight = randn(4, 10, dtype: float64);
        var sparse = zeros(8, 10, dtype: float64).index_put_(tensor(1.0, float64), [tensor(new long[] { 0, 3, 7 }), tensor(new long[] { 2, 5, 9 })]);
        Assert.NotNull(SparseInputMatmul.TryLinear(sparse, weight));
        Assert.Null(SparseInputMatmul.TryLinear(sparse.clone().requires_grad_(), weight));
        Assert.Null(SparseInputMatmul.TryLinear(ones(8, 10, dtype: float64), weight));
        Assert.Null(SparseInputMatmul.TryLinear(sparse.to(float32), weight));
        Assert.Null(SparseInputMatmul.TryLinear(sparse.unsqueeze(0), weight));
        Assert.NotNull(SparseInputMatmul.TryLinear(sparse, weight, randn(4, dtype: float64)));
        Assert.Null(SparseInputMatmul.TryLinear(sparse, weight, randn(3, dtype: float64)));
        Assert.Null(SparseInputMatmul.TryLinear(sparse, weight, randn(4, dtype: float32)));
    }

    [Fact]
    public void The_tutorial_shape_with_short_rows_agrees_with_the_dense_path_in_values_gradients_and_meta_gradients()
    {
        // 4 hidden neurons and 2 outputs, as in workload (a): the event-driven product's rows (4 wide) and the
        // readout's (4 inputs, 2 outputs) each fit one register, and both layers add their bias inside the product.
        var setup = new LifSetup();
        var (support, query) = (Input(25, 3, 60, seed: 43, p: 0.08), Input(25, 6, 60, seed: 44, p: 0.08));
        Assert.InRange(SpikeRate(Dense(60, 4, 2, setup, fused: false), support), 0.02, 0.9);
        var metaGradients = AssertFusedAgrees(60, 4, 2, setup, support, query);
        Assert.All(metaGradients, g => Assert.Contains(TensorAssert.Values(g), value => value != 0));
    }

    [Fact]
    public void Fused_linear_on_sparse_spikes_agrees_with_the_dense_path_in_values_gradients_and_meta_gradients()
    {
        var setup = new LifSetup { Surrogate = () => new Sigmoid(alpha: 3.0, trainable: true) };
        var (support, query) = (Input(25, 3, 60, seed: 41, p: 0.05), Input(25, 6, 60, seed: 42, p: 0.05));
        Assert.NotNull(SparseInputMatmul.TryLinear(support.flatten(0, 1), randn(8, 60, dtype: float64))); // not a vacuous comparison
        Assert.InRange(SpikeRate(Dense(60, 8, 3, setup, fused: false), support), 0.02, 0.9);
        // Readout, gradients and the second-order meta-gradient (one inner SGD step on the support set).
        var metaGradients = AssertFusedAgrees(60, 8, 3, setup, support, query);
        Assert.Contains(TensorAssert.Values(metaGradients[0]), g => g != 0);
    }

    [Fact]
    public void Inputs_that_carry_a_gradient_still_get_it_through_the_dense_fallback()
    {
        manual_seed(3);
        var layer = new Linear(6, 4) { Fused = true };
        layer.to(float64);
        var x = Input(5, 2, 6, seed: 3, p: 0.05).requires_grad_();
        var gx = Autograd.Grad([layer.Sequence(x).square().sum()], [x])[0];
        layer.Fused = false;
        var expected = Autograd.Grad([layer.Sequence(x).square().sum()], [x])[0];
        Close(expected, gx, 1e-12, "input gradient");
    }
}
