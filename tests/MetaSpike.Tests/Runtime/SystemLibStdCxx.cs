namespace MetaSpike.Tests.Runtime;

/// <summary>What the machine's own libstdc++ provides, as the build's load fix decides it.</summary>
internal static class SystemLibStdCxx
{
    public static bool Has(string version)
    {
        var lib = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
        return lib is not null && File.ReadAllText(lib, System.Text.Encoding.Latin1).Contains(version + "\0");
    }
}
