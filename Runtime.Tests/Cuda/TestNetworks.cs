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

/// <summary>The descriptions of the test networks.</summary>
internal static class TestNetworks
{
    public static NetworkDescription Mlp() => new CudaMlp().Description;

    public static NetworkDescription Zoo() => new CudaZoo().Description;

    public static NetworkDescription Graph() => new CudaGraph().Description;
}
