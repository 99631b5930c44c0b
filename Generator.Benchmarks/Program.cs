using BenchmarkDotNet.Running;

namespace SourceGenNN.Generator.Benchmarks;

/// <summary>
/// Runs the generator benchmarks: <c>dotnet run -c Release --project Generator.Benchmarks -- --filter '*'</c>
/// (BenchmarkDotNet), or <c>-- --timing [runs]</c> for the generator's time as the compiler reports it.
/// </summary>
public static class Program
{
    /// <summary>Entry point; BenchmarkDotNet's command line.</summary>
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--timing")
        {
            Timing.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 50);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
