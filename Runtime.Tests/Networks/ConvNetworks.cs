using SourceGenNN;

namespace SourceGenNN.Tests.Networks;

// Convolution and pooling networks, each option of each kind in at least one; small enough to difference every
// parameter and input. The shapes are worked out in the comments (per sample, batch excluded).

/// <summary>The basic block: a padded 3×3 convolution, Tanh, 2×2 max pooling (its fast path; the odd row is dropped).</summary>
[Network(2, 7, 8)]
[Conv2d(3, 3, Padding = 1)]       // [3, 7, 8]
[Tanh]
[MaxPool2d(2)]                    // [3, 3, 4]
[Flatten]
[Dense(2)]
public partial class ConvBlockNet { }

/// <summary>
/// Stride, dilation and padding per axis, a 3×2 kernel, two groups and no bias; max pooling with padding, stride and
/// ceil_mode.
/// </summary>
[Network(4, 9, 8)]
[Conv2d(6, new[] { 3, 2 }, Stride = new[] { 2, 1 }, Padding = new[] { 1, 0 }, Dilation = new[] { 1, 2 }, Groups = 2, Bias = false)] // [6, 5, 6]
[MaxPool2d(3, Stride = 2, Padding = 1, CeilMode = true)] // [6, 3, 4]
[Flatten]
[Dense(3)]
public partial class ConvOptionsNet { }

/// <summary>
/// A depthwise convolution with "same" padding and an even kernel (1 before, 2 after), average pooling that skips the
/// padding with ceil_mode (the last window is cut by the padded input's end), a pointwise convolution and adaptive
/// pooling with overlapping windows.
/// </summary>
[Network(3, 6, 6)]
[Conv2d(3, 4, Padding = "same", Groups = 3)]                                // [3, 6, 6]
[AvgPool2d(3, Stride = 2, Padding = 1, CeilMode = true, CountIncludePad = false)] // [3, 4, 4]
[Conv2d(2, 1)]                                                              // [2, 4, 4]
[AdaptiveAvgPool2d(new[] { 3, 3 })]                                         // [2, 3, 3]
[Flatten]
[Dense(2)]
public partial class DepthwiseNet { }

/// <summary>Sequences: a strided, dilated, padded Conv1d, dilated max pooling, average pooling with padding counted and ceil_mode, a transposed Conv1d without bias.</summary>
[Network(3, 10)]
[Conv1d(4, 3, Stride = 2, Padding = 2, Dilation = 2)]                            // [4, 5]
[MaxPool1d(2, Stride = 1, Padding = 1, Dilation = 2)]                            // [4, 5]
[AvgPool1d(3, Stride = 2, Padding = 1, CeilMode = true)]                         // [4, 3]
[ConvTranspose1d(2, 3, Stride = 2, Padding = 1, OutputPadding = 1, Bias = false)] // [2, 6]
[Flatten]
[Dense(2)]
public partial class SequenceConvNet { }

/// <summary>A transposed 2-D convolution with groups, dilation and output_padding, then global average pooling.</summary>
[Network(4, 3, 4)]
[ConvTranspose2d(6, new[] { 3, 2 }, Stride = 2, Padding = new[] { 1, 0 }, OutputPadding = 1, Dilation = new[] { 1, 2 }, Groups = 2)] // [6, 6, 10]
[ELU]
[AdaptiveAvgPool2d(1)]                                                           // [6, 1, 1]
[Flatten]
[Dense(2)]
public partial class TransposedNet { }

/// <summary>A 1×1 transposed convolution (the pointwise path), a same-padded Conv1d with an even kernel, and valid padding.</summary>
[Network(4, 6)]
[ConvTranspose1d(3, 1, Bias = false)]            // [3, 6]
[Conv1d(5, 4, Padding = "same")]                 // [5, 6]
[Conv1d(2, 2, Padding = "valid", Groups = 1)]    // [2, 5]
[Flatten]
[Dense(2)]
public partial class PointwiseNet { }

/// <summary>A convolution and BatchNorm2d trained on the batch's statistics.</summary>
[Network(2, 5, 5)]
[Conv2d(3, 3)]                      // [3, 3, 3]
[BatchNorm2d]
[ReLU]
[MaxPool2d(2, CeilMode = true)]     // [3, 2, 2]
[Flatten]
[Dense(2)]
public partial class ConvBatchNormNet { }

/// <summary>Channel dropout after a convolution.</summary>
[Network(3, 4, 5)]
[Conv2d(4, 3, Padding = 1)]         // [4, 4, 5]
[Dropout2d(0.4)]
[Flatten]
[Dense(2)]
public partial class ChannelDropoutNet { }

/// <summary>Workload W6: the network a course would draw, on MNIST-shaped input.</summary>
[Network(1, 28, 28)]
[Conv2d(8, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]   // [8, 14, 14]
[Conv2d(16, 3, Padding = 1)] [ReLU] [MaxPool2d(2)]  // [16, 7, 7]
[Flatten]
[Dense(10)]
public partial class SmallCnn { }
