using System;
using SourceGenNN.Kernels;

namespace SourceGenNN.Testing;

/// <summary>
/// RNN, LSTM and GRU in double, written from PyTorch's equations one sample, one step and one element at a time:
/// stacked layers, both directions, dropout between layers (the generated code's masks), the three output choices.
/// Backward is backpropagation through time from the same equations.
/// </summary>
internal sealed class RecurrentReference(NetworkDescription n, LayerDescription l) : ReferenceLayer(n, l)
{
    private int H => Layer.Int("hidden_size");
    private int L => Layer.Int("num_layers");
    private int D => Layer.Bool("bidirectional") ? 2 : 1;
    private int T => Layer.InputShape[0];
    private int W => H * D;
    private int Gates => Layer.Kind switch { LayerKindNames.LSTM => 4, LayerKindNames.GRU => 3, _ => 1 };
    private string Output => Layer.Option("output").Value as string ?? "sequence";
    private bool Relu => Layer.Kind == LayerKindNames.RNN && (string)Layer.Option("nonlinearity").Value == "relu";
    private int In(int k) => k == 0 ? Layer.InputShape[1] : W;
    private static string Suffix(int k, int d) => "l" + k + (d == 1 ? "_reverse" : "");

    // What the last forward pass kept: each stacked layer's input and output sequence, the dropout masks, and per
    // (layer, direction, sample, step) the gates' activations and the kept state (LSTM's c, GRU's h·W_hnᵀ + b_hn).
    private double[][] _inputs = [], _outputs = [], _masks = [];
    private double[][][] _gates = [], _kept = [];

    public override double[] Forward(ReferenceContext c, double[][] inputs)
    {
        int batch = c.Batch;
        _inputs = new double[L][];
        _outputs = new double[L][];
        _masks = new double[L][];
        _gates = new double[L][][];
        _kept = new double[L][][];
        var x = inputs[0];
        for (int k = 0; k < L; k++)
        {
            _inputs[k] = x;
            var y = new double[batch * T * W];
            _gates[k] = new double[D][];
            _kept[k] = new double[D][];
            for (int d = 0; d < D; d++) Direction(c, k, d, x, y, batch);
            _outputs[k] = y;
            if (k == L - 1) break;
            double p = Layer.Double("dropout");
            if (c.Training && p > 0)
            {
                ulong key = c.RecurrentDropoutKey(Layer.Index, k);
                var mask = new double[y.Length];
                var dropped = new double[y.Length];
                for (int i = 0; i < y.Length; i++)
                {
                    mask[i] = CounterRandom.Uniform(key, (ulong)i) < (float)p ? 0 : 1 / (1 - p);
                    dropped[i] = y[i] * mask[i];
                }
                _masks[k] = mask;
                x = dropped;
            }
            else
            {
                x = y;
            }
        }
        return Select(_outputs[L - 1], batch);
    }

    private double[] Select(double[] seq, int batch)
    {
        if (Output == "sequence") return (double[])seq.Clone();
        var y = new double[batch * W];
        for (int n = 0; n < batch; n++)
            for (int d = 0; d < D; d++)
            {
                // The last step, or h_n: the step each direction ends at (the first step for the backward direction).
                int t = Output == "final_hidden" && d == 1 ? 0 : T - 1;
                for (int j = 0; j < H; j++) y[n * W + d * H + j] = seq[(n * T + t) * W + d * H + j];
            }
        return y;
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>One direction of stacked layer k over every sample: h_t into columns [d·H, (d+1)·H) of <paramref name="y"/>.</summary>
    private void Direction(ReferenceContext c, int k, int d, double[] x, double[] y, int batch)
    {
        var p = c.Parameters;
        string s = Suffix(k, d);
        int wih = Param("weight_ih_" + s), whh = Param("weight_hh_" + s);
        int bih = HasParam("bias_ih_" + s) ? Param("bias_ih_" + s) : -1, bhh = HasParam("bias_hh_" + s) ? Param("bias_hh_" + s) : -1;
        int f = In(k), g = Gates * H;
        var gates = new double[batch * T * g];
        var kept = new double[batch * T * H];
        _gates[k][d] = gates;
        _kept[k][d] = kept;
        for (int n = 0; n < batch; n++)
        {
            var h = new double[H];
            var cell = new double[H];
            for (int step = 0; step < T; step++)
            {
                int t = d == 0 ? step : T - 1 - step;
                // a = x_t·W_ihᵀ + b_ih and u = h_{t−1}·W_hhᵀ + b_hh, every gate row.
                var a = new double[g];
                var u = new double[g];
                for (int row = 0; row < g; row++)
                {
                    double sa = bih >= 0 ? p[bih + row] : 0, su = bhh >= 0 ? p[bhh + row] : 0;
                    for (int i = 0; i < f; i++) sa += p[wih + row * f + i] * x[(n * T + t) * f + i];
                    for (int i = 0; i < H; i++) su += p[whh + row * H + i] * h[i];
                    a[row] = sa;
                    u[row] = su;
                }
                var act = new Span<double>(gates, (n * T + t) * g, g);
                var hNew = new double[H];
                for (int j = 0; j < H; j++)
                {
                    switch (Layer.Kind)
                    {
                        case LayerKindNames.LSTM:
                        {
                            double ig = Sigmoid(a[j] + u[j]), fg = Sigmoid(a[H + j] + u[H + j]);
                            double gg = Math.Tanh(a[2 * H + j] + u[2 * H + j]), og = Sigmoid(a[3 * H + j] + u[3 * H + j]);
                            cell[j] = fg * cell[j] + ig * gg;
                            hNew[j] = og * Math.Tanh(cell[j]);
                            (act[j], act[H + j], act[2 * H + j], act[3 * H + j]) = (ig, fg, gg, og);
                            kept[(n * T + t) * H + j] = cell[j];
                            break;
                        }
                        case LayerKindNames.GRU:
                        {
                            double r = Sigmoid(a[j] + u[j]), z = Sigmoid(a[H + j] + u[H + j]);
                            double nn = Math.Tanh(a[2 * H + j] + r * u[2 * H + j]);
                            hNew[j] = (1 - z) * nn + z * h[j];
                            (act[j], act[H + j], act[2 * H + j]) = (r, z, nn);
                            kept[(n * T + t) * H + j] = u[2 * H + j];
                            break;
                        }
                        default:
                        {
                            double v = a[j] + u[j];
                            hNew[j] = Relu ? Math.Max(0, v) : Math.Tanh(v);
                            act[j] = v;
                            break;
                        }
                    }
                }
                h = hNew;
                for (int j = 0; j < H; j++) y[(n * T + t) * W + d * H + j] = h[j];
            }
        }
    }

    public override void Backward(ReferenceContext c, double[][] inputs, double[] output, double[] dy, double[][] dx)
    {
        int batch = c.Batch;
        // dL/d(the last stacked layer's sequence).
        var dSeq = new double[batch * T * W];
        if (Output == "sequence") Array.Copy(dy, dSeq, dSeq.Length);
        else
            for (int n = 0; n < batch; n++)
                for (int d = 0; d < D; d++)
                {
                    int t = Output == "final_hidden" && d == 1 ? 0 : T - 1;
                    for (int j = 0; j < H; j++) dSeq[(n * T + t) * W + d * H + j] += dy[n * W + d * H + j];
                }
        for (int k = L - 1; k >= 0; k--)
        {
            var dIn = new double[batch * T * In(k)];
            for (int d = 0; d < D; d++) DirectionBackward(c, k, d, dSeq, dIn, batch);
            if (k == 0)
            {
                Array.Copy(dIn, dx[0], dIn.Length);
                break;
            }
            if (_masks[k - 1] is { } mask)
                for (int i = 0; i < dIn.Length; i++) dIn[i] *= mask[i];
            dSeq = dIn;
        }
    }

    private void DirectionBackward(ReferenceContext c, int k, int d, double[] dSeq, double[] dIn, int batch)
    {
        var p = c.Parameters;
        var grad = c.Gradients!;
        string s = Suffix(k, d);
        int wih = Param("weight_ih_" + s), whh = Param("weight_hh_" + s);
        int bih = HasParam("bias_ih_" + s) ? Param("bias_ih_" + s) : -1, bhh = HasParam("bias_hh_" + s) ? Param("bias_hh_" + s) : -1;
        int f = In(k), g = Gates * H;
        var x = _inputs[k];
        var y = _outputs[k];
        var gates = _gates[k][d];
        var kept = _kept[k][d];
        for (int n = 0; n < batch; n++)
        {
            var dhNext = new double[H]; // dL/dh_t through step t + 1 (in processing order)
            var dcNext = new double[H]; // LSTM: dL/dc_t through step t + 1
            for (int step = T - 1; step >= 0; step--)
            {
                int t = d == 0 ? step : T - 1 - step, tp = d == 0 ? t - 1 : t + 1;
                bool first = step == 0;
                double HPrev(int j) => first ? 0 : y[(n * T + tp) * W + d * H + j];
                var da = new double[g]; // dL/d(x_t·W_ihᵀ + b_ih)
                var du = new double[g]; // dL/d(h_{t−1}·W_hhᵀ + b_hh)
                var dhPrev = new double[H];
                int at = (n * T + t) * g;
                for (int j = 0; j < H; j++)
                {
                    double dh = dSeq[(n * T + t) * W + d * H + j] + dhNext[j];
                    switch (Layer.Kind)
                    {
                        case LayerKindNames.LSTM:
                        {
                            double ig = gates[at + j], fg = gates[at + H + j], gg = gates[at + 2 * H + j], og = gates[at + 3 * H + j];
                            double ct = kept[(n * T + t) * H + j], cPrev = first ? 0 : kept[(n * T + tp) * H + j];
                            double tc = Math.Tanh(ct);
                            double dc = dcNext[j] + dh * og * (1 - tc * tc);
                            da[j] = dc * gg * ig * (1 - ig);
                            da[H + j] = dc * cPrev * fg * (1 - fg);
                            da[2 * H + j] = dc * ig * (1 - gg * gg);
                            da[3 * H + j] = dh * tc * og * (1 - og);
                            dcNext[j] = dc * fg;
                            break;
                        }
                        case LayerKindNames.GRU:
                        {
                            double r = gates[at + j], z = gates[at + H + j], nn = gates[at + 2 * H + j], un = kept[(n * T + t) * H + j];
                            double dnPre = dh * (1 - z) * (1 - nn * nn);
                            da[j] = dnPre * un * r * (1 - r);
                            da[H + j] = dh * (HPrev(j) - nn) * z * (1 - z);
                            da[2 * H + j] = dnPre;
                            du[2 * H + j] = dnPre * r;
                            dhPrev[j] = dh * z;
                            break;
                        }
                        default:
                        {
                            double v = gates[at + j];
                            da[j] = dh * (Relu ? (v > 0 ? 1 : 0) : 1 - Math.Tanh(v) * Math.Tanh(v));
                            break;
                        }
                    }
                }
                for (int row = 0; row < g; row++)
                    if (!(Layer.Kind == LayerKindNames.GRU && row >= 2 * H)) du[row] = da[row];
                for (int row = 0; row < g; row++)
                {
                    if (bih >= 0) grad[bih + row] += da[row];
                    if (bhh >= 0) grad[bhh + row] += du[row];
                    for (int i = 0; i < f; i++)
                    {
                        grad[wih + row * f + i] += da[row] * x[(n * T + t) * f + i];
                        dIn[(n * T + t) * f + i] += da[row] * p[wih + row * f + i];
                    }
                    for (int i = 0; i < H; i++)
                    {
                        grad[whh + row * H + i] += du[row] * HPrev(i);
                        dhPrev[i] += du[row] * p[whh + row * H + i];
                    }
                }
                dhNext = dhPrev;
            }
        }
    }

    public override void Initialize(float[] parameters, float[] buffers, ulong seed)
    {
        // U(−1/√hidden, 1/√hidden) for every tensor, as nn.RNNBase.reset_parameters.
        for (int k = 0; k < L; k++)
            for (int d = 0; d < D; d++)
                foreach (var name in new[] { "weight_ih_", "weight_hh_", "bias_ih_", "bias_hh_" })
                    if (HasParam(name + Suffix(k, d))) Uniform(parameters, name + Suffix(k, d), H, seed);
    }
}
