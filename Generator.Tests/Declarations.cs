using System.Linq;

namespace SourceGenNN.Generator.Tests;

/// <summary>Network declarations the snapshot and incrementality tests compile.</summary>
internal static class Declarations
{
    public const string Seed = """
        using SourceGenNN;

        namespace Course;

        // The course's seed network.
        [Network(3)]
        [Dense(3, WeightInit = Init.XavierNormal)]
        [Sigmoid]
        [Dense(2, WeightInit = Init.KaimingNormal)]
        [ReLU]
        [Dense(2)]
        [Softmax]
        public partial class SeedNetwork { }
        """;

    public const string Graph = """
        using SourceGenNN;

        namespace Course;

        // A small graph: a residual block with LayerNorm over a sequence, a second input, and a head reading both.
        [Network(4, 6)]                               // "input": 4 steps of 6 features
        [Input("context", 3)]                         // a second input of 3 features
        [Dense(6, Name = "fc1")] [ReLU(Name = "r")]   // per step: [4, 6] -> [4, 6]
        [Dense(6)] [Add("r")]                         // residual: "r" is read twice, so its gradients add up
        [LayerNorm(Name = "norm")]
        [Flatten]                                     // [4, 6] -> [24]
        [Dense(8, Name = "side", Input = "context")]
        [Concat("5")]                                 // cat([side, flattened]) -> [32]
        [BatchNorm1d(Name = "bn")]
        [Dense(2, Name = "head")] [Softmax]
        public partial class GraphNetwork { }
        """;

    public const string Mlp = """
        using SourceGenNN;

        namespace Digits;

        [Network(784)]
        [Dense(128, Name = "fc1")]
        [ReLU]
        [Dense(10, Name = "fc2")]
        public partial class Mlp { }
        """;

    public const string EveryActivation = """
        using SourceGenNN;

        namespace Zoo;

        [Network(20)]
        [Dense(24)] [Identity]
        [Dense(24)] [Sigmoid]
        [Dense(24)] [Tanh]
        [Dense(24)] [ReLU]
        [Dense(24)] [LeakyReLU(0.2)]
        [Dense(24)] [PReLU]
        [Dense(24)] [PReLU(PerFeature = true, Init = 0.1)]
        [Dense(24)] [ELU(0.5)]
        [Dense(24)] [RReLU]
        [Dense(24)] [GELU]
        [Dense(24)] [SiLU]
        [Dropout(0.25)]
        [Dense(5)] [Softmax]
        public partial class EveryActivation { }
        """;

    public const string EveryInitializer = """
        using SourceGenNN;

        namespace Zoo;

        [Network(16)]
        [Dense(16)]
        [Dense(16, WeightInit = Init.Uniform, InitLow = -0.5, InitHigh = 0.5, BiasInit = Init.Zeros)]
        [Dense(16, WeightInit = Init.Normal, InitMean = 0.1, InitStd = 0.02, BiasInit = Init.Ones)]
        [Dense(16, WeightInit = Init.Constant, InitValue = 0.125, BiasInit = Init.Constant, BiasValue = -0.5)]
        [Dense(16, WeightInit = Init.Zeros, Bias = false)]
        [Dense(16, WeightInit = Init.Ones, BiasInit = Init.Uniform, InitLow = -1, InitHigh = 1)]
        [Dense(16, WeightInit = Init.KaimingUniform, InitNonlinearity = Nonlinearity.ReLU)]
        [Dense(16, WeightInit = Init.KaimingNormal, InitNonlinearity = Nonlinearity.LeakyReLU, InitNegativeSlope = 0.1)]
        [Dense(16, WeightInit = Init.XavierUniform, InitGain = 1.5)]
        [Dense(4, WeightInit = Init.XavierNormal)]
        public partial class EveryInitializer { }
        """;

    public const string Cnn = """
        using SourceGenNN;

        namespace Vision;

        // The network a course draws for MNIST: two convolution blocks, then a dense classifier.
        [Network(1, 28, 28)]
        [Conv2d(8, 3, Padding = 1, Name = "conv1")] [ReLU] [MaxPool2d(2)]                      // [8, 14, 14]
        [Conv2d(16, 3, Padding = 1, Name = "conv2")] [BatchNorm2d(Name = "bn")] [ReLU] [MaxPool2d(2)] // [16, 7, 7]
        [Dropout2d(0.1)]
        [Flatten]
        [Dense(10, Name = "fc")]
        public partial class SmallCnn { }
        """;

    public const string EveryWindowLayer = """
        using SourceGenNN;

        namespace Zoo;

        // Every sliding-window kind and option form: per-axis sizes, "same" padding, groups, dilation, ceil_mode.
        [Network(4, 12, 12)]
        [Conv2d(8, new[] { 3, 5 }, Stride = 2, Padding = new[] { 1, 2 }, Groups = 2, Bias = false)] // [8, 6, 6]
        [ConvTranspose2d(4, 2, Stride = 2, Groups = 4)]                                            // [4, 12, 12]
        [AvgPool2d(3, Stride = 2, Padding = 1, CeilMode = true, CountIncludePad = false)]           // [4, 7, 7]
        [MaxPool2d(3, Stride = 1, Dilation = 2)]                                                   // [4, 3, 3]
        [AdaptiveAvgPool2d(1)]                                                                     // [4, 1, 1]
        [Reshape(1, 4)]
        [Conv1d(6, 2, Padding = "same")]                                                           // [6, 4]
        [ConvTranspose1d(3, 3, Stride = 2, Padding = 1, OutputPadding = 1, Dilation = 1)]          // [3, 8]
        [MaxPool1d(2)]                                                                             // [3, 4]
        [AvgPool1d(2, Stride = 1)]                                                                 // [3, 3]
        [Conv1d(2, 1)]                                                                             // [2, 3]
        [Flatten]
        [Dense(2)]
        public partial class EveryWindowLayer { }
        """;

    public const string Attention = """
        using SourceGenNN;

        namespace Course;

        // A small transformer: learned positions, causal self-attention with a valid length per sample, an encoder layer
        // (a composite: PyTorch's submodules as layers), cross-attention to a second input, mean pooling and a head.
        [Network(4, 8)]                                   // "input": 4 tokens of 8 features
        [Input("lengths", 1)]                             // the valid tokens of each sample
        [Input("memory", 6, 8)]                           // a second sequence: 6 positions of 8 features
        [PositionalEmbedding(Name = "pos")]
        [MultiheadAttention(2, IsCausal = true, KeyLengths = "lengths", Dropout = 0.1, Name = "attn")]
        [TransformerEncoderLayer(8, 2, DimFeedforward = 16, Dropout = 0.0, Name = "enc")]
        [MultiheadAttention(2, Key = "memory", Value = "memory", Name = "cross")]
        [Mean(1)]
        [Dense(3, Name = "head")]
        public partial class TinyTransformer { }
        """;

    /// <summary>Every declaration above, for tests that run over the whole corpus.</summary>
    public static System.Collections.Generic.IEnumerable<(string Name, string Source)> Corpus =>
        typeof(Declarations).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (f.Name, (string)f.GetRawConstantValue()!));
}
