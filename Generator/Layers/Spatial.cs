using System.Collections.Generic;
using System.Globalization;
using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// What convolution and pooling parsers share: the rank check, options given as one int or one per spatial axis
/// (PyTorch's <c>int</c> or tuple), and the output-size formulas with their diagnostics.
/// </summary>
internal static class Spatial
{
    /// <summary>Whether every per-axis value is <paramref name="v"/> (an option at its default shows nothing in the summary).</summary>
    public static bool All(EquatableArray<int> values, int v)
    {
        foreach (int x in values) if (x != v) return false;
        return true;
    }

    /// <summary>The axis names of a 1-D (<c>length</c>) or 2-D (<c>height</c>, <c>width</c>) sample.</summary>
    public static string AxisName(int axes, int axis) => axes == 1 ? "length" : axis == 0 ? "height" : "width";

    /// <summary>The sample shape a kind of <paramref name="axes"/> spatial axes takes: <c>[C, L]</c> or <c>[C, H, W]</c>.</summary>
    public static string SampleForm(int axes) => axes == 1 ? "[C, L]" : "[C, H, W]";

    /// <summary>
    /// Reports SGNN0032 unless the input is [C, L] (<paramref name="axes"/> = 1) or [C, H, W] (2), saying what to use
    /// instead: the other kind, or a reshape. <paramref name="other"/> is the kind of the other rank (Conv1d for Conv2d).
    /// </summary>
    public static bool CheckRank(LayerParseContext c, int axes, string other)
    {
        var input = c.InputShape;
        if (input.Rank == axes + 1) return true;
        string dims = string.Join(", ", input.Dims);
        string fix = input.Rank switch
        {
            2 when axes == 2 => $"use {other} for [C, L] sequences, or put [Reshape(1, {dims})] before it to see the input as a one-channel image",
            3 when axes == 1 => $"use {other} for [C, H, W] images, or put [Reshape({input.Dims[0]}, {input.Dims[1] * (long)input.Dims[2]})] before it to see each channel as one sequence",
            1 => $"put [Reshape(1, {(axes == 2 ? "1, " : "")}{dims})] before it to see the input as one channel",
            _ => $"reshape or flatten it to {SampleForm(axes)} first",
        };
        c.Report(DiagnosticDescriptors.WrongInputRank, c.Args.ShortName, SampleForm(axes), input.BatchText, Lit.I(input.Rank), fix);
        return false;
    }

    /// <summary>
    /// An option given as one int or one per axis (<c>3</c>, <c>new[] { 3, 5 }</c>), each at least <paramref name="min"/>;
    /// <paramref name="fallback"/> for every axis when the declaration leaves it out. Reports SGNN0005 and returns null
    /// for a value of another type, another count, or out of range.
    /// </summary>
    public static int[]? Ints(LayerParseContext c, string option, int axes, int fallback, int min, string example)
    {
        var a = c.Args;
        var values = new int[axes];
        string expected = (axes == 1 ? "an int" : $"an int or an int[] of {axes} (height, width)") + $", each at least {min}, for example {example}";
        foreach (var arg in a.Arguments)
        {
            if (arg.Name != option) continue;
            switch (arg.Kind)
            {
                case ArgumentKind.Number when IsInt(arg.Number):
                    for (int i = 0; i < axes; i++) values[i] = (int)arg.Number;
                    break;
                case ArgumentKind.Numbers when arg.Numbers.Count == axes && AllInts(arg.Numbers):
                    for (int i = 0; i < axes; i++) values[i] = (int)arg.Numbers[i];
                    break;
                case ArgumentKind.Number:
                    c.Require(false, option, arg.Number, expected);
                    return null;
                default:
                    OptionError(c, option, Describe(arg), expected);
                    return null;
            }
            foreach (int v in values)
                if (v < min)
                {
                    c.Require(false, option, v, expected);
                    return null;
                }
            return values;
        }
        for (int i = 0; i < axes; i++) values[i] = fallback;
        return values;
    }

    /// <summary>Whether the declaration gives <paramref name="option"/> (a null <c>object</c> property counts as not given).</summary>
    public static bool Given(LayerParseContext c, string option)
    {
        foreach (var arg in c.Args.Arguments)
            if (arg.Name == option && !(arg.Kind == ArgumentKind.Text && arg.Text is null)) return true;
        return false;
    }

    /// <summary>Reports SGNN0005 for an option whose value is not a number (a text or an array where one is not expected).</summary>
    public static void OptionError(LayerParseContext c, string option, string value, string expected) =>
        c.Report(DiagnosticDescriptors.OptionOutOfRange, c.Args.ShortName, option, value, expected);

    /// <summary>The value of an argument as the declaration wrote it, for messages.</summary>
    public static string Describe(AttributeArgument arg) => arg.Kind switch
    {
        ArgumentKind.Number => arg.Number.ToString("R", CultureInfo.InvariantCulture),
        ArgumentKind.Text => arg.Text is null ? "null" : "\"" + arg.Text + "\"",
        ArgumentKind.Numbers => "new[] { " + string.Join(", ", Texts(arg.Numbers)) + " }",
        _ => "new[] { " + string.Join(", ", Quoted(arg.Texts)) + " }",
    };

    private static IEnumerable<string> Texts(EquatableArray<double> numbers)
    {
        foreach (double n in numbers) yield return n.ToString("R", CultureInfo.InvariantCulture);
    }

    private static IEnumerable<string> Quoted(EquatableArray<string> texts)
    {
        foreach (string t in texts) yield return "\"" + t + "\"";
    }

    private static bool IsInt(double v) => v == System.Math.Floor(v) && v >= int.MinValue && v <= int.MaxValue;

    private static bool AllInts(EquatableArray<double> values)
    {
        foreach (double v in values) if (!IsInt(v)) return false;
        return true;
    }

    /// <summary><c>⌊a / b⌋</c> for b &gt; 0 and any sign of a (PyTorch's div_rtn).</summary>
    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>
    /// A convolution's or pooling's output size along one axis:
    /// <c>⌊(in + padBegin + padEnd − dilation·(kernel − 1) − 1) / stride⌋ + 1</c>; with <paramref name="ceilMode"/>
    /// PyTorch's pooling rule (rounded up, unless the last window would start in the end padding).
    /// </summary>
    public static long WindowOutput(long input, long kernel, long stride, long padBegin, long padEnd, long dilation, bool ceilMode)
    {
        long span = input + padBegin + padEnd - dilation * (kernel - 1) - 1;
        long output = FloorDiv(span + (ceilMode ? stride - 1 : 0), stride) + 1;
        if (ceilMode && output > 0 && (output - 1) * stride >= input + padBegin) output--;
        return output;
    }

    /// <summary>The window formula with the numbers, for SGNN0030: <c>⌊(5 + 2·0 − 1·(7 − 1) − 1)/1⌋ + 1 = −1</c>.</summary>
    public static string WindowFormula(long input, long kernel, long stride, long padding, long dilation, bool ceilMode, long output)
    {
        string open = ceilMode ? "⌈" : "⌊", close = ceilMode ? "⌉" : "⌋";
        return $"{open}({input} + 2·{padding} − {dilation}·({kernel} − 1) − 1)/{stride}{close} + 1 = {Number(output)}";
    }

    /// <summary>
    /// Reports SGNN0030 for a window (convolution or pooling) whose output along <paramref name="axis"/> is not positive,
    /// with the formula, its numbers and the largest kernel that fits.
    /// </summary>
    public static void WindowTooLarge(LayerParseContext c, int axes, int axis, long input, long kernel, long stride, long padding, long dilation, bool ceilMode, long output)
    {
        string name = AxisName(axes, axis);
        string formula = WindowFormula(input, kernel, stride, padding, dilation, ceilMode, output);
        long largest = (input + 2 * padding - 1) / dilation + 1; // the largest kernel whose dilated span fits the padded input
        string option = axes == 1 ? "kernel_size" : $"kernel_size[{axis}] ({name})";
        string fix = $"the input {c.InputShape.BatchText} has {input} along {name}, and the dilated kernel spans {dilation * (kernel - 1) + 1}; " +
                     $"make {option} at most {largest}" + (dilation > 1 ? " or the dilation smaller" : "") + ", or add padding";
        c.Report(DiagnosticDescriptors.NonPositiveOutputSize, c.Args.ShortName,
            $"an output {name} of {formula} (out = ⌊(in + 2·padding − dilation·(kernel_size − 1) − 1)/stride⌋ + 1)", fix);
    }

    /// <summary>A number for a message, culture-invariant (a negative one must not come out with U+2212).</summary>
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reports SGNN0014 for an output dimension or a scratch buffer beyond int range.</summary>
    public static void TooLarge(LayerParseContext c, long size) =>
        c.Report(DiagnosticDescriptors.TooLarge, c.Args.ShortName, size.ToString(CultureInfo.InvariantCulture));

    /// <summary>The common divisors of a and b, for SGNN0031's suggestion.</summary>
    public static string CommonDivisors(int a, int b)
    {
        var list = new List<string>();
        for (int d = 1; d <= System.Math.Min(a, b) && list.Count < 12; d++)
            if (a % d == 0 && b % d == 0) list.Add(Lit.I(d));
        return list.Count == 1 ? list[0] : string.Join(", ", list.GetRange(0, list.Count - 1)) + " or " + list[list.Count - 1];
    }
}
