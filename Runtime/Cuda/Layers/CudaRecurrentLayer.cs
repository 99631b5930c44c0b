using System;

namespace SourceGenNN.Cuda;

/// <summary>
/// RNN, LSTM and GRU on the GPU, stacked and bidirectional, with PyTorch's gate order and equations (the CPU's
/// <c>Recurrent</c> kernels and <c>Testing/RecurrentReference</c> compute the same).
/// <para>
/// Forward, per stacked layer and direction: one cuBLAS product projects every step's input at once,
/// <c>pre[batch·T, G] = x·W_ihᵀ</c> (G = gates·H). Then, step by step in processing order s (t = s forward,
/// T − 1 − s backward), one product <c>u = h_(s−1)·W_hhᵀ</c> and one fused kernel that adds both biases, applies the
/// gates and updates the state, writing h into the output sequence and keeping what backward needs.
/// </para>
/// <para>
/// What is kept is time-major in processing order ([s, batch, ·]), so that backward's weight gradients are one product
/// each over all steps: <c>dW_hh = Σ_s du_sᵀ·h_(s−1)</c> is <c>DU[1..T)ᵀ·S[0..T−1)</c>. The input-side gradient
/// <c>da</c> is written batch-major ([batch, T, G], where the forward pass kept the input projection), so that
/// <c>dW_ih = daᵀ·x</c> and <c>dx = da·W_ih</c> are one product each too. Backward through time runs one fused kernel
/// and one product <c>dh_(s−1) = du_s·W_hh</c> per step. No atomics: the results are deterministic.
/// </para>
/// The initial state is zero. Dropout between stacked layers draws the CPU's masks (the same counter-based keys).
/// </summary>
internal sealed class CudaRecurrentLayer(NetworkDescription network, LayerDescription layer) : CudaLayer(network, layer)
{
    private const string FillKernel = "sgnn_rnn_fill";
    private const string SelectKernel = "sgnn_rnn_select";
    private const string ScatterKernel = "sgnn_rnn_select_backward";

    // Per stacked layer k and direction d (index k·D + d).
    private DeviceBuffer[] _pre = [];    // [batch, T, G]: x·W_ihᵀ in forward; da (dL/d of it) in backward
    private DeviceBuffer[] _gates = [];  // [T, batch, G] time-major: the gates' activations (RNN: the pre-activation)
    private DeviceBuffer[] _states = []; // [T, batch, H]: h after each step
    private DeviceBuffer[] _kept = [];   // [T, batch, H]: LSTM's cell c, GRU's h·W_hnᵀ + b_hn; unused for RNN
    private DeviceBuffer[] _du = [];     // [T, batch, G]: dL/d(h·W_hhᵀ + b_hh), time-major
    // Per stacked layer k: its output sequence (the layer's own output for the last one when that is the sequence),
    // and, between layers in training with dropout, the mask and the dropped sequence the next layer reads.
    private DeviceBuffer?[] _sequence = [], _mask = [], _dropped = [];
    private DeviceBuffer? _recurrent, _dh, _dc, _dSeqA, _dSeqB;

    private int H => Layer.Int("hidden_size");

    private int L => Layer.Int("num_layers");

    private int D => Layer.Bool("bidirectional") ? 2 : 1;

    private int T => Layer.InputShape[0];

    private int W => H * D;

    private int G => Gates * H;

    private int Gates => Layer.Kind switch { LayerKindNames.LSTM => 4, LayerKindNames.GRU => 3, _ => 1 };

    private string Output => Layer.Option("output").Value as string ?? "sequence";

    private bool ReturnsSequence => Output == "sequence";

    private bool Relu => Layer.Kind == LayerKindNames.RNN && (string)Layer.Option("nonlinearity").Value == "relu";

    private float DropoutP => (float)Layer.Double("dropout");

    private bool HasBias => Layer.Bool("bias");

    private int InputSize(int k) => k == 0 ? Layer.InputShape[1] : W;

    private static string Suffix(int k, int d) => "l" + k + (d == 1 ? "_reverse" : "");

    private string StepKernel => Layer.Kind switch { LayerKindNames.LSTM => "sgnn_lstm_step", LayerKindNames.GRU => "sgnn_gru_step", _ => "sgnn_rnn_step" };

    private string StepBackwardKernel => StepKernel + "_backward";

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        b.Kernel(StepKernel, Layer.Kind switch { LayerKindNames.LSTM => LstmStepCode, LayerKindNames.GRU => GruStepCode, _ => RnnStepCode });
        if (!ReturnsSequence) b.Kernel(SelectKernel, SelectCode);
        if (b.Training && L > 1 && DropoutP > 0)
        {
            b.Random();
            b.Kernel(CudaDropoutLayer.ForwardKernel, CudaDropoutLayer.Code);
            if (backward) b.Kernel(CudaKernelSource.Multiply, CudaKernelSource.MultiplyCode);
        }
        if (!backward) return;
        b.Kernel(StepBackwardKernel, Layer.Kind switch { LayerKindNames.LSTM => LstmBackwardCode, LayerKindNames.GRU => GruBackwardCode, _ => RnnBackwardCode });
        if (!ReturnsSequence) b.Kernel(ScatterKernel, ScatterCode);
        if (T == 1) b.Kernel(FillKernel, FillCode);
        if (HasBias) b.Kernel(CudaKernelSource.ColumnSum, CudaKernelSource.ColumnSumCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        int n = L * D;
        long seq = (long)maxBatch * T * W, gates = (long)maxBatch * T * G, states = (long)maxBatch * T * H;
        _pre = new DeviceBuffer[n];
        _gates = new DeviceBuffer[n];
        _states = new DeviceBuffer[n];
        _kept = new DeviceBuffer[n];
        _du = new DeviceBuffer[n];
        for (int i = 0; i < n; i++)
        {
            _pre[i] = c.Allocate(gates);
            _gates[i] = c.Allocate(gates);
            _states[i] = c.Allocate(states);
            _kept[i] = c.Allocate(Layer.Kind == LayerKindNames.RNN ? 1 : states);
            if (training) _du[i] = c.Allocate(gates);
        }
        _sequence = new DeviceBuffer?[L];
        _mask = new DeviceBuffer?[L];
        _dropped = new DeviceBuffer?[L];
        for (int k = 0; k < L; k++)
        {
            if (k < L - 1 || !ReturnsSequence) _sequence[k] = c.Allocate(seq);
            if (training && k < L - 1 && DropoutP > 0)
            {
                _mask[k] = c.Allocate(seq);
                _dropped[k] = c.Allocate(seq);
            }
        }
        _recurrent = c.Allocate((long)maxBatch * G);
        if (!training) return;
        _dh = c.Allocate((long)maxBatch * H);
        _dc = c.Allocate((long)maxBatch * H);
        _dSeqA = c.Allocate(seq);
        if (L > 1) _dSeqB = c.Allocate(seq);
    }

    /// <summary>Stacked layer <paramref name="k"/>'s output sequence [batch, T, H·D].</summary>
    private IntPtr Sequence(int k, StepTensors t) => _sequence[k]?.Pointer ?? t.Output;

    /// <summary>What stacked layer <paramref name="k"/> reads: the network tensor, or the previous layer's (dropped) sequence.</summary>
    private IntPtr LayerInput(int k, StepTensors t, bool training) =>
        k == 0 ? t.Input : training && _dropped[k - 1] is { } dropped ? dropped.Pointer : Sequence(k - 1, t);

    private IntPtr Param(CudaContext c, string name) => c.Param(Offset(name));

    private IntPtr BiasParam(CudaContext c, string name) => HasBias ? c.Param(Offset(name)) : IntPtr.Zero;

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        for (int k = 0; k < L; k++)
        {
            IntPtr x = LayerInput(k, t, training), y = Sequence(k, t);
            for (int d = 0; d < D; d++) DirectionForward(c, k, d, x, y, batch);
            if (k < L - 1 && training && _dropped[k] is { } dropped)
            {
                // Dropout between stacked layers k and k + 1, the Dropout layer's kernel with the CPU's key for this gap
                // (Recurrent.DropoutKey: the seed told apart per gap), its mask kept for backward.
                long n = (long)batch * T * W;
                c.Elementwise(CudaDropoutLayer.ForwardKernel, n, KernelArg.Ptr(y), KernelArg.Ptr(dropped.Pointer), KernelArg.Ptr(_mask[k]!.Pointer), KernelArg.Int((int)n),
                    KernelArg.Float(DropoutP), KernelArg.U64(c.Seed ^ ((ulong)(uint)(k + 1) << 32)), KernelArg.Int(Layer.Index), KernelArg.Ptr(c.Counters));
            }
        }
        if (!ReturnsSequence)
            c.Elementwise(SelectKernel, (long)batch * W, KernelArg.Ptr(Sequence(L - 1, t)), KernelArg.Ptr(t.Output), KernelArg.Int(batch),
                KernelArg.Int(T), KernelArg.Int(H), KernelArg.Int(D), KernelArg.Int(Output == "final_hidden" ? 1 : 0));
    }

    private void DirectionForward(CudaContext c, int k, int d, IntPtr x, IntPtr y, int batch)
    {
        int i = k * D + d, f = InputSize(k);
        string s = Suffix(k, d);
        IntPtr whh = Param(c, "weight_hh_" + s), states = _states[i].Pointer;
        // The input projection of every step at once: pre[batch·T, G] = x[batch·T, f]·W_ihᵀ (the biases are added per step).
        c.Gemm(false, true, batch * T, G, f, 1f, x, Param(c, "weight_ih_" + s), 0f, _pre[i].Pointer);
        for (int step = 0; step < T; step++)
        {
            // u = h_(s−1)·W_hhᵀ; at the first step h = 0, so the kernel takes u = 0 (a null pointer).
            if (step > 0) c.Gemm(false, true, batch, G, H, 1f, At(states, step - 1, batch, H), whh, 0f, _recurrent!.Pointer);
            c.Elementwise(StepKernel, (long)batch * H, KernelArg.Ptr(_pre[i].Pointer), KernelArg.Ptr(step > 0 ? _recurrent!.Pointer : IntPtr.Zero),
                KernelArg.Ptr(BiasParam(c, "bias_ih_" + s)), KernelArg.Ptr(BiasParam(c, "bias_hh_" + s)), KernelArg.Ptr(_gates[i].Pointer),
                KernelArg.Ptr(states), KernelArg.Ptr(_kept[i].Pointer), KernelArg.Ptr(y), KernelArg.Int(batch), KernelArg.Int(T), KernelArg.Int(H),
                KernelArg.Int(D), KernelArg.Int(d), KernelArg.Int(step), KernelArg.Int(Relu ? 1 : 0));
        }
    }

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        long seq = (long)batch * T * W;
        // dL/d(the last stacked layer's sequence): the output gradient itself, or the selected steps' gradients scattered.
        IntPtr dSeq = t.OutputGradient;
        if (!ReturnsSequence)
        {
            dSeq = _dSeqA!.Pointer;
            c.Elementwise(ScatterKernel, seq, KernelArg.Ptr(t.OutputGradient), KernelArg.Ptr(dSeq), KernelArg.Int(batch), KernelArg.Int(T),
                KernelArg.Int(H), KernelArg.Int(D), KernelArg.Int(Output == "final_hidden" ? 1 : 0));
        }
        for (int k = L - 1; k >= 0; k--)
        {
            IntPtr x = LayerInput(k, t, training: true);
            for (int d = 0; d < D; d++) DirectionBackward(c, k, d, x, dSeq, batch);
            // dL/d(this layer's input) = Σ_d da_d·W_ih,d: the network's input gradient, or the previous layer's dSeq.
            IntPtr dx = k == 0 ? t.InputGradient : dSeq == _dSeqA?.Pointer ? _dSeqB!.Pointer : _dSeqA!.Pointer;
            if (dx == IntPtr.Zero) break;
            for (int d = 0; d < D; d++)
                c.Gemm(false, false, batch * T, InputSize(k), G, 1f, _pre[k * D + d].Pointer, Param(c, "weight_ih_" + Suffix(k, d)), d == 0 ? 0f : 1f, dx);
            if (k > 0 && _mask[k - 1] is { } mask)
                c.Elementwise(CudaKernelSource.Multiply, seq, KernelArg.Ptr(dx), KernelArg.Ptr(mask.Pointer), KernelArg.Ptr(dx), KernelArg.Int((int)seq));
            dSeq = dx;
        }
    }

    private void DirectionBackward(CudaContext c, int k, int d, IntPtr x, IntPtr dSeq, int batch)
    {
        int i = k * D + d, f = InputSize(k);
        string s = Suffix(k, d);
        IntPtr whh = Param(c, "weight_hh_" + s), states = _states[i].Pointer, da = _pre[i].Pointer, du = _du[i].Pointer;
        for (int step = T - 1; step >= 0; step--)
        {
            // The fused kernel adds dh_s = dSeq + (what step s + 1 sent back), and writes da (batch-major) and du_s.
            c.Elementwise(StepBackwardKernel, (long)batch * H, KernelArg.Ptr(dSeq), KernelArg.Ptr(_dh!.Pointer), KernelArg.Ptr(_dc!.Pointer),
                KernelArg.Ptr(_gates[i].Pointer), KernelArg.Ptr(states), KernelArg.Ptr(_kept[i].Pointer), KernelArg.Ptr(da), KernelArg.Ptr(du),
                KernelArg.Int(batch), KernelArg.Int(T), KernelArg.Int(H), KernelArg.Int(D), KernelArg.Int(d), KernelArg.Int(step), KernelArg.Int(Relu ? 1 : 0));
            // dh_(s−1) = du_s·W_hh (GRU: plus the direct path dh_s·z, which the kernel left in dh: β = 1).
            if (step > 0)
                c.Gemm(false, false, batch, H, G, 1f, At(du, step, batch, G), whh, Layer.Kind == LayerKindNames.GRU ? 1f : 0f, _dh.Pointer);
        }
        // The weight gradients, each one product over all steps (overwritten).
        c.Gemm(true, false, G, f, batch * T, 1f, da, x, 0f, c.Grad(Offset("weight_ih_" + s)));
        IntPtr dWhh = c.Grad(Offset("weight_hh_" + s));
        if (T > 1) c.Gemm(true, false, G, H, (T - 1) * batch, 1f, At(du, 1, batch, G), states, 0f, dWhh);
        else c.Elementwise(FillKernel, (long)G * H, KernelArg.Ptr(dWhh), KernelArg.Int(G * H)); // h_(−1) = 0
        if (!HasBias) return;
        c.ColumnSums(da, c.Grad(Offset("bias_ih_" + s)), batch * T, G);
        c.ColumnSums(du, c.Grad(Offset("bias_hh_" + s)), batch * T, G);
    }

    /// <summary>Row block <paramref name="step"/> of a time-major [T, batch, width] buffer.</summary>
    private static IntPtr At(IntPtr buffer, int step, int batch, int width) => buffer + (nint)((long)step * batch * width * sizeof(float));

    // The step kernels, forward and backward, are each a signature, a shared prelude (the thread's indices, said in its
    // comment), the kind's own equations and a shared ending.
    /// <summary>Kernel source pieces joined line by line (a raw string drops its last newline).</summary>
    private static string Join(params string[] parts) => string.Join("\n", parts) + "\n";

    private const string StepPrelude = """
    // Thread (n, j): sample n, hidden unit j, at step s of the processing order; t = s, or T − 1 − s for the reverse
    // direction (d = 1). pre is [batch, T, G]; u = h_(s−1)·W_hhᵀ is [batch, G], null at s = 0 (h_(−1) = 0), and the
    // biases may be null; gates, states and kept are time-major [T, batch, ·]; h_t goes to y[n, t, d·H + j].
    int t = d == 0 ? s : T - 1 - s, G = GATES * H, W = D * H;
    SGNN_LOOP(e, (long long)batch * H)
    {
        int n = (int)(e / H), j = (int)(e - (long long)n * H);
        const float* a = pre + ((long long)n * T + t) * G;
        const float* r = u != 0 ? u + (long long)n * G : 0;
        float* act = gates + ((long long)s * batch + n) * G;
        long long at = ((long long)s * batch + n) * H + j, prev = at - (long long)batch * H;
#define SGNN_GATE(q) (a[(q) * H + j] + (bih != 0 ? bih[(q) * H + j] : 0.0f) + (r != 0 ? r[(q) * H + j] : 0.0f) + (bhh != 0 ? bhh[(q) * H + j] : 0.0f))
""";

    private const string StepEpilogue = """
#undef SGNN_GATE
        states[at] = h;
        y[((long long)n * T + t) * W + d * H + j] = h;
    }
}
""";

    private const string StepSignature = "(const float* pre, const float* u, const float* bih, const float* bhh, float* gates, float* states, float* kept, float* y, int batch, int T, int H, int D, int d, int s, int relu)\n{";

    private static readonly string RnnStepCode = Join("""
// RNN step: h_t = tanh (or ReLU) of x_t·W_ihᵀ + b_ih + h_(t−1)·W_hhᵀ + b_hh; the pre-activation is kept.
#define GATES 1
""", "extern \"C\" __global__ void $NAME" + StepSignature, StepPrelude, """
        float v = SGNN_GATE(0);
        act[j] = v;
        float h = relu ? fmaxf(v, 0.0f) : tanhf(v);
""", StepEpilogue, "#undef GATES");

    private static readonly string LstmStepCode = Join("""
// LSTM step, gates i, f, g, o: c_t = f·c_(t−1) + i·g, h_t = o·tanh(c_t). The gates' activations and c_t are kept.
#define GATES 4
""", "extern \"C\" __global__ void $NAME" + StepSignature, StepPrelude, """
        float ig = 1.0f / (1.0f + expf(-SGNN_GATE(0))), fg = 1.0f / (1.0f + expf(-SGNN_GATE(1)));
        float gg = tanhf(SGNN_GATE(2)), og = 1.0f / (1.0f + expf(-SGNN_GATE(3)));
        float cell = fg * (s > 0 ? kept[prev] : 0.0f) + ig * gg;
        act[j] = ig; act[H + j] = fg; act[2 * H + j] = gg; act[3 * H + j] = og;
        kept[at] = cell;
        float h = og * tanhf(cell);
""", StepEpilogue, "#undef GATES");

    private static readonly string GruStepCode = Join("""
// GRU step, gates r, z, n: n = tanh(x·W_inᵀ + b_in + r·(h_(t−1)·W_hnᵀ + b_hn)), h_t = (1 − z)·n + z·h_(t−1), as PyTorch
// (b_hn inside the reset product). The activations and h_(t−1)·W_hnᵀ + b_hn are kept.
#define GATES 3
""", "extern \"C\" __global__ void $NAME" + StepSignature, StepPrelude, """
        float rg = 1.0f / (1.0f + expf(-SGNN_GATE(0))), zg = 1.0f / (1.0f + expf(-SGNN_GATE(1)));
        float un = (r != 0 ? r[2 * H + j] : 0.0f) + (bhh != 0 ? bhh[2 * H + j] : 0.0f);
        float ng = tanhf(a[2 * H + j] + (bih != 0 ? bih[2 * H + j] : 0.0f) + rg * un);
        act[j] = rg; act[H + j] = zg; act[2 * H + j] = ng;
        kept[at] = un;
        float h = (1.0f - zg) * ng + zg * (s > 0 ? states[prev] : 0.0f);
""", StepEpilogue, "#undef GATES");

    // The backward step kernels, one thread per (n, j) of step s, in reverse processing order: dh = dSeq[n, t, d·H + j]
    // plus dh[n, j] (what step s + 1 sent back; none at the last step). They write da at [n, t] of the batch-major
    // buffer (the forward pass's input projection, no longer needed), du at step s of the time-major one, and what
    // step s − 1 needs besides du·W_hh: LSTM's dc in place, GRU's direct path dh·z into dh.
    private const string BackwardSignature = "(const float* dseq, float* dh, float* dc, const float* gates, const float* states, const float* kept, float* da, float* du, int batch, int T, int H, int D, int d, int s, int relu)\n{";

    private const string BackwardPrelude = """
    // Thread (n, j) at step s, in reverse processing order. dh = dL/dh_t: the sequence's gradient plus what step s + 1
    // sent back (none at s = T − 1). da goes to [n, t] of the batch-major [batch, T, G] buffer, du to step s of the
    // time-major [T, batch, G] one.
    int t = d == 0 ? s : T - 1 - s, G = GATES * H, W = D * H;
    SGNN_LOOP(e, (long long)batch * H)
    {
        int n = (int)(e / H), j = (int)(e - (long long)n * H);
        const float* act = gates + ((long long)s * batch + n) * G;
        float* a = da + ((long long)n * T + t) * G;
        float* b = du + ((long long)s * batch + n) * G;
        long long at = ((long long)s * batch + n) * H + j, prev = at - (long long)batch * H;
        float g = dseq[((long long)n * T + t) * W + d * H + j] + (s < T - 1 ? dh[e] : 0.0f);
""";

    private static readonly string RnnBackwardCode = Join("""
// RNN backward step: da = du = dh·(1 − tanh²(v)) or dh·[v > 0].
#define GATES 1
""", "extern \"C\" __global__ void $NAME" + BackwardSignature, BackwardPrelude, """
        float v = act[j], th = tanhf(v);
        float dv = g * (relu ? (v > 0.0f ? 1.0f : 0.0f) : 1.0f - th * th);
        a[j] = dv; b[j] = dv;
    }
}
#undef GATES
""");

    private static readonly string LstmBackwardCode = Join("""
// LSTM backward step: dc = dc_(t+1) + dh·o·(1 − tanh²c); di = dc·g·i(1 − i), df = dc·c_(t−1)·f(1 − f),
// dg = dc·i·(1 − g²), do = dh·tanh(c)·o(1 − o); dc_(t−1) = dc·f. du = da.
#define GATES 4
""", "extern \"C\" __global__ void $NAME" + BackwardSignature, BackwardPrelude, """
        float ig = act[j], fg = act[H + j], gg = act[2 * H + j], og = act[3 * H + j];
        float tc = tanhf(kept[at]), cp = s > 0 ? kept[prev] : 0.0f;
        float c = (s < T - 1 ? dc[e] : 0.0f) + g * og * (1.0f - tc * tc);
        float v0 = c * gg * ig * (1.0f - ig), v1 = c * cp * fg * (1.0f - fg), v2 = c * ig * (1.0f - gg * gg), v3 = g * tc * og * (1.0f - og);
        a[j] = v0; a[H + j] = v1; a[2 * H + j] = v2; a[3 * H + j] = v3;
        b[j] = v0; b[H + j] = v1; b[2 * H + j] = v2; b[3 * H + j] = v3;
        dc[e] = c * fg;
    }
}
#undef GATES
""");

    private static readonly string GruBackwardCode = Join("""
// GRU backward step: dn' = dh·(1 − z)·(1 − n²); dr = dn'·un·r(1 − r), dz = dh·(h_(t−1) − n)·z(1 − z), da_n = dn', and on
// the hidden side du_n = dn'·r (the reset product). The direct path dh·z to h_(t−1) is left in dh.
#define GATES 3
""", "extern \"C\" __global__ void $NAME" + BackwardSignature, BackwardPrelude, """
        float rg = act[j], zg = act[H + j], ng = act[2 * H + j], un = kept[at], hp = s > 0 ? states[prev] : 0.0f;
        float dn = g * (1.0f - zg) * (1.0f - ng * ng);
        float dr = dn * un * rg * (1.0f - rg), dz = g * (hp - ng) * zg * (1.0f - zg);
        a[j] = dr; a[H + j] = dz; a[2 * H + j] = dn;
        b[j] = dr; b[H + j] = dz; b[2 * H + j] = dn * rg;
        dh[e] = g * zg;
    }
}
#undef GATES
""");

    private const string SelectCode = """
// The output of one step per direction: y[n, d·H + j] = seq[n, t_d, d·H + j], t_d = T − 1 (the last step), or for
// h_n (finalHidden) of the reverse direction t_1 = 0, where it ends.
extern "C" __global__ void $NAME(const float* seq, float* y, int batch, int T, int H, int D, int finalHidden)
{
    int W = D * H;
    SGNN_LOOP(e, (long long)batch * W)
    {
        int n = (int)(e / W), col = (int)(e - (long long)n * W);
        int t = finalHidden && col >= H ? 0 : T - 1;
        y[e] = seq[((long long)n * T + t) * W + col];
    }
}

""";

    private const string ScatterCode = """
// The gradient of the selection: dseq is dy at the selected step of each direction and zero elsewhere.
extern "C" __global__ void $NAME(const float* dy, float* dseq, int batch, int T, int H, int D, int finalHidden)
{
    int W = D * H;
    SGNN_LOOP(e, (long long)batch * T * W)
    {
        int col = (int)(e % W), t = (int)((e / W) % T), n = (int)(e / ((long long)W * T));
        int selected = finalHidden && col >= H ? 0 : T - 1;
        dseq[e] = t == selected ? dy[(long long)n * W + col] : 0.0f;
    }
}

""";

    private const string FillCode = """
// x = 0.
extern "C" __global__ void $NAME(float* x, int n)
{
    SGNN_LOOP(i, n) x[i] = 0.0f;
}

""";
}
