namespace MetaSpike.Tests.Losses;

internal static class ArgumentAssert
{
    /// <summary>Asserts that <paramref name="action"/> throws an ArgumentException whose message contains every word.</summary>
    public static void Throws(Action action, params string[] words)
    {
        var e = Assert.ThrowsAny<ArgumentException>(action);
        foreach (var w in words)
            Assert.Contains(w, e.Message);
    }
}
