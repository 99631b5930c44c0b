using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace SourceGenNN.Generator.Tests;

/// <summary>The attention kinds' declaration checks: each mistake is its own diagnostic on the attribute, and no code.</summary>
public class AttentionDiagnosticTests
{
    private static Diagnostic Single(string declaration, string id, string attribute)
    {
        string src = $"using SourceGenNN; {declaration} public partial class N {{ }}";
        var (result, _, diagnostics) = GeneratorHarness.Run(src);
        Assert.Null(result.Results.Single().Exception);
        Assert.Empty(result.Results.Single().GeneratedSources);
        var d = Assert.Single(diagnostics, x => x.Id == id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(attribute, src.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        return d;
    }

    [Theory]
    [InlineData("[Network(5, 8)] [MultiheadAttention(3)]", "MultiheadAttention(3)", "embed_dim")]
    [InlineData("[Network(5, 8)] [TransformerEncoderLayer(8, 3)]", "TransformerEncoderLayer(8, 3)", "d_model")]
    [InlineData("[Network(5, 6)] [ScaledDotProductAttention(Key = \"input\", NumHeads = 4)]", "ScaledDotProductAttention(Key = \"input\", NumHeads = 4)", "query and key")]
    public void Features_not_divisible_by_the_heads_are_SGNN0050(string declaration, string attribute, string what)
    {
        var d = Single(declaration, "SGNN0050", attribute);
        Assert.Contains(what, d.GetMessage());
        Assert.Contains("not divisible", d.GetMessage());
    }

    [Fact]
    public void Keys_and_values_of_different_lengths_are_SGNN0051()
    {
        var d = Single("[Network(5, 8)] [Input(\"k\", 6, 8)] [Input(\"v\", 7, 8)] [MultiheadAttention(2, Key = \"k\", Value = \"v\")]",
            "SGNN0051", "MultiheadAttention(2, Key = \"k\", Value = \"v\")");
        Assert.Contains("'k' with 6 positions", d.GetMessage());
        Assert.Contains("'v' with 7", d.GetMessage());
    }

    [Theory]
    [InlineData("[Network(5, 8)] [Input(\"m\", 6, 8)] [MultiheadAttention(2, Key = \"m\", IsCausal = true)]", "MultiheadAttention(2, Key = \"m\", IsCausal = true)")]
    [InlineData("[Network(5, 8)] [Input(\"m\", 3, 8)] [ScaledDotProductAttention(Key = \"m\", IsCausal = true)]", "ScaledDotProductAttention(Key = \"m\", IsCausal = true)")]
    public void A_causal_mask_over_keys_of_another_length_is_SGNN0052(string declaration, string attribute)
    {
        var d = Single(declaration, "SGNN0052", attribute);
        Assert.Contains("causal over 5 queries", d.GetMessage());
    }

    [Fact]
    public void A_causal_cross_attention_over_keys_of_the_same_length_is_fine()
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(
            "using SourceGenNN; [Network(5, 8)] [Input(\"m\", 5, 4)] [MultiheadAttention(2, Key = \"m\", Value = \"m\", IsCausal = true)] public partial class N { }");
        Assert.Empty(diagnostics);
        Assert.Single(result.Results.Single().GeneratedSources);
    }

    [Theory]
    [InlineData("[Network(5, 8)] [Input(\"len\", 2)] [MultiheadAttention(2, KeyLengths = \"len\")]", "MultiheadAttention(2, KeyLengths = \"len\")", "a network input of shape [2]")]
    [InlineData("[Network(5, 8)] [Dense(1, Name = \"len\")] [MultiheadAttention(2, Input = \"input\", KeyLengths = \"len\")]", "MultiheadAttention(2, Input = \"input\", KeyLengths = \"len\")", "a layer's output")]
    [InlineData("[Network(5, 8)] [Input(\"len\", 1, 1)] [TransformerEncoderLayer(8, 2, KeyLengths = \"len\")]", "TransformerEncoderLayer(8, 2, KeyLengths = \"len\")", "[1, 1]")]
    public void Key_lengths_that_are_not_a_network_input_of_shape_1_are_SGNN0053(string declaration, string attribute, string what)
    {
        var d = Single(declaration, "SGNN0053", attribute);
        Assert.Contains(what, d.GetMessage());
        Assert.Contains("[Input(\"len\", 1)]", d.GetMessage());
    }

    [Theory]
    [InlineData("[Network(8)] [MultiheadAttention(2)]", "MultiheadAttention(2)", "[T, E]")]
    [InlineData("[Network(5, 8)] [TransformerEncoderLayer(16, 2)]", "TransformerEncoderLayer(16, 2)", "[TransformerEncoderLayer(8, 2)]")]
    [InlineData("[Network(5, 8)] [ScaledDotProductAttention]", "ScaledDotProductAttention", "Key = ")]
    [InlineData("[Network(5, 8)] [Input(\"k\", 5, 4)] [ScaledDotProductAttention(Key = \"k\")]", "ScaledDotProductAttention(Key = \"k\")", "the same size")]
    [InlineData("[Network(8)] [PositionalEmbedding]", "PositionalEmbedding", "[-1, 8]")]
    [InlineData("[Network(8)] [SinusoidalPositionalEncoding]", "SinusoidalPositionalEncoding", "[-1, 8]")]
    public void Attention_over_tensors_that_do_not_fit_is_SGNN0016(string declaration, string attribute, string shown)
    {
        var d = Single(declaration, "SGNN0016", attribute);
        Assert.Contains(shown, d.GetMessage());
    }

    [Theory]
    [InlineData("[Network(5, 8)] [MultiheadAttention(0)]", "MultiheadAttention(0)")]
    [InlineData("[Network(5, 8)] [TransformerEncoderLayer(8, 2, DimFeedforward = 0)]", "TransformerEncoderLayer(8, 2, DimFeedforward = 0)")]
    public void Non_positive_heads_or_widths_are_SGNN0004(string declaration, string attribute) => Single(declaration, "SGNN0004", attribute);

    [Theory]
    [InlineData("[Network(5, 8)] [MultiheadAttention(2, Dropout = 1.0)]", "MultiheadAttention(2, Dropout = 1.0)")]
    [InlineData("[Network(5, 8)] [Mean(3)]", "Mean(3)")]
    [InlineData("[Network(5, 8)] [TransformerEncoderLayer(8, 2, LayerNormEps = 0)]", "TransformerEncoderLayer(8, 2, LayerNormEps = 0)")]
    public void Options_out_of_range_are_SGNN0005(string declaration, string attribute) => Single(declaration, "SGNN0005", attribute);

    [Fact]
    public void An_unknown_key_tensor_is_SGNN0017()
    {
        var d = Single("[Network(5, 8)] [MultiheadAttention(2, Key = \"memory\")]", "SGNN0017", "MultiheadAttention(2, Key = \"memory\")");
        Assert.Contains("'input'", d.GetMessage());
    }
}
