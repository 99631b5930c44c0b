using System;
using SourceGenNN.Cuda;

namespace SourceGenNN.Testing;

/// <summary>
/// The losses and optimisers of a CUDA training step, in double on the reference network: what
/// <see cref="CudaNetwork.TrainStep"/> computes, written from PyTorch's definitions.
/// </summary>
internal static class ReferenceTraining
{
    /// <summary>The loss of the last forward pass and its gradient (with respect to the logits when the loss fuses the final activation).</summary>
    public static (double Loss, float[] Gradient, bool FromLogits) Loss(this ReferenceNetwork net, CudaLoss loss, ReadOnlySpan<float> target)
    {
        int batch = net.Batch, cols = net.OutputSize, n = batch * cols;
        var grad = new float[n];
        double total = 0;
        string? fused = net.Description.FusedActivation;
        switch (loss)
        {
            case CudaLoss.CrossEntropy:
            {
                bool fromLogits = fused == LayerKindNames.Softmax;
                double[] z = fromLogits ? net.LogitsDouble : net.Output;
                for (int r = 0; r < batch; r++)
                {
                    double m = double.NegativeInfinity, s = 0, ys = 0;
                    for (int i = 0; i < cols; i++)
                    {
                        m = Math.Max(m, z[r * cols + i]);
                        ys += target[r * cols + i];
                    }
                    for (int i = 0; i < cols; i++) s += Math.Exp(z[r * cols + i] - m);
                    double lse = m + Math.Log(s);
                    for (int i = 0; i < cols; i++)
                    {
                        double p = Math.Exp(z[r * cols + i] - lse);
                        grad[r * cols + i] = (float)((p * ys - target[r * cols + i]) / batch);
                        total += target[r * cols + i] * (lse - z[r * cols + i]);
                    }
                }
                return (total / batch, grad, fromLogits);
            }
            case CudaLoss.BinaryCrossEntropy:
            {
                bool fromLogits = fused == LayerKindNames.Sigmoid;
                double[] z = fromLogits ? net.LogitsDouble : net.Output;
                for (int i = 0; i < n; i++)
                {
                    double v = z[i], y = target[i];
                    total += Math.Max(v, 0) - v * y + Math.Log(1 + Math.Exp(-Math.Abs(v)));
                    grad[i] = (float)((1 / (1 + Math.Exp(-v)) - y) / n);
                }
                return (total / n, grad, fromLogits);
            }
            case CudaLoss.MeanSquaredError:
            {
                double[] o = net.Output;
                for (int i = 0; i < n; i++)
                {
                    double d = o[i] - target[i];
                    total += d * d;
                    grad[i] = (float)(2 * d / n);
                }
                return (total / n, grad, false);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(loss));
        }
    }

    /// <summary>Zero grad, forward (training), loss, backward and, with an optimiser, its update: what a CUDA training step does.</summary>
    public static double TrainStep(this ReferenceNetwork net, ReferenceOptimizer? optimizer, ReadOnlySpan<float> input, ReadOnlySpan<float> target, int batch, CudaLoss loss)
    {
        net.ZeroGrad();
        net.Forward(input, new float[batch * net.OutputSize], batch, training: true);
        var (value, grad, fromLogits) = net.Loss(loss, target);
        net.Backward(grad, default, fromLogits);
        optimizer?.Update(net.Parameters, net.Gradients);
        return value;
    }
}

/// <summary>PyTorch's SGD and Adam/AdamW updates, in double, with their state.</summary>
internal sealed class ReferenceOptimizer(CudaOptimizer o, int parameters)
{
    private readonly double[] _m = new double[parameters], _v = new double[parameters];
    private long _step;

    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        _step++;
        for (int i = 0; i < parameters.Length; i++)
        {
            double p = parameters[i], g = gradients[i];
            if (o.Kind == CudaOptimizerKind.Sgd)
            {
                double d = g + o.WeightDecay * p;
                if (o.Momentum != 0f)
                {
                    double b = _step == 1 ? d : o.Momentum * _m[i] + (1 - o.Dampening) * d;
                    _m[i] = b;
                    d = o.Nesterov ? d + o.Momentum * b : b;
                }
                parameters[i] = (float)(p - o.LearningRate * d);
            }
            else
            {
                if (o.DecoupledWeightDecay) p *= 1 - (double)o.LearningRate * o.WeightDecay;
                else g += o.WeightDecay * p;
                _m[i] = o.Beta1 * _m[i] + (1 - o.Beta1) * g;
                _v[i] = o.Beta2 * _v[i] + (1 - o.Beta2) * g * g;
                double bc1 = 1 - Math.Pow(o.Beta1, _step), bc2 = 1 - Math.Pow(o.Beta2, _step);
                parameters[i] = (float)(p - o.LearningRate / bc1 * _m[i] / (Math.Sqrt(_v[i]) / Math.Sqrt(bc2) + o.Epsilon));
            }
        }
    }
}
