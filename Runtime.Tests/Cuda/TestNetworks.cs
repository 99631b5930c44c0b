namespace SourceGenNN.Tests.Cuda;

/// <summary>784 → Dense(128) ReLU → Dense(10) Softmax.</summary>
[Network(784)]
[Dense(128)] [ReLU]
[Dense(10)] [Softmax]
public partial class CudaMlp { }

/// <summary>Every element-wise layer kind the CUDA path supports, ending in Sigmoid.</summary>
[Network(8)]
[Dense(16)] [LeakyReLU(0.2)] [Dropout(0.25)]
[Dense(16)] [ELU(0.5)]
[Dense(12)] [GELU] [PReLU(PerFeature = true)]
[Dense(12, Bias = false)] [SiLU] [RReLU(0.1, 0.3)] [Tanh] [Identity]
[Dense(3)] [Sigmoid]
public partial class CudaZoo { }

/// <summary>
/// The graph kinds: a three-way residual Add (so "r" is read twice and its gradients add up), LayerNorm, a second input
/// and Concat, softmax over a sequence's time axis.
/// </summary>
[Network(5, 6)]
[Input("context", 4)]
[Dense(6, Name = "fc1")] [ReLU(Name = "r")]
[Dense(6)] [Add("r", "input")] [LayerNorm]
[Softmax(Dim = 1)]
[Flatten(Name = "flat")]
[Dense(30, Input = "context")]
[Concat("flat")]
[Dense(2)]
public partial class CudaGraph { }

/// <summary>A CNN: convolution, BatchNorm2d, ReLU, max pooling, channel dropout, a strided convolution, global pooling.</summary>
[Network(2, 10, 9)]
[Conv2d(6, 3, Padding = 1, Bias = false)] [BatchNorm2d] [ReLU]
[MaxPool2d(2, CeilMode = true)]             // [6, 5, 5]
[Dropout2d(0.3)]
[Conv2d(8, new[] { 3, 2 }, Stride = 2, Groups = 2)] // [8, 2, 2]
[AdaptiveAvgPool2d(1)] [Flatten]
[Dense(3)]
public partial class CudaCnn { }

/// <summary>
/// The other window kinds and options: a transposed convolution with groups, dilation and output_padding, average and
/// max pooling with padding and ceil_mode, adaptive pooling with overlapping cells, the 1-D kinds and a pointwise
/// convolution.
/// </summary>
[Network(4, 5, 6)]
[ConvTranspose2d(6, new[] { 3, 2 }, Stride = 2, Padding = new[] { 1, 0 }, OutputPadding = 1, Dilation = new[] { 1, 2 }, Groups = 2)] // [6, 10, 14]
[Tanh]
[AvgPool2d(3, Stride = 2, Padding = 1, CeilMode = true, CountIncludePad = false)] // [6, 6, 8]
[MaxPool2d(new[] { 2, 3 }, Stride = 1, Padding = 1, Dilation = 2)]              // [6, 6, 6]
[AdaptiveAvgPool2d(new[] { 4, 4 })]                                              // [6, 4, 4]
[Reshape(6, 16)]
[Conv1d(4, 3, Stride = 2, Padding = "valid", Dilation = 2)]                       // [4, 6]
[MaxPool1d(3, Stride = 2, Padding = 1, CeilMode = true)]                          // [4, 4]
[ConvTranspose1d(3, 4, Stride = 2, Padding = 1, Bias = false)]                    // [3, 8]
[AvgPool1d(2, Padding = 1)]                                                       // [3, 5]
[Conv1d(2, 1)]                                                                    // [2, 5]
[Flatten]
[Dense(2)]
public partial class CudaWindows { }

/// <summary>The descriptions of the test networks.</summary>
internal static class TestNetworks
{
    public static NetworkDescription Mlp() => new CudaMlp().Description;

    public static NetworkDescription Zoo() => new CudaZoo().Description;

    public static NetworkDescription Graph() => new CudaGraph().Description;

    public static NetworkDescription Cnn() => new CudaCnn().Description;

    public static NetworkDescription Windows() => new CudaWindows().Description;
}
