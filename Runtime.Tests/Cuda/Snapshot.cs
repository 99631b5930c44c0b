using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

/// <summary>
/// A tiny snapshot check: compares text with Snapshots/NAME.verified.cu next to the calling test file. On a mismatch it
/// writes NAME.received.cu and fails with a line diff. Accepting is deliberate: SOURCEGENNN_ACCEPT=1 overwrites the
/// verified file, and is refused when CI is set.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string actual, string name, [CallerFilePath] string callerPath = "")
    {
        string dir = Path.Combine(Path.GetDirectoryName(callerPath)!, "Snapshots");
        string verified = Path.Combine(dir, name + ".verified.cu");
        string received = Path.Combine(dir, name + ".received.cu");
        actual = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        string? expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        bool accept = Environment.GetEnvironmentVariable("SOURCEGENNN_ACCEPT") == "1";
        bool ci = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
        if (accept && !ci)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(verified, actual);
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        Directory.CreateDirectory(dir);
        File.WriteAllText(received, actual);
        string why = expected is null ? $"no verified snapshot {verified} exists" : "the text differs from " + verified;
        Assert.Fail($"Snapshot '{name}': {why}.\nReceived: {received}\n" +
                    (accept && ci ? "SOURCEGENNN_ACCEPT is ignored because CI is set.\n" : "Review it, then accept with SOURCEGENNN_ACCEPT=1.\n") +
                    Diff(expected ?? "", actual));
    }

    /// <summary>A line diff (longest common subsequence): "-" lines only in the expected text, "+" only in the actual.</summary>
    internal static string Diff(string expected, string actual, int maxLines = 80)
    {
        string[] a = expected.Split('\n'), b = actual.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var lines = new List<string>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { x++; y++; }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1])) lines.Add($"-{x + 1,5}: {a[x++]}");
            else lines.Add($"+{y + 1,5}: {b[y++]}");
        }
        var sb = new StringBuilder();
        for (int i = 0; i < Math.Min(lines.Count, maxLines); i++) sb.Append(lines[i]).Append('\n');
        if (lines.Count > maxLines) sb.Append("... ").Append(lines.Count - maxLines).Append(" more changed lines\n");
        return sb.ToString();
    }
}
