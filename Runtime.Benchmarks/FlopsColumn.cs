using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SourceGenNN.Benchmarks;

/// <summary>
/// The GFLOP/s and "% peak" columns of the BenchmarkDotNet summary, for the benchmarks whose flops are counted: the
/// GEMM shapes (2·M·N·K), W5's train step (<see cref="Workloads.W5Flops"/>) and W5's forward pass
/// (<see cref="Workloads.W5ForwardFlops"/>). GFLOP/s is over the median time; the peak is the measured one at the
/// benchmark's thread count (<see cref="Peak"/>), set by <see cref="Program"/> before the run.
/// </summary>
public sealed class FlopsColumn : IColumn
{
    private readonly bool _percent;

    private FlopsColumn(bool percent) => _percent = percent;

    /// <summary>GFLOP/s over the median time.</summary>
    public static FlopsColumn Gflops { get; } = new(false);

    /// <summary>That as a percentage of the measured peak at the benchmark's thread count.</summary>
    public static FlopsColumn PercentOfPeak { get; } = new(true);

    /// <summary>The measured peak in GFLOP/s by thread count (empty: the "% peak" column shows "-").</summary>
    public static Dictionary<int, double> PeakGflops { get; } = [];

    /// <summary>The instruction set of the measured peak (see <see cref="Peak.InstructionSet"/>).</summary>
    public static string PeakInstructionSet { get; set; } = Peak.InstructionSet;

    /// <inheritdoc/>
    public string Id => _percent ? "SourceGenNN.PercentOfPeak" : "SourceGenNN.Gflops";

    /// <inheritdoc/>
    public string ColumnName => _percent ? "% peak" : "GFLOP/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => _percent ? 1 : 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => _percent
        ? $"GFLOP/s as a percentage of the measured {PeakInstructionSet} peak at the benchmark's thread count (register-only FMA loop, thread CPU time)"
        : "Floating-point operations per second over the median time (GEMM: 2·M·N·K; W5: see docs/benchmarks.md)";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        double? median = summary[benchmarkCase]?.ResultStatistics?.Median;
        double? gflops = GflopsOf(benchmarkCase, median);
        if (gflops is null) return "-";
        if (!_percent) return gflops.Value.ToString("F1", CultureInfo.InvariantCulture);
        double? percent = PercentOfPeakOf(benchmarkCase, gflops.Value);
        return percent is null ? "-" : percent.Value.ToString("F0", CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>Shown only when some benchmark of the run has counted flops.</summary>
    /// <param name="summary">The summary.</param>
    /// <returns>True when the column has a value to show.</returns>
    public bool IsAvailable(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return summary.BenchmarksCases.Any(bc => FlopsOf(bc) is not null);
    }

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public override string ToString() => ColumnName;

    /// <summary>The floating-point operations of one call of the benchmark, or null where they are not counted.</summary>
    /// <param name="benchmarkCase">The benchmark case.</param>
    /// <returns>The flops, or null.</returns>
    public static long? FlopsOf(BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var type = benchmarkCase.Descriptor.Type;
        if (type == typeof(GEMM_Shapes)) return GemmShapes.Get((string)benchmarkCase.Parameters["Shape"]).Flops;
        if (type == typeof(W5_TrainWide) || type == typeof(W5_TrainWideThreads)) return Workloads.W5Flops;
        if (type == typeof(W5F_ForwardWide)) return Workloads.W5ForwardFlops;
        return null;
    }

    /// <summary>The threads the benchmark's kernels use: its <c>Threads</c> parameter, else 1.</summary>
    /// <param name="benchmarkCase">The benchmark case.</param>
    /// <returns>The thread count.</returns>
    public static int ThreadsOf(BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        return benchmarkCase.Parameters.Items.Any(p => p.Name == "Threads")
            ? Convert.ToInt32(benchmarkCase.Parameters["Threads"], CultureInfo.InvariantCulture)
            : 1;
    }

    /// <summary>GFLOP/s at this median time (ns), or null.</summary>
    /// <param name="benchmarkCase">The benchmark case.</param>
    /// <param name="medianNs">Its median time in nanoseconds.</param>
    /// <returns>GFLOP/s, or null where flops are not counted or there is no time.</returns>
    public static double? GflopsOf(BenchmarkCase benchmarkCase, double? medianNs) =>
        FlopsOf(benchmarkCase) is long flops && medianNs is double ns && ns > 0 ? flops / ns : null;

    /// <summary>GFLOP/s as a percentage of the measured peak at the benchmark's thread count, or null without a peak.</summary>
    /// <param name="benchmarkCase">The benchmark case.</param>
    /// <param name="gflops">Its GFLOP/s.</param>
    /// <returns>The percentage, or null.</returns>
    public static double? PercentOfPeakOf(BenchmarkCase benchmarkCase, double gflops) =>
        PeakGflops.TryGetValue(ThreadsOf(benchmarkCase), out double peak) && peak > 0 ? 100 * gflops / peak : null;
}
