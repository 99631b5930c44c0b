using System;
using System.Collections.Generic;
using SourceGenNN.Kernels;

namespace SourceGenNN.Testing;

/// <summary>One layer kind's reference: forward and backward in double, written from the math.</summary>
internal abstract class ReferenceLayer(NetworkDescription network, LayerDescription layer)
{
    protected NetworkDescription Network { get; } = network;

    protected LayerDescription Layer { get; } = layer;

    /// <summary>The layer's output for <paramref name="inputs"/> ([batch, ...] each).</summary>
    public abstract double[] Forward(ReferenceContext c, double[][] inputs);

    /// <summary>Adds the parameter gradients to <see cref="ReferenceContext.Gradients"/> and writes each input's gradient into <paramref name="dInputs"/>.</summary>
    public abstract void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dOutput, double[][] dInputs);

    /// <summary>Sets the layer's parameters and buffers to a reference initialisation.</summary>
    public virtual void Initialize(float[] parameters, float[] buffers, ulong seed) { }

    /// <summary>The offset of the layer's parameter tensor <c>name.suffix</c>.</summary>
    protected int Param(string suffix) =>
        (Network.FindParameter(Layer.Name + "." + suffix) ?? throw new InvalidOperationException($"Layer '{Layer.Name}' has no parameter '{suffix}'.")).Offset;

    protected bool HasParam(string suffix) => Network.FindParameter(Layer.Name + "." + suffix) is not null;

    protected int InputSize => Layer.InputSize;

    protected int OutputSize => Layer.OutputSize;

    /// <summary>U(−1/√fan_in, 1/√fan_in), as nn.Linear's bias (and, close enough for a reference, its weight).</summary>
    protected void Uniform(float[] parameters, string suffix, int fanIn, ulong seed)
    {
        var t = Network.FindParameter(Layer.Name + "." + suffix)!;
        var rng = new Rng(seed, t.Name);
        double bound = 1.0 / Math.Sqrt(fanIn);
        for (int i = 0; i < t.Length; i++) parameters[t.Offset + i] = (float)((rng.NextDouble() * 2 - 1) * bound);
    }

    protected void Constant(float[] parameters, string suffix, float value)
    {
        var t = Network.FindParameter(Layer.Name + "." + suffix)!;
        Array.Fill(parameters, value, t.Offset, t.Length);
    }
}

/// <summary>The reference of every layer kind, one class each; <see cref="Kinds"/> is the table a test checks against the generator's.</summary>
internal static class ReferenceLayers
{
    private static readonly Dictionary<string, Func<NetworkDescription, LayerDescription, ReferenceLayer>> Table = new()
    {
        [LayerKindNames.Dense] = (n, l) => new DenseReference(n, l),
        [LayerKindNames.Identity] = (n, l) => new ActivationReference(n, l),
        [LayerKindNames.Sigmoid] = (n, l) => new ActivationReference(n, l),
        [LayerKindNames.Tanh] = (n, l) => new ActivationReference(n, l),
        [LayerKindNames.ReLU] = (n, l) => new ActivationReference(n, l),
        [LayerKindNames.LeakyReLU] = (n, l) => new ActivationReference(n, l),
        [LayerKindNames.ELU] = (n, l) => new ActivationReference(n, l),
        [LayerKindNames.GELU] = (n, l) => new ActivationReference(n, l),
        [LayerKindNames.SiLU] = (n, l) => new ActivationReference(n, l),
        [LayerKindNames.RReLU] = (n, l) => new RReluReference(n, l),
        [LayerKindNames.Dropout] = (n, l) => new DropoutReference(n, l),
        [LayerKindNames.PReLU] = (n, l) => new PReluReference(n, l),
        [LayerKindNames.Softmax] = (n, l) => new SoftmaxReference(n, l),
        [LayerKindNames.LayerNorm] = (n, l) => new LayerNormReference(n, l),
        [LayerKindNames.Flatten] = (n, l) => new ViewReference(n, l),
        [LayerKindNames.Reshape] = (n, l) => new ViewReference(n, l),
        [LayerKindNames.Add] = (n, l) => new AddReference(n, l),
        [LayerKindNames.Concat] = (n, l) => new ConcatReference(n, l),
        [LayerKindNames.BatchNorm1d] = (n, l) => new BatchNormReference(n, l),
        [LayerKindNames.BatchNorm2d] = (n, l) => new BatchNormReference(n, l),
        [LayerKindNames.Conv1d] = (n, l) => new ConvReference(n, l),
        [LayerKindNames.Conv2d] = (n, l) => new ConvReference(n, l),
        [LayerKindNames.ConvTranspose1d] = (n, l) => new ConvReference(n, l),
        [LayerKindNames.ConvTranspose2d] = (n, l) => new ConvReference(n, l),
        [LayerKindNames.MaxPool1d] = (n, l) => new PoolReference(n, l),
        [LayerKindNames.MaxPool2d] = (n, l) => new PoolReference(n, l),
        [LayerKindNames.AvgPool1d] = (n, l) => new PoolReference(n, l),
        [LayerKindNames.AvgPool2d] = (n, l) => new PoolReference(n, l),
        [LayerKindNames.AdaptiveAvgPool2d] = (n, l) => new AdaptivePoolReference(n, l),
        [LayerKindNames.Dropout2d] = (n, l) => new Dropout2dReference(n, l),
        [LayerKindNames.RNN] = (n, l) => new RecurrentReference(n, l),
        [LayerKindNames.LSTM] = (n, l) => new RecurrentReference(n, l),
        [LayerKindNames.GRU] = (n, l) => new RecurrentReference(n, l),
        [LayerKindNames.MultiheadAttention] = (n, l) => new MultiheadAttentionReference(n, l),
        [LayerKindNames.ScaledDotProductAttention] = (n, l) => new ScaledDotProductAttentionReference(n, l),
        [LayerKindNames.PositionalEmbedding] = (n, l) => new PositionalReference(n, l),
        [LayerKindNames.SinusoidalPositionalEncoding] = (n, l) => new PositionalReference(n, l),
        [LayerKindNames.Mean] = (n, l) => new MeanReference(n, l),
    };

    public static IEnumerable<string> Kinds => Table.Keys;

    public static ReferenceLayer Create(NetworkDescription network, LayerDescription layer) =>
        Table.TryGetValue(layer.Kind, out var create)
            ? create(network, layer)
            : throw new NotSupportedException($"The reference has no layer kind '{layer.Kind}' (layer '{layer.Name}').");

    /// <summary>erf by its Maclaurin series (|x| &lt; 3) or continued fraction: accurate to ~1e-15, independent of any kernel's approximation.</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        double r;
        if (ax < 3)
        {
            double term = ax, sum = ax;
            for (int n = 1; n < 200; n++)
            {
                term *= -ax * ax / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17) break;
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc by Lentz's continued fraction.
            double f = ax, c = ax, d = 0;
            for (int n = 1; n < 200; n++)
            {
                double an = n / 2.0;
                d = ax + an * d;
                d = 1 / d;
                c = ax + an / c;
                f *= c * d;
            }
            r = 1 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        }
        return Math.Sign(x) * r;
    }
}

/// <summary>nn.Linear on the last dimension: y[r, o] = b[o] + Σᵢ x[r, i]·W[o, i] for every row r of [batch·leading, in].</summary>
internal sealed class DenseReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private int In => Layer.InputShape[^1];

    private int Out => Layer.OutputShape[^1];

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        int rows = x.Length / In, w = Param("weight");
        int b = HasParam("bias") ? Param("bias") : -1;
        var y = new double[rows * Out];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < Out; o++)
            {
                double s = b >= 0 ? c.Parameters[b + o] : 0;
                for (int i = 0; i < In; i++) s += x[r * In + i] * c.Parameters[w + o * In + i];
                y[r * Out + o] = s;
            }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        var x = inputs[0];
        int rows = x.Length / In, w = Param("weight");
        int b = HasParam("bias") ? Param("bias") : -1;
        var g = c.Gradients!;
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < Out; o++)
            {
                double d = dy[r * Out + o];
                if (b >= 0) g[b + o] += d;
                for (int i = 0; i < In; i++)
                {
                    g[w + o * In + i] += d * x[r * In + i];
                    dx[0][r * In + i] += d * c.Parameters[w + o * In + i];
                }
            }
    }

    public override void Initialize(float[] parameters, float[] buffers, ulong seed)
    {
        Uniform(parameters, "weight", In, seed);
        if (HasParam("bias")) Uniform(parameters, "bias", In, seed);
    }
}

/// <summary>The element-wise activations: each one's closed form and derivative.</summary>
internal sealed class ActivationReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = Value(x[i]);
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        var x = inputs[0];
        for (int i = 0; i < x.Length; i++) dx[0][i] = dy[i] * Derivative(x[i]);
    }

    private double Slope => Layer.Kind == LayerKindNames.LeakyReLU ? Layer.Double("slope") : 0;

    private double Alpha => Layer.Kind == LayerKindNames.ELU ? Layer.Double("alpha") : 0;

    public double Value(double x) => Value(Layer.Kind, x, Slope, Alpha);

    public double Derivative(double x) => Derivative(Layer.Kind, x, Slope, Alpha);

    /// <summary>The closed form of an element-wise activation (LeakyReLU's <paramref name="slope"/>, ELU's <paramref name="alpha"/>).</summary>
    public static double Value(string kind, double x, double slope = 0.01, double alpha = 1) => kind switch
    {
        LayerKindNames.Identity => x,
        LayerKindNames.Sigmoid => 1 / (1 + Math.Exp(-x)),
        LayerKindNames.Tanh => Math.Tanh(x),
        LayerKindNames.ReLU => x > 0 ? x : 0,
        LayerKindNames.LeakyReLU => x >= 0 ? x : slope * x,
        LayerKindNames.ELU => x > 0 ? x : alpha * (Math.Exp(x) - 1),
        LayerKindNames.GELU => 0.5 * x * (1 + ReferenceLayers.Erf(x / Math.Sqrt(2))),
        LayerKindNames.SiLU => x / (1 + Math.Exp(-x)),
        _ => throw new NotSupportedException(kind),
    };

    /// <summary>The closed form of an element-wise activation's derivative (0 at ReLU's kink, as PyTorch).</summary>
    public static double Derivative(string kind, double x, double slope = 0.01, double alpha = 1)
    {
        switch (kind)
        {
            case LayerKindNames.Identity: return 1;
            case LayerKindNames.Sigmoid:
            {
                double s = 1 / (1 + Math.Exp(-x));
                return s * (1 - s);
            }
            case LayerKindNames.Tanh:
            {
                double t = Math.Tanh(x);
                return 1 - t * t;
            }
            case LayerKindNames.ReLU: return x > 0 ? 1 : 0;
            case LayerKindNames.LeakyReLU: return x > 0 ? 1 : slope;
            case LayerKindNames.ELU: return x > 0 ? 1 : alpha * Math.Exp(x);
            case LayerKindNames.GELU: return 0.5 * (1 + ReferenceLayers.Erf(x / Math.Sqrt(2))) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
            case LayerKindNames.SiLU:
            {
                double s = 1 / (1 + Math.Exp(-x));
                return s * (1 + x * (1 - s));
            }
            default: throw new NotSupportedException(kind);
        }
    }
}

/// <summary>RReLU: slopes drawn from U(lower, upper) per element in training (the generated code's draws), the mean slope in evaluation.</summary>
internal sealed class RReluReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private double[] _slopes = [];

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        double lower = Layer.Double("lower"), upper = Layer.Double("upper");
        float lo = (float)lower, hi = (float)upper;
        ulong key = c.Key(Layer.Index);
        _slopes = new double[x.Length];
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            // The slope exactly as the kernels draw it, in float.
            double s = x[i] >= 0 ? 1 : c.Training ? lo + (hi - lo) * CounterRandom.Uniform(key, (ulong)i) : (lower + upper) / 2;
            _slopes[i] = s;
            y[i] = s * x[i];
        }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        for (int i = 0; i < dy.Length; i++) dx[0][i] = dy[i] * _slopes[i];
    }
}

/// <summary>Inverted dropout with the generated code's masks; the identity in evaluation.</summary>
internal sealed class DropoutReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private double[] _mask = [];

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        double p = Layer.Double("p");
        ulong key = c.Key(Layer.Index);
        _mask = new double[x.Length];
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            _mask[i] = !c.Training ? 1 : CounterRandom.Uniform(key, (ulong)i) < (float)p ? 0 : 1 / (1 - p);
            y[i] = x[i] * _mask[i];
        }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        for (int i = 0; i < dy.Length; i++) dx[0][i] = dy[i] * _mask[i];
    }
}

/// <summary>PReLU with one slope, or one per channel (the first dimension of a sample).</summary>
internal sealed class PReluReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private int Channel(int i)
    {
        int size = InputSize, inner = size / Layer.InputShape[0];
        return Layer.Bool("per_feature") ? i % size / inner : 0;
    }

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        int a = Param("weight");
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : c.Parameters[a + Channel(i)] * x[i];
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        var x = inputs[0];
        int a = Param("weight");
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] > 0) dx[0][i] = dy[i];
            else
            {
                dx[0][i] = c.Parameters[a + Channel(i)] * dy[i];
                c.Gradients![a + Channel(i)] += dy[i] * x[i];
            }
        }
    }

    public override void Initialize(float[] parameters, float[] buffers, ulong seed) => Constant(parameters, "weight", 0.25f);
}

/// <summary>Softmax along one dimension (PyTorch's dim, the batch being dim 0).</summary>
internal sealed class SoftmaxReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private (int Outer, int Length, int Inner) Split(int batch)
    {
        var s = Layer.InputShape;
        int dim = Layer.Int("dim");
        int axis = dim < 0 ? s.Count + dim : dim - 1;
        int outer = batch, inner = 1;
        for (int i = 0; i < axis; i++) outer *= s[i];
        for (int i = axis + 1; i < s.Count; i++) inner *= s[i];
        return (outer, s[axis], inner);
    }

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        var (outer, length, inner) = Split(c.Batch);
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                int at = o * length * inner + j;
                double max = double.NegativeInfinity, sum = 0;
                for (int i = 0; i < length; i++) max = Math.Max(max, x[at + i * inner]);
                for (int i = 0; i < length; i++) sum += Math.Exp(x[at + i * inner] - max);
                for (int i = 0; i < length; i++) y[at + i * inner] = Math.Exp(x[at + i * inner] - max) / sum;
            }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] y, double[] dy, double[][] dx)
    {
        var (outer, length, inner) = Split(c.Batch);
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                int at = o * length * inner + j;
                double dot = 0;
                for (int i = 0; i < length; i++) dot += dy[at + i * inner] * y[at + i * inner];
                for (int i = 0; i < length; i++) dx[0][at + i * inner] = y[at + i * inner] * (dy[at + i * inner] - dot);
            }
    }
}

/// <summary>LayerNorm over the trailing normalized_shape: biased variance, eps inside the square root, optional affine.</summary>
internal sealed class LayerNormReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private int Group
    {
        get
        {
            int g = 1;
            foreach (int d in Layer.Ints("normalized_shape")) g *= d;
            return g;
        }
    }

    private bool Affine => Layer.Bool("elementwise_affine");

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        int size = Group, rows = x.Length / size;
        double eps = Layer.Double("eps");
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < size; i++) mean += x[r * size + i];
            mean /= size;
            for (int i = 0; i < size; i++) var += (x[r * size + i] - mean) * (x[r * size + i] - mean);
            var /= size;
            double inv = 1 / Math.Sqrt(var + eps);
            for (int i = 0; i < size; i++)
            {
                double h = (x[r * size + i] - mean) * inv;
                y[r * size + i] = Affine ? h * c.Parameters[Param("weight") + i] + c.Parameters[Param("bias") + i] : h;
            }
        }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        // Written as the full Jacobian of one group, not the closed form the kernel uses: dy_j/dx_i for every pair.
        var x = inputs[0];
        int size = Group, rows = x.Length / size;
        double eps = Layer.Double("eps");
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < size; i++) mean += x[r * size + i];
            mean /= size;
            for (int i = 0; i < size; i++) var += (x[r * size + i] - mean) * (x[r * size + i] - mean);
            var /= size;
            double inv = 1 / Math.Sqrt(var + eps);
            for (int j = 0; j < size; j++)
            {
                double hj = (x[r * size + j] - mean) * inv;
                double gj = dy[r * size + j] * (Affine ? c.Parameters[Param("weight") + j] : 1);
                if (Affine)
                {
                    c.Gradients![Param("weight") + j] += dy[r * size + j] * hj;
                    c.Gradients[Param("bias") + j] += dy[r * size + j];
                }
                for (int i = 0; i < size; i++)
                {
                    double hi = (x[r * size + i] - mean) * inv;
                    // ∂ĥ_j/∂x_i = inv·(δᵢⱼ − 1/N − ĥᵢĥⱼ/N)
                    double jac = inv * ((i == j ? 1 : 0) - 1.0 / size - hi * hj / size);
                    dx[0][r * size + i] += gj * jac;
                }
            }
        }
    }

    public override void Initialize(float[] parameters, float[] buffers, ulong seed)
    {
        if (!Affine) return;
        Constant(parameters, "weight", 1f);
        Constant(parameters, "bias", 0f);
    }
}

/// <summary>Flatten and Reshape: the same elements in the same order.</summary>
internal sealed class ViewReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    public override double[] Forward(ReferenceContext c, double[][] inputs) => (double[])inputs[0].Clone();

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx) => Array.Copy(dy, dx[0], dy.Length);
}

/// <summary>The element-wise sum of its inputs.</summary>
internal sealed class AddReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var y = new double[inputs[0].Length];
        foreach (var x in inputs)
            for (int i = 0; i < y.Length; i++) y[i] += x[i];
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        foreach (var d in dx) Array.Copy(dy, d, dy.Length);
    }
}

/// <summary>torch.cat along one dimension: element by element, by index arithmetic (not block copies).</summary>
internal sealed class ConcatReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    /// <summary>For each output element of one sample: which input and which of its elements.</summary>
    private (int Input, int Element)[] Map()
    {
        var outShape = Layer.OutputShape;
        int dim = Layer.Int("dim");
        int axis = dim < 0 ? outShape.Count + dim : dim - 1;
        int size = Layer.OutputSize;
        var map = new (int, int)[size];
        var index = new int[outShape.Count];
        for (int e = 0; e < size; e++)
        {
            int rest = e;
            for (int d = outShape.Count - 1; d >= 0; d--)
            {
                index[d] = rest % outShape[d];
                rest /= outShape[d];
            }
            int k = 0, along = index[axis];
            while (along >= Layer.InputShapes[k][axis])
            {
                along -= Layer.InputShapes[k][axis];
                k++;
            }
            var s = Layer.InputShapes[k];
            int flat = 0;
            for (int d = 0; d < s.Count; d++) flat = flat * s[d] + (d == axis ? along : index[d]);
            map[e] = (k, flat);
        }
        return map;
    }

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var map = Map();
        int size = map.Length;
        var y = new double[c.Batch * size];
        for (int b = 0; b < c.Batch; b++)
            for (int e = 0; e < size; e++)
            {
                var (k, j) = map[e];
                y[b * size + e] = inputs[k][b * Shapes(k) + j];
            }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        var map = Map();
        int size = map.Length;
        for (int b = 0; b < c.Batch; b++)
            for (int e = 0; e < size; e++)
            {
                var (k, j) = map[e];
                dx[k][b * Shapes(k) + j] += dy[b * size + e];
            }
    }

    private int Shapes(int k)
    {
        int n = 1;
        foreach (int d in Layer.InputShapes[k]) n *= d;
        return n;
    }
}

/// <summary>
/// BatchNorm per channel (the first dimension of a sample): training normalises with the batch's mean and biased variance
/// and moves the running statistics (unbiased variance) by momentum; evaluation uses the running statistics.
/// </summary>
internal sealed class BatchNormReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private int Channels => Layer.InputShape[0];

    private int Inner => InputSize / Channels;

    private bool Affine => Layer.Bool("affine");

    private bool Track => Layer.Bool("track_running_stats");

    private int Buffer(string suffix) => Network.FindBuffer(Layer.Name + "." + suffix)!.Offset;

    private (double Mean, double Variance) Statistics(double[] x, int batch, int c)
    {
        int f = Channels * Inner, count = batch * Inner;
        double mean = 0, variance = 0;
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < Inner; j++) mean += x[b * f + c * Inner + j];
        mean /= count;
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < Inner; j++) variance += Math.Pow(x[b * f + c * Inner + j] - mean, 2);
        return (mean, variance / count);
    }

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        double eps = Layer.Double("eps"), momentum = Layer.Double("momentum");
        int f = Channels * Inner, count = c.Batch * Inner;
        var y = new double[x.Length];
        for (int ch = 0; ch < Channels; ch++)
        {
            double mean, variance;
            if (c.Training || !Track)
            {
                (mean, variance) = Statistics(x, c.Batch, ch);
                if (c.Training && Track)
                {
                    c.Buffers[Buffer("running_mean") + ch] = (1 - momentum) * c.Buffers[Buffer("running_mean") + ch] + momentum * mean;
                    c.Buffers[Buffer("running_var") + ch] = (1 - momentum) * c.Buffers[Buffer("running_var") + ch] + momentum * variance * count / (count - 1);
                }
            }
            else
            {
                mean = c.Buffers[Buffer("running_mean") + ch];
                variance = c.Buffers[Buffer("running_var") + ch];
            }
            double inv = 1 / Math.Sqrt(variance + eps);
            double w = Affine ? c.Parameters[Param("weight") + ch] : 1, b = Affine ? c.Parameters[Param("bias") + ch] : 0;
            for (int s = 0; s < c.Batch; s++)
                for (int j = 0; j < Inner; j++)
                {
                    int k = s * f + ch * Inner + j;
                    y[k] = (x[k] - mean) * inv * w + b;
                }
        }
        if (c.Training && Track) c.Buffers[Buffer("num_batches_tracked")] += 1;
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        // The full Jacobian of one channel's batch statistics: ∂x̂_j/∂x_i = inv·(δᵢⱼ − 1/n − x̂ᵢx̂ⱼ/n).
        var x = inputs[0];
        double eps = Layer.Double("eps");
        int f = Channels * Inner, count = c.Batch * Inner;
        for (int ch = 0; ch < Channels; ch++)
        {
            var (mean, variance) = Statistics(x, c.Batch, ch);
            double inv = 1 / Math.Sqrt(variance + eps);
            double w = Affine ? c.Parameters[Param("weight") + ch] : 1;
            var index = new int[count];
            for (int s = 0, k = 0; s < c.Batch; s++)
                for (int j = 0; j < Inner; j++) index[k++] = s * f + ch * Inner + j;
            foreach (int kj in index)
            {
                double hj = (x[kj] - mean) * inv;
                if (Affine)
                {
                    c.Gradients![Param("weight") + ch] += dy[kj] * hj;
                    c.Gradients[Param("bias") + ch] += dy[kj];
                }
                foreach (int ki in index)
                {
                    double hi = (x[ki] - mean) * inv;
                    dx[0][ki] += dy[kj] * w * inv * ((ki == kj ? 1 : 0) - 1.0 / count - hi * hj / count);
                }
            }
        }
    }

    public override void Initialize(float[] parameters, float[] buffers, ulong seed)
    {
        if (Affine)
        {
            Constant(parameters, "weight", 1f);
            Constant(parameters, "bias", 0f);
        }
        if (!Track) return;
        var rv = Network.FindBuffer(Layer.Name + ".running_var")!;
        Array.Fill(buffers, 1f, rv.Offset, rv.Length);
    }
}
