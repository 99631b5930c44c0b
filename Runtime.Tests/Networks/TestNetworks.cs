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
