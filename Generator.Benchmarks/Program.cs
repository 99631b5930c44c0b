using BenchmarkDotNet.Running;

namespace SourceGenNN.Generator.Benchmarks;

/// <summary>Runs the generator benchmarks: <c>dotnet run -c Release --project Generator.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    /// <summary>Entry point; BenchmarkDotNet's command line.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
