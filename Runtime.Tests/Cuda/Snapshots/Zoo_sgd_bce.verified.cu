// SourceGenNN CUDA kernels for CudaZoo (generated; do not edit).
// Training: loss BinaryCrossEntropy, optimizer Sgd.
typedef unsigned long long sgnn_u64;
#define SGNN_LOOP(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); i += (long long)blockDim.x * gridDim.x)

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

// z[r, c] += bias[c] (when bias is not null; z then keeps the pre-activation for backward), a = leaky_relu(z). p: the parameter.
extern "C" __global__ void sgnn_leaky_relu_forward(float* z, const float* bias, float* a, int rows, int cols, float p)
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
            a[i] = z >= 0.0f ? z : p * z;
        }
    }
}

// dz = da * leaky_relu'(z) given the forward input z and output a (dz may alias da).
extern "C" __global__ void sgnn_leaky_relu_backward(const float* zs, const float* outs, const float* da, float* dz, int n, float p)
{
    SGNN_LOOP(i, n)
    {
        float z = zs[i];
        dz[i] = da[i] * (z > 0.0f ? 1.0f : p);
    }
}

// out[c] = sum over rows of x[r, c] (bias gradients), overwritten. Block (32, 32): 32 columns, rows strided by 32,
// then a fixed-order reduction: deterministic.
extern "C" __global__ void sgnn_column_sum(const float* x, float* out, int rows, int cols)
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

// Inverted dropout in training mode; mask = 0 or 1/(1-p), kept for backward. counters[1] counts the training forwards before this one.
extern "C" __global__ void sgnn_dropout_forward(const float* x, float* y, float* mask, int n, float p, sgnn_u64 seed, int layer, const sgnn_u64* counters)
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

// out = x * y element-wise (dropout and RReLU backward; out may alias x).
extern "C" __global__ void sgnn_multiply(const float* x, const float* y, float* out, int n)
{
    SGNN_LOOP(i, n) out[i] = x[i] * y[i];
}

// z[r, c] += bias[c] (when bias is not null; z then keeps the pre-activation for backward), a = elu(z). p: the parameter.
extern "C" __global__ void sgnn_elu_forward(float* z, const float* bias, float* a, int rows, int cols, float p)
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
            a[i] = z <= 0.0f ? p * (expf(z) - 1.0f) : z;
        }
    }
}

// dz = da * elu'(z) given the forward input z and output a (dz may alias da).
extern "C" __global__ void sgnn_elu_backward(const float* zs, const float* outs, const float* da, float* dz, int n, float p)
{
    SGNN_LOOP(i, n)
    {
        float z = zs[i];
        float a = outs[i];
        dz[i] = da[i] * (z <= 0.0f ? a + p : 1.0f);
    }
}

// z[r, c] += bias[c] (when bias is not null; z then keeps the pre-activation for backward), a = gelu(z). p: the parameter.
extern "C" __global__ void sgnn_gelu_forward(float* z, const float* bias, float* a, int rows, int cols, float p)
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
            a[i] = 0.5f * z * (1.0f + erff(z * 0.70710678118654752f));
        }
    }
}

// dz = da * gelu'(z) given the forward input z and output a (dz may alias da).
extern "C" __global__ void sgnn_gelu_backward(const float* zs, const float* outs, const float* da, float* dz, int n, float p)
{
    SGNN_LOOP(i, n)
    {
        float z = zs[i];
        dz[i] = da[i] * (0.5f * (1.0f + erff(z * 0.70710678118654752f)) + z * 0.39894228040143268f * expf(-0.5f * z * z));
    }
}

// PReLU: a = z for z > 0, else alpha * z; alpha has one element (shared) or one per channel ([batch, channels, inner]).
extern "C" __global__ void sgnn_prelu_forward(const float* z, const float* alpha, float* a, int batch, int channels, int inner, int shared)
{
    SGNN_LOOP(i, (long long)batch * channels * inner)
    {
        float v = z[i];
        float s = alpha[shared ? 0 : (int)((i / inner) % channels)];
        a[i] = v > 0.0f ? v : s * v;
    }
}

// PReLU backward: dz = da or alpha * da (skipped when dz is null); contrib = da * z where z <= 0 (summed into d(alpha) afterwards).
extern "C" __global__ void sgnn_prelu_backward(const float* z, const float* alpha, const float* da, float* dz, float* contrib, int batch, int channels, int inner, int shared)
{
    SGNN_LOOP(i, (long long)batch * channels * inner)
    {
        float v = z[i];
        float g = da[i];
        if (v > 0.0f)
        {
            if (dz != 0) dz[i] = g;
            contrib[i] = 0.0f;
        }
        else
        {
            if (dz != 0) dz[i] = alpha[shared ? 0 : (int)((i / inner) % channels)] * g;
            contrib[i] = g * v;
        }
    }
}

// z[r, c] += bias[c] (when bias is not null; z then keeps the pre-activation for backward), a = silu(z). p: the parameter.
extern "C" __global__ void sgnn_silu_forward(float* z, const float* bias, float* a, int rows, int cols, float p)
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
            a[i] = z / (1.0f + expf(-z));
        }
    }
}

__device__ __forceinline__ float sgnn_silu_d(float z)
{
    float s = 1.0f / (1.0f + expf(-z));
    return s * (1.0f + z * (1.0f - s));
}
// dz = da * silu'(z) given the forward input z and output a (dz may alias da).
extern "C" __global__ void sgnn_silu_backward(const float* zs, const float* outs, const float* da, float* dz, int n, float p)
{
    SGNN_LOOP(i, n)
    {
        float z = zs[i];
        dz[i] = da[i] * (sgnn_silu_d(z));
    }
}

// RReLU in training mode: each negative element gets a slope from U(lower, upper), kept for backward; NaN passes with
// slope 1, as in PyTorch and on the CPU.
extern "C" __global__ void sgnn_rrelu_forward_train(const float* z, float* a, float* slopes, int n, float lower, float upper, sgnn_u64 seed, int layer, const sgnn_u64* counters)
{
    sgnn_u64 key = sgnn_key(seed, layer, counters[1]);
    SGNN_LOOP(i, n)
    {
        float v = z[i];
        if (!(v < 0.0f))
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

// z[r, c] += bias[c] (when bias is not null; z then keeps the pre-activation for backward), a = tanh(z). p: the parameter.
extern "C" __global__ void sgnn_tanh_forward(float* z, const float* bias, float* a, int rows, int cols, float p)
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
            a[i] = tanhf(z);
        }
    }
}

// dz = da * tanh'(z) given the forward input z and output a (dz may alias da).
extern "C" __global__ void sgnn_tanh_backward(const float* zs, const float* outs, const float* da, float* dz, int n, float p)
{
    SGNN_LOOP(i, n)
    {
        float a = outs[i];
        dz[i] = da[i] * (1.0f - a * a);
    }
}

// z[r, c] += bias[c] (when bias is not null; z then keeps the pre-activation for backward), a = identity(z). p: the parameter.
extern "C" __global__ void sgnn_identity_forward(float* z, const float* bias, float* a, int rows, int cols, float p)
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
            a[i] = z;
        }
    }
}

// z[r, c] += bias[c] (when bias is not null; z then keeps the pre-activation for backward), a = sigmoid(z). p: the parameter.
extern "C" __global__ void sgnn_sigmoid_forward(float* z, const float* bias, float* a, int rows, int cols, float p)
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
            a[i] = 1.0f / (1.0f + expf(-z));
        }
    }
}

// One block of 256 threads: out[0] = scale * sum(x) (loss values, a shared PReLU slope's gradient).
extern "C" __global__ void sgnn_sum(const float* x, float* out, int n, float scale)
{
    __shared__ float sh[256];
    float t = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) t += x[i];
    t = sgnn_block_sum(t, sh);
    if (threadIdx.x == 0) out[0] = scale * t;
}

// counter[0] += 1 (one thread): the optimizer step and the training-forward count live on the device, so that a
// captured CUDA graph sees new values on every replay.
extern "C" __global__ void sgnn_increment(sgnn_u64* counter)
{
    if (blockIdx.x == 0 && threadIdx.x == 0) counter[0] += 1ULL;
}

// Before the update (one thread). counters: [0] optimizer steps, [1] training forwards, [2] the guard, [3] skip.
// With the guard on and a NaN or infinite loss, skip = 1: the update kernels return at once, the step count stays,
// and the state buffers the forward pass changed are put back. Otherwise skip = 0 and the step count advances.
extern "C" __global__ void sgnn_step_gate(const float* loss, sgnn_u64* counters)
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

// Clipping by norm, part 1 (256 blocks of 256 threads): block b reduces its fixed slice of the gradients, sum |g|^p, or
// for p = inf the largest |g| plus a NaN term that keeps a NaN gradient visible (fmaxf would drop it).
extern "C" __global__ void sgnn_clip_norm_partial(const float* g, long long n, const float* clip, float* partial)
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

// Clipping by norm, part 2 (one thread): the total norm from the slices in a fixed order, into clip[3] (read back as
// the trainer's LastGradientNorm).
extern "C" __global__ void sgnn_clip_norm_total(const float* partial, int slices, float* clip)
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

// Clipping, part 3: by norm, g *= min(1, limit / (total + 1e-6)) (NaN for a NaN total), as clip_grad_norm_; by value,
// g clamped to [-limit, limit] (NaN stays NaN), as clip_grad_value_.
extern "C" __global__ void sgnn_clip_apply(float* g, long long n, const float* clip)
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

// Binary cross entropy from logits, element-wise, in PyTorch's arrangement (+inf at z = +inf, y = 0, as the CPU loss):
// loss = (1 - y)*z + max(-z, 0) + log(1 + exp(-|z|)); grad = scale * (sigmoid(z) - y).
extern "C" __global__ void sgnn_sigmoid_bce(const float* logits, const float* target, float* grad, float* loss, int n, float scale)
{
    SGNN_LOOP(i, n)
    {
        float z = logits[i];
        float y = target[i];
        loss[i] = (1.0f - y) * z + fmaxf(-z, 0.0f) + log1pf(expf(-fabsf(z)));
        grad[i] = scale * (1.0f / (1.0f + expf(-z)) - y);
    }
}

// PyTorch SGD: d = g + wd * p; with momentum, buf = d on the first step, else momentum * buf + (1 - dampening) * d;
// d = nesterov ? d + momentum * buf : buf; p -= lr * d. counters[0] is the step (1 on the first); nothing when
// counters[3] says the step is skipped (sgnn_step_gate).
extern "C" __global__ void sgnn_sgd(float* p, const float* g, float* buf, int n, const float* lr, float momentum, float dampening, float weightDecay, int nesterov, const sgnn_u64* counters)
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
