using MetaSpike.Layers;
using MetaSpike.Surrogates;
using MetaSpike.Units;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Neurons;

/// <summary>
/// LIF population with all-to-all recurrent weights: the input of step t is I[t] + W_rec s[t-1] (parameter
/// "recurrent_weight", [n, n], row = target). The recurrent spikes keep their gradient (BPTT through the loop);
/// only the reset is detached. In multi-step mode the feed-forward input is computed for all steps at once and
/// only this recurrence loops over time.
/// </summary>
public sealed class RecurrentLif : Lif
{
    /// <summary>Creates the population; the LIF arguments are those of <see cref="Lif"/>.</summary>
    /// <param name="size">Number of neurons.</param>
    /// <param name="recurrentInit">Initialiser of the recurrent weights (default <see cref="Init.LeCunUniform"/>).</param>
    /// <param name="tau">Membrane time constant (default 20 ms).</param>
    /// <param name="vRest">Resting potential (default 0 mV).</param>
    /// <param name="vReset">Reset potential (default 0 mV).</param>
    /// <param name="vThreshold">Firing threshold (default 1 mV).</param>
    /// <param name="surrogate">Spike function (default fast sigmoid, slope 25).</param>
    /// <param name="reset">Reset mode.</param>
    /// <param name="refractory">Refractory period (default none).</param>
    /// <param name="input">How the input enters the potential.</param>
    /// <param name="resistance">Membrane resistance (default 1).</param>
    /// <param name="trainTau">Make tau trainable.</param>
    /// <param name="trainThreshold">Make the threshold trainable.</param>
    /// <param name="detachReset">Cut the gradient through the reset (default true).</param>
    public RecurrentLif(long size, Init? recurrentInit = null, Time? tau = null, Voltage? vRest = null, Voltage? vReset = null,
        Voltage? vThreshold = null, SurrogateFunction? surrogate = null, ResetMode reset = ResetMode.ToValue, Time? refractory = null,
        InputKind input = InputKind.Current, Resistance? resistance = null, bool trainTau = false, bool trainThreshold = false,
        bool detachReset = true)
        : base(nameof(RecurrentLif), size, tau, vRest, vReset, vThreshold, surrogate, reset, refractory, input, resistance, trainTau, trainThreshold, detachReset)
    {
        using (no_grad())
            register_parameter("recurrent_weight", new Parameter((recurrentInit ?? Init.LeCunUniform).Create([size, size], size, size)));
    }

    /// <inheritdoc />
    protected override Tensor InputCurrent(Tensor input, Tensor previousSpike) =>
        input + nn.functional.linear(previousSpike, Param("recurrent_weight"));
}
