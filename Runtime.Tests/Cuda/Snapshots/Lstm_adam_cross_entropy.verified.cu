// SourceGenNN CUDA kernels for LstmStackedBidirectionalNet (generated; do not edit).
// Training: loss CrossEntropy, optimizer Adam.
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

// LSTM step, gates i, f, g, o: c_t = f·c_(t−1) + i·g, h_t = o·tanh(c_t). The gates' activations and c_t are kept.
#define GATES 4
extern "C" __global__ void sgnn_lstm_step(const float* pre, const float* u, const float* bih, const float* bhh, float* gates, float* states, float* kept, float* y, int batch, int T, int H, int D, int d, int s, int relu)
{
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
        float ig = 1.0f / (1.0f + expf(-SGNN_GATE(0))), fg = 1.0f / (1.0f + expf(-SGNN_GATE(1)));
        float gg = tanhf(SGNN_GATE(2)), og = 1.0f / (1.0f + expf(-SGNN_GATE(3)));
        float cell = fg * (s > 0 ? kept[prev] : 0.0f) + ig * gg;
        act[j] = ig; act[H + j] = fg; act[2 * H + j] = gg; act[3 * H + j] = og;
        kept[at] = cell;
        float h = og * tanhf(cell);
#undef SGNN_GATE
        states[at] = h;
        y[((long long)n * T + t) * W + d * H + j] = h;
    }
}
#undef GATES

// The output of one step per direction: y[n, d·H + j] = seq[n, t_d, d·H + j], t_d = T − 1 (the last step), or for
// h_n (finalHidden) of the reverse direction t_1 = 0, where it ends.
extern "C" __global__ void sgnn_rnn_select(const float* seq, float* y, int batch, int T, int H, int D, int finalHidden)
{
    int W = D * H;
    SGNN_LOOP(e, (long long)batch * W)
    {
        int n = (int)(e / W), col = (int)(e - (long long)n * W);
        int t = finalHidden && col >= H ? 0 : T - 1;
        y[e] = seq[((long long)n * T + t) * W + col];
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

// LSTM backward step: dc = dc_(t+1) + dh·o·(1 − tanh²c); di = dc·g·i(1 − i), df = dc·c_(t−1)·f(1 − f),
// dg = dc·i·(1 − g²), do = dh·tanh(c)·o(1 − o); dc_(t−1) = dc·f. du = da.
#define GATES 4
extern "C" __global__ void sgnn_lstm_step_backward(const float* dseq, float* dh, float* dc, const float* gates, const float* states, const float* kept, float* da, float* du, int batch, int T, int H, int D, int d, int s, int relu)
{
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

// The gradient of the selection: dseq is dy at the selected step of each direction and zero elsewhere.
extern "C" __global__ void sgnn_rnn_select_backward(const float* dy, float* dseq, int batch, int T, int H, int D, int finalHidden)
{
    int W = D * H;
    SGNN_LOOP(e, (long long)batch * T * W)
    {
        int col = (int)(e % W), t = (int)((e / W) % T), n = (int)(e / ((long long)W * T));
        int selected = finalHidden && col >= H ? 0 : T - 1;
        dseq[e] = t == selected ? dy[(long long)n * W + col] : 0.0f;
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
