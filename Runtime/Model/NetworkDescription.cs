using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using SourceGenNN.CompilerServices;

namespace SourceGenNN;

/// <summary>How a tensor's elements are stored in files: every tensor lives as float in memory.</summary>
public enum TensorDType
{
    /// <summary>32-bit floats (parameters, most buffers).</summary>
    Float32,

    /// <summary>A counter written as int64, as PyTorch's <c>num_batches_tracked</c>; held as float in memory (exact to 2²⁴).</summary>
    Int64,
}

/// <summary>One parameter tensor or state buffer of a network: its stable name, where it lives, its shape and its file dtype.</summary>
/// <param name="Name">The name, as in PyTorch's <c>state_dict</c> (<c>0.weight</c>, <c>fc1.bias</c>, <c>bn.running_mean</c>).</param>
/// <param name="Offset">The index of its first element in <see cref="INetwork.Parameters"/> (or <see cref="INetwork.Buffers"/> for a buffer).</param>
/// <param name="Shape">Its shape, PyTorch's layout (<c>[out, in]</c> for a dense weight).</param>
/// <param name="DType">How files store it.</param>
public sealed record TensorDescription(string Name, int Offset, IReadOnlyList<int> Shape, TensorDType DType = TensorDType.Float32)
{
    /// <summary>The number of elements.</summary>
    public int Length => Shapes.Size(Shape);

    /// <summary>The shape written as <c>[a, b]</c>.</summary>
    public string ShapeText => Shapes.Text(Shape);
}

/// <summary>A named input of a network and the shape of one sample of it (the batch excluded).</summary>
/// <param name="Name">The name layers refer to it by: <c>input</c> for the first.</param>
/// <param name="Shape">The shape of one sample.</param>
public sealed record InputDescription(string Name, IReadOnlyList<int> Shape)
{
    /// <summary>The elements of one sample.</summary>
    public int Size => Shapes.Size(Shape);
}

/// <summary>
/// One option of a layer, with its default applied: the summary shows it (when <see cref="Shown"/>), the weight-file
/// fingerprint includes it, and the GPU executor reads it. The value is an <see cref="int"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="string"/> or <c>int[]</c>.
/// </summary>
public sealed class LayerOption
{
    private LayerOption(string name, object value, bool shown)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Value = value;
        Shown = shown;
    }

    /// <summary>An integer option.</summary>
    public LayerOption(string name, int value, bool shown = true) : this(name, (object)value, shown) { }

    /// <summary>A real option.</summary>
    public LayerOption(string name, double value, bool shown = true) : this(name, (object)value, shown) { }

    /// <summary>A flag.</summary>
    public LayerOption(string name, bool value, bool shown = true) : this(name, (object)value, shown) { }

    /// <summary>A text option.</summary>
    public LayerOption(string name, string value, bool shown = true) : this(name, (object)value, shown) { }

    /// <summary>A list of integers (a shape).</summary>
    public LayerOption(string name, int[] value, bool shown = true) : this(name, (object)(int[])value.Clone(), shown) { }

    /// <summary>The option's name, PyTorch's where PyTorch has the option (<c>eps</c>, <c>dim</c>).</summary>
    public string Name { get; }

    /// <summary>The value.</summary>
    public object Value { get; }

    /// <summary>Whether the summary shows it (options at their default are not shown).</summary>
    public bool Shown { get; }

    /// <summary><c>name=value</c>; a true flag as its bare name, a false one as <c>name=false</c>; a list as <c>name=(a, b)</c>.</summary>
    public override string ToString() => Value switch
    {
        bool b => b ? Name : Name + "=false",
        double d => Name + "=" + d.ToString("R", CultureInfo.InvariantCulture),
        int i => Name + "=" + i.ToString(CultureInfo.InvariantCulture),
        int[] a => Name + "=(" + string.Join(", ", a) + ")",
        _ => Name + "=" + Value,
    };
}

/// <summary>
/// One layer of a network, as declared: its kind, the tensors it reads (network inputs or earlier layers, by name), the
/// shape of its output and its options. <see cref="NetworkDescription"/> resolves the shapes of its inputs.
/// </summary>
public sealed class LayerDescription
{
    private readonly LayerOption[] _options;
    private IReadOnlyList<int>[]? _inputShapes;

    /// <summary>Creates a layer description. Generated code calls this once per layer.</summary>
    /// <param name="name">The layer's stable name (its index by default).</param>
    /// <param name="kind">The kind, one of <see cref="LayerKindNames"/>.</param>
    /// <param name="inputs">The tensors it reads, its main input first.</param>
    /// <param name="outputShape">The shape of one sample of its output.</param>
    /// <param name="parameterCount">The number of trainable parameters.</param>
    /// <param name="options">Its options, defaults applied.</param>
    public LayerDescription(string name, string kind, string[] inputs, int[] outputShape, int parameterCount, LayerOption[]? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputShape);
        if (inputs.Length == 0) throw new ArgumentException($"Layer '{name}' reads no tensor.", nameof(inputs));
        Name = name;
        Kind = kind;
        Inputs = (string[])inputs.Clone();
        OutputShape = (int[])outputShape.Clone();
        ParameterCount = parameterCount;
        _options = options is null ? [] : (LayerOption[])options.Clone();
    }

    /// <summary>The layer's stable name.</summary>
    public string Name { get; }

    /// <summary>The layer kind, as written in the declaration (<see cref="LayerKindNames"/>).</summary>
    public string Kind { get; }

    /// <summary>The names of the tensors it reads: network inputs or earlier layers; the main input first.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>The shapes of one sample of each tensor it reads.</summary>
    public IReadOnlyList<IReadOnlyList<int>> InputShapes =>
        _inputShapes ?? throw new InvalidOperationException($"Layer '{Name}' is not part of a NetworkDescription yet.");

    /// <summary>The shape of one sample of its main input.</summary>
    public IReadOnlyList<int> InputShape => InputShapes[0];

    /// <summary>The shape of one sample of its output.</summary>
    public IReadOnlyList<int> OutputShape { get; }

    /// <summary>Elements of one sample of its main input.</summary>
    public int InputSize => Shapes.Size(InputShape);

    /// <summary>Elements of one sample of its output.</summary>
    public int OutputSize => Shapes.Size(OutputShape);

    /// <summary>The number of trainable parameters.</summary>
    public int ParameterCount { get; }

    /// <summary>Its index in forward order.</summary>
    public int Index { get; private set; } = -1;

    /// <summary>Its options, defaults applied.</summary>
    public IReadOnlyList<LayerOption> Options => _options;

    /// <summary>The options the summary shows, as text (<c>slope=0.2</c>, <c>p=0.5</c>); empty when all are at their default.</summary>
    public string Arguments => string.Join(",", ShownOptions());

    /// <summary>The shown options as text, in order.</summary>
    private IEnumerable<string> ShownOptions()
    {
        foreach (var o in _options) if (o.Shown) yield return o.ToString();
    }

    /// <summary>
    /// The kind and its options as the summary shows them, in the manner of PyTorch's module repr: a convolution's
    /// channels first, then the options not at their default, separated by a comma and a space
    /// (<c>Conv2d(1, 16, kernel_size=(3, 3), padding=(1, 1))</c>). Display only: <see cref="Arguments"/>, which the
    /// weight files' fingerprints read, keeps its own form.
    /// </summary>
    public string SummaryType
    {
        get
        {
            var parts = new List<string>();
            if (HasOption("in_channels") && HasOption("out_channels"))
            {
                parts.Add(Int("in_channels").ToString(CultureInfo.InvariantCulture));
                parts.Add(Int("out_channels").ToString(CultureInfo.InvariantCulture));
            }
            parts.AddRange(ShownOptions());
            return parts.Count == 0 ? Kind : Kind + "(" + string.Join(", ", parts) + ")";
        }
    }

    /// <summary>The option named <paramref name="name"/>; throws naming the options the layer has when it has no such option.</summary>
    public LayerOption Option(string name)
    {
        foreach (var o in _options) if (o.Name == name) return o;
        var names = new List<string>();
        foreach (var o in _options) names.Add(o.Name);
        throw new KeyNotFoundException($"Layer '{Name}' ({Kind}) has no option '{name}'; it has: {(names.Count == 0 ? "none" : string.Join(", ", names))}.");
    }

    /// <summary>Whether the layer has an option named <paramref name="name"/>.</summary>
    public bool HasOption(string name)
    {
        foreach (var o in _options) if (o.Name == name) return true;
        return false;
    }

    /// <summary>An integer option.</summary>
    public int Int(string name) => Get<int>(name);

    /// <summary>A real option (an integer one is widened).</summary>
    public double Double(string name) => Option(name).Value is int i ? i : Get<double>(name);

    /// <summary>A flag.</summary>
    public bool Bool(string name) => Get<bool>(name);

    /// <summary>A list of integers.</summary>
    public IReadOnlyList<int> Ints(string name) => Get<int[]>(name);

    private T Get<T>(string name)
    {
        var o = Option(name);
        return o.Value is T v ? v : throw new InvalidCastException($"Option '{name}' of layer '{Name}' ({Kind}) is a {o.Value.GetType().Name}, not a {typeof(T).Name}.");
    }

    internal void Bind(int index, IReadOnlyList<int>[] inputShapes)
    {
        if (_inputShapes is not null && Index != index)
            throw new ArgumentException($"Layer '{Name}' already belongs to another NetworkDescription.");
        Index = index;
        _inputShapes = inputShapes;
    }
}

/// <summary>
/// The static shape of a generated network: its inputs, its layers (a graph: each names the tensors it reads), its
/// parameter tensors and its state buffers.
/// </summary>
public sealed class NetworkDescription
{
    /// <summary>Creates a description. Generated code calls this once per network type.</summary>
    /// <param name="name">The network's type name.</param>
    /// <param name="inputs">Its inputs, the first named <c>input</c>.</param>
    /// <param name="layers">Its layers in forward order; each reads inputs or earlier layers.</param>
    /// <param name="parameters">Its parameter tensors, in buffer order.</param>
    /// <param name="buffers">Its state buffers, in buffer order.</param>
    /// <exception cref="ArgumentException">A layer reads a tensor that is neither an input nor an earlier layer, or two share a name.</exception>
    public NetworkDescription(string name, InputDescription[] inputs, LayerDescription[] layers, TensorDescription[] parameters, TensorDescription[]? buffers = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(parameters);
        if (inputs.Length == 0) throw new ArgumentException("A network has at least one input.", nameof(inputs));
        Name = name;
        Inputs = (InputDescription[])inputs.Clone();
        Layers = (LayerDescription[])layers.Clone();
        Parameters = (TensorDescription[])parameters.Clone();
        Buffers = buffers is null ? [] : (TensorDescription[])buffers.Clone();

        var shapes = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        foreach (var i in inputs)
            if (!shapes.TryAdd(i.Name, i.Shape)) throw new ArgumentException($"Two inputs are named '{i.Name}'.", nameof(inputs));
        for (int k = 0; k < layers.Length; k++)
        {
            var l = layers[k];
            var bound = new IReadOnlyList<int>[l.Inputs.Count];
            for (int p = 0; p < bound.Length; p++)
                if (!shapes.TryGetValue(l.Inputs[p], out bound[p]!))
                    throw new ArgumentException($"Layer '{l.Name}' reads '{l.Inputs[p]}', which is neither an input nor an earlier layer.", nameof(layers));
            if (!shapes.TryAdd(l.Name, l.OutputShape)) throw new ArgumentException($"Two tensors are named '{l.Name}'.", nameof(layers));
            l.Bind(k, bound);
        }
        foreach (var t in Parameters) ParameterCount += t.Length;
        foreach (var t in Buffers) BufferCount += t.Length;
        int size = 0;
        foreach (var i in inputs) size += i.Size;
        InputSize = size;
        OutputShape = layers.Length == 0 ? inputs[0].Shape : layers[^1].OutputShape;
    }

    /// <summary>The network's type name.</summary>
    public string Name { get; }

    /// <summary>The inputs, the first named <c>input</c>.</summary>
    public IReadOnlyList<InputDescription> Inputs { get; }

    /// <summary>The shape of one sample of the first input.</summary>
    public IReadOnlyList<int> InputShape => Inputs[0].Shape;

    /// <summary>
    /// Elements of one input sample: of all inputs side by side when there are several (the packed rows that
    /// <see cref="INetwork.Forward"/> and the trainer take).
    /// </summary>
    public int InputSize { get; }

    /// <summary>The shape of one output sample.</summary>
    public IReadOnlyList<int> OutputShape { get; }

    /// <summary>Elements of one output sample.</summary>
    public int OutputSize => Shapes.Size(OutputShape);

    /// <summary>The layers in forward order.</summary>
    public IReadOnlyList<LayerDescription> Layers { get; }

    /// <summary>The parameter tensors, in buffer order.</summary>
    public IReadOnlyList<TensorDescription> Parameters { get; }

    /// <summary>The state buffers (saved, not trained), in buffer order.</summary>
    public IReadOnlyList<TensorDescription> Buffers { get; }

    /// <summary>The total number of trainable parameters.</summary>
    public int ParameterCount { get; }

    /// <summary>The total number of state-buffer elements.</summary>
    public int BufferCount { get; }

    /// <summary>
    /// The final activation a loss can fuse with (<c>Softmax</c> over the only dimension, or <c>Sigmoid</c>, applied to a
    /// layer's output), or null. <see cref="INetwork.Logits"/> is then that activation's input.
    /// </summary>
    public string? FusedActivation
    {
        get
        {
            if (Layers.Count == 0) return null;
            var last = Layers[^1];
            if (last.Inputs.Count != 1 || FindLayer(last.Inputs[0]) is null) return null;
            if (last.Kind == LayerKindNames.Sigmoid) return last.Kind;
            if (last.Kind == LayerKindNames.Softmax && last.OutputShape.Count == 1) return last.Kind;
            return null;
        }
    }

    /// <summary>Finds a parameter tensor by name, or null.</summary>
    public TensorDescription? FindParameter(string name)
    {
        foreach (var t in Parameters)
            if (t.Name == name) return t;
        return null;
    }

    /// <summary>Finds a state buffer by name, or null.</summary>
    public TensorDescription? FindBuffer(string name)
    {
        foreach (var t in Buffers)
            if (t.Name == name) return t;
        return null;
    }

    /// <summary>Finds a layer by name, or null.</summary>
    public LayerDescription? FindLayer(string name)
    {
        foreach (var l in Layers)
            if (l.Name == name) return l;
        return null;
    }

    /// <summary>
    /// A text that identifies the network's structure: the inputs, every layer's kind, options, inputs and output shape,
    /// and every tensor's name, shape and dtype. Weight files store a hash of it, so that weights never load into a
    /// different network.
    /// </summary>
    public string Fingerprint
    {
        get
        {
            var sb = new StringBuilder("v2;");
            foreach (var i in Inputs) sb.Append("input ").Append(i.Name).Append(Shapes.Text(i.Shape)).Append(';');
            foreach (var l in Layers)
            {
                sb.Append(l.Name).Append(':').Append(l.Kind).Append('(');
                for (int k = 0; k < l.Options.Count; k++) sb.Append(k > 0 ? "," : "").Append(l.Options[k]);
                sb.Append(")<-").Append(string.Join("+", l.Inputs)).Append("->").Append(Shapes.Text(l.OutputShape)).Append(';');
            }
            foreach (var t in Parameters) sb.Append(t.Name).Append(t.ShapeText).Append(';');
            foreach (var t in Buffers) sb.Append("buffer ").Append(t.Name).Append(t.ShapeText).Append(t.DType == TensorDType.Int64 ? ":i64" : "").Append(';');
            return sb.ToString();
        }
    }

    /// <summary>
    /// The fingerprint that weight files of version 1 hashed (before shapes and graphs), for the networks that could be
    /// declared then: one vector input, a chain of layers. Null for any other network.
    /// </summary>
    internal string? LegacyFingerprint
    {
        get
        {
            if (Inputs.Count != 1 || Inputs[0].Shape.Count != 1 || Buffers.Count > 0) return null;
            var sb = new StringBuilder();
            sb.Append("in=").Append(InputSize.ToString(CultureInfo.InvariantCulture)).Append(';');
            string previous = Inputs[0].Name;
            foreach (var l in Layers)
            {
                if (l.Inputs.Count != 1 || l.Inputs[0] != previous || l.OutputShape.Count != 1) return null;
                sb.Append(l.Name).Append(':').Append(l.Kind).Append('(').Append(l.Arguments).Append(')')
                  .Append(l.InputSize.ToString(CultureInfo.InvariantCulture)).Append("->")
                  .Append(l.OutputSize.ToString(CultureInfo.InvariantCulture)).Append(';');
                previous = l.Name;
            }
            foreach (var t in Parameters)
                sb.Append(t.Name).Append(t.ShapeText).Append(';');
            return sb.ToString();
        }
    }

    /// <summary>
    /// Formats a torchsummary-style table: each layer's name, type, output shape (<c>[-1, 8, 14, 14]</c>) and parameter
    /// count, then the totals and the memory the parameters, buffers and activations of <paramref name="batchSize"/>
    /// samples take. Columns widen to fit their longest entry.
    /// </summary>
    public string FormatSummary(int batchSize = 1)
    {
        if (batchSize <= 0)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(batchSize), batchSize, "a positive batch size");
        var inv = CultureInfo.InvariantCulture;
        var rows = new List<(string Name, string Type, string Shape, string Params)>();
        foreach (var i in Inputs)
            rows.Add((i.Name, "Input", Shapes.BatchText(i.Shape), "0"));
        long activations = 0;
        foreach (var l in Layers)
        {
            string kind = l.SummaryType;
            bool chained = l.Inputs.Count == 1 && l.Inputs[0] == (l.Index == 0 ? Inputs[0].Name : Layers[l.Index - 1].Name);
            if (!chained) kind += " <- " + string.Join(", ", l.Inputs);
            rows.Add((l.Name, kind, Shapes.BatchText(l.OutputShape), l.ParameterCount.ToString("N0", inv)));
            activations += l.OutputSize;
        }
        int wName = Math.Max(14, Max(rows, r => r.Name.Length) + 1), wType = Math.Max(16, Max(rows, r => r.Type.Length) + 1);
        int wShape = Math.Max(18, Max(rows, r => r.Shape.Length) + 1), wParams = Math.Max(12, Max(rows, r => r.Params.Length));
        string rule = new string('-', wName + wType + wShape + wParams + 3);
        var sb = new StringBuilder();
        sb.Append(Name).Append('\n');
        sb.Append(rule).Append('\n');
        sb.Append("Layer".PadRight(wName)).Append(' ').Append("Type".PadRight(wType)).Append(' ')
          .Append("Output Shape".PadRight(wShape)).Append(' ').Append("Param #".PadLeft(wParams)).Append('\n');
        sb.Append(new string('=', rule.Length)).Append('\n');
        foreach (var r in rows)
            sb.Append(r.Name.PadRight(wName)).Append(' ').Append(r.Type.PadRight(wType)).Append(' ')
              .Append(r.Shape.PadRight(wShape)).Append(' ').Append(r.Params.PadLeft(wParams)).Append('\n');
        sb.Append(new string('=', rule.Length)).Append('\n');
        sb.Append("Total params: ").Append(ParameterCount.ToString("N0", inv)).Append('\n');
        sb.Append("Trainable params: ").Append(ParameterCount.ToString("N0", inv)).Append('\n');
        sb.Append("Non-trainable params: 0\n");
        if (BufferCount > 0) sb.Append("State buffers: ").Append(BufferCount.ToString("N0", inv)).Append('\n');
        sb.Append(rule).Append('\n');
        sb.Append("Batch size: ").Append(batchSize.ToString(inv)).Append('\n');
        sb.Append("Input size (KiB): ").Append(Kib(4L * InputSize * batchSize)).Append('\n');
        sb.Append("Forward activations (KiB): ").Append(Kib(4L * activations * batchSize)).Append('\n');
        sb.Append("Params size (KiB): ").Append(Kib(4L * (ParameterCount + BufferCount))).Append('\n');
        sb.Append("Estimated total size (KiB): ").Append(Kib(4L * ((InputSize + activations) * batchSize + ParameterCount + BufferCount))).Append('\n');
        sb.Append(rule).Append('\n');
        return sb.ToString();

        static string Kib(long bytes) => (bytes / 1024.0).ToString("0.00", CultureInfo.InvariantCulture);
        static int Max<T>(List<T> items, Func<T, int> f)
        {
            int m = 0;
            foreach (var i in items) m = Math.Max(m, f(i));
            return m;
        }
    }
}

/// <summary>Shape arithmetic shared by the descriptions.</summary>
internal static class Shapes
{
    public static int Size(IReadOnlyList<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return checked((int)n);
    }

    public static string Text(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    public static string BatchText(IReadOnlyList<int> shape) => "[-1, " + string.Join(", ", shape) + "]";
}
