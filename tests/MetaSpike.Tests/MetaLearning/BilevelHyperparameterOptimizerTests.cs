using MetaSpike.Layers;
using MetaSpike.MetaLearning;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Simulation;
using MetaSpike.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.MetaLearning;

public class BilevelHyperparameterOptimizerTests
{
    /// <summary>
    /// A 1-layer spiking net of 3 LIF neurons (4 inputs, 5 steps, float64) with a Sigmoid surrogate whose alpha is
    /// the hyperparameter. A spike's value is locally constant in the weights and in alpha, so a finite difference
    /// sees only the paths through the surrogate G. The losses are chosen so that autograd follows exactly those
    /// paths: the training loss is linear in the spikes (its weight gradient is a sum of G terms, with no spike
    /// value inside), the reset is detached, and the validation loss reads the membrane potential. The unrolled
    /// validation loss is then a smooth function of alpha whose derivative the hypergradient must equal.
    /// </summary>
    private sealed class TinyProblem
    {
        private readonly Sequential _net;
        private readonly Lif _lif;
        private readonly Sigmoid _spike;
        private readonly Tensor _trainInputs = ((arange(5 * 6 * 4, dtype: float64) * 0.31).cos() + 1).reshape(5, 6, 4) * 0.45;
        private readonly Tensor _validationInputs = ((arange(5 * 6 * 4, dtype: float64) * 0.53).sin() + 1).reshape(5, 6, 4) * 0.4;
        private readonly Tensor _sign = ((arange(6 * 3, dtype: float64) * 1.7).sin().sign()).reshape(6, 3);

        public TinyProblem()
        {
            _spike = new Sigmoid(alpha: 2.0, hyperGradient: HyperGradientMode.None);
            _lif = new Lif(3, tau: 5.0, input: InputKind.VoltageJump, reset: ResetMode.Subtract, surrogate: _spike);
            _net = new Sequential(new Linear(4, 3), _lif);
            _net.to(float64);
        }

        public IReadOnlyList<Tensor> InitialWeights() =>
            [((arange(12, dtype: float64) * 0.7).sin() * 0.6 + 0.3).reshape(3, 4).requires_grad_(), tensor(new[] { 0.1, 0.0, -0.1 }, float64).requires_grad_()];

        /// <summary>Reward the spikes of the + pattern, penalise the others; a little weight decay.</summary>
        public Tensor TrainingLoss(IReadOnlyList<Tensor> w, Tensor alpha)
        {
            _spike.SetHyperparameter("alpha", alpha);
            using var _ = FunctionalCall.Use(_net, w);
            var spikes = Simulator.Run(_net, _trainInputs);
            return -(spikes * _sign).mean() + 0.05 * w[0].square().sum();
        }

        /// <summary>The final membrane potential near 0.5, plus a small explicit alpha term (so K = 0 has a direct gradient).</summary>
        public Tensor ValidationLoss(IReadOnlyList<Tensor> w, Tensor alpha)
        {
            _spike.SetHyperparameter("alpha", alpha);
            using var _ = FunctionalCall.Use(_net, w);
            Simulator.Run(_net, _validationInputs);
            return (_lif.State("V")! - 0.5).square().mean() + 0.01 * alpha.square();
        }

        public double SpikeCount(IReadOnlyList<Tensor> w)
        {
            using var _ = FunctionalCall.Use(_net, w);
            using var __ = no_grad();
            return Simulator.Run(_net, _trainInputs).sum().ToDouble();
        }

        public BilevelHyperparameterOptimizer Optimizer(int k) => new(TrainingLoss, ValidationLoss, k, innerLearningRate: 2.0);
    }

    private static Tensor Alpha(double value) => tensor(value, float64).requires_grad_();

    [Fact]
    public void Hypergradient_equals_the_central_difference_of_the_unrolled_validation_loss()
    {
        var problem = new TinyProblem();
        var w = problem.InitialWeights();
        double spikes = problem.SpikeCount(w);
        Assert.InRange(spikes, 10, 80); // of 90 possible: the surrogate is used on both sides of the threshold

        const double alpha = 2.0, h = 1e-5;
        var hyper = new double[4];
        for (int k = 0; k <= 3; k++)
        {
            var optimizer = problem.Optimizer(k);
            var result = optimizer.Compute(w, Alpha(alpha));
            hyper[k] = result.Gradients[0].ToDouble();
            Assert.Equal(k, result.TrainingLosses.Count);
            double plus = optimizer.Compute(w, Alpha(alpha + h)).ValidationLoss;
            double minus = optimizer.Compute(w, Alpha(alpha - h)).ValidationLoss;
            double finiteDifference = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(hyper[k] - finiteDifference) <= 1e-5 * Math.Abs(finiteDifference),
                $"K = {k}: hypergradient {hyper[k]:R}, central difference {finiteDifference:R}");
        }

        // K = 0 is the direct gradient of L_val(w_0, alpha): only the explicit 0.01 alpha^2 term.
        Assert.Equal(0.02 * alpha, hyper[0], 12);
        // Every further unrolled step changes it: alpha acts through what the weights learn.
        for (int k = 1; k <= 3; k++)
        {
            Assert.True(Math.Abs(hyper[k] - hyper[k - 1]) > 1e-4 * Math.Abs(hyper[k]), $"K = {k} gave the same hypergradient as K = {k - 1}: {hyper[k]:R}");
        }
    }

    [Fact]
    public void Adapted_weights_are_the_unrolled_gradient_steps()
    {
        var problem = new TinyProblem();
        var w = problem.InitialWeights();
        var result = problem.Optimizer(2).Compute(w, Alpha(2.0));

        // Two plain gradient-descent steps, computed here without any graph.
        IReadOnlyList<Tensor> expected = w.Select(t => t.detach().clone().requires_grad_()).ToArray();
        for (int k = 0; k < 2; k++)
        {
            var loss = problem.TrainingLoss(expected, tensor(2.0, float64));
            Assert.Equal(loss.ToDouble(), result.TrainingLosses[k], 12);
            var grads = MetaSpike.Runtime.Autograd.Grad([loss], expected);
            expected = expected.Zip(grads, (p, g) => (p - 2.0 * g).detach().requires_grad_()).ToArray();
        }
        for (int i = 0; i < w.Count; i++)
        {
            Assert.False(result.AdaptedWeights[i].requires_grad);
            foreach (var (e, a) in TensorAssert.Values(expected[i]).Zip(TensorAssert.Values(result.AdaptedWeights[i])))
                TensorAssert.Close(e, a, 1e-12, 1e-12, $"adapted weight {i}");
        }
        Assert.Equal(problem.ValidationLoss(expected, tensor(2.0, float64)).ToDouble(), result.ValidationLoss, 12);
    }

    [Fact]
    public void A_positive_parameter_gets_the_chained_hypergradient_and_adam_moves_it_downhill()
    {
        var problem = new TinyProblem();
        var w = problem.InitialWeights();
        var optimizer = problem.Optimizer(2);
        var alpha = new PositiveParameter(2.0, minimum: 0.1);
        double before = alpha.Current;
        double dAlpha = optimizer.Compute(w, Alpha(before)).Gradients[0].ToDouble();

        // d/d raw = d/d alpha * softplus'(raw) = d/d alpha * sigmoid(raw).
        var viaRaw = optimizer.Compute(w, alpha.Value(), [alpha.Raw]).Gradients[0].ToDouble();
        double slope = 1 / (1 + Math.Exp(-alpha.Raw.ToDouble()));
        Assert.Equal(dAlpha * slope, viaRaw, 5);

        var adam = optim.Adam([(TorchSharp.Modules.Parameter)alpha.Raw], lr: 0.05);
        var step = optimizer.Step(w, alpha, adam);
        Assert.Equal(viaRaw, step.Gradients[0].ToDouble(), 5);
        Assert.Equal(-Math.Sign(dAlpha), Math.Sign(alpha.Current - before));
        Assert.True(alpha.Current > 0.1);
    }

    [Fact]
    public void Outer_steps_in_dispose_scopes_leave_the_live_tensor_count_flat()
    {
        var problem = new TinyProblem();
        var w = problem.InitialWeights();
        var optimizer = problem.Optimizer(3);
        var alpha = new PositiveParameter(2.0);
        var adam = optim.Adam([(TorchSharp.Modules.Parameter)alpha.Raw], lr: 0.01);
        long afterFirst = 0;
        for (int step = 1; step <= 8; step++)
        {
            using (NewDisposeScope())
            {
                var result = optimizer.Step(w, alpha, adam);
                using (no_grad())
                    for (int i = 0; i < w.Count; i++) w[i].copy_(result.AdaptedWeights[i]);
            }
            if (step == 1) afterFirst = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        }
        Assert.Equal(afterFirst, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Bad_settings_and_inputs_are_rejected_with_clear_messages()
    {
        var problem = new TinyProblem();
        Assert.Contains("K must be >= 0", Assert.Throws<ArgumentException>(() => problem.Optimizer(-1)).Message);
        Assert.Contains("inner learning rate", Assert.Throws<ArgumentException>(() => new BilevelHyperparameterOptimizer(problem.TrainingLoss, problem.ValidationLoss, 1, 0)).Message);
        Assert.Contains("alpha must require grad",
            Assert.Throws<ArgumentException>(() => problem.Optimizer(1).Compute(problem.InitialWeights(), tensor(2.0, float64))).Message);
        var diverging = new BilevelHyperparameterOptimizer((w, a) => w[0].sum() * double.NaN, problem.ValidationLoss, 1, 0.1);
        Assert.Contains("training loss is NaN", Assert.Throws<InvalidOperationException>(() => diverging.Compute(problem.InitialWeights(), Alpha(2.0))).Message);
    }

    [Fact]
    public void Positive_parameter_is_minimum_plus_softplus_of_raw()
    {
        var p = new PositiveParameter(3.0, minimum: 0.5);
        Assert.True(p.Raw.requires_grad);
        Assert.True(p.Raw.is_leaf);
        Assert.Equal(3.0, p.Current, 5);
        Assert.Equal(0.5 + Math.Log(1 + Math.Exp(p.Raw.ToDouble())), p.Value().ToDouble(), 5);
        foreach (var y in new[] { 1e-6, 0.3, 5.0, 40.0 })
            Assert.Equal(y, Math.Log(1 + Math.Exp(PositiveParameter.InverseSoftplus(y))), y * 1e-9);
        Assert.Throws<ArgumentException>(() => new PositiveParameter(0.5, minimum: 0.5));
        Assert.Throws<ArgumentException>(() => PositiveParameter.InverseSoftplus(0));
    }
}
