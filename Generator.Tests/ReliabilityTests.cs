using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace SourceGenNN.Generator.Tests;

/// <summary>
/// Declarations an adversarial user wrote, each of which once lost code, produced code that did not compile, or was
/// accepted in silence. Every one now either compiles with its generated code or gets a located SGNN diagnostic.
/// </summary>
public class ReliabilityTests
{
    private static (GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(params string[] sources) =>
        GeneratorHarness.Run(sources);

    private static void CompilesWithCode(string source, int networks = 1)
    {
        var (result, output, diagnostics) = Run(source);
        Assert.Empty(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(GeneratorHarness.Errors(output));
        Assert.Equal(networks, result.Results.Single().GeneratedSources.Length);
    }

    private static Diagnostic Reports(string source, string id)
    {
        var (result, _, diagnostics) = Run(source);
        Assert.Null(result.Results.Single().Exception);
        var d = Assert.Single(diagnostics, x => x.Id == id);
        Assert.True(d.Location.IsInSource, "the diagnostic is placed in the user's syntax tree");
        return d;
    }

    [Fact]
    public void Names_that_differ_only_in_case_both_get_code()
    {
        // Hint names compare without case: Net and NET once collided and no network of the compilation got code.
        CompilesWithCode("using SourceGenNN; namespace App; [Network(3)] [Dense(2)] public partial class Net { } [Network(4)] [Dense(2)] public partial class NET { }", networks: 2);
    }

    [Fact]
    public void Escaped_namespace_and_class_names_compile()
    {
        CompilesWithCode("using SourceGenNN; namespace App.@namespace { [Network(3)] [Dense(2)] public partial class @class { } }");
        CompilesWithCode("using SourceGenNN; namespace @event; public partial class @operator { [Network(3)] [Dense(2)] public partial class @string { } }");
    }

    [Fact]
    public void A_file_local_class_is_SGNN0024_and_the_other_networks_keep_their_code()
    {
        const string src = "using SourceGenNN; [Network(3)] [Dense(2)] file partial class Hidden { } [Network(3)] [Dense(2)] public partial class Seen { }";
        var (result, output, diagnostics) = Run(src);
        Assert.Contains(diagnostics, d => d.Id == "SGNN0024");
        Assert.Single(result.Results.Single().GeneratedSources);
        Assert.DoesNotContain(GeneratorHarness.Errors(output), e => !e.GetMessage().Contains("Hidden"));
    }

    [Fact]
    public void A_class_without_a_name_gets_no_code_and_the_other_networks_keep_theirs()
    {
        // Found by the fuzz test (10,000 cases, seed 1, case 7979): `partial class class { }` is a class whose name is
        // missing; the generator wrote `partial class  { }` into App..g.cs, which did not compile.
        const string src = "using SourceGenNN; namespace App { [Network(4)] [Dense(2)] partial class class { } [Network(3)] [Dense(2)] public partial class Seen { } }";
        var (result, output, _) = Run(src);
        Assert.Null(result.Results.Single().Exception);
        var generated = Assert.Single(result.Results.Single().GeneratedSources);
        Assert.Contains("Seen", generated.HintName);
        var generatedTrees = result.GeneratedTrees.ToHashSet();
        Assert.DoesNotContain(GeneratorHarness.Errors(output), e => e.Location.SourceTree is { } t && generatedTrees.Contains(t));
        Assert.Contains(output.GetDiagnostics(), d => d.Id == "CS1001"); // the compiler's own "Identifier expected"
    }

    [Theory]
    [InlineData("Logits")]
    [InlineData("Summary")]
    [InlineData("Batch")]
    [InlineData("Forward")]
    [InlineData("Description")]
    [InlineData("D2")]
    [InlineData("Layer0Size")]
    public void A_class_named_like_a_generated_member_is_SGNN0020(string name)
    {
        var d = Reports($"using SourceGenNN; [Network(3)] [Dense(2)] public partial class {name} {{ }}", "SGNN0020");
        Assert.Contains(name, d.GetMessage());
    }

    [Theory]
    [InlineData("public int InputSize => 3;", "'InputSize'", "InputSize")]
    [InlineData("private float[] _parameters = new float[1];", "'_parameters'", "_parameters")]
    [InlineData("public void Forward() { }", "'Forward'", "Forward")]
    [InlineData("public N(ulong seed) { }", "constructor taking one ulong", "N(ulong seed)")]
    [InlineData("public N(N other) { }", "constructor taking one 'N'", "N(N other)")]
    [InlineData("public N CloneForInference() => this;", "'CloneForInference'", "CloneForInference")]
    [InlineData("private int _inUse;", "'_inUse'", "_inUse")]
    public void A_user_member_that_clashes_is_SGNN0021_on_that_member(string member, string named, string located)
    {
        string src = $"using SourceGenNN; [Network(3)] [Dense(2)] public partial class N {{ {member} }}";
        var d = Reports(src, "SGNN0021");
        Assert.Contains(named, d.GetMessage());
        Assert.Contains(located, src.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
    }

    [Fact]
    public void An_inherited_member_that_clashes_is_SGNN0021()
    {
        var d = Reports("using SourceGenNN; public class B { public virtual void Backward() { } } [Network(3)] [Dense(2)] public partial class N : B { }", "SGNN0021");
        Assert.Contains("inherited from 'B'", d.GetMessage());
    }

    [Fact]
    public void A_primary_constructor_is_SGNN0022()
    {
        Reports("using SourceGenNN; [Network(3)] [Dense(2)] public partial class N(int hidden) { public int H => hidden; }", "SGNN0022");
    }

    [Fact]
    public void A_base_class_without_a_parameterless_constructor_is_SGNN0023_and_one_with_optional_parameters_is_fine()
    {
        Reports("using SourceGenNN; public class B { public B(int x) { } } [Network(3)] [Dense(2)] public partial class N : B { }", "SGNN0023");
        CompilesWithCode("using SourceGenNN; public class B { public B(int x = 1) { } } [Network(3)] [Dense(2)] public partial class N : B { }");
    }

    [Theory]
    [InlineData("static partial class", "static class")]
    [InlineData("partial record", "record")]
    public void Static_classes_and_records_are_SGNN0002(string declaration, string named)
    {
        var d = Reports($"using SourceGenNN; [Network(3)] [Dense(2)] public {declaration} N {{ }}", "SGNN0002");
        Assert.Contains(named, d.GetMessage());
    }

    [Fact]
    public async System.Threading.Tasks.Task Layer_attributes_without_network_are_SGNN0025()
    {
        var compilation = GeneratorHarness.Compile("using SourceGenNN; [Dense(2)] [ReLU] public partial class N { } [Dense(2)] public partial class Fine { }");
        var analyzed = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new LayersWithoutNetworkAnalyzer()));
        var diagnostics = await analyzed.GetAnalyzerDiagnosticsAsync();
        Assert.Equal(2, diagnostics.Count(d => d.Id == "SGNN0025"));
        Assert.All(diagnostics, d => Assert.True(d.Location.IsInSource));
        // With [Network] there is nothing to report.
        var ok = await GeneratorHarness.Compile("using SourceGenNN; [Network(3)] [Dense(2)] public partial class N { }")
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new LayersWithoutNetworkAnalyzer())).GetAnalyzerDiagnosticsAsync();
        Assert.Empty(ok);
    }

    [Theory]
    [InlineData("[Dense(2, Bias = false, BiasInit = (Init)99)]", "BiasInit")]
    [InlineData("[Dense(2, WeightInit = (Init)(-1))]", "WeightInit")]
    [InlineData("[Dense(2, InitNonlinearity = (Nonlinearity)42)]", "InitNonlinearity")]
    [InlineData("[Dropout(0.99999999999)]", "p")]
    public void Out_of_range_values_even_on_unused_options_are_SGNN0005(string layer, string option)
    {
        var d = Reports($"using SourceGenNN; [Network(3)] {layer} [Dense(2)] public partial class N {{ }}", "SGNN0005");
        Assert.Contains(option, d.GetMessage());
    }

    [Fact]
    public void An_activation_after_a_wide_dense_is_not_too_large()
    {
        // The size check once multiplied an activation's input by its output (50,000² > 2³¹).
        CompilesWithCode("using SourceGenNN; [Network(10)] [Dense(50000)] [ReLU] [Dense(2)] public partial class N { }");
    }

    [Fact]
    public void A_softmax_before_the_end_is_the_warning_SGNN0026_and_code_is_still_generated()
    {
        const string src = "using SourceGenNN; [Network(3)] [Dense(4)] [Softmax] [Dense(2)] public partial class N { }";
        var (result, output, diagnostics) = Run(src);
        var d = Assert.Single(diagnostics);
        Assert.Equal("SGNN0026", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal("Softmax", src.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Single(result.Results.Single().GeneratedSources);
        Assert.Empty(GeneratorHarness.Errors(output));
        // A softmax over another dimension (attention-like) and a final one are not warned about.
        Assert.Empty(Run("using SourceGenNN; [Network(4, 3)] [Softmax(Dim = 1)] [Flatten] [Dense(2)] [Softmax] public partial class N { }").Diagnostics);
    }

    [Fact]
    public void Every_diagnostic_is_placed_in_the_users_syntax_tree()
    {
        // Not an external location: #pragma warning disable and code fixes apply to it.
        var (_, _, diagnostics) = Run("using SourceGenNN; [Network(0)] [Dense(-1)] [Add(\"nope\")] public class N { }");
        Assert.NotEmpty(diagnostics);
        Assert.All(diagnostics, d => Assert.Equal(LocationKind.SourceFile, d.Location.Kind));
    }
}
