using System;
using System.Runtime.CompilerServices;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// The sizes of one attention: <see cref="Heads"/> heads, each attending from <see cref="Queries"/> query positions over
/// <see cref="Keys"/> key positions, with query and key vectors of <see cref="HeadDim"/> and value vectors of
/// <see cref="ValueDim"/> features per head; <see cref="Causal"/>: query t sees keys 0..t only.
/// </summary>
public readonly struct AttentionShape
{
    /// <summary>Describes an attention.</summary>
    /// <param name="heads">The heads (≥ 1).</param>
    /// <param name="queries">T, the query positions of a sample.</param>
    /// <param name="keys">S, the key (and value) positions of a sample.</param>
    /// <param name="headDim">The features of a query or key of one head.</param>
    /// <param name="valueDim">The features of a value of one head.</param>
    /// <param name="causal">Whether query t sees only keys 0..t (PyTorch's <c>is_causal</c>).</param>
    public AttentionShape(int heads, int queries, int keys, int headDim, int valueDim, bool causal)
    {
        if (heads <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(heads), heads, "a positive head count");
        if (queries <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(queries), queries, "a positive length");
        if (keys <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(keys), keys, "a positive length");
        if (headDim <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(headDim), headDim, "a positive size");
        if (valueDim <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(valueDim), valueDim, "a positive size");
        Heads = heads;
        Queries = queries;
        Keys = keys;
        HeadDim = headDim;
        ValueDim = valueDim;
        Causal = causal;
    }

    /// <summary>The heads.</summary>
    public int Heads { get; }

    /// <summary>T: the query positions of a sample.</summary>
    public int Queries { get; }

    /// <summary>S: the key and value positions of a sample.</summary>
    public int Keys { get; }

    /// <summary>The features of one head's query and key vectors.</summary>
    public int HeadDim { get; }

    /// <summary>The features of one head's value vectors.</summary>
    public int ValueDim { get; }

    /// <summary>Query t sees keys 0..t only.</summary>
    public bool Causal { get; }

    /// <summary>1/√HeadDim, the scale of the scores (PyTorch's).</summary>
    public float Scale => 1f / MathF.Sqrt(HeadDim);

    /// <summary>The attention weights of one sample: Heads × Queries × Keys.</summary>
    public int WeightsPerSample => Heads * Queries * Keys;
}

/// <summary>
/// Scaled dot-product attention over per-sample sequences, head by head (PyTorch's
/// <c>F.scaled_dot_product_attention</c> inside <c>nn.MultiheadAttention</c>):
/// <c>weights = softmax(q·kᵀ/√d + mask)</c>, <c>context = dropout(weights)·v</c>. Queries, keys and values are rows of
/// [batch·T, ...] or [batch·S, ...] matrices, each row holding every head side by side (head h at columns
/// h·HeadDim onwards) and the next row <c>stride</c> elements on: one buffer can hold q, k and v of a row together
/// (a packed in_proj output, stride 3E). Per sample and head the scores and the weighted sum are small matrix products
/// (<see cref="Gemm.DotNT"/> and <see cref="Gemm.Broadcast"/>), and the scale, the mask and the softmax are one pass
/// over each row of scores. With AVX-512, up to 16 keys and no dropout, a fused path (Attention.Small.cs) computes
/// them in registers instead; with AVX2 and FMA the same at 256 bits (Attention.Small256.cs).
/// <para>
/// The mask: query t of sample n sees the keys 0..valid−1, valid = min(lengths[n], t + 1 if causal else S): both the
/// key-padding mask (the valid length of each sample's keys) and the causal mask keep a prefix of the keys. A masked
/// weight is exactly 0, as PyTorch's −∞ gives; a row whose keys are all masked (a length of 0) gets weights of 0 and a
/// context of 0, where PyTorch gives NaN. Every row subtracts its maximum before the exponential, so scores of any
/// size (±1e4) give finite weights.
/// </para>
/// <para>
/// Deterministic: every sample and head is computed alone, in a fixed order, so a sample's result does not depend on
/// its batch. Nothing is allocated.
/// </para>
/// </summary>
public static unsafe partial class Attention
{
    /// <summary>
    /// The forward pass: writes <paramref name="weights"/> [batch, heads, T, S] (the softmax, before dropout: what
    /// <c>need_weights</c> returns per head) and <paramref name="context"/> [batch·T, contextStride] (head h's values at
    /// columns h·ValueDim). With a non-empty <paramref name="dropoutMask"/> and <paramref name="dropout"/> &gt; 0 (training),
    /// each weight is kept with probability 1 − p and scaled by 1/(1 − p), the mask (0 or 1/(1 − p)) kept for backward.
    /// </summary>
    /// <param name="q">Queries, [batch·T] rows of <paramref name="qStride"/>, this head-0 column first.</param>
    /// <param name="qStride">Elements from one query row to the next.</param>
    /// <param name="k">Keys, [batch·S] rows.</param>
    /// <param name="kStride">Elements from one key row to the next.</param>
    /// <param name="v">Values, [batch·S] rows.</param>
    /// <param name="vStride">Elements from one value row to the next.</param>
    /// <param name="lengths">Empty, or the number of valid keys of each sample, [batch] (integers in [0, S], as floats).</param>
    /// <param name="weights">The attention weights, written: [batch, heads, T, S].</param>
    /// <param name="context">The output, written: [batch·T] rows of <paramref name="contextStride"/>.</param>
    /// <param name="contextStride">Elements from one context row to the next.</param>
    /// <param name="batch">The samples.</param>
    /// <param name="shape">The sizes.</param>
    /// <param name="dropoutMask">Empty (no dropout), or [batch, heads, T, S]: the dropout mask, written.</param>
    /// <param name="dropout">The probability of dropping a weight.</param>
    /// <param name="key">The draw's key (<see cref="CounterRandom.Key"/>).</param>
    /// <param name="scratch">T·S elements (used with dropout).</param>
    public static void Forward(ReadOnlySpan<float> q, int qStride, ReadOnlySpan<float> k, int kStride, ReadOnlySpan<float> v, int vStride,
        ReadOnlySpan<float> lengths, Span<float> weights, Span<float> context, int contextStride, int batch, AttentionShape shape,
        Span<float> dropoutMask = default, float dropout = 0f, ulong key = 0, Span<float> scratch = default)
    {
        int H = shape.Heads, T = shape.Queries, S = shape.Keys, D = shape.HeadDim, Dv = shape.ValueDim;
        bool drop = !dropoutMask.IsEmpty && dropout > 0f;
        CheckRows(q.Length, batch * T, qStride, H * D, nameof(q));
        CheckRows(k.Length, batch * S, kStride, H * D, nameof(k));
        CheckRows(v.Length, batch * S, vStride, H * Dv, nameof(v));
        CheckRows(context.Length, batch * T, contextStride, H * Dv, nameof(context));
        ThrowHelper.CheckAtLeast(weights.Length, (long)batch * shape.WeightsPerSample, nameof(weights));
        CheckLengths(lengths, batch, S);
        if (drop)
        {
            ThrowHelper.CheckAtLeast(dropoutMask.Length, (long)batch * shape.WeightsPerSample, nameof(dropoutMask));
            ThrowHelper.CheckAtLeast(scratch.Length, (long)T * S, nameof(scratch));
        }
        float scale = shape.Scale, keep = 1f / (1f - dropout);
        // Short key sequences without dropout: the fused path (Attention.Small.cs), the keys of a head transposed here.
        // Without AVX-512, the same at 256 bits (Attention.Small256.cs).
        bool small = !drop && UseSmall(shape);
        bool small256 = !drop && !small && UseSmall256(shape);
        bool sixteen = small && S == SmallKeys && T <= SmallKeys; // lanes along the queries (Attention.Small.cs)
        Span<float> transposed = stackalloc float[small ? Math.Max(D, SmallKeys) * SmallKeys + SmallKeys * SmallKeys : small256 ? D * SmallKeys : 0];
        fixed (float* pq = q, pk = k, pv = v, pw = weights, pc = context, pm = dropoutMask, ps = scratch, pkt = transposed)
        {
            for (int n = 0; n < batch; n++)
            {
                int length = lengths.IsEmpty ? S : (int)lengths[n];
                for (int h = 0; h < H; h++)
                {
                    float* qh = pq + (long)n * T * qStride + h * D;
                    float* kh = pk + (long)n * S * kStride + h * D;
                    float* vh = pv + (long)n * S * vStride + h * Dv;
                    long at = ((long)n * H + h) * T * S;
                    float* w = pw + at;
                    if (sixteen)
                    {
                        ForwardSixteenKeys(qh, qStride, kh, kStride, vh, vStride, length, w, pc + (long)n * T * contextStride + h * Dv, contextStride, shape, pkt);
                        continue;
                    }
                    if (small256)
                    {
                        ForwardSmall256(qh, qStride, kh, kStride, vh, vStride, length, w, pc + (long)n * T * contextStride + h * Dv, contextStride, shape, pkt);
                        continue;
                    }
                    if (small)
                    {
                        ForwardSmall(qh, qStride, kh, kStride, vh, vStride, length, w, pc + (long)n * T * contextStride + h * Dv, contextStride, shape, pkt);
                        continue;
                    }
                    // scores[t, s] = q[t]·k[s]; then, row by row, the scale, the mask and the softmax.
                    Gemm.DotNT(T, S, D, qh, qStride, kh, kStride, w, S, null, accumulate: false);
                    for (int t = 0; t < T; t++)
                        SoftmaxPrefix(w + t * S, Valid(length, t, shape), S, scale);
                    float* used = w;
                    if (drop)
                    {
                        // Inverted dropout on the weights; the mask is kept for the backward pass.
                        float* m = pm + at;
                        for (int i = 0; i < T * S; i++)
                        {
                            m[i] = CounterRandom.Uniform(key, (ulong)(at + i)) < dropout ? 0f : keep;
                            ps[i] = w[i] * m[i];
                        }
                        used = ps;
                    }
                    // context[t, h] = Σₛ weights[t, s]·v[s, h]
                    Gemm.Broadcast(T, Dv, S, used, S, 1, vh, vStride, pc + (long)n * T * contextStride + h * Dv, contextStride, accumulate: false);
                }
            }
        }
    }

    /// <summary>
    /// The backward pass of <see cref="Forward"/>: from dLoss/dContext, writes dLoss/dq, dLoss/dk and dLoss/dv at their
    /// strides (each skipped when its span is empty). With z = scores·scale and w = softmax(z) over the valid keys:
    /// <c>dv = w̃ᵀ·dc</c> (w̃ the weights after dropout), <c>dw = dc·vᵀ</c> (times the dropout mask),
    /// <c>dz = w ⊙ (dw − Σ dw ⊙ w)</c> (0 at masked keys), <c>dq = scale·dz·k</c>, <c>dk = scale·dzᵀ·q</c>.
    /// </summary>
    /// <param name="q">The queries of the forward pass.</param>
    /// <param name="qStride">Elements from one query row to the next.</param>
    /// <param name="k">The keys.</param>
    /// <param name="kStride">Elements from one key row to the next.</param>
    /// <param name="v">The values.</param>
    /// <param name="vStride">Elements from one value row to the next.</param>
    /// <param name="lengths">The valid key lengths of the forward pass, or empty.</param>
    /// <param name="weights">The weights the forward pass wrote.</param>
    /// <param name="dropoutMask">The dropout mask the forward pass wrote, or empty (no dropout).</param>
    /// <param name="dContext">dLoss/dContext, [batch·T] rows of <paramref name="contextStride"/>.</param>
    /// <param name="contextStride">Elements from one context row to the next.</param>
    /// <param name="dq">dLoss/dq, written at <paramref name="dqStride"/>; empty: not wanted.</param>
    /// <param name="dqStride">Elements from one row of <paramref name="dq"/> to the next.</param>
    /// <param name="dk">dLoss/dk, written; empty: not wanted.</param>
    /// <param name="dkStride">Elements from one row of <paramref name="dk"/> to the next.</param>
    /// <param name="dv">dLoss/dv, written; empty: not wanted.</param>
    /// <param name="dvStride">Elements from one row of <paramref name="dv"/> to the next.</param>
    /// <param name="scratch">2·T·S elements.</param>
    /// <param name="batch">The samples.</param>
    /// <param name="shape">The sizes.</param>
    public static void Backward(ReadOnlySpan<float> q, int qStride, ReadOnlySpan<float> k, int kStride, ReadOnlySpan<float> v, int vStride,
        ReadOnlySpan<float> lengths, ReadOnlySpan<float> weights, ReadOnlySpan<float> dropoutMask, ReadOnlySpan<float> dContext, int contextStride,
        Span<float> dq, int dqStride, Span<float> dk, int dkStride, Span<float> dv, int dvStride, Span<float> scratch, int batch, AttentionShape shape)
    {
        int H = shape.Heads, T = shape.Queries, S = shape.Keys, D = shape.HeadDim, Dv = shape.ValueDim;
        bool drop = !dropoutMask.IsEmpty;
        CheckRows(q.Length, batch * T, qStride, H * D, nameof(q));
        CheckRows(k.Length, batch * S, kStride, H * D, nameof(k));
        CheckRows(v.Length, batch * S, vStride, H * Dv, nameof(v));
        CheckRows(dContext.Length, batch * T, contextStride, H * Dv, nameof(dContext));
        if (!dq.IsEmpty) CheckRows(dq.Length, batch * T, dqStride, H * D, nameof(dq));
        if (!dk.IsEmpty) CheckRows(dk.Length, batch * S, dkStride, H * D, nameof(dk));
        if (!dv.IsEmpty) CheckRows(dv.Length, batch * S, dvStride, H * Dv, nameof(dv));
        ThrowHelper.CheckAtLeast(weights.Length, (long)batch * shape.WeightsPerSample, nameof(weights));
        if (drop) ThrowHelper.CheckAtLeast(dropoutMask.Length, (long)batch * shape.WeightsPerSample, nameof(dropoutMask));
        ThrowHelper.CheckAtLeast(scratch.Length, 2L * T * S, nameof(scratch));
        CheckLengths(lengths, batch, S);
        bool wantQ = !dq.IsEmpty, wantK = !dk.IsEmpty, wantV = !dv.IsEmpty;
        if (!wantQ && !wantK && !wantV) return;
        float scale = shape.Scale;
        // Short key sequences without dropout: the fused path (Attention.Small.cs), the values of a head transposed here.
        // Without AVX-512, the same at 256 bits (Attention.Small256.cs).
        bool small = !drop && UseSmall(shape);
        bool small256 = !drop && !small && UseSmall256(shape);
        Span<float> transposed = stackalloc float[small || small256 ? Dv * SmallKeys : 0];
        fixed (float* pq = q, pk = k, pv = v, pw = weights, pm = dropoutMask, pdc = dContext, pdq = dq, pdk = dk, pdv = dv, ps = scratch, pvt = transposed)
        {
            float* dw = ps, dropped = ps + T * S;
            for (int n = 0; n < batch; n++)
            {
                int length = lengths.IsEmpty ? S : (int)lengths[n];
                for (int h = 0; h < H; h++)
                {
                    float* qh = pq + (long)n * T * qStride + h * D;
                    float* kh = pk + (long)n * S * kStride + h * D;
                    float* vh = pv + (long)n * S * vStride + h * Dv;
                    float* dch = pdc + (long)n * T * contextStride + h * Dv;
                    long at = ((long)n * H + h) * T * S;
                    float* w = pw + at, m = drop ? pm + at : null;
                    if (small || small256)
                    {
                        float* dqh = wantQ ? pdq + (long)n * T * dqStride + h * D : null;
                        float* dkh = wantK ? pdk + (long)n * S * dkStride + h * D : null;
                        float* dvh = wantV ? pdv + (long)n * S * dvStride + h * Dv : null;
                        if (small)
                            BackwardSmall(qh, qStride, kh, kStride, vh, vStride, length, w, dch, contextStride, dqh, dqStride, dkh, dkStride, dvh, dvStride, shape, pvt, dw);
                        else
                            BackwardSmall256(qh, qStride, kh, kStride, vh, vStride, length, w, dch, contextStride, dqh, dqStride, dkh, dkStride, dvh, dvStride, shape, pvt, dw);
                        continue;
                    }
                    if (wantV)
                    {
                        // dv[s] = Σₜ w̃[t, s]·dc[t]
                        float* used = w;
                        if (drop)
                        {
                            for (int i = 0; i < T * S; i++) dropped[i] = w[i] * m[i];
                            used = dropped;
                        }
                        Gemm.Broadcast(S, Dv, T, used, 1, S, dch, contextStride, pdv + (long)n * S * dvStride + h * Dv, dvStride, accumulate: false);
                    }
                    if (!wantQ && !wantK) continue;
                    // dw[t, s] = dc[t]·v[s], through the dropout mask
                    Gemm.DotNT(T, S, Dv, dch, contextStride, vh, vStride, dw, S, null, accumulate: false);
                    if (drop)
                        for (int i = 0; i < T * S; i++) dw[i] *= m[i];
                    // dz = scale·w ⊙ (dw − Σ dw ⊙ w), row by row over the valid keys (0 elsewhere)
                    for (int t = 0; t < T; t++)
                        SoftmaxBackwardPrefix(w + t * S, dw + t * S, Valid(length, t, shape), S, scale);
                    // dq[t] = Σₛ dz[t, s]·k[s];  dk[s] = Σₜ dz[t, s]·q[t]
                    if (wantQ) Gemm.Broadcast(T, D, S, dw, S, 1, kh, kStride, pdq + (long)n * T * dqStride + h * D, dqStride, accumulate: false);
                    if (wantK) Gemm.Broadcast(S, D, T, dw, 1, S, qh, qStride, pdk + (long)n * S * dkStride + h * D, dkStride, accumulate: false);
                }
            }
        }
    }

    /// <summary>The keys query <paramref name="t"/> sees: a prefix of the S keys.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Valid(int length, int t, AttentionShape shape) => shape.Causal ? Math.Min(length, t + 1) : length;

    /// <summary>
    /// <c>row[s] = softmax(scale·row)[s]</c> over s &lt; <paramref name="valid"/>, 0 beyond: the maximum is subtracted
    /// first, so no exponent is positive and no score overflows.
    /// </summary>
    private static void SoftmaxPrefix(float* row, int valid, int length, float scale)
    {
        if (valid > 0)
        {
            float max = row[0];
            for (int s = 1; s < valid; s++) max = MathF.Max(max, row[s]);
            float sum = 0f;
            for (int s = 0; s < valid; s++)
            {
                float e = MathF.Exp((row[s] - max) * scale);
                row[s] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int s = 0; s < valid; s++) row[s] *= inv;
        }
        for (int s = valid; s < length; s++) row[s] = 0f;
    }

    /// <summary><c>dw[s] = scale·w[s]·(dw[s] − Σⱼ dw[j]·w[j])</c> over s &lt; <paramref name="valid"/>, 0 beyond.</summary>
    private static void SoftmaxBackwardPrefix(float* w, float* dw, int valid, int length, float scale)
    {
        float dot = 0f;
        for (int s = 0; s < valid; s++) dot += dw[s] * w[s];
        for (int s = 0; s < valid; s++) dw[s] = scale * w[s] * (dw[s] - dot);
        for (int s = valid; s < length; s++) dw[s] = 0f;
    }

    private static void CheckRows(int length, int rows, int stride, int width, string name)
    {
        if (stride < width) ThrowHelper.ThrowArgumentOutOfRange(name + "Stride", stride, $"at least the {width} features of every head");
        ThrowHelper.CheckAtLeast(length, (long)(rows - 1) * stride + width, name);
    }

    private static void CheckLengths(ReadOnlySpan<float> lengths, int batch, int keys)
    {
        if (lengths.IsEmpty) return;
        ThrowHelper.CheckAtLeast(lengths.Length, batch, nameof(lengths));
        for (int n = 0; n < batch; n++)
        {
            float l = lengths[n];
            if (!(l >= 0 && l <= keys) || l != MathF.Floor(l)) ThrowLength(n, l, keys);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLength(int sample, float length, int keys) =>
        throw new ArgumentOutOfRangeException("lengths", length,
            $"The key length of sample {sample} is {length}, but a whole number of valid key positions in [0, {keys}] was expected.");

    /// <summary>
    /// A projection into a strided destination: <c>y[r, o] = b[o] + Σᵢ x[r, i]·W[o, i]</c> for <paramref name="rows"/>
    /// rows, each written at <paramref name="yStride"/> (q, k and v side by side in one buffer). An empty
    /// <paramref name="b"/> means no bias.
    /// </summary>
    /// <param name="x">[rows, in].</param>
    /// <param name="w">[out, in], PyTorch's layout.</param>
    /// <param name="b">[out], or empty.</param>
    /// <param name="y">The output rows.</param>
    /// <param name="yStride">Elements from one output row to the next.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="inFeatures">in.</param>
    /// <param name="outFeatures">out.</param>
    public static void Project(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, int yStride, int rows, int inFeatures, int outFeatures)
    {
        ThrowHelper.CheckAtLeast(x.Length, (long)rows * inFeatures, nameof(x));
        ThrowHelper.CheckLength(w.Length, inFeatures * outFeatures, nameof(w), "[out, in]");
        if (!b.IsEmpty) ThrowHelper.CheckLength(b.Length, outFeatures, nameof(b), "[out] or empty");
        CheckRows(y.Length, rows, yStride, outFeatures, nameof(y));
        fixed (float* px = x, pw = w, pb = b, py = y)
            Gemm.DotNT(rows, outFeatures, inFeatures, px, inFeatures, pw, inFeatures, py, yStride, b.IsEmpty ? null : pb, accumulate: false);
    }

    /// <summary>
    /// The parameter gradients of <see cref="Project"/>: <c>dW[o, i] (+)= Σᵣ dy[r, o]·x[r, i]</c> and
    /// <c>db[o] (+)= Σᵣ dy[r, o]</c> (written when <paramref name="accumulate"/> is false; an empty <paramref name="db"/>: no bias).
    /// </summary>
    /// <param name="dy">dLoss/dy, rows at <paramref name="dyStride"/>.</param>
    /// <param name="dyStride">Elements from one row of <paramref name="dy"/> to the next.</param>
    /// <param name="x">The projection's input, [rows, in].</param>
    /// <param name="dw">[out, in].</param>
    /// <param name="db">[out], or empty.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="inFeatures">in.</param>
    /// <param name="outFeatures">out.</param>
    /// <param name="accumulate">Add to the gradients instead of writing them.</param>
    public static void ProjectBackwardWeights(ReadOnlySpan<float> dy, int dyStride, ReadOnlySpan<float> x, Span<float> dw, Span<float> db, int rows, int inFeatures, int outFeatures, bool accumulate)
    {
        CheckRows(dy.Length, rows, dyStride, outFeatures, nameof(dy));
        ThrowHelper.CheckAtLeast(x.Length, (long)rows * inFeatures, nameof(x));
        ThrowHelper.CheckLength(dw.Length, inFeatures * outFeatures, nameof(dw), "[out, in]");
        if (!db.IsEmpty) ThrowHelper.CheckLength(db.Length, outFeatures, nameof(db), "[out] or empty");
        fixed (float* pdy = dy, px = x, pdw = dw)
            // dW = dYᵀ·X: row o of dW takes dy[r, o] (stride dyStride along r) times row r of X.
            Gemm.Broadcast(outFeatures, inFeatures, rows, pdy, 1, dyStride, px, inFeatures, pdw, inFeatures, accumulate);
        if (db.IsEmpty) return;
        if (!accumulate) db.Clear();
        for (int r = 0; r < rows; r++)
        {
            var row = dy.Slice(r * dyStride, outFeatures);
            for (int o = 0; o < outFeatures; o++) db[o] += row[o];
        }
    }

    /// <summary>
    /// The input gradient of <see cref="Project"/>: <c>dx[r, i] (+)= Σₒ dy[r, o]·W[o, i]</c>, added to
    /// <paramref name="dx"/> when <paramref name="accumulate"/> is set (a tensor projected to q, k and v gets the sum).
    /// </summary>
    /// <param name="dy">dLoss/dy, rows at <paramref name="dyStride"/>.</param>
    /// <param name="dyStride">Elements from one row of <paramref name="dy"/> to the next.</param>
    /// <param name="w">[out, in].</param>
    /// <param name="dx">[rows, in].</param>
    /// <param name="rows">The rows.</param>
    /// <param name="inFeatures">in.</param>
    /// <param name="outFeatures">out.</param>
    /// <param name="accumulate">Add to <paramref name="dx"/> instead of writing it.</param>
    public static void ProjectBackwardInput(ReadOnlySpan<float> dy, int dyStride, ReadOnlySpan<float> w, Span<float> dx, int rows, int inFeatures, int outFeatures, bool accumulate)
    {
        CheckRows(dy.Length, rows, dyStride, outFeatures, nameof(dy));
        ThrowHelper.CheckLength(w.Length, inFeatures * outFeatures, nameof(w), "[out, in]");
        ThrowHelper.CheckAtLeast(dx.Length, (long)rows * inFeatures, nameof(dx));
        fixed (float* pdy = dy, pw = w, pdx = dx)
            // dX = dY·W: row r of dX takes dy[r, o] (stride 1 along o) times row o of W.
            Gemm.Broadcast(rows, inFeatures, outFeatures, pdy, dyStride, 1, pw, inFeatures, pdx, inFeatures, accumulate);
    }
}

/// <summary>
/// Kernels of sequence layers: a per-sample table added to every sample (positional embeddings and encodings), its
/// gradient, the sinusoidal table, and the mean over one dimension.
/// </summary>
public static class Sequence
{
    /// <summary><c>y[n] = x[n] + table</c> for each of <paramref name="batch"/> samples of the table's size.</summary>
    public static void AddTable(ReadOnlySpan<float> x, ReadOnlySpan<float> table, Span<float> y, int batch)
    {
        int size = table.Length;
        ThrowHelper.CheckAtLeast(x.Length, (long)batch * size, nameof(x));
        ThrowHelper.CheckAtLeast(y.Length, (long)batch * size, nameof(y));
        for (int n = 0; n < batch; n++)
            TensorOps.Add(x.Slice(n * size, size), table, y.Slice(n * size, size));
    }

    /// <summary><c>dTable (+)= Σₙ dy[n]</c>: the gradient of a table added to every sample (written when <paramref name="accumulate"/> is false).</summary>
    public static void TableGradient(ReadOnlySpan<float> dy, Span<float> dTable, int batch, bool accumulate)
    {
        int size = dTable.Length;
        ThrowHelper.CheckAtLeast(dy.Length, (long)batch * size, nameof(dy));
        if (!accumulate) dTable.Clear();
        for (int n = 0; n < batch; n++) TensorOps.AddInPlace(dTable, dy.Slice(n * size, size));
    }

    /// <summary>
    /// The fixed sinusoidal encoding of "Attention Is All You Need", [length, dim]: <c>PE[t, 2i] = sin(t·ωᵢ)</c>,
    /// <c>PE[t, 2i + 1] = cos(t·ωᵢ)</c>, <c>ωᵢ = 10000^(−2i/dim)</c>, computed in double and rounded once.
    /// </summary>
    /// <param name="length">T, the positions.</param>
    /// <param name="dim">E, the features.</param>
    /// <returns>A new [length·dim] array.</returns>
    public static float[] Sinusoidal(int length, int dim)
    {
        if (length <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(length), length, "a positive length");
        if (dim <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(dim), dim, "a positive size");
        var table = new float[length * dim];
        for (int t = 0; t < length; t++)
            for (int j = 0; j < dim; j++)
            {
                double omega = Math.Pow(10000.0, -(j - (j & 1)) / (double)dim);
                table[t * dim + j] = (float)((j & 1) == 0 ? Math.Sin(t * omega) : Math.Cos(t * omega));
            }
        return table;
    }

    /// <summary>
    /// The mean along the middle axis of [<paramref name="outer"/>, <paramref name="length"/>, <paramref name="inner"/>]:
    /// <c>y[o, j] = (1/length)·Σᵢ x[o, i, j]</c> (<c>torch.mean(x, dim)</c>).
    /// </summary>
    public static void Mean(ReadOnlySpan<float> x, Span<float> y, int outer, int length, int inner)
    {
        ThrowHelper.CheckAtLeast(x.Length, (long)outer * length * inner, nameof(x));
        ThrowHelper.CheckAtLeast(y.Length, (long)outer * inner, nameof(y));
        float scale = 1f / length;
        for (int o = 0; o < outer; o++)
        {
            var yo = y.Slice(o * inner, inner);
            x.Slice(o * length * inner, inner).CopyTo(yo);
            for (int i = 1; i < length; i++) TensorOps.AddInPlace(yo, x.Slice((o * length + i) * inner, inner));
            for (int j = 0; j < inner; j++) yo[j] *= scale;
        }
    }

    /// <summary>The backward pass of <see cref="Mean"/>: <c>dx[o, i, j] = dy[o, j]/length</c>.</summary>
    public static void MeanBackward(ReadOnlySpan<float> dy, Span<float> dx, int outer, int length, int inner)
    {
        ThrowHelper.CheckAtLeast(dy.Length, (long)outer * inner, nameof(dy));
        ThrowHelper.CheckAtLeast(dx.Length, (long)outer * length * inner, nameof(dx));
        float scale = 1f / length;
        for (int o = 0; o < outer; o++)
        {
            var dyo = dy.Slice(o * inner, inner);
            var first = dx.Slice(o * length * inner, inner);
            for (int j = 0; j < inner; j++) first[j] = dyo[j] * scale;
            for (int i = 1; i < length; i++) first.CopyTo(dx.Slice((o * length + i) * inner, inner));
        }
    }
}
