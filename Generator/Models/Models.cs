using System;
using System.Collections.Generic;
using System.Globalization;
using SourceGenNN.Generator.Helpers;

namespace SourceGenNN.Generator.Models;

// The model the parser builds and the emitters read. Plain data only: no ISymbol, SyntaxNode, Location or
// Compilation, so that the incremental pipeline can compare two runs by value (a test walks these types to check).

/// <summary>A source location without Roslyn objects: file path, span and line span.</summary>
internal sealed record LocationInfo(string FilePath, int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn);

/// <summary>A diagnostic to report: its descriptor id, where, and its message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments);

/// <summary>What an attribute argument holds: one number, one text, or an array of either (<c>params</c>).</summary>
internal enum ArgumentKind
{
    Number,
    Text,
    Numbers,
    Texts,
}

/// <summary>
/// One argument of a layer attribute, constructor or named, by its (parameter or property) name. Numbers (int, double,
/// bool, enum values) are held as double; arrays as <see cref="Numbers"/> or <see cref="Texts"/>.
/// </summary>
internal sealed record AttributeArgument(string Name, ArgumentKind Kind, double Number, string? Text, EquatableArray<double> Numbers, EquatableArray<string> Texts)
{
    public static AttributeArgument OfNumber(string name, double value) =>
        new(name, ArgumentKind.Number, value, null, EquatableArray<double>.Empty, EquatableArray<string>.Empty);

    public static AttributeArgument OfText(string name, string? value) =>
        new(name, ArgumentKind.Text, 0, value, EquatableArray<double>.Empty, EquatableArray<string>.Empty);

    public static AttributeArgument OfNumbers(string name, IEnumerable<double> values) =>
        new(name, ArgumentKind.Numbers, 0, null, values.ToEquatableArray(), EquatableArray<string>.Empty);

    public static AttributeArgument OfTexts(string name, IEnumerable<string> values) =>
        new(name, ArgumentKind.Texts, 0, null, EquatableArray<double>.Empty, values.ToEquatableArray());
}

/// <summary>A layer attribute read off the class: its type's metadata name, its arguments and where it is.</summary>
internal sealed record AttributeArgs(string AttributeName, string ShortName, int Index, EquatableArray<AttributeArgument> Arguments, LocationInfo? Location)
{
    public bool Has(string name)
    {
        foreach (var a in Arguments) if (a.Name == name) return true;
        return false;
    }

    public double Number(string name, double fallback)
    {
        foreach (var a in Arguments) if (a.Name == name && a.Kind == ArgumentKind.Number) return a.Number;
        return fallback;
    }

    public string? Text(string name)
    {
        foreach (var a in Arguments) if (a.Name == name && a.Kind == ArgumentKind.Text) return a.Text;
        return null;
    }

    /// <summary>An array argument of numbers (empty when absent).</summary>
    public EquatableArray<double> Numbers(string name)
    {
        foreach (var a in Arguments) if (a.Name == name && a.Kind == ArgumentKind.Numbers) return a.Numbers;
        return EquatableArray<double>.Empty;
    }

    /// <summary>An array argument of texts (empty when absent).</summary>
    public EquatableArray<string> Texts(string name)
    {
        foreach (var a in Arguments) if (a.Name == name && a.Kind == ArgumentKind.Texts) return a.Texts;
        return EquatableArray<string>.Empty;
    }
}

/// <summary>
/// The shape of one sample of a tensor, the batch dimension excluded: <c>[784]</c>, <c>[8, 14, 14]</c>. Tensors are
/// row-major, so a batch of them is <c>[batch, ...Dims]</c> in memory.
/// </summary>
internal sealed record Shape(EquatableArray<int> Dims)
{
    public static Shape Of(params int[] dims) => new(dims.ToEquatableArray());

    public int Rank => Dims.Count;

    /// <summary>The number of elements of one sample (the parser keeps it within int).</summary>
    public long LongSize
    {
        get
        {
            long n = 1;
            foreach (int d in Dims) n *= d;
            return n;
        }
    }

    public int Size => (int)LongSize;

    /// <summary>The last dimension (the feature axis that Dense, LayerNorm and Softmax use by default).</summary>
    public int Last => Dims[Dims.Count - 1];

    /// <summary>The product of the dimensions before the last: the rows a last-axis layer runs over, per sample.</summary>
    public int Leading => Size / Last;

    /// <summary>The product of dims [from, to).</summary>
    public int Product(int from, int to)
    {
        int n = 1;
        for (int i = from; i < to; i++) n *= Dims[i];
        return n;
    }

    /// <summary>This shape with its last dimension replaced.</summary>
    public Shape WithLast(int last)
    {
        var d = new int[Dims.Count];
        for (int i = 0; i < d.Length; i++) d[i] = Dims[i];
        d[d.Length - 1] = last;
        return Of(d);
    }

    /// <summary><c>[8, 14, 14]</c>.</summary>
    public string Text => "[" + string.Join(", ", Dims) + "]";

    /// <summary>PyTorch's (torchsummary's) form with the batch: <c>[-1, 8, 14, 14]</c>.</summary>
    public string BatchText => "[-1, " + string.Join(", ", Dims) + "]";

    public override string ToString() => Text;
}

/// <summary>
/// One parameter tensor of a layer: suffix (<c>weight</c>), shape, and how it is initialised. <see cref="Module"/> names
/// the PyTorch module whose default initialisation a <c>Default</c> init follows when the tensor belongs to a submodule
/// of another kind (MultiheadAttention's <c>out_proj</c> is an <c>nn.Linear</c>); null: the layer's own module.
/// </summary>
internal sealed record ParameterInfo(string Suffix, Shape Shape, InitInfo Init, string? Module = null)
{
    public int Length => Shape.Size;
}

/// <summary>
/// A state buffer of a layer: saved and loaded with the parameters but not trained (BatchNorm's <c>running_mean</c>).
/// Initialised to <see cref="InitialValue"/>; <see cref="IsInteger"/> buffers (<c>num_batches_tracked</c>) are stored as
/// float and written as int64 to safetensors, as PyTorch does.
/// </summary>
internal sealed record BufferInfo(string Suffix, Shape Shape, double InitialValue, bool IsInteger)
{
    public int Length => Shape.Size;
}

/// <summary>An initialiser, with the fans it needs. Kind names match the runtime's <c>SourceGenNN.Init</c>.</summary>
internal sealed record InitInfo(string Kind, double A, double B, int FanIn, int FanOut);

/// <summary>The type of a layer option as the runtime's <c>LayerOption</c> holds it.</summary>
internal enum OptionType
{
    Int,
    Double,
    Bool,
    Text,
    Ints,
}

/// <summary>
/// One option of a layer with its default applied, as it goes into the runtime description (<c>LayerOptions</c>): the
/// summary, the weight-file fingerprint and the GPU plan read it from there, so nothing re-parses text. <see cref="Shown"/>
/// options (those not at their default) appear in the summary.
/// </summary>
internal sealed record OptionInfo(string Name, OptionType Type, double Number, string? Text, EquatableArray<int> Ints, bool Shown)
{
    public static OptionInfo Int(string name, int value, bool shown = true) =>
        new(name, OptionType.Int, value, null, EquatableArray<int>.Empty, shown);

    public static OptionInfo Double(string name, double value, bool shown = true) =>
        new(name, OptionType.Double, value, null, EquatableArray<int>.Empty, shown);

    public static OptionInfo Bool(string name, bool value, bool shown = true) =>
        new(name, OptionType.Bool, value ? 1 : 0, null, EquatableArray<int>.Empty, shown);

    public static OptionInfo OfText(string name, string value, bool shown = true) =>
        new(name, OptionType.Text, 0, value, EquatableArray<int>.Empty, shown);

    public static OptionInfo IntList(string name, IEnumerable<int> values, bool shown = true) =>
        new(name, OptionType.Ints, 0, null, values.ToEquatableArray(), shown);

    /// <summary>The C# expression that constructs the runtime's <c>LayerOption</c>.</summary>
    public string Constructor(string runtimeType) => Type switch
    {
        OptionType.Int => $"new{Space(runtimeType)}({Lit.S(Name)}, {Lit.I((int)Number)}{ShownArg})",
        OptionType.Double => $"new{Space(runtimeType)}({Lit.S(Name)}, {Lit.D(Number)}{ShownArg})",
        OptionType.Bool => $"new{Space(runtimeType)}({Lit.S(Name)}, {(Number != 0 ? "true" : "false")}{ShownArg})",
        OptionType.Text => $"new{Space(runtimeType)}({Lit.S(Name)}, {Lit.S(Text ?? "")}{ShownArg})",
        _ => $"new{Space(runtimeType)}({Lit.S(Name)}, new[] {{ {string.Join(", ", Ints)} }}{ShownArg})",
    };

    private string ShownArg => Shown ? "" : ", shown: false";

    private static string Space(string type) => type.Length == 0 ? "" : " " + type;

    /// <summary>The option as the summary shows it: <c>slope=0.2</c>; a true flag as its bare name.</summary>
    public string Display => Type switch
    {
        OptionType.Int => Name + "=" + ((int)Number).ToString(CultureInfo.InvariantCulture),
        OptionType.Double => Name + "=" + Lit.Text(Number),
        OptionType.Bool => Number != 0 ? Name : Name + "=false",
        OptionType.Text => Name + "=" + Text,
        _ => Name + "=(" + string.Join(", ", Ints) + ")",
    };
}

/// <summary>A named input of the network (the first is <c>input</c>) and the shape of one sample of it.</summary>
internal sealed record InputInfo(string Name, Shape Shape)
{
    /// <summary>The C# name of its size constant and argument stem: <c>Input</c>, <c>Memory</c>.</summary>
    public string Pascal => Naming.Pascal(Name);
}

/// <summary>
/// A tensor a layer reads: the output of layer <see cref="Layer"/>, or network input <c>-1 - Layer</c> when negative.
/// <see cref="Name"/> is the layer's or input's name as declarations refer to it.
/// </summary>
internal sealed record TensorRef(string Name, int Layer, Shape Shape)
{
    public bool IsNetworkInput => Layer < 0;

    public int InputIndex => -1 - Layer;
}

/// <summary>
/// A network declaration: where to put the class (<see cref="Namespace"/>, <see cref="ClassName"/> and
/// <see cref="ContainingTypes"/> escaped for C#, <see cref="DisplayName"/> as written without <c>@</c>,
/// <see cref="MetadataName"/> the type's full metadata name, unique in the compilation), its inputs, and its layers in
/// forward order. <see cref="IsAbstract"/>: an abstract class gets no <c>CloneForInference</c> (it cannot be created).
/// </summary>
internal sealed record NetworkInfo(
    string Namespace,
    string ClassName,
    string DisplayName,
    string MetadataName,
    EquatableArray<string> ContainingTypes,
    EquatableArray<InputInfo> Inputs,
    EquatableArray<LayerInfo> Layers,
    bool IsAbstract)
{
    /// <summary>The last layer, whose output is the network's output.</summary>
    public LayerInfo Output => Layers[Layers.Count - 1];
}

/// <summary>The parser's result for one declaration: the network (null when it has errors) and the diagnostics.</summary>
internal sealed record ParseResult(NetworkInfo? Network, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>What every layer has: its index, its name, the tensors it reads (the first is its main input) and its output shape.</summary>
internal sealed record LayerCore(int Index, string Name, EquatableArray<TensorRef> Inputs, Shape Output);

/// <summary>
/// A layer of the network. Each kind derives from this with its options, resolved once with their defaults applied;
/// its emitter (Emit/) writes its code.
/// </summary>
internal abstract record LayerInfo(LayerCore Core)
{
    public int Index => Core.Index;

    public string Name => Core.Name;

    /// <summary>The tensors the layer reads, its main input first.</summary>
    public EquatableArray<TensorRef> Inputs => Core.Inputs;

    /// <summary>The shape of one sample of the main input.</summary>
    public Shape Input => Core.Inputs[0].Shape;

    /// <summary>The shape of one sample of the output.</summary>
    public Shape Output => Core.Output;

    /// <summary>The kind, from <c>LayerKindNames</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>The options with their defaults applied, in a fixed order.</summary>
    public virtual EquatableArray<OptionInfo> Options => EquatableArray<OptionInfo>.Empty;

    /// <summary>The layer's parameter tensors, in buffer order.</summary>
    public virtual EquatableArray<ParameterInfo> Parameters => EquatableArray<ParameterInfo>.Empty;

    /// <summary>The layer's state buffers (saved, not trained), in buffer order.</summary>
    public virtual EquatableArray<BufferInfo> Buffers => EquatableArray<BufferInfo>.Empty;

    /// <summary>The options the summary shows, as the runtime formats them: <c>slope=0.2</c>.</summary>
    public string SummaryArguments
    {
        get
        {
            var parts = new List<string>();
            foreach (var o in Options) if (o.Shown) parts.Add(o.Display);
            return string.Join(",", parts);
        }
    }
}

/// <summary>Names derived from user-given names.</summary>
internal static class Naming
{
    public static string Pascal(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s.Substring(1);

    public static string Camel(string s) => s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s.Substring(1);
}
