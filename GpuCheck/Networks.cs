using SourceGenNN;

namespace GpuCheck;

// The networks GpuCheck runs on the GPU, declared with attributes exactly as a user would: the generator checks them
// at compile time, their generated CPU code gives the initial weights and the CPU side of the trainer checks, and the
// double-precision reference (Testing/) gives the expected numbers.

/// <summary>784 → 128 ReLU → 10 Softmax.</summary>
[Network(784)]
[Dense(128)] [ReLU]
[Dense(10)] [Softmax]
internal partial class CheckMlp { }

/// <summary>Every element-wise kind and dropout, ending in Sigmoid.</summary>
[Network(8)]
[Dense(16)] [LeakyReLU(0.2)] [Dropout(0.25)]
[Dense(16)] [ELU(0.5)]
[Dense(12)] [GELU] [PReLU(PerFeature = true)]
[Dense(12, Bias = false)] [SiLU] [RReLU(0.1, 0.3)] [Tanh] [Identity]
[Dense(3)] [Sigmoid]
internal partial class CheckZoo { }

/// <summary>A regressor with a softmax in the middle (meant: SGNN0026 is suppressed) and a shared PReLU.</summary>
#pragma warning disable SGNN0026
[Network(5)]
[Dense(9)] [Softmax]
[Dense(7)] [PReLU]
[Dense(2)]
#pragma warning restore SGNN0026
internal partial class CheckRegressor { }

/// <summary>A classifier whose logits are its output (no final softmax layer).</summary>
[Network(30)]
[Dense(20)] [Tanh]
[Dense(4)]
internal partial class CheckLogits { }

/// <summary>A residual block: fc1's output is added back after two layers, then LayerNorm.</summary>
[Network(12)]
[Dense(16, Name = "fc1")] [ReLU]
[Dense(16)]
[Add("fc1")]
[LayerNorm]
[Dense(3)]
internal partial class CheckResidual { }

/// <summary>Two inputs: a Dense on each, concatenated, then a classifier head.</summary>
[Network(6)]
[Input("context", 4)]
[Dense(8, Name = "a")] [Tanh(Name = "ta")]
[Dense(5, Name = "b", Input = "context")]
[Concat("ta")]
[Dense(3)] [Softmax]
internal partial class CheckTwoInputs { }

/// <summary>A sequence [T=5, F=6]: Dense per step, LayerNorm per step, softmax over time, then flattened.</summary>
[Network(5, 6)]
[Dense(8)] [GELU]
[LayerNorm]
[Softmax(Dim = 1)]
[Flatten]
[Dense(4)]
internal partial class CheckSequence { }

/// <summary>Per-channel PReLU on [C=3, L=7], a reshape, a LayerNorm over two dimensions and no affine one.</summary>
[Network(3, 7)]
[PReLU(PerFeature = true)]
[Reshape(7, 3)]
[LayerNorm(7, 3, Name = "ln2")]
[LayerNorm(ElementwiseAffine = false)]
[Flatten]
[Dense(2)] [Sigmoid]
internal partial class CheckChannels { }

/// <summary>W1 of the benchmarks: 784 → 128 ReLU → 10, cross entropy on the logits.</summary>
[Network(784)]
[Dense(128)] [ReLU]
[Dense(10)]
internal partial class W1 { }

/// <summary>W5 of the benchmarks: 1024 → 1024 ReLU → 1024 ReLU → 10.</summary>
[Network(1024)]
[Dense(1024)] [ReLU]
[Dense(1024)] [ReLU]
[Dense(10)]
internal partial class W5 { }

/// <summary>W5's shape, 64 wide, for the benchmark's smoke run on the CUDA emulator.</summary>
[Network(64)]
[Dense(64)] [ReLU]
[Dense(64)] [ReLU]
[Dense(10)]
internal partial class W5Small { }

/// <summary>20 → 16 ReLU → 4 Softmax, for the trainer checks.</summary>
[Network(20)]
[Dense(16)] [ReLU]
[Dense(4)] [Softmax]
internal partial class TrainerCe { }

/// <summary>20 → 12 Tanh → 1 Sigmoid, for the trainer checks.</summary>
[Network(20)]
[Dense(12)] [Tanh]
[Dense(1)] [Sigmoid]
internal partial class TrainerBce { }

/// <summary>20 → 16 RReLU → dropout → 4 Softmax, for the trainer checks (the CPU's masks on the GPU).</summary>
[Network(20)]
[Dense(16)] [RReLU(0.1, 0.3)] [Dropout(0.25)]
[Dense(4)] [Softmax]
internal partial class TrainerDropout { }

/// <summary>20 → residual block with LayerNorm → 4 Softmax, for the trainer checks.</summary>
[Network(20)]
[Dense(16, Name = "fc1")] [ReLU]
[Dense(16)] [Add("fc1")] [LayerNorm]
[Dense(4)] [Softmax]
internal partial class TrainerResidual { }

/// <summary>
/// BatchNorm2d on images and BatchNorm1d on vectors: batch statistics in training, running ones in evaluation. (The
/// Tanh keeps the BatchNorm2d bias's gradient from being exactly zero, which the BatchNorm1d after the Dense would make
/// it, and which Adam would turn into steps of ±lr from rounding noise; the Dense before a BatchNorm has no bias for the
/// same reason, as is usual in PyTorch.)
/// </summary>
[Network(3, 4, 5)]
[BatchNorm2d] [Tanh]
[Flatten]
[Dense(6, Bias = false)] [BatchNorm1d(Momentum = 0.2)] [ReLU]
[Dense(2)]
internal partial class CheckNorm { }

/// <summary>
/// A CNN as a course draws it, with BatchNorm2d and channel dropout: convolutions (one without bias before the
/// BatchNorm, one strided with groups), max pooling with ceil_mode, global average pooling.
/// </summary>
[Network(1, 12, 12)]
[Conv2d(8, 3, Padding = 1, Bias = false)] [BatchNorm2d] [ReLU]
[MaxPool2d(2)]                               // [8, 6, 6]
[Dropout2d(0.25)]
[Conv2d(12, 3, Stride = 2, Padding = "valid", Groups = 4)] [Tanh] // [12, 2, 2]
[MaxPool2d(2, Stride = 1, Padding = 1, CeilMode = true)]         // [12, 3, 3]
[AdaptiveAvgPool2d(1)] [Flatten]
[Dense(4)]
internal partial class CheckCnn { }

/// <summary>The other window kinds: transposed convolutions, average and adaptive pooling with their options, the 1-D kinds.</summary>
[Network(3, 4, 5)]
[ConvTranspose2d(4, new[] { 3, 2 }, Stride = 2, Padding = new[] { 1, 0 }, OutputPadding = 1, Dilation = new[] { 1, 2 })] // [4, 8, 12]
[ELU]
[AvgPool2d(3, Stride = 2, Padding = 1, CeilMode = true, CountIncludePad = false)] // [4, 5, 7]
[AdaptiveAvgPool2d(new[] { 3, 4 })]                                             // [4, 3, 4]
[Reshape(4, 12)]
[Conv1d(6, 3, Padding = "same", Groups = 2)]                                     // [6, 12]
[MaxPool1d(2)]                                                                   // [6, 6]
[ConvTranspose1d(2, 2, Stride = 2, Bias = false)]                                // [2, 12]
[AvgPool1d(3, Stride = 2, Padding = 1)]                                          // [2, 6]
[Flatten]
[Dense(2)]
internal partial class CheckWindows { }

/// <summary>W6 of the benchmarks: conv(1→8) ReLU maxpool, conv(8→16) ReLU maxpool, flatten, Dense(10), on MNIST-shaped input.</summary>
[Network(1, 28, 28)]
[Conv2d(8, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
[Conv2d(16, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]
[Flatten]
[Dense(10)]
internal partial class W6 { }

/// <summary>
/// LSTMs: two stacked bidirectional layers with dropout between them, h_n of both directions, then a stacked one over
/// the whole sequence with a Dense per step; every gate and both directions on the GPU.
/// </summary>
[Network(6, 5)]
[LSTM(7, NumLayers = 2, Bidirectional = true, Dropout = 0.3, Name = "lstm")] // [6, 14]
[LSTM(5, Output = RecurrentOutput.FinalHidden, Bidirectional = true, Name = "top")] // [10]
[Dense(3)]
internal partial class CheckLstm { }

/// <summary>GRUs: bidirectional over the sequence, a Dense per step, then a stacked GRU without bias to its last step.</summary>
[Network(5, 4)]
[GRU(6, Bidirectional = true)]                                      // [5, 12]
[Dense(5)] [Tanh]                                                   // per step
[GRU(8, NumLayers = 2, Bias = false, Dropout = 0.2, Output = RecurrentOutput.LastStep)] // [8]
[Dense(2)]
internal partial class CheckGru { }

/// <summary>Elman RNNs: ReLU stacked to the last step, tanh bidirectional h_n, and a one-step sequence (T = 1).</summary>
[Network(4, 3)]
[RNN(6, Nonlinearity = RnnNonlinearity.ReLU, NumLayers = 2, Name = "relu")] // [4, 6]
[RNN(5, Bidirectional = true, Output = RecurrentOutput.FinalHidden)]       // [10]
[Reshape(1, 10)]
[RNN(4, Output = RecurrentOutput.LastStep)]                               // T = 1: no recurrent product
[Dense(3)]
internal partial class CheckRnn { }

/// <summary>W7 of the benchmarks: LSTM(32→64) over 50 steps, then Linear(64→10) on the last step.</summary>
[Network(50, 32)]
[LSTM(64, Output = RecurrentOutput.LastStep)]
[Dense(10)]
internal partial class W7 { }
// ---- attention (issue 16): every attention-related kind on the GPU ---------------------------------------------------

/// <summary>Self-attention with biases and a key length per sample (lengths 0 included: such rows give weights of 0), mean pooling.</summary>
[Network(5, 8)]
[Input("lengths", 1)]
[MultiheadAttention(2, KeyLengths = "lengths", Name = "attn")]
[Mean(1)]
[Dense(3)] [Softmax]
internal partial class CheckSelfAttention { }

/// <summary>Causal self-attention without biases, 4 heads, dropout on the attention weights (the CPU's draws on the GPU).</summary>
[Network(6, 8)]
[Dense(8, Name = "x")]
[MultiheadAttention(4, IsCausal = true, Bias = false, Dropout = 0.2, Name = "attn")]
[Flatten]
[Dense(2)]
internal partial class CheckCausalAttention { }

/// <summary>
/// Cross-attention: queries from one tensor, keys (kdim 7) and values (vdim 5) from a second network input of another
/// length, so q/k/v_proj_weight instead of in_proj_weight; the keys come through a layer, so their gradient flows.
/// </summary>
[Network(4, 6)]
[Input("memory", 6, 5)]
[Dense(8, Name = "q")]
[Dense(7, Name = "mem", Input = "memory")] [Tanh(Name = "mt")]
[MultiheadAttention(2, Input = "q", Key = "mt", Value = "memory", Name = "cross")]
[Flatten]
[Dense(3)] [Softmax]
internal partial class CheckCrossAttention { }

/// <summary>Scaled dot-product attention: q, k, v from three Dense layers (values narrower), causal, key lengths.</summary>
[Network(5, 6)]
[Input("lengths", 1)]
[Dense(8, Name = "q")]
[Dense(8, Name = "k", Input = "input")]
[Dense(4, Name = "v", Input = "input")]
[ScaledDotProductAttention(NumHeads = 2, Input = "q", Key = "k", Value = "v", KeyLengths = "lengths", IsCausal = true, Name = "sdpa")]
[Flatten]
[Dense(2)]
internal partial class CheckSdpa { }

/// <summary>Scaled dot-product self-attention (one tensor as q, k and v: its gradient is the sum of three) with dropout.</summary>
[Network(5, 6)]
[Dense(8, Name = "d")] [Tanh(Name = "dt")]
[ScaledDotProductAttention(NumHeads = 2, Key = "dt", Dropout = 0.25, Name = "sdpa")]
[Flatten]
[Dense(2)]
internal partial class CheckSdpaSelf { }

/// <summary>Learned and sinusoidal positional embeddings, and a mean over the last dimension kept as size 1.</summary>
[Network(5, 8)]
[PositionalEmbedding(Name = "pos")]
[SinusoidalPositionalEncoding(Name = "sin")]
[Dense(6)] [Tanh]
[Mean(-1, KeepDim = true)]
[Flatten]
[Dense(2)]
internal partial class CheckPositional { }

/// <summary>A TransformerEncoderLayer (post-norm, ReLU, dropout 0.1, key lengths), mean pooling, a classifier.</summary>
[Network(6, 8)]
[Input("lengths", 1)]
[TransformerEncoderLayer(8, 2, DimFeedforward = 16, Dropout = 0.1, KeyLengths = "lengths", Name = "enc")]
[Mean(1)]
[Dense(3)] [Softmax]
internal partial class CheckEncoderPostNorm { }

/// <summary>A TransformerEncoderLayer with NormFirst, GELU and a causal mask, on learned positions.</summary>
[Network(6, 8)]
[PositionalEmbedding(Name = "pos")]
[TransformerEncoderLayer(8, 4, DimFeedforward = 12, Dropout = 0.1, NormFirst = true, Activation = TransformerActivation.GELU, IsCausal = true, Name = "enc")]
[Flatten]
[Dense(2)]
internal partial class CheckEncoderPreNorm { }
