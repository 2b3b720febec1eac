using MetaSpike.Runtime;
using MetaSpike.Surrogates;
using TorchSharp;
using static MetaSpike.Tests.TensorAssert;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Surrogates;

public class SurrogateTests
{
    private static readonly ScalarType[] DTypes = [ScalarType.Float32, ScalarType.Float64];

    public static TheoryData<string, ScalarType> FamiliesAndDTypes()
    {
        var data = new TheoryData<string, ScalarType>();
        foreach (var cf in ClosedForm.All)
            foreach (var dt in DTypes)
                data.Add(cf.Family, dt);
        return data;
    }

    public static TheoryData<string> Families()
    {
        var data = new TheoryData<string>();
        foreach (var cf in ClosedForm.All) data.Add(cf.Family);
        return data;
    }

    public static TheoryData<int, ScalarType> SpecTables()
    {
        var data = new TheoryData<int, ScalarType>();
        for (int i = 0; i < SpecVectors.Tables.Length; i++)
            foreach (var dt in DTypes)
                data.Add(i, dt);
        return data;
    }

    internal static SurrogateFunction Make(ClosedForm cf, double[] p, HyperGradientMode mode = HyperGradientMode.BraintoolsCompatible)
    {
        var settings = cf.Parameters.Select((n, i) => (n, p[i])).ToDictionary(t => t.n, t => t.Item2);
        var sg = SurrogateCatalog.All.Single(e => e.Type.Name == cf.Family).Create(settings);
        sg.HyperGradient = mode;
        return sg;
    }

    /// <summary>A fixed grid over [-3, 3] (no exact break points) in the given shape.</summary>
    private static double[] Grid(int n) => Enumerable.Range(0, n).Select(i => -3.0 + 6.0 * (i + 0.37) / n).ToArray();

    private static double[] Upstream(int n) => Enumerable.Range(0, n).Select(i => 0.5 + 0.75 * Math.Sin(1.3 * i)).ToArray();

    [Theory]
    [MemberData(nameof(FamiliesAndDTypes))]
    public void Forward_is_the_exact_heaviside_step_with_the_input_shape_and_dtype(string family, ScalarType dtype)
    {
        using var _ = NewDisposeScope();
        var sg = Make(ClosedForm.Of(family), ClosedForm.Of(family).Defaults);
        double[] raw = [-2, -1e-30, -0.0, 0.0, 1e-30, 3, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -7, 0.5, 1e30];
        foreach (long[] shape in new[] { new long[] { 12 }, new long[] { 2, 3, 2 }, new long[] { 3, 4 } })
        {
            var x = tensor(raw, dtype).reshape(shape).requires_grad_();
            var y = sg.forward(x);
            Assert.Equal(dtype, y.dtype);
            Assert.Equal(shape, y.shape);
            var values = Values(y);
            for (int i = 0; i < raw.Length; i++)
                Assert.Equal(raw[i] >= 0 ? 1.0 : 0.0, values[i]);
        }
    }

    [Theory]
    [MemberData(nameof(FamiliesAndDTypes))]
    public void First_derivative_is_upstream_times_the_closed_form_G(string family, ScalarType dtype)
    {
        var cf = ClosedForm.Of(family);
        foreach (var p in new[] { cf.Defaults, cf.Alternative })
        {
            using var _ = NewDisposeScope();
            var sg = Make(cf, p);
            var x = tensor(Grid(40), dtype).reshape(5, 8).requires_grad_();
            var w = tensor(Upstream(40), dtype).reshape(5, 8);
            sg.forward(x).backward([w]);
            var xs = Values(x);
            var grad = Values(x.grad!);
            var direct = Values(sg.SurrogateGrad(x));
            var ws = Values(w);
            var (rel, abs) = Tolerance(dtype);
            for (int i = 0; i < xs.Length; i++)
            {
                if (dtype != ScalarType.Float64 && !cf.Smooth(xs[i], p, 1e-4)) continue;
                var g = cf.G(xs[i], p);
                Close(ws[i] * g, grad[i], rel, abs, $"{family} dL/dx at x={xs[i]}");
                Close(g, direct[i], rel, abs, $"{family} G({xs[i]})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SpecTables))]
    public void Spec_test_vectors_hold(int tableIndex, ScalarType dtype)
    {
        using var _ = NewDisposeScope();
        var table = SpecVectors.Tables[tableIndex];
        var entry = SurrogateCatalog.All.Single(e => e.Type.Name == table.Family);
        var (rel, abs) = dtype == ScalarType.Float64 ? (5e-9, 1e-12) : (2e-5, 1e-6);
        var xs = SpecVectors.X;

        var sg = entry.Create(table.Settings);
        var x = tensor(xs, dtype).requires_grad_();
        var y = sg.forward(x);
        var firstOrder = Autograd.Grad([y], [x], [ones_like(y)], createGraph: true)[0];
        var secondOrder = Autograd.Grad([firstOrder.sum()], [x])[0];
        foreach (var (quantity, expected) in table.Rows)
        {
            double[] actual;
            if (quantity == "G(x)") actual = Values(sg.SurrogateGrad(x));
            else if (quantity == "F(x)") actual = Values(sg.OriginalFunction(x));
            else if (quantity == "dG/dx") actual = Values(secondOrder);
            else actual = PerElementHyperGradient(entry, table.Settings, quantity["dG/d".Length..], xs, dtype);
            for (int i = 0; i < xs.Length; i++)
                Close(expected[i], actual[i], rel, abs, $"{table.Family} {quantity} at x={xs[i]}");
            if (quantity == "G(x)")
            {
                var autogradFirst = Values(firstOrder);
                for (int i = 0; i < xs.Length; i++)
                    Close(expected[i], autogradFirst[i], rel, abs, $"{table.Family} d(spike)/dx at x={xs[i]}");
            }
        }
    }

    /// <summary>d(spike_i)/d(theta_i) with one hyperparameter value per element (braintools mode).</summary>
    private static double[] PerElementHyperGradient(SurrogateEntry entry, Dictionary<string, double> settings, string name,
        double[] xs, ScalarType dtype)
    {
        var sg = entry.Create(settings);
        var theta = full(xs.Length, settings[name], ScalarType.Float64).requires_grad_();
        sg.SetHyperparameter(name, theta);
        return Values(Autograd.Grad(sg.forward(tensor(xs, dtype)).sum(), theta));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Second_derivative_in_x_equals_finite_differences_of_G(string family)
    {
        var cf = ClosedForm.Of(family);
        foreach (var p in new[] { cf.Defaults, cf.Alternative })
        {
            using var _ = NewDisposeScope();
            var sg = Make(cf, p);
            var xs = Grid(60);
            var x = tensor(xs, ScalarType.Float64).requires_grad_();
            var w = tensor(Upstream(60), ScalarType.Float64);
            var gx = Autograd.Grad([sg.forward(x)], [x], [w], createGraph: true)[0];
            var second = Values(Autograd.Grad([gx.sum()], [x])[0]);
            var ws = Values(w);
            for (int i = 0; i < xs.Length; i++)
            {
                if (!cf.Smooth(xs[i], p)) continue;
                const double h = 1e-6;
                var fd = (cf.G(xs[i] + h, p) - cf.G(xs[i] - h, p)) / (2 * h);
                Close(ws[i] * fd, second[i], 1e-6, 1e-6, $"{family} G'({xs[i]})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Hyperparameter_gradients_equal_finite_differences_in_every_mode(string family)
    {
        var cf = ClosedForm.Of(family);
        var modes = new List<HyperGradientMode> { HyperGradientMode.BraintoolsCompatible, HyperGradientMode.None };
        if (cf.F is not null) modes.Add(HyperGradientMode.StraightThrough);
        const int rows = 3, cols = 10;
        foreach (var p in new[] { cf.Defaults, cf.Alternative })
            foreach (var mode in modes)
                for (int k = 0; k < cf.Parameters.Length; k++)
                {
                    using var _ = NewDisposeScope();
                    var sg = Make(cf, p, mode);
                    // One value per neuron (the last dimension), all equal to p[k].
                    var theta = full(cols, p[k], ScalarType.Float64).requires_grad_();
                    sg.SetHyperparameter(cf.Parameters[k], theta);
                    var xs = Grid(rows * cols);
                    var x = tensor(xs, ScalarType.Float64).reshape(rows, cols).requires_grad_();
                    var w = tensor(Upstream(rows * cols), ScalarType.Float64).reshape(rows, cols);
                    var y = sg.forward(x);

                    var direct = Values(Autograd.Grad([y], [theta], [w], retainGraph: true)[0]);
                    var gx = Autograd.Grad([y], [x], [w], createGraph: true)[0];
                    var mixed = Values(Autograd.Grad([gx.sum()], [theta])[0]);

                    var ws = Values(w);
                    var h = Math.Max(Math.Abs(p[k]) * 1e-6, 1e-9);
                    for (int j = 0; j < cols; j++)
                    {
                        double expectDirect = 0, expectMixed = 0;
                        bool smooth = true;
                        for (int r = 0; r < rows; r++)
                        {
                            int i = r * cols + j;
                            var plus = (double[])p.Clone();
                            var minus = (double[])p.Clone();
                            plus[k] += h;
                            minus[k] -= h;
                            smooth &= cf.Smooth(xs[i], plus) && cf.Smooth(xs[i], minus) && cf.Smooth(xs[i], p);
                            var dG = (cf.G(xs[i], plus) - cf.G(xs[i], minus)) / (2 * h);
                            expectMixed += ws[i] * dG;
                            expectDirect += ws[i] * mode switch
                            {
                                HyperGradientMode.BraintoolsCompatible => dG,
                                HyperGradientMode.StraightThrough => (cf.F!(xs[i], plus) - cf.F!(xs[i], minus)) / (2 * h),
                                _ => 0,
                            };
                        }
                        if (!smooth) continue;
                        var what = $"{family} {mode} d/d{cf.Parameters[k]} (neuron {j})";
                        Close(expectDirect, direct[j], 1e-6, 1e-7, what);
                        Close(expectMixed, mixed[j], 1e-6, 1e-7, what + " of dL/dx");
                    }
                }
    }

    [Theory]
    [MemberData(nameof(FamiliesAndDTypes))]
    public void Extreme_inputs_never_produce_nan_in_values_or_any_derivative(string family, ScalarType dtype)
    {
        var cf = ClosedForm.Of(family);
        var modes = new List<HyperGradientMode> { HyperGradientMode.BraintoolsCompatible, HyperGradientMode.None };
        if (cf.F is not null) modes.Add(HyperGradientMode.StraightThrough);
        double big = dtype == ScalarType.Float64 ? 1e300 : 3e38;
        double[] raw = [1e30, -1e30, double.PositiveInfinity, double.NegativeInfinity, 1e10, -1e10, big, -big, 0, 1e-30];
        foreach (var mode in modes)
        {
            using var _ = NewDisposeScope();
            var sg = SurrogateCatalog.All.Single(e => e.Type.Name == family).Create();
            var thetas = cf.Parameters.Select(n => { var t = sg.Hyperparameter(n).clone().requires_grad_(); sg.SetHyperparameter(n, t); return t; }).ToArray();
            sg.HyperGradient = mode;
            var x = tensor(raw, dtype).requires_grad_();
            var y = sg.forward(x);
            AllFinite(y, $"{family} spike");
            AllFinite(sg.SurrogateGrad(x), $"{family} G");
            if (sg.HasOriginalFunction) AllFinite(sg.OriginalFunction(x), $"{family} F");
            var first = Autograd.Grad([y], [x], [ones_like(y)], createGraph: true)[0];
            AllFinite(first, $"{family} dL/dx");
            var inputs = new List<Tensor> { x };
            inputs.AddRange(thetas);
            foreach (var g in Autograd.Grad([first.sum()], inputs, retainGraph: true))
                AllFinite(g, $"{family} second-order");
            foreach (var g in Autograd.Grad([y.sum()], thetas))
                AllFinite(g, $"{family} {mode} hyperparameter gradient");
        }
    }

    public static TheoryData<string, string, double> InvalidValues()
    {
        var data = new TheoryData<string, string, double>();
        foreach (var entry in SurrogateCatalog.All)
        {
            var sg = entry.Create();
            foreach (var info in sg.HyperparameterInfos)
            {
                data.Add(entry.Name, info.Name, double.NaN);
                data.Add(entry.Name, info.Name, double.PositiveInfinity);
                if (info.Domain != HyperparameterDomain.Finite) data.Add(entry.Name, info.Name, -1);
                if (info.Domain == HyperparameterDomain.Positive) data.Add(entry.Name, info.Name, 0);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void Invalid_hyperparameters_throw_naming_family_and_parameter(string name, string parameter, double value)
    {
        using var _ = NewDisposeScope();
        var entry = SurrogateCatalog.Find(name);
        var fromNumber = Assert.Throws<ArgumentException>(() => entry.Create(new Dictionary<string, double> { [parameter] = value }));
        Assert.Contains(entry.Type.Name, fromNumber.Message);
        Assert.Contains($"'{parameter}'", fromNumber.Message);

        // A per-neuron tensor with one bad element.
        var sg = entry.Create();
        var good = sg.Hyperparameter(parameter).item<double>();
        var perNeuron = tensor(new[] { good, value, good }, ScalarType.Float64);
        var fromTensor = Assert.Throws<ArgumentException>(() => sg.SetHyperparameter(parameter, perNeuron));
        Assert.Contains($"'{parameter}'", fromTensor.Message);

        // A trainable hyperparameter that drifts out of its domain is caught at the next call.
        var trainable = entry.Create();
        var t = trainable.Hyperparameter(parameter).clone().requires_grad_();
        trainable.SetHyperparameter(parameter, t);
        using (no_grad()) t.fill_(value);
        var atCall = Assert.Throws<ArgumentException>(() => trainable.forward(tensor(new[] { 0.5, -0.5 })));
        Assert.Contains($"'{parameter}'", atCall.Message);
    }

    [Fact]
    public void Squarewave_harmonics_must_be_a_positive_integer()
    {
        var e = Assert.Throws<ArgumentException>(() => new SquarewaveFourierSeries(n: 0));
        Assert.Contains("'n'", e.Message);
        Assert.Throws<ArgumentException>(() => SurrogateCatalog.Find("squarewave_fourier_series").Create(new Dictionary<string, double> { ["n"] = 2.5 }));
    }

    [Fact]
    public void Hyperparameters_that_do_not_broadcast_or_integer_inputs_are_rejected()
    {
        using var _ = NewDisposeScope();
        var sg = new Sigmoid(alpha: tensor(new[] { 1.0, 2.0, 3.0, 4.0, 5.0 }));
        var e = Assert.Throws<ArgumentException>(() => sg.forward(zeros(2, 4)));
        Assert.Contains("'alpha'", e.Message);
        Assert.Contains("[2, 4]", e.Message);
        Assert.Equal([2L, 5L], sg.forward(zeros(2, 5)).shape);
        Assert.Throws<ArgumentException>(() => new Sigmoid().forward(tensor(new long[] { 1, 2 })));
    }

    [Fact]
    public void Braintools_worked_example_of_the_alpha_gradient()
    {
        using var _ = NewDisposeScope();
        var alpha = tensor(4.0, ScalarType.Float64).requires_grad_();
        var loss = Surrogate.Sigmoid(tensor(new[] { 0.0, 0.5, 1.0 }), alpha).sum();
        Assert.Equal(3.0, loss.item<double>());
        loss.backward();
        Close(0.1446219458, alpha.grad!.item<double>(), 1e-9, 0, "dL/dalpha");
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Functional_form_equals_the_class_form(string family)
    {
        using var _ = NewDisposeScope();
        var method = typeof(Surrogate).GetMethod(family)!;
        var xs = Grid(16);
        var x1 = tensor(xs, ScalarType.Float64).requires_grad_();
        var x2 = tensor(xs, ScalarType.Float64).requires_grad_();
        var args = method.GetParameters().Select(p => p.Name == "x" ? x1 : p.HasDefaultValue ? p.DefaultValue : null).ToArray();
        var functional = (Tensor)method.Invoke(null, args)!;
        var module = SurrogateCatalog.All.Single(e => e.Type.Name == family).Create().forward(x2);
        Assert.Equal(Values(module), Values(functional));
        functional.sum().backward();
        module.sum().backward();
        Assert.Equal(Values(x2.grad!), Values(x1.grad!));
    }

    [Fact]
    public void Trainable_hyperparameters_are_module_parameters_and_learn()
    {
        using var _ = NewDisposeScope();
        var fixedAlpha = new Sigmoid();
        Assert.Empty(fixedAlpha.parameters());
        Assert.Single(fixedAlpha.buffers());

        var sg = new Sigmoid(alpha: 2.0, trainable: true);
        var (name, parameter) = Assert.Single(sg.named_parameters());
        Assert.Equal("alpha", name);
        sg.SetHyperparameter("alpha", 2.5);
        Assert.Same(parameter, sg.Hyperparameter("alpha"));
        Assert.Equal(2.5, parameter.item<double>());
        var reshaped = Assert.Throws<ArgumentException>(() => sg.SetHyperparameter("alpha", ones(3, ScalarType.Float64)));
        Assert.Contains("'alpha'", reshaped.Message);
        sg.SetHyperparameter("alpha", 2.0);
        // Gradient descent on alpha so that G(0.25) approaches 0.9: G(0.25; alpha) is increasing in alpha below ~9.6.
        var opt = optim.SGD(sg.parameters(), 5.0);
        var x = tensor(new[] { 0.25f }).requires_grad_();
        double first = 0, last = 0;
        for (int step = 0; step < 150; step++)
        {
            opt.zero_grad();
            x.grad?.zero_();
            var loss = (sg.SurrogateGrad(x) - 0.9f).square().sum();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
            loss.backward();
            opt.step();
        }
        Assert.True(last < first * 1e-3, $"loss went from {first} to {last}");
    }

    [Fact]
    public void A_trainable_surrogate_inside_a_model_contributes_its_hyperparameters()
    {
        using var _ = NewDisposeScope();
        var model = nn.Sequential(("linear", nn.Linear(3, 4)), ("spike", new S2NN(trainable: true)));
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.Equal(["linear.weight", "linear.bias", "spike.alpha", "spike.beta", "spike.epsilon"], names);
        var state = model.state_dict();
        Assert.Contains("spike.alpha", state.Keys);
        Assert.Equal([2L, 4L], model.forward(ones(2, 3)).shape);
    }

    [Fact]
    public void Straight_through_needs_an_original_function()
    {
        Assert.Throws<NotSupportedException>(() => new ReluGrad(hyperGradient: HyperGradientMode.StraightThrough));
        Assert.Throws<NotSupportedException>(() => Surrogate.GaussianGrad(zeros(2), hyperGradient: HyperGradientMode.StraightThrough));
        Assert.Throws<NotSupportedException>(() => new SlayerGrad().OriginalFunction(zeros(2)));
    }

    [Fact]
    public void Repr_matches_braintools()
    {
        Assert.Equal("Sigmoid(alpha=4.0)", new Sigmoid().ToString());
        Assert.Equal("GaussianGrad(alpha=0.5, sigma=0.5)", new GaussianGrad().ToString());
        Assert.Equal("S2NN(alpha=4.0, beta=1.0, epsilon=1e-08)", new S2NN().ToString());
        Assert.Equal("SquarewaveFourierSeries(n=2, t_period=8.0)", new SquarewaveFourierSeries().ToString());
        Assert.Equal("PiecewiseLeakyRelu(c=0.01, w=1.0)", new PiecewiseLeakyRelu().ToString());
        Assert.Equal(19, SurrogateCatalog.All.Count);
        Assert.Equal(typeof(FastSigmoid), SurrogateCatalog.Find("superspike").Type);
    }
}
