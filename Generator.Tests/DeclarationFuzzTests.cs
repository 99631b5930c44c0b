using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using CsCheck;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;
using Xunit.Abstractions;

namespace SourceGenNN.Generator.Tests;

/// <summary>
/// Random declarations through the generator, as an adversarial user would write them: the real attribute names and
/// wrong ones, arguments of wrong types and extreme values, syntax damage, several networks per file, partial
/// declarations split across files, nested, generic and keyword names, long networks. The property, for every case:
/// the generator throws nothing (no SGNN0999, no CS8785), every SGNN diagnostic is placed in the user's source, the
/// generated code has no compile error and no warning, and every class marked [Network] either gets its code or has an error of its
/// own (an SGNN error or a compiler error in its declaration).
/// <para>
/// The cases are drawn with CsCheck's generators from a fixed seed, one PCG stream per case, so a run replays exactly.
/// CI runs <see cref="DefaultCases"/>; <c>scripts/fuzz-generator.sh --cases 100000 --seed N</c> runs any number
/// (environment variables <c>SOURCEGENNN_FUZZ_CASES</c> and <c>SOURCEGENNN_FUZZ_SEED</c>).
/// </para>
/// </summary>
public class DeclarationFuzzTests(ITestOutputHelper output)
{
    public const int DefaultCases = 2000;
    private const ulong DefaultSeed = 20261201;

    // ---- the generators ----------------------------------------------------------------------------------------

    private static readonly Gen<string> SmallInt = Gen.Int[1, 12].Select(i => i.ToString(CultureInfo.InvariantCulture));

    private static readonly Gen<string> Size = Gen.Frequency(
        (12, SmallInt),
        (1, Gen.OneOf("0", "-1", "-7", "int.MaxValue", "50000", "65536", "\"7\"", "1.5", "null", "(int)1e9", "x")));

    private static readonly Gen<string> Real = Gen.Frequency(
        (8, Gen.OneOf("0.0", "0.5", "0.1", "0.25", "1.0", "2", "1e-5", "0.99")),
        (1, Gen.OneOf("double.NaN", "double.PositiveInfinity", "-1.0", "1e308", "-1e-320", "0.99999999999", "\"0.5\"", "float.MaxValue")));

    private static readonly Gen<string> TensorName = Gen.OneOf("\"input\"", "\"0\"", "\"1\"", "\"2\"", "\"3\"", "\"fc\"", "\"ctx\"", "\"nope\"", "\"\"", "null", "\"a.b\"", "3");

    private static readonly Gen<string> Dim = Gen.Frequency((6, Gen.OneOf("-1", "1", "2")), (1, Gen.OneOf("0", "-2", "3", "-5", "9")));

    /// <summary>A kernel or output size: one int or one per axis (PyTorch's int or tuple), sometimes of the wrong form.</summary>
    private static readonly Gen<string> WindowSize = Gen.Frequency(
        (6, Gen.Int[1, 4].Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.Select(Gen.Int[1, 4], Gen.Int[1, 4], (a, b) => $"new[] {{ {a}, {b} }}")),
        (1, Gen.OneOf("0", "-1", "\"same\"", "new[] { 1, 2, 3 }", "new int[0]", "1.5", "null", "new[] { \"a\" }", "int.MaxValue")));

    /// <summary>Named options a layer may get (some wrong for the layer, some of the wrong type).</summary>
    private static readonly Gen<string> Option = Gen.Frequency(
        (4, TensorName.Select(n => "Name = " + n)),
        (3, TensorName.Select(n => "Input = " + n)),
        (1, Gen.OneOf("Bias = false", "Bias = true", "WeightInit = Init.XavierNormal", "WeightInit = Init.KaimingUniform", "BiasInit = Init.Zeros",
            "WeightInit = (Init)99", "BiasInit = Init.XavierUniform", "InitStd = -1", "InitGain = 0", "InitNonlinearity = (Nonlinearity)7",
            "Eps = 0", "Momentum = 2", "Affine = false", "TrackRunningStats = false", "ElementwiseAffine = false", "PerFeature = true",
            "Init = double.NaN", "StartDim = 2", "EndDim = 1", "Foo = 1", "Name = 7")),
        (1, Gen.OneOf("Stride = 2", "Stride = new[] { 2, 1 }", "Stride = null", "Stride = 0", "Padding = 1", "Padding = \"same\"", "Padding = \"valid\"",
            "Padding = \"full\"", "Padding = new[] { 1 }", "Padding = 9", "Dilation = 2", "Dilation = new[] { 1, 3 }", "Groups = 2", "Groups = 0",
            "OutputPadding = 1", "OutputPadding = 5", "CeilMode = true", "CountIncludePad = false", "Padding = 1.5", "Stride = \"2\"")),
        (1, Gen.OneOf("IsCausal = true", "NumHeads = 2", "NumHeads = 0", "Dropout = 0.5", "Dropout = 1.0", "NormFirst = true", "DimFeedforward = 3",
            "Activation = TransformerActivation.GELU", "Activation = (TransformerActivation)5", "KeepDim = true", "LayerNormEps = 0")),
        (1, TensorName.Select(n => "Key = " + n)),
        (1, TensorName.Select(n => "Value = " + n)),
        (1, Gen.OneOf("\"ctx\"", "\"c\"", "\"input\"", "\"0\"", "\"nope\"").Select(n => "KeyLengths = " + n)),
        (1, Gen.OneOf("NumLayers = 2", "NumLayers = 0", "Bidirectional = true", "Output = RecurrentOutput.LastStep", "Output = RecurrentOutput.FinalHidden",
            "Output = (RecurrentOutput)9", "Nonlinearity = RnnNonlinearity.ReLU", "Nonlinearity = (RnnNonlinearity)3", "Dropout = 0.3")),
        (1, Dim.Select(d => "Dim = " + d)));

    private static readonly Gen<string> Options = Gen.Frequency(
        (8, Gen.Const("")),
        (2, Option.Array[1, 2].Select(o => string.Join(", ", o))));

    private static string Args(string positional, string options) =>
        positional.Length == 0 && options.Length == 0 ? "" : "(" + string.Join(", ", new[] { positional, options }.Where(s => s.Length > 0)) + ")";

    private static Gen<string> Layer(string kind, Gen<string> positional) =>
        Gen.Select(positional, Options, (p, o) => kind + Args(p, o));

    private static readonly Gen<string> LayerAttribute = Gen.Frequency(
        (10, Layer("Dense", Size)),
        (6, Gen.OneOf("ReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "Identity").SelectMany(k => Layer(k, Gen.Const("")))),
        (2, Layer("Softmax", Gen.Const(""))),
        (1, Layer("LeakyReLU", Real)),
        (1, Layer("ELU", Real)),
        (1, Layer("RReLU", Gen.Select(Real, Real, (a, b) => a + ", " + b))),
        (1, Layer("PReLU", Gen.Const(""))),
        (2, Layer("Dropout", Real)),
        (2, Layer("LayerNorm", Dim.Array[0, 2].Select(d => string.Join(", ", d)))),
        (1, Layer("BatchNorm1d", Gen.Const(""))),
        (1, Layer("BatchNorm2d", Gen.Const(""))),
        (2, Layer("Flatten", Gen.Const(""))),
        (2, Layer("Reshape", Gen.Frequency((3, SmallInt.Array[1, 3].Select(d => string.Join(", ", d))), (1, Gen.OneOf("-1", "2, -1", "0", "-1, -1", ""))))),
        (2, Layer("Add", TensorName.Array[0, 2].Select(n => string.Join(", ", n)))),
        (2, Layer("Concat", TensorName.Array[0, 2].Select(n => string.Join(", ", n)))),
        (2, Layer("Conv2d", Gen.Select(Size, WindowSize, (o, k) => o + ", " + k))),
        (1, Layer("Conv1d", Gen.Select(Size, Size, (o, k) => o + ", " + k))),
        (1, Layer("ConvTranspose2d", Gen.Select(Size, WindowSize, (o, k) => o + ", " + k))),
        (1, Layer("ConvTranspose1d", Gen.Select(Size, Size, (o, k) => o + ", " + k))),
        (2, Layer("MaxPool2d", WindowSize)),
        (1, Layer("MaxPool1d", Size)),
        (1, Layer("AvgPool2d", WindowSize)),
        (1, Layer("AvgPool1d", Size)),
        (1, Layer("AdaptiveAvgPool2d", WindowSize)),
        (1, Layer("Dropout2d", Real)),
        (2, Layer("MultiheadAttention", Gen.Frequency((4, Gen.OneOf("1", "2", "4")), (1, Size)))),
        (1, Layer("ScaledDotProductAttention", Gen.Const(""))),
        (1, Layer("PositionalEmbedding", Gen.Const(""))),
        (1, Layer("SinusoidalPositionalEncoding", Gen.Const(""))),
        (1, Layer("Mean", Dim)),
        (1, Layer("TransformerEncoderLayer", Gen.Select(Size, Gen.OneOf("1", "2", "3", "0"), (d, h) => d + ", " + h))),
        (1, Layer("RNN", Size)),
        (1, Layer("LSTM", Size)),
        (1, Layer("GRU", Size)),
        // Names the generator does not know, and attributes that are not layers.
        (1, Gen.OneOf("Conv2d(3)", "Dense2(4)", "Dense", "Dense(1, 2)", "Obsolete", "Network(3)", "Input(\"ctx\", 2)", "Input(\"input\", 2)",
            "Input(\"class\", 2)", "Input(\"ctx\")", "Softmax(1)", "Dense(Bias = false)")));

    /// <summary>Layers that fit any flat input: most networks a user writes are like this, and they must get code.</summary>
    private static readonly Gen<string> PlainLayer = Gen.Frequency(
        (6, SmallInt.Select(n => "Dense(" + n + ")")),
        (4, Gen.OneOf("ReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "Identity", "PReLU", "LeakyReLU(0.1)", "ELU")),
        (1, Gen.OneOf("Dropout(0.5)", "LayerNorm", "BatchNorm1d", "Dense(4, Bias = false)", "Dense(3, WeightInit = Init.XavierNormal)")));

    /// <summary>An image network that fits its input: convolution blocks, pooling, then a classifier.</summary>
    private static readonly Gen<string> ImageLayers =
        from channels in Gen.Int[1, 4]
        from size in Gen.Int[6, 12]
        from block in Gen.OneOf("[Conv2d(4, 3, Padding = 1)][ReLU][MaxPool2d(2)]", "[Conv2d(4, 3, Stride = 2, Groups = 1)][BatchNorm2d]",
            "[ConvTranspose2d(2, 2, Stride = 2)][AvgPool2d(3, Stride = 2, Padding = 1, CeilMode = true)]", "[Conv2d(6, new[] { 3, 1 }, Padding = \"same\")][Dropout2d(0.2)]",
            "[MaxPool2d(3, Stride = 1, Padding = 1, Dilation = 1)][AdaptiveAvgPool2d(1)]", "[Reshape(-1, 4)][Conv1d(3, 2)][MaxPool1d(2, CeilMode = true)][AvgPool1d(1)]")
        select $"[Network({channels}, {size}, {size})]{block}[Flatten][Dense(2)]";

    /// <summary>A residual block over a plain prefix: names, Add and Concat that do resolve.</summary>
    private static readonly Gen<string> ResidualLayers = SmallInt.Select(n =>
        $"[Dense({n}, Name = \"fc\")][ReLU][Dense({n})][Add(\"fc\", Name = \"sum\")][Concat(\"fc\", \"sum\")][Dense(2)]");

    /// <summary>A transformer over a sequence input: every attention kind with shapes that fit, which must get code.</summary>
    private static readonly Gen<string> AttentionLayers = Gen.Select(Gen.OneOf(1, 2, 4), Gen.Int[1, 5], Gen.Bool, (h, t, causal) =>
        $"[Network({t}, 8)][Input(\"len\", 1)][PositionalEmbedding][SinusoidalPositionalEncoding]" +
        $"[MultiheadAttention({h}, IsCausal = {(causal ? "true" : "false")}, KeyLengths = \"len\", Name = \"a\")]" +
        $"[TransformerEncoderLayer(8, {h}, DimFeedforward = 6, NormFirst = {(causal ? "true" : "false")})]" +
        $"[ScaledDotProductAttention(Key = \"a\", NumHeads = {h})][Mean(1)][Dense(2)]");

    private static readonly Gen<string> NetworkAttribute = Gen.Frequency(
        (10, SmallInt.Array[1, 3].Select(d => "Network(" + string.Join(", ", d) + ")")),
        (1, Gen.OneOf("Network", "Network()", "Network(0)", "Network(-3)", "Network(\"a\")", "Network(1, 0, 2)", "Network(int.MaxValue, 2)", "Network(null)")));

    private static readonly Gen<string> ClassName = Gen.Frequency(
        (10, Gen.OneOf("Net", "Mlp", "Classifier", "N1", "Tagger")),
        (2, Gen.OneOf("NET", "net", "@class", "@event", "Forward", "Logits", "Summary", "D2", "Layer0Size", "Résumé", "_Net", "Batch")));

    private static readonly Gen<string> Modifiers = Gen.Frequency(
        (10, Gen.OneOf("public partial class", "internal partial class", "partial class", "public sealed partial class")),
        (2, Gen.OneOf("public class", "public static partial class", "public partial record", "public partial struct", "file partial class",
            "public abstract partial class", "public partial interface", "public partial record struct")));

    private static readonly Gen<string> Body = Gen.Frequency(
        (10, Gen.Const("")),
        (1, Gen.OneOf("public int InputSize => 1;", "public void Forward() { }", "public N(ulong seed) { }", "private int _batch;", "public int Hidden { get; set; }")));

    private sealed record Network(string Name, string Modifiers, string Generic, string PrimaryConstructor, string Attributes, string Body, bool Split, string Base);

    private static readonly Gen<Network> NetworkGen =
        from name in ClassName
        from modifiers in Modifiers
        from generic in Gen.Frequency((20, Gen.Const("")), (1, Gen.Const("<T>")))
        from primary in Gen.Frequency((20, Gen.Const("")), (1, Gen.Const("(int hidden)")))
        from network in Gen.Frequency((15, NetworkAttribute.Select(n => "[" + n + "]")), (1, Gen.Const("")))
        from input in Gen.Frequency((8, Gen.Const("")), (1, Gen.OneOf("[Input(\"ctx\", 3)]", "[Input(\"ctx\", 2, 3)]", "[Input(\"c\", 0)]", "[Input(\"c\", 1)]")))
        from attention in Gen.Frequency((12, Gen.Const(false)), (1, Gen.Const(true)))
        from transformer in AttentionLayers
        from layers in Gen.Frequency(
            (8, PlainLayer.Array[1, 8].Select(a => string.Concat(a.Select(l => "[" + l + "]")))),
            (2, ResidualLayers),
            (2, ImageLayers),
            (8, LayerAttribute.Array[0, 8].Select(a => string.Concat(a.Select(l => "[" + l + "]")))),
            (1, LayerAttribute.Array[20, 60].Select(a => string.Concat(a.Select(l => "[" + l + "]")))))
        from body in Body
        from split in Gen.Frequency((10, Gen.Const(false)), (1, Gen.Const(true)))
        from baseType in Gen.Frequency((20, Gen.Const("")), (1, Gen.OneOf(" : NeedsArgs", " : Plain", " : HasForward")))
        select new Network(name, modifiers, generic, primary, attention ? transformer : (layers.StartsWith("[Network(", StringComparison.Ordinal) ? "" : network) + input + layers, body, split, baseType); // image layers bring their own [Network]

    private sealed record Case(Network[] Networks, string Namespace, bool Nested, bool NestedPartial, int Damage, uint DamageAt);

    private static readonly Gen<Case> CaseGen =
        from networks in NetworkGen.Array[1, 3]
        from ns in Gen.Frequency((6, Gen.Const("App")), (2, Gen.Const("")), (1, Gen.OneOf("App.@namespace", "@event.Models")))
        from nested in Gen.Frequency((8, Gen.Const(false)), (1, Gen.Const(true)))
        from nestedPartial in Gen.Bool
        from damage in Gen.Frequency((12, Gen.Const(0)), (1, Gen.Int[1, 3]))
        from at in Gen.UInt
        select new Case(networks, ns, nested, nestedPartial, damage, at);

    /// <summary>The source files of a case: the networks, and the second half of each split declaration in a file of its own.</summary>
    private static string[] Sources(Case c)
    {
        var main = new System.Text.StringBuilder("using SourceGenNN;\n");
        main.Append("public class NeedsArgs { public NeedsArgs(int x) { } }\npublic class Plain { }\npublic class HasForward { public void Forward() { } }\n");
        if (c.Namespace.Length > 0) main.Append("namespace ").Append(c.Namespace).Append(" {\n");
        if (c.Nested) main.Append(c.NestedPartial ? "public partial class Outer {\n" : "public class Outer {\n");
        var extra = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var drawn in c.Networks)
        {
            // Two types of one name in one namespace are the compiler's error (CS0101), not a generator case.
            var n = used.Add(drawn.Name.TrimStart('@')) ? drawn : drawn with { Name = drawn.Name.TrimStart('@') + used.Count };
            used.Add(n.Name);
            main.Append(n.Attributes).Append('\n');
            main.Append(n.Modifiers).Append(' ').Append(n.Name).Append(n.Generic).Append(n.PrimaryConstructor).Append(n.Base).Append(" { ").Append(n.Body).Append(" }\n");
            if (n.Split)
            {
                string open = c.Namespace.Length > 0 ? "namespace " + c.Namespace + " { " : "";
                string close = c.Namespace.Length > 0 ? " }" : "";
                string outer = c.Nested ? (c.NestedPartial ? "public partial class Outer { " : "public class Outer { ") : "";
                string outerClose = c.Nested ? " }" : "";
                extra.Add("using SourceGenNN;\n" + open + outer + "[Dense(2)] partial class " + n.Name + n.Generic + " { public int Extra => 1; }" + outerClose + close);
            }
        }
        if (c.Nested) main.Append("}\n");
        if (c.Namespace.Length > 0) main.Append("}\n");
        string text = main.ToString();
        // Syntax damage: characters removed at random places.
        uint at = c.DamageAt;
        for (int i = 0; i < c.Damage && text.Length > 20; i++)
        {
            int k = (int)(at % (uint)text.Length);
            text = text.Remove(k, 1);
            at = at * 2654435761u + 1;
        }
        return new[] { text }.Concat(extra).ToArray();
    }

    // ---- the property ------------------------------------------------------------------------------------------

    /// <summary>Null when the case holds, else what broke.</summary>
    private static string? Check(string[] sources, IIncrementalGenerator? generator = null) => Check(sources, generator, out _, out _);

    private static string? Check(string[] sources, IIncrementalGenerator? generator, out int generatedFiles, out ImmutableArray<Diagnostic> diagnostics)
    {
        var input = GeneratorHarness.Compile(sources);
        var driver = (generator is null ? GeneratorHarness.CreateDriver() : GeneratorHarness.CreateDriver(generator))
            .RunGeneratorsAndUpdateCompilation(input, out var output, out diagnostics);
        var run = driver.GetRunResult().Results.Single();
        generatedFiles = run.GeneratedSources.Length;
        if (run.Exception is not null) return "the generator threw " + run.Exception;
        foreach (var d in diagnostics)
        {
            if (d.Id is "SGNN0999" or "CS8785") return "internal error: " + d;
            if (d.Id.StartsWith("SGNN", StringComparison.Ordinal) && !d.Location.IsInSource) return "a diagnostic outside the source: " + d;
        }
        var generatedTrees = new HashSet<SyntaxTree>(run.GeneratedSources.Select(s => s.SyntaxTree));
        // One binding of everything: the output compilation's diagnostics cover the user's trees and the generated ones.
        var outputDiagnostics = output.GetDiagnostics();
        var outputErrors = outputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var inGenerated = outputErrors.FirstOrDefault(d => d.Location.SourceTree is { } t && generatedTrees.Contains(t));
        if (inGenerated is not null) return "the generated code does not compile: " + inGenerated;
        // Nor may it warn: a user building with TreatWarningsAsErrors would be stopped by our code.
        var warning = outputDiagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is { } t && generatedTrees.Contains(t));
        if (warning is not null) return "the generated code has a warning: " + warning;

        // Every class marked [Network] gets its code, or has an error of its own.
        var networkAttribute = input.GetTypeByMetadataName("SourceGenNN.NetworkAttribute");
        // The user's own errors (in their trees), as the output compilation sees them.
        var inputErrors = outputErrors.Where(d => d.Location.SourceTree is { } t && !generatedTrees.Contains(t)).ToList();
        var sgnnErrors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && d.Id.StartsWith("SGNN", StringComparison.Ordinal)).ToList();
        foreach (var tree in input.SyntaxTrees)
        {
            var model = input.GetSemanticModel(tree);
            foreach (var decl in tree.GetRoot().DescendantNodes().OfType<TypeDeclarationSyntax>())
            {
                if (model.GetDeclaredSymbol(decl) is not INamedTypeSymbol symbol) continue;
                if (!symbol.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, networkAttribute))) continue;
                var generated = output.GetTypeByMetadataName(MetadataName(symbol)) is { } after
                                && after.DeclaringSyntaxReferences.Any(r => generatedTrees.Contains(r.SyntaxTree));
                if (generated) continue;
                bool Own(Diagnostic d) => symbol.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == d.Location.SourceTree && r.Span.IntersectsWith(d.Location.SourceSpan));
                if (!sgnnErrors.Any(Own) && !inputErrors.Any(Own) && !diagnostics.Any(d => d.Id is "SGNN0001" or "SGNN0008" && d.Location.SourceTree == tree))
                    return $"'{symbol.Name}' has [Network] but got no code and no error";
            }
        }
        return null;
    }

    /// <summary>"App.Outer+Net`1": the name <see cref="Compilation.GetTypeByMetadataName"/> takes.</summary>
    private static string MetadataName(INamedTypeSymbol symbol)
    {
        string name = symbol.MetadataName;
        for (var outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType) name = outer.MetadataName + "+" + name;
        var ns = symbol.ContainingNamespace;
        return ns is null || ns.IsGlobalNamespace ? name : ns.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted).WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.None)) + "." + name;
    }

    private static (int Cases, ulong Seed) Settings()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("SOURCEGENNN_FUZZ_CASES"), out int n) && n > 0 ? n : DefaultCases;
        ulong seed = ulong.TryParse(Environment.GetEnvironmentVariable("SOURCEGENNN_FUZZ_SEED"), out ulong s) ? s : DefaultSeed;
        return (cases, seed);
    }

    [Fact]
    public void Random_declarations_never_crash_the_generator_and_always_compile_or_get_a_located_error()
    {
        var (cases, seed) = Settings();
        int withCode = 0, withErrors = 0, networks = 0;
        var failures = new List<string>();
        var ids = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var gate = new object();
        // The cases are independent (each its own PCG stream and compilation), so they run on every core: one case per
        // core at a time (an unbounded loop grew to hundreds of pool threads on a loaded machine, each case blocking).
        var options = new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        System.Threading.Tasks.Parallel.For(0, cases, options, (i, loop) =>
        {
            var c = CaseGen.Generate(new PCG((uint)i, seed), null, out _);
            var sources = Sources(c);
            string? failure;
            int generated = 0;
            var diagnostics = ImmutableArray<Diagnostic>.Empty;
            try
            {
                failure = Check(sources, null, out generated, out diagnostics);
            }
            catch (Exception e)
            {
                failure = "the check itself threw " + e;
            }
            lock (gate)
            {
                if (failure is not null)
                {
                    failures.Add($"case {i} (seed {seed}): {failure}\n--- source ---\n{string.Join("\n--- next file ---\n", sources)}");
                    if (failures.Count >= 5) loop.Stop();
                    return;
                }
                // Tallies for docs/reliability.md.
                networks += c.Networks.Length;
                withCode += generated;
                if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) withErrors++;
                foreach (var d in diagnostics) ids[d.Id] = ids.GetValueOrDefault(d.Id) + 1;
            }
        });
        failures.Sort(StringComparer.Ordinal);
        output.WriteLine($"{cases} cases (seed {seed}): {networks} declarations, {withCode} generated files, {withErrors} cases with SGNN errors");
        output.WriteLine("diagnostics: " + string.Join(", ", ids.Select(kv => kv.Key + " " + kv.Value)));
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>A stand-in for a broken generator: what each <see cref="Sabotage"/> names goes wrong for every [Network] class.</summary>
    private sealed class BrokenGenerator(string sabotage) : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var classes = context.SyntaxProvider.ForAttributeWithMetadataName("SourceGenNN.NetworkAttribute",
                static (node, _) => node is ClassDeclarationSyntax, static (ctx, _) => ctx.TargetSymbol.Name);
            context.RegisterSourceOutput(classes, (spc, name) =>
            {
                switch (sabotage)
                {
                    case "throw": throw new InvalidOperationException("boom");
                    case "no-code": return;
                    case "bad-code": spc.AddSource(name + ".g.cs", "partial class " + name + " { int X => \"text\"; }"); return;
                    case "no-location":
                        spc.ReportDiagnostic(Diagnostic.Create(new DiagnosticDescriptor("SGNN9999", "t", "t", "t", DiagnosticSeverity.Error, true), Location.None));
                        spc.AddSource(name + ".g.cs", "partial class " + name + " { }");
                        return;
                }
            });
        }
    }

    [Theory]
    [InlineData("throw")]
    [InlineData("no-code")]
    [InlineData("bad-code")]
    [InlineData("no-location")]
    public void The_property_fails_a_broken_generator(string sabotage)
    {
        // The property is not vacuous: each way a generator can let a user down is reported on a plain declaration
        // the real generator handles.
        const string source = "using SourceGenNN; [Network(3)] [Dense(2)] public partial class N { }";
        Assert.Null(Check([source]));
        Assert.NotNull(Check([source], new BrokenGenerator(sabotage)));
    }
}
