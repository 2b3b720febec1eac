using MetaSpike.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.OnlineLearning;

/// <summary>
/// e-prop (Bellec et al. 2020) for a <see cref="RecurrentLifNetwork"/>, computed online: one pass forward in time
/// that keeps, besides the network state, only eligibility traces and the gradient sums (no history, no autograd).
/// For LIF neurons with the reset's gradient cut the eligibility vector is the presynaptic trace,
/// eps_i[t] = alpha eps_i[t-1] + pre_i[t] (pre = x[t] for input weights, z[t-1] for recurrent weights); the
/// eligibility trace is e_ji[t] = psi_j[t] eps_i[t] with psi the surrogate pseudo-derivative, filtered with the
/// readout's decay kappa because the readout is leaky; the learning signal is L_j[t] = sum_k B_kj (y_k[t] - y*_k[t])
/// with B = W_out (symmetric) or a fixed random matrix; dE/dW_ji = sum_t L_j[t] ebar_ji[t]. The readout weights get
/// their exact gradient sum_t (y - y*) kappa-filtered z. Without recurrent weights (or with them at 0) and with
/// symmetric feedback this equals the BPTT gradient exactly; with recurrence it drops the paths through other neurons.
/// </summary>
public static class Eprop
{
    /// <summary>The feedback matrix B [K, H] of a mode: W_out itself, or a fixed seeded N(0, 1/H) matrix.</summary>
    /// <param name="network">The network.</param>
    /// <param name="mode">Symmetric or random feedback.</param>
    /// <param name="seed">Seed of the random matrix.</param>
    public static Tensor FeedbackMatrix(RecurrentLifNetwork network, FeedbackMode mode, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        return mode switch
        {
            FeedbackMode.Symmetric => network.OutputWeights.detach(),
            FeedbackMode.Random => RandomMatrix.Normal(network.Outputs, network.Hidden, 0, 1 / Math.Sqrt(network.Hidden), seed, 41),
            _ => throw new ArgumentException($"Eprop.FeedbackMatrix: unknown feedback mode {mode}.", nameof(mode)),
        };
    }

    /// <summary>The e-prop gradients of one run (a batch of trials), accumulated online.</summary>
    /// <param name="network">The network (not changed).</param>
    /// <param name="inputs">Inputs [B, T, I].</param>
    /// <param name="target">Target readout [B, T, K].</param>
    /// <param name="feedback">Feedback matrix B [K, H] (<see cref="FeedbackMatrix"/>); null for symmetric feedback.</param>
    /// <exception cref="ArgumentException">Inputs, targets or feedback that do not fit the network.</exception>
    public static NetworkGradients Gradients(RecurrentLifNetwork network, Tensor inputs, Tensor target, Tensor? feedback = null)
    {
        const string fn = "Eprop.Gradients";
        ArgumentNullException.ThrowIfNull(network);
        var y = network.CheckTarget(fn, inputs, target);
        var x = network.CheckInputs(fn, inputs);
        var b = feedback is null
            ? network.OutputWeights.detach()
            : OnlineChecks.Matrix(fn, feedback, nameof(feedback), network.Outputs, network.Hidden);

        using var _ = no_grad();
        var s = network.Settings;
        double thr = s.Threshold, alpha = s.Alpha, kappa = s.Kappa;
        long batch = x.shape[0], steps = x.shape[1], hidden = network.Hidden;
        var win = network.InputWeights.detach();
        var wrec = network.RecurrentWeights.detach();
        var wout = network.OutputWeights.detach();
        var v = zeros(batch, hidden, ScalarType.Float64);
        var z = zeros_like(v);
        var readout = zeros(batch, network.Outputs, ScalarType.Float64);
        var inputTrace = zeros(batch, network.Inputs, ScalarType.Float64);
        var recurrentTrace = zeros_like(v);
        var inputEligibility = zeros(batch, hidden, network.Inputs, ScalarType.Float64);
        var recurrentEligibility = zeros(batch, hidden, hidden, ScalarType.Float64);
        var filteredSpikes = zeros_like(v);
        var gradInput = zeros_like(win);
        var gradRecurrent = zeros_like(wrec);
        var gradOutput = zeros_like(wout);
        double loss = 0;
        for (int t = 0; t < steps; t++)
        {
            using var scope = NewDisposeScope();
            var xt = x[.., t];
            // Network step (the same dynamics as RecurrentLifNetwork.Forward).
            v.mul_(alpha).add_(xt.matmul(win.T)).add_(z.matmul(wrec.T)).sub_(z * thr);
            var scaled = (v - thr) / thr;
            var spikes = scaled.ge(0).to_type(ScalarType.Float64);
            readout.mul_(kappa).add_(spikes.matmul(wout.T));
            var error = (readout - y[.., t]) / batch;
            loss += 0.5 * batch * error.square().sum().ToDouble();

            // Traces: the presynaptic traces use z[t-1], so they are updated before z advances.
            inputTrace.mul_(alpha).add_(xt);
            recurrentTrace.mul_(alpha).add_(z);
            var psi = network.Surrogate.SurrogateGrad(scaled) / thr;
            inputEligibility.mul_(kappa).add_(psi.unsqueeze(2) * inputTrace.unsqueeze(1));
            recurrentEligibility.mul_(kappa).add_(psi.unsqueeze(2) * recurrentTrace.unsqueeze(1));
            filteredSpikes.mul_(kappa).add_(spikes);

            var learningSignal = error.matmul(b);
            gradInput.add_(einsum("bh,bhi->hi", learningSignal, inputEligibility));
            gradRecurrent.add_(einsum("bh,bhi->hi", learningSignal, recurrentEligibility));
            gradOutput.add_(error.T.matmul(filteredSpikes));
            z.copy_(spikes);
        }
        return new NetworkGradients(gradInput, gradRecurrent, gradOutput, loss);
    }
}
