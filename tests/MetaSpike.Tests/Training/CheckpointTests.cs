using System.Text.Json.Nodes;
using MetaSpike.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("metaspike-checkpoint-").FullName;
    private readonly (Tensor X, Tensor Y)[] _batches;

    public CheckpointTests()
    {
        // A private generator, so that tests running in parallel cannot shift the data.
        using var generator = new Generator(7);
        _batches = Enumerable.Range(0, 10)
            .Select(_ => (randn([8, 4], generator: generator), randn([8, 2], generator: generator)))
            .ToArray();
    }

    public void Dispose()
    {
        foreach (var (x, y) in _batches)
        {
            x.Dispose();
            y.Dispose();
        }
        Directory.Delete(_folder, recursive: true);
    }

    private string PathOf(string name) => Path.Combine(_folder, name);

    private static Linear NewModel(int seed, int inputs = 4)
    {
        manual_seed(seed);
        return nn.Linear(inputs, 2);
    }

    private void Train(Linear model, OptimizerHelper optimizer, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            (model.forward(_batches[i].X) - _batches[i].Y).square().mean().backward();
            optimizer.step();
        }
    }

    private static float[][] Snapshot(nn.Module model) =>
        model.parameters().Select(p => p.detach().data<float>().ToArray()).ToArray();

    public static TheoryData<OptimizerSettings> Settings() => new()
    {
        new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = 0.05 },
        new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = 0.05, Fused = true },
        new OptimizerSettings { Kind = OptimizerKind.AdamW, LearningRate = 0.05, WeightDecay = 0.1 },
        new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.05, Momentum = 0.9 },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Resumed_training_is_bit_identical(OptimizerSettings settings)
    {
        var path = PathOf("run.ckpt");
        using var model = NewModel(1);
        using var optimizer = Optimizers.Create(model.parameters(), settings);
        Train(model, optimizer, 0, 5);
        Checkpoint.Save(path, model, optimizer, new CheckpointMetadata { Epoch = 5 });
        Train(model, optimizer, 5, 10);
        var expected = Snapshot(model);

        using var resumed = NewModel(99);
        using var resumedOptimizer = Optimizers.Create(resumed.parameters(), settings);
        // Inside a caller's dispose scope: state tensors created while loading (SGD's momentum) must outlive it.
        using (NewDisposeScope())
            Assert.Equal(5, Checkpoint.Load(path, resumed, resumedOptimizer).Epoch);
        Train(resumed, resumedOptimizer, 5, 10);
        Assert.Equal(expected, Snapshot(resumed));

        // Control: the same weights with a fresh optimizer (no moments, step 0) end elsewhere.
        using var weightsOnly = NewModel(99);
        Checkpoint.Load(path, weightsOnly, optimizer: null);
        using var freshOptimizer = Optimizers.Create(weightsOnly.parameters(), settings);
        Train(weightsOnly, freshOptimizer, 5, 10);
        Assert.NotEqual(expected, Snapshot(weightsOnly));
    }

    [Fact]
    public void Buffers_round_trip()
    {
        var path = PathOf("bn.ckpt");
        using var model = nn.Sequential(("fc", nn.Linear(4, 3)), ("bn", nn.BatchNorm1d(3)));
        using (NewDisposeScope())
            model.forward(_batches[0].X);
        Checkpoint.Save(path, model, null, new CheckpointMetadata());

        using var restored = nn.Sequential(("fc", nn.Linear(4, 3)), ("bn", nn.BatchNorm1d(3)));
        Checkpoint.Load(path, restored, null);
        var saved = model.state_dict();
        var loaded = restored.state_dict();
        Assert.Contains("bn.running_mean", loaded.Keys);
        Assert.Contains("bn.num_batches_tracked", loaded.Keys);
        Assert.Equal(saved.Keys, loaded.Keys);
        foreach (var (name, tensor) in saved)
            Assert.Equal(TensorAssert.Values(tensor), TensorAssert.Values(loaded[name]));
    }

    [Fact]
    public void Metadata_round_trips_with_the_versions()
    {
        var path = PathOf("meta.ckpt");
        using var model = NewModel(1);
        var meta = new CheckpointMetadata
        {
            Epoch = 12,
            UserData = new JsonObject
            {
                ["loss"] = new JsonArray(0.9, 0.5, 0.25),
                ["schedule"] = "cosine:1e-5",
                ["diverged"] = double.NaN,
            },
        };
        Checkpoint.Save(path, model, null, meta);
        Assert.Equal(3, meta.UserData.Count); // saving copies, it does not take the user's nodes

        var read = Checkpoint.ReadMetadata(path);
        Assert.Equal(12, read.Epoch);
        Assert.Equal(Checkpoint.CurrentMetaSpikeVersion, read.MetaSpikeVersion);
        Assert.Equal(Checkpoint.FormatVersion, read.FormatVersion);
        Assert.Equal([0.9, 0.5, 0.25], read.UserData["loss"]!.AsArray().Select(n => n!.GetValue<double>()));
        Assert.Equal("cosine:1e-5", read.UserData["schedule"]!.GetValue<string>());
        Assert.Equal("NaN", read.UserData["diverged"]!.GetValue<string>());
        Assert.Null(read.UserData.Parent);
    }

    [Fact]
    public void Save_replaces_an_existing_checkpoint_and_leaves_no_temporary_file()
    {
        var path = PathOf("model.ckpt");
        using var model = NewModel(1);
        using var optimizer = Optimizers.Create(model.parameters(), new OptimizerSettings());
        Checkpoint.Save(path, model, optimizer, new CheckpointMetadata { Epoch = 1 });
        Checkpoint.Save(path, model, optimizer, new CheckpointMetadata { Epoch = 2 });
        Assert.Equal([path], Directory.GetFiles(_folder));
        Assert.Equal(2, Checkpoint.ReadMetadata(path).Epoch);
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_path()
    {
        var path = PathOf("absent.ckpt");
        using var model = NewModel(1);
        var e = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(path, model, null));
        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
    }

    private string SavedCheckpoint(Linear model, OptimizerHelper? optimizer = null)
    {
        var path = PathOf("good.ckpt");
        Checkpoint.Save(path, model, optimizer, new CheckpointMetadata { Epoch = 3 });
        return path;
    }

    private InvalidDataException LoadCorrupt(byte[] bytes)
    {
        var path = PathOf("bad.ckpt");
        File.WriteAllBytes(path, bytes);
        using var model = NewModel(2);
        using var optimizer = Optimizers.Create(model.parameters(), new OptimizerSettings());
        var before = Snapshot(model);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, optimizer));
        Assert.Contains(path, e.Message);
        Assert.Equal(before, Snapshot(model));
        return e;
    }

    [Fact]
    public void A_truncated_file_is_invalid_data()
    {
        using var model = NewModel(1);
        using var optimizer = Optimizers.Create(model.parameters(), new OptimizerSettings());
        var bytes = File.ReadAllBytes(SavedCheckpoint(model, optimizer));
        Assert.Contains("truncated", LoadCorrupt(bytes[..(bytes.Length / 2)]).Message);
        Assert.Contains("checksum", LoadCorrupt(bytes[..^1]).Message);
        Assert.Contains("not a MetaSpike checkpoint", LoadCorrupt([]).Message);
        Assert.Contains("ends inside the header", LoadCorrupt(bytes[..10]).Message);
    }

    [Fact]
    public void A_garbage_file_is_invalid_data()
    {
        var garbage = new byte[4096];
        new Random(3).NextBytes(garbage);
        Assert.Contains("not a MetaSpike checkpoint", LoadCorrupt(garbage).Message);
    }

    [Fact]
    public void A_damaged_or_future_file_is_invalid_data()
    {
        using var model = NewModel(1);
        var bytes = File.ReadAllBytes(SavedCheckpoint(model));
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x10;
        Assert.Contains("checksum", LoadCorrupt(flipped).Message);

        var future = (byte[])bytes.Clone();
        future[8] = 2;
        Assert.Contains("format version 2 is not supported", LoadCorrupt(future).Message);
    }

    [Fact]
    public void A_model_of_another_shape_is_rejected_listing_the_differences()
    {
        using var model = NewModel(1);
        var path = SavedCheckpoint(model);

        using var wider = NewModel(2, inputs: 3);
        var before = Snapshot(wider);
        var e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, wider, null));
        Assert.Equal("model", e.ParamName);
        Assert.Contains(path, e.Message);
        Assert.Contains("'weight' has shape [2, 4] in the checkpoint, [2, 3] in the model", e.Message);
        Assert.DoesNotContain("'bias'", e.Message);
        Assert.Equal(before, Snapshot(wider));

        using var renamed = nn.Sequential(("fc", nn.Linear(4, 2)));
        e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, renamed, null));
        Assert.Contains("4 difference(s)", e.Message);
        Assert.Contains("'weight' is in the checkpoint but not in the model", e.Message);
        Assert.Contains("'fc.bias' is in the model but not in the checkpoint", e.Message);

        using var doubles = NewModel(2).to(float64);
        e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, doubles, null));
        Assert.Contains("'weight' is Float32 in the checkpoint, Float64 in the model", e.Message);
    }

    [Fact]
    public void An_optimizer_that_does_not_fit_is_rejected_and_nothing_changes()
    {
        using var model = NewModel(1);
        using var adam = Optimizers.Create(model.parameters(), new OptimizerSettings());
        Train(model, adam, 0, 2);
        var path = SavedCheckpoint(model, adam);

        using var target = NewModel(2);
        var before = Snapshot(target);
        using var sgd = Optimizers.Create(target.parameters(), new OptimizerSettings { Kind = OptimizerKind.Sgd });
        var e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, target, sgd));
        Assert.Equal("optimizer", e.ParamName);
        Assert.Contains("holds Adam state; the optimizer is SGD", e.Message);

        // Same type and count, parameters in another order: TorchSharp has already overwritten the learning rate and
        // a step count when it meets the first shape mismatch, so the optimizer's own state must be put back.
        using var reordered = torch.optim.Adam([target.bias!, target.weight!], lr: 0.5);
        Train(target, reordered, 0, 1);
        var state = StateBytes(reordered);
        var trained = Snapshot(target);
        e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, target, reordered));
        Assert.Contains("does not fit the optimizer", e.Message);
        Assert.Contains("same order", e.Message);
        Assert.Equal(state, StateBytes(reordered));
        Assert.Equal(0.5, reordered.ParamGroups.Single().LearningRate);
        Assert.Equal(trained, Snapshot(target));
        Assert.NotEqual(before, trained);
    }

    [Fact]
    public void A_model_only_checkpoint_cannot_restore_an_optimizer()
    {
        using var model = NewModel(1);
        var path = SavedCheckpoint(model);
        using var target = NewModel(2);
        using var optimizer = Optimizers.Create(target.parameters(), new OptimizerSettings());
        var e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, target, optimizer));
        Assert.Contains("holds no optimizer state", e.Message);
        Checkpoint.Load(path, target, null);
        Assert.Equal(Snapshot(model), Snapshot(target));
    }

    [Fact]
    public void A_negative_epoch_is_not_saved()
    {
        using var model = NewModel(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => Checkpoint.Save(PathOf("x.ckpt"), model, null, new CheckpointMetadata { Epoch = -1 }));
        Assert.Empty(Directory.GetFiles(_folder));
    }

    private static byte[] StateBytes(OptimizerHelper optimizer)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(writer);
        return stream.ToArray();
    }
}
