using System;
using System.Collections.Generic;
using System.Globalization;

namespace SourceGenNN.Cuda;

/// <summary>An element-wise activation the CUDA kernels implement (fused after a dense layer, or on its own).</summary>
public enum CudaActivation
{
    /// <summary>f(z) = z.</summary>
    Identity,
    /// <summary>max(0, z).</summary>
    ReLU,
    /// <summary>1 / (1 + e⁻ᶻ).</summary>
    Sigmoid,
    /// <summary>tanh z.</summary>
    Tanh,
    /// <summary>z for z ≥ 0, slope·z otherwise.</summary>
    LeakyReLU,
    /// <summary>z for z &gt; 0, α(eᶻ − 1) otherwise.</summary>
    ELU,
    /// <summary>z·Φ(z) (exact, with erf).</summary>
    GELU,
    /// <summary>z·σ(z).</summary>
    SiLU,
}

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
public sealed record CudaTrainingOptions(CudaLoss Loss, CudaOptimizer? Optimizer);

internal enum PlanStepKind { Dense, Activation, Softmax, Dropout, RRelu, PRelu }

/// <summary>One step of the device plan: a dense layer with its fused activation, or one element-wise layer.</summary>
internal sealed record PlanStep(PlanStepKind Kind, int LayerIndex, int InputSize, int OutputSize)
{
    public int WeightOffset { get; init; } = -1;
    public int BiasOffset { get; init; } = -1;
    public CudaActivation Activation { get; init; } = CudaActivation.Identity;
    /// <summary>The activation's parameter (LeakyReLU slope, ELU alpha) or dropout's p.</summary>
    public float Parameter { get; init; }
    public float Lower { get; init; }
    public float Upper { get; init; }
    public int AlphaOffset { get; init; } = -1;
    public bool AlphaShared { get; init; }
    /// <summary>The index of the activation layer fused into this dense step, or -1.</summary>
    public int FusedLayerIndex { get; init; } = -1;
}

/// <summary>The device plan of a network: its layers turned into steps the kernels and cuBLAS run.</summary>
internal sealed class CudaPlan
{
    private CudaPlan(NetworkDescription description, List<PlanStep> steps)
    {
        Description = description;
        Steps = steps;
    }

    public NetworkDescription Description { get; }
    public IReadOnlyList<PlanStep> Steps { get; }

    public PlanStep? Last => Steps.Count == 0 ? null : Steps[^1];

    /// <summary>True when the network ends in a Softmax layer.</summary>
    public bool EndsInSoftmax => Last is { Kind: PlanStepKind.Softmax };

    /// <summary>True when the network ends in a Sigmoid (standalone or fused after a dense layer).</summary>
    public bool EndsInSigmoid => Last is { Kind: PlanStepKind.Activation or PlanStepKind.Dense, Activation: CudaActivation.Sigmoid };

    public static CudaPlan Build(NetworkDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var steps = new List<PlanStep>();
        var layers = description.Layers;
        int runningOffset = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var args = ParseArguments(layer.Arguments);
            int paramStart = runningOffset;
            runningOffset += layer.ParameterCount;
            switch (layer.Kind)
            {
                case "Dense":
                {
                    int weightCount = layer.InputSize * layer.OutputSize;
                    bool hasBias = layer.ParameterCount == weightCount + layer.OutputSize;
                    if (!hasBias && layer.ParameterCount != weightCount)
                        throw new NotSupportedException($"Dense layer '{layer.Name}' has {layer.ParameterCount} parameters; {weightCount} or {weightCount + layer.OutputSize} were expected.");
                    int w = FindOffset(description, layer.Name + ".weight", weightCount) ?? paramStart;
                    int b = hasBias ? FindOffset(description, layer.Name + ".bias", layer.OutputSize) ?? paramStart + weightCount : -1;
                    var step = new PlanStep(PlanStepKind.Dense, i, layer.InputSize, layer.OutputSize) { WeightOffset = w, BiasOffset = b };
                    if (i + 1 < layers.Count && TryActivation(layers[i + 1], out var act, out float p))
                    {
                        step = step with { Activation = act, Parameter = p, FusedLayerIndex = i + 1 };
                        i++;
                    }
                    steps.Add(step);
                    break;
                }
                case "Identity":
                    break; // nothing to run: the next step reads the same buffer
                case "Softmax":
                    steps.Add(new PlanStep(PlanStepKind.Softmax, i, layer.InputSize, layer.OutputSize));
                    break;
                case "Dropout":
                    steps.Add(new PlanStep(PlanStepKind.Dropout, i, layer.InputSize, layer.OutputSize) { Parameter = Get(args, "p", 0.5f) });
                    break;
                case "RReLU":
                    steps.Add(new PlanStep(PlanStepKind.RRelu, i, layer.InputSize, layer.OutputSize)
                    {
                        Lower = Get(args, "lower", 0.125f),
                        Upper = Get(args, "upper", 1f / 3f),
                    });
                    break;
                case "PReLU":
                {
                    bool shared = layer.ParameterCount == 1;
                    if (!shared && layer.ParameterCount != layer.OutputSize)
                        throw new NotSupportedException($"PReLU layer '{layer.Name}' has {layer.ParameterCount} parameters; 1 or {layer.OutputSize} were expected.");
                    int a = FindOffset(description, layer.Name + ".weight", layer.ParameterCount) ?? paramStart;
                    steps.Add(new PlanStep(PlanStepKind.PRelu, i, layer.InputSize, layer.OutputSize) { AlphaOffset = a, AlphaShared = shared });
                    break;
                }
                default:
                    if (TryActivation(layer, out var activation, out float param))
                    {
                        steps.Add(new PlanStep(PlanStepKind.Activation, i, layer.InputSize, layer.OutputSize) { Activation = activation, Parameter = param });
                        break;
                    }
                    throw new NotSupportedException($"Layer '{layer.Name}' of kind '{layer.Kind}' has no CUDA implementation.");
            }
        }
        return new CudaPlan(description, steps);
    }

    private static int? FindOffset(NetworkDescription d, string name, int length)
    {
        var t = d.FindParameter(name);
        if (t is null) return null;
        if (t.Length != length)
            throw new NotSupportedException($"Parameter '{name}' has {t.Length} elements; {length} were expected.");
        return t.Offset;
    }

    internal static bool TryActivation(LayerDescription layer, out CudaActivation activation, out float parameter)
    {
        var args = ParseArguments(layer.Arguments);
        parameter = 0f;
        switch (layer.Kind)
        {
            case "ReLU": activation = CudaActivation.ReLU; return true;
            case "Sigmoid": activation = CudaActivation.Sigmoid; return true;
            case "Tanh": activation = CudaActivation.Tanh; return true;
            case "GELU": activation = CudaActivation.GELU; return true;
            case "SiLU": activation = CudaActivation.SiLU; return true;
            case "LeakyReLU":
                activation = CudaActivation.LeakyReLU;
                parameter = Get(args, "slope", 0.01f);
                return true;
            case "ELU":
                activation = CudaActivation.ELU;
                parameter = Get(args, "alpha", 1f);
                return true;
            default:
                activation = CudaActivation.Identity;
                return false;
        }
    }

    /// <summary>Parses <c>key=value</c> pairs separated by commas (invariant culture); empty text gives no pairs.</summary>
    internal static Dictionary<string, float> ParseArguments(string? text)
    {
        var d = new Dictionary<string, float>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(text)) return d;
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) continue; // a flag or an option the kernels do not need
            string key = part[..eq].Trim();
            string value = part[(eq + 1)..].Trim();
            if (float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float f)) d[key] = f;
            else if (bool.TryParse(value, out bool b)) d[key] = b ? 1f : 0f;
        }
        return d;
    }

    private static float Get(Dictionary<string, float> args, string key, float fallback) =>
        args.TryGetValue(key, out float v) ? v : fallback;
}
