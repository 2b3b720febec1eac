#nullable enable
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Sets VER_FLG_WEAK on one symbol-version requirement (an Elf64_Vernaux entry in .gnu.version_r)
/// of 64-bit little-endian ELF shared libraries, so that the dynamic loader accepts a libstdc++
/// that lacks that version. Idempotent; leaves files that do not need it untouched.
/// </summary>
public class WeakenElfVersionNeed : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";
    public bool OnlyIfSystemLacksVersion { get; set; }

    public override bool Execute()
    {
        if (OnlyIfSystemLacksVersion)
        {
            string? lib = FindSystemLibStdCxx();
            if (lib != null && FileContains(lib, Version))
            {
                Log.LogMessage(MessageImportance.Low, $"{lib} provides {Version}; libLibTorchSharp.so left as shipped.");
                return true;
            }
        }
        foreach (var item in Files)
        {
            string path = item.ItemSpec;
            try
            {
                switch (Patch(path, Version))
                {
                    case PatchResult.Patched:
                        Log.LogMessage(MessageImportance.High, $"MetaSpike: marked {Version} weak in {path} (system libstdc++ lacks it).");
                        break;
                    case PatchResult.AlreadyWeak:
                        Log.LogMessage(MessageImportance.Low, $"{path}: {Version} already weak.");
                        break;
                    case PatchResult.NotRequired:
                        Log.LogMessage(MessageImportance.Low, $"{path}: does not require {Version}.");
                        break;
                }
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogError($"MetaSpike could not patch {path}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    private enum PatchResult { Patched, AlreadyWeak, NotRequired }

    private static PatchResult Patch(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        ulong shoff = U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = Checked(elf, shoff + (ulong)(i * shentsize), 64);
            if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
            int verneed = Checked(elf, U64(elf, sh + 0x18), 16);
            int strtabHeader = Checked(elf, shoff + (ulong)(U32(elf, sh + 0x28) * (uint)shentsize), 64);
            int strtab = Checked(elf, U64(elf, strtabHeader + 0x18), 1);
            uint needCount = U32(elf, sh + 0x2C);

            int need = verneed;
            for (uint n = 0; n < needCount; n++)
            {
                int auxCount = U16(elf, need + 2);
                int aux = Checked(elf, (ulong)need + U32(elf, need + 8), 16);
                for (int a = 0; a < auxCount; a++)
                {
                    if (ReadCString(elf, strtab + (int)U32(elf, aux + 8)) == version)
                    {
                        ushort flags = (ushort)U16(elf, aux + 4);
                        if ((flags & VerFlgWeak) != 0) return PatchResult.AlreadyWeak;
                        flags |= VerFlgWeak;
                        elf[aux + 4] = (byte)flags;
                        elf[aux + 5] = (byte)(flags >> 8);
                        // Replace rather than write in place: the output copy might be a hard link into the NuGet cache.
                        string tmp = path + ".metaspike-tmp";
                        File.WriteAllBytes(tmp, elf);
                        File.Delete(path);
                        File.Move(tmp, path);
                        return PatchResult.Patched;
                    }
                    uint nextAux = U32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux = Checked(elf, (ulong)aux + nextAux, 16);
                }
                uint nextNeed = U32(elf, need + 12);
                if (nextNeed == 0) break;
                need = Checked(elf, (ulong)need + nextNeed, 16);
            }
        }
        return PatchResult.NotRequired;
    }

    private static string? FindSystemLibStdCxx()
    {
        string[] dirs =
        {
            "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib",
        };
        foreach (var dir in dirs)
        {
            string candidate = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static bool FileContains(string path, string text)
    {
        byte[] needle = Encoding.ASCII.GetBytes(text + "\0");
        byte[] hay = File.ReadAllBytes(path);
        for (int i = 0; i + needle.Length <= hay.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && hay[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    private static int Checked(byte[] b, ulong offset, int size)
    {
        if (offset + (ulong)size > (ulong)b.Length) throw new InvalidDataException("ELF offset out of range");
        return (int)offset;
    }

    private static string ReadCString(byte[] b, int offset)
    {
        int end = Array.IndexOf(b, (byte)0, offset);
        if (end < 0) throw new InvalidDataException("unterminated ELF string");
        return Encoding.ASCII.GetString(b, offset, end - offset);
    }

    private static int U16(byte[] b, int o) => b[o] | (b[o + 1] << 8);
    private static uint U32(byte[] b, int o) => BitConverter.ToUInt32(b, o);
    private static ulong U64(byte[] b, int o) => BitConverter.ToUInt64(b, o);
    private static ulong U64(byte[] b, ulong o) => BitConverter.ToUInt64(b, (int)o);
}
