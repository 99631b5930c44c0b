using System;
using System.Collections.Generic;
using SourceGenNN.Kernels;

namespace SourceGenNN.Testing;

/// <summary>
/// Scaled dot-product attention in double, from the definition: for each sample n, head h and query t,
/// z[s] = q[t]·k[s]/√d over the keys s it sees (s &lt; min(length[n], t + 1 if causal else S)), w = softmax(z) (0 for the
/// others), w̃ = w·mask (dropout: the generated code's draws), out[t] = Σₛ w̃[s]·v[s]. Backward by the chain rule:
/// the softmax Jacobian written out element by element, not the kernel's closed form.
/// </summary>
internal sealed class AttentionMath(int batch, int heads, int queries, int keys, int headDim, int valueDim, bool causal, double[]? lengths)
{
    private int H => heads;

    private int Valid(int n, int t)
    {
        int length = lengths is null ? keys : (int)lengths[n];
        return causal ? Math.Min(length, t + 1) : length;
    }

    /// <summary>The weights of the last <see cref="Forward"/>, [batch, heads, T, S].</summary>
    public double[] Weights { get; private set; } = [];

    /// <summary>The dropout mask of the last forward (ones when there was none).</summary>
    public double[] Mask { get; private set; } = [];

    /// <summary>q [batch·T, H·d], k [batch·S, H·d], v [batch·S, H·dv] (contiguous rows) → out [batch·T, H·dv].</summary>
    public double[] Forward(double[] q, double[] k, double[] v, double dropout, bool training, ulong key)
    {
        int T = queries, S = keys, D = headDim, Dv = valueDim;
        var output = new double[batch * T * H * Dv];
        Weights = new double[batch * H * T * S];
        Mask = new double[Weights.Length];
        Array.Fill(Mask, 1.0);
        double scale = 1 / Math.Sqrt(D);
        for (int n = 0; n < batch; n++)
            for (int h = 0; h < H; h++)
                for (int t = 0; t < T; t++)
                {
                    int valid = Valid(n, t);
                    int row = ((n * H + h) * T + t) * S;
                    if (valid > 0)
                    {
                        var z = new double[valid];
                        double max = double.NegativeInfinity;
                        for (int s = 0; s < valid; s++)
                        {
                            double dot = 0;
                            for (int d = 0; d < D; d++) dot += q[(n * T + t) * H * D + h * D + d] * k[(n * S + s) * H * D + h * D + d];
                            z[s] = dot * scale;
                            max = Math.Max(max, z[s]);
                        }
                        double sum = 0;
                        for (int s = 0; s < valid; s++) sum += Math.Exp(z[s] - max);
                        for (int s = 0; s < valid; s++) Weights[row + s] = Math.Exp(z[s] - max) / sum;
                    }
                    for (int s = 0; s < S; s++)
                    {
                        if (training && dropout > 0)
                            Mask[row + s] = CounterRandom.Uniform(key, (ulong)(row + s)) < (float)dropout ? 0 : 1 / (1 - (double)(float)dropout);
                        double w = Weights[row + s] * Mask[row + s];
                        for (int d = 0; d < Dv; d++)
                            output[(n * T + t) * H * Dv + h * Dv + d] += w * v[(n * S + s) * H * Dv + h * Dv + d];
                    }
                }
        return output;
    }

    /// <summary>dLoss/dq, dk, dv from dLoss/dout, for the inputs of the last <see cref="Forward"/>.</summary>
    public (double[] Dq, double[] Dk, double[] Dv) Backward(double[] q, double[] k, double[] v, double[] dOut)
    {
        int T = queries, S = keys, D = headDim, Dv = valueDim;
        var dq = new double[q.Length];
        var dk = new double[k.Length];
        var dv = new double[v.Length];
        double scale = 1 / Math.Sqrt(D);
        for (int n = 0; n < batch; n++)
            for (int h = 0; h < H; h++)
                for (int t = 0; t < T; t++)
                {
                    int valid = Valid(n, t);
                    int row = ((n * H + h) * T + t) * S;
                    var dw = new double[S];
                    for (int s = 0; s < S; s++)
                    {
                        double w = Weights[row + s] * Mask[row + s];
                        for (int d = 0; d < Dv; d++)
                        {
                            double g = dOut[(n * T + t) * H * Dv + h * Dv + d];
                            dv[(n * S + s) * H * Dv + h * Dv + d] += w * g;
                            dw[s] += g * v[(n * S + s) * H * Dv + h * Dv + d] * Mask[row + s];
                        }
                    }
                    // dz_j = Σᵢ dw_i·∂w_i/∂z_j, ∂w_i/∂z_j = w_i(δᵢⱼ − w_j), over the valid keys
                    for (int j = 0; j < valid; j++)
                    {
                        double dz = 0;
                        for (int i = 0; i < valid; i++)
                            dz += dw[i] * Weights[row + i] * ((i == j ? 1 : 0) - Weights[row + j]);
                        for (int d = 0; d < D; d++)
                        {
                            dq[(n * T + t) * H * D + h * D + d] += dz * scale * k[(n * S + j) * H * D + h * D + d];
                            dk[(n * S + j) * H * D + h * D + d] += dz * scale * q[(n * T + t) * H * D + h * D + d];
                        }
                    }
                }
        return (dq, dk, dv);
    }
}

/// <summary>nn.MultiheadAttention(batch_first=True): projections, attention per head, out_proj; masks and dropout as declared.</summary>
internal sealed class MultiheadAttentionReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private double[] _q = [], _k = [], _v = [], _context = [];
    private AttentionMath? _math;

    private int E => Layer.InputShape[^1];

    private int T => Layer.InputShape[0];

    private IReadOnlyList<int> KeyShape => Layer.InputShapes[Layer.Int("key")];

    private int S => KeyShape[0];

    private int Heads => Layer.Int("num_heads");

    private bool Packed => HasParam("in_proj_weight");

    /// <summary>The weight of projection r (0 q, 1 k, 2 v): its offset and input features.</summary>
    private (int Offset, int In) Weight(int r)
    {
        int inF = r == 0 ? E : Layer.InputShapes[Layer.Int(r == 1 ? "key" : "value")][^1];
        return Packed ? (Param("in_proj_weight") + r * E * E, inF) : (Param(new[] { "q", "k", "v" }[r] + "_proj_weight"), inF);
    }

    private static double[] Linear(double[] x, double[] p, int w, int b, int inF, int outF)
    {
        int rows = x.Length / inF;
        var y = new double[rows * outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = b >= 0 ? p[b + o] : 0;
                for (int i = 0; i < inF; i++) s += x[r * inF + i] * p[w + o * inF + i];
                y[r * outF + o] = s;
            }
        return y;
    }

    /// <summary>dW += dyᵀ·x, db += Σ dy, dx += dy·W.</summary>
    private static void LinearBackward(double[] x, double[] dy, double[] p, double[] g, int w, int b, int inF, int outF, double[] dx)
    {
        int rows = x.Length / inF;
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double d = dy[r * outF + o];
                if (b >= 0) g[b + o] += d;
                for (int i = 0; i < inF; i++)
                {
                    g[w + o * inF + i] += d * x[r * inF + i];
                    dx[r * inF + i] += d * p[w + o * inF + i];
                }
            }
    }

    private int Bias(int r) => HasParam("in_proj_bias") ? Param("in_proj_bias") + r * E : -1;

    private double[]? Lengths(double[][] inputs) => Layer.Int("key_lengths") is int p && p >= 0 ? inputs[p] : null;

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        var sources = new[] { x, inputs[Layer.Int("key")], inputs[Layer.Int("value")] };
        var proj = new double[3][];
        for (int r = 0; r < 3; r++)
        {
            var (w, inF) = Weight(r);
            proj[r] = Linear(sources[r], c.Parameters, w, Bias(r), inF, E);
        }
        (_q, _k, _v) = (proj[0], proj[1], proj[2]);
        int heads = Heads;
        _math = new AttentionMath(c.Batch, heads, T, S, E / heads, E / heads, Layer.Bool("is_causal"), Lengths(inputs));
        _context = _math.Forward(_q, _k, _v, Layer.Double("dropout"), c.Training, c.Key(Layer.Index));
        return Linear(_context, c.Parameters, Param("out_proj.weight"), HasParam("out_proj.bias") ? Param("out_proj.bias") : -1, E, E);
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        Forward(c, inputs); // recomputes what backward needs, at these parameters
        var g = c.Gradients!;
        var dContext = new double[_context.Length];
        LinearBackward(_context, dy, c.Parameters, g, Param("out_proj.weight"), HasParam("out_proj.bias") ? Param("out_proj.bias") : -1, E, E, dContext);
        var (dq, dk, dv) = _math!.Backward(_q, _k, _v, dContext);
        var ports = new[] { 0, Layer.Int("key"), Layer.Int("value") };
        var d = new[] { dq, dk, dv };
        for (int r = 0; r < 3; r++)
        {
            var (w, inF) = Weight(r);
            LinearBackward(inputs[ports[r]], d[r], c.Parameters, g, w, Bias(r), inF, E, dx[ports[r]]);
        }
    }

    public override void Initialize(float[] parameters, float[] buffers, ulong seed)
    {
        foreach (var suffix in new[] { "in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight" })
            if (HasParam(suffix))
            {
                var t = Network.FindParameter(Layer.Name + "." + suffix)!;
                var rng = new Rng(seed, t.Name);
                double bound = Math.Sqrt(6.0 / (t.Shape[0] + t.Shape[1])); // xavier_uniform_
                for (int i = 0; i < t.Length; i++) parameters[t.Offset + i] = (float)((rng.NextDouble() * 2 - 1) * bound);
            }
        if (HasParam("in_proj_bias")) Constant(parameters, "in_proj_bias", 0.1f);
        if (HasParam("out_proj.bias")) Constant(parameters, "out_proj.bias", -0.05f);
    }
}

/// <summary>Scaled dot-product attention without parameters: the inputs split into heads.</summary>
internal sealed class ScaledDotProductAttentionReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private AttentionMath? _math;

    private AttentionMath Math(ReferenceContext c, double[][] inputs)
    {
        int heads = Layer.Int("num_heads"), lp = Layer.Int("key_lengths");
        var k = Layer.InputShapes[Layer.Int("key")];
        var v = Layer.InputShapes[Layer.Int("value")];
        return new AttentionMath(c.Batch, heads, Layer.InputShape[0], k[0], Layer.InputShape[^1] / heads, v[^1] / heads, Layer.Bool("is_causal"), lp >= 0 ? inputs[lp] : null);
    }

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        _math = Math(c, inputs);
        return _math.Forward(inputs[0], inputs[Layer.Int("key")], inputs[Layer.Int("value")], Layer.Double("dropout"), c.Training, c.Key(Layer.Index));
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        Forward(c, inputs);
        int kp = Layer.Int("key"), vp = Layer.Int("value");
        var (dq, dk, dv) = _math!.Backward(inputs[0], inputs[kp], inputs[vp], dy);
        for (int i = 0; i < dq.Length; i++) dx[0][i] += dq[i];
        for (int i = 0; i < dk.Length; i++) dx[kp][i] += dk[i];
        for (int i = 0; i < dv.Length; i++) dx[vp][i] += dv[i];
    }
}

/// <summary>A learned or sinusoidal table added to every sample; the learned table's gradient is Σ over the batch.</summary>
internal sealed class PositionalReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private bool Learned => Layer.Kind == LayerKindNames.PositionalEmbedding;

    private double Table(ReferenceContext c, int i)
    {
        if (Learned) return c.Parameters[Param("weight") + i];
        int e = Layer.InputShape[^1], t = i / e, j = i % e;
        double omega = System.Math.Pow(10000.0, -2.0 * (j / 2) / e);
        return j % 2 == 0 ? System.Math.Sin(t * omega) : System.Math.Cos(t * omega);
    }

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var x = inputs[0];
        int size = InputSize;
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] + Table(c, i % size);
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        int size = InputSize;
        for (int i = 0; i < dy.Length; i++)
        {
            dx[0][i] += dy[i];
            if (Learned) c.Gradients![Param("weight") + i % size] += dy[i];
        }
    }

    public override void Initialize(float[] parameters, float[] buffers, ulong seed)
    {
        if (!Learned) return;
        var t = Network.FindParameter(Layer.Name + ".weight")!;
        var rng = new Rng(seed, t.Name);
        for (int i = 0; i < t.Length; i++) parameters[t.Offset + i] = (float)rng.NextNormal();
    }
}

/// <summary>torch.mean over one dimension, element by element.</summary>
internal sealed class MeanReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private (int Outer, int Length, int Inner) Split()
    {
        var s = Layer.InputShape;
        int dim = Layer.Int("dim"), axis = dim < 0 ? s.Count + dim : dim - 1;
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= s[i];
        for (int i = axis + 1; i < s.Count; i++) inner *= s[i];
        return (outer, s[axis], inner);
    }

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        var (outer, length, inner) = Split();
        var x = inputs[0];
        var y = new double[c.Batch * outer * inner];
        for (int o = 0; o < c.Batch * outer; o++)
            for (int j = 0; j < inner; j++)
            {
                double s = 0;
                for (int i = 0; i < length; i++) s += x[(o * length + i) * inner + j];
                y[o * inner + j] = s / length;
            }
        return y;
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        var (outer, length, inner) = Split();
        for (int o = 0; o < c.Batch * outer; o++)
            for (int i = 0; i < length; i++)
                for (int j = 0; j < inner; j++)
                    dx[0][(o * length + i) * inner + j] += dy[o * inner + j] / length;
    }
}
