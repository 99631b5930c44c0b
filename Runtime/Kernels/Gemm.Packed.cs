using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SourceGenNN.Kernels;

/// <summary>
/// The packed product <c>C (+)= A·B</c> in the manner of BLIS and OpenBLAS (Goto's algorithm), for A and B at any
/// strides:
/// <code>
/// for each block of NC columns of B                 (B's panel, in L3)
///   for each block of KC terms                      (one pass of k)
///     pack B[kc × nc] into micro-panels of NR columns: for each k, NR contiguous floats
///     for each block of MC rows of A                (A's block, in L2)
///       pack A[mc × kc] into micro-panels of MR rows: for each k, MR contiguous floats
///       for each NR-column micro-panel of B         (in L1 while the row panels pass over it)
///         for each MR-row micro-panel of A
///           micro-kernel: an MR × NR tile of C in registers, kc rank-1 updates, then stored
/// </code>
/// The micro-kernel keeps MR × NR/width accumulators in vector registers and, per k, loads NR/width vectors of B and
/// broadcasts MR values of A: 12 × 32 on AVX-512 (24 of the 32 zmm registers), 6 × 16 on AVX2 (12 of the 16 ymm, as the
/// BLIS and OpenBLAS Haswell and Zen kernels), 4 × 8 at 128 bits, and a scalar 4 × 4.
/// <para>
/// <b>Same bits for any blocking, batch and thread count.</b> A tile starts from C (when adding or after the first k
/// block) or from zero, and adds A[m, k]·B[k, n] one k after another with one fused multiply-add each, so every element
/// of C is the same chain of operations in the same order whatever the block sizes (which come from the cache sizes),
/// the position of its row in the batch, or the thread that computed it. Edge tiles run the same kernel on a padded
/// copy.
/// </para>
/// </summary>
internal static unsafe class PackedGemm
{
    /// <summary>The vector width in use: 512, 256, 128, or 0 (scalar).</summary>
    internal static readonly int Width =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? 512 :
        Vector256.IsHardwareAccelerated && Fma.IsSupported ? 256 :
        Vector128.IsHardwareAccelerated ? 128 : 0;

    /// <summary>Rows of the micro-tile.</summary>
    internal static readonly int MR = Width switch { 512 => 12, 256 => 6, _ => 4 };

    /// <summary>Columns of the micro-tile.</summary>
    internal static readonly int NR = Width switch { 512 => 32, 256 => 16, 128 => 8, _ => 4 };

    /// <summary>Terms per k block: a micro-panel of B (KC × NR floats) takes half of L1.</summary>
    internal static readonly int KC = Math.Clamp(CacheInfo.L1Data / 2 / (4 * NR) / 16 * 16, 64, 1024);

    /// <summary>Rows per block of A: the packed block (MC × KC floats) takes half of L2.</summary>
    internal static readonly int MC = Math.Max(MR, CacheInfo.L2 / 2 / (4 * KC) / MR * MR);

    /// <summary>Columns per panel of B: the packed panel (KC × NC floats) takes a quarter of L3, at most 4096 columns.</summary>
    internal static readonly int NC = Math.Clamp(Math.Max(CacheInfo.L3, 4 << 20) / 4 / (4 * KC) / NR * NR, NR, 4096 / NR * NR);

    /// <summary>
    /// <c>C[m·ldc + n] (+)= Σₖ A[m·ams + k·aks]·B[k·ldb + n]</c>: added to C when <paramref name="accumulate"/> is set,
    /// written otherwise.
    /// </summary>
    public static void Multiply(int M, int N, int K, float* A, int ams, int aks, float* B, int ldb, float* C, int ldc, bool accumulate)
    {
        if (M <= 0 || N <= 0) return;
        if (K <= 0)
        {
            if (!accumulate)
                for (int m = 0; m < M; m++) new Span<float>(C + (long)m * ldc, N).Clear();
            return;
        }
        // Threads take whole micro-panels of columns; each computes its columns exactly as one thread would.
        int threads = Math.Min(Parallelism.ThreadsFor((long)M * N * K), (N + NR - 1) / NR);
        if (threads > 1)
        {
            var job = new Job { M = M, N = N, K = K, A = A, Ams = ams, Aks = aks, B = B, Ldb = ldb, C = C, Ldc = ldc, Accumulate = accumulate };
            Parallelism.For(threads, &Part, &job);
            return;
        }
        Serial(M, N, K, A, ams, aks, B, ldb, C, ldc, accumulate);
    }

    private struct Job
    {
        public int M, N, K, Ams, Aks, Ldb, Ldc;
        public float* A, B, C;
        public bool Accumulate;
    }

    private static void Part(void* context, int i, int count)
    {
        ref Job j = ref *(Job*)context;
        int panels = (j.N + NR - 1) / NR;
        int n0 = (int)((long)panels * i / count) * NR, n1 = Math.Min((int)((long)panels * (i + 1) / count) * NR, j.N);
        if (n1 > n0)
            Serial(j.M, n1 - n0, j.K, j.A, j.Ams, j.Aks, j.B + n0, j.Ldb, j.C + n0, j.Ldc, j.Accumulate);
    }

    /// <summary>Per-thread packing buffers, grown on first use only (64-byte aligned inside a pinned array).</summary>
    [ThreadStatic] private static float[]? t_buffer;

    private static float* Buffers(int floats, out float[] keepAlive)
    {
        var buffer = t_buffer;
        if (buffer is null || buffer.Length < floats + 16)
            t_buffer = buffer = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        keepAlive = buffer;
        nint p = (nint)Unsafe.AsPointer(ref buffer[0]);
        return (float*)((p + 63) & ~(nint)63);
    }

    /// <summary>
    /// The k block for a product of <paramref name="K"/> terms. Every k block after the first loads and stores all of C
    /// again, so a short last block costs a sweep over C for little work (K = 256 with KC = 192 would sweep a
    /// 1024 × 1024 weight gradient twice, the second time for 64 terms). So: all of K in one block when K is at most
    /// a third more than KC (the micro-panel of B then takes up to two thirds of L1), else K split into equal blocks
    /// of at most KC, rounded up to 16. The blocking never changes the results (see the class remarks).
    /// </summary>
    internal static int KStep(int K)
    {
        if (K <= KC + KC / 3) return K;
        int blocks = (K + KC - 1) / KC;
        return Math.Min(KC, ((K + blocks - 1) / blocks + 15) & ~15);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Serial(int M, int N, int K, float* A, int ams, int aks, float* B, int ldb, float* C, int ldc, bool accumulate)
    {
        int mr = MR, nr = NR;
        int kStep = KStep(K);
        int kcMax = Math.Min(kStep, K);
        int mcMax = Math.Min(MC, (M + mr - 1) / mr * mr);
        int ncMax = Math.Min(NC, (N + nr - 1) / nr * nr);
        // One buffer: packed B panel, packed A block, and an MR × NR tile for the edges.
        int bFloats = kcMax * ncMax, aFloats = kcMax * mcMax;
        float* bp = Buffers(bFloats + aFloats + mr * nr, out var keepAlive);
        float* ap = bp + bFloats;
        float* tile = ap + aFloats;

        for (int jc = 0; jc < N; jc += NC)
        {
            int nc = Math.Min(NC, N - jc);
            for (int pc = 0; pc < K; pc += kStep)
            {
                int kc = Math.Min(kStep, K - pc);
                // The first k block starts from C only when adding; later ones continue from what the earlier stored.
                bool load = accumulate || pc > 0;
                PackB(kc, nc, B + (long)pc * ldb + jc, ldb, bp);
                for (int ic = 0; ic < M; ic += MC)
                {
                    int mc = Math.Min(MC, M - ic);
                    PackA(mc, kc, A + (long)ic * ams + (long)pc * aks, ams, aks, ap);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        float* bPanel = bp + jr * kc;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            float* c = C + (long)(ic + ir) * ldc + jc + jr;
                            float* aPanel = ap + ir * kc;
                            if (cols == nr)
                            {
                                if (rows == mr) Kernel(kc, aPanel, bPanel, c, ldc, load);
                                else EdgeRows(kc, rows, aPanel, bPanel, c, ldc, load);
                                continue;
                            }
                            // The last, partial column panel: the same kernels on a full-width copy of the tile.
                            for (int r = 0; r < rows; r++)
                            {
                                float* t = tile + r * nr;
                                for (int j = 0; j < nr; j++) t[j] = load && j < cols ? c[(long)r * ldc + j] : 0f;
                            }
                            if (rows == mr) Kernel(kc, aPanel, bPanel, tile, nr, load);
                            else EdgeRows(kc, rows, aPanel, bPanel, tile, nr, load);
                            for (int r = 0; r < rows; r++)
                                Buffer.MemoryCopy(tile + r * nr, c + (long)r * ldc, cols * sizeof(float), cols * sizeof(float));
                        }
                    }
                }
            }
        }
        GC.KeepAlive(keepAlive);
    }

    /// <summary>
    /// Packs <c>B[0..kc, 0..nc]</c> (row k at <c>B + k·ldb</c>) into micro-panels of NR columns, each kc rows of NR
    /// contiguous floats; columns past nc are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(int kc, int nc, float* B, int ldb, float* bp)
    {
        int nr = NR;
        for (int j = 0; j < nc; j += nr)
        {
            int cols = Math.Min(nr, nc - j);
            float* dst = bp + j * kc;
            float* src = B + j;
            if (cols == nr)
            {
                for (int k = 0; k < kc; k++, dst += nr, src += ldb)
                    CopyRow(src, dst, nr);
            }
            else
            {
                for (int k = 0; k < kc; k++, dst += nr, src += ldb)
                {
                    int c = 0;
                    for (; c < cols; c++) dst[c] = src[c];
                    for (; c < nr; c++) dst[c] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs <c>A[0..mc, 0..kc]</c> (element (m, k) at <c>A + m·ams + k·aks</c>) into micro-panels of MR rows, each kc
    /// columns of MR contiguous floats; rows past mc are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(int mc, int kc, float* A, int ams, int aks, float* ap)
    {
        int mr = MR;
        for (int i = 0; i < mc; i += mr)
        {
            int rows = Math.Min(mr, mc - i);
            float* dst = ap + i * kc;
            float* src = A + (long)i * ams;
            if (ams == 1 && rows == mr)
            {
                // The rows of a column are contiguous (A is a transposed operand): copy MR at a time.
                for (int k = 0; k < kc; k++, dst += mr)
                    CopyRow(src + (long)k * aks, dst, mr);
                continue;
            }
            int k0 = 0;
            if (aks == 1 && rows == mr && Sse.IsSupported)
            {
                // The rows are contiguous along k (A is an input gradient's dY): transpose 4 × 4 blocks in registers.
                for (; k0 + 4 <= kc; k0 += 4)
                {
                    float* d = dst + k0 * mr;
                    int r = 0;
                    for (; r + 4 <= mr; r += 4)
                    {
                        float* s0 = src + (long)r * ams + k0;
                        var x0 = Sse.LoadVector128(s0);
                        var x1 = Sse.LoadVector128(s0 + ams);
                        var x2 = Sse.LoadVector128(s0 + 2 * (long)ams);
                        var x3 = Sse.LoadVector128(s0 + 3 * (long)ams);
                        var t0 = Sse.UnpackLow(x0, x1);   // r0k0 r1k0 r0k1 r1k1
                        var t1 = Sse.UnpackLow(x2, x3);   // r2k0 r3k0 r2k1 r3k1
                        var t2 = Sse.UnpackHigh(x0, x1);  // r0k2 r1k2 r0k3 r1k3
                        var t3 = Sse.UnpackHigh(x2, x3);  // r2k2 r3k2 r2k3 r3k3
                        Sse.Store(d + r, Sse.MoveLowToHigh(t0, t1));
                        Sse.Store(d + mr + r, Sse.MoveHighToLow(t1, t0));
                        Sse.Store(d + 2 * mr + r, Sse.MoveLowToHigh(t2, t3));
                        Sse.Store(d + 3 * mr + r, Sse.MoveHighToLow(t3, t2));
                    }
                    if (r + 2 <= mr)
                    {
                        float* s0 = src + (long)r * ams + k0;
                        var x0 = Sse.LoadVector128(s0);
                        var x1 = Sse.LoadVector128(s0 + ams);
                        var lo = Sse.UnpackLow(x0, x1);   // r0k0 r1k0 r0k1 r1k1
                        var hi = Sse.UnpackHigh(x0, x1);  // r0k2 r1k2 r0k3 r1k3
                        Sse.StoreLow(d + r, lo);
                        Sse.StoreHigh(d + mr + r, lo);
                        Sse.StoreLow(d + 2 * mr + r, hi);
                        Sse.StoreHigh(d + 3 * mr + r, hi);
                    }
                }
            }
            for (int r = 0; r < mr; r++)
            {
                float* d = dst + r;
                if (r < rows)
                {
                    float* s = src + (long)r * ams;
                    for (int k = k0; k < kc; k++) d[k * mr] = s[(long)k * aks];
                }
                else
                {
                    for (int k = k0; k < kc; k++) d[k * mr] = 0f;
                }
            }
        }
    }

    /// <summary>Copies a short row (a micro-panel's MR or NR floats) with vector moves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* src, float* dst, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) Vector512.Load(src + i).Store(dst + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Load(src + i).Store(dst + i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n; i += 4) Vector128.Load(src + i).Store(dst + i);
        for (; i < n; i++) dst[i] = src[i];
    }

    /// <summary>One MR × NR tile: <c>c (+)= Σₖ a[k]·b[k]ᵀ</c> over the packed micro-panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(int kc, float* a, float* b, float* c, int ldc, bool load)
    {
        if (Width == 512) Kernel12x32(kc, a, b, c, ldc, load);
        else if (Width == 256) Kernel6x16(kc, a, b, c, ldc, load);
        else if (Width == 128) Kernel4x8(kc, a, b, c, ldc, load);
        else Kernel4x4(kc, a, b, c, ldc, load);
    }

    /// <summary>
    /// Fewer than MR rows (the last row panel): four rows at a time, then one, each with the same per-element chain as
    /// the full kernel, so an output does not depend on where its row fell.
    /// </summary>
    private static void EdgeRows(int kc, int rows, float* a, float* b, float* c, int ldc, bool load)
    {
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            if (Width == 512) Rows4x32(kc, a + r, b, c + (long)r * ldc, ldc, load);
            else if (Width == 256) Rows4x16(kc, a + r, b, c + (long)r * ldc, ldc, load);
            else Rows1(kc, 4, a + r, b, c + (long)r * ldc, ldc, load);
        }
        if (r < rows) Rows1(kc, rows - r, a + r, b, c + (long)r * ldc, ldc, load);
    }

    /// <summary>Four rows of a 12-row panel against 32 columns (AVX-512).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4x32(int kc, float* a, float* b, float* c, int ldc, bool load)
    {
        float* c0 = c, c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        Vector512<float> r00 = L512(c0, load), r01 = L512(c0 + 16, load), r10 = L512(c1, load), r11 = L512(c1 + 16, load);
        Vector512<float> r20 = L512(c2, load), r21 = L512(c2 + 16, load), r30 = L512(c3, load), r31 = L512(c3 + 16, load);
        int mr = MR;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var v = Vector512.Create(a[0]);
            r00 = Vector512.FusedMultiplyAdd(v, b0, r00); r01 = Vector512.FusedMultiplyAdd(v, b1, r01);
            v = Vector512.Create(a[1]);
            r10 = Vector512.FusedMultiplyAdd(v, b0, r10); r11 = Vector512.FusedMultiplyAdd(v, b1, r11);
            v = Vector512.Create(a[2]);
            r20 = Vector512.FusedMultiplyAdd(v, b0, r20); r21 = Vector512.FusedMultiplyAdd(v, b1, r21);
            v = Vector512.Create(a[3]);
            r30 = Vector512.FusedMultiplyAdd(v, b0, r30); r31 = Vector512.FusedMultiplyAdd(v, b1, r31);
            a += mr;
            b += 32;
        }
        r00.Store(c0); r01.Store(c0 + 16); r10.Store(c1); r11.Store(c1 + 16);
        r20.Store(c2); r21.Store(c2 + 16); r30.Store(c3); r31.Store(c3 + 16);
    }

    /// <summary>Four rows of a 6-row panel against 16 columns (AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4x16(int kc, float* a, float* b, float* c, int ldc, bool load)
    {
        float* c0 = c, c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        Vector256<float> r00 = L256(c0, load), r01 = L256(c0 + 8, load), r10 = L256(c1, load), r11 = L256(c1 + 8, load);
        Vector256<float> r20 = L256(c2, load), r21 = L256(c2 + 8, load), r30 = L256(c3, load), r31 = L256(c3 + 8, load);
        int mr = MR;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var v = Vector256.Create(a[0]);
            r00 = Vector256.FusedMultiplyAdd(v, b0, r00); r01 = Vector256.FusedMultiplyAdd(v, b1, r01);
            v = Vector256.Create(a[1]);
            r10 = Vector256.FusedMultiplyAdd(v, b0, r10); r11 = Vector256.FusedMultiplyAdd(v, b1, r11);
            v = Vector256.Create(a[2]);
            r20 = Vector256.FusedMultiplyAdd(v, b0, r20); r21 = Vector256.FusedMultiplyAdd(v, b1, r21);
            v = Vector256.Create(a[3]);
            r30 = Vector256.FusedMultiplyAdd(v, b0, r30); r31 = Vector256.FusedMultiplyAdd(v, b1, r31);
            a += mr;
            b += 16;
        }
        r00.Store(c0); r01.Store(c0 + 8); r10.Store(c1); r11.Store(c1 + 8);
        r20.Store(c2); r21.Store(c2 + 8); r30.Store(c3); r31.Store(c3 + 8);
    }

    /// <summary>
    /// 1 to 4 rows of a panel against NR columns, one row at a time: the per-element chain of the full kernels at the
    /// width in use (fused multiply-adds for 512 and 256 bits, the 128-bit kernel's multiply-add, scalar otherwise).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows1(int kc, int rows, float* a, float* b, float* c, int ldc, bool load)
    {
        int mr = MR, nr = NR;
        float* acc = stackalloc float[4];
        for (int r = 0; r < rows; r++)
        {
            float* cr = c + (long)r * ldc;
            float* ar = a + r;
            float* bk = b;
            if (Width == 512)
            {
                Vector512<float> s0 = L512(cr, load), s1 = L512(cr + 16, load);
                for (int k = 0; k < kc; k++, bk += 32)
                {
                    var v = Vector512.Create(ar[k * mr]);
                    s0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(bk), s0);
                    s1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(bk + 16), s1);
                }
                s0.Store(cr); s1.Store(cr + 16);
            }
            else if (Width == 256)
            {
                Vector256<float> s0 = L256(cr, load), s1 = L256(cr + 8, load);
                for (int k = 0; k < kc; k++, bk += 16)
                {
                    var v = Vector256.Create(ar[k * mr]);
                    s0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(bk), s0);
                    s1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(bk + 8), s1);
                }
                s0.Store(cr); s1.Store(cr + 8);
            }
            else if (Width == 128)
            {
                Vector128<float> s0 = L128(cr, load), s1 = L128(cr + 4, load);
                for (int k = 0; k < kc; k++, bk += 8)
                {
                    var v = Vector128.Create(ar[k * mr]);
                    s0 = Vector128.MultiplyAddEstimate(v, Vector128.Load(bk), s0);
                    s1 = Vector128.MultiplyAddEstimate(v, Vector128.Load(bk + 4), s1);
                }
                s0.Store(cr); s1.Store(cr + 4);
            }
            else
            {
                for (int j = 0; j < 4; j++) acc[j] = load ? cr[j] : 0f;
                for (int k = 0; k < kc; k++, bk += nr)
                {
                    float av = ar[k * mr];
                    for (int j = 0; j < 4; j++) acc[j] += av * bk[j];
                }
                for (int j = 0; j < 4; j++) cr[j] = acc[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> L512(float* p, bool load) => load ? Vector512.Load(p) : Vector512<float>.Zero;

    /// <summary>AVX-512: 24 accumulators (12 rows × 2 vectors), 2 loads of B and 12 broadcasts of A per k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel12x32(int kc, float* a, float* b, float* c, int ldc, bool load)
    {
        float* c0 = c, c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        float* c6 = c5 + ldc, c7 = c6 + ldc, c8 = c7 + ldc, c9 = c8 + ldc, cA = c9 + ldc, cB = cA + ldc;
        Vector512<float> r00 = L512(c0, load), r01 = L512(c0 + 16, load), r10 = L512(c1, load), r11 = L512(c1 + 16, load);
        Vector512<float> r20 = L512(c2, load), r21 = L512(c2 + 16, load), r30 = L512(c3, load), r31 = L512(c3 + 16, load);
        Vector512<float> r40 = L512(c4, load), r41 = L512(c4 + 16, load), r50 = L512(c5, load), r51 = L512(c5 + 16, load);
        Vector512<float> r60 = L512(c6, load), r61 = L512(c6 + 16, load), r70 = L512(c7, load), r71 = L512(c7 + 16, load);
        Vector512<float> r80 = L512(c8, load), r81 = L512(c8 + 16, load), r90 = L512(c9, load), r91 = L512(c9 + 16, load);
        Vector512<float> rA0 = L512(cA, load), rA1 = L512(cA + 16, load), rB0 = L512(cB, load), rB1 = L512(cB + 16, load);
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var v = Vector512.Create(a[0]);
            r00 = Vector512.FusedMultiplyAdd(v, b0, r00); r01 = Vector512.FusedMultiplyAdd(v, b1, r01);
            v = Vector512.Create(a[1]);
            r10 = Vector512.FusedMultiplyAdd(v, b0, r10); r11 = Vector512.FusedMultiplyAdd(v, b1, r11);
            v = Vector512.Create(a[2]);
            r20 = Vector512.FusedMultiplyAdd(v, b0, r20); r21 = Vector512.FusedMultiplyAdd(v, b1, r21);
            v = Vector512.Create(a[3]);
            r30 = Vector512.FusedMultiplyAdd(v, b0, r30); r31 = Vector512.FusedMultiplyAdd(v, b1, r31);
            v = Vector512.Create(a[4]);
            r40 = Vector512.FusedMultiplyAdd(v, b0, r40); r41 = Vector512.FusedMultiplyAdd(v, b1, r41);
            v = Vector512.Create(a[5]);
            r50 = Vector512.FusedMultiplyAdd(v, b0, r50); r51 = Vector512.FusedMultiplyAdd(v, b1, r51);
            v = Vector512.Create(a[6]);
            r60 = Vector512.FusedMultiplyAdd(v, b0, r60); r61 = Vector512.FusedMultiplyAdd(v, b1, r61);
            v = Vector512.Create(a[7]);
            r70 = Vector512.FusedMultiplyAdd(v, b0, r70); r71 = Vector512.FusedMultiplyAdd(v, b1, r71);
            v = Vector512.Create(a[8]);
            r80 = Vector512.FusedMultiplyAdd(v, b0, r80); r81 = Vector512.FusedMultiplyAdd(v, b1, r81);
            v = Vector512.Create(a[9]);
            r90 = Vector512.FusedMultiplyAdd(v, b0, r90); r91 = Vector512.FusedMultiplyAdd(v, b1, r91);
            v = Vector512.Create(a[10]);
            rA0 = Vector512.FusedMultiplyAdd(v, b0, rA0); rA1 = Vector512.FusedMultiplyAdd(v, b1, rA1);
            v = Vector512.Create(a[11]);
            rB0 = Vector512.FusedMultiplyAdd(v, b0, rB0); rB1 = Vector512.FusedMultiplyAdd(v, b1, rB1);
            a += 12;
            b += 32;
        }
        r00.Store(c0); r01.Store(c0 + 16); r10.Store(c1); r11.Store(c1 + 16);
        r20.Store(c2); r21.Store(c2 + 16); r30.Store(c3); r31.Store(c3 + 16);
        r40.Store(c4); r41.Store(c4 + 16); r50.Store(c5); r51.Store(c5 + 16);
        r60.Store(c6); r61.Store(c6 + 16); r70.Store(c7); r71.Store(c7 + 16);
        r80.Store(c8); r81.Store(c8 + 16); r90.Store(c9); r91.Store(c9 + 16);
        rA0.Store(cA); rA1.Store(cA + 16); rB0.Store(cB); rB1.Store(cB + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> L256(float* p, bool load) => load ? Vector256.Load(p) : Vector256<float>.Zero;

    /// <summary>AVX2: 12 accumulators (6 rows × 2 vectors), 2 loads of B and 6 broadcasts of A per k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, bool load)
    {
        float* c0 = c, c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        Vector256<float> r00 = L256(c0, load), r01 = L256(c0 + 8, load), r10 = L256(c1, load), r11 = L256(c1 + 8, load);
        Vector256<float> r20 = L256(c2, load), r21 = L256(c2 + 8, load), r30 = L256(c3, load), r31 = L256(c3 + 8, load);
        Vector256<float> r40 = L256(c4, load), r41 = L256(c4 + 8, load), r50 = L256(c5, load), r51 = L256(c5 + 8, load);
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var v = Vector256.Create(a[0]);
            r00 = Vector256.FusedMultiplyAdd(v, b0, r00); r01 = Vector256.FusedMultiplyAdd(v, b1, r01);
            v = Vector256.Create(a[1]);
            r10 = Vector256.FusedMultiplyAdd(v, b0, r10); r11 = Vector256.FusedMultiplyAdd(v, b1, r11);
            v = Vector256.Create(a[2]);
            r20 = Vector256.FusedMultiplyAdd(v, b0, r20); r21 = Vector256.FusedMultiplyAdd(v, b1, r21);
            v = Vector256.Create(a[3]);
            r30 = Vector256.FusedMultiplyAdd(v, b0, r30); r31 = Vector256.FusedMultiplyAdd(v, b1, r31);
            v = Vector256.Create(a[4]);
            r40 = Vector256.FusedMultiplyAdd(v, b0, r40); r41 = Vector256.FusedMultiplyAdd(v, b1, r41);
            v = Vector256.Create(a[5]);
            r50 = Vector256.FusedMultiplyAdd(v, b0, r50); r51 = Vector256.FusedMultiplyAdd(v, b1, r51);
            a += 6;
            b += 16;
        }
        r00.Store(c0); r01.Store(c0 + 8); r10.Store(c1); r11.Store(c1 + 8);
        r20.Store(c2); r21.Store(c2 + 8); r30.Store(c3); r31.Store(c3 + 8);
        r40.Store(c4); r41.Store(c4 + 8); r50.Store(c5); r51.Store(c5 + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> L128(float* p, bool load) => load ? Vector128.Load(p) : Vector128<float>.Zero;

    /// <summary>
    /// 128-bit: 8 accumulators (4 rows × 2 vectors). Fused multiply-add where the hardware has it, else a multiply and
    /// an add (<see cref="Vector128.MultiplyAddEstimate(Vector128{float}, Vector128{float}, Vector128{float})"/>), never
    /// the slow software emulation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x8(int kc, float* a, float* b, float* c, int ldc, bool load)
    {
        float* c0 = c, c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        Vector128<float> r00 = L128(c0, load), r01 = L128(c0 + 4, load), r10 = L128(c1, load), r11 = L128(c1 + 4, load);
        Vector128<float> r20 = L128(c2, load), r21 = L128(c2 + 4, load), r30 = L128(c3, load), r31 = L128(c3 + 4, load);
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var v = Vector128.Create(a[0]);
            r00 = Vector128.MultiplyAddEstimate(v, b0, r00); r01 = Vector128.MultiplyAddEstimate(v, b1, r01);
            v = Vector128.Create(a[1]);
            r10 = Vector128.MultiplyAddEstimate(v, b0, r10); r11 = Vector128.MultiplyAddEstimate(v, b1, r11);
            v = Vector128.Create(a[2]);
            r20 = Vector128.MultiplyAddEstimate(v, b0, r20); r21 = Vector128.MultiplyAddEstimate(v, b1, r21);
            v = Vector128.Create(a[3]);
            r30 = Vector128.MultiplyAddEstimate(v, b0, r30); r31 = Vector128.MultiplyAddEstimate(v, b1, r31);
            a += 4;
            b += 8;
        }
        r00.Store(c0); r01.Store(c0 + 4); r10.Store(c1); r11.Store(c1 + 4);
        r20.Store(c2); r21.Store(c2 + 4); r30.Store(c3); r31.Store(c3 + 4);
    }

    /// <summary>Without vectors: a 4 × 4 tile of scalar accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x4(int kc, float* a, float* b, float* c, int ldc, bool load)
    {
        float* acc = stackalloc float[16];
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < 4; j++)
                acc[r * 4 + j] = load ? c[r * ldc + j] : 0f;
        for (int k = 0; k < kc; k++, a += 4, b += 4)
            for (int r = 0; r < 4; r++)
            {
                float ar = a[r];
                float* row = acc + r * 4;
                row[0] += ar * b[0];
                row[1] += ar * b[1];
                row[2] += ar * b[2];
                row[3] += ar * b[3];
            }
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < 4; j++)
                c[r * ldc + j] = acc[r * 4 + j];
    }
}
