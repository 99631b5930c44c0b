using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SourceGenNN.IO;
using SourceGenNN.Tests.Data;
using SourceGenNN.Tests.Training;
using Xunit;

namespace SourceGenNN.Tests.IO;

/// <summary>
/// A save killed mid-write leaves its temporary file; the next save or load of the same target removes it, and only
/// it: not one a live save holds, not a fresh one, not another target's. Killing real processes mid-save is
/// <c>SourceGenNN.Fuzz --kill-saves</c>, which <c>scripts/fuzz.sh</c> runs in CI.
/// </summary>
public class TemporaryFileTests
{
    /// <summary>A temporary file as a killed save of <paramref name="target"/> leaves it: half-written, last written <paramref name="age"/> ago.</summary>
    private static string Leftover(TempDir tmp, string target, TimeSpan age)
    {
        string path = tmp.File("." + target + "." + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllBytes(path, new byte[1000]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    public static IEnumerable<object[]> Operations() =>
    [
        ["WeightFile.Save"], ["WeightFile.Load"], ["SafeTensors.Save"], ["SafeTensors.Load"],
    ];

    private static void Run(string operation, string path)
    {
        var net = new DigitsMlp(seed: 1);
        switch (operation)
        {
            case "WeightFile.Save": WeightFile.Save(net, path); break;
            case "WeightFile.Load": Record.Exception(() => WeightFile.Load(net, path)); break; // a missing target is fine: the clean-up comes first
            case "SafeTensors.Save": SafeTensors.Save(net, path); break;
            default: Record.Exception(() => SafeTensors.Load(net, path)); break;
        }
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public void A_later_save_or_load_removes_what_killed_saves_left_and_nothing_else(string operation)
    {
        using var tmp = new TempDir();
        var stale = Enumerable.Range(0, 3).Select(_ => Leftover(tmp, "w", Minute)).ToArray();
        string fresh = Leftover(tmp, "w", TimeSpan.Zero);                // too young: could be a save that has not locked it yet
        string other = Leftover(tmp, "other", Minute);                   // another target's
        string held = Leftover(tmp, "w", Minute);                        // a live save's: it holds the file exclusively
        string lookalike = tmp.File(".w.not-a-guid.tmp");
        File.WriteAllText(lookalike, "x");
        File.SetLastWriteTimeUtc(lookalike, DateTime.UtcNow - Minute);
        using (new FileStream(held, FileMode.Open, FileAccess.Write, FileShare.None))
            Run(operation, tmp.File("w"));
        foreach (var s in stale) Assert.False(File.Exists(s), $"{operation} left {Path.GetFileName(s)}");
        foreach (var kept in new[] { fresh, other, held, lookalike }) Assert.True(File.Exists(kept), $"{operation} removed {Path.GetFileName(kept)}");
    }

    [Fact]
    public void A_target_name_with_wildcards_removes_only_its_own_temporary_files()
    {
        using var tmp = new TempDir();
        if (OperatingSystem.IsWindows()) return; // '*' is not allowed in Windows names
        string mine = Leftover(tmp, "a*b", Minute);
        string theirs = Leftover(tmp, "aXb", Minute);
        WeightFile.Save(new DigitsMlp(), tmp.File("a*b"));
        Assert.False(File.Exists(mine));
        Assert.True(File.Exists(theirs));
    }

    [Fact]
    public void Temporary_file_names_are_recognised_exactly()
    {
        string guid = Guid.NewGuid().ToString("N");
        Assert.True(AtomicFile.IsTemporaryOf(".w." + guid + ".tmp", "w"));
        Assert.True(AtomicFile.IsTemporaryOf(".w.sgnn." + guid + ".tmp", "w.sgnn"));
        Assert.False(AtomicFile.IsTemporaryOf(".w.sgnn." + guid + ".tmp", "w"));
        Assert.False(AtomicFile.IsTemporaryOf(".w." + guid.ToUpperInvariant() + ".tmp", "w"));
        Assert.False(AtomicFile.IsTemporaryOf(".w." + guid[..31] + ".tmp", "w"));
        Assert.False(AtomicFile.IsTemporaryOf("w." + guid + ".tmp", "w"));
        Assert.False(AtomicFile.IsTemporaryOf(".w." + guid + ".tmp2", "w"));
    }
}
