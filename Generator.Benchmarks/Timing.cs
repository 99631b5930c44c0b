using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SourceGenNN.Generator.Benchmarks;

/// <summary>
/// <c>--timing</c>: the generator's own time as the compiler reports it (<see cref="GeneratorDriver.GetTimingInfo"/>,
/// what <c>dotnet build -p:ReportAnalyzer=true</c> prints), for a cold run on a fresh compilation, over many runs.
/// The compilation has resolved its references first, as a build's has before generators run, so the figure is the
/// generator's: finding the attributes, binding them, checking the shapes and writing the source. The minimum is the
/// figure for an idle core; the median shows how much a shared machine adds.
/// </summary>
internal static class Timing
{
    public static void Run(int runs)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var references = GeneratorBenchmarks.References();
        Console.WriteLine($"generator time, {runs} cold runs each (ms; GeneratorDriver.GetTimingInfo)");
        Console.WriteLine("layers      min   median      max");
        foreach (int layers in new[] { 2, 20, 500 })
        {
            var tree = CSharpSyntaxTree.ParseText(GeneratorBenchmarks.Source(layers), parse, path: "Net.cs");
            var times = new List<double>();
            for (int i = 0; i < runs + 3; i++) // the first three warm the JIT
            {
                var compilation = CSharpCompilation.Create("Timing", [tree], references,
                    new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
                _ = compilation.GetTypeByMetadataName("SourceGenNN.NetworkAttribute") ?? throw new InvalidOperationException("the runtime is not referenced");
                GeneratorDriver driver = CSharpGeneratorDriver.Create([new NetworkGenerator().AsSourceGenerator()], parseOptions: parse);
                driver = driver.RunGenerators(compilation);
                var result = driver.GetRunResult();
                if (result.GeneratedTrees.Length != 1 || !result.Diagnostics.IsEmpty)
                    throw new InvalidOperationException($"expected one generated file and no diagnostics for {layers} layers");
                if (i >= 3) times.Add(driver.GetTimingInfo().ElapsedTime.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{layers,6} {times[0],8:F2} {times[times.Count / 2],8:F2} {times[^1],8:F2}"));
        }
    }
}
