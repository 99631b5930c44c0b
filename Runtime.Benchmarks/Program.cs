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
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using SourceGenNN.Kernels;

namespace SourceGenNN.Benchmarks;

/// <summary>
/// The benchmark program. Usage:
/// <code>
/// dotnet run -c Release --project Runtime.Benchmarks -- [--verify] [--quick] [--workloads W1,W5,W5F,W7,GEMM] [--artifacts DIR] [--peak-file FILE]
/// dotnet run -c Release --project Runtime.Benchmarks -- --peak [--quick] [--peak-threads 1,2]
/// dotnet run -c Release --project Runtime.Benchmarks -- --gemm-cputime [--quick]
/// dotnet run -c Release --project Runtime.Benchmarks -- --export-weights DIR
/// dotnet run -c Release --project Runtime.Benchmarks -- --conv-kernels [--quick]
/// </code>
/// <c>--conv-kernels</c> times the convolution kernel candidates (<see cref="ConvKernels"/>) instead of the workloads.
/// <c>--peak</c> measures the machine's peak (<see cref="Peak"/>) and prints it as JSON; <c>--gemm-cputime</c> times the
/// GEMM shapes by wall clock and thread CPU time (<see cref="GemmCpuTime"/>) and prints JSON; <c>--export-weights DIR</c>
/// writes the weights the ONNX models are exported from (<see cref="OnnxModels"/>). <c>--verify</c> checks that the
/// plain versions, ONNX Runtime (where its models exist) and the GEMM benchmark compute what the generated networks and
/// the kernels' definitions say, and exits (non-zero on a mismatch). Otherwise the BenchmarkDotNet suite runs in
/// process, single-threaded, and writes BenchmarkDotNet's JSON, CSV and Markdown reports plus
/// <c>sourcegennn-results.json</c> (one row per workload, batch and implementation) to the artifacts folder (default
/// <c>artifacts/bench</c>). Workloads are W1–W6, W5F (W5's forward pass alone), W7 (an LSTM classifier), W8 and W8F (a transformer encoder layer's train step and forward pass) and GEMM (the raw matrix products of W1
/// and W5); <c>--workloads</c> selects by exact id. ONNX Runtime's models are read from <c>--onnx DIR</c> (see
/// <see cref="OnnxModels.Directory"/>). The GFLOP/s and "% peak" columns divide by the peak in <c>--peak-file</c> (the
/// JSON of <c>--peak</c>), or by a quick measurement made before the run.
/// </summary>
public static class Program
{
    private static readonly Type[] s_benchmarks =
        [typeof(W1_TrainMlp), typeof(W2_ForwardMlp), typeof(W3_ForwardCourse), typeof(W4_TrainBinary), typeof(W5_TrainWide),
         typeof(W5_TrainWideThreads), typeof(W5F_ForwardWide), typeof(W6_TrainCnn), typeof(W6_ForwardCnn), typeof(GEMM_Shapes), typeof(W7_TrainLstm), typeof(W7_ForwardLstm), typeof(W8_TrainTransformer), typeof(W8F_ForwardTransformer)];

    /// <summary>The entry point.</summary>
    /// <param name="args">The command line; see the class summary.</param>
    /// <returns>0 on success.</returns>
    public static int Main(string[] args)
    {
        bool verify = false, quick = false, peak = false, gemmCpuTime = false, convKernels = false;
        int[] peakThreads = [1, 2];
        string artifacts = Path.Combine("artifacts", "bench");
        string? peakFile = null, exportWeights = null;
        HashSet<string>? workloads = null;
        for (int k = 0; k < args.Length; k++)
        {
            switch (args[k])
            {
                case "--verify": verify = true; break;
                case "--quick": quick = true; break;
                case "--peak": peak = true; break;
                case "--gemm-cputime": gemmCpuTime = true; break;
                case "--peak-threads" when k + 1 < args.Length:
                    peakThreads = args[++k].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--conv-kernels": convKernels = true; break;
                case "--artifacts" when k + 1 < args.Length: artifacts = args[++k]; break;
                case "--peak-file" when k + 1 < args.Length: peakFile = args[++k]; break;
                case "--onnx" when k + 1 < args.Length: OnnxModels.Directory = args[++k]; break;
                case "--export-weights" when k + 1 < args.Length: exportWeights = args[++k]; break;
                case "--workloads" when k + 1 < args.Length:
                    workloads = new HashSet<string>(args[++k].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                        StringComparer.OrdinalIgnoreCase);
                    break;
                case "-h" or "--help":
                    Console.WriteLine("usage: SourceGenNN.Runtime.Benchmarks [--verify] [--quick] [--workloads W1,W2,...,W5F,W6,W7,W8,W8F,GEMM] [--artifacts DIR] [--peak-file FILE] [--onnx DIR]");
                    Console.WriteLine("       SourceGenNN.Runtime.Benchmarks --peak [--quick] [--peak-threads 1,2]   (JSON on stdout)");
                    Console.WriteLine("       SourceGenNN.Runtime.Benchmarks --gemm-cputime [--quick]   (the GEMM shapes by thread CPU time, JSON on stdout)");
                    Console.WriteLine("       SourceGenNN.Runtime.Benchmarks --export-weights DIR   (safetensors for bench/pytorch_peer.py --export-onnx DIR)");
                    Console.WriteLine("       SourceGenNN.Runtime.Benchmarks --conv-kernels [--quick]   (the convolution kernel candidates)");
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[k]}' (try --help)");
                    return 2;
            }
        }
        Func<string, bool> wanted = w => workloads is null || workloads.Contains(w);

        if (peak)
        {
            Console.WriteLine(JsonSerializer.Serialize(Peak.Report(peakThreads, quick), new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        if (gemmCpuTime)
        {
            Parallelism.MaxThreads = 1;
            Console.WriteLine(JsonSerializer.Serialize(GemmCpuTime.Report(quick), new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        if (exportWeights is not null)
        {
            OnnxModels.ExportWeights(exportWeights);
            return 0;
        }
        if (verify) return Verify.Run(wanted) == 0 ? 0 : 1;
        if (convKernels)
        {
            var kernels = BenchmarkRunner.Run<ConvKernels>(CreateConfig(quick, Path.GetFullPath(Path.Combine(artifacts, "conv-kernels"))));
            return kernels.HasCriticalValidationErrors || kernels.Reports.Any(r => !r.Success) ? 1 : 0;
        }
        Console.WriteLine($"kernel threads: 1 (Parallelism.MaxThreads; the W5 two-thread benchmark sets 2), processors: {Environment.ProcessorCount}");

        var types = s_benchmarks.Where(t => wanted(WorkloadOf(t))).ToArray();
        if (types.Length == 0)
        {
            Console.Error.WriteLine("no workload selected");
            return 2;
        }
        artifacts = Path.GetFullPath(artifacts);
        Directory.CreateDirectory(artifacts);
        if (peakFile is not null || types.Any(t => t == typeof(GEMM_Shapes) || t.Name.StartsWith("W5", StringComparison.Ordinal)))
            LoadPeak(peakFile, quick); // only the GEMM and W5 benchmarks count flops
        string loadBefore = LoadAverage();
        var config = CreateConfig(quick, artifacts);
        var missing = OnnxModels.Exported
            .Where(e => wanted(e.Workload))
            .SelectMany(e => e.Batches.Where(b => !OnnxModels.Has(e.Workload, b)).Select(b => OnnxModels.PathOf(e.Workload, b)))
            .ToList();
        if (missing.Count > 0)
        {
            Console.WriteLine($"ONNX Runtime benchmarks skipped where the model is missing ({string.Join(", ", missing)}); to make them, {OnnxModels.HowToMake}");
            config = ((ManualConfig)config).AddFilter(new SimpleFilter(bc =>
                bc.Descriptor.WorkloadMethod.Name != "OnnxRuntime" || OnnxModels.Has(WorkloadOf(bc.Descriptor.Type),
                    Convert.ToInt32(bc.Parameters["Batch"], CultureInfo.InvariantCulture))));
        }
        var summaries = BenchmarkRunner.Run(types, config);
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
            .AddColumn(FlopsColumn.Gflops, FlopsColumn.PercentOfPeak)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(JsonExporter.Full, CsvExporter.Default, MarkdownExporter.GitHub)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.JoinSummary);
    }

    /// <summary>
    /// Sets <see cref="FlopsColumn.PeakGflops"/>: from <paramref name="peakFile"/> (the JSON of <c>--peak</c>) when given,
    /// else measured now at 1 and 2 threads with the quick settings.
    /// </summary>
    private static void LoadPeak(string? peakFile, bool quick)
    {
        FlopsColumn.PeakGflops.Clear();
        if (peakFile is not null)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(peakFile));
            FlopsColumn.PeakInstructionSet = doc.RootElement.GetProperty("instruction_set").GetString() ?? "?";
            foreach (var r in doc.RootElement.GetProperty("results").EnumerateArray())
                FlopsColumn.PeakGflops[r.GetProperty("threads").GetInt32()] = r.GetProperty("gflops").GetDouble();
            if (FlopsColumn.PeakInstructionSet != Peak.InstructionSet)
                Console.WriteLine($"warning: {peakFile} measured {FlopsColumn.PeakInstructionSet}, but this process uses {Peak.InstructionSet}");
        }
        else
        {
            foreach (int threads in new[] { 1, 2 })
                FlopsColumn.PeakGflops[threads] = Peak.Measure(threads, runs: 3, seconds: quick ? 0.1 : 0.2).Gflops;
            FlopsColumn.PeakInstructionSet = Peak.InstructionSet;
        }
        Console.WriteLine($"peak ({FlopsColumn.PeakInstructionSet}{(peakFile is null ? ", measured now" : ", from " + peakFile)}): "
            + string.Join(", ", FlopsColumn.PeakGflops.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} thread(s) {p.Value:F1} GFLOP/s"))));
    }

    private static string WorkloadOf(Type t) => t.Name[..t.Name.IndexOf('_', StringComparison.Ordinal)];

    /// <summary>The first three fields of /proc/loadavg ("1-min 5-min 15-min"), or "n/a" where it cannot be read.</summary>
    internal static string LoadAverage()
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
                bool hasBatch = bc.Parameters.Items.Any(p => p.Name == "Batch");
                var shape = bc.Descriptor.Type == typeof(GEMM_Shapes) ? GemmShapes.Get((string)bc.Parameters["Shape"]) : null;
                double? gflops = FlopsColumn.GflopsOf(bc, stats?.Median);
                rows.Add(new Dictionary<string, object?>
                {
                    ["workload"] = WorkloadOf(bc.Descriptor.Type),
                    ["benchmark"] = bc.Descriptor.Type.Name,
                    // generated, plain, onnxruntime or kernel (the GEMM benchmark): the method's name in lower case
                    ["implementation"] = bc.Descriptor.WorkloadMethod.Name.ToLowerInvariant(),
                    ["batch"] = hasBatch ? Convert.ToInt32(bc.Parameters["Batch"], CultureInfo.InvariantCulture) : null,
                    ["threads"] = FlopsColumn.ThreadsOf(bc),
                    ["shape"] = shape?.Id,
                    ["shape_index"] = shape is null ? null : GemmShapes.All.ToList().IndexOf(shape),
                    ["kernel"] = shape?.Kernel,
                    ["m"] = shape?.M,
                    ["n"] = shape?.N,
                    ["k"] = shape?.K,
                    ["role"] = shape?.Role,
                    ["flops"] = FlopsColumn.FlopsOf(bc),
                    ["gflops"] = gflops,
                    ["percent_of_peak"] = gflops is double g ? FlopsColumn.PercentOfPeakOf(bc, g) : null,
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
            ["w6_train_flops_per_step"] = Workloads.W6TrainFlops,
            ["w6_forward_flops_per_sample"] = Workloads.W6ForwardFlopsPerSample,
            ["w5_forward_flops"] = Workloads.W5ForwardFlops,
            ["peak_instruction_set"] = FlopsColumn.PeakInstructionSet,
            ["peak_gflops"] = FlopsColumn.PeakGflops.ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value),
            ["instruction_set"] = Peak.InstructionSet,
            ["onnx_directory"] = Path.GetFullPath(OnnxModels.Directory),
            ["onnxruntime_version"] = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString(),
            ["results"] = rows,
        };
        string path = Path.Combine(artifacts, "sourcegennn-results.json");
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
        return path;
    }
}
