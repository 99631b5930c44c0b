using SourceGenNN.Testing;

namespace SourceGenNN.Tests.Cuda;

/// <summary>Network descriptions built by hand, the way the generator describes its networks.</summary>
internal static class TestNetworks
{
    /// <summary>784 → Dense(128) ReLU → Dense(10) Softmax, as <c>[Network(784)] [Dense(128)] [ReLU] [Dense(10)] [Softmax]</c>.</summary>
    public static NetworkDescription Mlp() => Descriptions.Build("Mlp", 784,
        ("Dense", 128, ""), ("ReLU", 0, ""), ("Dense", 10, ""), ("Softmax", 0, ""));

    /// <summary>Every layer kind the CUDA path supports, ending in Sigmoid.</summary>
    public static NetworkDescription Zoo() => Descriptions.Build("Zoo", 8,
        ("Dense", 16, ""), ("LeakyReLU", 0, "slope=0.2"), ("Dropout", 0, "p=0.25"),
        ("Dense", 16, ""), ("ELU", 0, "alpha=0.5"),
        ("Dense", 12, ""), ("GELU", 0, ""), ("PReLU", 0, "perFeature=true"),
        ("DenseNoBias", 12, ""), ("SiLU", 0, ""), ("RReLU", 0, "lower=0.1,upper=0.3"), ("Tanh", 0, ""), ("Identity", 0, ""),
        ("Dense", 3, ""), ("Sigmoid", 0, ""));
}
