using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using SourceGenNN.CodeFixes;
using Xunit;

namespace SourceGenNN.Generator.Tests;

/// <summary>
/// Reports the generator's diagnostics as an analyzer would, so that the Roslyn code-fix test framework can check the
/// fixes for them: in the IDE the fixes attach to the generator's diagnostics the same way, by id and location.
/// </summary>
// A test adapter, never shipped: the rules for analyzers that ship (netstandard2.0, no Workspaces, concurrency) do not apply.
#pragma warning disable RS1026, RS1036, RS1038, RS1041
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GeneratorDiagnosticsAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics =>
        typeof(NetworkGenerator).Assembly.GetType("SourceGenNN.Generator.Diagnostics.DiagnosticDescriptors")!
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor)).Select(f => (DiagnosticDescriptor)f.GetValue(null)!).ToImmutableArray();

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        // Per tree, as the IDE attributes a generator's diagnostics to the documents they are in.
        context.RegisterSemanticModelAction(c =>
        {
            var driver = CSharpGeneratorDriver.Create(new NetworkGenerator());
            driver.RunGeneratorsAndUpdateCompilation(c.SemanticModel.Compilation, out _, out var diagnostics);
            foreach (var d in diagnostics)
                if (d.Location.SourceTree == c.SemanticModel.SyntaxTree) c.ReportDiagnostic(d);
        });
    }
}
#pragma warning restore RS1026, RS1036, RS1038, RS1041

/// <summary>The code fixes, through Microsoft.CodeAnalysis.CSharp.CodeFix.Testing.</summary>
public class CodeFixTests
{
    /// <summary>No reference-assembly package (CI is offline): the running framework's own assemblies and the runtime.</summary>
    private static void AddReferences(SolutionState state)
    {
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        foreach (var p in tpa.Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll"))
            state.AdditionalReferences.Add(MetadataReference.CreateFromFile(p));
        state.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(SourceGenNN.INetwork).Assembly.Location));
    }

    private static async Task Verify<TAnalyzer>(string source, string fixedSource) where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new CSharpCodeFixTest<TAnalyzer, NetworkCodeFixes, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
            // The generated half of the fixed class is not part of the test's sources; the generator's own diagnostics
            // (and the compiler's, on the broken source) are what the markup states.
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        AddReferences(test.TestState);
        AddReferences(test.FixedState);
        await test.RunAsync();
    }

    [Fact]
    public Task Not_partial_gets_partial() => Verify<GeneratorDiagnosticsAnalyzer>(
        "using SourceGenNN;\n[{|SGNN0001:Network(3)|}] [Dense(2)]\npublic class Net { }\n",
        "using SourceGenNN;\n[Network(3)] [Dense(2)]\npublic partial class Net { }\n");

    [Fact]
    public Task Not_partial_without_modifiers_gets_partial() => Verify<GeneratorDiagnosticsAnalyzer>(
        "using SourceGenNN;\n[{|SGNN0001:Network(3)|}] [Dense(2)]\nclass Net { }\n",
        "using SourceGenNN;\n[Network(3)] [Dense(2)]\npartial class Net { }\n");

    [Theory]
    [InlineData("0", "1")]
    [InlineData("-12", "12")]
    public Task A_non_positive_size_is_replaced(string size, string fixedSize) => Verify<GeneratorDiagnosticsAnalyzer>(
        $"using SourceGenNN;\n[Network(3)] [{{|SGNN0004:Dense({size})|}}] [ReLU]\npublic partial class Net {{ }}\n",
        $"using SourceGenNN;\n[Network(3)] [Dense({fixedSize})] [ReLU]\npublic partial class Net {{ }}\n");

    [Fact]
    public Task Layers_without_network_get_a_network_attribute() => Verify<LayersWithoutNetworkAnalyzer>(
        "using SourceGenNN;\n[{|SGNN0025:Dense(2)|}] [ReLU]\npublic partial class Net { }\n",
        "using SourceGenNN;\n[Network(1)]\n[Dense(2)] [ReLU]\npublic partial class Net { }\n");
}
