using System;
using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// A buffer a layer keeps beside its output: [batch, PerSample] (a dropout mask, LayerNorm's means), or, when
/// <see cref="PerBatch"/>, PerSample elements whatever the batch (BatchNorm's batch statistics).
/// </summary>
internal sealed record LayerBuffer(string Field, int PerSample, string Comment, bool PerBatch = false);

/// <summary>
/// Where a layer's backward statements write the gradient of one of the tensors it reads: <see cref="Span"/>, an
/// expression for a [batch, ...] span, always valid (a scratch buffer when the gradient is not wanted);
/// <see cref="Guard"/>, when set, the condition under which it is wanted. "false" means never: the statements that only
/// compute it are not written.
/// </summary>
internal sealed record InputGradient(string Span, string? Guard)
{
    public const string Never = "false";

    public bool Wanted => Guard != Never;
}

/// <summary>The span expressions a layer's backward statements work with.</summary>
/// <param name="Inputs">The tensors the layer read, as kept by the forward pass (main input first).</param>
/// <param name="Output">The layer's output of the forward pass.</param>
/// <param name="OutputGradient">dLoss/dOutput.</param>
/// <param name="InputGradients">Where to write dLoss/dInput for each input; the statements overwrite it.</param>
internal sealed record BackwardSpans(IReadOnlyList<string> Inputs, string Output, string OutputGradient, IReadOnlyList<InputGradient> InputGradients)
{
    public string Input => Inputs[0];

    public InputGradient InputGradient => InputGradients[0];
}

/// <summary>
/// Writes one layer kind's code. The network emitter owns the class, the buffers and the order of the graph; a layer
/// emitter writes only its own forward and backward statements, given span expressions for what it reads and writes.
/// </summary>
internal abstract class LayerEmitter
{
    /// <summary>Buffers this layer keeps besides its output, each [batch, PerSample].</summary>
    public virtual IEnumerable<LayerBuffer> Buffers(LayerInfo layer) => Array.Empty<LayerBuffer>();

    /// <summary>Whether the backward statements read the layer's inputs (what the forward pass kept of them).</summary>
    public virtual bool BackwardReadsInput => true;

    /// <summary>Whether the backward statements read the layer's output.</summary>
    public virtual bool BackwardReadsOutput => false;

    /// <summary>
    /// Whether the output is the main input's memory seen with another shape (Flatten, Reshape): no buffer is allocated
    /// and the forward statements move no data. The network emitter copies instead when the input is a network input.
    /// </summary>
    public virtual bool IsView => false;

    /// <summary>
    /// Public members the layer adds to the network class (what it kept in the last forward pass, for inspection: an
    /// attention layer's weights). Their names must match <c>Parser.IsReservedPattern</c>.
    /// </summary>
    public virtual void Members(SourceWriter w, LayerInfo layer, EmitContext c) { }

    /// <summary>A one-line comment with the layer's math, written above its forward code.</summary>
    public abstract string ForwardComment(LayerInfo layer);

    /// <summary>Forward statements: read <paramref name="inputs"/> ([batch, ...]), write <paramref name="output"/>.</summary>
    public abstract void Forward(SourceWriter w, LayerInfo layer, EmitContext c, IReadOnlyList<string> inputs, string output);

    /// <summary>
    /// Backward statements: given dLoss/dOutput, set the layer's parameter gradients (added to them, or written when
    /// <see cref="EmitContext.Overwrite"/> holds) and write each wanted input gradient.
    /// </summary>
    public abstract void Backward(SourceWriter w, LayerInfo layer, EmitContext c, BackwardSpans s);

    /// <summary>Writes <paramref name="body"/> under <c>if (guard)</c>, plainly when there is no guard, or not at all when it is never wanted.</summary>
    protected static void Guarded(SourceWriter w, InputGradient gradient, Action body) => Guarded(w, gradient.Guard, body);

    /// <summary>Writes <paramref name="body"/> under <c>if (guard)</c>, plainly when there is no guard, or not at all for "false".</summary>
    protected static void Guarded(SourceWriter w, string? guard, Action body)
    {
        if (guard == InputGradient.Never) return;
        if (guard is null)
        {
            body();
            return;
        }
        using (w.Block("if (" + guard + ")")) body();
    }

    /// <summary>The row count of <paramref name="perSample"/> rows a sample: <c>batch</c> or <c>batch * 7</c>.</summary>
    protected static string Rows(int perSample) => perSample == 1 ? "batch" : "batch * " + Lit.I(perSample);
}

/// <summary>What emitters share: names of parameter views, dimension types and buffers.</summary>
internal sealed class EmitContext
{
    private readonly SortedSet<int> _dims = new();

    /// <summary>The dimension sizes used as type arguments; the network emitter declares a struct for each.</summary>
    public IEnumerable<int> Dims => _dims;

    /// <summary>The type that carries size <paramref name="n"/> as a constant: <c>D784</c>.</summary>
    public string Dim(int n)
    {
        _dims.Add(n);
        return "D" + Lit.I(n);
    }

    /// <summary>The property that views a parameter tensor of a layer (<c>L0Weight</c>).</summary>
    public static string Param(LayerInfo layer, string suffix) => "L" + Lit.I(layer.Index) + Pascal(suffix);

    /// <summary>The property that views the gradient of a parameter tensor (<c>L0WeightGrad</c>).</summary>
    public static string Grad(LayerInfo layer, string suffix) => Param(layer, suffix) + "Grad";

    /// <summary>The property that views a state buffer of a layer (<c>L1RunningMean</c>).</summary>
    public static string State(LayerInfo layer, string suffix) => Param(layer, suffix);

    /// <summary>The field of one of a layer's extra buffers.</summary>
    public static string BufferField(LayerInfo layer, string name) => "_l" + Lit.I(layer.Index) + name;

    /// <summary>A span over a layer's extra buffer, for the current batch.</summary>
    public static string Buffer(LayerInfo layer, string name, int perSample) =>
        "View(" + BufferField(layer, name) + ", batch * " + Lit.I(perSample) + ")";

    /// <summary>A span over a layer's extra buffer of a fixed length (one per batch, not per sample).</summary>
    public static string FixedBuffer(LayerInfo layer, string name) => BufferField(layer, name);

    /// <summary>The network's seed field, for random layers.</summary>
    public const string SeedField = "_seed";

    /// <summary>The counter of training forward passes, which keys dropout masks.</summary>
    public const string StepField = "RandomStep";

    /// <summary>
    /// The local that is true in the first backward pass after ZeroGrad: parameter gradients are then written, not
    /// added, so that ZeroGrad need not clear them.
    /// </summary>
    public const string Overwrite = "overwrite";

    /// <summary>Whether the last forward pass was in training mode.</summary>
    public const string TrainingField = "_training";

    /// <summary>The runtime's kernels namespace, fully qualified.</summary>
    public const string Kernels = "global::SourceGenNN.Kernels.";

    private static string Pascal(string s)
    {
        // running_mean → RunningMean, out_proj.weight → OutProjWeight
        var sb = new System.Text.StringBuilder();
        bool upper = true;
        foreach (char ch in s)
        {
            if (ch == '_' || ch == '.') // out_proj.weight → OutProjWeight
            {
                upper = true;
                continue;
            }
            sb.Append(upper ? char.ToUpperInvariant(ch) : ch);
            upper = false;
        }
        return sb.ToString();
    }
}
