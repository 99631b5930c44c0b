using System;

namespace SourceGenNN;

/// <summary>
/// 2-D max pooling, PyTorch's <c>nn.MaxPool2d</c>: the maximum of each window of each channel of [C, H, W] samples;
/// per axis <c>out = ⌊(in + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1</c> (⌈…⌉ with
/// <see cref="CeilMode"/>, PyTorch's rule: a window that would start in the right padding is dropped). Padding is
/// −∞: it never wins. In backward the gradient goes to the first maximum of each window, as PyTorch's does.
/// </summary>
/// <remarks>Size options take an <c>int</c> or an <c>int[]</c> { height, width }, as for <see cref="Conv2dAttribute"/>.</remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2dAttribute : LayerAttribute
{
    /// <summary>Declares max pooling over windows of <paramref name="kernelSize"/>.</summary>
    /// <param name="kernelSize">kernel_size: an <c>int</c>, or an <c>int[]</c> { height, width }.</param>
    public MaxPool2dAttribute(object kernelSize) => KernelSize = kernelSize;

    /// <summary>kernel_size.</summary>
    public object KernelSize { get; }

    /// <summary>stride (default: the kernel size, PyTorch's <c>stride=None</c>).</summary>
    public object? Stride { get; set; }

    /// <summary>padding on both sides, at most half the kernel size (default 0).</summary>
    public object Padding { get; set; } = OptionDefaults.ConvPadding;

    /// <summary>dilation: the spacing of the window's elements (default 1).</summary>
    public object Dilation { get; set; } = OptionDefaults.ConvDilation;

    /// <summary>ceil_mode: round the output size up instead of down (default false).</summary>
    public bool CeilMode { get; set; } = OptionDefaults.PoolCeilMode;
}

/// <summary>1-D max pooling, PyTorch's <c>nn.MaxPool1d</c>, over [C, L] samples; otherwise as <see cref="MaxPool2dAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool1dAttribute : LayerAttribute
{
    /// <summary>Declares max pooling over windows of <paramref name="kernelSize"/> elements.</summary>
    /// <param name="kernelSize">kernel_size.</param>
    public MaxPool1dAttribute(int kernelSize) => KernelSize = kernelSize;

    /// <summary>kernel_size.</summary>
    public int KernelSize { get; }

    /// <summary>stride, an <c>int</c> (default: the kernel size, PyTorch's <c>stride=None</c>).</summary>
    public object? Stride { get; set; }

    /// <summary>padding on both ends, at most half the kernel size (default 0).</summary>
    public int Padding { get; set; } = OptionDefaults.ConvPadding;

    /// <summary>dilation (default 1).</summary>
    public int Dilation { get; set; } = OptionDefaults.ConvDilation;

    /// <summary>ceil_mode (default false).</summary>
    public bool CeilMode { get; set; } = OptionDefaults.PoolCeilMode;
}

/// <summary>
/// 2-D average pooling, PyTorch's <c>nn.AvgPool2d</c>: the mean of each window of each channel of [C, H, W] samples,
/// output size as <see cref="MaxPool2dAttribute"/> (no dilation). With <see cref="CountIncludePad"/> (the default)
/// the padding zeros count in the mean; without it only the input's elements do. Windows that <see cref="CeilMode"/>
/// adds past the padding divide by the elements they cover, as PyTorch's do.
/// </summary>
/// <remarks>Size options take an <c>int</c> or an <c>int[]</c> { height, width }, as for <see cref="Conv2dAttribute"/>.</remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool2dAttribute : LayerAttribute
{
    /// <summary>Declares average pooling over windows of <paramref name="kernelSize"/>.</summary>
    /// <param name="kernelSize">kernel_size: an <c>int</c>, or an <c>int[]</c> { height, width }.</param>
    public AvgPool2dAttribute(object kernelSize) => KernelSize = kernelSize;

    /// <summary>kernel_size.</summary>
    public object KernelSize { get; }

    /// <summary>stride (default: the kernel size).</summary>
    public object? Stride { get; set; }

    /// <summary>padding on both sides, zeros, at most half the kernel size (default 0).</summary>
    public object Padding { get; set; } = OptionDefaults.ConvPadding;

    /// <summary>ceil_mode (default false).</summary>
    public bool CeilMode { get; set; } = OptionDefaults.PoolCeilMode;

    /// <summary>count_include_pad: whether padding zeros count in the mean (default true).</summary>
    public bool CountIncludePad { get; set; } = OptionDefaults.AvgPoolCountIncludePad;
}

/// <summary>1-D average pooling, PyTorch's <c>nn.AvgPool1d</c>, over [C, L] samples; otherwise as <see cref="AvgPool2dAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool1dAttribute : LayerAttribute
{
    /// <summary>Declares average pooling over windows of <paramref name="kernelSize"/> elements.</summary>
    /// <param name="kernelSize">kernel_size.</param>
    public AvgPool1dAttribute(int kernelSize) => KernelSize = kernelSize;

    /// <summary>kernel_size.</summary>
    public int KernelSize { get; }

    /// <summary>stride, an <c>int</c> (default: the kernel size).</summary>
    public object? Stride { get; set; }

    /// <summary>padding on both ends, zeros, at most half the kernel size (default 0).</summary>
    public int Padding { get; set; } = OptionDefaults.ConvPadding;

    /// <summary>ceil_mode (default false).</summary>
    public bool CeilMode { get; set; } = OptionDefaults.PoolCeilMode;

    /// <summary>count_include_pad (default true).</summary>
    public bool CountIncludePad { get; set; } = OptionDefaults.AvgPoolCountIncludePad;
}

/// <summary>
/// Adaptive average pooling, PyTorch's <c>nn.AdaptiveAvgPool2d</c>: [C, H, W] to [C, oH, oW] whatever H and W, output
/// cell i averaging input rows ⌊i·H/oH⌋ to ⌈(i + 1)·H/oH⌉ − 1 (likewise for columns). <c>[AdaptiveAvgPool2d(1)]</c> is
/// global average pooling: one mean per channel, [C, 1, 1] (a <c>[Flatten]</c> after it gives [C]).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AdaptiveAvgPool2dAttribute : LayerAttribute
{
    /// <summary>Declares adaptive average pooling to <paramref name="outputSize"/>.</summary>
    /// <param name="outputSize">output_size: an <c>int</c> for a square output, or an <c>int[]</c> { height, width }.</param>
    public AdaptiveAvgPool2dAttribute(object outputSize) => OutputSize = outputSize;

    /// <summary>output_size.</summary>
    public object OutputSize { get; }
}

/// <summary>
/// Channel dropout, PyTorch's <c>nn.Dropout2d(p)</c>: in training each whole channel of each [C, H, W] sample is zeroed
/// with probability <c>p</c> and the others are scaled by 1/(1 − p); in evaluation it is the identity. The draws come
/// from the network's seed, as <see cref="DropoutAttribute"/>'s.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Dropout2dAttribute : LayerAttribute
{
    /// <summary>Declares channel dropout with drop probability <paramref name="p"/>, in [0, 1).</summary>
    public Dropout2dAttribute(double p = OptionDefaults.Dropout2dP) => P = p;

    /// <summary>The probability of zeroing a channel, in [0, 1).</summary>
    public double P { get; }
}
