using System;

namespace SourceGenNN;

/// <summary>
/// A 2-D convolution, PyTorch's <c>nn.Conv2d</c>: the input is [C, H, W] per sample and in_channels (C) is inferred
/// from it; the output is [out_channels, H_out, W_out] with, per axis,
/// <c>out = ⌊(in + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1</c>. The weight is
/// [out_channels, in_channels/groups, kH, kW] and the bias [out_channels]; both start as <c>nn.Conv2d</c>'s do,
/// U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels/groups·kH·kW (<c>kaiming_uniform_(a=√5)</c>).
/// </summary>
/// <remarks>
/// Like PyTorch's arguments, <see cref="KernelSize"/>, <see cref="Stride"/>, <see cref="Padding"/> and
/// <see cref="Dilation"/> take one <c>int</c> for both axes or an <c>int[]</c> of two (height, width):
/// <c>[Conv2d(16, 3, Padding = 1)]</c>, <c>[Conv2d(16, new[] { 3, 5 }, Padding = new[] { 1, 2 })]</c>. The generator
/// checks them at compile time: a value of another type, or one that gives an output size of zero or less, is an error
/// on the attribute.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2dAttribute : LayerAttribute
{
    /// <summary>Declares a convolution with <paramref name="outChannels"/> output channels.</summary>
    /// <param name="outChannels">out_channels; must be positive and divisible by <see cref="Groups"/>.</param>
    /// <param name="kernelSize">kernel_size: an <c>int</c>, or an <c>int[]</c> { height, width }.</param>
    public Conv2dAttribute(int outChannels, object kernelSize)
    {
        OutChannels = outChannels;
        KernelSize = kernelSize;
    }

    /// <summary>out_channels.</summary>
    public int OutChannels { get; }

    /// <summary>kernel_size: an <c>int</c>, or an <c>int[]</c> { height, width }.</summary>
    public object KernelSize { get; }

    /// <summary>stride: an <c>int</c> or an <c>int[]</c> { height, width } (default 1).</summary>
    public object Stride { get; set; } = OptionDefaults.ConvStride;

    /// <summary>
    /// padding: zeros added on both sides, an <c>int</c> or an <c>int[]</c> { height, width } (default 0); or
    /// <c>"same"</c> (the output has the input's size; stride 1 only; an odd total goes to the end, as in PyTorch) or
    /// <c>"valid"</c> (no padding).
    /// </summary>
    public object Padding { get; set; } = OptionDefaults.ConvPadding;

    /// <summary>dilation: the spacing of the kernel's taps, an <c>int</c> or an <c>int[]</c> { height, width } (default 1).</summary>
    public object Dilation { get; set; } = OptionDefaults.ConvDilation;

    /// <summary>
    /// groups: the channels are split into this many groups, each convolved with its own filters (default 1). It must
    /// divide in_channels and out_channels; groups = in_channels is a depthwise convolution.
    /// </summary>
    public int Groups { get; set; } = OptionDefaults.ConvGroups;

    /// <summary>Whether the layer has a bias (default true).</summary>
    public bool Bias { get; set; } = OptionDefaults.ConvBias;
}

/// <summary>
/// A 1-D convolution, PyTorch's <c>nn.Conv1d</c>: the input is [C, L] per sample (C inferred), the output
/// [out_channels, L_out] with <c>L_out = ⌊(L + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1</c>. The weight
/// is [out_channels, in_channels/groups, k]; initialisation as <see cref="Conv2dAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv1dAttribute : LayerAttribute
{
    /// <summary>Declares a convolution with <paramref name="outChannels"/> output channels and a kernel of <paramref name="kernelSize"/> taps.</summary>
    /// <param name="outChannels">out_channels; must be positive and divisible by <see cref="Groups"/>.</param>
    /// <param name="kernelSize">kernel_size.</param>
    public Conv1dAttribute(int outChannels, int kernelSize)
    {
        OutChannels = outChannels;
        KernelSize = kernelSize;
    }

    /// <summary>out_channels.</summary>
    public int OutChannels { get; }

    /// <summary>kernel_size.</summary>
    public int KernelSize { get; }

    /// <summary>stride (default 1).</summary>
    public int Stride { get; set; } = OptionDefaults.ConvStride;

    /// <summary>padding: an <c>int</c> (default 0), or <c>"same"</c> or <c>"valid"</c> as in <see cref="Conv2dAttribute.Padding"/>.</summary>
    public object Padding { get; set; } = OptionDefaults.ConvPadding;

    /// <summary>dilation (default 1).</summary>
    public int Dilation { get; set; } = OptionDefaults.ConvDilation;

    /// <inheritdoc cref="Conv2dAttribute.Groups"/>
    public int Groups { get; set; } = OptionDefaults.ConvGroups;

    /// <summary>Whether the layer has a bias (default true).</summary>
    public bool Bias { get; set; } = OptionDefaults.ConvBias;
}

/// <summary>
/// A transposed 2-D convolution, PyTorch's <c>nn.ConvTranspose2d</c> (the gradient of a convolution with respect to
/// its input, used to upsample): the input is [C, H, W] per sample (C inferred), the output
/// [out_channels, H_out, W_out] with, per axis,
/// <c>out = (in − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1</c>. The weight is
/// [in_channels, out_channels/groups, kH, kW] (PyTorch's layout); fan_in for its initialisation is
/// out_channels/groups·kH·kW, as PyTorch computes it for this layout.
/// </summary>
/// <remarks>Size options take an <c>int</c> or an <c>int[]</c> { height, width }, as for <see cref="Conv2dAttribute"/>.</remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConvTranspose2dAttribute : LayerAttribute
{
    /// <summary>Declares a transposed convolution with <paramref name="outChannels"/> output channels.</summary>
    /// <param name="outChannels">out_channels; must be positive and divisible by <see cref="Groups"/>.</param>
    /// <param name="kernelSize">kernel_size: an <c>int</c>, or an <c>int[]</c> { height, width }.</param>
    public ConvTranspose2dAttribute(int outChannels, object kernelSize)
    {
        OutChannels = outChannels;
        KernelSize = kernelSize;
    }

    /// <summary>out_channels.</summary>
    public int OutChannels { get; }

    /// <summary>kernel_size: an <c>int</c>, or an <c>int[]</c> { height, width }.</summary>
    public object KernelSize { get; }

    /// <summary>stride (default 1).</summary>
    public object Stride { get; set; } = OptionDefaults.ConvStride;

    /// <summary>padding: removed from both sides of the output (default 0).</summary>
    public object Padding { get; set; } = OptionDefaults.ConvPadding;

    /// <summary>output_padding: added to one side of the output to pick among the sizes a stride allows (default 0); less than the stride or the dilation.</summary>
    public object OutputPadding { get; set; } = OptionDefaults.ConvOutputPadding;

    /// <summary>dilation (default 1).</summary>
    public object Dilation { get; set; } = OptionDefaults.ConvDilation;

    /// <inheritdoc cref="Conv2dAttribute.Groups"/>
    public int Groups { get; set; } = OptionDefaults.ConvGroups;

    /// <summary>Whether the layer has a bias (default true).</summary>
    public bool Bias { get; set; } = OptionDefaults.ConvBias;
}

/// <summary>
/// A transposed 1-D convolution, PyTorch's <c>nn.ConvTranspose1d</c>: [C, L] in, [out_channels, L_out] out with
/// <c>L_out = (L − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1</c>; weight
/// [in_channels, out_channels/groups, k]. Otherwise as <see cref="ConvTranspose2dAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConvTranspose1dAttribute : LayerAttribute
{
    /// <summary>Declares a transposed convolution with <paramref name="outChannels"/> output channels and <paramref name="kernelSize"/> taps.</summary>
    /// <param name="outChannels">out_channels; must be positive and divisible by <see cref="Groups"/>.</param>
    /// <param name="kernelSize">kernel_size.</param>
    public ConvTranspose1dAttribute(int outChannels, int kernelSize)
    {
        OutChannels = outChannels;
        KernelSize = kernelSize;
    }

    /// <summary>out_channels.</summary>
    public int OutChannels { get; }

    /// <summary>kernel_size.</summary>
    public int KernelSize { get; }

    /// <summary>stride (default 1).</summary>
    public int Stride { get; set; } = OptionDefaults.ConvStride;

    /// <summary>padding: removed from both ends of the output (default 0).</summary>
    public int Padding { get; set; } = OptionDefaults.ConvPadding;

    /// <summary>output_padding (default 0); less than the stride or the dilation.</summary>
    public int OutputPadding { get; set; } = OptionDefaults.ConvOutputPadding;

    /// <summary>dilation (default 1).</summary>
    public int Dilation { get; set; } = OptionDefaults.ConvDilation;

    /// <inheritdoc cref="Conv2dAttribute.Groups"/>
    public int Groups { get; set; } = OptionDefaults.ConvGroups;

    /// <summary>Whether the layer has a bias (default true).</summary>
    public bool Bias { get; set; } = OptionDefaults.ConvBias;
}
