using System.Linq;
using Xunit;

namespace SourceGenNN.Generator.Tests;

/// <summary>The generated source, pinned: any change to it shows up as a diff to review.</summary>
public class SnapshotTests
{
    private static void VerifyGenerated(string declaration, string hintName, [System.Runtime.CompilerServices.CallerMemberName] string method = "")
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(declaration);
        Assert.Empty(diagnostics);
        Assert.Empty(GeneratorHarness.Errors(output));
        var source = result.Results.Single().GeneratedSources.Single(s => s.HintName == hintName);
        Snapshot.Verify(source.SourceText.ToString(), hintName, method: method, testClass: nameof(SnapshotTests));
    }

    [Fact]
    public void Seed_network() => VerifyGenerated(Declarations.Seed, "Course.SeedNetwork.g.cs");

    [Fact]
    public void Mlp_784_128_10() => VerifyGenerated(Declarations.Mlp, "Digits.Mlp.g.cs");

    [Fact]
    public void Graph_network() => VerifyGenerated(Declarations.Graph, "Course.GraphNetwork.g.cs");

    [Fact]
    public void Every_activation() => VerifyGenerated(Declarations.EveryActivation, "Zoo.EveryActivation.g.cs");

    [Fact]
    public void Every_initializer() => VerifyGenerated(Declarations.EveryInitializer, "Zoo.EveryInitializer.g.cs");

    [Fact]
    public void Cnn() => VerifyGenerated(Declarations.Cnn, "Vision.SmallCnn.g.cs");

    [Fact]
    public void Every_window_layer() => VerifyGenerated(Declarations.EveryWindowLayer, "Zoo.EveryWindowLayer.g.cs");

    [Fact]
    public void Attention_network() => VerifyGenerated(Declarations.Attention, "Course.TinyTransformer.g.cs");

    [Fact]
    public void Output_does_not_depend_on_the_current_culture()
    {
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        string Generate() => GeneratorHarness.Run(Declarations.EveryInitializer).Result.Results.Single().GeneratedSources.Single().SourceText.ToString();
        string invariant = Generate();
        try
        {
            // German writes 0,5; some cultures write U+2212 for minus. Neither may reach the generated code.
            var odd = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
            odd.NumberFormat.NumberDecimalSeparator = ",";
            odd.NumberFormat.NegativeSign = "\u2212";
            System.Globalization.CultureInfo.CurrentCulture = odd;
            Assert.Equal(invariant, Generate());
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = saved;
        }
    }
}
