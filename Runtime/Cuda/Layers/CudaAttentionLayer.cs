using System;

namespace SourceGenNN.Cuda;

/// <summary>
/// MultiheadAttention and ScaledDotProductAttention on the GPU, with the CPU kernel's semantics
/// (<see cref="Kernels.Attention"/>): per sample n and head h, <c>weights = softmax(q_h·k_hᵀ/√d)</c> over the keys the
/// query sees (a prefix: the sample's key length, and keys 0..t when causal; 0 elsewhere, and a row with no key gets
/// weights and a context of 0), <c>context_h = dropout(weights)·v_h</c>.
/// <list type="bullet">
/// <item>MultiheadAttention projects the queries, keys and values with cuBLAS, plus <c>in_proj_bias</c>, and ends with
/// <c>out_proj</c>. Self-attention with kdim = vdim = E is one GEMM by the whole <c>in_proj_weight</c> [3E, E], q, k and
/// v side by side in rows of 3E; otherwise one GEMM per role (rows of <c>in_proj_weight</c>, or <c>q/k/v_proj_weight</c>)
/// into [rows, E] buffers. ScaledDotProductAttention reads its input tensors directly, its output is the context.</item>
/// <item>The scores and the weighted sum are strided batched GEMMs: one call per head covers every sample, a head being
/// the columns h·d.. of each row (leading dimension: the tensor's row length; stride: a sample's rows).</item>
/// <item>One fused kernel, one block per row of scores, applies the scale, the mask and the softmax (the row maximum
/// subtracted first, so any score gives finite weights) and, in training, draws the dropout mask: the CPU's counter-based
/// draws, so the GPU drops the same weights.</item>
/// </list>
/// Backward: <c>dv = w̃ᵀ·dc</c>, <c>dw = dc·vᵀ</c>, then one kernel per row <c>dz = scale·w ⊙ (dw·m − Σ dw·m ⊙ w)</c>
/// (m the dropout mask; w is 0 at masked keys, so dz is too), <c>dq = dz·k</c>, <c>dk = dzᵀ·q</c>; the projections'
/// gradients by cuBLAS. A tensor read in several roles (self-attention) gets the sum: the first GEMM that writes its
/// gradient overwrites it (β = 0), the others add (β = 1). Deterministic: no atomics.
/// </summary>
internal sealed class CudaAttentionLayer : CudaLayer
{
    private const string SoftmaxKernel = "sgnn_attention_softmax";
    private const string SoftmaxBackwardKernel = "sgnn_attention_softmax_backward";

    private readonly bool _mha, _bias, _causal, _packed, _fused;
    private readonly int _heads, _t, _s, _e, _d, _dv, _keyPort, _valuePort, _lengthsPort;
    private readonly int[] _inFeatures; // q, k, v: the features of the tensor each is read from
    private readonly float _dropout;
    // MultiheadAttention's projections: [q | k | v] rows of 3E (fused) or one [rows, E] buffer per role; their gradients alike.
    private readonly DeviceBuffer?[] _projected = new DeviceBuffer?[3], _projectedGradient = new DeviceBuffer?[3];
    private DeviceBuffer? _context, _weights, _dropped, _mask, _dContext, _dScores;

    public CudaAttentionLayer(NetworkDescription network, LayerDescription layer) : base(network, layer)
    {
        _mha = layer.Kind == LayerKindNames.MultiheadAttention;
        _heads = layer.Int("num_heads");
        _causal = layer.Bool("is_causal");
        _dropout = (float)layer.Double("dropout");
        _keyPort = layer.Int("key");
        _valuePort = layer.Int("value");
        _lengthsPort = layer.Int("key_lengths");
        var shapes = layer.InputShapes;
        _t = shapes[0][0];
        _e = shapes[0][1];
        _s = shapes[_keyPort][0];
        _inFeatures = [_e, shapes[_keyPort][1], shapes[_valuePort][1]];
        _d = _e / _heads;
        _dv = _mha ? _e / _heads : _inFeatures[2] / _heads;
        _bias = _mha && layer.Bool("bias");
        _packed = _mha && _inFeatures[1] == _e && _inFeatures[2] == _e;
        _fused = _packed && _keyPort == 0 && _valuePort == 0;
    }

    /// <summary>1/√d, as the CPU computes it.</summary>
    private float Scale => 1f / MathF.Sqrt(_d);

    /// <summary>The attention weights of one sample: heads·T·S.</summary>
    public int WeightsPerSample => _heads * _t * _s;

    /// <summary>S: the key positions (a key length is a whole number in [0, S]).</summary>
    public int Keys => _s;

    /// <summary>The network input holding each sample's key length, or null.</summary>
    public string? LengthsInput => _lengthsPort >= 0 ? Layer.Inputs[_lengthsPort] : null;

    /// <summary>The weights of the last forward pass, [batch, H, T, S] (before dropout).</summary>
    public DeviceBuffer Weights => _weights ?? throw new InvalidOperationException("The attention layer has not been allocated.");

    /// <summary>The input port of role r (0 q, 1 k, 2 v).</summary>
    private int Port(int role) => role == 0 ? 0 : role == 1 ? _keyPort : _valuePort;

    /// <summary>The positions of role r: T for the queries, S for the keys and values.</summary>
    private int Positions(int role) => role == 0 ? _t : _s;

    public override void Source(CudaSourceBuilder b, bool backward)
    {
        b.Random();
        b.Kernel(SoftmaxKernel, SoftmaxCode);
        if (_bias) CudaActivations.AddForward(b, CudaActivation.Identity);
        if (!backward) return;
        b.Kernel(SoftmaxBackwardKernel, SoftmaxBackwardCode);
        if (_bias) b.Kernel(CudaKernelSource.ColumnSum, CudaKernelSource.ColumnSumCode);
    }

    public override void Allocate(CudaContext c, int maxBatch, bool training)
    {
        long rowsT = (long)maxBatch * _t, rowsS = (long)maxBatch * _s;
        _weights = c.Allocate((long)maxBatch * WeightsPerSample);
        if (_mha)
        {
            AllocateProjections(c, _projected, rowsT, rowsS);
            _context = c.Allocate(rowsT * _e);
        }
        if (!training) return;
        if (_dropout > 0)
        {
            _dropped = c.Allocate((long)maxBatch * WeightsPerSample);
            _mask = c.Allocate((long)maxBatch * WeightsPerSample);
        }
        _dScores = c.Allocate((long)maxBatch * WeightsPerSample);
        if (_mha)
        {
            AllocateProjections(c, _projectedGradient, rowsT, rowsS);
            _dContext = c.Allocate(rowsT * _e);
        }
    }

    // ---- the projections (MultiheadAttention) ------------------------------------------------------------------

    /// <summary>Role r's projection weight [E, in] (rows rE.. of in_proj_weight, or its own tensor) in <paramref name="memory"/>.</summary>
    private IntPtr ProjectionWeight(Func<int, IntPtr> memory, int role) =>
        _packed ? memory(Offset("in_proj_weight") + role * _e * _e) : memory(Offset(role switch { 0 => "q", 1 => "k", _ => "v" } + "_proj_weight"));

    private IntPtr ProjectionBias(Func<int, IntPtr> memory, int role) => memory(Offset("in_proj_bias") + role * _e);

    private void AllocateProjections(CudaContext c, DeviceBuffer?[] buffers, long rowsT, long rowsS)
    {
        if (_fused) buffers[0] = c.Allocate(rowsT * 3 * _e);
        else
            for (int role = 0; role < 3; role++) buffers[role] = c.Allocate((role == 0 ? rowsT : rowsS) * _e);
    }

    /// <summary>Where role r's projection (or its gradient) lies: its columns of the fused [q | k | v] rows, or its own buffer.</summary>
    private (IntPtr Pointer, int Ld) Projection(DeviceBuffer?[] buffers, int role) =>
        _fused ? (buffers[0]!.Pointer + role * _e * sizeof(float), 3 * _e) : (buffers[role]!.Pointer, _e);

    public override void Forward(CudaContext c, StepTensors t, int batch, bool training)
    {
        IntPtr q, k, v, context;
        int qld, kld, vld, cld;
        if (_mha)
        {
            if (_fused)
            {
                // [q | k | v] = x·in_proj_weightᵀ + in_proj_bias: one GEMM, the three side by side in rows of 3E.
                int rows = batch * _t;
                IntPtr y = _projected[0]!.Pointer;
                c.Gemm(false, true, rows, 3 * _e, _e, 1f, t.Input, c.Param(Offset("in_proj_weight")), 0f, y);
                if (_bias) AddBias(c, y, c.Param(Offset("in_proj_bias")), rows, 3 * _e);
            }
            else
            {
                // q, k, v = x·Wᵀ + b: one GEMM per role, from the tensor it reads, into a dense [rows, E] buffer.
                for (int role = 0; role < 3; role++)
                {
                    int rows = batch * Positions(role);
                    IntPtr y = _projected[role]!.Pointer;
                    c.Gemm(false, true, rows, _e, _inFeatures[role], 1f, t.Inputs[Port(role)], ProjectionWeight(c.Param, role), 0f, y);
                    if (_bias) AddBias(c, y, ProjectionBias(c.Param, role), rows, _e);
                }
            }
            (q, qld) = Projection(_projected, 0);
            (k, kld) = Projection(_projected, 1);
            (v, vld) = Projection(_projected, 2);
            (context, cld) = (_context!.Pointer, _e);
        }
        else
        {
            (q, k, v, context) = (t.Inputs[0], t.Inputs[_keyPort], t.Inputs[_valuePort], t.Output);
            (qld, kld, vld, cld) = (_inFeatures[0], _inFeatures[1], _inFeatures[2], _heads * _dv);
        }

        // scores[n, h] = q_h·k_hᵀ (T×S, rows of S): per head one call over the samples.
        IntPtr w = _weights!.Pointer;
        for (int h = 0; h < _heads; h++)
            c.StridedGemm(false, true, _t, _s, _d, 1f, Head(q, h * _d, qld, _t), Head(k, h * _d, kld, _s), 0f, Scores(w, h), batch);

        // The scale, the mask and the softmax in place, row by row; in training with dropout, the mask and the dropped weights.
        bool drop = training && _dropout > 0;
        IntPtr used = drop ? _dropped!.Pointer : w;
        c.Rows(SoftmaxKernel, (int)(batch * (long)_heads * _t), _s, KernelArg.Ptr(w), KernelArg.Ptr(drop ? used : IntPtr.Zero),
            KernelArg.Ptr(drop ? _mask!.Pointer : IntPtr.Zero), KernelArg.Ptr(_lengthsPort >= 0 ? t.Inputs[_lengthsPort] : IntPtr.Zero),
            KernelArg.Int((int)(batch * (long)_heads * _t)), KernelArg.Int(_heads), KernelArg.Int(_t), KernelArg.Int(_s), KernelArg.Int(_causal ? 1 : 0),
            KernelArg.Float(Scale), KernelArg.Float(drop ? _dropout : 0f), KernelArg.U64(c.Seed), KernelArg.Int(Layer.Index), KernelArg.Ptr(c.Counters));

        // context_h = w̃_h·v_h (T×dv), written at columns h·dv of the context rows.
        for (int h = 0; h < _heads; h++)
            c.StridedGemm(false, false, _t, _dv, _s, 1f, Scores(used, h), Head(v, h * _dv, vld, _s), 0f, Head(context, h * _dv, cld, _t), batch);

        if (_mha)
        {
            // y = context·W_oᵀ + b_o (out_proj)
            int rows = batch * _t;
            c.Gemm(false, true, rows, _e, _e, 1f, context, c.Param(Offset("out_proj.weight")), 0f, t.Output);
            if (_bias) AddBias(c, t.Output, c.Param(Offset("out_proj.bias")), rows, _e);
        }
    }

    /// <summary>y[r, c] += bias[c] in place (the identity activation's kernel with a bias).</summary>
    private static void AddBias(CudaContext c, IntPtr y, IntPtr bias, int rows, int cols) =>
        c.Elementwise(CudaActivations.ForwardKernel(CudaActivation.Identity), (long)rows * cols, KernelArg.Ptr(y), KernelArg.Ptr(bias), KernelArg.Ptr(y),
            KernelArg.Int(rows), KernelArg.Int(cols), KernelArg.Float(0f));

    /// <summary>Head columns from <paramref name="column"/> of a [batch·positions, ld] tensor: one matrix per sample.</summary>
    private static StridedMatrix Head(IntPtr tensor, int column, int ld, int positions) =>
        new(tensor + column * sizeof(float), ld, (long)positions * ld);

    /// <summary>Head h's T×S block of a [batch, H, T, S] tensor: one matrix per sample.</summary>
    private StridedMatrix Scores(IntPtr tensor, int h) => new(tensor + (nint)((long)h * _t * _s * sizeof(float)), _s, WeightsPerSample);

    public override void Backward(CudaContext c, StepTensors t, int batch)
    {
        IntPtr q, k, v, dContext;
        int qld, kld, vld, cld;
        var target = new IntPtr[3]; // where dq, dk, dv go
        var targetLd = new int[3];
        if (_mha)
        {
            // out_proj: dW_o = dyᵀ·context, db_o = Σ dy, dContext = dy·W_o
            int rows = batch * _t;
            c.Gemm(true, false, _e, _e, rows, 1f, t.OutputGradient, _context!.Pointer, 0f, c.Grad(Offset("out_proj.weight")));
            if (_bias) c.ColumnSums(t.OutputGradient, c.Grad(Offset("out_proj.bias")), rows, _e);
            c.Gemm(false, false, rows, _e, _e, 1f, t.OutputGradient, c.Param(Offset("out_proj.weight")), 0f, _dContext!.Pointer);
            (q, qld) = Projection(_projected, 0);
            (k, kld) = Projection(_projected, 1);
            (v, vld) = Projection(_projected, 2);
            (dContext, cld) = (_dContext.Pointer, _e);
            for (int role = 0; role < 3; role++) (target[role], targetLd[role]) = Projection(_projectedGradient, role);
        }
        else
        {
            (q, k, v, dContext) = (t.Inputs[0], t.Inputs[_keyPort], t.Inputs[_valuePort], t.OutputGradient);
            (qld, kld, vld, cld) = (_inFeatures[0], _inFeatures[1], _inFeatures[2], _heads * _dv);
            for (int role = 0; role < 3; role++) (target[role], targetLd[role]) = (t.InputGradients[Port(role)], _inFeatures[role]);
        }

        // β per role: 0 for the first role written into a tensor, 1 for the next (the gradients of one tensor add up).
        var written = new System.Collections.Generic.HashSet<IntPtr>();
        float Beta(int role) => written.Add(target[role]) ? 0f : 1f;
        bool drop = _dropout > 0;
        IntPtr w = _weights!.Pointer, used = drop ? _dropped!.Pointer : w, dz = _dScores!.Pointer;

        if (target[2] != IntPtr.Zero)
        {
            // dv_h = w̃_hᵀ·dc_h (S×dv)
            float beta = Beta(2);
            for (int h = 0; h < _heads; h++)
                c.StridedGemm(true, false, _s, _dv, _t, 1f, Scores(used, h), Head(dContext, h * _dv, cld, _t), beta, Head(target[2], h * _dv, targetLd[2], _s), batch);
        }
        if (target[0] != IntPtr.Zero || target[1] != IntPtr.Zero)
        {
            // dw_h = dc_h·v_hᵀ (T×S), then through the dropout mask and the softmax, row by row, in place.
            for (int h = 0; h < _heads; h++)
                c.StridedGemm(false, true, _t, _s, _dv, 1f, Head(dContext, h * _dv, cld, _t), Head(v, h * _dv, vld, _s), 0f, Scores(dz, h), batch);
            int rows = (int)(batch * (long)_heads * _t);
            c.Rows(SoftmaxBackwardKernel, rows, _s, KernelArg.Ptr(w), KernelArg.Ptr(drop ? _mask!.Pointer : IntPtr.Zero), KernelArg.Ptr(dz),
                KernelArg.Int(rows), KernelArg.Int(_s), KernelArg.Float(Scale));
            if (target[0] != IntPtr.Zero)
            {
                // dq_h = dz_h·k_h (T×d)
                float beta = Beta(0);
                for (int h = 0; h < _heads; h++)
                    c.StridedGemm(false, false, _t, _d, _s, 1f, Scores(dz, h), Head(k, h * _d, kld, _s), beta, Head(target[0], h * _d, targetLd[0], _t), batch);
            }
            if (target[1] != IntPtr.Zero)
            {
                // dk_h = dz_hᵀ·q_h (S×d)
                float beta = Beta(1);
                for (int h = 0; h < _heads; h++)
                    c.StridedGemm(true, false, _s, _d, _t, 1f, Scores(dz, h), Head(q, h * _d, qld, _t), beta, Head(target[1], h * _d, targetLd[1], _s), batch);
            }
        }
        if (!_mha) return;

        if (_fused)
        {
            // The fused projection: d[q | k | v] (rows of 3E) gives dW = dᵀ·x ([3E, E]), db = Σ d, dx = d·W at once.
            int rows = batch * _t;
            IntPtr d = _projectedGradient[0]!.Pointer, weight = c.Param(Offset("in_proj_weight"));
            c.Gemm(true, false, 3 * _e, _e, rows, 1f, d, t.Input, 0f, c.Grad(Offset("in_proj_weight")));
            if (_bias) c.ColumnSums(d, c.Grad(Offset("in_proj_bias")), rows, 3 * _e);
            if (t.InputGradient != IntPtr.Zero) c.Gemm(false, false, rows, _e, 3 * _e, 1f, d, weight, 0f, t.InputGradient);
            return;
        }

        // The projections: dW_r = d(r)ᵀ·x, db_r = Σ d(r), dx = Σ over the roles read from x of d(r)·W_r.
        var inputWritten = new System.Collections.Generic.HashSet<int>();
        for (int role = 0; role < 3; role++)
        {
            int rows = batch * Positions(role), port = Port(role);
            IntPtr dy = _projectedGradient[role]!.Pointer, x = t.Inputs[port];
            c.Gemm(true, false, _e, _inFeatures[role], rows, 1f, dy, x, 0f, ProjectionWeight(c.Grad, role));
            if (_bias) c.ColumnSums(dy, ProjectionBias(c.Grad, role), rows, _e);
            IntPtr dx = t.InputGradients[port];
            if (dx != IntPtr.Zero)
                c.Gemm(false, false, rows, _inFeatures[role], _e, 1f, dy, ProjectionWeight(c.Param, role), inputWritten.Add(port) ? 0f : 1f, dx);
        }
    }

    private const string SoftmaxCode = """
// The attention weights, one block per row r = (n·H + h)·T + t of the scores [batch, H, T, S], in place:
// w[s] = softmax(scale·z)[s] over the keys the query sees, s < valid = min(lengths[n], t + 1 if causal else S), and 0
// beyond (a row with no valid key is all 0, where PyTorch's -inf mask gives NaN). The row maximum is subtracted before
// the exponential, so no score overflows. With dropped != 0 (training with dropout p) each weight is kept with
// probability 1 - p and scaled by 1/(1 - p): mask[i] = 0 or 1/(1 - p), dropped[i] = w[i]·mask[i], i = r·S + s, drawn
// as the CPU draws them (counters[1]: the training forwards before this one).
extern "C" __global__ void $NAME(float* w, float* dropped, float* mask, const float* lengths, int rows, int heads, int queries, int keys,
                                 int causal, float scale, float p, sgnn_u64 seed, int layer, const sgnn_u64* counters)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    int t = r % queries;
    int n = r / (heads * queries);
    int valid = keys;
    if (lengths != 0)
    {
        // A whole number in [0, S]: CudaNetwork checks each batch on the host, as the CPU does; clamped here all the same.
        float l = lengths[n];
        valid = l <= 0.0f ? 0 : (l >= (float)keys ? keys : (int)l);
    }
    if (causal && t + 1 < valid) valid = t + 1;
    float* row = w + (long long)r * keys;
    float m = -3.402823466e38f;
    for (int s = threadIdx.x; s < valid; s += blockDim.x) m = fmaxf(m, row[s]);
    m = sgnn_block_max(m, sh);
    float sum = 0.0f;
    for (int s = threadIdx.x; s < valid; s += blockDim.x)
    {
        float e = expf((row[s] - m) * scale);
        row[s] = e;
        sum += e;
    }
    sum = sgnn_block_sum(sum, sh);
    float inv = valid > 0 ? 1.0f / sum : 0.0f;
    for (int s = threadIdx.x; s < keys; s += blockDim.x) row[s] = s < valid ? row[s] * inv : 0.0f;
    if (dropped == 0) return;
    sgnn_u64 key = sgnn_key(seed, layer, counters[1]);
    float keep = 1.0f / (1.0f - p);
    for (int s = threadIdx.x; s < keys; s += blockDim.x)
    {
        long long i = (long long)r * keys + s;
        float k = sgnn_uniform(key, (sgnn_u64)i) < p ? 0.0f : keep;
        mask[i] = k;
        dropped[i] = row[s] * k;
    }
}

""";

    private const string SoftmaxBackwardCode = """
// Through the dropout mask and the softmax, one block per row, in place: g = dw·mask (dw when mask is null),
// dz = scale·w·(g - Σ g·w). The weights are 0 at masked keys, so dz is 0 there too.
extern "C" __global__ void $NAME(const float* w, const float* mask, float* dw, int rows, int keys, float scale)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* wr = w + (long long)r * keys;
    const float* mr = mask != 0 ? mask + (long long)r * keys : 0;
    float* gr = dw + (long long)r * keys;
    float dot = 0.0f;
    for (int s = threadIdx.x; s < keys; s += blockDim.x) dot += (mr != 0 ? gr[s] * mr[s] : gr[s]) * wr[s];
    dot = sgnn_block_sum(dot, sh);
    for (int s = threadIdx.x; s < keys; s += blockDim.x)
    {
        float g = mr != 0 ? gr[s] * mr[s] : gr[s];
        gr[s] = scale * wr[s] * (g - dot);
    }
}

""";
}
