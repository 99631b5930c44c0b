using System;
using System.Collections.Generic;
using System.Text;

namespace SourceGenNN.Cuda;

/// <summary>
/// The CUDA C source of the kernels one network needs, as <c>extern "C" __global__</c> functions (no name mangling) for
/// NVRTC. Each layer kind's GPU class (<see cref="CudaLayer"/>) adds its own kernels; this class holds the shared ones
/// (sums, losses, optimisers, counters) and the helpers. GEMMs are cuBLAS's. Only what the network and its training
/// options use is emitted.
/// </summary>
internal sealed class CudaKernelSource
{
    /// <summary>The threads per block of the element-wise kernels.</summary>
    public const int BlockSize = 256;

    private CudaKernelSource(string text, IReadOnlyList<string> kernels)
    {
        Text = text;
        Kernels = kernels;
    }

    /// <summary>The CUDA C source.</summary>
    public string Text { get; }

    /// <summary>The names of the kernels in <see cref="Text"/>, in order.</summary>
    public IReadOnlyList<string> Kernels { get; }

    internal const string ColumnSum = "sgnn_column_sum";
    internal const string Sum = "sgnn_sum";
    internal const string ChannelSum = "sgnn_channel_sum";
    internal const string Multiply = "sgnn_multiply";
    internal const string AddInPlace = "sgnn_add_inplace";
    internal const string ReadBlocks = "sgnn_read_blocks";
    internal const string WriteBlocks = "sgnn_write_blocks";
    internal const string Increment = "sgnn_increment";
    internal const string StepGate = "sgnn_step_gate";
    internal const string RestoreIfSkipped = "sgnn_restore_if_skipped";
    internal const string ClipNormPartial = "sgnn_clip_norm_partial";
    internal const string ClipNormTotal = "sgnn_clip_norm_total";
    internal const string ClipApply = "sgnn_clip_apply";

    /// <summary>The fixed number of slices (blocks) the clipping norm is summed over: the same order on every device.</summary>
    internal const int ClipSlices = 256;
    internal const string SoftmaxCrossEntropy = "sgnn_softmax_cross_entropy";
    internal const string SigmoidBce = "sgnn_sigmoid_bce";
    internal const string MeanSquared = "sgnn_mse";
    internal const string Sgd = "sgnn_sgd";
    internal const string Adam = "sgnn_adam";

    /// <summary>Generates the kernels for <paramref name="description"/>; with <paramref name="training"/> null, forward only.</summary>
    /// <exception cref="NotSupportedException">A layer kind has no CUDA implementation.</exception>
    public static CudaKernelSource Generate(NetworkDescription description, CudaTrainingOptions? training = null) =>
        Generate(CudaPlan.Build(description, training?.Loss ?? CudaLoss.None), training);

    internal static CudaKernelSource Generate(CudaPlan plan, CudaTrainingOptions? training)
    {
        bool train = training is not null;
        CudaLoss loss = training?.Loss ?? CudaLoss.None;
        var b = new CudaSourceBuilder { Training = train };
        if (plan.Description.Inputs.Count > 1) b.Kernel(ReadBlocks, ReadBlocksCode); // the packed inputs are split on the device
        for (int i = 0; i < plan.Steps.Count; i++)
            plan.Steps[i].Source(b, train && plan.RunsBackward(i));
        if (train)
        {
            if (plan.Accumulates) b.Kernel(AddInPlace, AddInPlaceCode);
            b.Kernel(Sum, SumCode);
            b.Kernel(Increment, IncrementCode);
            if (training!.Optimizer is not null)
            {
                b.Kernel(StepGate, StepGateCode);
                if (plan.Description.BufferCount > 0) b.Kernel(RestoreIfSkipped, RestoreIfSkippedCode);
                b.Kernel(ClipNormPartial, ClipNormPartialCode);
                b.Kernel(ClipNormTotal, ClipNormTotalCode);
                b.Kernel(ClipApply, ClipApplyCode);
            }
        }
        if (loss == CudaLoss.CrossEntropy) b.Kernel(SoftmaxCrossEntropy, CrossEntropyCode);
        if (loss == CudaLoss.BinaryCrossEntropy) b.Kernel(SigmoidBce, BceCode);
        if (loss == CudaLoss.MeanSquaredError) b.Kernel(MeanSquared, MseCode);
        if (training?.Optimizer is { Kind: CudaOptimizerKind.Sgd }) b.Kernel(Sgd, SgdCode);
        if (training?.Optimizer is { Kind: CudaOptimizerKind.Adam }) b.Kernel(Adam, AdamCode);
        string header = "// SourceGenNN CUDA kernels for " + plan.Description.Name + " (generated; do not edit).\n" +
                        "// Training: " + (train ? $"loss {loss}, optimizer {training!.Optimizer?.Kind.ToString() ?? "none"}" : "no (forward only)") + ".\n";
        var (text, kernels) = b.Build(header, Prelude);
        return new CudaKernelSource(text, kernels);
    }

    // ---- shared CUDA C text ------------------------------------------------------------------------------------

    private const string Prelude = """
typedef unsigned long long sgnn_u64;
#define SGNN_LOOP(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); i += (long long)blockDim.x * gridDim.x)

""";

    /// <summary>SplitMix64 and the counter-based uniform: the same arithmetic as <see cref="Kernels.CounterRandom"/> on the CPU.</summary>
    internal const string RandomHelpers = """

// SplitMix64, the counter-based uniform and the per-layer key: the same arithmetic as CounterRandom on the CPU.
__device__ __forceinline__ sgnn_u64 sgnn_splitmix64(sgnn_u64 state)
{
    sgnn_u64 z = state + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

__device__ __forceinline__ float sgnn_uniform(sgnn_u64 key, sgnn_u64 index)
{
    return (float)(sgnn_splitmix64(key ^ (index * 0xD1B54A32D192ED03ULL)) >> 40) * (1.0f / 16777216.0f);
}

__device__ __forceinline__ sgnn_u64 sgnn_key(sgnn_u64 seed, int layer, sgnn_u64 step)
{
    return sgnn_splitmix64(seed ^ ((sgnn_u64)(unsigned int)layer << 48) ^ step);
}

""";

    /// <summary>Deterministic block-wide sum and maximum.</summary>
    internal const string BlockReduce = """

// Block-wide reductions in a fixed order (deterministic); blockDim.x is a power of two <= 256.
__device__ float sgnn_block_sum(float v, float* sh)
{
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1)
    {
        if ((int)threadIdx.x < w) sh[threadIdx.x] += sh[threadIdx.x + w];
        __syncthreads();
    }
    float r = sh[0];
    __syncthreads();
    return r;
}

__device__ float sgnn_block_max(float v, float* sh)
{
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1)
    {
        if ((int)threadIdx.x < w) sh[threadIdx.x] = fmaxf(sh[threadIdx.x], sh[threadIdx.x + w]);
        __syncthreads();
    }
    float r = sh[0];
    __syncthreads();
    return r;
}

""";

    internal const string MultiplyCode = """
// out = x * y element-wise (dropout and RReLU backward; out may alias x).
extern "C" __global__ void $NAME(const float* x, const float* y, float* out, int n)
{
    SGNN_LOOP(i, n) out[i] = x[i] * y[i];
}

""";

    private const string AddInPlaceCode = """
// y += x element-wise: the gradient of a tensor that several layers read is the sum of theirs.
extern "C" __global__ void $NAME(float* y, const float* x, long long n)
{
    SGNN_LOOP(i, n) y[i] += x[i];
}

""";

    /// <summary>Rows of <c>block</c> elements read out of rows of <c>total</c>, from column <c>offset</c> (a slice of each row).</summary>
    internal const string ReadBlocksCode = """
// dst[r, j] = src[r, offset + j] for j < block: one block of every row of src ([rows, total]) into dst ([rows, block]).
extern "C" __global__ void $NAME(const float* src, float* dst, int rows, int block, int total, int offset)
{
    SGNN_LOOP(i, (long long)rows * block)
    {
        long long r = i / block;
        long long j = i - r * block;
        dst[i] = src[r * total + offset + j];
    }
}

""";

    /// <summary>The inverse of <see cref="ReadBlocksCode"/>: rows of <c>block</c> written into rows of <c>total</c> at <c>offset</c>.</summary>
    internal const string WriteBlocksCode = """
// dst[r, offset + j] = src[r, j] for j < block: src ([rows, block]) into one block of every row of dst ([rows, total]).
extern "C" __global__ void $NAME(const float* src, float* dst, int rows, int block, int total, int offset)
{
    SGNN_LOOP(i, (long long)rows * block)
    {
        long long r = i / block;
        long long j = i - r * block;
        dst[r * total + offset + j] = src[i];
    }
}

""";

    internal const string ColumnSumCode = """
// out[c] = sum over rows of x[r, c] (bias gradients), overwritten. Block (32, 32): 32 columns, rows strided by 32,
// then a fixed-order reduction: deterministic.
extern "C" __global__ void $NAME(const float* x, float* out, int rows, int cols)
{
    __shared__ float tile[32][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    float s = 0.0f;
    if (c < cols)
        for (int r = threadIdx.y; r < rows; r += 32) s += x[(long long)r * cols + c];
    tile[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols)
    {
        float t = 0.0f;
        for (int k = 0; k < 32; k++) t += tile[k][threadIdx.x];
        out[c] = t;
    }
}

""";

    internal const string ChannelSumCode = """
// out[c] = sum of x[n, c, j] over n and j (x is [batch, channels, inner]), overwritten; one block per channel.
extern "C" __global__ void $NAME(const float* x, float* out, int batch, int channels, int inner)
{
    __shared__ float sh[256];
    int c = blockIdx.x;
    float t = 0.0f;
    for (long long i = threadIdx.x; i < (long long)batch * inner; i += blockDim.x)
    {
        long long n = i / inner;
        long long j = i - n * inner;
        t += x[(n * channels + c) * inner + j];
    }
    t = sgnn_block_sum(t, sh);
    if (threadIdx.x == 0) out[c] = t;
}

""";

    private const string SumCode = """
// One block of 256 threads: out[0] = scale * sum(x) (loss values, a shared PReLU slope's gradient).
extern "C" __global__ void $NAME(const float* x, float* out, int n, float scale)
{
    __shared__ float sh[256];
    float t = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) t += x[i];
    t = sgnn_block_sum(t, sh);
    if (threadIdx.x == 0) out[0] = scale * t;
}

""";

    private const string CrossEntropyCode = """
// One block per row: softmax cross entropy from logits with probability targets. loss[r] = sum(y * (lse - z));
// grad = scale * (p * sum(y) - y), which is scale * (p - y) for one-hot targets. scale = 1 / rows.
extern "C" __global__ void $NAME(const float* logits, const float* target, float* grad, float* rowLoss, int rows, int cols, float scale)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* zr = logits + (long long)r * cols;
    const float* yr = target + (long long)r * cols;
    float* gr = grad + (long long)r * cols;
    float m = -3.402823466e38f;
    float ys = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x)
    {
        m = fmaxf(m, zr[i]);
        ys += yr[i];
    }
    m = sgnn_block_max(m, sh);
    ys = sgnn_block_sum(ys, sh);
    float s = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) s += expf(zr[i] - m);
    s = sgnn_block_sum(s, sh);
    float lse = m + logf(s);
    float l = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x)
    {
        float z = zr[i];
        float y = yr[i];
        float p = expf(z - lse);
        gr[i] = scale * (p * ys - y);
        l += y * (lse - z);
    }
    l = sgnn_block_sum(l, sh);
    if (threadIdx.x == 0) rowLoss[r] = l;
}

""";

    private const string BceCode = """
// Binary cross entropy from logits, element-wise, in PyTorch's arrangement (+inf at z = +inf, y = 0, as the CPU loss):
// loss = (1 - y)*z + max(-z, 0) + log(1 + exp(-|z|)); grad = scale * (sigmoid(z) - y).
extern "C" __global__ void $NAME(const float* logits, const float* target, float* grad, float* loss, int n, float scale)
{
    SGNN_LOOP(i, n)
    {
        float z = logits[i];
        float y = target[i];
        loss[i] = (1.0f - y) * z + fmaxf(-z, 0.0f) + log1pf(expf(-fabsf(z)));
        grad[i] = scale * (1.0f / (1.0f + expf(-z)) - y);
    }
}

""";

    private const string MseCode = """
// Mean squared error, element-wise: loss = (o - y)^2; grad = 2 * scale * (o - y).
extern "C" __global__ void $NAME(const float* output, const float* target, float* grad, float* loss, int n, float scale)
{
    SGNN_LOOP(i, n)
    {
        float d = output[i] - target[i];
        loss[i] = d * d;
        grad[i] = 2.0f * scale * d;
    }
}

""";

    private const string IncrementCode = """
// counter[0] += 1 (one thread): the optimizer step and the training-forward count live on the device, so that a
// captured CUDA graph sees new values on every replay.
extern "C" __global__ void $NAME(sgnn_u64* counter)
{
    if (blockIdx.x == 0 && threadIdx.x == 0) counter[0] += 1ULL;
}

""";

    private const string StepGateCode = """
// Before the update (one thread). counters: [0] optimizer steps, [1] training forwards, [2] the guard, [3] skip.
// With the guard on and a NaN or infinite loss, skip = 1: the update kernels return at once, the step count stays,
// and the state buffers the forward pass changed are put back. Otherwise skip = 0 and the step count advances.
extern "C" __global__ void $NAME(const float* loss, sgnn_u64* counters)
{
    if (blockIdx.x == 0 && threadIdx.x == 0)
    {
        float l = loss[0];
        int finite = l - l == 0.0f; // false for NaN and +-inf
        sgnn_u64 skip = counters[2] != 0ULL && !finite ? 1ULL : 0ULL;
        counters[3] = skip;
        if (skip == 0ULL) counters[0] += 1ULL;
    }
}

""";

    private const string RestoreIfSkippedCode = """
// After a skipped step (counters[3], see sgnn_step_gate): the state buffers as they were before its forward pass.
extern "C" __global__ void $NAME(float* buffers, const float* before, long long n, const sgnn_u64* counters)
{
    if (counters[3] == 0ULL) return;
    SGNN_LOOP(i, n) buffers[i] = before[i];
}

""";

    // Gradient clipping between backward and the update, configured in device memory (graphs read it there):
    // clip = [mode, limit, p, total]; mode 0 none, 1 by the p-norm, 2 by value, 3 by the largest magnitude (p = inf).
    private const string ClipNormPartialCode = """
// Clipping by norm, part 1 (256 blocks of 256 threads): block b reduces its fixed slice of the gradients, sum |g|^p, or
// for p = inf the largest |g| plus a NaN term that keeps a NaN gradient visible (fmaxf would drop it).
extern "C" __global__ void $NAME(const float* g, long long n, const float* clip, float* partial)
{
    __shared__ float sh[256];
    int mode = (int)clip[0];
    if (mode != 1 && mode != 3) return;
    float p = clip[2], s = 0.0f, nan = 0.0f;
    long long chunk = (n + gridDim.x - 1) / gridDim.x, begin = (long long)blockIdx.x * chunk, end = begin + chunk < n ? begin + chunk : n;
    for (long long i = begin + threadIdx.x; i < end; i += blockDim.x)
    {
        float a = fabsf(g[i]);
        if (mode == 3) { s = fmaxf(s, a); nan += a != a ? a : 0.0f; }
        else s += p == 2.0f ? a * a : p == 1.0f ? a : powf(a, p);
    }
    if (mode == 3) s = sgnn_block_max(s, sh) + sgnn_block_sum(nan, sh);
    else s = sgnn_block_sum(s, sh);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

""";

    private const string ClipNormTotalCode = """
// Clipping by norm, part 2 (one thread): the total norm from the slices in a fixed order, into clip[3] (read back as
// the trainer's LastGradientNorm).
extern "C" __global__ void $NAME(const float* partial, int slices, float* clip)
{
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    int mode = (int)clip[0];
    if (mode != 1 && mode != 3) return;
    float p = clip[2], t = 0.0f, nan = 0.0f;
    for (int b = 0; b < slices; b++)
    {
        if (mode == 3) { t = fmaxf(t, partial[b]); nan += partial[b] != partial[b] ? partial[b] : 0.0f; }
        else t += partial[b];
    }
    clip[3] = mode == 3 ? t + nan : p == 2.0f ? sqrtf(t) : p == 1.0f ? t : powf(t, 1.0f / p);
}

""";

    private const string ClipApplyCode = """
// Clipping, part 3: by norm, g *= min(1, limit / (total + 1e-6)) (NaN for a NaN total), as clip_grad_norm_; by value,
// g clamped to [-limit, limit] (NaN stays NaN), as clip_grad_value_.
extern "C" __global__ void $NAME(float* g, long long n, const float* clip)
{
    int mode = (int)clip[0];
    if (mode == 0) return;
    float limit = clip[1];
    if (mode == 2)
    {
        SGNN_LOOP(i, n) { float v = g[i]; g[i] = v > limit ? limit : v < -limit ? -limit : v; }
        return;
    }
    float total = clip[3];
    float c = total != total ? total : fminf(limit / (total + 1e-6f), 1.0f);
    if (c == 1.0f) return;
    SGNN_LOOP(i, n) g[i] *= c;
}

""";

    private const string SgdCode = """
// PyTorch SGD: d = g + wd * p; with momentum, buf = d on the first step, else momentum * buf + (1 - dampening) * d;
// d = nesterov ? d + momentum * buf : buf; p -= lr * d. counters[0] is the step (1 on the first); nothing when
// counters[3] says the step is skipped (sgnn_step_gate).
extern "C" __global__ void $NAME(float* p, const float* g, float* buf, int n, const float* lr, float momentum, float dampening, float weightDecay, int nesterov, const sgnn_u64* counters)
{
    if (counters[3] != 0ULL) return;
    sgnn_u64 t = counters[0];
    float rate = lr[0];
    SGNN_LOOP(i, n)
    {
        float d = g[i] + weightDecay * p[i];
        if (momentum != 0.0f)
        {
            float b = t <= 1ULL ? d : momentum * buf[i] + (1.0f - dampening) * d;
            buf[i] = b;
            d = nesterov ? d + momentum * b : b;
        }
        p[i] -= rate * d;
    }
}

""";

    private const string AdamCode = """
// PyTorch Adam/AdamW with bias correction: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). L2 decay adds wd * p to g; decoupled multiplies p by 1 - lr * wd.
// Nothing when counters[3] says the step is skipped (sgnn_step_gate).
extern "C" __global__ void $NAME(float* p, const float* g, float* m, float* v, int n, const float* lr, float beta1, float beta2, float eps, float weightDecay, int decoupled, const sgnn_u64* counters)
{
    if (counters[3] != 0ULL) return;
    float t = (float)counters[0];
    float rate = lr[0];
    float stepSize = rate / (1.0f - powf(beta1, t));
    float bc2Sqrt = sqrtf(1.0f - powf(beta2, t));
    SGNN_LOOP(i, n)
    {
        float w = p[i];
        float grad = g[i];
        if (decoupled) w *= 1.0f - rate * weightDecay;
        else grad += weightDecay * w;
        float mi = beta1 * m[i] + (1.0f - beta1) * grad;
        float vi = beta2 * v[i] + (1.0f - beta2) * grad * grad;
        m[i] = mi;
        v[i] = vi;
        p[i] = w - stepSize * mi / (sqrtf(vi) / bc2Sqrt + eps);
    }
}

""";
}

/// <summary>
/// Collects a network's kernels: each is added once by name (several layers may ask for the same one), helpers once by
/// key, in the order first asked for; the text replaces <c>$NAME</c> with the kernel's name.
/// </summary>
internal sealed class CudaSourceBuilder
{
    /// <summary>
    /// Whether the kernels are for training. A layer's training forward pass (dropout's masks, RReLU's slopes) runs in
    /// every training step, even when its own backward pass does not (a dropout first in the network needs none).
    /// </summary>
    public bool Training { get; init; }

    private readonly List<(string Key, string Code)> _helpers = new();
    private readonly List<(string Name, string Code)> _kernels = new();

    /// <summary>Adds a helper (device functions) once; <paramref name="key"/> identifies it.</summary>
    public void Helper(string key, string code)
    {
        foreach (var h in _helpers) if (h.Key == key) return;
        _helpers.Add((key, code));
    }

    /// <summary>The random-number helpers (dropout, RReLU).</summary>
    public void Random() => Helper("random", CudaKernelSource.RandomHelpers);

    /// <summary>The block reductions (row kernels, sums).</summary>
    public void Reductions() => Helper("reduce", CudaKernelSource.BlockReduce);

    /// <summary>Adds a kernel once.</summary>
    public void Kernel(string name, string code)
    {
        foreach (var k in _kernels) if (k.Name == name) return;
        // Every source has sgnn_sum, which needs the reductions; adding them first keeps one order for every network.
        _kernels.Add((name, code));
    }

    public (string Text, List<string> Kernels) Build(string header, string prelude)
    {
        var sb = new StringBuilder(header).Append(prelude);
        bool reductions = _helpers.Exists(h => h.Key == "reduce")
                          || _kernels.Exists(k => k.Code.Contains("sgnn_block_", StringComparison.Ordinal));
        if (reductions) Reductions();
        foreach (var h in _helpers) sb.Append(h.Code);
        var names = new List<string>();
        foreach (var (name, code) in _kernels)
        {
            names.Add(name);
            sb.Append('\n').Append(code.Replace("$NAME", name, StringComparison.Ordinal));
        }
        return (sb.ToString(), names);
    }
}
