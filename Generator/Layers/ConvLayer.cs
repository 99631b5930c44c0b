using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// Conv1d/Conv2d and ConvTranspose1d/ConvTranspose2d (PyTorch's <c>nn.Conv*d</c>, <c>nn.ConvTranspose*d</c>) over
/// [C, L] or [C, H, W] samples. Every per-axis option has <see cref="Axes"/> entries; <see cref="Padding"/> is the
/// padding before each axis (the end's follows from the output size: they differ only for an even kernel with
/// <c>"same"</c>).
/// </summary>
internal sealed record ConvLayer(
    LayerCore Core, string ConvKind, int Axes, bool Transposed, int InChannels, int OutChannels,
    EquatableArray<int> Kernel, EquatableArray<int> Stride, EquatableArray<int> Padding, EquatableArray<int> OutputPadding,
    EquatableArray<int> Dilation, int Groups, bool HasBias) : LayerInfo(Core)
{
    public override string Kind => ConvKind;

    /// <summary>The product of the kernel's sizes.</summary>
    public int KernelElements => Kernel.Count == 1 ? Kernel[0] : Kernel[0] * Kernel[1];

    /// <summary>
    /// fan_in as PyTorch computes it from the weight: its second dimension times the kernel, so in_channels/groups·k for a
    /// convolution and out_channels/groups·k for a transposed one.
    /// </summary>
    public int FanIn => (Transposed ? OutChannels : InChannels) / Groups * KernelElements;

    /// <summary>The weight's shape: [out, in/groups, k…], or [in, out/groups, k…] when transposed.</summary>
    public Shape WeightShape
    {
        get
        {
            var dims = new int[2 + Axes];
            dims[0] = Transposed ? InChannels : OutChannels;
            dims[1] = (Transposed ? OutChannels : InChannels) / Groups;
            for (int i = 0; i < Axes; i++) dims[2 + i] = Kernel[i];
            return Shape.Of(dims);
        }
    }

    /// <summary>The spatial size of a [C, …] shape as (height, width); a sequence is an image of height 1.</summary>
    public static (int Height, int Width) Plane(Shape s) => s.Rank == 2 ? (1, s.Dims[1]) : (s.Dims[1], s.Dims[2]);

    /// <summary>A per-axis option as (height, width); a 1-D one is (1 or <paramref name="one"/>, value).</summary>
    public static (int Height, int Width) Pair(EquatableArray<int> values, int one) => values.Count == 1 ? (one, values[0]) : (values[0], values[1]);

    public override EquatableArray<OptionInfo> Options
    {
        get
        {
            var list = new System.Collections.Generic.List<OptionInfo>
            {
                OptionInfo.Int("in_channels", InChannels, shown: false),
                OptionInfo.Int("out_channels", OutChannels, shown: false),
                OptionInfo.IntList("kernel_size", Kernel),
                OptionInfo.IntList("stride", Stride, shown: !Spatial.All(Stride, OptionDefaults.ConvStride)),
                OptionInfo.IntList("padding", Padding, shown: !Spatial.All(Padding, OptionDefaults.ConvPadding)),
            };
            if (Transposed) list.Add(OptionInfo.IntList("output_padding", OutputPadding, shown: !Spatial.All(OutputPadding, OptionDefaults.ConvOutputPadding)));
            list.Add(OptionInfo.IntList("dilation", Dilation, shown: !Spatial.All(Dilation, OptionDefaults.ConvDilation)));
            list.Add(OptionInfo.Int("groups", Groups, shown: Groups != OptionDefaults.ConvGroups));
            list.Add(OptionInfo.Bool("bias", HasBias, shown: HasBias != OptionDefaults.ConvBias));
            return list.ToEquatableArray();
        }
    }

    public override EquatableArray<ParameterInfo> Parameters
    {
        get
        {
            // nn.Conv*d's reset_parameters: kaiming_uniform_(a=√5) for the weight, U(±1/√fan_in) for the bias.
            var weight = new ParameterInfo("weight", WeightShape, new InitInfo("Default", 0, 0, FanIn, 0));
            return HasBias
                ? new[] { weight, new ParameterInfo("bias", Shape.Of(OutChannels), new InitInfo("Default", 0, 0, FanIn, 0)) }.ToEquatableArray()
                : new[] { weight }.ToEquatableArray();
        }
    }

    public static LayerInfo? Parse(LayerParseContext c)
    {
        string kind = c.Args.ShortName;
        bool transposed = kind is LayerKindNames.ConvTranspose1d or LayerKindNames.ConvTranspose2d;
        int axes = kind is LayerKindNames.Conv1d or LayerKindNames.ConvTranspose1d ? 1 : 2;
        string other = kind switch
        {
            LayerKindNames.Conv1d => LayerKindNames.Conv2d,
            LayerKindNames.Conv2d => LayerKindNames.Conv1d,
            LayerKindNames.ConvTranspose1d => LayerKindNames.ConvTranspose2d,
            _ => LayerKindNames.ConvTranspose1d,
        };
        if (!Spatial.CheckRank(c, axes, other)) return null;
        var input = c.InputShape;
        int inChannels = input.Dims[0];

        int outChannels = (int)c.Args.Number("outChannels", 0);
        if (outChannels <= 0)
            c.Report(DiagnosticDescriptors.NonPositiveSize, kind, "out_channels", Lit.I(outChannels));
        string example1 = axes == 1 ? "3" : "3 or new[] { 3, 5 }";
        var kernel = Spatial.Ints(c, "kernelSize", axes, 0, 1, example1);
        var stride = Spatial.Ints(c, "Stride", axes, OptionDefaults.ConvStride, 1, axes == 1 ? "2" : "2 or new[] { 2, 1 }");
        var dilation = Spatial.Ints(c, "Dilation", axes, OptionDefaults.ConvDilation, 1, axes == 1 ? "2" : "2 or new[] { 2, 1 }");
        var outputPadding = transposed ? Spatial.Ints(c, "OutputPadding", axes, OptionDefaults.ConvOutputPadding, 0, "1") : new int[axes];
        int groups = (int)c.Args.Number("Groups", OptionDefaults.ConvGroups);
        c.Require(groups >= 1, "Groups", groups, "at least 1, for example 1, or in_channels for a depthwise convolution");
        bool bias = c.Args.Number("Bias", OptionDefaults.ConvBias ? 1 : 0) != 0;

        // padding: numbers, or (convolutions only) "same" or "valid".
        int[]? padBegin;
        int[] padEnd;
        string? mode = c.Args.Text("Padding");
        if (mode is not null && !transposed && (mode == "same" || mode == "valid"))
        {
            padBegin = new int[axes];
            padEnd = new int[axes];
            if (mode == "same" && stride is not null)
            {
                foreach (int s in stride)
                    if (s != 1)
                    {
                        Spatial.OptionError(c, "Padding", "\"same\"", "numbers when the stride is not 1 (PyTorch refuses padding='same' for strided convolutions), for example Padding = 1");
                        break;
                    }
                // The total padding is dilation·(kernel − 1); an odd total puts the extra element at the end, as PyTorch does.
                if (kernel is not null && dilation is not null)
                    for (int i = 0; i < axes; i++)
                    {
                        int total = dilation[i] * (kernel[i] - 1);
                        padBegin[i] = total / 2;
                        padEnd[i] = total - padBegin[i];
                    }
            }
        }
        else if (mode is not null)
        {
            Spatial.OptionError(c, "Padding", "\"" + mode + "\"", transposed ? "an int or an int[] (ConvTranspose has no \"same\" or \"valid\"), for example Padding = 1" : "\"same\", \"valid\", an int or an int[], for example Padding = 1");
            return null;
        }
        else
        {
            string example = (axes == 1 ? "1" : "1 or new[] { 1, 2 }") + (transposed ? "" : " or \"same\"");
            padBegin = Spatial.Ints(c, "Padding", axes, OptionDefaults.ConvPadding, 0, example);
            padEnd = padBegin ?? new int[axes];
        }
        if (c.HasErrors || kernel is null || stride is null || dilation is null || outputPadding is null || padBegin is null) return null;

        if (transposed)
            for (int i = 0; i < axes; i++)
                if (outputPadding[i] >= stride[i] && outputPadding[i] >= dilation[i])
                {
                    c.Require(false, "OutputPadding", outputPadding[i],
                        $"smaller than the stride ({stride[i]}) or the dilation ({dilation[i]}) along {Spatial.AxisName(axes, i)}, as PyTorch requires");
                    return null;
                }

        // groups must divide both channel counts.
        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            string what = inChannels % groups != 0
                ? $"in_channels = {inChannels} (from the input {input.BatchText}) is not a multiple of it"
                : $"out_channels = {outChannels} is not a multiple of it";
            c.Report(DiagnosticDescriptors.GroupsDoNotDivideChannels, kind, Lit.I(groups), what,
                $"use groups = {Spatial.CommonDivisors(inChannels, outChannels)} (the divisors of both {inChannels} and {outChannels}); groups = in_channels with out_channels a multiple of it is a depthwise convolution");
            return null;
        }

        // The output size per axis.
        var plane = Plane(input);
        int[] inSizes = axes == 1 ? new[] { plane.Width } : new[] { plane.Height, plane.Width };
        var outDims = new int[axes + 1];
        outDims[0] = outChannels;
        for (int i = 0; i < axes; i++)
        {
            long size;
            if (transposed)
            {
                size = (inSizes[i] - 1L) * stride[i] - 2L * padBegin[i] + (long)dilation[i] * (kernel[i] - 1) + outputPadding[i] + 1;
                if (size <= 0)
                {
                    string name = Spatial.AxisName(axes, i);
                    c.Report(DiagnosticDescriptors.NonPositiveOutputSize, kind,
                        $"an output {name} of ({inSizes[i]} − 1)·{stride[i]} − 2·{padBegin[i]} + {dilation[i]}·({kernel[i]} − 1) + {outputPadding[i]} + 1 = {Spatial.Number(size)} " +
                        "(out = (in − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1)",
                        $"the padding removes more than the layer produces: make padding at most {((inSizes[i] - 1L) * stride[i] + (long)dilation[i] * (kernel[i] - 1) + outputPadding[i]) / 2}, or the kernel larger");
                    return null;
                }
            }
            else
            {
                size = Spatial.WindowOutput(inSizes[i], kernel[i], stride[i], padBegin[i], padEnd[i], dilation[i], ceilMode: false);
                if (size <= 0)
                {
                    Spatial.WindowTooLarge(c, axes, i, inSizes[i], kernel[i], stride[i], padBegin[i], dilation[i], ceilMode: false, size);
                    return null;
                }
            }
            if (size > int.MaxValue)
            {
                Spatial.TooLarge(c, size);
                return null;
            }
            outDims[1 + i] = (int)size;
        }
        var output = Shape.Of(outDims);

        // The im2col scratch (one group of one sample) is an int-indexed buffer too.
        long columns = transposed
            ? (long)outChannels / groups * Product(kernel) * (input.Size / inChannels)
            : (long)inChannels / groups * Product(kernel) * (output.LongSize / outChannels);
        if (columns > int.MaxValue || output.LongSize > int.MaxValue)
        {
            Spatial.TooLarge(c, System.Math.Max(columns, output.LongSize));
            return null;
        }
        return new ConvLayer(c.Core(output), kind, axes, transposed, inChannels, outChannels, kernel.ToEquatableArray(), stride.ToEquatableArray(),
            padBegin.ToEquatableArray(), outputPadding.ToEquatableArray(), dilation.ToEquatableArray(), groups, bias);
    }

    private static long Product(int[] values)
    {
        long p = 1;
        foreach (int v in values) p *= v;
        return p;
    }
}
