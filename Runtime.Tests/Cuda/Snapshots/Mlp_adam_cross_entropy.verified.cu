// SourceGenNN CUDA kernels for CudaMlp (generated; do not edit).
// Training: loss CrossEntropy, optimizer Adam.
typedef unsigned long long sgnn_u64;
#define SGNN_LOOP(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); i += (long long)blockDim.x * gridDim.x)

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

// z[r, c] += bias[c] (when bias is not null; z then keeps the pre-activation for backward), a = relu(z). p: the parameter.
extern "C" __global__ void sgnn_relu_forward(float* z, const float* bias, float* a, int rows, int cols, float p)
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
            a[i] = z <= 0.0f ? 0.0f : z;
        }
    }
}

// dz = da * relu'(z) given the forward input z and output a (dz may alias da).
extern "C" __global__ void sgnn_relu_backward(const float* zs, const float* outs, const float* da, float* dz, int n, float p)
{
    SGNN_LOOP(i, n)
    {
        float z = zs[i];
        dz[i] = da[i] * (z <= 0.0f ? 0.0f : 1.0f);
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

// One block per row: a[r, :] = softmax(z[r, :]), the row max subtracted first.
extern "C" __global__ void sgnn_softmax_forward(const float* z, float* a, int rows, int cols)
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

// One block per row: softmax cross entropy from logits with probability targets. loss[r] = sum(y * (lse - z));
// grad = scale * (p * sum(y) - y), which is scale * (p - y) for one-hot targets. scale = 1 / rows.
extern "C" __global__ void sgnn_softmax_cross_entropy(const float* logits, const float* target, float* grad, float* rowLoss, int rows, int cols, float scale)
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

// PyTorch Adam/AdamW with bias correction: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). L2 decay adds wd * p to g; decoupled multiplies p by 1 - lr * wd.
// Nothing when counters[3] says the step is skipped (sgnn_step_gate).
extern "C" __global__ void sgnn_adam(float* p, const float* g, float* m, float* v, int n, const float* lr, float beta1, float beta2, float eps, float weightDecay, int decoupled, const sgnn_u64* counters)
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
