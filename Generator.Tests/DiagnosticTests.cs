using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace SourceGenNN.Generator.Tests;

/// <summary>Each declaration mistake gets its own diagnostic, on the offending attribute, and no code.</summary>
public class DiagnosticTests
{
    private static Diagnostic Single(string source, string id)
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(source);
        Assert.Empty(result.Results.Single().GeneratedSources);
        Assert.Null(result.Results.Single().Exception);
        var d = Assert.Single(diagnostics, x => x.Id == id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        return d;
    }

    /// <summary>The text the diagnostic's location covers.</summary>
    private static string Span(string source, Diagnostic d) => source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length);

    [Fact]
    public void Class_not_partial_is_SGNN0001_on_the_network_attribute()
    {
        const string src = "using SourceGenNN; [Network(3)] [Dense(2)] public class N { }";
        var d = Single(src, "SGNN0001");
        Assert.Equal("Network(3)", Span(src, d));
        Assert.Contains("partial class N", d.GetMessage());
    }

    [Theory]
    [InlineData("struct")]
    [InlineData("interface")]
    public void Network_on_a_non_class_is_SGNN0002(string kind)
    {
        string src = $"using SourceGenNN; [Network(3)] [Dense(2)] public partial {kind} N {{ }}";
        var (result, _, diagnostics) = GeneratorHarness.Run(src);
        Assert.Null(result.Results.Single().Exception);
        Assert.Empty(result.Results.Single().GeneratedSources);
        // The compiler itself rejects [Network] on a struct (CS0592); if the attribute still binds, we say what to write.
        Assert.All(diagnostics, d => Assert.StartsWith("SGNN0002", d.Id));
    }

    [Theory]
    [InlineData("[Network(0)]")]
    [InlineData("[Network(-5)]")]
    public void Non_positive_input_size_is_SGNN0003(string network)
    {
        string src = $"using SourceGenNN; {network} [Dense(2)] public partial class N {{ }}";
        var d = Single(src, "SGNN0003");
        Assert.Equal(network.Trim('[', ']'), Span(src, d));
        Assert.Contains("[Network(784)]", d.GetMessage());
    }

    [Fact]
    public void Missing_input_size_is_SGNN0003()
    {
        const string src = "using SourceGenNN; [Network] [Dense(2)] public partial class N { }";
        var d = Single(src, "SGNN0003");
        Assert.Contains("no input shape", d.GetMessage());
    }

    [Theory]
    [InlineData("[Dense(0)]")]
    [InlineData("[Dense(-3)]")]
    public void Non_positive_layer_size_is_SGNN0004_on_that_layer(string layer)
    {
        string src = $"using SourceGenNN; [Network(4)] [Dense(3)] {layer} public partial class N {{ }}";
        var d = Single(src, "SGNN0004");
        Assert.Equal(layer.Trim('[', ']'), Span(src, d));
    }

    [Theory]
    [InlineData("Dropout(1.0)", "p")]
    [InlineData("Dropout(-0.1)", "p")]
    [InlineData("ELU(-1.0)", "alpha")]
    [InlineData("RReLU(0.5, 0.25)", "lower")]
    [InlineData("Dense(4, WeightInit = Init.Normal, InitStd = 0)", "InitStd")]
    [InlineData("Dense(4, WeightInit = Init.Uniform, InitLow = 1, InitHigh = 1)", "InitHigh")]
    [InlineData("Dense(4, WeightInit = Init.XavierUniform, InitGain = -1)", "InitGain")]
    [InlineData("Dense(4, WeightInit = Init.KaimingNormal, InitNegativeSlope = -0.5)", "InitNegativeSlope")]
    [InlineData("Dense(4, WeightInit = Init.Normal, InitStd = double.PositiveInfinity)", "InitStd")]
    [InlineData("Dense(4, WeightInit = Init.Constant, InitValue = double.NaN)", "InitValue")]
    [InlineData("LeakyReLU(1e300)", "slope")]
    [InlineData("PReLU(Init = -1e40)", "Init")]
    public void Option_out_of_range_is_SGNN0005_naming_the_option(string layer, string option)
    {
        string src = $"using SourceGenNN; [Network(4)] [Dense(4)] [{layer}] public partial class N {{ }}";
        var d = Single(src, "SGNN0005");
        Assert.Equal(layer, Span(src, d));
        Assert.Contains(option + " =", d.GetMessage());
    }

    [Fact]
    public void Duplicate_layer_name_is_SGNN0006_on_the_second()
    {
        const string src = "using SourceGenNN; [Network(4)] [Dense(4, Name = \"fc\")] [Dense(2, Name = \"fc\")] public partial class N { }";
        var d = Single(src, "SGNN0006");
        Assert.Equal("Dense(2, Name = \"fc\")", Span(src, d));
    }

    [Fact]
    public void Explicit_name_equal_to_a_default_index_name_is_a_duplicate()
    {
        const string src = "using SourceGenNN; [Network(4)] [Dense(4)] [Dense(2, Name = \"0\")] public partial class N { }";
        Single(src, "SGNN0006");
    }

    [Fact]
    public void No_layers_is_SGNN0007()
    {
        const string src = "using SourceGenNN; [Network(4)] public partial class N { }";
        var d = Single(src, "SGNN0007");
        Assert.Equal("Network(4)", Span(src, d));
    }

    [Fact]
    public void Nesting_in_a_non_partial_class_is_SGNN0008()
    {
        const string src = "using SourceGenNN; public class Outer { [Network(4)] [Dense(2)] public partial class N { } }";
        var d = Single(src, "SGNN0008");
        Assert.Contains("not partial", d.GetMessage());
    }

    [Fact]
    public void Nesting_in_a_partial_class_is_supported()
    {
        const string src = "using SourceGenNN; namespace A.B; public partial class Outer { [Network(4)] [Dense(2)] public partial class N { } }";
        var (result, output, diagnostics) = GeneratorHarness.Run(src);
        Assert.Empty(diagnostics);
        Assert.Empty(GeneratorHarness.Errors(output));
        Assert.Equal("A.B.Outer+N.g.cs", result.Results.Single().GeneratedSources.Single().HintName);
    }

    [Theory]
    [InlineData("[ReLU]")]
    [InlineData("[Softmax]")]
    [InlineData("[Dropout(0.5)] [Sigmoid]")]
    [InlineData("[PReLU] [Dense(2, WeightInit = Init.Zeros, BiasInit = Init.Ones)]")]
    public void Unusual_but_valid_networks_generate_code_that_compiles(string layers)
    {
        string src = $"using SourceGenNN; [Network(4)] {layers} public partial class N {{ }}";
        var (result, output, diagnostics) = GeneratorHarness.Run(src);
        Assert.Empty(diagnostics);
        Assert.Empty(GeneratorHarness.Errors(output));
        Assert.Single(result.Results.Single().GeneratedSources);
    }

    [Fact]
    public void Network_in_the_global_namespace_is_supported()
    {
        var (_, output, diagnostics) = GeneratorHarness.Run("using SourceGenNN; [Network(4)] [Dense(2)] public partial class N { }");
        Assert.Empty(diagnostics);
        Assert.Empty(GeneratorHarness.Errors(output));
    }

    [Theory]
    [InlineData("fc.1")]
    [InlineData("")]
    [InlineData("has space")]
    public void Invalid_layer_name_is_SGNN0010(string name)
    {
        string src = $"using SourceGenNN; [Network(4)] [Dense(2, Name = \"{name}\")] public partial class N {{ }}";
        Single(src, "SGNN0010");
    }

    [Theory]
    [InlineData("KaimingUniform")]
    [InlineData("XavierNormal")]
    public void Fan_based_initialiser_on_a_bias_is_SGNN0011(string init)
    {
        string src = $"using SourceGenNN; [Network(4)] [Dense(2, BiasInit = Init.{init})] public partial class N {{ }}";
        Single(src, "SGNN0011");
    }

    [Fact]
    public void Unknown_layer_attribute_is_SGNN0012()
    {
        const string src = "using SourceGenNN; public sealed class MyLayerAttribute : LayerAttribute { } [Network(4)] [Dense(2)] [MyLayer] public partial class N { }";
        var d = Single(src, "SGNN0012");
        Assert.Equal("MyLayer", Span(src, d));
    }

    [Fact]
    public void Network_too_large_for_int_buffers_is_SGNN0014()
    {
        const string src = "using SourceGenNN; [Network(100000)] [Dense(100000)] public partial class N { }";
        var d = Single(src, "SGNN0014");
        Assert.Equal("Dense(100000)", Span(src, d));
    }

    [Fact]
    public void Layers_on_another_partial_declaration_are_SGNN0015()
    {
        const string a = "using SourceGenNN; [Network(4)] [Dense(3)] public partial class N { }";
        const string b = "using SourceGenNN; [ReLU] public partial class N { }";
        var (result, _, diagnostics) = GeneratorHarness.Run(a, b);
        var d = Assert.Single(diagnostics, x => x.Id == "SGNN0015");
        Assert.Equal("ReLU", b.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Empty(result.Results.Single().GeneratedSources);
    }

    [Fact]
    public void Generic_network_is_SGNN0013()
    {
        const string src = "using SourceGenNN; [Network(4)] [Dense(2)] public partial class N<T> { }";
        Single(src, "SGNN0013");
    }

    [Theory]
    [InlineData("[Network(8)] [Dense(4)] [Add(\"input\")]", "Add(\"input\")", "[-1, 4]", "[-1, 8]")]
    [InlineData("[Network(2, 3)] [Dense(4)] [Concat(\"input\", Dim = 1)]", "Concat(\"input\", Dim = 1)", "[-1, 2, 4]", "all other dimensions")]
    [InlineData("[Network(12)] [Reshape(5, -1)]", "Reshape(5, -1)", "not a multiple of 5", "12")]
    [InlineData("[Network(12)] [Reshape(5, 2)]", "Reshape(5, 2)", "holds 10 elements", "has 12")]
    [InlineData("[Network(3, 4)] [LayerNorm(3)]", "LayerNorm(3)", "normalized_shape [3]", "[LayerNorm(4)]")]
    [InlineData("[Network(8)] [Add]", "Add", "names nothing to add", "[Add(")]
    public void Shapes_that_do_not_fit_are_SGNN0016_showing_the_shapes(string declaration, string attribute, string shown, string fix)
    {
        string src = $"using SourceGenNN; {declaration} public partial class N {{ }}";
        var d = Single(src, "SGNN0016");
        Assert.Equal(attribute, Span(src, d));
        Assert.Contains(shown, d.GetMessage());
        Assert.Contains(fix, d.GetMessage());
    }

    [Theory]
    [InlineData("[Network(8)] [Dense(4, Input = \"nope\")]", "Dense(4, Input = \"nope\")")]
    [InlineData("[Network(8)] [Dense(4, Input = \"later\")] [Dense(4, Name = \"later\")]", "Dense(4, Input = \"later\")")]
    [InlineData("[Network(8)] [Dense(8, Name = \"a\")] [Add(\"b\")] [Dense(8, Name = \"b\")]", "Add(\"b\")")]
    public void A_reference_to_an_unknown_or_later_tensor_is_SGNN0017_listing_what_can_be_read(string declaration, string attribute)
    {
        string src = $"using SourceGenNN; {declaration} public partial class N {{ }}";
        var d = Single(src, "SGNN0017");
        Assert.Equal(attribute, Span(src, d));
        Assert.Contains("'input'", d.GetMessage());
    }

    [Theory]
    [InlineData("[Network(8)] [Dense(4, Name = \"dead\")] [Dense(2, Input = \"input\")]", "Dense(4, Name = \"dead\")", "'dead'")]
    [InlineData("[Network(8)] [Input(\"side\", 3)] [Dense(2)]", "Input(\"side\", 3)", "'side'")]
    [InlineData("[Network(8)] [Input(\"side\", 3)] [Dense(2, Input = \"side\")]", "Network(8)", "'input'")]
    public void A_tensor_nothing_reads_is_SGNN0018(string declaration, string attribute, string named)
    {
        string src = $"using SourceGenNN; {declaration} public partial class N {{ }}";
        var d = Single(src, "SGNN0018");
        Assert.Equal(attribute, Span(src, d));
        Assert.Contains(named, d.GetMessage());
    }

    [Theory]
    [InlineData("class")]
    [InlineData("input")]
    [InlineData("Batch")]
    [InlineData("2d")]
    [InlineData("a.b")]
    public void An_input_name_that_cannot_be_a_parameter_is_SGNN0019(string name)
    {
        string src = $"using SourceGenNN; [Network(8)] [Input(\"{name}\", 3)] [Dense(2)] public partial class N {{ }}";
        var (result, _, diagnostics) = GeneratorHarness.Run(src);
        Assert.Empty(result.Results.Single().GeneratedSources);
        Assert.Contains(diagnostics, d => d.Id is "SGNN0019" or "SGNN0006");
    }

    [Theory]
    [InlineData("[Softmax(Dim = 0)]", "Dim")]
    [InlineData("[Softmax(Dim = 3)]", "Dim")]
    [InlineData("[Flatten(StartDim = 2, EndDim = 1)]", "EndDim")]
    [InlineData("[LayerNorm(Eps = 0)]", "Eps")]
    [InlineData("[BatchNorm1d(Momentum = 1.5)]", "Momentum")]
    public void Dims_and_options_out_of_range_are_SGNN0005(string layer, string option)
    {
        string src = $"using SourceGenNN; [Network(4, 6)] {layer} [Flatten] [Dense(2)] public partial class N {{ }}";
        var (_, _, diagnostics) = GeneratorHarness.Run(src);
        var d = Assert.Single(diagnostics, x => x.Id == "SGNN0005");
        Assert.Contains(option, d.GetMessage());
    }

    [Theory]
    [InlineData("[Network(1, 28, 28)] [Flatten] [Dense(10)]")]
    [InlineData("[Network(10, 16)] [Dense(8)] [Softmax(Dim = 1)] [Flatten] [Dense(2)]")]
    [InlineData("[Network(16)] [Reshape(4, -1)] [LayerNorm(4, 4)] [Reshape(16)] [Dense(2)]")]
    [InlineData("[Network(6)] [Input(\"m\", 2, 3)] [Flatten(Input = \"m\")] [Concat(\"input\")] [Dense(2)]")]
    [InlineData("[Network(3, 4, 4)] [BatchNorm2d(TrackRunningStats = false)] [Flatten] [Dense(2)] [BatchNorm1d(Affine = false)]")]
    [InlineData("[Network(5)] [Dense(5, Name = \"h\")] [Add(\"h\", \"h\", \"input\")] [Dense(1)] [Sigmoid]")]
    public void Shaped_and_graph_networks_generate_code_that_compiles(string declaration)
    {
        var (result, output, diagnostics) = GeneratorHarness.Run($"using SourceGenNN; namespace App; {declaration} public partial class N {{ }}");
        Assert.Empty(diagnostics);
        Assert.Empty(GeneratorHarness.Errors(output));
        Assert.Single(result.Results.Single().GeneratedSources);
    }

    [Theory]
    [InlineData("[Network(1, 5, 5)] [Conv2d(4, 7)]", "Conv2d(4, 7)", "⌊(5 + 2·0 − 1·(7 − 1) − 1)/1⌋ + 1 = -1", "kernel_size[0] (height) at most 5")]
    [InlineData("[Network(1, 9, 5)] [Conv2d(4, new[] { 3, 3 }, Dilation = new[] { 1, 3 })]", "Conv2d(4, new[] { 3, 3 }, Dilation = new[] { 1, 3 })", "output width of ⌊(5 + 2·0 − 3·(3 − 1) − 1)/1⌋ + 1 = -1", "or the dilation smaller")]
    [InlineData("[Network(3, 4)] [MaxPool1d(5)]", "MaxPool1d(5)", "output length of ⌊(4 + 2·0 − 1·(5 − 1) − 1)/5⌋ + 1 = 0", "kernel_size at most 4")]
    [InlineData("[Network(2, 3)] [ConvTranspose1d(2, 1, Padding = 5)]", "ConvTranspose1d(2, 1, Padding = 5)", "(3 − 1)·1 − 2·5 + 1·(1 − 1) + 0 + 1 = -7", "padding at most 1")]
    [InlineData("[Network(2, 6, 6)] [Conv2d(2, 3)] [Conv2d(2, 3)] [Conv2d(2, 3)]", "Conv2d(2, 3)", "= 0", "[-1, 2, 2, 2]")]
    public void An_output_size_of_zero_or_less_is_SGNN0030_showing_the_formula(string declaration, string attribute, string formula, string fix)
    {
        string src = $"using SourceGenNN; {declaration} [Flatten] [Dense(2)] public partial class N {{ }}";
        var d = Single(src, "SGNN0030");
        Assert.Equal(attribute, Span(src, d));
        Assert.Contains(formula, d.GetMessage());
        Assert.Contains(fix, d.GetMessage());
    }

    [Theory]
    [InlineData("[Network(6, 8, 8)] [Conv2d(4, 3, Groups = 4)]", "Conv2d(4, 3, Groups = 4)", "in_channels = 6 (from the input [-1, 6, 8, 8]) is not a multiple of it", "groups = 1 or 2")]
    [InlineData("[Network(4, 8, 8)] [Conv2d(6, 3, Groups = 4)]", "Conv2d(6, 3, Groups = 4)", "out_channels = 6 is not a multiple of it", "groups = 1 or 2")]
    [InlineData("[Network(8, 10)] [ConvTranspose1d(12, 3, Groups = 3)]", "ConvTranspose1d(12, 3, Groups = 3)", "in_channels = 8", "groups = 1, 2 or 4")]
    public void Groups_that_do_not_divide_the_channels_are_SGNN0031(string declaration, string attribute, string why, string fix)
    {
        string src = $"using SourceGenNN; {declaration} [Flatten] [Dense(2)] public partial class N {{ }}";
        var d = Single(src, "SGNN0031");
        Assert.Equal(attribute, Span(src, d));
        Assert.Contains(why, d.GetMessage());
        Assert.Contains(fix, d.GetMessage());
    }

    [Theory]
    [InlineData("[Network(10, 16)] [Conv2d(4, 3)]", "Conv2d(4, 3)", "[C, H, W]", "use Conv1d for [C, L] sequences, or put [Reshape(1, 10, 16)]")]
    [InlineData("[Network(3, 8, 8)] [MaxPool1d(2)]", "MaxPool1d(2)", "[C, L]", "use MaxPool2d")]
    [InlineData("[Network(8)] [Conv1d(2, 3)]", "Conv1d(2, 3)", "(rank 1)", "[Reshape(1, 8)]")]
    [InlineData("[Network(64)] [MaxPool2d(2)]", "MaxPool2d(2)", "[-1, 64]", "[Reshape(1, 1, 64)]")]
    [InlineData("[Network(2, 3, 4, 5)] [ConvTranspose2d(2, 2)]", "ConvTranspose2d(2, 2)", "(rank 4)", "reshape or flatten it to [C, H, W] first")]
    [InlineData("[Network(4, 6)] [Dropout2d(0.5)]", "Dropout2d(0.5)", "[C, H, W]", "use Dropout")]
    [InlineData("[Network(4, 6)] [AdaptiveAvgPool2d(1)]", "AdaptiveAvgPool2d(1)", "[C, H, W]", "AvgPool1d")]
    [InlineData("[Network(8)] [BatchNorm2d]", "BatchNorm2d", "[C, H, W]", "BatchNorm1d")]
    [InlineData("[Network(2, 3, 4, 5)] [BatchNorm1d]", "BatchNorm1d", "[C] or [C, L]", "[-1, 2, 3, 4, 5]")]
    public void A_rank_that_does_not_fit_is_SGNN0032_saying_what_to_use(string declaration, string attribute, string expected, string fix)
    {
        string src = $"using SourceGenNN; {declaration} [Flatten] [Dense(2)] public partial class N {{ }}";
        var d = Single(src, "SGNN0032");
        Assert.Equal(attribute, Span(src, d));
        Assert.Contains(expected, d.GetMessage());
        Assert.Contains(fix, d.GetMessage());
    }

    [Theory]
    [InlineData("Conv2d(4, 3, Padding = \"full\")", "Padding")]
    [InlineData("Conv2d(4, 3, Padding = \"same\", Stride = 2)", "Padding")]
    [InlineData("Conv2d(4, 3, Padding = 1.5)", "Padding")]
    [InlineData("Conv2d(4, 3, Padding = new[] { 1 })", "Padding")]
    [InlineData("Conv2d(4, new[] { 1, 2, 3 })", "kernelSize")]
    [InlineData("Conv2d(4, 0)", "kernelSize")]
    [InlineData("Conv2d(4, \"3\")", "kernelSize")]
    [InlineData("Conv2d(4, 3, Stride = 0)", "Stride")]
    [InlineData("Conv2d(4, 3, Dilation = new[] { 1, 0 })", "Dilation")]
    [InlineData("Conv2d(4, 3, Groups = 0)", "Groups")]
    [InlineData("ConvTranspose2d(4, 3, Stride = 2, OutputPadding = 2)", "OutputPadding")]
    [InlineData("ConvTranspose2d(4, 3, Padding = \"same\")", "Padding")]
    [InlineData("MaxPool2d(2, Padding = 2)", "Padding")]
    [InlineData("AvgPool2d(3, Stride = new[] { 0, 1 })", "Stride")]
    [InlineData("AdaptiveAvgPool2d(0)", "outputSize")]
    [InlineData("Dropout2d(1.0)", "p")]
    public void Window_options_out_of_range_are_SGNN0005(string layer, string option)
    {
        string src = $"using SourceGenNN; [Network(4, 8, 8)] [{layer}] [Flatten] [Dense(2)] public partial class N {{ }}";
        var (result, _, diagnostics) = GeneratorHarness.Run(src);
        Assert.Empty(result.Results.Single().GeneratedSources);
        var d = Assert.Single(diagnostics, x => x.Id == "SGNN0005");
        Assert.Contains(option, d.GetMessage());
        Assert.Equal(layer, Span(src, d));
    }

    [Fact]
    public void Zero_out_channels_is_SGNN0004()
    {
        const string src = "using SourceGenNN; [Network(4, 8, 8)] [Conv2d(0, 3)] [Flatten] [Dense(2)] public partial class N { }";
        var d = Single(src, "SGNN0004");
        Assert.Contains("out_channels = 0", d.GetMessage());
    }

    [Theory]
    [InlineData("[Network(1, 28, 28)] [Conv2d(8, 3, Padding = 1)] [ReLU] [MaxPool2d(2)] [Conv2d(16, 3, Padding = 1)] [ReLU] [MaxPool2d(2)] [Flatten] [Dense(10)]")]
    [InlineData("[Network(3, 9, 9)] [Conv2d(6, new[] { 3, 2 }, Stride = new[] { 2, 1 }, Padding = \"valid\", Dilation = 2, Groups = 3, Bias = false)] [Flatten] [Dense(2)]")]
    [InlineData("[Network(4, 8, 8)] [Conv2d(4, 4, Padding = \"same\", Groups = 4)] [AvgPool2d(3, Stride = 2, Padding = 1, CeilMode = true, CountIncludePad = false)] [AdaptiveAvgPool2d(1)] [Flatten] [Dense(2)]")]
    [InlineData("[Network(2, 16)] [Conv1d(4, 5, Stride = 2, Padding = \"valid\")] [MaxPool1d(2, Stride = null)] [ConvTranspose1d(2, 3, Stride = 2, OutputPadding = 1)] [AvgPool1d(2)] [Flatten] [Dense(1)] [Sigmoid]")]
    [InlineData("[Network(8, 4, 4)] [ConvTranspose2d(4, new[] { 2, 3 }, Stride = 2, Padding = new[] { 0, 1 }, OutputPadding = new[] { 1, 0 }, Dilation = 1, Groups = 2)] [Dropout2d] [MaxPool2d(new[] { 3, 2 }, Stride = new[] { 1, 2 }, Padding = 1, Dilation = new[] { 2, 1 }, CeilMode = true)] [Flatten] [Dense(2)]")]
    public void Convolution_networks_generate_code_that_compiles(string declaration)
    {
        var (result, output, diagnostics) = GeneratorHarness.Run($"using SourceGenNN; namespace App; {declaration} public partial class N {{ }}");
        Assert.Empty(diagnostics);
        Assert.Empty(GeneratorHarness.Errors(output));
        Assert.Single(result.Results.Single().GeneratedSources);
    }

    [Fact]
    public void Every_descriptor_has_a_unique_id_and_help_link()
    {
        var fields = typeof(NetworkGenerator).Assembly.GetType("SourceGenNN.Generator.Diagnostics.DiagnosticDescriptors")!
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!).ToList();
        Assert.True(fields.Count >= 13);
        Assert.Equal(fields.Count, fields.Select(f => f.Id).Distinct().Count());
        Assert.All(fields, f => Assert.Contains(f.Id.ToLowerInvariant(), f.HelpLinkUri));
        // Absolute: the link must work for a user of the package, outside this repository.
        Assert.All(fields, f => Assert.StartsWith("https://", f.HelpLinkUri));
        string shipped = System.IO.File.ReadAllText(System.IO.Path.Combine(RepoRoot(), "Generator", "Diagnostics", "AnalyzerReleases.Unshipped.md"));
        string docs = System.IO.File.ReadAllText(System.IO.Path.Combine(RepoRoot(), "docs", "diagnostics.md"));
        Assert.All(fields, f => Assert.Contains(f.Id, shipped));
        Assert.All(fields, f => Assert.Contains("## " + f.Id, docs));
    }

    internal static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(file)!, ".."));
}
