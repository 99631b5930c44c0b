using System;
using System.Collections.Generic;
using System.Globalization;
using SourceGenNN.CompilerServices;
using SourceGenNN.Kernels;

namespace SourceGenNN.Training;

/// <summary>
/// A copy of an optimiser's state: its kind, its step count and its named state buffers, so that training can resume
/// where it stopped (weight files can hold one).
/// </summary>
/// <param name="Kind">The optimiser kind (<see cref="Optimizer.Kind"/>).</param>
/// <param name="Steps">The number of steps taken.</param>
/// <param name="Buffers">The state buffers, by name, each as long as the parameter buffer.</param>
public sealed record OptimizerState(string Kind, long Steps, IReadOnlyList<KeyValuePair<string, float[]>> Buffers);

/// <summary>
/// Updates a parameter buffer from its gradient. State buffers are allocated once, at construction; a step allocates
/// nothing. The semantics follow PyTorch's <c>torch.optim</c> classes of the same name.
/// </summary>
public abstract class Optimizer
{
    private readonly string[] _stateNames;
    private readonly AlignedBuffer[] _state; // 64-byte aligned, as the network's parameters and gradients

    /// <summary>Creates an optimiser for <paramref name="parameterCount"/> parameters with the named state buffers.</summary>
    protected Optimizer(int parameterCount, float learningRate, params string[] stateNames)
    {
        if (parameterCount <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(parameterCount), parameterCount, "a positive parameter count");
        if (!(learningRate >= 0f) || float.IsInfinity(learningRate))
            ThrowHelper.ThrowArgumentOutOfRange(nameof(learningRate), learningRate, "a finite, non-negative learning rate");
        ParameterCount = parameterCount;
        LearningRate = learningRate;
        _stateNames = stateNames;
        _state = new AlignedBuffer[stateNames.Length];
        for (int i = 0; i < _state.Length; i++) _state[i] = AlignedBuffer.Allocate(parameterCount);
    }

    /// <summary>The optimiser's kind, as stored with its state (<c>Adam</c>, <c>SGD</c>).</summary>
    public abstract string Kind { get; }

    /// <summary>The number of parameters it updates.</summary>
    public int ParameterCount { get; }

    /// <summary>
    /// The learning rate of the next step. Learning-rate schedules set it. Like the constructor, the setter refuses a
    /// negative, NaN or infinite rate with an <see cref="ArgumentOutOfRangeException"/>, leaving the rate as it was.
    /// </summary>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0f) || float.IsInfinity(value))
                ThrowHelper.ThrowArgumentOutOfRange(nameof(LearningRate), value, "a finite, non-negative learning rate");
            _learningRate = value;
        }
    }

    private float _learningRate;

    /// <summary>The number of steps taken so far.</summary>
    public long Steps { get; private set; }

    /// <summary>The names of the state buffers, in order.</summary>
    public IReadOnlyList<string> StateNames => _stateNames;

    /// <summary>A state buffer by index, as a live span.</summary>
    protected Span<float> State(int index) => _state[index];

    /// <summary>A state buffer by index, read-only: weight files stream it rather than copy it (<see cref="ExportState"/> copies).</summary>
    internal ReadOnlySpan<float> StateBuffer(int index) => _state[index];

    /// <summary>Applies one update to <paramref name="parameters"/> from <paramref name="gradients"/>.</summary>
    /// <param name="parameters">The parameters, updated in place.</param>
    /// <param name="gradients">Their gradients, in the same layout.</param>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        ThrowHelper.CheckLength(parameters.Length, ParameterCount, nameof(parameters), "[parameter count]");
        ThrowHelper.CheckLength(gradients.Length, ParameterCount, nameof(gradients), "[parameter count]");
        Steps++;
        StepCore(parameters, gradients, Steps);
    }

    /// <summary>Applies one update to a network's parameters from its gradients.</summary>
    public void Step(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Step(network.Parameters, network.Gradients);
    }

    /// <summary>Applies step number <paramref name="step"/> (1 for the first) to validated spans.</summary>
    protected abstract void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, long step);

    /// <summary>Clears the state and the step count, as if newly constructed.</summary>
    public void Reset()
    {
        Steps = 0;
        foreach (var s in _state) s.Span.Clear();
    }

    /// <summary>Copies the state out.</summary>
    public OptimizerState ExportState()
    {
        var buffers = new KeyValuePair<string, float[]>[_state.Length];
        for (int i = 0; i < _state.Length; i++)
            buffers[i] = new KeyValuePair<string, float[]>(_stateNames[i], _state[i].Span.ToArray());
        return new OptimizerState(Kind, Steps, buffers);
    }

    /// <summary>
    /// Checks that <paramref name="state"/> fits this optimiser (kind, buffer names and sizes) and throws an
    /// <see cref="ArgumentException"/> saying what differs if not.
    /// </summary>
    public void ValidateState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Kind != Kind)
            throw new ArgumentException($"The optimiser state is for '{state.Kind}', but this optimiser is '{Kind}'.", nameof(state));
        if (state.Steps < 0)
            throw new ArgumentException($"The optimiser state has a negative step count ({state.Steps.ToString(CultureInfo.InvariantCulture)}).", nameof(state));
        if (state.Buffers.Count != _state.Length)
            throw new ArgumentException(
                $"The optimiser state has {state.Buffers.Count} buffers, but '{Kind}' has {_state.Length} ({string.Join(", ", _stateNames)}).", nameof(state));
        for (int i = 0; i < _state.Length; i++)
        {
            var (name, data) = (state.Buffers[i].Key, state.Buffers[i].Value);
            if (name != _stateNames[i])
                throw new ArgumentException($"Optimiser state buffer {i} is '{name}', but '{_stateNames[i]}' was expected.", nameof(state));
            if (data is null || data.Length != ParameterCount)
                throw new ArgumentException(
                    $"Optimiser state buffer '{name}' has {data?.Length ?? 0} values, but {ParameterCount} were expected.", nameof(state));
        }
    }

    /// <summary>Replaces the state with <paramref name="state"/> after validating it; on error nothing changes.</summary>
    public void ImportState(OptimizerState state)
    {
        ValidateState(state);
        for (int i = 0; i < _state.Length; i++) state.Buffers[i].Value.CopyTo(_state[i].Span);
        Steps = state.Steps;
    }

    /// <summary>Checks a hyper-parameter is finite and non-negative.</summary>
    protected static float NonNegative(float value, string name)
    {
        if (!(value >= 0f) || float.IsInfinity(value)) ThrowHelper.ThrowArgumentOutOfRange(name, value, "a finite, non-negative value");
        return value;
    }

    /// <summary>Checks a hyper-parameter lies in [0, 1).</summary>
    protected static float UnitInterval(float value, string name)
    {
        if (!(value >= 0f && value < 1f)) ThrowHelper.ThrowArgumentOutOfRange(name, value, "a value in [0, 1)");
        return value;
    }
}

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay, as PyTorch's
/// <c>SGD</c>: g ← g + λθ; b ← μb + (1 − τ)g (b ← g on the first step); g ← g + μb (Nesterov) or b; θ ← θ − ηg.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates an SGD optimiser.</summary>
    /// <param name="parameterCount">The number of parameters.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="momentum">μ; 0 for plain SGD.</param>
    /// <param name="dampening">τ.</param>
    /// <param name="weightDecay">λ, an L2 penalty added to the gradient.</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0 and τ = 0).</param>
    public Sgd(int parameterCount, float learningRate = 0.01f, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(parameterCount, learningRate, "momentum_buffer")
    {
        Momentum = NonNegative(momentum, nameof(momentum));
        Dampening = NonNegative(dampening, nameof(dampening));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum <= 0f || dampening != 0f))
            throw new ArgumentException("Nesterov momentum needs a positive momentum and zero dampening.", nameof(nesterov));
        Nesterov = nesterov;
    }

    /// <summary>Creates an SGD optimiser for a network's parameters.</summary>
    public Sgd(INetwork network, float learningRate = 0.01f, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : this(ParameterCountOf(network), learningRate, momentum, dampening, weightDecay, nesterov) { }

    /// <summary>μ.</summary>
    public float Momentum { get; }

    /// <summary>τ.</summary>
    public float Dampening { get; }

    /// <summary>λ.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether momentum is Nesterov's.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc />
    public override string Kind => "SGD";

    /// <inheritdoc />
    protected override void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, long step)
    {
        float lr = LearningRate, mu = Momentum, wd = WeightDecay, damp = 1f - Dampening;
        // p -= lr·g with g = grad + wd·p, through the momentum buffer when there is one (vectorised in the kernel).
        SourceGenNN.Kernels.OptimizerKernels.Sgd(parameters, gradients, State(0), lr, wd, mu, damp, Nesterov, firstStep: step == 1);
    }

    internal static int ParameterCountOf(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network.Parameters.Length;
    }
}

/// <summary>
/// Adam, as PyTorch's <c>Adam</c>: g ← g + λθ (L2); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
/// θ ← θ − η/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε).
/// </summary>
public class Adam : Optimizer
{
    /// <summary>Creates an Adam optimiser.</summary>
    /// <param name="parameterCount">The number of parameters.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">λ.</param>
    public Adam(int parameterCount, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
        : base(parameterCount, learningRate, "exp_avg", "exp_avg_sq")
    {
        Beta1 = UnitInterval(beta1, nameof(beta1));
        Beta2 = UnitInterval(beta2, nameof(beta2));
        Epsilon = NonNegative(epsilon, nameof(epsilon));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
    }

    /// <summary>Creates an Adam optimiser for a network's parameters.</summary>
    public Adam(INetwork network, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
        : this(Sgd.ParameterCountOf(network), learningRate, beta1, beta2, epsilon, weightDecay) { }

    /// <summary>β₁.</summary>
    public float Beta1 { get; }

    /// <summary>β₂.</summary>
    public float Beta2 { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>λ.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether weight decay is decoupled (AdamW) rather than added to the gradient.</summary>
    protected virtual bool Decoupled => false;

    /// <inheritdoc />
    public override string Kind => "Adam";

    /// <inheritdoc />
    protected override void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, long step)
    {
        float lr = LearningRate, b1 = Beta1, b2 = Beta2, eps = Epsilon, wd = WeightDecay;
        double bc1 = 1.0 - Math.Pow(b1, step), bc2 = 1.0 - Math.Pow(b2, step);
        float stepSize = (float)(lr / bc1);
        float invSqrtBc2 = (float)(1.0 / Math.Sqrt(bc2));
        float decay = Decoupled ? 1f - lr * wd : 1f;
        float l2 = Decoupled ? 0f : wd;
        SourceGenNN.Kernels.OptimizerKernels.Adam(parameters, gradients, State(0), State(1), decay, l2, b1, b2, stepSize, invSqrtBc2, eps);
    }
}

/// <summary>
/// AdamW, as PyTorch's <c>AdamW</c>: Adam with decoupled weight decay θ ← θ(1 − ηλ) before the Adam update.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates an AdamW optimiser (PyTorch's default λ is 0.01).</summary>
    public AdamW(int parameterCount, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
        : base(parameterCount, learningRate, beta1, beta2, epsilon, weightDecay) { }

    /// <summary>Creates an AdamW optimiser for a network's parameters.</summary>
    public AdamW(INetwork network, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
        : base(Sgd.ParameterCountOf(network), learningRate, beta1, beta2, epsilon, weightDecay) { }

    /// <inheritdoc />
    protected override bool Decoupled => true;

    /// <inheritdoc />
    public override string Kind => "AdamW";
}

/// <summary>
/// RMSprop, as PyTorch's <c>RMSprop</c>: g ← g + λθ; v ← αv + (1 − α)g²; centred: ḡ ← αḡ + (1 − α)g and
/// d = √(v − ḡ²) + ε, else d = √v + ε; with momentum b ← μb + g/d and θ ← θ − ηb, else θ ← θ − ηg/d.
/// </summary>
public sealed class RmsProp : Optimizer
{
    /// <summary>Creates an RMSprop optimiser.</summary>
    /// <param name="parameterCount">The number of parameters.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="alpha">α, the smoothing constant.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">λ.</param>
    /// <param name="momentum">μ.</param>
    /// <param name="centered">Whether to normalise by the estimated variance rather than the raw second moment.</param>
    public RmsProp(int parameterCount, float learningRate = 0.01f, float alpha = 0.99f, float epsilon = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : base(parameterCount, learningRate, "square_avg", "momentum_buffer", "grad_avg")
    {
        Alpha = UnitInterval(alpha, nameof(alpha));
        Epsilon = NonNegative(epsilon, nameof(epsilon));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
        Momentum = NonNegative(momentum, nameof(momentum));
        Centered = centered;
    }

    /// <summary>Creates an RMSprop optimiser for a network's parameters.</summary>
    public RmsProp(INetwork network, float learningRate = 0.01f, float alpha = 0.99f, float epsilon = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : this(Sgd.ParameterCountOf(network), learningRate, alpha, epsilon, weightDecay, momentum, centered) { }

    /// <summary>α.</summary>
    public float Alpha { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>λ.</summary>
    public float WeightDecay { get; }

    /// <summary>μ.</summary>
    public float Momentum { get; }

    /// <summary>Whether the update is centred.</summary>
    public bool Centered { get; }

    /// <inheritdoc />
    public override string Kind => "RMSprop";

    /// <inheritdoc />
    protected override void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, long step)
    {
        float lr = LearningRate, a = Alpha, eps = Epsilon, wd = WeightDecay, mu = Momentum;
        var sq = State(0);
        var buf = State(1);
        var ga = State(2);
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = gradients[i] + wd * parameters[i];
            float v = a * sq[i] + (1f - a) * g * g;
            sq[i] = v;
            float d;
            if (Centered)
            {
                float m = a * ga[i] + (1f - a) * g;
                ga[i] = m;
                d = MathF.Sqrt(v - m * m) + eps;
            }
            else d = MathF.Sqrt(v) + eps;
            if (mu > 0f)
            {
                float b = mu * buf[i] + g / d;
                buf[i] = b;
                parameters[i] -= lr * b;
            }
            else parameters[i] -= lr * g / d;
        }
    }
}
