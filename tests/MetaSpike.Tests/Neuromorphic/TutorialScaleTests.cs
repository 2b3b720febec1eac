using MetaSpike.Neuromorphic;

namespace MetaSpike.Tests.Neuromorphic;

/// <summary>
/// The weight-to-current scale makes the SuperSpike tutorial's setup behave as on the chip: 25 Bernoulli inputs at
/// 10 kHz for 200 µs (last 20 µs silent), weights ~N(27, 1) excitatory, give about 3 to 4 output spikes.
/// </summary>
public sealed class TutorialScaleTests
{
    /// <summary>
    /// Over 40 input draws (one batched run on the ideal chip) the mean is 3.58 spikes (measured; 0 to 6 per draw);
    /// signed weights ~N(10, 20) give other, sparser spike trains (0.88 on average).
    /// </summary>
    [Fact]
    public void Tutorial_weights_give_three_to_four_spikes()
    {
        using var setup = new TutorialSetup();
        setup.Input.SetSpikeTimes(SpikeTrains.FromTrials([.. Enumerable.Range(0, 40).Select(s => (IReadOnlyList<IReadOnlyList<double>>)TutorialSetup.BernoulliTimes(s))]));
        SignedWeights.Apply(setup.Excitatory, setup.Inhibitory, TutorialSetup.NormalWeights(123, 27, 1));
        setup.Network.Run(TutorialSetup.DurationUs);
        SpikeTrains target;
        using (var data = setup.Output.GetData()) target = data.Spikes;
        double mean = target.CountsPerTrial().Average();
        Assert.InRange(mean, 3.0, 4.0);

        SignedWeights.Apply(setup.Excitatory, setup.Inhibitory, TutorialSetup.NormalWeights(7, 10, 20));
        setup.Network.Run(TutorialSetup.DurationUs);
        using var initial = setup.Output.GetData();
        Assert.InRange(initial.Spikes.CountsPerTrial().Average(), 0.2, 2.5);
        int differing = Enumerable.Range(0, 40).Count(t => !initial.Spikes.Times(t, 0).SequenceEqual(target.Times(t, 0)));
        Assert.True(differing >= 35, $"the initial weights must give other spike trains; only {differing} of 40 differ");
        // Silent last 20 µs: no spike after 180 µs plus the membrane's settling.
        Assert.All(Enumerable.Range(0, 40), t => Assert.All(target.Times(t, 0).ToArray(), s => Assert.True(s < 195)));
    }
}
