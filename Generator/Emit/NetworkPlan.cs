using System.Collections.Generic;
using System.Linq;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Emit;

/// <summary>
/// What the network emitter derives from the graph before writing: which buffer holds each tensor, the span names,
/// which gradients are needed (and on which request), and whether the final activation can be fused with a loss.
/// </summary>
internal sealed class NetworkPlan
{
    private readonly Dictionary<string, LayerInfo> _byName = new();
    private readonly Dictionary<string, string?> _need = new();
    private readonly Dictionary<string, List<(int Layer, int Port)>> _consumers = new();

    public NetworkPlan(NetworkInfo net)
    {
        Net = net;
        Layers = net.Layers.ToArray();
        Inputs = net.Inputs.ToArray();
        foreach (var l in Layers) _byName[l.Name] = l;
        foreach (var l in Layers)
            for (int p = 0; p < l.Inputs.Count; p++)
            {
                if (!_consumers.TryGetValue(l.Inputs[p].Name, out var list)) _consumers[l.Inputs[p].Name] = list = new();
                list.Add((l.Index, p));
            }

        // A tensor's gradient is needed when its producer has parameters or one of the producer's inputs needs one; the
        // network inputs' gradients only on request (their gradient argument is not empty).
        for (int k = 0; k < Inputs.Length; k++) _need[Inputs[k].Name] = "!" + InputGradientName(k) + ".IsEmpty";
        foreach (var l in Layers)
            _need[l.Name] = l.Parameters.Count > 0 ? null : Or(l.Inputs.Select(t => _need[t.Name]));

        var last = Layers[Layers.Length - 1];
        Fusable = last.Inputs.Count == 1 && !last.Inputs[0].IsNetworkInput && last switch
        {
            ActivationLayer { ActivationKind: LayerKindNames.Sigmoid } => true,
            SoftmaxLayer s => s.Outer == 1 && s.Inner == 1, // over the only axis: what cross entropy expects
            _ => false,
        };
        Widest = Inputs.Select(i => i.Shape.Size).Concat(Layers.Select(l => l.Output.Size)).Max();

        // A Dense layer's product followed by an element-wise activation of its output: the activation runs in the
        // product's epilogue, on each block of the output while it is in cache (both tensors are still written: the
        // backward pass reads them).
        for (int i = 0; i + 1 < Layers.Length; i++)
            if (Layers[i] is DenseLayer d && !DenseEmitter.Unrolled(d) && !IsView(d)
                && Layers[i + 1] is ActivationLayer a && ActivationEmitter.Fusable(a)
                && a.Inputs.Count == 1 && !a.Inputs[0].IsNetworkInput && a.Inputs[0].Layer == d.Index)
                _fusedAfter[d.Index] = a;
    }

    private readonly Dictionary<int, ActivationLayer> _fusedAfter = new();

    /// <summary>The activation that runs in this Dense layer's product epilogue, or null.</summary>
    public ActivationLayer? FusedActivation(LayerInfo dense) => _fusedAfter.TryGetValue(dense.Index, out var a) ? a : null;

    /// <summary>True when this activation runs in the previous Dense layer's product epilogue.</summary>
    public bool IsFusedIntoProduct(LayerInfo layer) => layer.Index > 0 && _fusedAfter.TryGetValue(layer.Index - 1, out var a) && a.Index == layer.Index;

    public NetworkInfo Net { get; }

    public LayerInfo[] Layers { get; }

    public InputInfo[] Inputs { get; }

    public bool MultiInput => Inputs.Length > 1;

    public LayerInfo Last => Layers[Layers.Length - 1];

    /// <summary>The network ends in a Sigmoid or a Softmax over its only axis, applied to a layer's output: the loss can be fused.</summary>
    public bool Fusable { get; }

    /// <summary>The largest tensor of one sample: the size of each gradient buffer.</summary>
    public int Widest { get; }

    public LayerEmitter Emitter(LayerInfo l) => LayerKinds.EmitterFor(l);

    /// <summary>True when the layer's output is the memory of its main input (a view of a layer's output).</summary>
    public bool IsView(LayerInfo l) => Emitter(l).IsView && !l.Inputs[0].IsNetworkInput;

    /// <summary>The layer whose buffer holds this layer's output (itself, or the root of a chain of views).</summary>
    public LayerInfo Root(LayerInfo l) => IsView(l) ? Root(_byName[l.Inputs[0].Name]) : l;

    /// <summary>The consumers of a tensor, (layer, port), in forward order.</summary>
    public IReadOnlyList<(int Layer, int Port)> Consumers(string tensor) =>
        _consumers.TryGetValue(tensor, out var list) ? list : new List<(int, int)>();

    /// <summary>When the gradient of a tensor is needed: null always, "false" never, else a condition.</summary>
    public string? Need(string tensor) => _need[tensor];

    /// <summary>The span of a tensor in Forward and Backward: <c>x</c>, <c>xMemory</c>, <c>a3</c>.</summary>
    public string View(TensorRef t) => t.IsNetworkInput ? InputView(t.InputIndex) : "a" + Lit.I(t.Layer);

    public string InputView(int k) => k == 0 ? "x" : "x" + Inputs[k].Pascal;

    /// <summary>The field that keeps network input <paramref name="k"/> for the backward pass.</summary>
    public string InputField(int k) => k == 0 ? "_input" : "_input" + Inputs[k].Pascal;

    /// <summary>The size constant of network input <paramref name="k"/>: <c>InputSize</c>, <c>MemorySize</c>.</summary>
    public string InputSize(int k) => Inputs[k].Pascal + "Size";

    /// <summary>The Forward parameter of network input <paramref name="k"/>: <c>input</c>, <c>memory</c>.</summary>
    public string InputParameter(int k) => Naming.Camel(Inputs[k].Pascal);

    /// <summary>The Backward parameter that receives the gradient of network input <paramref name="k"/>.</summary>
    public string InputGradientName(int k) => Naming.Camel(Inputs[k].Pascal) + "Gradient";

    /// <summary>The gradient span of network input <paramref name="k"/> in Backward: <c>dx</c>, <c>dxMemory</c>.</summary>
    public string InputGradientView(int k) => k == 0 ? "dx" : "dx" + Inputs[k].Pascal;

    /// <summary>The size constant of a tensor.</summary>
    public string SizeOf(TensorRef t) => t.IsNetworkInput ? InputSize(t.InputIndex) : "Layer" + Lit.I(t.Layer) + "Size";

    /// <summary>Disjunction of gradient conditions: null (always) wins, "false" (never) drops out.</summary>
    public static string? Or(IEnumerable<string?> guards)
    {
        var parts = new List<string>();
        foreach (var g in guards)
        {
            if (g is null) return null;
            if (g != InputGradient.Never && !parts.Contains(g)) parts.Add(g);
        }
        return parts.Count == 0 ? InputGradient.Never : parts.Count == 1 ? parts[0] : "(" + string.Join(" || ", parts) + ")";
    }
}
