namespace SourceGenNN.Benchmarks;

/// <summary>W1 and W2: the MNIST-sized MLP 784-128(ReLU)-10. It ends in raw logits, as PyTorch's peer does
/// (<c>nn.CrossEntropyLoss</c> takes logits).</summary>
[Network(784)]
[Dense(128)]
[ReLU]
[Dense(10)]
public partial class MnistMlp { }

/// <summary>W3: the course's first network, 3-3(sigmoid)-2(ReLU)-2(softmax), with the course's initialisers.</summary>
[Network(3)]
[Dense(3, WeightInit = Init.XavierNormal)]
[Sigmoid]
[Dense(2, WeightInit = Init.KaimingNormal)]
[ReLU]
[Dense(2)]
[Softmax]
public partial class CourseNet { }

/// <summary>W4: a small binary classifier, 20-64(ReLU)-32(ReLU)-1(sigmoid).</summary>
[Network(20)]
[Dense(64)]
[ReLU]
[Dense(32)]
[ReLU]
[Dense(1)]
[Sigmoid]
public partial class BinaryNet { }

/// <summary>W5: the wide MLP 1024-1024(ReLU)-1024(ReLU)-10, ending in raw logits.</summary>
[Network(1024)]
[Dense(1024)]
[ReLU]
[Dense(1024)]
[ReLU]
[Dense(10)]
public partial class WideMlp { }

/// <summary>W6: the CNN a course would draw for MNIST: conv(1→8, k3, pad 1), ReLU, maxpool 2; conv(8→16, k3, pad 1),
/// ReLU, maxpool 2; flatten; Dense(784→10), ending in raw logits.</summary>
[Network(1, 28, 28)]
[Conv2d(8, 3, Padding = 1)]
[ReLU]
[MaxPool2d(2)]
[Conv2d(16, 3, Padding = 1)]
[ReLU]
[MaxPool2d(2)]
[Flatten]
[Dense(10)]
public partial class SmallCnn { }
/// <summary>
/// W8: one transformer encoder layer (d = 64, 4 heads, feed-forward 128, post-norm, ReLU, no dropout) over 16 tokens,
/// the mean over the tokens and a Linear(64→10), ending in raw logits. PyTorch's peer is
/// <c>nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True)</c>, <c>x.mean(1)</c>, <c>nn.Linear(64, 10)</c>.
/// </summary>
[Network(16, 64)]
[TransformerEncoderLayer(64, 4, DimFeedforward = 128, Dropout = 0.0, Name = "enc")]
[Mean(1, Name = "pool")]
[Dense(10, Name = "head")]
public partial class TransformerW8 { }
