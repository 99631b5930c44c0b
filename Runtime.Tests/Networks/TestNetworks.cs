using SourceGenNN;

namespace SourceGenNN.Tests.Networks;

// Networks declared exactly as a user would; the generator runs as an analyzer on this project.

/// <summary>The course's seed network (small layers: unrolled code).</summary>
[Network(3)]
[Dense(3, WeightInit = Init.XavierNormal)]
[Sigmoid]
[Dense(2, WeightInit = Init.KaimingNormal)]
[ReLU]
[Dense(2)]
[Softmax]
public partial class SeedNet { }

/// <summary>The MNIST MLP, with user-given layer names.</summary>
[Network(784)]
[Dense(128, Name = "fc1")]
[ReLU]
[Dense(10, Name = "fc2")]
public partial class MnistMlp { }

/// <summary>Every deterministic layer kind, at widths that exercise full vectors and tails (19 = 16 + 3).</summary>
[Network(7)]
[Dense(19)] [Identity]
[Dense(19)] [Sigmoid]
[Dense(19)] [Tanh]
[Dense(19)] [ReLU]
[Dense(19)] [LeakyReLU(0.2)]
[Dense(19)] [PReLU]
[Dense(19)] [PReLU(PerFeature = true, Init = 0.1)]
[Dense(19)] [ELU(0.7)]
[Dense(19)] [GELU]
[Dense(19)] [SiLU]
[Dense(19, Bias = false)]
[Dense(5)] [Softmax]
public partial class EveryLayerNet { }

/// <summary>The random layers: dropout and RReLU.</summary>
[Network(6)]
[Dense(21)] [RReLU]
[Dropout(0.3)]
[Dense(21)] [Tanh]
[Dropout(0.5)]
[Dense(3)]
public partial class RandomLayersNet { }

/// <summary>A network ending in sigmoid, for the fused binary cross-entropy gradient.</summary>
[Network(4)]
[Dense(8)] [Tanh]
[Dense(1)] [Sigmoid]
public partial class SigmoidNet { }

/// <summary>A network that starts with an activation, so the first layer's input gradient goes through it.</summary>
[Network(5)]
[ELU]
[Dense(3, Name = "head")]
public partial class ActivationFirstNet { }

/// <summary>A residual block: fc1's output is read by Tanh and by the Add, so its gradient is the sum of two.</summary>
[Network(6)]
[Dense(8, Name = "fc1")] [Tanh]
[Dense(8)] [Add("fc1")]
[LayerNorm]
[Dense(3)]
public partial class ResidualNet { }

/// <summary>Two inputs, a Dense on each, concatenated; the network input is also read twice (by "a" and the Concat).</summary>
[Network(5)]
[Input("side", 3)]
[Dense(4, Name = "a")] [ELU]
[Dense(4, Name = "b", Input = "side")]
[Concat("1", "input")]
[Dense(2)]
public partial class TwoInputNet { }

/// <summary>
/// A sequence [T=4, F=5]: Dense per step, LayerNorm per step, softmax over time, per-channel PReLU (one slope per step),
/// a reshape, LayerNorm over two dimensions without affine parameters, then flattened.
/// </summary>
[Network(4, 5)]
[Dense(6)] [LayerNorm]
[Softmax(Dim = 1)]
[PReLU(PerFeature = true, Init = 0.5)]
[Reshape(6, 4)]
[LayerNorm(6, 4, ElementwiseAffine = false)]
[Flatten]
[Dense(3)]
public partial class SequenceNet { }

/// <summary>BatchNorm1d on [C, L] and on vectors, and BatchNorm2d on [C, H, W] without affine parameters.</summary>
[Network(2, 3, 4)]
[BatchNorm2d(Affine = false, Momentum = 0.3)]
[Reshape(6, 4)]
[BatchNorm1d]
[Flatten]
[Dense(5)] [BatchNorm1d(Eps = 1e-3)] [Tanh]
[Dense(2)]
public partial class NormNet { }
