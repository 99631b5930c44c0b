using System;
using System.Collections.Generic;
using System.Text;

namespace SourceGenNN.Cuda;

/// <summary>
/// The CUDA C source of the element-wise kernels one network needs, as <c>extern "C" __global__</c> functions (no name
/// mangling) for NVRTC: bias + activation fused (forward), activation derivative × upstream gradient (backward), bias
/// gradients (column sums), softmax, softmax + cross entropy and sigmoid + binary cross entropy fused with their
/// gradients, dropout and RReLU with the same counter-based random numbers as the CPU (<see cref="Kernels.CounterRandom"/>),
/// and the SGD and Adam updates. GEMMs are cuBLAS's. Only the kernels the network and its training options need are emitted.
/// </summary>
public sealed class CudaKernelSource
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

    /// <summary>The forward kernel of an activation: <c>sgnn_relu_forward</c>.</summary>
    public static string ForwardKernel(CudaActivation a) => "sgnn_" + Snake(a) + "_forward";

    /// <summary>The backward kernel of an activation: <c>sgnn_relu_backward</c>.</summary>
    public static string BackwardKernel(CudaActivation a) => "sgnn_" + Snake(a) + "_backward";

    internal const string ColumnSum = "sgnn_column_sum";
    internal const string Sum = "sgnn_sum";
    internal const string Multiply = "sgnn_multiply";
    internal const string Increment = "sgnn_increment";
    internal const string SoftmaxForward = "sgnn_softmax_forward";
    internal const string SoftmaxBackward = "sgnn_softmax_backward";
    internal const string SoftmaxCrossEntropy = "sgnn_softmax_cross_entropy";
    internal const string SigmoidBce = "sgnn_sigmoid_bce";
    internal const string MeanSquared = "sgnn_mse";
    internal const string DropoutForward = "sgnn_dropout_forward";
    internal const string RReluForward = "sgnn_rrelu_forward_train";
    internal const string PReluForward = "sgnn_prelu_forward";
    internal const string PReluBackward = "sgnn_prelu_backward";
    internal const string Sgd = "sgnn_sgd";
    internal const string Adam = "sgnn_adam";

    private static string Snake(CudaActivation a) => a switch
    {
        CudaActivation.Identity => "identity",
        CudaActivation.ReLU => "relu",
        CudaActivation.Sigmoid => "sigmoid",
        CudaActivation.Tanh => "tanh",
        CudaActivation.LeakyReLU => "leaky_relu",
        CudaActivation.ELU => "elu",
        CudaActivation.GELU => "gelu",
        CudaActivation.SiLU => "silu",
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, null),
    };

    /// <summary>Generates the kernels for <paramref name="description"/>; with <paramref name="training"/> null, forward only.</summary>
    /// <exception cref="NotSupportedException">A layer kind has no CUDA implementation.</exception>
    public static CudaKernelSource Generate(NetworkDescription description, CudaTrainingOptions? training = null) =>
        Generate(CudaPlan.Build(description), training);

    internal static CudaKernelSource Generate(CudaPlan plan, CudaTrainingOptions? training)
    {
        bool train = training is not null;
        CudaLoss loss = training?.Loss ?? CudaLoss.None;
        var forward = new SortedSet<CudaActivation>();
        var backward = new SortedSet<CudaActivation>();
        bool softmaxFwd = false, softmaxBwd = false, dropout = false, rrelu = false, prelu = false, preluPerFeature = false,
            preluShared = false, bias = false;
        for (int i = 0; i < plan.Steps.Count; i++)
        {
            var s = plan.Steps[i];
            bool last = i == plan.Steps.Count - 1;
            bool lossConsumesActivation = last && (
                (loss == CudaLoss.CrossEntropy && s.Kind == PlanStepKind.Softmax) ||
                (loss == CudaLoss.BinaryCrossEntropy && s.Activation == CudaActivation.Sigmoid && s.Kind is PlanStepKind.Dense or PlanStepKind.Activation));
            switch (s.Kind)
            {
                case PlanStepKind.Dense:
                    forward.Add(s.Activation);
                    if (s.BiasOffset >= 0) bias = true;
                    if (train && s.Activation != CudaActivation.Identity && !lossConsumesActivation) backward.Add(s.Activation);
                    break;
                case PlanStepKind.Activation:
                    forward.Add(s.Activation);
                    if (train && !lossConsumesActivation) backward.Add(s.Activation);
                    break;
                case PlanStepKind.Softmax:
                    softmaxFwd = true;
                    if (train && !lossConsumesActivation) softmaxBwd = true;
                    break;
                case PlanStepKind.Dropout:
                    dropout = true;
                    break;
                case PlanStepKind.RRelu:
                    rrelu = true;
                    forward.Add(CudaActivation.LeakyReLU); // evaluation mode: the mean slope
                    break;
                case PlanStepKind.PRelu:
                    prelu = true;
                    if (s.AlphaShared) preluShared = true;
                    else preluPerFeature = true;
                    break;
            }
        }

        var kernels = new List<string>();
        var sb = new StringBuilder();
        sb.Append("// SourceGenNN CUDA kernels for ").Append(plan.Description.Name).Append(" (generated; do not edit).\n");
        sb.Append("// Training: ").Append(train ? $"loss {loss}, optimizer {training!.Optimizer?.Kind.ToString() ?? "none"}" : "no (forward only)").Append(".\n");
        sb.Append(Prelude);
        if (dropout || rrelu) sb.Append(RandomHelpers);
        if (softmaxFwd || softmaxBwd || loss == CudaLoss.CrossEntropy || train) sb.Append(BlockReduce);

        foreach (var a in forward) Emit(sb, kernels, ForwardKernel(a), ForwardTemplate(a));
        foreach (var a in backward) Emit(sb, kernels, BackwardKernel(a), BackwardTemplate(a));
        if (softmaxFwd) Emit(sb, kernels, SoftmaxForward, SoftmaxForwardCode);
        if (softmaxBwd) Emit(sb, kernels, SoftmaxBackward, SoftmaxBackwardCode);
        if (dropout && train) Emit(sb, kernels, DropoutForward, DropoutCode);
        if (rrelu && train) Emit(sb, kernels, RReluForward, RReluCode);
        if (prelu) Emit(sb, kernels, PReluForward, PReluForwardCode);
        if (prelu && train) Emit(sb, kernels, PReluBackward, PReluBackwardCode);
        if (train && (dropout || rrelu)) Emit(sb, kernels, Multiply, MultiplyCode);
        if (train && (bias || preluPerFeature)) Emit(sb, kernels, ColumnSum, ColumnSumCode);
        if (train) Emit(sb, kernels, Sum, SumCode);
        if (loss == CudaLoss.CrossEntropy) Emit(sb, kernels, SoftmaxCrossEntropy, CrossEntropyCode);
        if (loss == CudaLoss.BinaryCrossEntropy) Emit(sb, kernels, SigmoidBce, BceCode);
        if (loss == CudaLoss.MeanSquaredError) Emit(sb, kernels, MeanSquared, MseCode);
        if (train) Emit(sb, kernels, Increment, IncrementCode);
        if (training?.Optimizer is { Kind: CudaOptimizerKind.Sgd }) Emit(sb, kernels, Sgd, SgdCode);
        if (training?.Optimizer is { Kind: CudaOptimizerKind.Adam }) Emit(sb, kernels, Adam, AdamCode);
        _ = preluShared; // the shared slope's gradient uses sgnn_sum, emitted for every training source
        return new CudaKernelSource(sb.ToString(), kernels);
    }

    private static void Emit(StringBuilder sb, List<string> kernels, string name, string code)
    {
        kernels.Add(name);
        sb.Append('\n').Append(code.Replace("$NAME", name, StringComparison.Ordinal));
    }

    // ---- CUDA C text -------------------------------------------------------------------------------------------

    private const string Prelude = """
typedef unsigned long long sgnn_u64;
#define SGNN_LOOP(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); i += (long long)blockDim.x * gridDim.x)

""";

    private const string RandomHelpers = """

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

    private const string BlockReduce = """

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

    private static (string Value, string Derivative) Formula(CudaActivation a) => a switch
    {
        CudaActivation.Identity => ("z", "1.0f"),
        CudaActivation.ReLU => ("z > 0.0f ? z : 0.0f", "z > 0.0f ? 1.0f : 0.0f"),
        CudaActivation.Sigmoid => ("1.0f / (1.0f + expf(-z))", "a * (1.0f - a)"),
        CudaActivation.Tanh => ("tanhf(z)", "1.0f - a * a"),
        CudaActivation.LeakyReLU => ("z >= 0.0f ? z : p * z", "z > 0.0f ? 1.0f : p"),
        CudaActivation.ELU => ("z > 0.0f ? z : p * (expf(z) - 1.0f)", "z > 0.0f ? 1.0f : a + p"),
        CudaActivation.GELU => ("0.5f * z * (1.0f + erff(z * 0.70710678118654752f))",
            "0.5f * (1.0f + erff(z * 0.70710678118654752f)) + z * 0.39894228040143268f * expf(-0.5f * z * z)"),
        CudaActivation.SiLU => ("z / (1.0f + expf(-z))", "sgnn_silu_d(z)"),
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, null),
    };

    private static string ForwardTemplate(CudaActivation a)
    {
        string value = Formula(a).Value;
        return $$"""
// z[r, c] += bias[c] (when bias is not null; z then keeps the pre-activation for backward), a = {{Snake(a)}}(z). p: the parameter.
extern "C" __global__ void $NAME(float* z, const float* bias, float* a, int rows, int cols, float p)
{
    SGNN_LOOP(i, (long long)rows * cols)
    {
        float v = z[i];
        if (bias != 0)
        {
            v += bias[i % cols];
            z[i] = v;
        }
        {
            float z = v;
            a[i] = {{value}};
        }
    }
}

""";
    }

    private static string BackwardTemplate(CudaActivation a)
    {
        string derivative = Formula(a).Derivative;
        string readA = System.Text.RegularExpressions.Regex.IsMatch(derivative, @"\ba\b") ? "\n        float a = outs[i];" : "";
        string readZ = System.Text.RegularExpressions.Regex.IsMatch(derivative, @"\bz\b") ? "\n        float z = zs[i];" : "";
        string helper = a == CudaActivation.SiLU ? """
__device__ __forceinline__ float sgnn_silu_d(float z)
{
    float s = 1.0f / (1.0f + expf(-z));
    return s * (1.0f + z * (1.0f - s));
}

""" : "";
        return helper + $$"""
// dz = da * {{Snake(a)}}'(z) given the forward input z and output a (dz may alias da).
extern "C" __global__ void $NAME(const float* zs, const float* outs, const float* da, float* dz, int n, float p)
{
    SGNN_LOOP(i, n)
    {{{readZ}}{{readA}}
        dz[i] = da[i] * ({{derivative}});
    }
}

""";
    }

    private const string SoftmaxForwardCode = """
// One block per row: a[r, :] = softmax(z[r, :]), the row max subtracted first.
extern "C" __global__ void $NAME(const float* z, float* a, int rows, int cols)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* zr = z + (long long)r * cols;
    float* ar = a + (long long)r * cols;
    float m = -3.402823466e38f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) m = fmaxf(m, zr[i]);
    m = sgnn_block_max(m, sh);
    float s = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x)
    {
        float e = expf(zr[i] - m);
        ar[i] = e;
        s += e;
    }
    s = sgnn_block_sum(s, sh);
    float inv = 1.0f / s;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) ar[i] *= inv;
}

""";

    private const string SoftmaxBackwardCode = """
// One block per row: dz = a * (da - sum(da * a)) (dz may alias da).
extern "C" __global__ void $NAME(const float* a, const float* da, float* dz, int rows, int cols)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* ar = a + (long long)r * cols;
    const float* gr = da + (long long)r * cols;
    float* dr = dz + (long long)r * cols;
    float dot = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) dot += gr[i] * ar[i];
    dot = sgnn_block_sum(dot, sh);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) dr[i] = ar[i] * (gr[i] - dot);
}

""";

    private const string DropoutCode = """
// Inverted dropout in training mode; mask = 0 or 1/(1-p), kept for backward. counters[1] counts the training forwards before this one.
extern "C" __global__ void $NAME(const float* x, float* y, float* mask, int n, float p, sgnn_u64 seed, int layer, const sgnn_u64* counters)
{
    sgnn_u64 key = sgnn_key(seed, layer, counters[1]);
    float scale = 1.0f / (1.0f - p);
    SGNN_LOOP(i, n)
    {
        float m = sgnn_uniform(key, (sgnn_u64)i) < p ? 0.0f : scale;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}

""";

    private const string RReluCode = """
// RReLU in training mode: each negative element gets a slope from U(lower, upper), kept for backward.
extern "C" __global__ void $NAME(const float* z, float* a, float* slopes, int n, float lower, float upper, sgnn_u64 seed, int layer, const sgnn_u64* counters)
{
    sgnn_u64 key = sgnn_key(seed, layer, counters[1]);
    SGNN_LOOP(i, n)
    {
        float v = z[i];
        if (v >= 0.0f)
        {
            a[i] = v;
            slopes[i] = 1.0f;
        }
        else
        {
            float s = lower + (upper - lower) * sgnn_uniform(key, (sgnn_u64)i);
            a[i] = s * v;
            slopes[i] = s;
        }
    }
}

""";

    private const string PReluForwardCode = """
// PReLU: a = z for z > 0, else alpha * z; alpha has one element (shared) or one per column.
extern "C" __global__ void $NAME(const float* z, const float* alpha, float* a, int rows, int cols, int shared)
{
    SGNN_LOOP(i, (long long)rows * cols)
    {
        float v = z[i];
        float s = alpha[shared ? 0 : (int)(i % cols)];
        a[i] = v > 0.0f ? v : s * v;
    }
}

""";

    private const string PReluBackwardCode = """
// PReLU backward: dz = da or alpha * da; contrib = da * z where z <= 0 (reduced into d(alpha) afterwards).
extern "C" __global__ void $NAME(const float* z, const float* alpha, const float* da, float* dz, float* contrib, int rows, int cols, int shared)
{
    SGNN_LOOP(i, (long long)rows * cols)
    {
        float v = z[i];
        float g = da[i];
        if (v > 0.0f)
        {
            dz[i] = g;
            contrib[i] = 0.0f;
        }
        else
        {
            dz[i] = alpha[shared ? 0 : (int)(i % cols)] * g;
            contrib[i] = g * v;
        }
    }
}

""";

    private const string MultiplyCode = """
// out = x * y element-wise (dropout and RReLU backward; out may alias x).
extern "C" __global__ void $NAME(const float* x, const float* y, float* out, int n)
{
    SGNN_LOOP(i, n) out[i] = x[i] * y[i];
}

""";

    private const string ColumnSumCode = """
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
// Binary cross entropy from logits, element-wise: loss = max(z, 0) - z*y + log(1 + exp(-|z|)); grad = scale * (sigmoid(z) - y).
extern "C" __global__ void $NAME(const float* logits, const float* target, float* grad, float* loss, int n, float scale)
{
    SGNN_LOOP(i, n)
    {
        float z = logits[i];
        float y = target[i];
        loss[i] = fmaxf(z, 0.0f) - z * y + log1pf(expf(-fabsf(z)));
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

    private const string SgdCode = """
// PyTorch SGD: d = g + wd * p; with momentum, buf = d on the first step, else momentum * buf + (1 - dampening) * d;
// d = nesterov ? d + momentum * buf : buf; p -= lr * d. counters[0] is the step (1 on the first).
extern "C" __global__ void $NAME(float* p, const float* g, float* buf, int n, const float* lr, float momentum, float dampening, float weightDecay, int nesterov, const sgnn_u64* counters)
{
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
extern "C" __global__ void $NAME(float* p, const float* g, float* m, float* v, int n, const float* lr, float beta1, float beta2, float eps, float weightDecay, int decoupled, const sgnn_u64* counters)
{
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
