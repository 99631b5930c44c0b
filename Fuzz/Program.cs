using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using SharpFuzz;

namespace SourceGenNN.Fuzz;

/// <summary>
/// The fuzzer of the two file readers. Modes:
/// <list type="bullet">
/// <item><c>--replay DIR [--mutations N] [--seed S] [--crashes DIR]</c>: every corpus file through every target (and
/// through the public, path-taking API), then N deterministic mutations; pure .NET, what CI runs.</item>
/// <item><c>--afl</c>: the AFL++ target (SharpFuzz), for <c>scripts/fuzz.sh --afl SECONDS</c>.</item>
/// <item><c>--instrument DLL</c>: SharpFuzz-instruments the reader code (<c>SourceGenNN.IO</c>) of a copy of the runtime.</item>
/// <item><c>--run FILE...</c>: what each target does with each file.</item>
/// <item><c>--write-corpus DIR</c>: writes the seed corpus.</item>
/// <item><c>--kill-saves DIR N</c>: kills N saves mid-write (a child running <c>--save-loop</c>) and checks what is left.</item>
/// </list>
/// A failure is any exception other than WeightFileException, a refused load that changed the network or optimiser,
/// an allocation over <see cref="Harness.AllocationBound"/>, or an input that runs longer than the time limit.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            return args.FirstOrDefault() switch
            {
                "--replay" when args.Length >= 2 => Replay(args[1], Option(args, "--mutations", 2000), (ulong)Option(args, "--seed", 1),
                    OptionText(args, "--crashes") ?? Path.Combine(Path.GetTempPath(), "sgnn-fuzz-crashes"), Option(args, "--time-limit-ms", 5000)),
                "--afl" => Afl(),
                "--instrument" when args.Length == 2 => Instrument(args[1]),
                "--run" when args.Length >= 2 => RunFiles(args[1..]),
                "--write-corpus" when args.Length == 2 => WriteCorpus(args[1]),
                "--kill-saves" when args.Length >= 3 => KillSaves.Run(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), (ulong)Option(args, "--seed", 1)),
                "--save-loop" when args.Length == 2 => KillSaves.SaveLoop(args[1]),
                _ => Usage(),
            };
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            return Usage();
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: SourceGenNN.Fuzz --replay DIR [--mutations N] [--seed S] [--crashes DIR] [--time-limit-ms MS]");
        Console.Error.WriteLine("       SourceGenNN.Fuzz --afl | --instrument DLL | --run FILE... | --write-corpus DIR | --kill-saves DIR N [--seed S]");
        return 2;
    }

    private static int Option(string[] args, string name, int fallback) =>
        OptionText(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static string? OptionText(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int WriteCorpus(string dir)
    {
        Corpus.Write(dir, new Harness());
        Console.WriteLine($"wrote {Directory.GetFiles(dir).Length} files to {dir}");
        return 0;
    }

    private static int RunFiles(string[] files)
    {
        var h = new Harness();
        int failures = 0;
        foreach (string file in files)
        {
            Console.WriteLine(file);
            try
            {
                foreach (var o in h.Run(File.ReadAllBytes(file)))
                    Console.WriteLine($"  {o.Target,-34} {(o.Loaded ? "loaded" : "refused: " + o.Refusal)} ({o.Allocated:N0} bytes allocated)");
            }
            catch (FuzzFailure f)
            {
                failures++;
                Console.WriteLine("  FAILURE " + f.Message + Environment.NewLine + f.InnerException);
            }
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The input in progress and when it started, for the watchdog.</summary>
    private static byte[]? _current;
    private static long _startedAt;

    private static int Replay(string corpusDir, int mutations, ulong seed, string crashDir, int timeLimitMs)
    {
        var files = Directory.GetFiles(corpusDir).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            Console.Error.WriteLine($"no corpus files in {corpusDir}");
            return 2;
        }
        var corpus = files.Select(File.ReadAllBytes).ToArray();
        var h = new Harness();
        StartWatchdog(crashDir, timeLimitMs);
        var clock = Stopwatch.StartNew();
        var stats = new Stats();
        int failures = 0;

        for (int i = 0; i < files.Length; i++)
        {
            failures += RunOne(h, corpus[i], $"corpus {Path.GetFileName(files[i])}", crashDir, stats);
            try
            {
                stats.Add(h.RunPublic(files[i]));
            }
            catch (FuzzFailure f)
            {
                failures++;
                Console.WriteLine($"FAILURE on corpus {Path.GetFileName(files[i])} (public API): {f.Message}");
            }
        }
        long corpusRuns = stats.Runs;
        var mutator = new Mutator(seed, corpus);
        for (int i = 0; i < mutations; i++)
            failures += RunOne(h, mutator.Mutate(), $"mutation {i} (seed {seed})", crashDir, stats);
        Volatile.Write(ref _current, null);

        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"replay: {files.Length} corpus files and {mutations} mutations (seed {seed}): {stats.Runs:N0} runs of {Harness.Targets.Length} targets " +
                          $"({corpusRuns} on the corpus) in {seconds:F1} s, {stats.Runs / Math.Max(seconds, 1e-9):N0} runs/s");
        Console.WriteLine($"  {stats.Loaded:N0} loaded, {stats.Refused:N0} refused with WeightFileException ({stats.Reasons.Count} distinct reasons), {failures} failures");
        // A slow input may be the machine (a GC, the JIT, another process): timed again alone, the best of three says which.
        var again = TimeSpan.MaxValue;
        for (int k = 0; k < 3 && stats.SlowestInput is { } slow; k++)
        {
            long start = Stopwatch.GetTimestamp();
            try { h.Run(slow); } catch (FuzzFailure) { }
            var t = Stopwatch.GetElapsedTime(start);
            if (t < again) again = t;
        }
        Console.WriteLine($"  largest allocation {stats.MaxAllocated:N0} bytes; slowest input {stats.Slowest.TotalMilliseconds:F1} ms " +
                          $"({stats.SlowestInput?.Length ?? 0} bytes; {again.TotalMilliseconds:F2} ms when timed again)");
        foreach (var (target, (loaded, refused)) in stats.PerTarget.OrderBy(p => Array.IndexOf(Harness.Targets, p.Key)))
            Console.WriteLine($"  {target,-34} {loaded,7:N0} loaded {refused,8:N0} refused");
        if (failures > 0) Console.WriteLine($"FAILED: {failures} inputs broke a rule; they are in {crashDir}");
        return failures == 0 ? 0 : 1;
    }

    private static int RunOne(Harness h, byte[] input, string what, string crashDir, Stats stats)
    {
        Volatile.Write(ref _current, input);
        Volatile.Write(ref _startedAt, Stopwatch.GetTimestamp());
        try
        {
            var outcomes = h.Run(input);
            stats.Add(outcomes);
            stats.Time(Stopwatch.GetElapsedTime(Volatile.Read(ref _startedAt)), input);
            return 0;
        }
        catch (FuzzFailure f)
        {
            string file = Save(crashDir, "crash", input);
            Console.WriteLine($"FAILURE on {what}: {f.Message} (input: {file})");
            Console.WriteLine(f.InnerException?.StackTrace);
            return 1;
        }
    }

    private static string Save(string dir, string kind, byte[] input)
    {
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, $"{kind}-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(input))[..16].ToLowerInvariant()}.bin");
        File.WriteAllBytes(file, input);
        return file;
    }

    /// <summary>A hang cannot be interrupted in-process: past the limit the input is saved and the process exits with 3.</summary>
    private static void StartWatchdog(string crashDir, int limitMs)
    {
        var watchdog = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(100);
                var input = Volatile.Read(ref _current);
                if (input is null) continue;
                var elapsed = Stopwatch.GetElapsedTime(Volatile.Read(ref _startedAt));
                if (elapsed.TotalMilliseconds > limitMs && ReferenceEquals(input, Volatile.Read(ref _current)))
                {
                    string file = Save(crashDir, "hang", input);
                    Console.WriteLine($"FAILURE: an input ran for more than {limitMs} ms (input: {file})");
                    Environment.Exit(3);
                }
            }
        }) { IsBackground = true, Name = "fuzz watchdog" };
        watchdog.Start();
    }

    private sealed class Stats
    {
        public long Runs, Loaded, Refused, MaxAllocated;
        public TimeSpan Slowest;
        public readonly HashSet<string> Reasons = [];
        public readonly Dictionary<string, (long Loaded, long Refused)> PerTarget = [];

        public void Add(IEnumerable<Outcome> outcomes)
        {
            foreach (var o in outcomes)
            {
                Runs++;
                var (l, r) = PerTarget.GetValueOrDefault(o.Target);
                if (o.Loaded) { Loaded++; l++; }
                else
                {
                    Refused++;
                    r++;
                    Reasons.Add(Regex.Replace(o.Refusal ?? "", "'[^']*'|[0-9]+", "#"));
                }
                PerTarget[o.Target] = (l, r);
                MaxAllocated = Math.Max(MaxAllocated, o.Allocated);
            }
        }

        public byte[]? SlowestInput;

        public void Time(TimeSpan t, byte[] input)
        {
            if (t <= Slowest) return;
            Slowest = t;
            SlowestInput = input;
        }
    }

    private static Harness? _afl;

    private static int Afl()
    {
        // Each input through every target; a FuzzFailure or any other exception escapes and is AFL's crash.
        Fuzzer.OutOfProcess.Run(stream =>
        {
            _afl ??= new Harness();
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            _afl.Run(ms.ToArray());
        });
        return 0;
    }

    private static int Instrument(string dll)
    {
        var types = Fuzzer.Instrument(dll, type => type.StartsWith("SourceGenNN.IO", StringComparison.Ordinal), Options.Value);
        Console.WriteLine($"instrumented {types.Count()} types of {dll}");
        return 0;
    }
}
