using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit.Sdk;

namespace SourceGenNN.Generator.Tests;

/// <summary>
/// A small snapshot helper with Verify's conventions: the expected text lives in
/// <c>Snapshots/{TestClass}.{TestMethod}#{name}.verified.cs</c> beside the tests and is committed. On a mismatch the
/// actual text is written to <c>.received.cs</c> next to it and the test fails with a diff. Accepting is deliberate:
/// copy the received file over the verified one, or run once with <c>SOURCEGENNN_ACCEPT=1</c> (never set in CI).
/// </summary>
internal static class Snapshot
{
    public static void Verify(string actual, string name, [CallerFilePath] string callerFile = "", [CallerMemberName] string method = "", string? testClass = null)
    {
        string dir = Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots");
        string cls = testClass ?? Path.GetFileNameWithoutExtension(callerFile);
        string stem = Path.Combine(dir, $"{cls}.{method}#{name}");
        string verified = stem + ".verified.cs", received = stem + ".received.cs";
        actual = Normalize(actual);
        bool accept = Environment.GetEnvironmentVariable("SOURCEGENNN_ACCEPT") == "1" && Environment.GetEnvironmentVariable("CI") is null;
        if (!File.Exists(verified))
        {
            if (accept)
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(verified, actual);
                return;
            }
            File.WriteAllText(received, actual);
            throw new XunitException($"No verified snapshot {Path.GetFileName(verified)}. The output was written to {received}; review it and rename it to .verified.cs to accept.");
        }
        string expected = Normalize(File.ReadAllText(verified));
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        if (accept)
        {
            File.WriteAllText(verified, actual);
            return;
        }
        File.WriteAllText(received, actual);
        throw new XunitException($"Snapshot {Path.GetFileName(verified)} differs; the output was written to {Path.GetFileName(received)}.\n{Diff(expected, actual)}");
    }

    private static string Normalize(string s) => s.Replace("\r\n", "\n").TrimStart('\uFEFF');

    /// <summary>A line diff: the first differing region with a few lines of context.</summary>
    private static string Diff(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        int first = 0;
        while (first < e.Length && first < a.Length && e[first] == a[first]) first++;
        int ee = e.Length - 1, ae = a.Length - 1;
        while (ee > first && ae > first && e[ee] == a[ae]) { ee--; ae--; }
        var sb = new StringBuilder();
        for (int i = Math.Max(0, first - 3); i < first; i++) sb.Append("  ").Append(e[i]).Append('\n');
        for (int i = first; i <= ee && i < e.Length; i++) sb.Append("- ").Append(e[i]).Append('\n');
        for (int i = first; i <= ae && i < a.Length; i++) sb.Append("+ ").Append(a[i]).Append('\n');
        return $"@@ line {first + 1} @@\n" + sb;
    }
}
