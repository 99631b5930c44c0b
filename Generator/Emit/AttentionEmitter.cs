using System.Collections.Generic;
using System.Linq;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// MultiheadAttention and ScaledDotProductAttention. Both run the runtime's <c>Attention</c> kernel, which takes the
/// queries, keys and values as rows at a stride (every head side by side in a row), so one buffer can hold q, k and v
/// of a row together. MultiheadAttention first projects each tensor it reads with the rows of the projection weights
/// that belong to it (one product per tensor: self-attention projects q, k and v with one product of
/// <c>in_proj_weight</c>), and ends with <c>out_proj</c>.
/// </summary>
internal sealed class AttentionEmitter : LayerEmitter
{
    private const string K = EmitContext.Kernels;

    /// <summary>One of q, k, v: which tensor it is projected from (or is), and its rows of the packed weights.</summary>
    private sealed record Role(string Name, int Port, int Row, int InFeatures, int Width);

    /// <summary>The roles projected from one tensor, side by side in one buffer (MultiheadAttention).</summary>
    private sealed record Group(string Field, int Port, List<Role> Roles)
    {
        public int Width => Roles.Sum(r => r.Width);

        public string Local => Naming.Camel(Field);

        public int Offset(Role role)
        {
            int at = 0;
            foreach (var r in Roles)
            {
                if (r == role) return at;
                at += r.Width;
            }
            return -1;
        }
    }

    private static List<Role> Roles(AttentionLayerBase a)
    {
        int e = a.EmbedDim;
        if (a is MultiheadAttentionLayer m)
            return new List<Role> { new("q", 0, 0, e, e), new("k", a.KeyPort, 1, m.KDim, e), new("v", a.ValuePort, 2, m.VDim, e) };
        return new List<Role> { new("q", 0, 0, e, e), new("k", a.KeyPort, 1, e, e), new("v", a.ValuePort, 2, a.Value.Shape.Last, a.Value.Shape.Last) };
    }

    private static List<Group> Groups(AttentionLayerBase a)
    {
        var groups = new List<Group>();
        foreach (var role in Roles(a))
        {
            var g = groups.FirstOrDefault(x => x.Port == role.Port);
            if (g is null) groups.Add(g = new Group("", role.Port, new List<Role>()));
            g.Roles.Add(role);
        }
        return groups.Select(g => g with { Field = string.Concat(g.Roles.Select(r => r.Name)).ToUpperInvariant()[0] + string.Concat(g.Roles.Select(r => r.Name)).Substring(1) }).ToList();
    }

    /// <summary>The context (the heads' weighted values side by side): the output itself for SDPA, a buffer before out_proj for MHA.</summary>
    private static int ContextWidth(AttentionLayerBase a) => a.Heads * a.ValueHeadDim;

    public override IEnumerable<LayerBuffer> Buffers(LayerInfo layer)
    {
        var a = (AttentionLayerBase)layer;
        int t = a.Queries, s = a.Keys;
        if (a is MultiheadAttentionLayer)
        {
            foreach (var g in Groups(a))
                yield return new LayerBuffer(g.Field, (g.Port == 0 ? t : s) * g.Width, $"{string.Join(", ", g.Roles.Select(r => r.Name))} projected from \"{a.Inputs[g.Port].Name}\", side by side in each row");
            yield return new LayerBuffer("Context", t * ContextWidth(a), "the heads' weighted values side by side, before out_proj");
        }
        yield return new LayerBuffer("Weights", a.WeightsPerSample, $"the attention weights [{a.Heads}, {t}, {s}] of the last forward pass");
        if (a.Dropout > 0) yield return new LayerBuffer("Mask", a.WeightsPerSample, "the dropout mask on the attention weights in the last training pass");
        yield return new LayerBuffer("Scratch", 2 * t * s, "the scores' gradients of one sample and head", PerBatch: true);
        if (a is MultiheadAttentionLayer)
        {
            foreach (var g in Groups(a))
                yield return new LayerBuffer("D" + g.Field, (g.Port == 0 ? t : s) * g.Width, $"dLoss/d({string.Join(", ", g.Roles.Select(r => r.Name))})");
            yield return new LayerBuffer("DContext", t * ContextWidth(a), "dLoss/d(context)");
        }
        else
        {
            foreach (var r in Roles(a))
                yield return new LayerBuffer("D" + r.Name.ToUpperInvariant(), (r.Name == "q" ? t : s) * r.Width, $"dLoss/d{r.Name}");
        }
    }

    public override string ForwardComment(LayerInfo layer)
    {
        var a = (AttentionLayerBase)layer;
        string mask = a.Causal ? " + causal mask" : "";
        if (a.Lengths is not null) mask += " + key-padding mask";
        return a is MultiheadAttentionLayer
            ? $"y = out_proj(the {a.Heads} heads side by side), head h = softmax(q_h·k_hᵀ/√{a.HeadDim}{mask})·v_h"
            : $"y = the {a.Heads} head(s) side by side, head h = softmax(q_h·k_hᵀ/√{a.HeadDim}{mask})·v_h";
    }

    private static string Shape(AttentionLayerBase a) =>
        $"new {K}AttentionShape(heads: {a.Heads}, queries: {a.Queries}, keys: {a.Keys}, headDim: {a.HeadDim}, valueDim: {a.ValueHeadDim}, causal: {(a.Causal ? "true" : "false")})";

    private static string Lengths(AttentionLayerBase a, IReadOnlyList<string> inputs) => a.Lengths is null ? "default" : inputs[a.LengthsPort];

    private static string WeightsView(AttentionLayerBase a) => EmitContext.Buffer(a, "Weights", a.WeightsPerSample);

    private static string Rows(AttentionLayerBase a, int port) => LayerEmitter.Rows(port == 0 ? a.Queries : a.Keys);

    /// <summary>The weight rows one projection call uses: the packed rows of the roles, or the role's own tensor.</summary>
    private static (string Weight, string Bias, int Out) Projection(MultiheadAttentionLayer m, IReadOnlyList<Role> roles, bool gradient)
    {
        int e = m.EmbedDim;
        string Param(string suffix) => gradient ? EmitContext.Grad(m, suffix) : EmitContext.Param(m, suffix);
        int first = roles[0].Row, n = roles.Count;
        string weight = m.Packed
            ? n == 3 ? Param("in_proj_weight") : $"{Param("in_proj_weight")}.Slice({first * e * e}, {n * e * e})"
            : Param(roles[0].Name + "_proj_weight");
        string bias = !m.HasBias ? "default" : n == 3 ? Param("in_proj_bias") : $"{Param("in_proj_bias")}.Slice({first * e}, {n * e})";
        return (weight, bias, n * e);
    }

    /// <summary>The projection calls of one group: one for its roles together (packed weights), else one per role.</summary>
    private static IEnumerable<List<Role>> Calls(MultiheadAttentionLayer m, Group g) =>
        m.Packed ? new[] { g.Roles } : g.Roles.Select(r => new List<Role> { r });

    private static string At(string span, int offset) => offset == 0 ? span : $"{span}.Slice({offset})";

    public override void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output)
    {
        var a = (AttentionLayerBase)layer;
        string q, k, v;
        int qs, ks, vs;
        string context;
        using (w.Block())
        {
            if (a is MultiheadAttentionLayer m)
            {
                var groups = Groups(a);
                foreach (var g in groups)
                {
                    w.Line($"var {g.Local} = {EmitContext.Buffer(a, g.Field, (g.Port == 0 ? a.Queries : a.Keys) * g.Width)};");
                    foreach (var roles in Calls(m, g))
                    {
                        var (weight, bias, width) = Projection(m, roles, gradient: false);
                        string names = string.Join(", ", roles.Select(r => r.Name));
                        string rows = m.Packed ? $"rows [{roles[0].Row * m.EmbedDim}, {(roles[0].Row + roles.Count) * m.EmbedDim}) of in_proj_weight" : roles[0].Name + "_proj_weight";
                        string where = g.Width > width ? $", at columns {g.Offset(roles[0])}.. of rows of {g.Width}" : g.Roles.Count > 1 ? $", side by side in rows of {g.Width}" : "";
                        w.Line($"// {names} = \"{a.Inputs[g.Port].Name}\"·Wᵀ{(m.HasBias ? " + b" : "")}, W = {rows}{where}");
                        w.Line($"{K}Attention.Project({inputs[g.Port]}, {weight}, {bias}, {At(g.Local, g.Offset(roles[0]))}, yStride: {g.Width}, rows: {Rows(a, g.Port)}, inFeatures: {roles[0].InFeatures}, outFeatures: {width});");
                    }
                }
                var byName = groups.SelectMany(g => g.Roles.Select(r => (r, g))).ToDictionary(x => x.r.Name, x => x.g);
                (q, qs) = (At(byName["q"].Local, byName["q"].Offset(byName["q"].Roles.First(r => r.Name == "q"))), byName["q"].Width);
                (k, ks) = (At(byName["k"].Local, byName["k"].Offset(byName["k"].Roles.First(r => r.Name == "k"))), byName["k"].Width);
                (v, vs) = (At(byName["v"].Local, byName["v"].Offset(byName["v"].Roles.First(r => r.Name == "v"))), byName["v"].Width);
                context = "context";
                w.Line($"var context = {EmitContext.Buffer(a, "Context", a.Queries * ContextWidth(a))};");
            }
            else
            {
                (q, qs) = (inputs[0], a.EmbedDim);
                (k, ks) = (inputs[a.KeyPort], a.Key.Shape.Last);
                (v, vs) = (inputs[a.ValuePort], a.Value.Shape.Last);
                context = output;
            }
            w.Line($"// Per sample and head h (columns h·{a.HeadDim}..): weights = softmax(q_h·k_hᵀ/√{a.HeadDim}) over the keys{MaskText(a)}, {(a is MultiheadAttentionLayer ? "context" : "y")}_h = weights·v_h.");
            string tail = a.Dropout > 0
                ? $", {EmitContext.TrainingField} ? {EmitContext.Buffer(a, "Mask", a.WeightsPerSample)} : default, {Lit.F(a.Dropout)}, {K}CounterRandom.Key({EmitContext.SeedField}, {a.Index}, {EmitContext.StepField}), {EmitContext.FixedBuffer(a, "Scratch")}"
                : "";
            if (a.Dropout > 0) w.Line($"// In training each weight is dropped with p = {Lit.Text(a.Dropout)} (the survivors scaled by 1/(1 − p)) before it weighs the values.");
            w.Line($"{K}Attention.Forward({q}, qStride: {qs}, {k}, kStride: {ks}, {v}, vStride: {vs}, lengths: {Lengths(a, inputs)}, weights: {WeightsView(a)}, {context}, contextStride: {ContextWidth(a)}, batch, {Shape(a)}{tail});");
            if (a is MultiheadAttentionLayer mo)
            {
                w.Line($"// y = context·W_oᵀ{(mo.HasBias ? " + b_o" : "")} (out_proj)");
                w.Line($"{K}Dense<{c.Dim(a.EmbedDim)}, {c.Dim(a.EmbedDim)}>.Forward(context, {EmitContext.Param(a, "out_proj.weight")}, {(mo.HasBias ? EmitContext.Param(a, "out_proj.bias") : "default")}, {output}, {Rows(a, 0)});");
            }
        }
    }

    private static string MaskText(AttentionLayerBase a)
    {
        var parts = new List<string>();
        if (a.Causal) parts.Add("query t sees keys 0..t");
        if (a.Lengths is not null) parts.Add($"sample n sees keys 0..\"{a.Lengths.Name}\"[n] − 1");
        return parts.Count == 0 ? "" : " (" + string.Join("; ", parts) + ": the other weights are 0)";
    }

    public override void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s)
    {
        var a = (AttentionLayerBase)layer;
        string mask = a.Dropout > 0 ? EmitContext.Buffer(a, "Mask", a.WeightsPerSample) : "default";
        string lengths = Lengths(a, s.Inputs);
        if (a.Lengths is not null)
        {
            var g = s.InputGradients[a.LengthsPort];
            Guarded(w, g, () => w.Line($"{g.Span}.Clear(); // the key lengths are counts: no gradient"));
        }
        if (a is MultiheadAttentionLayer m)
        {
            using (w.Block())
            {
                var groups = Groups(a);
                foreach (var g in groups)
                {
                    int size = (g.Port == 0 ? a.Queries : a.Keys) * g.Width;
                    w.Line($"var {g.Local} = {EmitContext.Buffer(a, g.Field, size)};");
                    w.Line($"var d{g.Field} = {EmitContext.Buffer(a, "D" + g.Field, size)};");
                }
                w.Line($"var context = {EmitContext.Buffer(a, "Context", a.Queries * ContextWidth(a))};");
                w.Line($"var dContext = {EmitContext.Buffer(a, "DContext", a.Queries * ContextWidth(a))};");
                string dense = $"{K}Dense<{c.Dim(a.EmbedDim)}, {c.Dim(a.EmbedDim)}>";
                w.Line($"// out_proj: dW_o += dyᵀ·context{(m.HasBias ? ", db_o += Σ dy" : "")}; dContext = dy·W_o");
                w.Line($"{dense}.BackwardWeights({s.OutputGradient}, context, {EmitContext.Grad(a, "out_proj.weight")}, {(m.HasBias ? EmitContext.Grad(a, "out_proj.bias") : "default")}, {Rows(a, 0)}, accumulate: !{EmitContext.Overwrite});");
                w.Line($"{dense}.BackwardInput({s.OutputGradient}, {EmitContext.Param(a, "out_proj.weight")}, dContext, {Rows(a, 0)});");
                var byName = groups.SelectMany(g => g.Roles.Select(r => (r, g))).ToDictionary(x => x.r.Name, x => x.g);
                string Of(string role, bool gradient)
                {
                    var g = byName[role];
                    return $"{At(gradient ? "d" + g.Field : g.Local, g.Offset(g.Roles.First(r => r.Name == role)))}, {(gradient ? "d" : "")}{role}Stride: {g.Width}";
                }
                w.Line("// Through the attention: dq, dk and dv of every head, at their columns");
                w.Line($"{K}Attention.Backward({Of("q", false)}, {Of("k", false)}, {Of("v", false)}, lengths: {lengths}, weights: {WeightsView(a)}, dropoutMask: {mask}, dContext, contextStride: {ContextWidth(a)}, " +
                       $"{Of("q", true)}, {Of("k", true)}, {Of("v", true)}, {EmitContext.FixedBuffer(a, "Scratch")}, batch, {Shape(a)});");
                w.Line("// Through the projections: dW += d(q, k, v)ᵀ·x, db += Σ d(q, k, v); dx = Σ d(q, k, v)·W over what was projected from x");
                foreach (var g in groups)
                {
                    var dx = s.InputGradients[g.Port];
                    bool first = true;
                    foreach (var roles in Calls(m, g))
                    {
                        var (weight, bias, width) = Projection(m, roles, gradient: false);
                        var (dWeight, dBias, _) = Projection(m, roles, gradient: true);
                        string dy = At("d" + g.Field, g.Offset(roles[0]));
                        w.Line($"{K}Attention.ProjectBackwardWeights({dy}, dyStride: {g.Width}, {s.Inputs[g.Port]}, {dWeight}, {dBias}, rows: {Rows(a, g.Port)}, inFeatures: {roles[0].InFeatures}, outFeatures: {width}, accumulate: !{EmitContext.Overwrite});");
                        bool accumulate = !first;
                        Guarded(w, dx, () => w.Line($"{K}Attention.ProjectBackwardInput({dy}, dyStride: {g.Width}, {weight}, {dx.Span}, rows: {Rows(a, g.Port)}, inFeatures: {roles[0].InFeatures}, outFeatures: {width}, accumulate: {(accumulate ? "true" : "false")});"));
                        first = false;
                    }
                }
            }
            return;
        }

        // Scaled dot-product attention: the gradients of q, k and v go to the tensors they were read from, summed where
        // one tensor is read in several roles.
        var sdpaRoles = Roles(a);
        if (sdpaRoles.All(r => !s.InputGradients[r.Port].Wanted)) return;
        {
            string D(Role r) => $"{EmitContext.Buffer(a, "D" + r.Name.ToUpperInvariant(), (r.Name == "q" ? a.Queries : a.Keys) * r.Width)}, d{r.Name}Stride: {r.Width}";
            string In(Role r) => $"{s.Inputs[r.Port]}, {r.Name}Stride: {r.Width}";
            w.Line("// dq, dk and dv of every head, at their columns");
            w.Line($"{K}Attention.Backward({In(sdpaRoles[0])}, {In(sdpaRoles[1])}, {In(sdpaRoles[2])}, lengths: {lengths}, weights: {WeightsView(a)}, dropoutMask: {mask}, {s.OutputGradient}, contextStride: {ContextWidth(a)}, " +
                   $"{D(sdpaRoles[0])}, {D(sdpaRoles[1])}, {D(sdpaRoles[2])}, {EmitContext.FixedBuffer(a, "Scratch")}, batch, {Shape(a)});");
            foreach (var port in sdpaRoles.Select(r => r.Port).Distinct())
            {
                var g = s.InputGradients[port];
                var roles = sdpaRoles.Where(r => r.Port == port).ToList();
                Guarded(w, g, () =>
                {
                    for (int i = 0; i < roles.Count; i++)
                    {
                        string src = EmitContext.Buffer(a, "D" + roles[i].Name.ToUpperInvariant(), (roles[i].Name == "q" ? a.Queries : a.Keys) * roles[i].Width);
                        w.Line(i == 0 ? $"{src}.CopyTo({g.Span});" : $"{K}TensorOps.AddInPlace({g.Span}, {src}); // read as {string.Join(" and ", roles.Select(r => r.Name))}: the gradients add up");
                    }
                });
            }
        }
    }

    /// <summary>
    /// <c>AttentionWeights(name)</c> and <c>AttentionShape(name)</c>: the per-layer properties by layer name, for a
    /// network with attention layers (nothing otherwise).
    /// </summary>
    public static void WriteLookup(SourceWriter w, IReadOnlyList<AttentionLayerBase> layers)
    {
        if (layers.Count == 0) return;
        string names = string.Join(", ", layers.Select(a => "'" + a.Name + "'"));
        string Throw = $"throw new global::System.ArgumentException(\"'\" + layer + \"' is not an attention layer of this network; its attention layers are {names.Replace("\"", "\\\"")}.\", nameof(layer))";
        w.Line($"/// <summary>");
        w.Line($"/// The attention weights of the attention layer named <paramref name=\"layer\"/> ({names}) in the last forward pass:");
        w.Line($"/// [Batch, heads, queries, keys], row-major, as its <c>Layer<i>N</i>AttentionWeights</c> property. Throws <see cref=\"global::System.ArgumentException\"/> for another name.");
        w.Line($"/// </summary>");
        w.Line($"public global::System.ReadOnlySpan<float> AttentionWeights(string layer) => layer switch");
        w.Line("{");
        foreach (var a in layers) w.Line($"    \"{a.Name}\" => Layer{a.Index}AttentionWeights,");
        w.Line($"    _ => {Throw},");
        w.Line("};");
        w.Line($"/// <summary>The shape of one sample of <see cref=\"AttentionWeights\"/> for the layer named <paramref name=\"layer\"/>: [heads, queries, keys].</summary>");
        w.Line($"public static global::System.ReadOnlySpan<int> AttentionShape(string layer) => layer switch");
        w.Line("{");
        foreach (var a in layers) w.Line($"    \"{a.Name}\" => Layer{a.Index}AttentionShape,");
        w.Line($"    _ => {Throw},");
        w.Line("};");
    }

    public override void Members(SourceWriter w, LayerInfo layer, EmitContext c)
    {
        var a = (AttentionLayerBase)layer;
        string property = $"Layer{a.Index}AttentionWeights";
        w.Line($"/// <summary>");
        w.Line($"/// The attention weights of layer {a.Index} \"{a.Name}\" ({a.Kind}) in the last forward pass: [Batch, {a.Heads}, {a.Queries}, {a.Keys}]");
        w.Line($"/// (sample, head, query, key), row-major. Each row is the softmax over the keys, 0 at masked keys, before dropout;");
        w.Line($"/// nn.MultiheadAttention's need_weights returns their mean over the heads (average_attn_weights=True).");
        w.Line($"/// </summary>");
        w.Line($"public global::System.ReadOnlySpan<float> {property} => View({EmitContext.BufferField(a, "Weights")}, _batch * {a.WeightsPerSample});");
        w.Line($"/// <summary>The shape of one sample of <see cref=\"{property}\"/>: [heads, queries, keys].</summary>");
        w.Line($"public static global::System.ReadOnlySpan<int> Layer{a.Index}AttentionShape => new int[] {{ {a.Heads}, {a.Queries}, {a.Keys} }};");
    }
}
