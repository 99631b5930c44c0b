using System;
using System.Runtime.Intrinsics;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// Layer normalisation over groups of <c>size</c> contiguous elements (the trailing dimensions of a sample), PyTorch's
/// <c>nn.LayerNorm</c>: <c>y = (x − μ)·σ⁻¹·w + b</c> with μ the group's mean and σ = √(var + eps), var the biased variance.
/// Statistics are accumulated in double; each group's μ and σ⁻¹ are kept for the backward pass.
/// <para>
/// Vectorised along the group (512-, 256- or 128-bit, whichever the machine has, a scalar tail): the sums are widened
/// to double lane by lane, and the element-wise steps do the scalar loop's float operations in the same order, so
/// each output is that of the plain loop up to the order of the double sums. Every group is computed alone, so a
/// sample's result does not depend on its batch.
/// </para>
/// </summary>
public static unsafe class LayerNorm
{
    /// <summary>Forward over <paramref name="rows"/> groups. An empty <paramref name="weight"/> means no affine transform.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> mean, Span<float> rstd, int rows, int size, float eps)
    {
        Check(x.Length, rows, size, nameof(x));
        Check(y.Length, rows, size, nameof(y));
        ThrowHelper.CheckAtLeast(mean.Length, rows, nameof(mean));
        ThrowHelper.CheckAtLeast(rstd.Length, rows, nameof(rstd));
        bool affine = !weight.IsEmpty;
        if (affine)
        {
            ThrowHelper.CheckLength(weight.Length, size, nameof(weight), "[size]");
            ThrowHelper.CheckLength(bias.Length, size, nameof(bias), "[size]");
        }
        // Sixteen rows at a time, each step over all of them before the next: the rows' dependency chains (a sum, a
        // reduction, a square root) are independent, and a loop of one step lets the processor overlap them.
        const int Group = 16;
        double* mus = stackalloc double[Group];
        fixed (float* px = x, py = y, pw = weight, pb = bias, pm = mean, pr = rstd)
            for (int r0 = 0; r0 < rows; r0 += Group)
            {
                int count = Math.Min(Group, rows - r0);
                float* x0 = px + (long)r0 * size;
                for (int i = 0; i < count; i++)
                    mus[i] = Sum(x0 + (long)i * size, size) / size;
                for (int i = 0; i < count; i++)
                {
                    double squares = SquaredDeviations(x0 + (long)i * size, size, mus[i]); // two passes: no cancellation when the mean is large
                    pr[r0 + i] = (float)(1.0 / Math.Sqrt(squares / size + eps));
                    pm[r0 + i] = (float)mus[i];
                }
                for (int i = 0; i < count; i++)
                    Normalize(x0 + (long)i * size, py + (long)(r0 + i) * size, size, pm[r0 + i], pr[r0 + i], affine ? pw : null, pb);
            }
    }

    /// <summary>
    /// Backward: with x̂ = (x − μ)σ⁻¹ and g = dy·w (dy without affine),
    /// <c>dx = σ⁻¹·(g − mean(g) − x̂·mean(g·x̂))</c> (written; skipped when <paramref name="dx"/> is empty),
    /// <c>dw += Σ dy·x̂</c> and <c>db += Σ dy</c> over the groups (written instead when <paramref name="accumulate"/> is false).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias, int rows, int size, bool accumulate)
    {
        Check(x.Length, rows, size, nameof(x));
        Check(dy.Length, rows, size, nameof(dy));
        if (!dx.IsEmpty) Check(dx.Length, rows, size, nameof(dx));
        ThrowHelper.CheckAtLeast(mean.Length, rows, nameof(mean));
        ThrowHelper.CheckAtLeast(rstd.Length, rows, nameof(rstd));
        bool affine = !weight.IsEmpty;
        if (affine)
        {
            ThrowHelper.CheckLength(weight.Length, size, nameof(weight), "[size]");
            ThrowHelper.CheckLength(dWeight.Length, size, nameof(dWeight), "[size]");
            ThrowHelper.CheckLength(dBias.Length, size, nameof(dBias), "[size]");
            if (!accumulate)
            {
                dWeight.Clear();
                dBias.Clear();
            }
        }
        fixed (float* px = x, pw = weight, pdy = dy, pdx = dx, pdw = dWeight, pdb = dBias)
            for (int r = 0; r < rows; r++)
            {
                float* xr = px + (long)r * size, gr = pdy + (long)r * size;
                float m = mean[r], inv = rstd[r];
                var (sumG, sumGx) = BackwardSums(xr, gr, size, m, inv, affine ? pw : null, pdw, pdb);
                if (dx.IsEmpty) continue;
                float meanG = (float)(sumG / size), meanGx = (float)(sumGx / size);
                BackwardInput(xr, gr, pdx + (long)r * size, size, m, inv, affine ? pw : null, meanG, meanGx);
            }
    }

    /// <summary>Σ x[i], in double.</summary>
    private static double Sum(float* x, int n)
    {
        int i = 0;
        double sum = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<double>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(x + i));
                acc += lo + hi;
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<double>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(x + i));
                acc += lo + hi;
            }
            sum = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var acc = Vector128<double>.Zero;
            for (; i + 4 <= n; i += 4)
            {
                var (lo, hi) = Vector128.Widen(Vector128.Load(x + i));
                acc += lo + hi;
            }
            sum = Vector128.Sum(acc);
        }
        for (; i < n; i++) sum += x[i];
        return sum;
    }

    /// <summary>Σ (x[i] − μ)², in double.</summary>
    private static double SquaredDeviations(float* x, int n, double mu)
    {
        int i = 0;
        double squares = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<double>.Zero;
            var vm = Vector512.Create(mu);
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(x + i));
                lo -= vm;
                hi -= vm;
                acc += lo * lo + hi * hi;
            }
            squares = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<double>.Zero;
            var vm = Vector256.Create(mu);
            for (; i + 8 <= n; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(x + i));
                lo -= vm;
                hi -= vm;
                acc += lo * lo + hi * hi;
            }
            squares = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var acc = Vector128<double>.Zero;
            var vm = Vector128.Create(mu);
            for (; i + 4 <= n; i += 4)
            {
                var (lo, hi) = Vector128.Widen(Vector128.Load(x + i));
                lo -= vm;
                hi -= vm;
                acc += lo * lo + hi * hi;
            }
            squares = Vector128.Sum(acc);
        }
        for (; i < n; i++)
        {
            double d = x[i] - mu;
            squares += d * d;
        }
        return squares;
    }

    /// <summary><c>y = (x − m)·inv·w + b</c>, or <c>(x − m)·inv</c> when <paramref name="w"/> is null: the float operations of the plain loop, in its order.</summary>
    private static void Normalize(float* x, float* y, int n, float m, float inv, float* w, float* b)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m);
            var vi = Vector512.Create(inv);
            for (; i + 16 <= n; i += 16)
            {
                var v = (Vector512.Load(x + i) - vm) * vi;
                if (w != null) v = v * Vector512.Load(w + i) + Vector512.Load(b + i);
                v.Store(y + i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var vi = Vector256.Create(inv);
            for (; i + 8 <= n; i += 8)
            {
                var v = (Vector256.Load(x + i) - vm) * vi;
                if (w != null) v = v * Vector256.Load(w + i) + Vector256.Load(b + i);
                v.Store(y + i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var vm = Vector128.Create(m);
            var vi = Vector128.Create(inv);
            for (; i + 4 <= n; i += 4)
            {
                var v = (Vector128.Load(x + i) - vm) * vi;
                if (w != null) v = v * Vector128.Load(w + i) + Vector128.Load(b + i);
                v.Store(y + i);
            }
        }
        for (; i < n; i++)
        {
            float v = (x[i] - m) * inv;
            y[i] = w != null ? v * w[i] + b[i] : v;
        }
    }

    /// <summary>
    /// One group's Σ g and Σ g·x̂ (in double, g = dy·w, x̂ = (x − m)·inv), adding dy·x̂ to dw and dy to db when
    /// <paramref name="w"/> is not null.
    /// </summary>
    private static (double SumG, double SumGx) BackwardSums(float* x, float* dy, int n, float m, float inv, float* w, float* dw, float* db)
    {
        int i = 0;
        double sumG = 0, sumGx = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<double> ag = default, agx = default;
            var vm = Vector512.Create(m);
            var vi = Vector512.Create(inv);
            for (; i + 16 <= n; i += 16)
            {
                var xh = (Vector512.Load(x + i) - vm) * vi;
                var d = Vector512.Load(dy + i);
                var g = d;
                if (w != null)
                {
                    g = d * Vector512.Load(w + i);
                    (Vector512.Load(dw + i) + d * xh).Store(dw + i);
                    (Vector512.Load(db + i) + d).Store(db + i);
                }
                var (glo, ghi) = Vector512.Widen(g);
                var (xlo, xhi) = Vector512.Widen(xh);
                ag += glo + ghi;
                agx += glo * xlo + ghi * xhi;
            }
            sumG = Vector512.Sum(ag);
            sumGx = Vector512.Sum(agx);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<double> ag = default, agx = default;
            var vm = Vector256.Create(m);
            var vi = Vector256.Create(inv);
            for (; i + 8 <= n; i += 8)
            {
                var xh = (Vector256.Load(x + i) - vm) * vi;
                var d = Vector256.Load(dy + i);
                var g = d;
                if (w != null)
                {
                    g = d * Vector256.Load(w + i);
                    (Vector256.Load(dw + i) + d * xh).Store(dw + i);
                    (Vector256.Load(db + i) + d).Store(db + i);
                }
                var (glo, ghi) = Vector256.Widen(g);
                var (xlo, xhi) = Vector256.Widen(xh);
                ag += glo + ghi;
                agx += glo * xlo + ghi * xhi;
            }
            sumG = Vector256.Sum(ag);
            sumGx = Vector256.Sum(agx);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            Vector128<double> ag = default, agx = default;
            var vm = Vector128.Create(m);
            var vi = Vector128.Create(inv);
            for (; i + 4 <= n; i += 4)
            {
                var xh = (Vector128.Load(x + i) - vm) * vi;
                var d = Vector128.Load(dy + i);
                var g = d;
                if (w != null)
                {
                    g = d * Vector128.Load(w + i);
                    (Vector128.Load(dw + i) + d * xh).Store(dw + i);
                    (Vector128.Load(db + i) + d).Store(db + i);
                }
                var (glo, ghi) = Vector128.Widen(g);
                var (xlo, xhi) = Vector128.Widen(xh);
                ag += glo + ghi;
                agx += glo * xlo + ghi * xhi;
            }
            sumG = Vector128.Sum(ag);
            sumGx = Vector128.Sum(agx);
        }
        for (; i < n; i++)
        {
            float xh = (x[i] - m) * inv;
            float g = w != null ? dy[i] * w[i] : dy[i];
            sumG += g;
            sumGx += (double)g * xh;
            if (w != null)
            {
                dw[i] += dy[i] * xh;
                db[i] += dy[i];
            }
        }
        return (sumG, sumGx);
    }

    /// <summary><c>dx = inv·(g − meanG − x̂·meanGx)</c>, the float operations of the plain loop in its order.</summary>
    private static void BackwardInput(float* x, float* dy, float* dx, int n, float m, float inv, float* w, float meanG, float meanGx)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m);
            var vi = Vector512.Create(inv);
            var vg = Vector512.Create(meanG);
            var vgx = Vector512.Create(meanGx);
            for (; i + 16 <= n; i += 16)
            {
                var xh = (Vector512.Load(x + i) - vm) * vi;
                var g = Vector512.Load(dy + i);
                if (w != null) g *= Vector512.Load(w + i);
                (vi * (g - vg - xh * vgx)).Store(dx + i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var vi = Vector256.Create(inv);
            var vg = Vector256.Create(meanG);
            var vgx = Vector256.Create(meanGx);
            for (; i + 8 <= n; i += 8)
            {
                var xh = (Vector256.Load(x + i) - vm) * vi;
                var g = Vector256.Load(dy + i);
                if (w != null) g *= Vector256.Load(w + i);
                (vi * (g - vg - xh * vgx)).Store(dx + i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var vm = Vector128.Create(m);
            var vi = Vector128.Create(inv);
            var vg = Vector128.Create(meanG);
            var vgx = Vector128.Create(meanGx);
            for (; i + 4 <= n; i += 4)
            {
                var xh = (Vector128.Load(x + i) - vm) * vi;
                var g = Vector128.Load(dy + i);
                if (w != null) g *= Vector128.Load(w + i);
                (vi * (g - vg - xh * vgx)).Store(dx + i);
            }
        }
        for (; i < n; i++)
        {
            float xh = (x[i] - m) * inv;
            float g = w != null ? dy[i] * w[i] : dy[i];
            dx[i] = inv * (g - meanG - xh * meanGx);
        }
    }

    private static void Check(int length, int rows, int size, string name) => ThrowHelper.CheckAtLeast(length, (long)rows * size, name);
}

/// <summary>
/// Batch normalisation per channel, PyTorch's <c>nn.BatchNorm1d/2d</c>: a batch is [batch, channels, inner] (inner = L or
/// H·W, 1 for vectors); channel c is normalised over the batch·inner values it has. Statistics are accumulated in double.
/// </summary>
public static class BatchNorm
{
    /// <summary>
    /// Training forward: each channel's batch mean μ and biased variance σ² give y = (x − μ)/√(σ² + eps)·w + b (no affine
    /// transform when <paramref name="weight"/> is empty); μ and 1/√(σ² + eps) are kept for backward. When
    /// <paramref name="runningMean"/> is not empty the running statistics move towards the batch's:
    /// running = (1 − momentum)·running + momentum·batch, with the unbiased variance σ²·n/(n − 1), and
    /// <paramref name="numBatchesTracked"/> grows by one.
    /// </summary>
    /// <exception cref="InvalidOperationException">A channel has one value in the batch (batch × inner = 1): its variance is undefined.</exception>
    public static void ForwardTraining(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> mean, Span<float> rstd, Span<float> runningMean, Span<float> runningVar, Span<float> numBatchesTracked,
        int batch, int channels, int inner, float eps, float momentum)
    {
        Check(x.Length, y.Length, weight, bias, mean.Length, batch, channels, inner);
        ThrowHelper.CheckAtLeast(rstd.Length, channels, nameof(rstd));
        long count = (long)batch * inner;
        if (count < 2)
            ThrowHelper.ThrowInvalidOperation($"Batch normalisation in training needs more than one value per channel, but the batch has {batch} sample(s) of {inner} value(s) per channel (PyTorch refuses this too): train with batches of 2 or more.");
        bool track = !runningMean.IsEmpty;
        if (track)
        {
            ThrowHelper.CheckLength(runningMean.Length, channels, nameof(runningMean), "[channels]");
            ThrowHelper.CheckLength(runningVar.Length, channels, nameof(runningVar), "[channels]");
            ThrowHelper.CheckLength(numBatchesTracked.Length, 1, nameof(numBatchesTracked), "[] (one counter)");
        }
        int f = channels * inner;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
            {
                var xr = x.Slice(n * f + c * inner, inner);
                for (int j = 0; j < inner; j++) sum += xr[j];
            }
            double mu = sum / count, squares = 0;
            for (int n = 0; n < batch; n++)
            {
                var xr = x.Slice(n * f + c * inner, inner);
                for (int j = 0; j < inner; j++)
                {
                    double d = xr[j] - mu;
                    squares += d * d;
                }
            }
            double variance = squares / count;
            float m = (float)mu, inv = (float)(1.0 / Math.Sqrt(variance + eps));
            mean[c] = m;
            rstd[c] = inv;
            if (track)
            {
                runningMean[c] = (float)((1 - momentum) * runningMean[c] + momentum * mu);
                runningVar[c] = (float)((1 - momentum) * runningVar[c] + momentum * variance * count / (count - 1));
            }
            Normalize(x, weight, bias, y, c, m, inv, batch, channels, inner);
        }
        if (track) numBatchesTracked[0] += 1;
    }

    /// <summary>Evaluation forward: y = (x − running_mean)/√(running_var + eps)·w + b per channel.</summary>
    public static void ForwardEvaluation(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, int batch, int channels, int inner, float eps)
    {
        Check(x.Length, y.Length, weight, bias, runningMean.Length, batch, channels, inner);
        ThrowHelper.CheckLength(runningVar.Length, channels, nameof(runningVar), "[channels]");
        for (int c = 0; c < channels; c++)
            Normalize(x, weight, bias, y, c, runningMean[c], (float)(1.0 / Math.Sqrt(runningVar[c] + (double)eps)), batch, channels, inner);
    }

    private static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int c, float m, float inv, int batch, int channels, int inner)
    {
        // y = x·scale + shift, with scale = w/σ and shift = b − μ·w/σ.
        float scale = weight.IsEmpty ? inv : inv * weight[c];
        float shift = (weight.IsEmpty ? 0f : bias[c]) - m * scale;
        int f = channels * inner;
        for (int n = 0; n < batch; n++)
        {
            var xr = x.Slice(n * f + c * inner, inner);
            var yr = y.Slice(n * f + c * inner, inner);
            for (int j = 0; j < inner; j++) yr[j] = xr[j] * scale + shift;
        }
    }

    /// <summary>
    /// Backward of a training forward: with x̂ = (x − μ)/σ and g = dy·w (dy without affine), per channel over its n values
    /// <c>dx = (g − mean(g) − x̂·mean(g·x̂))/σ</c> (written; skipped when <paramref name="dx"/> is empty),
    /// <c>dw += Σ dy·x̂</c> and <c>db += Σ dy</c> (written instead when <paramref name="accumulate"/> is false).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias, int batch, int channels, int inner, bool accumulate)
    {
        int f = channels * inner;
        long count = (long)batch * inner;
        ThrowHelper.CheckAtLeast(x.Length, (long)batch * f, nameof(x));
        ThrowHelper.CheckAtLeast(dy.Length, (long)batch * f, nameof(dy));
        if (!dx.IsEmpty) ThrowHelper.CheckAtLeast(dx.Length, (long)batch * f, nameof(dx));
        bool affine = !weight.IsEmpty;
        if (affine)
        {
            ThrowHelper.CheckLength(dWeight.Length, channels, nameof(dWeight), "[channels]");
            ThrowHelper.CheckLength(dBias.Length, channels, nameof(dBias), "[channels]");
        }
        for (int c = 0; c < channels; c++)
        {
            float m = mean[c], inv = rstd[c], w = affine ? weight[c] : 1f;
            double sumDy = 0, sumDyX = 0;
            for (int n = 0; n < batch; n++)
            {
                var xr = x.Slice(n * f + c * inner, inner);
                var gr = dy.Slice(n * f + c * inner, inner);
                for (int j = 0; j < inner; j++)
                {
                    sumDy += gr[j];
                    sumDyX += (double)gr[j] * (xr[j] - m) * inv;
                }
            }
            if (affine)
            {
                dWeight[c] = (float)(accumulate ? dWeight[c] + sumDyX : sumDyX);
                dBias[c] = (float)(accumulate ? dBias[c] + sumDy : sumDy);
            }
            if (dx.IsEmpty) continue;
            // mean(g) = w·mean(dy), mean(g·x̂) = w·mean(dy·x̂).
            float meanG = (float)(w * sumDy / count), meanGx = (float)(w * sumDyX / count);
            for (int n = 0; n < batch; n++)
            {
                var xr = x.Slice(n * f + c * inner, inner);
                var gr = dy.Slice(n * f + c * inner, inner);
                var dr = dx.Slice(n * f + c * inner, inner);
                for (int j = 0; j < inner; j++)
                {
                    float xh = (xr[j] - m) * inv;
                    dr[j] = inv * (gr[j] * w - meanG - xh * meanGx);
                }
            }
        }
    }

    private static void Check(int xLength, int yLength, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int statistics, int batch, int channels, int inner)
    {
        long n = (long)batch * channels * inner;
        ThrowHelper.CheckAtLeast(xLength, n, "x");
        ThrowHelper.CheckAtLeast(yLength, n, "y");
        ThrowHelper.CheckAtLeast(statistics, channels, "mean");
        if (!weight.IsEmpty)
        {
            ThrowHelper.CheckLength(weight.Length, channels, nameof(weight), "[channels]");
            ThrowHelper.CheckLength(bias.Length, channels, nameof(bias), "[channels]");
        }
    }
}
