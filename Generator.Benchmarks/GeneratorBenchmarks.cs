using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SourceGenNN.Generator.Benchmarks;

/// <summary>
/// How long the source generator adds to a build: one full run over a project holding one network of
/// <see cref="Layers"/> layers (Dense and ReLU in turn), and an edit elsewhere in the project after a first run, when
/// the incremental pipeline should reuse everything. Each full run gets a fresh compilation, so attribute binding,
/// shape checks and emission are all measured, not a cache.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>Layers in the network (a Dense and its ReLU count as two).</summary>
    [Params(2, 20, 500)]
    public int Layers { get; set; }

    private SyntaxTree[] _trees = [];
    private ImmutableArray<MetadataReference> _references;
    private GeneratorDriver _warm = null!;
    private CSharpCompilation _edited = null!;

    /// <summary>The network declaration with <paramref name="layers"/> layers.</summary>
    public static string Source(int layers)
    {
        var s = new StringBuilder("using SourceGenNN;\nnamespace App;\n[Network(16)]\n");
        for (int i = 0; i < layers; i++) s.Append(i % 2 == 0 ? "[Dense(16)]\n" : "[ReLU]\n");
        return s.Append("public partial class Net { }\n").ToString();
    }

    /// <summary>Parses the sources once and runs the generator once (the warm driver the edit benchmark starts from).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _trees =
        [
            CSharpSyntaxTree.ParseText(Source(Layers), ParseOptions, path: "Net.cs"),
            CSharpSyntaxTree.ParseText("namespace App; public static class Other { public static int F() => 1; }", ParseOptions, path: "Other.cs"),
        ];
        _references = References();
        var first = Compilation();
        _warm = Driver().RunGenerators(first);
        var other = _trees[1];
        _edited = first.ReplaceSyntaxTree(other, other.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            "namespace App; public static class Other { public static int F() => 2; }")));
        int generated = _warm.GetRunResult().GeneratedTrees.Length;
        if (generated != 1 || _warm.GetRunResult().Diagnostics.Length != 0)
            throw new InvalidOperationException($"expected one generated file and no diagnostics, got {generated} and {string.Join("; ", _warm.GetRunResult().Diagnostics)}");
    }

    /// <summary>The framework's System assemblies and the runtime: what a project using SourceGenNN compiles against.</summary>
    public static ImmutableArray<MetadataReference> References()
    {
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return tpa.Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(INetwork).Assembly.Location))
            .ToImmutableArray();
    }

    private CSharpCompilation Compilation() => CSharpCompilation.Create("Bench", _trees, _references,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    private static GeneratorDriver Driver() => CSharpGeneratorDriver.Create([new NetworkGenerator().AsSourceGenerator()], parseOptions: ParseOptions);

    /// <summary>A full generator run, as on a clean build.</summary>
    [Benchmark]
    public GeneratorDriver FullRun() => Driver().RunGenerators(Compilation());

    /// <summary>A run after an edit to another file (the IDE's case on each keystroke): the network's output is reused.</summary>
    [Benchmark]
    public GeneratorDriver EditElsewhere() => _warm.RunGenerators(_edited);
}
