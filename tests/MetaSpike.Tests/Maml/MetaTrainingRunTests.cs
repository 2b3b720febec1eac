using MetaSpike.Data.FewShot;
using MetaSpike.Maml;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Maml;

[Collection(GlobalRandomCollection.Name)]
public class MetaTrainingRunTests
{
    [Fact]
    public void A_checkpoint_of_other_settings_is_refused_with_a_hint_and_left_alone()
    {
        var dataset = MetaDatasets.Glyphs(classes: 40, samplesPerClass: 3, seed: 0);
        dataset = dataset with { Binning = dataset.Binning with { Steps = 10, BinWidthUs = 10_000 } };
        var loader = new FewShotTaskLoader(dataset, 5, shots: 1, queries: 1, seed: 0);
        var frame = loader.FrameShape;
        var folder = Directory.CreateTempSubdirectory("metaspike-run-");
        try
        {
            var options = new MetaTrainingRunOptions { Iterations = 1, ValidateEvery = 1, ValidationTasks = 1, CheckpointPath = Path.Combine(folder.FullName, "checkpoint.msck") };
            MetaLearner Learner(InnerRateKind rates)
            {
                manual_seed(0);
                var network = FewShotNetworks.Dense(frame.Channels * frame.Height * frame.Width, 5, hidden: 8, gradientWindow: frame.Steps);
                return new MetaLearner(network, new MetaTrainingSettings { Inner = new InnerLoopSettings { LearningRate = 0.5, RateKind = rates }, Iterations = 1 });
            }
            Assert.True(new MetaTrainingRun(Learner(InnerRateKind.Fixed), loader, options).Run().Completed);
            var written = File.ReadAllBytes(options.CheckpointPath);

            var e = Assert.Throws<ArgumentException>(() => new MetaTrainingRun(Learner(InnerRateKind.PerTensor), loader, options).Run());
            Assert.Contains("does not fit the model", e.Message);
            Assert.Contains("other settings", e.Message);
            Assert.Equal(written, File.ReadAllBytes(options.CheckpointPath));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
