using MetaSpike.Neuromorphic;

namespace MetaSpike.InTheLoop;

/// <summary>What <see cref="InTheLoopExperiment.Run"/> measured (accuracies on the test set).</summary>
/// <param name="InitialChipAccuracy">The chip with the initial weights.</param>
/// <param name="InTheLoop">The in-the-loop training run.</param>
/// <param name="InTheLoopChipAccuracy">The chip with the in-the-loop weights.</param>
/// <param name="Software">The software-only training run.</param>
/// <param name="SoftwareModelAccuracy">The software model with its own weights.</param>
/// <param name="DeployedChipAccuracy">The chip with the software-trained weights.</param>
/// <param name="DeployedIdealChipAccuracy">An ideal chip (no mismatch, no noise) with the software-trained weights.</param>
public sealed record InTheLoopComparison(double InitialChipAccuracy, TrainedWeights InTheLoop, double InTheLoopChipAccuracy, TrainedWeights Software,
    double SoftwareModelAccuracy, double DeployedChipAccuracy, double DeployedIdealChipAccuracy);

/// <summary>
/// The comparison of the issue: on one generated task, from the same initial weights and batches, (i) train in the loop
/// on the chip, (ii) train the software model alone and deploy its weights to the same chip (and, for reference, to
/// an ideal one); report every accuracy on a test set run on the chip.
/// </summary>
public static class InTheLoopExperiment
{
    /// <summary>Runs the comparison on a <see cref="SubstrateEmulator"/> with <paramref name="chip"/> options.</summary>
    /// <param name="settings">Task, model and training settings.</param>
    /// <param name="chip">The emulated chip (its dt must divide the model's).</param>
    /// <param name="stepCompleted">Called after each training step of either mode.</param>
    /// <exception cref="ArgumentException">Invalid settings or options.</exception>
    public static InTheLoopComparison Run(InTheLoopSettings settings, EmulatorOptions chip, Action<TrainingMode, TrainingStep>? stepCompleted = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(chip);
        settings.Validate();
        var task = settings.Task;
        var train = task.Generate(settings.TrainSamples, settings.Seed, stream: 1);
        var test = task.Generate(settings.TestSamples, settings.Seed, stream: 2);
        using var hardware = Classifier(chip, settings);
        var (w1, w2) = settings.InitialWeights();
        double initial = InTheLoopTraining.ChipAccuracy(hardware, test, w1, w2);
        w1.Dispose();
        w2.Dispose();

        var inTheLoop = InTheLoopTraining.Train(TrainingMode.InTheLoop, train, hardware, settings, s => stepCompleted?.Invoke(TrainingMode.InTheLoop, s));
        double inTheLoopAccuracy = InTheLoopTraining.ChipAccuracy(hardware, test, inTheLoop.InputWeights, inTheLoop.OutputWeights);
        var software = InTheLoopTraining.Train(TrainingMode.SoftwareOnly, train, null, settings, s => stepCompleted?.Invoke(TrainingMode.SoftwareOnly, s));
        double model = InTheLoopTraining.ModelAccuracy(test, software.InputWeights, software.OutputWeights, settings.Model);
        double deployed = InTheLoopTraining.ChipAccuracy(hardware, test, software.InputWeights, software.OutputWeights);
        using var ideal = Classifier(EmulatorOptions.Ideal with { DtUs = chip.DtUs, Adc = EmulatorOptions.Ideal.Adc with { SamplePeriodUs = chip.Adc.SamplePeriodUs } }, settings);
        double deployedIdeal = InTheLoopTraining.ChipAccuracy(ideal, test, software.InputWeights, software.OutputWeights);
        return new InTheLoopComparison(initial, inTheLoop, inTheLoopAccuracy, software, model, deployed, deployedIdeal);
    }

    private static EmulatorClassifier Classifier(EmulatorOptions options, InTheLoopSettings settings) =>
        new(new SubstrateEmulator(options), settings.Task.Inputs, settings.Hidden, settings.Task.Classes, settings.Task.DurationUs, settings.Model.DtUs);
}
