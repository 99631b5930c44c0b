using System;
using System.Collections.Generic;
using System.Globalization;

namespace SourceGenNN.Cuda;

/// <summary>The loss a CUDA training step computes, fused with its gradient.</summary>
public enum CudaLoss
{
    /// <summary>No loss: forward passes only.</summary>
    None,
    /// <summary>
    /// Cross entropy from logits (PyTorch's <c>CrossEntropyLoss</c>, mean over the batch) with class-probability
    /// (one-hot) targets: the input of a final Softmax layer, or the output when there is none. Gradient p − y.
    /// </summary>
    CrossEntropy,
    /// <summary>
    /// Binary cross entropy from logits (<c>BCEWithLogitsLoss</c>, mean over elements): the input of a final Sigmoid
    /// layer, or the output when there is none. Gradient σ(z) − y.
    /// </summary>
    BinaryCrossEntropy,
    /// <summary>Mean squared error on the output (<c>MSELoss</c>, mean over elements).</summary>
    MeanSquaredError,
}

/// <summary>The optimiser kind of a CUDA training step.</summary>
public enum CudaOptimizerKind
{
    /// <summary>No optimiser: no update kernels.</summary>
    None,
    /// <summary>SGD with optional momentum, dampening, Nesterov momentum and weight decay (PyTorch's <c>SGD</c>).</summary>
    Sgd,
    /// <summary>Adam with bias correction, L2 weight decay or decoupled (AdamW) (PyTorch's <c>Adam</c>/<c>AdamW</c>).</summary>
    Adam,
}

/// <summary>Optimiser settings for the CUDA path, with PyTorch's meanings and defaults.</summary>
/// <param name="Kind">SGD or Adam.</param>
/// <param name="LearningRate">The learning rate (can be changed between steps with <see cref="CudaNetwork.SetLearningRate"/>).</param>
/// <param name="Momentum">SGD momentum (0: none).</param>
/// <param name="Dampening">SGD dampening.</param>
/// <param name="Nesterov">SGD Nesterov momentum.</param>
/// <param name="WeightDecay">L2 penalty (Adam, SGD) or decoupled decay (AdamW).</param>
/// <param name="Beta1">Adam β₁.</param>
/// <param name="Beta2">Adam β₂.</param>
/// <param name="Epsilon">Adam ε.</param>
/// <param name="DecoupledWeightDecay">AdamW: decay the weights directly instead of adding to the gradient.</param>
public sealed record CudaOptimizer(
    CudaOptimizerKind Kind, float LearningRate, float Momentum = 0f, float Dampening = 0f, bool Nesterov = false,
    float WeightDecay = 0f, float Beta1 = 0.9f, float Beta2 = 0.999f, float Epsilon = 1e-8f, bool DecoupledWeightDecay = false)
{
    /// <summary>PyTorch's <c>SGD(lr, momentum, dampening, weight_decay, nesterov)</c>.</summary>
    public static CudaOptimizer Sgd(float learningRate, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false) =>
        new(CudaOptimizerKind.Sgd, learningRate, momentum, dampening, nesterov, weightDecay);

    /// <summary>PyTorch's <c>Adam(lr, betas, eps, weight_decay)</c>.</summary>
    public static CudaOptimizer Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f) =>
        new(CudaOptimizerKind.Adam, learningRate, WeightDecay: weightDecay, Beta1: beta1, Beta2: beta2, Epsilon: epsilon);

    /// <summary>PyTorch's <c>AdamW(lr, betas, eps, weight_decay=0.01)</c>.</summary>
    public static CudaOptimizer AdamW(float learningRate = 1e-3f, float weightDecay = 0.01f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f) =>
        new(CudaOptimizerKind.Adam, learningRate, WeightDecay: weightDecay, Beta1: beta1, Beta2: beta2, Epsilon: epsilon, DecoupledWeightDecay: true);
}

/// <summary>What a CUDA executor does besides forward passes: the loss and the optimiser.</summary>
/// <param name="Loss">The loss (None: inference only).</param>
/// <param name="Optimizer">The optimiser (null: gradients only).</param>
/// <param name="ClassesPerStep">
/// Cross entropy per step of a sequence output [T, C] (the CPU's <c>CrossEntropy.PerStep(C)</c>): C here, and each
/// step's row of C logits is one prediction, the mean over every step of every sample. 0: the whole output is one
/// prediction.
/// </param>
public sealed record CudaTrainingOptions(CudaLoss Loss, CudaOptimizer? Optimizer, int ClassesPerStep = 0);

/// <summary>
/// The device plan of a network: one <see cref="CudaLayer"/> per step (a dense layer absorbs the element-wise activation
/// that follows it, unless that is the last layer), which tensors need a gradient, and where the loss starts backward.
/// Pure: it touches no GPU, so it is tested on every machine.
/// </summary>
internal sealed class CudaPlan
{
    private readonly Dictionary<string, int> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _need = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inputs = new(StringComparer.Ordinal);

    private CudaPlan(NetworkDescription description, List<CudaLayer> steps, CudaLoss loss)
    {
        Description = description;
        Steps = steps;
        foreach (var i in description.Inputs) _inputs.Add(i.Name);
        for (int s = 0; s < steps.Count; s++)
        {
            _producer[steps[s].OutputTensor] = s;
            foreach (var t in steps[s].Layer.Inputs) _consumers[t] = _consumers.TryGetValue(t, out int n) ? n + 1 : 1;
        }
        // A tensor's gradient is needed when its producer trains parameters or reads a tensor whose gradient is needed;
        // the GPU never returns the network inputs' gradients.
        foreach (var i in description.Inputs) _need[i.Name] = false;
        foreach (var step in steps)
        {
            bool need = step.HasParameters;
            foreach (var t in step.Layer.Inputs) need |= _need[t];
            _need[step.OutputTensor] = need;
            if (step.Absorbed is not null) _need[step.Layer.Name] = need;
        }

        // The loss reads the logits: the input of a final Softmax (cross entropy) or Sigmoid (binary cross entropy)
        // when the network ends in one, as the CPU trainer fuses them; otherwise the output.
        string? fused = description.FusedActivation;
        LossSkipsLastStep = steps.Count > 0 && fused is not null &&
            (loss == CudaLoss.CrossEntropy && fused == LayerKindNames.Softmax || loss == CudaLoss.BinaryCrossEntropy && fused == LayerKindNames.Sigmoid);
        LogitsTensor = fused is not null ? description.Layers[^1].Inputs[0] : OutputTensor;
        LossTensor = LossSkipsLastStep ? LogitsTensor : OutputTensor;
        if (loss != CudaLoss.None) _need[LossTensor] = true;
    }

    public NetworkDescription Description { get; }

    public IReadOnlyList<CudaLayer> Steps { get; }

    /// <summary>The network's output tensor.</summary>
    public string OutputTensor => Steps.Count == 0 ? Description.Inputs[0].Name : Steps[^1].OutputTensor;

    /// <summary>What <see cref="INetwork.Logits"/> is: the input of a final fusable Softmax or Sigmoid, else the output.</summary>
    public string LogitsTensor { get; }

    /// <summary>The tensor whose gradient the loss writes: the logits when the loss fuses the final activation, else the output.</summary>
    public string LossTensor { get; }

    /// <summary>The loss consumes the last step (its Softmax or Sigmoid): that step's backward does not run.</summary>
    public bool LossSkipsLastStep { get; }

    /// <summary>Whether a tensor is a network input.</summary>
    public bool IsNetworkInput(string tensor) => _inputs.Contains(tensor);

    /// <summary>The step that produces a tensor, or -1 for a network input.</summary>
    public int Producer(string tensor) => _producer.TryGetValue(tensor, out int s) ? s : -1;

    /// <summary>Whether training needs the gradient of a tensor.</summary>
    public bool Needs(string tensor) => _need.TryGetValue(tensor, out bool n) && n;

    /// <summary>Whether step <paramref name="s"/> runs a backward pass.</summary>
    public bool RunsBackward(int s) =>
        !(LossSkipsLastStep && s == Steps.Count - 1) && (Steps[s].HasParameters || AnyInputNeeded(Steps[s]));

    private bool AnyInputNeeded(CudaLayer step)
    {
        foreach (var t in step.Layer.Inputs) if (Needs(t)) return true;
        return false;
    }

    /// <summary>Whether some tensor whose gradient is needed is read by several steps (its gradients are summed).</summary>
    public bool Accumulates
    {
        get
        {
            foreach (var (t, n) in _consumers) if (n > 1 && Needs(t)) return true;
            return false;
        }
    }

    public static CudaPlan Build(NetworkDescription description, CudaLoss loss = CudaLoss.None)
    {
        ArgumentNullException.ThrowIfNull(description);
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var l in description.Layers)
            foreach (var t in l.Inputs) readers[t] = readers.TryGetValue(t, out int n) ? n + 1 : 1;
        var steps = new List<CudaLayer>();
        var layers = description.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = CudaLayers.Create(description, layers[i]);
            var previous = steps.Count > 0 ? steps[^1] : null;
            // Fusion: the previous step computes this layer too when this reads only its output, nothing else reads that,
            // and this is not the network's last layer (whose output a loss may consume).
            if (previous is not null && previous.Absorbed is null && i < layers.Count - 1 && layers[i].Inputs.Count == 1
                && layers[i].Inputs[0] == previous.Layer.Name && readers[previous.Layer.Name] == 1 && previous.TryAbsorb(layer))
                continue;
            steps.Add(layer);
        }
        return new CudaPlan(description, steps, loss);
    }
}
