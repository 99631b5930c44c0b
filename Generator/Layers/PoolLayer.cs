using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// MaxPool1d/2d and AvgPool1d/2d (PyTorch's <c>nn.MaxPool*d</c>, <c>nn.AvgPool*d</c>) over each channel of [C, L] or
/// [C, H, W] samples; per-axis options have <see cref="Axes"/> entries. Average pooling has no dilation (all ones).
/// </summary>
internal sealed record PoolLayer(
    LayerCore Core, string PoolKind, int Axes, bool IsMax, EquatableArray<int> Kernel, EquatableArray<int> Stride,
    EquatableArray<int> Padding, EquatableArray<int> Dilation, bool CeilMode, bool CountIncludePad) : LayerInfo(Core)
{
    public override string Kind => PoolKind;

    public int Channels => Input.Dims[0];

    private static bool Same(EquatableArray<int> a, EquatableArray<int> b)
    {
        for (int i = 0; i < a.Count; i++) if (a[i] != b[i]) return false;
        return true;
    }

    public override EquatableArray<OptionInfo> Options
    {
        get
        {
            var list = new System.Collections.Generic.List<OptionInfo>
            {
                OptionInfo.IntList("kernel_size", Kernel),
                OptionInfo.IntList("stride", Stride, shown: !Same(Stride, Kernel)),
                OptionInfo.IntList("padding", Padding, shown: !Spatial.All(Padding, OptionDefaults.ConvPadding)),
            };
            if (IsMax) list.Add(OptionInfo.IntList("dilation", Dilation, shown: !Spatial.All(Dilation, OptionDefaults.ConvDilation)));
            list.Add(OptionInfo.Bool("ceil_mode", CeilMode, shown: CeilMode != OptionDefaults.PoolCeilMode));
            if (!IsMax) list.Add(OptionInfo.Bool("count_include_pad", CountIncludePad, shown: CountIncludePad != OptionDefaults.AvgPoolCountIncludePad));
            return list.ToEquatableArray();
        }
    }

    public static LayerInfo? Parse(LayerParseContext c)
    {
        string kind = c.Args.ShortName;
        int axes = kind is LayerKindNames.MaxPool1d or LayerKindNames.AvgPool1d ? 1 : 2;
        bool isMax = kind is LayerKindNames.MaxPool1d or LayerKindNames.MaxPool2d;
        string other = kind switch
        {
            LayerKindNames.MaxPool1d => LayerKindNames.MaxPool2d,
            LayerKindNames.MaxPool2d => LayerKindNames.MaxPool1d,
            LayerKindNames.AvgPool1d => LayerKindNames.AvgPool2d,
            _ => LayerKindNames.AvgPool1d,
        };
        if (!Spatial.CheckRank(c, axes, other)) return null;
        var input = c.InputShape;
        string pair = axes == 1 ? "2" : "2 or new[] { 2, 1 }";
        var kernel = Spatial.Ints(c, "kernelSize", axes, 0, 1, pair);
        // stride=None (left out, or null) is the kernel size.
        var stride = Spatial.Given(c, "Stride") ? Spatial.Ints(c, "Stride", axes, 1, 1, pair) : kernel;
        var padding = Spatial.Ints(c, "Padding", axes, OptionDefaults.ConvPadding, 0, axes == 1 ? "1" : "1 or new[] { 1, 0 }");
        var dilation = isMax ? Spatial.Ints(c, "Dilation", axes, OptionDefaults.ConvDilation, 1, pair) : axes == 1 ? new[] { 1 } : new[] { 1, 1 };
        bool ceil = c.Args.Number("CeilMode", OptionDefaults.PoolCeilMode ? 1 : 0) != 0;
        bool includePad = c.Args.Number("CountIncludePad", OptionDefaults.AvgPoolCountIncludePad ? 1 : 0) != 0;
        if (c.HasErrors || kernel is null || stride is null || padding is null || dilation is null) return null;

        for (int i = 0; i < axes; i++)
            if (padding[i] > kernel[i] / 2)
            {
                c.Require(false, "Padding", padding[i], $"at most half the kernel size along {Spatial.AxisName(axes, i)} ({kernel[i]} / 2 = {kernel[i] / 2}), as PyTorch requires");
                return null;
            }

        var plane = ConvLayer.Plane(input);
        int[] inSizes = axes == 1 ? new[] { plane.Width } : new[] { plane.Height, plane.Width };
        var outDims = new int[axes + 1];
        outDims[0] = input.Dims[0];
        for (int i = 0; i < axes; i++)
        {
            long size = Spatial.WindowOutput(inSizes[i], kernel[i], stride[i], padding[i], padding[i], dilation[i], ceil);
            if (size <= 0)
            {
                Spatial.WindowTooLarge(c, axes, i, inSizes[i], kernel[i], stride[i], padding[i], dilation[i], ceil, size);
                return null;
            }
            outDims[1 + i] = (int)size; // at most the input's size: a window's stride is at least 1
        }
        return new PoolLayer(c.Core(Shape.Of(outDims)), kind, axes, isMax, kernel.ToEquatableArray(), stride.ToEquatableArray(),
            padding.ToEquatableArray(), dilation.ToEquatableArray(), ceil, includePad);
    }
}

/// <summary>
/// PyTorch's <c>nn.AdaptiveAvgPool2d(output_size)</c>: [C, H, W] to [C, oH, oW], output cell i averaging input rows
/// ⌊i·H/oH⌋ to ⌈(i + 1)·H/oH⌉ − 1 (columns likewise). Output size 1 is global average pooling.
/// </summary>
internal sealed record AdaptivePoolLayer(LayerCore Core, EquatableArray<int> OutputSize) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.AdaptiveAvgPool2d;

    public int Channels => Input.Dims[0];

    /// <summary>Whether every output cell averages its whole channel (output size 1×1).</summary>
    public bool Global => OutputSize[0] == 1 && OutputSize[1] == 1;

    public override EquatableArray<OptionInfo> Options => new[] { OptionInfo.IntList("output_size", OutputSize) }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        if (!Spatial.CheckRank(c, 2, LayerKindNames.AvgPool1d)) return null;
        var size = Spatial.Ints(c, "outputSize", 2, 1, 1, "1 (global average pooling) or new[] { 7, 7 }");
        if (size is null) return null;
        var input = c.InputShape;
        return new AdaptivePoolLayer(c.Core(Shape.Of(input.Dims[0], size[0], size[1])), size.ToEquatableArray());
    }
}

/// <summary>PyTorch's <c>nn.Dropout2d(p)</c>: whole channels of [C, H, W] samples dropped in training, seeded as Dropout's masks.</summary>
internal sealed record Dropout2dLayer(LayerCore Core, double P) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.Dropout2d;

    public int Channels => Input.Dims[0];

    /// <summary>Elements of one channel of one sample (H·W).</summary>
    public int Plane => Input.Size / Channels;

    public override EquatableArray<OptionInfo> Options => new[] { OptionInfo.Double("p", P) }.ToEquatableArray();

    public static LayerInfo? Parse(LayerParseContext c)
    {
        if (!Spatial.CheckRank(c, 2, LayerKindNames.Dropout)) return null;
        double p = c.Args.Number("p", OptionDefaults.Dropout2dP);
        // p just below 1 rounds to 1 in float, which would divide by zero in 1/(1 − p).
        c.Require(p >= 0 && p < 1 && (float)p < 1f, "p", p, "in [0, 1) and below 1 in float (0.9999999 at most), for example [Dropout2d(0.25)]");
        return c.HasErrors ? null : new Dropout2dLayer(c.Core(c.InputShape), p);
    }
}
