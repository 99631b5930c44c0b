// SourceGenNN CUDA kernels for CudaGraph (generated; do not edit).
// Training: loss MeanSquaredError, optimizer Adam.
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

// dst[r, j] = src[r, offset + j] for j < block: one block of every row of src ([rows, total]) into dst ([rows, block]).
extern "C" __global__ void sgnn_read_blocks(const float* src, float* dst, int rows, int block, int total, int offset)
{
    SGNN_LOOP(i, (long long)rows * block)
    {
        long long r = i / block;
        long long j = i - r * block;
        dst[i] = src[r * total + offset + j];
    }
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

// y = a + b element-wise (y may alias a).
extern "C" __global__ void sgnn_add(const float* a, const float* b, float* y, int n)
{
    SGNN_LOOP(i, n) y[i] = a[i] + b[i];
}

// One block per group of size elements: mean, biased variance (two passes), y = (x - mean) / sqrt(var + eps) * w + b.
extern "C" __global__ void sgnn_layer_norm_forward(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int rows, int size, float eps)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* xr = x + (long long)r * size;
    float* yr = y + (long long)r * size;
    float s = 0.0f;
    for (int i = threadIdx.x; i < size; i += blockDim.x) s += xr[i];
    float mu = sgnn_block_sum(s, sh) / size;
    float q = 0.0f;
    for (int i = threadIdx.x; i < size; i += blockDim.x)
    {
        float d = xr[i] - mu;
        q += d * d;
    }
    float inv = 1.0f / sqrtf(sgnn_block_sum(q, sh) / size + eps);
    if (threadIdx.x == 0)
    {
        mean[r] = mu;
        rstd[r] = inv;
    }
    for (int i = threadIdx.x; i < size; i += blockDim.x)
    {
        float h = (xr[i] - mu) * inv;
        yr[i] = w != 0 ? h * w[i] + b[i] : h;
    }
}

// One block per group: g = dy * w, x̂ = (x - mean) / σ, dx = (g - mean(g) - x̂ * mean(g * x̂)) / σ.
extern "C" __global__ void sgnn_layer_norm_backward_input(const float* x, const float* w, const float* mean, const float* rstd, const float* dy, float* dx, int rows, int size)
{
    __shared__ float sh[256];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* xr = x + (long long)r * size;
    const float* gr = dy + (long long)r * size;
    float* dr = dx + (long long)r * size;
    float mu = mean[r], inv = rstd[r];
    float sg = 0.0f, sgx = 0.0f;
    for (int i = threadIdx.x; i < size; i += blockDim.x)
    {
        float g = w != 0 ? gr[i] * w[i] : gr[i];
        sg += g;
        sgx += g * (xr[i] - mu) * inv;
    }
    float meanG = sgnn_block_sum(sg, sh) / size;
    float meanGx = sgnn_block_sum(sgx, sh) / size;
    for (int i = threadIdx.x; i < size; i += blockDim.x)
    {
        float g = w != 0 ? gr[i] * w[i] : gr[i];
        float h = (xr[i] - mu) * inv;
        dr[i] = inv * (g - meanG - h * meanGx);
    }
}

// dw[c] = sum over groups of dy * x̂, db[c] = sum of dy, overwritten. Block (32, 32): 32 columns, groups strided by 32,
// then a fixed-order reduction: deterministic.
extern "C" __global__ void sgnn_layer_norm_backward_params(const float* x, const float* mean, const float* rstd, const float* dy, float* dw, float* db, int rows, int size)
{
    __shared__ float tw[32][33];
    __shared__ float tb[32][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    float sw = 0.0f, sb = 0.0f;
    if (c < size)
        for (int r = threadIdx.y; r < rows; r += 32)
        {
            long long k = (long long)r * size + c;
            sw += dy[k] * (x[k] - mean[r]) * rstd[r];
            sb += dy[k];
        }
    tw[threadIdx.y][threadIdx.x] = sw;
    tb[threadIdx.y][threadIdx.x] = sb;
    __syncthreads();
    if (threadIdx.y == 0 && c < size)
    {
        float a = 0.0f, b = 0.0f;
        for (int k = 0; k < 32; k++)
        {
            a += tw[k][threadIdx.x];
            b += tb[k][threadIdx.x];
        }
        dw[c] = a;
        db[c] = b;
    }
}

// Softmax along the middle axis of [outer, length, inner]: one thread per (outer, inner) position.
extern "C" __global__ void sgnn_softmax_strided_forward(const float* z, float* a, int outer, int length, int inner)
{
    SGNN_LOOP(p, (long long)outer * inner)
    {
        long long o = p / inner;
        long long j = p - o * inner;
        long long at = o * length * inner + j;
        float m = -3.402823466e38f;
        for (int i = 0; i < length; i++) m = fmaxf(m, z[at + (long long)i * inner]);
        float s = 0.0f;
        for (int i = 0; i < length; i++)
        {
            float e = expf(z[at + (long long)i * inner] - m);
            a[at + (long long)i * inner] = e;
            s += e;
        }
        float inv = 1.0f / s;
        for (int i = 0; i < length; i++) a[at + (long long)i * inner] *= inv;
    }
}

// dz = a * (da - sum(da * a)) along the middle axis of [outer, length, inner]: one thread per (outer, inner) position.
extern "C" __global__ void sgnn_softmax_strided_backward(const float* a, const float* da, float* dz, int outer, int length, int inner)
{
    SGNN_LOOP(p, (long long)outer * inner)
    {
        long long o = p / inner;
        long long j = p - o * inner;
        long long at = o * length * inner + j;
        float dot = 0.0f;
        for (int i = 0; i < length; i++) dot += da[at + (long long)i * inner] * a[at + (long long)i * inner];
        for (int i = 0; i < length; i++) dz[at + (long long)i * inner] = a[at + (long long)i * inner] * (da[at + (long long)i * inner] - dot);
    }
}

// dst[r, offset + j] = src[r, j] for j < block: src ([rows, block]) into one block of every row of dst ([rows, total]).
extern "C" __global__ void sgnn_write_blocks(const float* src, float* dst, int rows, int block, int total, int offset)
{
    SGNN_LOOP(i, (long long)rows * block)
    {
        long long r = i / block;
        long long j = i - r * block;
        dst[r * total + offset + j] = src[i];
    }
}

// y += x element-wise: the gradient of a tensor that several layers read is the sum of theirs.
extern "C" __global__ void sgnn_add_inplace(float* y, const float* x, long long n)
{
    SGNN_LOOP(i, n) y[i] += x[i];
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

// Mean squared error, element-wise: loss = (o - y)^2; grad = 2 * scale * (o - y).
extern "C" __global__ void sgnn_mse(const float* output, const float* target, float* grad, float* loss, int n, float scale)
{
    SGNN_LOOP(i, n)
    {
        float d = output[i] - target[i];
        loss[i] = d * d;
        grad[i] = 2.0f * scale * d;
    }
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
