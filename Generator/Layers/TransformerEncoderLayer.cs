using System.Collections.Generic;
using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// <c>nn.TransformerEncoderLayer(batch_first=True)</c> as a composite: one attribute expanded into the layers the module
/// runs, each named as PyTorch names the submodule (<c>enc.self_attn</c>, <c>enc.linear1</c>, <c>enc.norm1</c>, ...), so
/// that the parameters are <c>enc.self_attn.in_proj_weight</c>, <c>enc.linear1.weight</c>, ... and a state_dict loads
/// directly. The residual sums are Add layers (<c>enc.add1</c>, <c>enc.add2</c>); dropout layers are declared only when
/// the dropout is positive. Every part is an existing kind, so the emitters, the GPU classes and the reference of those
/// kinds run it: nothing here computes.
/// </summary>
internal static class TransformerEncoderLayer
{
    public static IReadOnlyList<LayerInfo>? Expand(LayerParseContext c)
    {
        var a = c.Args;
        string kind = a.ShortName;
        int dModel = (int)a.Number("dModel", 0), heads = (int)a.Number("nhead", 0);
        int ff = (int)a.Number("DimFeedforward", OptionDefaults.TransformerDimFeedforward);
        double dropout = a.Number("Dropout", OptionDefaults.TransformerDropout);
        double eps = a.Number("LayerNormEps", OptionDefaults.TransformerLayerNormEps);
        bool normFirst = a.Number("NormFirst", OptionDefaults.TransformerNormFirst ? 1 : 0) != 0;
        bool causal = a.Number("IsCausal", OptionDefaults.AttentionCausal ? 1 : 0) != 0;
        int activation = (int)a.Number("Activation", 0);
        string I(int v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (dModel <= 0) c.Report(DiagnosticDescriptors.NonPositiveSize, kind, "dModel", I(dModel));
        if (heads <= 0) c.Report(DiagnosticDescriptors.NonPositiveSize, kind, "nhead", I(heads));
        if (ff <= 0) c.Report(DiagnosticDescriptors.NonPositiveSize, kind, "DimFeedforward", I(ff));
        c.Require(dropout >= 0 && dropout < 1 && (float)dropout < 1f, "Dropout", dropout, "in [0, 1), for example Dropout = 0.1");
        c.Require(eps > 0, "LayerNormEps", eps, "positive, for example 1e-5");
        c.Require(activation is 0 or 1, "Activation", activation, "one of the TransformerActivation values");
        if (c.HasErrors) return null;
        var input = c.InputShape;
        if (input.Rank != 2)
            c.ShapeError($"it reads sequences [T, d_model], but its input '{c.Input.Name}' is {input.BatchText}: give it a [T, {dModel}] tensor");
        else if (input.Last != dModel)
            c.ShapeError($"d_model is {dModel}, but its input '{c.Input.Name}' {input.BatchText} has {input.Last} features: write [{kind}({input.Last}, {heads})], or project the input to {dModel} features with a Dense layer first");
        if (c.HasErrors) return null;
        if (dModel % heads != 0)
            c.Report(DiagnosticDescriptors.HeadsDoNotDivide, kind, "d_model", I(dModel), I(heads));
        TensorRef? lengths = null;
        if (a.Text("KeyLengths") is { } lengthsName)
        {
            lengths = c.Resolve("KeyLengths", lengthsName);
            if (lengths is not null && (!lengths.IsNetworkInput || lengths.Shape.Rank != 1 || lengths.Shape.Dims[0] != 1))
                c.Report(DiagnosticDescriptors.InvalidKeyLengths, kind, lengthsName,
                    lengths.IsNetworkInput ? "a network input of shape " + lengths.Shape.Text : "a layer's output");
        }
        if (c.HasErrors) return null;

        // The parts, in the order PyTorch's forward runs them; each reads the previous part unless said otherwise.
        var layers = new List<LayerInfo>();
        string prefix = c.Name;
        var hidden = input.WithLast(ff);
        TensorRef last = c.Input;
        TensorRef Add(System.Func<LayerCore, LayerInfo> make, string part, Shape output, params TensorRef[] reads)
        {
            var core = new LayerCore(c.Index + layers.Count, prefix + "." + part, (reads.Length == 0 ? new[] { last } : reads).ToEquatableArray(), output);
            var layer = make(core);
            layers.Add(layer);
            return last = new TensorRef(layer.Name, layer.Index, layer.Output);
        }
        TensorRef Norm(string part) => Add(core => new LayerNormLayer(core, Shape.Of(dModel), eps, true), part, input);
        TensorRef Dropout(string part) => dropout > 0 ? Add(core => new DropoutLayer(core, dropout), part, last.Shape) : last;
        TensorRef Linear(string part, int units, int fanIn) =>
            Add(core => new DenseLayer(core, units, true, new InitInfo("Default", 0, 0, fanIn, units), new InitInfo("Default", 0, 0, fanIn, units)), part, input.WithLast(units));

        TensorRef SelfAttentionBlock(TensorRef x)
        {
            last = x;
            int index = c.Index + layers.Count;
            var attention = MultiheadAttentionLayer.Of(index, prefix + ".self_attn", x, heads, dropout, causal, lengths);
            layers.Add(attention);
            last = new TensorRef(attention.Name, index, attention.Output);
            return Dropout("dropout1");
        }
        TensorRef FeedForwardBlock(TensorRef x)
        {
            last = x;
            Linear("linear1", ff, dModel);
            Add(core => new ActivationLayer(core, activation == 0 ? LayerKindNames.ReLU : LayerKindNames.GELU, 0, 0), "activation", hidden);
            Dropout("dropout");
            Linear("linear2", dModel, ff);
            return Dropout("dropout2");
        }

        var x0 = c.Input;
        if (normFirst)
        {
            // x = x + sa(norm1(x));  x = x + ff(norm2(x))
            var sa = SelfAttentionBlock(Norm("norm1"));
            var x1 = Add(core => new AddLayer(core), "add1", input, x0, sa);
            last = x1;
            var f = FeedForwardBlock(Norm("norm2"));
            Add(core => new AddLayer(core), "add2", input, x1, f);
        }
        else
        {
            // x = norm1(x + sa(x));  x = norm2(x + ff(x))
            var sa = SelfAttentionBlock(x0);
            Add(core => new AddLayer(core), "add1", input, x0, sa);
            var x1 = Norm("norm1");
            var f = FeedForwardBlock(x1);
            Add(core => new AddLayer(core), "add2", input, x1, f);
            Norm("norm2");
        }
        return layers;
    }
}
