using System;
using System.Collections.Generic;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>A per-sample buffer a layer keeps beside its output (a dropout mask, RReLU's slopes).</summary>
internal sealed record LayerBuffer(string Field, int PerSample, string Comment);

/// <summary>
/// Writes one layer kind's code. The network emitter owns the class, the buffers and the order; a layer emitter writes
/// only its own forward and backward statements, given span expressions for its input and output.
/// </summary>
internal abstract class LayerEmitter
{
    /// <summary>Buffers this layer keeps besides its output, each [batch, PerSample].</summary>
    public virtual IEnumerable<LayerBuffer> Buffers(LayerInfo layer) => Array.Empty<LayerBuffer>();

    /// <summary>Whether the backward statements read the layer's input (what the forward pass kept of it).</summary>
    public virtual bool BackwardReadsInput => true;

    /// <summary>Whether the backward statements read the layer's output.</summary>
    public virtual bool BackwardReadsOutput => false;

    /// <summary>A one-line comment with the layer's math, written above its forward code.</summary>
    public abstract string ForwardComment(LayerInfo layer);

    /// <summary>Forward statements: read <paramref name="input"/> ([batch, In]), write <paramref name="output"/> ([batch, Out]).</summary>
    public abstract void Forward(SourceWriter w, LayerInfo layer, EmitContext c, string input, string output);

    /// <summary>
    /// Backward statements: given dLoss/dOutput in <paramref name="dOut"/>, add parameter gradients and, when
    /// <paramref name="dIn"/> is not null, write dLoss/dInput into it. <paramref name="dInGuard"/>, when set, is the
    /// condition under which dIn is wanted (the first layer computes it only on request).
    /// </summary>
    public abstract void Backward(SourceWriter w, LayerInfo layer, EmitContext c, string input, string output, string dOut, string dIn, string? dInGuard);

    /// <summary>Writes <paramref name="body"/> under <c>if (guard)</c>, or plainly when there is no guard.</summary>
    protected static void Guarded(SourceWriter w, string? guard, Action body)
    {
        if (guard is null)
        {
            body();
            return;
        }
        using (w.Block("if (" + guard + ")")) body();
    }
}

/// <summary>What emitters share: names of parameter views, dimension types and buffers.</summary>
internal sealed class EmitContext
{
    private readonly SortedSet<int> _dims = new();

    /// <summary>The dimension sizes used as type arguments; the network emitter declares a struct for each.</summary>
    public IEnumerable<int> Dims => _dims;

    /// <summary>The name of the struct for size <paramref name="n"/>, registering it.</summary>
    public string Dim(int n)
    {
        _dims.Add(n);
        return "D" + Lit.I(n);
    }

    /// <summary>The property that views a parameter tensor of a layer (<c>L0Weight</c>).</summary>
    public static string Param(LayerInfo layer, string suffix) => "L" + Lit.I(layer.Index) + Pascal(suffix);

    /// <summary>The property that views the gradient of a parameter tensor (<c>L0WeightGrad</c>).</summary>
    public static string Grad(LayerInfo layer, string suffix) => Param(layer, suffix) + "Grad";

    /// <summary>The field of one of a layer's extra buffers.</summary>
    public static string BufferField(LayerInfo layer, string name) => "_l" + Lit.I(layer.Index) + name;

    /// <summary>A span over a layer's extra buffer, for the current batch.</summary>
    public static string Buffer(LayerInfo layer, string name, int perSample) =>
        "View(" + BufferField(layer, name) + ", batch * " + Lit.I(perSample) + ")";

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

    private static string Pascal(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s.Substring(1);
}
