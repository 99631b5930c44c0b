using System;

namespace SourceGenNN.Benchmarks.Plain;

/// <summary>A hand-written optimiser over a plain network's tensors.</summary>
public abstract class PlainOptimizer
{
    /// <summary>Binds the optimiser to a network's tensors.</summary>
    /// <param name="network">The network whose parameters it updates.</param>
    protected PlainOptimizer(IPlainNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
    }

    /// <summary>The network whose parameters are updated.</summary>
    protected IPlainNetwork Network { get; }

    /// <summary>Makes a zeroed state buffer for each tensor.</summary>
    /// <returns>One buffer per tensor, shaped like it.</returns>
    protected float[][] NewState()
    {
        var state = new float[Network.Tensors.Length][];
        for (int t = 0; t < state.Length; t++) state[t] = new float[Network.Tensors[t].Length];
        return state;
    }

    /// <summary>Applies one update from the gradients in <see cref="IPlainNetwork.TensorGrads"/>.</summary>
    public abstract void Step();
}

/// <summary>Stochastic gradient descent with momentum, as PyTorch's <c>SGD</c> (no dampening, no weight decay).</summary>
public sealed class PlainSgd : PlainOptimizer
{
    private readonly float _lr, _momentum;
    private readonly float[][] _velocity;
    private bool _started;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="network">The network to update.</param>
    /// <param name="learningRate">The step size.</param>
    /// <param name="momentum">The momentum factor.</param>
    public PlainSgd(IPlainNetwork network, float learningRate, float momentum) : base(network)
    {
        _lr = learningRate;
        _momentum = momentum;
        _velocity = NewState();
    }

    /// <inheritdoc />
    public override void Step()
    {
        for (int t = 0; t < _velocity.Length; t++)
        {
            float[] p = Network.Tensors[t], g = Network.TensorGrads[t], v = _velocity[t];
            for (int k = 0; k < p.Length; k++)
            {
                v[k] = _started ? _momentum * v[k] + g[k] : g[k];
                p[k] -= _lr * v[k];
            }
        }
        _started = true;
    }
}

/// <summary>Adam, as PyTorch's <c>Adam</c> (bias-corrected moments, no weight decay).</summary>
public sealed class PlainAdam : PlainOptimizer
{
    private readonly float _lr, _beta1, _beta2, _eps;
    private readonly float[][] _m, _v;
    private int _step;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="network">The network to update.</param>
    /// <param name="learningRate">The step size.</param>
    /// <param name="beta1">The first moment's decay.</param>
    /// <param name="beta2">The second moment's decay.</param>
    /// <param name="epsilon">Added to the denominator.</param>
    public PlainAdam(IPlainNetwork network, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
        : base(network)
    {
        _lr = learningRate;
        _beta1 = beta1;
        _beta2 = beta2;
        _eps = epsilon;
        _m = NewState();
        _v = NewState();
    }

    /// <inheritdoc />
    public override void Step()
    {
        _step++;
        float correction1 = 1f - MathF.Pow(_beta1, _step);
        float correction2 = 1f - MathF.Pow(_beta2, _step);
        float stepSize = _lr / correction1;
        float sqrtCorrection2 = MathF.Sqrt(correction2);
        for (int t = 0; t < _m.Length; t++)
        {
            float[] p = Network.Tensors[t], g = Network.TensorGrads[t], m = _m[t], v = _v[t];
            for (int k = 0; k < p.Length; k++)
            {
                m[k] = _beta1 * m[k] + (1f - _beta1) * g[k];
                v[k] = _beta2 * v[k] + (1f - _beta2) * g[k] * g[k];
                p[k] -= stepSize * m[k] / (MathF.Sqrt(v[k]) / sqrtCorrection2 + _eps);
            }
        }
    }
}
