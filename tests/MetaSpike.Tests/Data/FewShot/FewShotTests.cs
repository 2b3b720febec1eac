using MetaSpike.Data;
using MetaSpike.Data.FewShot;

namespace MetaSpike.Tests.Data.FewShot;

/// <summary>A dataset whose sample i has label i % classes and a single event at (i, class) at time i µs.</summary>
internal sealed class FakeDataset(int classes, int perClass, int width = 40, int height = 8) : IEventDataset
{
    public string Name => "fake";
    public int Width => width;
    public int Height => height;
    public IReadOnlyList<string> ClassNames { get; } = Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray();
    public int Count => classes * perClass;
    public int LabelOf(int index) => index % classes;
    public EventSample Read(int index) =>
        new(new EventStream([index], [(ushort)(index % width)], [(ushort)(index % classes % height)], [(byte)(index % 2)], width, height), LabelOf(index), $"fake/{index}");
}

public class FewShotTests
{
    [Fact]
    public void Partition_gives_disjoint_splits_of_the_requested_sizes_reproducibly()
    {
        var (train, val, test) = ClassSplit.Partition(100, 64, 16, 20, seed: 3);
        Assert.Equal(64, train.Length);
        Assert.Equal(16, val.Length);
        Assert.Equal(20, test.Length);
        Assert.Equal(Enumerable.Range(0, 100), train.Concat(val).Concat(test).Order());
        var again = ClassSplit.Partition(100, 64, 16, 20, seed: 3);
        Assert.Equal(train, again.Train);
        Assert.NotEqual(train, ClassSplit.Partition(100, 64, 16, 20, seed: 4).Train);
        Assert.Throws<ArgumentException>(() => ClassSplit.Partition(100, 64, 16, 19, seed: 3));
    }

    [Fact]
    public void Tasks_have_n_ways_k_shots_q_queries_from_the_split_only_and_are_reproducible()
    {
        var data = new FakeDataset(classes: 12, perClass: 10);
        var split = new ClassSplit("train", data, [0, 2, 3, 5, 7, 8, 11]);
        var sampler = new TaskSampler(split, ways: 5, shots: 2, queries: 3, seed: 9);
        for (int t = 0; t < 20; t++)
        {
            var task = sampler.Sample(t);
            Assert.Equal(5, task.Classes.Distinct().Count());
            Assert.All(task.Classes, c => Assert.Contains(c, split.Classes));
            Assert.Equal(10, task.Support.Count);
            Assert.Equal(15, task.Query.Count);
            Assert.Empty(task.Support.Select(s => s.Index).Intersect(task.Query.Select(q => q.Index)));
            foreach (var (index, label) in task.Support.Concat(task.Query))
                Assert.Equal(task.Classes[label], data.LabelOf(index));
            Assert.Equal(task, new TaskSampler(split, 5, 2, 3, seed: 9).Sample(t), new TaskComparer());
        }
        Assert.NotEqual(sampler.Sample(0), sampler.Sample(1), new TaskComparer());
    }

    [Fact]
    public void Impossible_tasks_are_rejected_with_the_numbers()
    {
        var data = new FakeDataset(classes: 6, perClass: 4);
        var split = new ClassSplit("val", data, [0, 1, 2]);
        Assert.Contains("split 'val' has 3", Assert.Throws<ArgumentException>(() => new TaskSampler(split, 4, 1, 1, 0)).Message);
        Assert.Contains("only 4", Assert.Throws<ArgumentException>(() => new TaskSampler(split, 2, 2, 3, 0)).Message);
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => new ClassSplit("x", data, [7])).Message);
    }

    [Fact]
    public void Double_samples_place_the_second_class_to_the_right_and_merge_in_time()
    {
        var data = new FakeDataset(classes: 3, perClass: 5, width: 20, height: 4);
        var doubled = new DoubleDataset(data, samplesPerClass: 4, seed: 1);
        Assert.Equal(9, doubled.ClassNames.Count);
        Assert.Equal("c2|c1", doubled.ClassNames[2 * 3 + 1]);
        Assert.Equal(40, doubled.Width);
        Assert.Equal(36, doubled.Count);
        var sample = doubled.Read(7 * 4 + 2); // class 7 = (2, 1)
        Assert.Equal(7, sample.Label);
        Assert.Equal(2, sample.Events.Count);
        var left = Array.FindIndex(sample.Events.X, x => x < 20);
        var right = Array.FindIndex(sample.Events.X, x => x >= 20);
        Assert.Equal(2, (int)sample.Events.TimesUs[left] % 3);    // the left event comes from a class-2 sample
        Assert.Equal(1, (int)sample.Events.TimesUs[right] % 3);   // the right one from a class-1 sample
        Assert.True(sample.Events.TimesUs[0] <= sample.Events.TimesUs[1]);
        Assert.Equal(sample.Events.TimesUs, doubled.Read(7 * 4 + 2).Events.TimesUs);
    }

    private sealed class TaskComparer : IEqualityComparer<FewShotTask>
    {
        public bool Equals(FewShotTask? a, FewShotTask? b) =>
            a is not null && b is not null && a.Classes.SequenceEqual(b.Classes) && a.Support.SequenceEqual(b.Support) && a.Query.SequenceEqual(b.Query);

        public int GetHashCode(FewShotTask t) => t.Classes.Count;
    }
}

public class MetaDatasetTests
{
    [Fact]
    public void The_double_split_rule_gives_the_papers_sizes_and_disjoint_classes()
    {
        var ten = new FakeDataset(classes: 10, perClass: 3);
        var nmnistLike = MetaDatasets.Double("double fake", ten, new FakeDataset(10, 2), samplesPerClass: 2, seed: 1, null, 40, 8, new BinningOptions());
        Assert.Equal((64, 16, 20), (nmnistLike.Splits.Train.Classes.Count, nmnistLike.Splits.Validation.Classes.Count, nmnistLike.Splits.Test.Classes.Count));
        Assert.NotSame(nmnistLike.Splits.Train.Source, nmnistLike.Splits.Test.Source);
        var letters = new FakeDataset(classes: 24, perClass: 1);
        var asl = MetaDatasets.Double("double letters", letters, letters, 1, 1, null, 40, 8, new BinningOptions());
        Assert.Equal((369, 92, 115), (asl.Splits.Train.Classes.Count, asl.Splits.Validation.Classes.Count, asl.Splits.Test.Classes.Count));
        var all = asl.Splits.Train.Classes.Concat(asl.Splits.Validation.Classes).Concat(asl.Splits.Test.Classes).ToArray();
        Assert.Equal(576, all.Distinct().Count());
    }
}
