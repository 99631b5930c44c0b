using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// An Elman RNN, one direction of one layer, over sequences [batch, steps, <typeparamref name="TIn"/>] (PyTorch's
/// <c>nn.RNN</c> with <c>batch_first=True</c>). See <see cref="Lstm{TIn, THidden}"/> for the buffers, with one gate
/// block instead of four; the RNN keeps no state besides h.
/// </summary>
public static class Rnn<TIn, THidden> where TIn : IDim where THidden : IDim
{
    /// <summary>Forward of one direction; h_t goes to columns [offset, offset + hidden) of row (n, t) of <paramref name="y"/>.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> y, int width, int offset, Span<float> gates, Span<float> scratch, Span<float> transposed, int batch, int steps, bool reverse,
        RnnNonlinearity nonlinearity)
    {
        if (nonlinearity == RnnNonlinearity.ReLU)
            RecurrentLoop<RnnReluCell, TIn, THidden>.Forward(x, wIh, wHh, bIh, bHh, y, width, offset, gates, default, scratch, transposed, batch, steps, reverse);
        else
            RecurrentLoop<RnnTanhCell, TIn, THidden>.Forward(x, wIh, wHh, bIh, bHh, y, width, offset, gates, default, scratch, transposed, batch, steps, reverse);
    }

    /// <summary>Backward through time of one direction; see <see cref="Lstm{TIn, THidden}.Backward"/>.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> y, int width, int offset,
        ReadOnlySpan<float> gates, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dwIh, Span<float> dwHh, Span<float> dbIh, Span<float> dbHh,
        Span<float> dGates, Span<float> scratch, int batch, int steps, bool reverse, RnnNonlinearity nonlinearity, bool accumulate, bool accumulateInput)
    {
        if (nonlinearity == RnnNonlinearity.ReLU)
            RecurrentLoop<RnnReluCell, TIn, THidden>.Backward(x, wIh, wHh, y, width, offset, gates, default, dy, dx, dwIh, dwHh, dbIh, dbHh,
                dGates, dGates, scratch, batch, steps, reverse, accumulate, accumulateInput);
        else
            RecurrentLoop<RnnTanhCell, TIn, THidden>.Backward(x, wIh, wHh, y, width, offset, gates, default, dy, dx, dwIh, dwHh, dbIh, dbHh,
                dGates, dGates, scratch, batch, steps, reverse, accumulate, accumulateInput);
    }
}

/// <summary>
/// An LSTM, one direction of one layer, over sequences [batch, steps, <typeparamref name="TIn"/>] (PyTorch's
/// <c>nn.LSTM</c> with <c>batch_first=True</c>, gates i, f, g, o). The input projection of every step is one matrix
/// product before the time loop; each step then adds the recurrent product h_{t−1}·W_hhᵀ for the whole batch and
/// applies the gates' nonlinearities and the cell update in one pass. Buffers, per sample:
/// <list type="bullet">
/// <item><c>y</c>: [steps, width]; h_t is written to columns [offset, offset + hidden) (a bidirectional layer's two
/// directions share the rows), and the backward pass reads it back.</item>
/// <item><c>gates</c>: [steps, 4·hidden], the gates' activations; <c>cells</c>: [steps, hidden], c_t.</item>
/// <item><c>scratch</c>: 4·hidden + 3·hidden.</item>
/// </list>
/// and <c>transposed</c>, 2·4·hidden·(in + hidden) whatever the batch, kept between calls: copies of W_ih and W_hh and
/// their transposes (made again only when the weights have changed), so that the products read the weights row by
/// row, broadcasting each input: the recurrent weights stay in cache from step to step.
/// </summary>
public static class Lstm<TIn, THidden> where TIn : IDim where THidden : IDim
{
    /// <summary>Forward of one direction (<paramref name="reverse"/>: from the last step to the first). Empty biases mean none.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> y, int width, int offset, Span<float> gates, Span<float> cells, Span<float> scratch, Span<float> transposed, int batch, int steps, bool reverse) =>
        RecurrentLoop<LstmCell, TIn, THidden>.Forward(x, wIh, wHh, bIh, bHh, y, width, offset, gates, cells, scratch, transposed, batch, steps, reverse);

    /// <summary>
    /// Backward through time of one direction, from <paramref name="dy"/> (the gradient of <c>y</c>; this direction's
    /// columns are read). Writes the parameter gradients (added when <paramref name="accumulate"/>) and, unless
    /// <paramref name="dx"/> is empty, the input gradient (added when <paramref name="accumulateInput"/>: a bidirectional
    /// layer's second direction). <paramref name="dGates"/> ([batch, steps, 4·hidden]) is scratch.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> y, int width, int offset,
        ReadOnlySpan<float> gates, ReadOnlySpan<float> cells, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dwIh, Span<float> dwHh, Span<float> dbIh, Span<float> dbHh,
        Span<float> dGates, Span<float> scratch, int batch, int steps, bool reverse, bool accumulate, bool accumulateInput) =>
        RecurrentLoop<LstmCell, TIn, THidden>.Backward(x, wIh, wHh, y, width, offset, gates, cells, dy, dx, dwIh, dwHh, dbIh, dbHh,
            dGates, dGates, scratch, batch, steps, reverse, accumulate, accumulateInput);
}

/// <summary>
/// A GRU, one direction of one layer, over sequences [batch, steps, <typeparamref name="TIn"/>] (PyTorch's
/// <c>nn.GRU</c> with <c>batch_first=True</c>, gates r, z, n, b_hn inside the reset product). As
/// <see cref="Lstm{TIn, THidden}"/>, with <c>gates</c> [steps, 3·hidden] (r, z, n), <c>hiddenProducts</c>
/// [steps, hidden] (h_{t−1}·W_hnᵀ + b_hn, which the reset gate scales), scratch of 3·hidden + 3·hidden a sample and
/// <c>transposed</c> of 2·3·hidden·(in + hidden). The
/// backward pass needs a second gradient buffer, <c>dRecurrent</c>: the hidden side's gradient differs from the input
/// side's in the n gate.
/// </summary>
public static class Gru<TIn, THidden> where TIn : IDim where THidden : IDim
{
    /// <summary>Forward of one direction.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> y, int width, int offset, Span<float> gates, Span<float> hiddenProducts, Span<float> scratch, Span<float> transposed, int batch, int steps,
        bool reverse) =>
        RecurrentLoop<GruCell, TIn, THidden>.Forward(x, wIh, wHh, bIh, bHh, y, width, offset, gates, hiddenProducts, scratch, transposed, batch, steps, reverse);

    /// <summary>Backward through time of one direction; see <see cref="Lstm{TIn, THidden}.Backward"/>.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> y, int width, int offset,
        ReadOnlySpan<float> gates, ReadOnlySpan<float> hiddenProducts, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dwIh, Span<float> dwHh,
        Span<float> dbIh, Span<float> dbHh, Span<float> dGates, Span<float> dRecurrent, Span<float> scratch, int batch, int steps, bool reverse,
        bool accumulate, bool accumulateInput) =>
        RecurrentLoop<GruCell, TIn, THidden>.Backward(x, wIh, wHh, y, width, offset, gates, hiddenProducts, dy, dx, dwIh, dwHh, dbIh, dbHh,
            dGates, dRecurrent, scratch, batch, steps, reverse, accumulate, accumulateInput);
}

/// <summary>What stacked and bidirectional recurrent layers need around the cells: dropout keys and the output's choice.</summary>
public static class Recurrent
{
    /// <summary>
    /// The key of the dropout between stacked layers <paramref name="between"/> and <paramref name="between"/> + 1 of
    /// network layer <paramref name="layer"/>: <see cref="CounterRandom.Key"/> of a seed told apart per gap, so each
    /// gap draws its own mask (the GPU computes the same).
    /// </summary>
    public static ulong DropoutKey(ulong seed, int layer, ulong step, int between) =>
        CounterRandom.Key(seed ^ ((ulong)(uint)(between + 1) << 32), layer, step);

    /// <summary>y[n] = seq[n, steps − 1]: the last step of [batch, steps, width].</summary>
    public static void LastStep(ReadOnlySpan<float> seq, Span<float> y, int batch, int steps, int width)
    {
        ThrowHelper.CheckAtLeast(seq.Length, (long)batch * steps * width, nameof(seq));
        ThrowHelper.CheckAtLeast(y.Length, (long)batch * width, nameof(y));
        for (int n = 0; n < batch; n++)
            seq.Slice((n * steps + steps - 1) * width, width).CopyTo(y.Slice(n * width, width));
    }

    /// <summary>The gradient of <see cref="LastStep"/>: dseq is zero but at the last step, which is dy.</summary>
    public static void LastStepBackward(ReadOnlySpan<float> dy, Span<float> dseq, int batch, int steps, int width)
    {
        ThrowHelper.CheckAtLeast(dseq.Length, (long)batch * steps * width, nameof(dseq));
        ThrowHelper.CheckAtLeast(dy.Length, (long)batch * width, nameof(dy));
        dseq[..(batch * steps * width)].Clear();
        for (int n = 0; n < batch; n++)
            dy.Slice(n * width, width).CopyTo(dseq.Slice((n * steps + steps - 1) * width, width));
    }

    /// <summary>
    /// Both directions' final hidden states of a bidirectional sequence [batch, steps, 2·hidden]: the forward
    /// direction's at the last step, the backward direction's at the first (PyTorch's <c>h_n[-2]</c>, <c>h_n[-1]</c>).
    /// </summary>
    public static void FinalHidden(ReadOnlySpan<float> seq, Span<float> y, int batch, int steps, int hidden)
    {
        int width = 2 * hidden;
        ThrowHelper.CheckAtLeast(seq.Length, (long)batch * steps * width, nameof(seq));
        ThrowHelper.CheckAtLeast(y.Length, (long)batch * width, nameof(y));
        for (int n = 0; n < batch; n++)
        {
            seq.Slice((n * steps + steps - 1) * width, hidden).CopyTo(y.Slice(n * width, hidden));
            seq.Slice(n * steps * width + hidden, hidden).CopyTo(y.Slice(n * width + hidden, hidden));
        }
    }

    /// <summary>The gradient of <see cref="FinalHidden"/>: dseq is zero but where the final states were read.</summary>
    public static void FinalHiddenBackward(ReadOnlySpan<float> dy, Span<float> dseq, int batch, int steps, int hidden)
    {
        int width = 2 * hidden;
        ThrowHelper.CheckAtLeast(dseq.Length, (long)batch * steps * width, nameof(dseq));
        ThrowHelper.CheckAtLeast(dy.Length, (long)batch * width, nameof(dy));
        dseq[..(batch * steps * width)].Clear();
        for (int n = 0; n < batch; n++)
        {
            dy.Slice(n * width, hidden).CopyTo(dseq.Slice((n * steps + steps - 1) * width, hidden));
            dy.Slice(n * width + hidden, hidden).CopyTo(dseq.Slice(n * steps * width + hidden, hidden));
        }
    }
}

/// <summary>
/// The time loop of every recurrent kind, specialised by the JIT for the cell and the sizes. Row (n, t) of every
/// per-step buffer is at n·steps + t: the batch-major layout of the sequences themselves.
/// </summary>
internal static unsafe class RecurrentLoop<TCell, TIn, THidden> where TCell : struct, IRecurrentCell where TIn : IDim where THidden : IDim
{
    private static int F => TIn.Value;

    private static int H => THidden.Value;

    private static int G => TCell.Gates * THidden.Value;

    private static void Check(int x, int wIh, int wHh, int bIh, int bHh, int y, int width, int offset, int gates, int kept, int scratch, int batch, int steps)
    {
        if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive batch size");
        if (steps <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(steps), steps, "a positive number of steps");
        if (offset < 0 || offset + H > width) ThrowHelper.ThrowArgumentOutOfRange(nameof(offset), offset, $"columns [offset, offset + {H}) within a width of {width}");
        long rows = (long)batch * steps;
        ThrowHelper.CheckAtLeast(x, rows * F, "x");
        ThrowHelper.CheckLength(wIh, G * F, "wIh", "[gates·hidden, in]");
        ThrowHelper.CheckLength(wHh, G * H, "wHh", "[gates·hidden, hidden]");
        if (bIh != 0) ThrowHelper.CheckLength(bIh, G, "bIh", "[gates·hidden] or empty");
        if (bHh != 0) ThrowHelper.CheckLength(bHh, G, "bHh", "[gates·hidden] or empty");
        ThrowHelper.CheckAtLeast(y, rows * width, "y");
        ThrowHelper.CheckAtLeast(gates, rows * G, "gates");
        if (TCell.Keeps) ThrowHelper.CheckAtLeast(kept, rows * H, "kept");
        ThrowHelper.CheckAtLeast(scratch, (long)batch * (G + 3 * H), "scratch");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> y, int width, int offset, Span<float> gates, Span<float> kept, Span<float> scratch, Span<float> transposed, int batch, int steps, bool reverse)
    {
        Check(x.Length, wIh.Length, wHh.Length, bIh.Length, bHh.Length, y.Length, width, offset, gates.Length, kept.Length, scratch.Length, batch, steps);
        ThrowHelper.CheckAtLeast(transposed.Length, 2L * G * (F + H), nameof(transposed));
        int f = F, h = H, g = G;
        fixed (float* px = x, pwIh = wIh, pwHh = wHh, pbIh = bIh, pbHh = bHh, py = y, pg = gates, pk = kept, ps = scratch, pt = transposed)
        {
            // W_ihᵀ [in, gates·hidden] and W_hhᵀ [hidden, gates·hidden], read row by row by the products.
            float* ihT = Transposed(wIh, transposed[..(2 * g * f)], g, f, pt);
            float* hhT = Transposed(wHh, transposed.Slice(2 * g * f, 2 * g * h), g, h, pt + 2 * g * f);
            // The input projection of every step at once: [batch·steps, in]·W_ihᵀ (b_ih is added in the cells).
            Gemm.Broadcast(batch * steps, g, f, px, f, 1, ihT, g, pg, g, accumulate: false);
            float* bi = bIh.IsEmpty ? null : pbIh;
            float* hy = py + offset;
            for (int s = 0; s < steps; s++)
            {
                int t = reverse ? steps - 1 - s : s, tp = reverse ? t + 1 : t - 1;
                // The recurrent product of the batch, h_{t−1}·W_hhᵀ + b_hh (b_hh alone at the first step, where h is 0).
                if (s == 0)
                {
                    for (int n = 0; n < batch; n++)
                    {
                        var row = new Span<float>(ps + n * g, g);
                        if (bHh.IsEmpty) row.Clear();
                        else bHh.CopyTo(row);
                    }
                }
                else
                {
                    RecurrentProduct.Multiply(batch, g, h, hy + tp * width, steps * width, hhT, g, ps, g, bHh.IsEmpty ? null : pbHh, accumulate: false);
                }
                for (int n = 0; n < batch; n++)
                {
                    long at = (long)n * steps + t, prev = (long)n * steps + tp;
                    float* hPrev = s == 0 ? null : hy + prev * width;
                    float* keptPrev = s == 0 || !TCell.Keeps ? null : pk + prev * h;
                    float* keptNow = TCell.Keeps ? pk + at * h : null;
                    StepForward(pg + at * g, bi, ps + n * g, hPrev, keptPrev, keptNow, hy + at * width);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> y, int width, int offset,
        ReadOnlySpan<float> gates, ReadOnlySpan<float> kept, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dwIh, Span<float> dwHh, Span<float> dbIh, Span<float> dbHh,
        Span<float> dGates, Span<float> dRecurrent, Span<float> scratch, int batch, int steps, bool reverse, bool accumulate, bool accumulateInput)
    {
        Check(x.Length, wIh.Length, wHh.Length, 0, 0, y.Length, width, offset, gates.Length, kept.Length, scratch.Length, batch, steps);
        int f = F, h = H, g = G;
        long rows = (long)batch * steps;
        ThrowHelper.CheckAtLeast(dy.Length, rows * width, nameof(dy));
        if (!dx.IsEmpty) ThrowHelper.CheckAtLeast(dx.Length, rows * f, nameof(dx));
        ThrowHelper.CheckLength(dwIh.Length, g * f, nameof(dwIh), "[gates·hidden, in]");
        ThrowHelper.CheckLength(dwHh.Length, g * h, nameof(dwHh), "[gates·hidden, hidden]");
        if (!dbIh.IsEmpty) ThrowHelper.CheckLength(dbIh.Length, g, nameof(dbIh), "[gates·hidden] or empty");
        if (!dbHh.IsEmpty) ThrowHelper.CheckLength(dbHh.Length, g, nameof(dbHh), "[gates·hidden] or empty");
        ThrowHelper.CheckAtLeast(dGates.Length, rows * g, nameof(dGates));
        ThrowHelper.CheckAtLeast(dRecurrent.Length, rows * g, nameof(dRecurrent));
        fixed (float* px = x, pwIh = wIh, pwHh = wHh, py = y, pg = gates, pk = kept, pdy = dy, pdx = dx, pdwIh = dwIh, pdwHh = dwHh,
               pdbIh = dbIh, pdbHh = dbHh, pdg = dGates, pdr = dRecurrent, ps = scratch)
        {
            // Scratch: dL/dh_{t−1} from the recurrent product [batch, hidden], the carried cell gradient [batch, hidden],
            // and dL/dh_t of one sample [hidden].
            float* dhRec = ps, dState = ps + batch * h, dh = ps + 2 * batch * h;
            new Span<float>(ps, 2 * batch * h).Clear();
            float* hy = py + offset, dhy = pdy + offset;
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = reverse ? steps - 1 - s : s, tp = reverse ? t + 1 : t - 1;
                for (int n = 0; n < batch; n++)
                {
                    long at = (long)n * steps + t, prev = (long)n * steps + tp;
                    // dL/dh_t: from the layer's output at step t, and from step t + 1 through the recurrent product.
                    Add(dhy + at * width, dhRec + n * h, dh, h);
                    float* hPrev = s == 0 ? null : hy + prev * width;
                    float* keptPrev = s == 0 || !TCell.Keeps ? null : pk + prev * h;
                    float* keptNow = TCell.Keeps ? pk + at * h : null;
                    StepBackward(pg + at * g, keptNow, keptPrev, hPrev, hy + at * width, dh, dState + n * h, pdg + at * g, pdr + at * g, dhRec + n * h);
                }
                // dL/dh_{t−1} += dRecurrent_t·W_hh for the batch (GRU's cell has written its direct part first).
                if (s > 0)
                    RecurrentProduct.Multiply(batch, h, g, pdr + t * g, steps * g, pwHh, h, dhRec, h, null, accumulate: TCell.DirectPath);
            }

            // The weights' gradients, with the time loop done: dW_ih = Σ dGatesᵀ·x over every step of every sample.
            Gemm.Broadcast(g, f, batch * steps, pdg, 1, g, px, f, pdwIh, f, accumulate);
            // dW_hh = Σ dRecurrent_tᵀ·h_{t−1}: per sample, the steps that had a previous state (their h_{t−1} are rows
            // of y shifted by one step).
            if (steps > 1)
            {
                for (int n = 0; n < batch; n++)
                {
                    long first = (long)n * steps;
                    float* a = pdr + (first + (reverse ? 0 : 1)) * g;
                    float* b = hy + (first + (reverse ? 1 : 0)) * width;
                    Gemm.Broadcast(g, h, steps - 1, a, 1, g, b, width, pdwHh, h, accumulate || n > 0);
                }
            }
            else if (!accumulate)
            {
                dwHh.Clear();
            }
            if (!dbIh.IsEmpty) ColumnSums(pdg, (int)rows, g, pdbIh, accumulate);
            if (!dbHh.IsEmpty) ColumnSums(pdr, (int)rows, g, pdbHh, accumulate);
            // dx = dGates·W_ih for every step at once.
            if (!dx.IsEmpty) Gemm.Broadcast(batch * steps, f, g, pdg, g, 1, pwIh, f, pdx, f, accumulateInput);
        }
    }

    /// <summary>
    /// The transpose [cols, rows] of <paramref name="w"/> [rows, cols], kept in <paramref name="kept"/> beside a copy of
    /// the <paramref name="w"/> it was made from and made again only when <paramref name="w"/> differs from that copy:
    /// once for inference, once per training step.
    /// </summary>
    private static float* Transposed(ReadOnlySpan<float> w, Span<float> kept, int rows, int cols, float* pKept)
    {
        int n = rows * cols;
        var copy = kept[..n];
        // Bit for bit (float equality would take −0 for 0 and never match a NaN): a vectorised memcmp.
        if (!MemoryMarshal.Cast<float, int>(w).SequenceEqual(MemoryMarshal.Cast<float, int>((ReadOnlySpan<float>)copy)))
        {
            w.CopyTo(copy);
            fixed (float* pw = w) RecurrentProduct.Transpose(pw, rows, cols, pKept + n);
        }
        return pKept + n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StepForward(float* gates, float* bias, float* recurrent, float* hPrev, float* keptPrev, float* kept, float* hOut)
    {
        int h = H, j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= h; j += 16) TCell.Forward<Lanes16>(h, j, gates, bias, recurrent, hPrev, keptPrev, kept, hOut);
        else if (Vector256.IsHardwareAccelerated)
            for (; j + 8 <= h; j += 8) TCell.Forward<Lanes8>(h, j, gates, bias, recurrent, hPrev, keptPrev, kept, hOut);
        else if (Vector128.IsHardwareAccelerated)
            for (; j + 4 <= h; j += 4) TCell.Forward<Lanes4>(h, j, gates, bias, recurrent, hPrev, keptPrev, kept, hOut);
        for (; j < h; j++) TCell.Forward<Lanes1>(h, j, gates, bias, recurrent, hPrev, keptPrev, kept, hOut);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StepBackward(float* gates, float* kept, float* keptPrev, float* hPrev, float* hNow, float* dh, float* dState,
        float* dGates, float* dRecurrent, float* dhPrev)
    {
        int h = H, j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= h; j += 16) TCell.Backward<Lanes16>(h, j, gates, kept, keptPrev, hPrev, hNow, dh, dState, dGates, dRecurrent, dhPrev);
        else if (Vector256.IsHardwareAccelerated)
            for (; j + 8 <= h; j += 8) TCell.Backward<Lanes8>(h, j, gates, kept, keptPrev, hPrev, hNow, dh, dState, dGates, dRecurrent, dhPrev);
        else if (Vector128.IsHardwareAccelerated)
            for (; j + 4 <= h; j += 4) TCell.Backward<Lanes4>(h, j, gates, kept, keptPrev, hPrev, hNow, dh, dState, dGates, dRecurrent, dhPrev);
        for (; j < h; j++) TCell.Backward<Lanes1>(h, j, gates, kept, keptPrev, hPrev, hNow, dh, dState, dGates, dRecurrent, dhPrev);
    }

    /// <summary>c[j] = a[j] + b[j], j &lt; n.</summary>
    private static void Add(float* a, float* b, float* c, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= n; j += 16) (Lanes16.Load(a + j) + Lanes16.Load(b + j)).Store(c + j);
        else if (Vector256.IsHardwareAccelerated)
            for (; j + 8 <= n; j += 8) (Lanes8.Load(a + j) + Lanes8.Load(b + j)).Store(c + j);
        else if (Vector128.IsHardwareAccelerated)
            for (; j + 4 <= n; j += 4) (Lanes4.Load(a + j) + Lanes4.Load(b + j)).Store(c + j);
        for (; j < n; j++) c[j] = a[j] + b[j];
    }

    /// <summary>sums[c] (+)= Σ_r m[r, c] over <paramref name="rows"/> rows of <paramref name="cols"/>, rows in order.</summary>
    private static void ColumnSums(float* m, int rows, int cols, float* sums, bool accumulate)
    {
        if (!accumulate) new Span<float>(sums, cols).Clear();
        for (int r = 0; r < rows; r++) Add(sums, m + (long)r * cols, sums, cols);
    }
}
