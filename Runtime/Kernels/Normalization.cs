using System;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// Layer normalisation over groups of <c>size</c> contiguous elements (the trailing dimensions of a sample), PyTorch's
/// <c>nn.LayerNorm</c>: <c>y = (x − μ)·σ⁻¹·w + b</c> with μ the group's mean and σ = √(var + eps), var the biased variance.
/// Statistics are accumulated in double; each group's μ and σ⁻¹ are kept for the backward pass.
/// </summary>
public static class LayerNorm
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
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * size, size);
            var yr = y.Slice(r * size, size);
            double sum = 0;
            for (int i = 0; i < size; i++) sum += xr[i];
            double mu = sum / size;
            double squares = 0; // two passes: no cancellation when the mean is large
            for (int i = 0; i < size; i++)
            {
                double d = xr[i] - mu;
                squares += d * d;
            }
            float inv = (float)(1.0 / Math.Sqrt(squares / size + eps));
            float m = (float)mu;
            mean[r] = m;
            rstd[r] = inv;
            if (affine)
                for (int i = 0; i < size; i++) yr[i] = (xr[i] - m) * inv * weight[i] + bias[i];
            else
                for (int i = 0; i < size; i++) yr[i] = (xr[i] - m) * inv;
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
        bool affine = !weight.IsEmpty;
        if (affine)
        {
            ThrowHelper.CheckLength(dWeight.Length, size, nameof(dWeight), "[size]");
            ThrowHelper.CheckLength(dBias.Length, size, nameof(dBias), "[size]");
            if (!accumulate)
            {
                dWeight.Clear();
                dBias.Clear();
            }
        }
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * size, size);
            var gr = dy.Slice(r * size, size);
            float m = mean[r], inv = rstd[r];
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < size; i++)
            {
                float xh = (xr[i] - m) * inv;
                float g = affine ? gr[i] * weight[i] : gr[i];
                sumG += g;
                sumGx += (double)g * xh;
                if (affine)
                {
                    dWeight[i] += gr[i] * xh;
                    dBias[i] += gr[i];
                }
            }
            if (dx.IsEmpty) continue;
            var dr = dx.Slice(r * size, size);
            float meanG = (float)(sumG / size), meanGx = (float)(sumGx / size);
            for (int i = 0; i < size; i++)
            {
                float xh = (xr[i] - m) * inv;
                float g = affine ? gr[i] * weight[i] : gr[i];
                dr[i] = inv * (g - meanG - xh * meanGx);
            }
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
