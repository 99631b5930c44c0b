using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SourceGenNN.Generator;

namespace SourceGenNN.Generator.Tests;

/// <summary>Runs the generator on source text, as the compiler would, against the real runtime assembly.</summary>
internal static class GeneratorHarness
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var refs = tpa.Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        refs.Add(MetadataReference.CreateFromFile(typeof(SourceGenNN.INetwork).Assembly.Location));
        // The optional plotting package and its ScottPlot, for the documentation's figure examples (DocExampleTests).
        refs.Add(MetadataReference.CreateFromFile(typeof(SourceGenNN.Plots.Figures).Assembly.Location));
        refs.Add(MetadataReference.CreateFromFile(typeof(ScottPlot.Plot).Assembly.Location));
        return refs.ToImmutableArray();
    });

    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create(
        "Tests",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Input{i}.cs")),
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(bool trackSteps = false) => CreateDriver(new NetworkGenerator(), trackSteps);

    /// <summary>A driver for any incremental generator (the tests use stand-ins to show a check can fail).</summary>
    public static GeneratorDriver CreateDriver(IIncrementalGenerator generator, bool trackSteps = false) => CSharpGeneratorDriver.Create(
        new[] { generator.AsSourceGenerator() },
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>The generator's run result and the compilation with its output added.</summary>
    public static (GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(params string[] sources)
    {
        var compilation = Compile(sources);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (driver.GetRunResult(), output, diagnostics);
    }

    /// <summary>Only the compile errors of the generated code plus the user's code (what a user would see).</summary>
    public static IEnumerable<Diagnostic> Errors(Compilation c) =>
        c.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error);
}
