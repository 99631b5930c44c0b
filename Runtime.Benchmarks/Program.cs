using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace SourceGenNN.Benchmarks;

/// <summary>
/// The benchmark program. Usage:
/// <code>
/// dotnet run -c Release --project Runtime.Benchmarks -- [--verify] [--quick] [--workloads W1,W5] [--artifacts DIR]
/// </code>
/// <c>--verify</c> checks that the plain and generated versions compute the same thing and exits (non-zero on a
/// mismatch). Otherwise the BenchmarkDotNet suite runs in process, single-threaded, and writes BenchmarkDotNet's JSON,
/// CSV and Markdown reports plus <c>sourcegennn-results.json</c> (one row per workload, batch and implementation) to the
/// artifacts folder (default <c>artifacts/bench</c>).
/// </summary>
public static class Program
{
    private static readonly Type[] s_benchmarks =
        [typeof(W1_TrainMlp), typeof(W2_ForwardMlp), typeof(W3_ForwardCourse), typeof(W4_TrainBinary), typeof(W5_TrainWide),
         typeof(W5_TrainWideThreads), typeof(W7_TrainLstm), typeof(W7_ForwardLstm)];

    /// <summary>The entry point.</summary>
    /// <param name="args">The command line; see the class summary.</param>
    /// <returns>0 on success.</returns>
    public static int Main(string[] args)
    {
        bool verify = false, quick = false;
        string artifacts = Path.Combine("artifacts", "bench");
        HashSet<string>? workloads = null;
        for (int k = 0; k < args.Length; k++)
        {
            switch (args[k])
            {
                case "--verify": verify = true; break;
                case "--quick": quick = true; break;
                case "--artifacts" when k + 1 < args.Length: artifacts = args[++k]; break;
                case "--workloads" when k + 1 < args.Length:
                    workloads = new HashSet<string>(args[++k].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                        StringComparer.OrdinalIgnoreCase);
                    break;
                case "-h" or "--help":
                    Console.WriteLine("usage: SourceGenNN.Runtime.Benchmarks [--verify] [--quick] [--workloads W1,W2,...] [--artifacts DIR]");
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[k]}' (try --help)");
                    return 2;
            }
        }
        Func<string, bool> wanted = w => workloads is null || workloads.Contains(w);

        if (verify) return Verify.Run(wanted) == 0 ? 0 : 1;
        Console.WriteLine($"kernel threads: 1 (Parallelism.MaxThreads; the W5 two-thread benchmark sets 2), processors: {Environment.ProcessorCount}");

        var types = s_benchmarks.Where(t => wanted(WorkloadOf(t))).ToArray();
        if (types.Length == 0)
        {
            Console.Error.WriteLine("no workload selected");
            return 2;
        }
        artifacts = Path.GetFullPath(artifacts);
        Directory.CreateDirectory(artifacts);
        string loadBefore = LoadAverage();
        var summaries = BenchmarkRunner.Run(types, CreateConfig(quick, artifacts));
        string path = WriteResults(summaries, artifacts, quick, loadBefore, LoadAverage());
        Console.WriteLine($"results: {path}");
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>
    /// The suite's configuration: in-process (no per-benchmark project build), one launch, a short warm-up and a
    /// fixed number of iterations of about a quarter second each, workstation non-concurrent GC, memory diagnoser,
    /// JSON/CSV/Markdown exporters, and one joined summary.
    /// </summary>
    /// <param name="quick">Fewer, shorter iterations, for a smoke run.</param>
    /// <param name="artifacts">Where BenchmarkDotNet writes its reports and logs.</param>
    /// <returns>The configuration.</returns>
    public static IConfig CreateConfig(bool quick, string artifacts)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 1 : 3)
            .WithIterationCount(quick ? 5 : 11)
            .WithIterationTime(TimeInterval.FromMilliseconds(quick ? 100 : 250))
            .WithGcServer(false)
            .WithGcConcurrent(false)
            .WithId(quick ? "quick" : "short");
        return ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(StatisticColumn.Median, StatisticColumn.Min)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(JsonExporter.Full, CsvExporter.Default, MarkdownExporter.GitHub)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.JoinSummary);
    }

    private static string WorkloadOf(Type t) => t.Name[..t.Name.IndexOf('_', StringComparison.Ordinal)];

    /// <summary>The first three fields of /proc/loadavg ("1-min 5-min 15-min"), or "n/a" where it cannot be read.</summary>
    private static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(" / ", parts.Take(3));
        }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }

    private static string WriteResults(Summary[] summaries, string artifacts, bool quick, string loadBefore, string loadAfter)
    {
        var rows = new List<Dictionary<string, object?>>();
        foreach (var summary in summaries)
        {
            foreach (var report in summary.Reports)
            {
                var bc = report.BenchmarkCase;
                var stats = report.ResultStatistics;
                rows.Add(new Dictionary<string, object?>
                {
                    ["workload"] = WorkloadOf(bc.Descriptor.Type),
                    ["benchmark"] = bc.Descriptor.Type.Name,
                    ["implementation"] = bc.Descriptor.WorkloadMethod.Name == "Generated" ? "generated" : "plain",
                    ["batch"] = Convert.ToInt32(bc.Parameters["Batch"], CultureInfo.InvariantCulture),
                    ["threads"] = bc.Parameters.Items.Any(p => p.Name == "Threads")
                        ? Convert.ToInt32(bc.Parameters["Threads"], CultureInfo.InvariantCulture)
                        : 1,
                    ["success"] = report.Success && stats is not null,
                    ["median_ns"] = stats?.Median,
                    ["mean_ns"] = stats?.Mean,
                    ["min_ns"] = stats?.Min,
                    ["max_ns"] = stats?.Max,
                    ["stddev_ns"] = stats?.StandardDeviation,
                    ["iterations"] = stats?.N,
                    ["allocated_bytes_per_op"] = report.GcStats.GetBytesAllocatedPerOperation(bc),
                });
            }
        }
        var doc = new Dictionary<string, object?>
        {
            ["tool"] = "BenchmarkDotNet (in-process, see Runtime.Benchmarks/Program.cs)",
            ["quick"] = quick,
            ["machine"] = new Dictionary<string, object?>
            {
                ["runtime"] = RuntimeInformation.FrameworkDescription,
                ["os"] = RuntimeInformation.OSDescription,
                ["processor_count"] = Environment.ProcessorCount,
                ["vector512"] = Vector512.IsHardwareAccelerated,
                ["vector256"] = Vector256.IsHardwareAccelerated,
            },
            ["loadavg_before"] = loadBefore,
            ["loadavg_after"] = loadAfter,
            ["w5_flops_per_step"] = Workloads.W5Flops,
            ["results"] = rows,
        };
        string path = Path.Combine(artifacts, "sourcegennn-results.json");
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
        return path;
    }
}
