using System.Linq;
using Xunit;

namespace SourceGenNN.Generator.Tests;

/// <summary>Whatever the user types, the generator reports diagnostics; it never throws.</summary>
public class MalformedInputTests
{
    public static TheoryData<string> Inputs => new()
    {
        "using SourceGenNN; [Network(] [Dense(2)] public partial class N { }",
        "using SourceGenNN; [Network(\"three\")] [Dense(2)] public partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense] public partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense(\"two\")] public partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense(2.5)] public partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense(2, Bias = 7)] public partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense(2, WeightInit = 99)] public partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense(2, WeightInit = (Init)99)] public partial class N { }",
        "using SourceGenNN; [Network(3)] [Dropout(p: )] public partial class N { }",
        "using SourceGenNN; [Network(3)] [LeakyReLU(\"x\")] [Dense(2)] public partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense(2, Name = null)] public partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense(2)] public partial struct N { }",
        "using SourceGenNN; [Network(3)] [Dense(2)] public partial interface N { }",
        "using SourceGenNN; [Network(3)] [Dense(2)] public partial record N { }",
        "using SourceGenNN; [Network(3)] [Dense(2)] public partial class N { ",
        "using SourceGenNN; [Network(3)] [Dense(2)] partial class",
        "using SourceGenNN; [Network(3), Network(4)] [Dense(2)] public partial class N { }",
        "using SourceGenNN; [Network(int.MaxValue)] [Dense(int.MaxValue)] public partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense(2)] public static partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense(2)] public abstract partial class N { }",
        "using SourceGenNN; [Network(3)] [Dense(2)] [Dense(2)] [Softmax] [Softmax] public partial class N { }",
        "using SourceGenNN; class C { void M() { [Network(3)] [Dense(2)] partial class N { } } }",
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Generator_never_throws(string source)
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(source);
        var run = result.Results.Single();
        Assert.Null(run.Exception);
        Assert.DoesNotContain(diagnostics, d => d.Id == "SGNN0999" || d.Id.StartsWith("CS8785", System.StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("using SourceGenNN; [Network(3)] [Dense] public partial class N { }")]
    [InlineData("using SourceGenNN; [Network(3)] [Dense(\"two\")] public partial class N { }")]
    public void Unreadable_layer_arguments_give_SGNN0009_and_no_code(string source)
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(source);
        Assert.Contains(diagnostics, d => d.Id == "SGNN0009");
        Assert.Empty(result.Results.Single().GeneratedSources);
    }
}
