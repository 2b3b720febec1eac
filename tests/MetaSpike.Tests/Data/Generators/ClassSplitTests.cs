using MetaSpike.Data.Generators;

namespace MetaSpike.Tests.Data.Generators;

public sealed class ClassSplitTests
{
    [Theory]
    [InlineData(1000, 640, 160, 200)]
    [InlineData(10, 6, 2, 2)]
    [InlineData(3, 1, 1, 1)]
    [InlineData(1623, 1038, 260, 325)]
    public void SplitsCoverTheClassesInOrder(int classes, int train, int validation, int test)
    {
        var t = ClassSplits.Of(classes, MetaSplit.Train);
        var v = ClassSplits.Of(classes, MetaSplit.Validation);
        var e = ClassSplits.Of(classes, MetaSplit.Test);
        Assert.Equal(new ClassRange(0, train), t);
        Assert.Equal(new ClassRange(train, validation), v);
        Assert.Equal(new ClassRange(train + validation, test), e);
        Assert.Equal(classes, e.End);
    }
}
