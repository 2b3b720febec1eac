using MetaSpike.Layers;
using MetaSpike.Modules;
using MetaSpike.Neurons;
using MetaSpike.Simulation;
using MetaSpike.Units;
using UnitsNet;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Modelling;

public class BadInputTests
{
    [Fact]
    public void Wrong_input_shapes_name_the_layer_and_both_shapes()
    {
        var linear = Assert.Throws<ArgumentException>(() => new Linear(5, 3).Step(zeros(2, 4)));
        Assert.Contains("Linear(5, 3) expects input [..., 5], got [2, 4]", linear.Message);
        var lif = Assert.Throws<ArgumentException>(() => new Lif(4).Step(zeros(2, 3)));
        Assert.Contains("expects one step shaped [batch, 4]", lif.Message);
        Assert.Contains("got [2, 3]", lif.Message);
        var conv = Assert.Throws<ArgumentException>(() => new Conv2d(2, 4, 3).Step(zeros(1, 3, 8, 8)));
        Assert.Contains("[N, 2, H, W]", conv.Message);
        var seq = Assert.Throws<ArgumentException>(() => Simulator.Run(new Lif(4), zeros(4)));
        Assert.Contains("[T, batch, ...]", seq.Message);
    }

    [Fact]
    public void Non_positive_dt_and_tau_are_rejected()
    {
        Assert.Contains("dt", Assert.Throws<ArgumentException>(() => new Lif(3).SetDt(0)).Message);
        Assert.Contains("dt", Assert.Throws<ArgumentException>(() => new Sequential(new Lif(3)).SetDt(-1)).Message);
        Assert.Contains("tau", Assert.Throws<ArgumentException>(() => new Lif(3, tau: 0)).Message);
        Assert.Contains("tau", Assert.Throws<ArgumentException>(() => new Expon(3, tau: -5)).Message);
        Assert.Contains("tau", Assert.Throws<ArgumentException>(() => new LeakyReadout(3, tau: double.NaN)).Message);
        Assert.Contains("threshold", Assert.Throws<ArgumentException>(() => new Lif(3, vThreshold: -1)).Message);
    }

    [Fact]
    public void Trainable_tau_that_drifts_below_zero_is_reported()
    {
        var lif = new Lif(2, trainTau: true);
        using (no_grad()) lif.get_parameter("tau")!.fill_(-3);
        var ex = Assert.Throws<InvalidOperationException>(() => lif.Sequence(zeros(3, 1, 2)));
        Assert.Contains("tau became -3", ex.Message);
    }

    [Fact]
    public void Nan_inputs_are_reported_with_their_count()
    {
        var x = zeros(5, 2, 3);
        x[2, 1, 0] = tensor(double.NaN);
        var ex = Assert.Throws<ArgumentException>(() => Simulator.Run(new Sequential(new Linear(3, 2), new Lif(2)), x));
        Assert.Contains("1 NaN", ex.Message);
        Assert.Throws<ArgumentException>(() => new Lif(3).Step(full(2, 3, double.PositiveInfinity)));
    }

    [Fact]
    public void The_finiteness_check_finds_one_bad_value_anywhere_in_either_precision_and_in_strided_views()
    {
        // Lengths around the vector width (the scalar tail), every position, NaN and both infinities.
        foreach (var dtype in new[] { float32, float64 })
        foreach (int length in new[] { 1, 7, 16, 17, 40 })
        {
            Checks.RequireFinite(randn(length, dtype: dtype), "ok");
            foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
                for (int at = 0; at < length; at++)
                {
                    var x = randn(length, dtype: dtype);
                    x[at] = tensor(bad);
                    Assert.Throws<ArgumentException>(() => Checks.RequireFinite(x, "x"));
                }
        }
        // A non-contiguous view takes libtorch's check.
        var matrix = zeros(4, 6);
        matrix[3, 1] = tensor(double.NaN);
        Assert.Contains("1 NaN", Assert.Throws<ArgumentException>(() => Checks.RequireFinite(matrix.t(), "view")).Message);
        Checks.RequireFinite(full(3, 1e38f), "large but finite");
    }

    [Fact]
    public void A_batch_that_changes_without_a_reset_is_an_error()
    {
        var lif = new Lif(3);
        lif.ResetState(4);
        lif.Step(zeros(4, 3));
        var ex = Assert.Throws<InvalidOperationException>(() => lif.Step(zeros(5, 3)));
        Assert.Contains("batch changed from 4 to 5 without ResetState", ex.Message);
        lif.ResetState(5);
        Assert.Equal(5, lif.Step(zeros(5, 3)).shape[0]);
        var declared = Assert.Throws<InvalidOperationException>(() => { lif.ResetState(2); lif.Step(zeros(3, 3)); });
        Assert.Contains("ResetState(2)", declared.Message);
    }

    [Fact]
    public void State_made_inside_an_ended_dispose_scope_is_reported()
    {
        var lif = new Lif(3);
        using (NewDisposeScope()) lif.Step(zeros(2, 3));
        var ex = Assert.Throws<InvalidOperationException>(() => lif.Step(zeros(2, 3)));
        Assert.Contains("dispose scope", ex.Message);
    }

    [Fact]
    public void Options_that_do_not_fit_the_sequence_are_rejected()
    {
        var net = new Lif(2);
        Assert.Contains("burn-in", Assert.Throws<ArgumentException>(() => Simulator.Run(net, zeros(4, 1, 2), new SimulationOptions { BurnIn = 5 })).Message);
        Assert.Contains("truncation", Assert.Throws<ArgumentException>(() => Simulator.Run(net, zeros(4, 1, 2), new SimulationOptions { Truncation = 0 })).Message);
        Assert.Contains("Dropout", Assert.Throws<ArgumentException>(() => new Dropout(1.0)).Message);
    }

    [Fact]
    public void Physical_quantities_convert_to_the_documented_units()
    {
        Time fromSeconds = Duration.FromSeconds(0.02);
        Assert.Equal(20, fromSeconds.Milliseconds, 12);
        Voltage fromVolts = ElectricPotential.FromVolts(-0.065);
        Assert.Equal(-65, fromVolts.Millivolts, 12);
        Current fromMicroamps = ElectricCurrent.FromMicroamperes(500);
        Assert.Equal(0.5, fromMicroamps.Milliamperes, 12);
        Rate rate = Frequency.FromHertz(5);
        Assert.Equal(0.005, rate.ProbabilityPerStep(1.0), 15);
        Assert.Throws<ArgumentException>(() => ((Rate)2000.0).ProbabilityPerStep(1.0));

        // A LIF built from quantities equals one built from numbers in the documented units.
        var a = new Lif(1, tau: Duration.FromSeconds(0.01), vThreshold: ElectricPotential.FromMillivolts(2), resistance: ElectricResistance.FromKiloohms(0.003));
        var b = new Lif(1, tau: 10, vThreshold: 2, resistance: 3);
        var x = full(4, 1, 1, 1.5);
        Assert.Equal(TensorAssert.Values(b.Sequence(x)), TensorAssert.Values(a.Sequence(x)));
        Assert.Equal(TensorAssert.Values(b.State("V")!), TensorAssert.Values(a.State("V")!));
    }
}
