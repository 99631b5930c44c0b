using System;
using System.IO;

namespace SourceGenNN.Kernels;

/// <summary>
/// The data-cache sizes of the processor the process runs on, read once: from Linux's
/// <c>/sys/devices/system/cpu/cpu0/cache</c>, else typical sizes (32 KiB L1, 512 KiB L2, 8 MiB L3). The matrix
/// products size their blocks from these, so that a block of B stays in L1 and a block of A in L2 (see
/// <see cref="Gemm"/>). <c>SOURCEGENNN_L1</c>, <c>SOURCEGENNN_L2</c> and <c>SOURCEGENNN_L3</c> (bytes) override them.
/// </summary>
public static class CacheInfo
{
    /// <summary>The level-1 data cache of one core, in bytes.</summary>
    public static int L1Data { get; }

    /// <summary>The level-2 cache of one core, in bytes.</summary>
    public static int L2 { get; }

    /// <summary>The level-3 cache (shared), in bytes.</summary>
    public static int L3 { get; }

    /// <summary>Where the sizes came from: "sysfs", "defaults" or "environment".</summary>
    public static string Source { get; }

    static CacheInfo()
    {
        int l1 = 32 << 10, l2 = 512 << 10, l3 = 8 << 20;
        string source = "defaults";
        try
        {
            const string root = "/sys/devices/system/cpu/cpu0/cache";
            if (Directory.Exists(root))
            {
                foreach (var dir in Directory.GetDirectories(root, "index*"))
                {
                    string level = Read(dir, "level"), type = Read(dir, "type");
                    int size = ParseSize(Read(dir, "size"));
                    if (size <= 0) continue;
                    if (level == "1" && type == "Data") { l1 = size; source = "sysfs"; }
                    else if (level == "2" && type is "Unified" or "Data") { l2 = size; source = "sysfs"; }
                    else if (level == "3") { l3 = size; source = "sysfs"; }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Keep the defaults: the sizes only tune block sizes, never change results' correctness.
        }
        if (Env("SOURCEGENNN_L1") is int e1) { l1 = e1; source = "environment"; }
        if (Env("SOURCEGENNN_L2") is int e2) { l2 = e2; source = "environment"; }
        if (Env("SOURCEGENNN_L3") is int e3) { l3 = e3; source = "environment"; }
        L1Data = Math.Clamp(l1, 8 << 10, 1 << 20);
        L2 = Math.Clamp(l2, 64 << 10, 64 << 20);
        L3 = Math.Clamp(l3, 0, 1 << 30);
        Source = source;
    }

    private static string Read(string dir, string file)
    {
        string path = Path.Combine(dir, file);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "";
    }

    /// <summary>"48K", "1024K", "32M" or a plain byte count.</summary>
    internal static int ParseSize(string text)
    {
        if (text.Length == 0) return 0;
        long scale = 1;
        char last = char.ToUpperInvariant(text[^1]);
        if (last == 'K') scale = 1 << 10;
        else if (last == 'M') scale = 1 << 20;
        else if (last == 'G') scale = 1 << 30;
        string digits = scale == 1 ? text : text[..^1];
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v) && v > 0
            ? (int)Math.Min(v * scale, int.MaxValue)
            : 0;
    }

    private static int? Env(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) && v > 0 ? v : null;
}
