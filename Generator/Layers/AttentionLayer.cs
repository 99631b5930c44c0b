using System.Collections.Generic;
using System.Globalization;
using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// What both attention kinds share: the queries come from the main input [T, E], the keys from <see cref="Key"/> [S, ·]
/// and the values from <see cref="Value"/> [S, ·] (ports into <see cref="LayerInfo.Inputs"/>, which lists each tensor
/// once), split into <see cref="Heads"/> heads; <see cref="Causal"/> and the per-sample key lengths
/// (<see cref="LengthsPort"/>, -1 for none) mask the keys; <see cref="Dropout"/> drops attention weights in training.
/// </summary>
internal abstract record AttentionLayerBase(LayerCore Core, int Heads, double Dropout, bool Causal, int KeyPort, int ValuePort, int LengthsPort) : LayerInfo(Core)
{
    /// <summary>T: the query positions.</summary>
    public int Queries => Input.Dims[0];

    /// <summary>E: the features of a query.</summary>
    public int EmbedDim => Input.Last;

    public TensorRef Key => Inputs[KeyPort];

    public TensorRef Value => Inputs[ValuePort];

    /// <summary>S: the key (and value) positions.</summary>
    public int Keys => Key.Shape.Dims[0];

    /// <summary>The per-sample key lengths, or null.</summary>
    public TensorRef? Lengths => LengthsPort < 0 ? null : Inputs[LengthsPort];

    /// <summary>The features of the attended queries and keys of one head.</summary>
    public abstract int HeadDim { get; }

    /// <summary>The features of the attended values of one head.</summary>
    public abstract int ValueHeadDim { get; }

    /// <summary>The attention weights of one sample: Heads·T·S.</summary>
    public int WeightsPerSample => Heads * Queries * Keys;

    /// <summary>The options both kinds show: the masks, the dropout and which tensors are read (as ports).</summary>
    protected IEnumerable<OptionInfo> CommonOptions()
    {
        yield return OptionInfo.Double("dropout", Dropout, shown: Dropout != OptionDefaults.AttentionDropout);
        yield return OptionInfo.Bool("is_causal", Causal, shown: Causal);
        yield return OptionInfo.Int("key", KeyPort, shown: false);
        yield return OptionInfo.Int("value", ValuePort, shown: false);
        yield return OptionInfo.Int("key_lengths", LengthsPort, shown: false);
    }

    /// <summary>
    /// Reads the tensors of an attention layer and checks them: the input and <c>Key</c>/<c>Value</c> are [T, ·]
    /// sequences, keys and values have one length, a causal mask needs T = S, and <c>KeyLengths</c> names a network input
    /// of shape [1]. Returns the tensors read (each once) and the ports, or null after reporting.
    /// </summary>
    protected static (List<TensorRef> Inputs, int Key, int Value, int Lengths)? ReadTensors(LayerParseContext c, bool keyRequired, bool causal)
    {
        var inputs = new List<TensorRef> { c.Input };
        int Port(TensorRef t)
        {
            for (int i = 0; i < inputs.Count; i++)
                if (inputs[i].Name == t.Name) return i;
            inputs.Add(t);
            return inputs.Count - 1;
        }
        string kind = c.Args.ShortName;
        if (c.InputShape.Rank != 2)
            c.ShapeError($"it reads sequences [T, E], but its input '{c.Input.Name}' is {c.InputShape.BatchText}: give it a [T, E] tensor, for example with [Reshape(T, E)]");
        TensorRef? key = c.Input;
        if (c.Args.Text("Key") is { } keyName) key = c.Resolve("Key", keyName);
        else if (keyRequired)
        {
            c.ShapeError($"it needs the keys: name them with Key = \"...\", for example [{kind}(Input = \"q\", Key = \"k\", Value = \"v\")]");
            key = null;
        }
        TensorRef? value = key;
        if (c.Args.Text("Value") is { } valueName) value = c.Resolve("Value", valueName);
        TensorRef? lengths = null;
        if (c.Args.Text("KeyLengths") is { } lengthsName)
        {
            lengths = c.Resolve("KeyLengths", lengthsName);
            if (lengths is not null && (!lengths.IsNetworkInput || lengths.Shape.Rank != 1 || lengths.Shape.Dims[0] != 1))
                c.Report(DiagnosticDescriptors.InvalidKeyLengths, kind, lengthsName,
                    lengths.IsNetworkInput ? "a network input of shape " + lengths.Shape.Text : "a layer's output");
        }
        if (key is null || value is null) return null;
        // A tensor already reported (the input as the keys, the keys as the values) is not reported again.
        if (key.Name != c.Input.Name && key.Shape.Rank != 2)
            c.ShapeError($"its Key '{key.Name}' is {key.Shape.BatchText}, but keys and values are sequences [S, features]");
        if (value.Name != c.Input.Name && value.Name != key.Name && value.Shape.Rank != 2)
            c.ShapeError($"its Value '{value.Name}' is {value.Shape.BatchText}, but keys and values are sequences [S, features]");
        if (c.HasErrors) return null;
        if (key.Shape.Dims[0] != value.Shape.Dims[0])
            c.Report(DiagnosticDescriptors.KeyValueLengthMismatch, kind, key.Name, I(key.Shape.Dims[0]), value.Name, I(value.Shape.Dims[0]));
        if (causal && key.Shape.Dims[0] != c.InputShape.Dims[0])
            c.Report(DiagnosticDescriptors.CausalLengthMismatch, kind, I(c.InputShape.Dims[0]), key.Name, I(key.Shape.Dims[0]));
        if (c.HasErrors) return null;
        int k = Port(key), v = Port(value), l = lengths is null ? -1 : Port(lengths);
        return (inputs, k, v, l);
    }

    /// <summary>Reads and checks the dropout probability.</summary>
    protected static double ReadDropout(LayerParseContext c, double fallback)
    {
        double p = c.Args.Number("Dropout", fallback);
        c.Require(p >= 0 && p < 1 && (float)p < 1f, "Dropout", p, "in [0, 1), for example Dropout = 0.1");
        return p;
    }

    /// <summary>Reports SGNN0050 unless <paramref name="features"/> splits into <paramref name="heads"/> heads.</summary>
    protected static void RequireDivisible(LayerParseContext c, string what, int features, int heads)
    {
        if (heads > 0 && features % heads != 0)
            c.Report(DiagnosticDescriptors.HeadsDoNotDivide, c.Args.ShortName, what, I(features), I(heads));
    }

    protected static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Multi-head attention, PyTorch's <c>nn.MultiheadAttention(batch_first=True)</c>: the input [T, E] projected to queries,
/// the keys [S, kdim] and values [S, vdim] projected to E features, attention per head of E/heads features, then
/// <c>out_proj</c>. <see cref="Packed"/> (kdim = vdim = E): the three projections are the rows of one
/// <c>in_proj_weight</c> [3E, E]; otherwise <c>q_proj_weight</c>, <c>k_proj_weight</c>, <c>v_proj_weight</c>.
/// </summary>
internal sealed record MultiheadAttentionLayer(LayerCore Core, int Heads, bool HasBias, double Dropout, bool Causal, int KeyPort, int ValuePort, int LengthsPort)
    : AttentionLayerBase(Core, Heads, Dropout, Causal, KeyPort, ValuePort, LengthsPort)
{
    public override string Kind => LayerKindNames.MultiheadAttention;

    public int KDim => Key.Shape.Last;

    public int VDim => Value.Shape.Last;

    /// <summary>kdim = vdim = E: PyTorch's <c>_qkv_same_embed_dim</c>, one <c>in_proj_weight</c>.</summary>
    public bool Packed => KDim == EmbedDim && VDim == EmbedDim;

    /// <summary>Self-attention: the keys and values are the queries' tensor, so one product projects all three.</summary>
    public bool SelfAttention => KeyPort == 0 && ValuePort == 0;

    public override int HeadDim => EmbedDim / Heads;

    public override int ValueHeadDim => EmbedDim / Heads;

    public override EquatableArray<OptionInfo> Options
    {
        get
        {
            var list = new List<OptionInfo>
            {
                OptionInfo.Int("num_heads", Heads),
                OptionInfo.Bool("bias", HasBias, shown: !HasBias),
                OptionInfo.Int("kdim", KDim, shown: KDim != EmbedDim),
                OptionInfo.Int("vdim", VDim, shown: VDim != EmbedDim),
            };
            list.AddRange(CommonOptions());
            return list.ToEquatableArray();
        }
    }

    public override EquatableArray<ParameterInfo> Parameters
    {
        get
        {
            int e = EmbedDim;
            var list = new List<ParameterInfo>();
            // xavier_uniform_ on each projection, as nn.MultiheadAttention._reset_parameters; its fans are those of the
            // tensor as stored (in_proj_weight [3E, E]: fan_in E, fan_out 3E).
            if (Packed)
                list.Add(new ParameterInfo("in_proj_weight", Shape.Of(3 * e, e), new InitInfo("XavierUniform", 1, 0, e, 3 * e)));
            else
            {
                list.Add(new ParameterInfo("q_proj_weight", Shape.Of(e, e), new InitInfo("XavierUniform", 1, 0, e, e)));
                list.Add(new ParameterInfo("k_proj_weight", Shape.Of(e, KDim), new InitInfo("XavierUniform", 1, 0, KDim, e)));
                list.Add(new ParameterInfo("v_proj_weight", Shape.Of(e, VDim), new InitInfo("XavierUniform", 1, 0, VDim, e)));
            }
            if (HasBias) list.Add(new ParameterInfo("in_proj_bias", Shape.Of(3 * e), new InitInfo("Zeros", 0, 0, e, 3 * e)));
            list.Add(new ParameterInfo("out_proj.weight", Shape.Of(e, e), new InitInfo("Default", 0, 0, e, e), Module: "nn.Linear"));
            if (HasBias) list.Add(new ParameterInfo("out_proj.bias", Shape.Of(e), new InitInfo("Zeros", 0, 0, e, e), Module: "nn.Linear"));
            return list.ToEquatableArray();
        }
    }

    public static LayerInfo? Parse(LayerParseContext c)
    {
        int heads = (int)c.Args.Number("numHeads", 0);
        if (heads <= 0)
            c.Report(DiagnosticDescriptors.NonPositiveSize, c.Args.ShortName, "numHeads", I(heads));
        bool bias = c.Args.Number("Bias", OptionDefaults.AttentionBias ? 1 : 0) != 0;
        bool causal = c.Args.Number("IsCausal", OptionDefaults.AttentionCausal ? 1 : 0) != 0;
        double dropout = ReadDropout(c, OptionDefaults.AttentionDropout);
        var tensors = ReadTensors(c, keyRequired: false, causal);
        if (tensors is null || c.HasErrors) return null;
        RequireDivisible(c, "embed_dim (the input's last dimension)", c.InputShape.Last, heads);
        if (c.HasErrors) return null;
        var (inputs, k, v, l) = tensors.Value;
        return new MultiheadAttentionLayer(c.Core(inputs, c.InputShape), heads, bias, dropout, causal, k, v, l);
    }

    /// <summary>Builds the layer directly (a composite's part), the tensors already checked.</summary>
    public static MultiheadAttentionLayer Of(int index, string name, TensorRef input, int heads, double dropout, bool causal, TensorRef? lengths)
    {
        var inputs = new List<TensorRef> { input };
        if (lengths is not null) inputs.Add(lengths);
        return new MultiheadAttentionLayer(new LayerCore(index, name, inputs.ToEquatableArray(), input.Shape), heads, true, dropout, causal, 0, 0, lengths is null ? -1 : 1);
    }
}

/// <summary>
/// Scaled dot-product attention without parameters: queries [T, E] (the main input), keys [S, E], values [S, Ev], each
/// split into <see cref="AttentionLayerBase.Heads"/> heads side by side; the output [T, Ev].
/// </summary>
internal sealed record ScaledDotProductAttentionLayer(LayerCore Core, int Heads, double Dropout, bool Causal, int KeyPort, int ValuePort, int LengthsPort)
    : AttentionLayerBase(Core, Heads, Dropout, Causal, KeyPort, ValuePort, LengthsPort)
{
    public override string Kind => LayerKindNames.ScaledDotProductAttention;

    public override int HeadDim => EmbedDim / Heads;

    public override int ValueHeadDim => Value.Shape.Last / Heads;

    public override EquatableArray<OptionInfo> Options
    {
        get
        {
            var list = new List<OptionInfo> { OptionInfo.Int("num_heads", Heads, shown: Heads != OptionDefaults.AttentionHeads) };
            list.AddRange(CommonOptions());
            return list.ToEquatableArray();
        }
    }

    public static LayerInfo? Parse(LayerParseContext c)
    {
        int heads = (int)c.Args.Number("NumHeads", OptionDefaults.AttentionHeads);
        c.Require(heads > 0, "NumHeads", heads, "a positive number of heads");
        bool causal = c.Args.Number("IsCausal", OptionDefaults.AttentionCausal ? 1 : 0) != 0;
        double dropout = ReadDropout(c, OptionDefaults.AttentionDropout);
        var tensors = ReadTensors(c, keyRequired: true, causal);
        if (tensors is null || c.HasErrors) return null;
        var (inputs, k, v, l) = tensors.Value;
        if (inputs[k].Shape.Last != c.InputShape.Last)
            c.ShapeError($"its queries '{c.Input.Name}' have {c.InputShape.Last} features and its keys '{inputs[k].Name}' {inputs[k].Shape.Last}, but q·kᵀ needs one size: project both to the same size with Dense layers");
        RequireDivisible(c, "the query and key features", c.InputShape.Last, heads);
        if (inputs[v].Shape.Last != c.InputShape.Last)
            RequireDivisible(c, "the value features", inputs[v].Shape.Last, heads);
        if (c.HasErrors) return null;
        return new ScaledDotProductAttentionLayer(c.Core(inputs, c.InputShape.WithLast(inputs[v].Shape.Last)), heads, dropout, causal, k, v, l);
    }
}
