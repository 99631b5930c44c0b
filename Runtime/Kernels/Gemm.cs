using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SourceGenNN.Kernels;

/// <summary>
/// The matrix products of dense layers:
/// <list type="bullet">
/// <item><see cref="DotNT"/>: <c>C[m, n] = bias[n] + Σₖ A[m, k]·B[n, k]</c>, both operands contiguous along k (the
/// forward pass, <c>X·Wᵀ</c>, reading the weights in PyTorch's [out, in] layout in place). Register tiles of dot
/// products (6×4 of 16 lanes with AVX-512, 6×2 of 8 lanes with AVX2), cache-blocked from the detected L1 and L2. Every
/// output is the same dot product whichever tile, row or thread computes it, so a sample's output does not depend on
/// the batch it is in, and a batch of one (a matrix-vector product) reads the weights once without repacking them.
/// Short rows (16 ≤ K ≤ 128, N ≥ 16) with AVX-512 or AVX2 take broadcast products over transposed panels of B instead
/// (Gemm.Panel.cs, Gemm.Panel256.cs), which need no horizontal reductions; that choice depends on N and K only.</item>
/// <item><see cref="Broadcast"/>: <c>C[m, n] (+)= Σₖ a(m, k)·B[k, n]</c> with a(m, k) at any strides (the backward
/// products <c>dYᵀ·X</c> and <c>dY·W</c>): the packed product of <see cref="PackedGemm"/> (BLIS's loops, micro-tiles
/// of 12×32 with AVX-512 and 6×16 with AVX2).</item>
/// </list>
/// Machines without AVX2 use 128-bit or scalar versions of the same loops.
/// </summary>
public static unsafe partial class Gemm
{
    /// <summary>
    /// <c>C[m, n] = bias[n] + Σₖ A[m·lda + k]·B[n·ldb + k]</c> (bias may be null), or added to C when
    /// <paramref name="accumulate"/> is set.
    /// </summary>
    public static void DotNT(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate) =>
        DotNTCore(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate, default);

    /// <summary>
    /// <see cref="DotNT(int, int, int, float*, int, float*, int, float*, int, float*, bool)"/> with an activation in
    /// its epilogue: <c>C = bias + A·Bᵀ</c> and <c>activated[m·ldActivated + n] = f(C[m·ldc + n])</c>, each block of
    /// C activated while it is still in cache rather than in a second pass over memory.
    /// </summary>
    public static void DotNT<TOp>(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias,
        float* activated, int ldActivated, TOp op) where TOp : unmanaged, IActivationOperator
    {
        TOp copy = op;
        var epilogue = new Epilogue { Apply = &ApplyActivation<TOp>, Op = &copy, Out = activated, Ld = ldActivated };
        DotNTCore(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate: false, epilogue);
    }

    /// <summary>What runs on each finished block of C: an activation into a second output, or nothing.</summary>
    private struct Epilogue
    {
        public delegate*<void*, float*, float*, int, void> Apply;
        public void* Op;
        public float* Out;
        public int Ld;

        /// <summary>Activates rows [0, rows) of columns [n0, n0 + width) of C.</summary>
        public readonly void Run(float* C, int ldc, int rows, int n0, int width)
        {
            if (Apply == null) return;
            for (int m = 0; m < rows; m++)
                Apply(Op, C + (long)m * ldc + n0, Out + (long)m * Ld + n0, width);
        }

        /// <summary>The same epilogue for the columns from <paramref name="n0"/> on.</summary>
        public readonly Epilogue Shifted(int n0) => Apply == null ? this : this with { Out = Out + n0 };
    }

    private static void ApplyActivation<TOp>(void* op, float* z, float* a, int n) where TOp : unmanaged, IActivationOperator =>
        Activation.Forward(*(TOp*)op, new ReadOnlySpan<float>(z, n), new Span<float>(a, n));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNTCore(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate, Epilogue epilogue)
    {
        if (DotLanes == 0 || K < DotLanes)
        {
            for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++)
                    DotScalarOut(K, A + m * lda, B + n * ldb, C + m * ldc + n, bias == null ? null : bias + n, accumulate);
            epilogue.Run(C, ldc, M, 0, N);
            return;
        }
        if (UsePanels(N, K))
        {
            // Short rows: broadcast products over transposed panels of B (Gemm.Panel.cs), no reductions.
            int panelThreads = Math.Min(Parallelism.ThreadsFor((long)M * N * K), (N + DotNB - 1) / DotNB);
            if (panelThreads > 1)
            {
                var job = new Job { M = M, N = N, K = K, A = A, Ams = lda, Aks = 1, B = B, Ldb = ldb, C = C, Ldc = ldc, Bias = bias, Accumulate = accumulate, Align = DotNB, Epilogue = epilogue };
                Parallelism.For(panelThreads, &DotNTPanelPart, &job);
                return;
            }
            DotNTPanels(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate, epilogue);
            return;
        }
        if (K < SmallK && (Wide || DotLanes == 8) && N >= 16)
        {
            // Few terms per output: dot products would spend more on their final reductions than on the products.
            // Transpose B (N×K, a few KiB) once and use the broadcast kernel, which needs no reductions.
            DotNTSmallK(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate);
            epilogue.Run(C, ldc, M, 0, N);
            return;
        }
        int threads = Math.Min(Parallelism.ThreadsFor((long)M * N * K), (N + DotNB - 1) / DotNB);
        if (threads > 1)
        {
            var job = new Job { M = M, N = N, K = K, A = A, Ams = lda, Aks = 1, B = B, Ldb = ldb, C = C, Ldc = ldc, Bias = bias, Accumulate = accumulate, Align = DotNB, Epilogue = epilogue };
            Parallelism.For(threads, &DotNTPart, &job);
            return;
        }
        DotNTSerial(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate, epilogue);
    }

    /// <summary>
    /// The lanes of the forward product's dot products: 16 with AVX-512, 8 with AVX2 and FMA, else 0 (plain loops).
    /// Every output of one machine is the same sum in the same order, whatever its row, tile or thread.
    /// </summary>
    private static readonly int DotLanes = Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? 16
        : Vector256.IsHardwareAccelerated && Fma.IsSupported && Sse3.IsSupported ? 8 : 0;

    private const int SmallK = 32;

    /// <summary>Elements of B (N × K) below which the backward products read their operands in place instead of packing them.</summary>
    private const long SmallProduct = 1 << 14;

    /// <summary>The tuned path: 512-bit vectors with AVX-512's masked loads and stores for every tail.</summary>
    private static bool Wide => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    [ThreadStatic]
    private static float[]? t_transposed;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNTSmallK(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate)
    {
        // A per-thread scratch, grown on first use only: steady-state calls allocate nothing.
        var bt = t_transposed;
        if (bt is null || bt.Length < N * K) t_transposed = bt = new float[Math.Max(N * K, 1024)];
        fixed (float* pbt = bt)
        {
            for (int n = 0; n < N; n++)
                for (int k = 0; k < K; k++)
                    pbt[k * N + n] = B[n * ldb + k];
            Broadcast(M, N, K, A, lda, 1, pbt, N, C, ldc, accumulate);
        }
        if (bias != null)
            for (int m = 0; m < M; m++)
            {
                float* c = C + m * ldc;
                int n = 0;
                // One addition per output whatever the width: the same bits with AVX-512 or AVX2.
                if (Wide)
                    for (; n + 16 <= N; n += 16) (Vector512.Load(c + n) + Vector512.Load(bias + n)).Store(c + n);
                for (; n + 8 <= N; n += 8) (Vector256.Load(c + n) + Vector256.Load(bias + n)).Store(c + n);
                for (; n < N; n++) c[n] += bias[n];
            }
    }

    /// <summary>The arguments of one product, shared by the threads that split it.</summary>
    private struct Job
    {
        public int M, N, K, Ams, Aks, Ldb, Ldc, Align;
        public float* A, B, C, Bias;
        public bool Accumulate;
        public Epilogue Epilogue;

        /// <summary>Part <paramref name="i"/> of <paramref name="count"/>: a range of columns aligned to <see cref="Align"/>.</summary>
        public readonly (int Start, int End) Columns(int i, int count)
        {
            int blocks = (N + Align - 1) / Align;
            int start = (int)((long)blocks * i / count) * Align, end = (int)((long)blocks * (i + 1) / count) * Align;
            return (start, Math.Min(end, N));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNTPart(void* context, int i, int count)
    {
        ref Job j = ref *(Job*)context;
        var (n0, n1) = j.Columns(i, count);
        if (n1 > n0)
            DotNTSerial(j.M, n1 - n0, j.K, j.A, j.Ams, j.B + (long)n0 * j.Ldb, j.Ldb, j.C + n0, j.Ldc, j.Bias == null ? null : j.Bias + n0, j.Accumulate, j.Epilogue.Shifted(n0));
    }

    private static void BroadcastPart(void* context, int i, int count)
    {
        ref Job j = ref *(Job*)context;
        var (n0, n1) = j.Columns(i, count);
        if (n1 > n0)
            BroadcastSerial(j.M, n1 - n0, j.K, j.A, j.Ams, j.Aks, j.B + n0, j.Ldb, j.C + n0, j.Ldc, j.Accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNTSerial(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate, Epilogue epilogue)
    {
        // Cache blocking: a block of DotNB rows of B over DotKC of k stays in L2 while every row block of A passes over
        // it; each tile then reads its rows of A from L1 and its rows of B from L2. Later k blocks add to what the
        // earlier ones stored, and only the first adds the bias.
        for (int k0 = 0; k0 < K; k0 += DotKC)
        {
            int kc = Math.Min(DotKC, K - k0);
            if (K - (k0 + kc) < 16 && k0 + kc < K) kc = K - k0; // no sliver too short for a vector at the end
            bool acc = accumulate || k0 > 0;
            float* biasK = k0 == 0 ? bias : null;
            for (int n0 = 0; n0 < N; n0 += DotNB)
            {
                int nb = Math.Min(DotNB, N - n0);
                if (DotLanes == 16) DotBlock(M, nb, kc, A + k0, lda, B + n0 * ldb + k0, ldb, C + n0, ldc, biasK == null ? null : biasK + n0, acc);
                else DotBlockV256(M, nb, kc, A + k0, lda, B + n0 * ldb + k0, ldb, C + n0, ldc, biasK == null ? null : biasK + n0, acc);
                // The block of C is final after the last k block: activate it while it is in cache.
                if (k0 + kc == K) epilogue.Run(C, ldc, M, n0, nb);
            }
            if (kc == K - k0) break;
        }
    }

    /// <summary>
    /// Terms per k block of the forward product: the largest power of two (from 256 to 2048) for which the rows of A a
    /// tile reads (6 × DotKC floats) take at most three quarters of L1: 1024 with a 32 or 48 KiB L1. Each k block ends
    /// in a reduction and a read-modify-write of every output, so fewer, longer blocks pay that less often; a quarter
    /// of L1 is left for the rows of B streaming through. (Half of L1, 512 terms on a 32 KiB L1, measured 8–14% slower
    /// on Zen 2 for K = 784 and 1024.)
    /// </summary>
    private static readonly int DotKC = (int)Math.Clamp(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(CacheInfo.L1Data * 3 / 4 / (4 * 6)) + 1) / 2, 256, 2048);

    /// <summary>Rows of B per block: DotNB × DotKC floats take half of L2, a multiple of 16 from 32 to 256.</summary>
    private static readonly int DotNB = Math.Clamp(CacheInfo.L2 / 2 / (4 * DotKC) / 16 * 16, 32, 256);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotBlock(int M, int N, int K, float* A, int lda, float* B, int ldb, float* C, int ldc, float* bias, bool accumulate)
    {
        int m = 0;
        // 6×4 tiles: the six rows of A stay in L1 while the rows of B stream from L2, each loaded vector of B used six
        // times. Every output gets the same arithmetic as in a 4×4 or 1×4 tile, so results do not depend on the batch.
        for (; m + 6 <= M; m += 6)
        {
            int n = 0;
            for (; n + 4 <= N; n += 4)
                Dot6x4V512(K, A + m * lda, lda, B + n * ldb, ldb, C + m * ldc + n, ldc, bias == null ? null : bias + n, accumulate);
        }
        for (; m + 4 <= M; m += 4)
        {
            int n = 0;
            for (; n + 4 <= N; n += 4)
                Dot4x4V512(K, A + m * lda, lda, B + n * ldb, ldb, C + m * ldc + n, ldc, bias == null ? null : bias + n, accumulate);
        }
        for (; m < M; m++)
        {
            int n = 0;
            for (; n + 8 <= N; n += 8)
                Dot1x8V512(K, A + m * lda, B + n * ldb, ldb, C + m * ldc + n, bias == null ? null : bias + n, accumulate);
            if (n + 4 <= N)
                Dot1x4V512(K, A + m * lda, B + n * ldb, ldb, C + m * ldc + n, bias == null ? null : bias + n, accumulate);
        }
        // The last N % 4 columns, for every row, four rows at a time: a single-output layer (N = 1) lives here.
        for (int n = N - N % 4; n < N; n++)
            DotColumnV512(M, K, A, lda, B + n * ldb, C + n, ldc, bias == null ? null : bias + n, accumulate);
    }

    /// <summary>
    /// One column of C: <c>C[m, 0] = bias + Σₖ A[m, k]·b[k]</c> for every row, four rows at a time, with the per-output
    /// arithmetic of the tiles (one accumulator, a masked tail, the same reduction).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotColumnV512(int M, int K, float* A, int lda, float* b, float* C, int ldc, float* bias, bool accumulate)
    {
        float bv = bias == null ? 0f : *bias;
        int m = 0;
        for (; m + 4 <= M; m += 4)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* a0 = A + m * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            int k = 0;
            for (; k + 16 <= K; k += 16)
            {
                var w = Vector512.Load(b + k);
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a0 + k), w, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a1 + k), w, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Load(a2 + k), w, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Load(a3 + k), w, s3);
            }
            if (k < K)
            {
                var mask = TailMask(K - k);
                var w = Avx512F.MaskLoad(b + k, mask, default);
                s0 = Vector512.FusedMultiplyAdd(Avx512F.MaskLoad(a0 + k, mask, default), w, s0);
                s1 = Vector512.FusedMultiplyAdd(Avx512F.MaskLoad(a1 + k, mask, default), w, s1);
                s2 = Vector512.FusedMultiplyAdd(Avx512F.MaskLoad(a2 + k, mask, default), w, s2);
                s3 = Vector512.FusedMultiplyAdd(Avx512F.MaskLoad(a3 + k, mask, default), w, s3);
            }
            var r = Reduce4(s0, s1, s2, s3) + Vector128.Create(bv);
            for (int j = 0; j < 4; j++)
            {
                float* c = C + (m + j) * ldc;
                *c = accumulate ? *c + r.GetElement(j) : r.GetElement(j);
            }
        }
        for (; m < M; m++)
        {
            Vector512<float> s0 = default;
            float* a0 = A + m * lda;
            int k = 0;
            for (; k + 16 <= K; k += 16)
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a0 + k), Vector512.Load(b + k), s0);
            if (k < K)
            {
                var mask = TailMask(K - k);
                s0 = Vector512.FusedMultiplyAdd(Avx512F.MaskLoad(a0 + k, mask, default), Avx512F.MaskLoad(b + k, mask, default), s0);
            }
            float v = Reduce4(s0, default, default, default).ToScalar() + bv;
            float* c = C + m * ldc;
            *c = accumulate ? *c + v : v;
        }
    }


    /// <summary>One output: a vectorised dot product (any width), plus bias, stored or added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotScalarOut(int K, float* a, float* b, float* c, float* bias, bool accumulate)
    {
        float s = Dot(K, a, b) + (bias == null ? 0f : *bias);
        *c = accumulate ? *c + s : s;
    }

    /// <summary>A dot product with four independent accumulators at the widest available width.</summary>
    public static float Dot(int K, float* a, float* b)
    {
        int k = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && K >= 16)
        {
            Vector512<float> s0 = default, s1 = default;
            for (; k + 32 <= K; k += 32)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + k), Vector512.Load(b + k), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + k + 16), Vector512.Load(b + k + 16), s1);
            }
            for (; k + 16 <= K; k += 16)
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + k), Vector512.Load(b + k), s0);
            sum = Vector512.Sum(s0 + s1);
        }
        else if (Vector256.IsHardwareAccelerated && K >= 8)
        {
            Vector256<float> s0 = default, s1 = default;
            for (; k + 16 <= K; k += 16)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + k), Vector256.Load(b + k), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + k + 8), Vector256.Load(b + k + 8), s1);
            }
            for (; k + 8 <= K; k += 8)
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + k), Vector256.Load(b + k), s0);
            sum = Vector256.Sum(s0 + s1);
        }
        else if (Vector128.IsHardwareAccelerated && K >= 4)
        {
            Vector128<float> s0 = default, s1 = default;
            for (; k + 8 <= K; k += 8)
            {
                s0 = Vector128.FusedMultiplyAdd(Vector128.Load(a + k), Vector128.Load(b + k), s0);
                s1 = Vector128.FusedMultiplyAdd(Vector128.Load(a + k + 4), Vector128.Load(b + k + 4), s1);
            }
            for (; k + 4 <= K; k += 4)
                s0 = Vector128.FusedMultiplyAdd(Vector128.Load(a + k), Vector128.Load(b + k), s0);
            sum = Vector128.Sum(s0 + s1);
        }
        for (; k < K; k++) sum += a[k] * b[k];
        return sum;
    }

    /// <summary>Six rows of A against four rows of B: 24 dot products in 24 registers, reduced at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot6x4V512(int K, float* a, int lda, float* b, int ldb, float* c, int ldc, float* bias, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda;
        float* b0 = b, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
        int k = 0;
        for (; k + 16 <= K; k += 16)
        {
            var w0 = Vector512.Load(b0 + k);
            var w1 = Vector512.Load(b1 + k);
            var w2 = Vector512.Load(b2 + k);
            var w3 = Vector512.Load(b3 + k);
            var x = Vector512.Load(a0 + k);
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, w2, c02); c03 = Vector512.FusedMultiplyAdd(x, w3, c03);
            x = Vector512.Load(a1 + k);
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, w2, c12); c13 = Vector512.FusedMultiplyAdd(x, w3, c13);
            x = Vector512.Load(a2 + k);
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, w2, c22); c23 = Vector512.FusedMultiplyAdd(x, w3, c23);
            x = Vector512.Load(a3 + k);
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, w2, c32); c33 = Vector512.FusedMultiplyAdd(x, w3, c33);
            x = Vector512.Load(a4 + k);
            c40 = Vector512.FusedMultiplyAdd(x, w0, c40); c41 = Vector512.FusedMultiplyAdd(x, w1, c41);
            c42 = Vector512.FusedMultiplyAdd(x, w2, c42); c43 = Vector512.FusedMultiplyAdd(x, w3, c43);
            x = Vector512.Load(a5 + k);
            c50 = Vector512.FusedMultiplyAdd(x, w0, c50); c51 = Vector512.FusedMultiplyAdd(x, w1, c51);
            c52 = Vector512.FusedMultiplyAdd(x, w2, c52); c53 = Vector512.FusedMultiplyAdd(x, w3, c53);
        }
        if (k < K)
        {
            var mask = TailMask(K - k);
            var w0 = Avx512F.MaskLoad(b0 + k, mask, default);
            var w1 = Avx512F.MaskLoad(b1 + k, mask, default);
            var w2 = Avx512F.MaskLoad(b2 + k, mask, default);
            var w3 = Avx512F.MaskLoad(b3 + k, mask, default);
            var x = Avx512F.MaskLoad(a0 + k, mask, default);
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, w2, c02); c03 = Vector512.FusedMultiplyAdd(x, w3, c03);
            x = Avx512F.MaskLoad(a1 + k, mask, default);
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, w2, c12); c13 = Vector512.FusedMultiplyAdd(x, w3, c13);
            x = Avx512F.MaskLoad(a2 + k, mask, default);
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, w2, c22); c23 = Vector512.FusedMultiplyAdd(x, w3, c23);
            x = Avx512F.MaskLoad(a3 + k, mask, default);
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, w2, c32); c33 = Vector512.FusedMultiplyAdd(x, w3, c33);
            x = Avx512F.MaskLoad(a4 + k, mask, default);
            c40 = Vector512.FusedMultiplyAdd(x, w0, c40); c41 = Vector512.FusedMultiplyAdd(x, w1, c41);
            c42 = Vector512.FusedMultiplyAdd(x, w2, c42); c43 = Vector512.FusedMultiplyAdd(x, w3, c43);
            x = Avx512F.MaskLoad(a5 + k, mask, default);
            c50 = Vector512.FusedMultiplyAdd(x, w0, c50); c51 = Vector512.FusedMultiplyAdd(x, w1, c51);
            c52 = Vector512.FusedMultiplyAdd(x, w2, c52); c53 = Vector512.FusedMultiplyAdd(x, w3, c53);
        }
        var r0 = Reduce4(c00, c01, c02, c03);
        var r1 = Reduce4(c10, c11, c12, c13);
        var r2 = Reduce4(c20, c21, c22, c23);
        var r3 = Reduce4(c30, c31, c32, c33);
        var r4 = Reduce4(c40, c41, c42, c43);
        var r5 = Reduce4(c50, c51, c52, c53);
        if (bias != null)
        {
            var bv = Vector128.Load(bias);
            r0 += bv; r1 += bv; r2 += bv; r3 += bv; r4 += bv; r5 += bv;
        }
        StoreRow(c, r0, accumulate);
        StoreRow(c + ldc, r1, accumulate);
        StoreRow(c + 2 * ldc, r2, accumulate);
        StoreRow(c + 3 * ldc, r3, accumulate);
        StoreRow(c + 4 * ldc, r4, accumulate);
        StoreRow(c + 5 * ldc, r5, accumulate);
    }

    /// <summary>Four rows of A against four rows of B: 16 dot products, reduced together at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x4V512(int K, float* a, int lda, float* b, int ldb, float* c, int ldc, float* bias, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        float* b0 = b, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
        int k = 0;
        for (; k + 16 <= K; k += 16)
        {
            var w0 = Vector512.Load(b0 + k);
            var w1 = Vector512.Load(b1 + k);
            var w2 = Vector512.Load(b2 + k);
            var w3 = Vector512.Load(b3 + k);
            var x = Vector512.Load(a0 + k);
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, w2, c02); c03 = Vector512.FusedMultiplyAdd(x, w3, c03);
            x = Vector512.Load(a1 + k);
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, w2, c12); c13 = Vector512.FusedMultiplyAdd(x, w3, c13);
            x = Vector512.Load(a2 + k);
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, w2, c22); c23 = Vector512.FusedMultiplyAdd(x, w3, c23);
            x = Vector512.Load(a3 + k);
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, w2, c32); c33 = Vector512.FusedMultiplyAdd(x, w3, c33);
        }
        if (k < K)
        {
            // The last K % 16 terms as one masked step: masked-off lanes load as zero and never touch memory.
            var mask = TailMask(K - k);
            var w0 = Avx512F.MaskLoad(b0 + k, mask, default);
            var w1 = Avx512F.MaskLoad(b1 + k, mask, default);
            var w2 = Avx512F.MaskLoad(b2 + k, mask, default);
            var w3 = Avx512F.MaskLoad(b3 + k, mask, default);
            var x = Avx512F.MaskLoad(a0 + k, mask, default);
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00); c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, w2, c02); c03 = Vector512.FusedMultiplyAdd(x, w3, c03);
            x = Avx512F.MaskLoad(a1 + k, mask, default);
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10); c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, w2, c12); c13 = Vector512.FusedMultiplyAdd(x, w3, c13);
            x = Avx512F.MaskLoad(a2 + k, mask, default);
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20); c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, w2, c22); c23 = Vector512.FusedMultiplyAdd(x, w3, c23);
            x = Avx512F.MaskLoad(a3 + k, mask, default);
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30); c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, w2, c32); c33 = Vector512.FusedMultiplyAdd(x, w3, c33);
        }
        // Each row's four accumulators reduce to one Vector128 of four sums (columns n..n+3).
        var r0 = Reduce4(c00, c01, c02, c03);
        var r1 = Reduce4(c10, c11, c12, c13);
        var r2 = Reduce4(c20, c21, c22, c23);
        var r3 = Reduce4(c30, c31, c32, c33);
        if (bias != null)
        {
            var bv = Vector128.Load(bias);
            r0 += bv; r1 += bv; r2 += bv; r3 += bv;
        }
        StoreRow(c, r0, accumulate);
        StoreRow(c + ldc, r1, accumulate);
        StoreRow(c + 2 * ldc, r2, accumulate);
        StoreRow(c + 3 * ldc, r3, accumulate);
    }

    /// <summary>
    /// One row of A against four rows of B, with exactly the arithmetic of a row of <see cref="Dot4x4V512"/>, so that
    /// an output does not change with the batch size (whether its row fell in a tile or in the remainder).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1x4V512(int K, float* a, float* b, int ldb, float* c, float* bias, bool accumulate)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int k = 0;
        for (; k + 16 <= K; k += 16)
        {
            var x = Vector512.Load(a + k);
            s0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + k), s0);
            s1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + ldb + k), s1);
            s2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 2 * ldb + k), s2);
            s3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 3 * ldb + k), s3);
        }
        if (k < K)
        {
            var mask = TailMask(K - k);
            var x = Avx512F.MaskLoad(a + k, mask, default);
            s0 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + k, mask, default), s0);
            s1 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + ldb + k, mask, default), s1);
            s2 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + 2 * ldb + k, mask, default), s2);
            s3 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + 3 * ldb + k, mask, default), s3);
        }
        var r = Reduce4(s0, s1, s2, s3);
        if (bias != null) r += Vector128.Load(bias);
        StoreRow(c, r, accumulate);
    }

    /// <summary>One row of A against eight rows of B (batch-1 forward: a matrix-vector product).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1x8V512(int K, float* a, float* b, int ldb, float* c, float* bias, bool accumulate)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        int k = 0;
        for (; k + 16 <= K; k += 16)
        {
            var x = Vector512.Load(a + k);
            s0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + k), s0);
            s1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + ldb + k), s1);
            s2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 2 * ldb + k), s2);
            s3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 3 * ldb + k), s3);
            s4 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 4 * ldb + k), s4);
            s5 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 5 * ldb + k), s5);
            s6 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 6 * ldb + k), s6);
            s7 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 7 * ldb + k), s7);
        }
        if (k < K)
        {
            var mask = TailMask(K - k);
            var x = Avx512F.MaskLoad(a + k, mask, default);
            s0 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + k, mask, default), s0);
            s1 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + ldb + k, mask, default), s1);
            s2 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + 2 * ldb + k, mask, default), s2);
            s3 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + 3 * ldb + k, mask, default), s3);
            s4 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + 4 * ldb + k, mask, default), s4);
            s5 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + 5 * ldb + k, mask, default), s5);
            s6 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + 6 * ldb + k, mask, default), s6);
            s7 = Vector512.FusedMultiplyAdd(x, Avx512F.MaskLoad(b + 7 * ldb + k, mask, default), s7);
        }
        var lo = Reduce4(s0, s1, s2, s3);
        var hi = Reduce4(s4, s5, s6, s7);
        if (bias != null)
        {
            lo += Vector128.Load(bias);
            hi += Vector128.Load(bias + 4);
        }
        StoreRow(c, lo, accumulate);
        StoreRow(c + 4, hi, accumulate);
    }

    /// <summary>A mask of the first <paramref name="count"/> of 16 lanes (all bits set), the rest zero (none when count ≤ 0, all from 16 on).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> TailMask(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector128<float> v, bool accumulate)
    {
        if (accumulate) v += Vector128.Load(c);
        v.Store(c);
    }

    /// <summary>
    /// Reduces four 16-lane sums to one vector holding their four totals: halve each to 256 then 128 bits, then
    /// horizontal adds combine them pairwise (lanes: total of p, q, r, s).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Reduce4(Vector512<float> p, Vector512<float> q, Vector512<float> r, Vector512<float> s)
    {
        var p2 = p.GetLower() + p.GetUpper();
        var q2 = q.GetLower() + q.GetUpper();
        var r2 = r.GetLower() + r.GetUpper();
        var s2 = s.GetLower() + s.GetUpper();
        var p4 = p2.GetLower() + p2.GetUpper();
        var q4 = q2.GetLower() + q2.GetUpper();
        var r4 = r2.GetLower() + r2.GetUpper();
        var s4 = s2.GetLower() + s2.GetUpper();
        if (Sse3.IsSupported)
            return Sse3.HorizontalAdd(Sse3.HorizontalAdd(p4, q4), Sse3.HorizontalAdd(r4, s4));
        return Vector128.Create(Vector128.Sum(p4), Vector128.Sum(q4), Vector128.Sum(r4), Vector128.Sum(s4));
    }

    /// <summary>
    /// <c>C[m·ldc + n] = Σₖ A[m·ams + k·aks]·B[k·ldb + n]</c>, or added to C when <paramref name="accumulate"/> is set.
    /// </summary>
    public static void Broadcast(int M, int N, int K, float* A, int ams, int aks, float* B, int ldb, float* C, int ldc, bool accumulate)
    {
        // Packing costs a pass over A and B. A small product (a few terms per output, or a B of a few thousand
        // elements that stays in L1 anyway) does not repay it: its operands are read in place. The choice depends on
        // N and K only, never on M, which is the batch of an input gradient: a sample's gradient does not depend on
        // the batch it is in.
        if ((K > 16 && (long)N * K >= SmallProduct) || PackedGemm.Width < 256)
        {
            PackedGemm.Multiply(M, N, K, A, ams, aks, B, ldb, C, ldc, accumulate);
            return;
        }
        int threads = Math.Min(Parallelism.ThreadsFor((long)M * N * K), N / 32);
        if (threads > 1)
        {
            var job = new Job { M = M, N = N, K = K, A = A, Ams = ams, Aks = aks, B = B, Ldb = ldb, C = C, Ldc = ldc, Accumulate = accumulate, Align = 32 };
            Parallelism.For(threads, &BroadcastPart, &job);
            return;
        }
        BroadcastSerial(M, N, K, A, ams, aks, B, ldb, C, ldc, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BroadcastSerial(int M, int N, int K, float* A, int ams, int aks, float* B, int ldb, float* C, int ldc, bool accumulate)
    {
        // Cache blocking: k in blocks of BcKC, so that a 32-column panel of B (BcKC × 32 floats, 32 KiB) stays in
        // L1 while the row blocks of C pass over it; rows of C in blocks of BcMC, so that the block of A they read
        // stays in L2 across the column panels. Later k blocks add to what the earlier ones stored.
        for (int k0 = 0; k0 < K; k0 += BcKC)
        {
            int kc = Math.Min(BcKC, K - k0);
            bool acc = accumulate || k0 > 0;
            for (int m0 = 0; m0 < M; m0 += BcMC)
            {
                int mc = Math.Min(BcMC, M - m0);
                BroadcastBlock(mc, N, kc, A + m0 * ams + k0 * aks, ams, aks, B + k0 * ldb, ldb, C + m0 * ldc, ldc, acc);
            }
        }
    }

    private const int BcKC = 256, BcMC = 256;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BroadcastBlock(int M, int N, int K, float* A, int ams, int aks, float* B, int ldb, float* C, int ldc, bool accumulate)
    {
        int n = 0;
        if (Wide)
        {
            for (; n + 32 <= N; n += 32)
            {
                int m = 0;
                for (; m + 12 <= M; m += 12)
                    Bcast12x32V512(K, A + m * ams, ams, aks, B + n, ldb, C + m * ldc + n, ldc, accumulate);
                for (; m + 4 <= M; m += 4)
                    Bcast4x32V512(K, A + m * ams, ams, aks, B + n, ldb, C + m * ldc + n, ldc, accumulate);
                for (; m < M; m++)
                    Bcast1x32V512(K, A + m * ams, aks, B + n, ldb, C + m * ldc + n, accumulate);
            }
            // The last N % 32 columns: 16-wide panels, the final one masked, with the same row tiles.
            while (n < N)
            {
                int width = Math.Min(16, N - n);
                var mask = TailMask(width);
                int m = 0;
                for (; m + 12 <= M; m += 12)
                    Bcast12x16V512(K, A + m * ams, ams, aks, B + n, ldb, C + m * ldc + n, ldc, mask, accumulate);
                for (; m + 4 <= M; m += 4)
                    Bcast4x16V512(K, A + m * ams, ams, aks, B + n, ldb, C + m * ldc + n, ldc, mask, accumulate);
                for (; m < M; m++)
                    Bcast1x16V512(K, A + m * ams, aks, B + n, ldb, C + m * ldc + n, mask, accumulate);
                n += width;
            }
            return;
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; n + 16 <= N; n += 16)
            {
                int m = 0;
                for (; m + 4 <= M; m += 4)
                    Bcast4x16V256(K, A + m * ams, ams, aks, B + n, ldb, C + m * ldc + n, ldc, accumulate);
                for (; m < M; m++)
                    BcastRowV256(K, A + m * ams, aks, B + n, ldb, C + m * ldc + n, accumulate);
            }
        }
        // Narrow column panels of 8 and 4, so that widths like 20 or 10 stay vectorised.
        if (Vector256.IsHardwareAccelerated)
            for (; n + 8 <= N; n += 8)
                for (int m = 0; m < M; m++)
                    BcastRow8V256(K, A + m * ams, aks, B + n, ldb, C + m * ldc + n, accumulate);
        if (Vector128.IsHardwareAccelerated)
            for (; n + 4 <= N; n += 4)
                for (int m = 0; m < M; m++)
                    BcastRow4V128(K, A + m * ams, aks, B + n, ldb, C + m * ldc + n, accumulate);
        // What is left (all of it without vectors): one output column at a time.
        if (n < N)
            for (int m = 0; m < M; m++)
                for (int j = n; j < N; j++)
                {
                    float s = 0f;
                    float* am = A + m * ams;
                    for (int k = 0; k < K; k++) s += am[k * aks] * B[k * ldb + j];
                    C[m * ldc + j] = accumulate ? C[m * ldc + j] + s : s;
                }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Bcast12x32V512(int K, float* a, int ams, int aks, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        // 24 accumulators: a 12×32 block of C. Each k step loads two vectors of B's row k and broadcasts 12 values of a.
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        float* a0 = a, a4 = a + 4 * ams, a8 = a + 8 * ams;
        nint s1 = ams, s2 = 2 * (nint)ams, s3 = 3 * (nint)ams;
        for (int k = 0; k < K; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var v = Vector512.Create(a0[0]);
            c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            v = Vector512.Create(a0[s1]);
            c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            v = Vector512.Create(a0[s2]);
            c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            v = Vector512.Create(a0[s3]);
            c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            v = Vector512.Create(a4[0]);
            c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
            v = Vector512.Create(a4[s1]);
            c50 = Vector512.FusedMultiplyAdd(v, b0, c50); c51 = Vector512.FusedMultiplyAdd(v, b1, c51);
            v = Vector512.Create(a4[s2]);
            c60 = Vector512.FusedMultiplyAdd(v, b0, c60); c61 = Vector512.FusedMultiplyAdd(v, b1, c61);
            v = Vector512.Create(a4[s3]);
            c70 = Vector512.FusedMultiplyAdd(v, b0, c70); c71 = Vector512.FusedMultiplyAdd(v, b1, c71);
            v = Vector512.Create(a8[0]);
            c80 = Vector512.FusedMultiplyAdd(v, b0, c80); c81 = Vector512.FusedMultiplyAdd(v, b1, c81);
            v = Vector512.Create(a8[s1]);
            c90 = Vector512.FusedMultiplyAdd(v, b0, c90); c91 = Vector512.FusedMultiplyAdd(v, b1, c91);
            v = Vector512.Create(a8[s2]);
            cA0 = Vector512.FusedMultiplyAdd(v, b0, cA0); cA1 = Vector512.FusedMultiplyAdd(v, b1, cA1);
            v = Vector512.Create(a8[s3]);
            cB0 = Vector512.FusedMultiplyAdd(v, b0, cB0); cB1 = Vector512.FusedMultiplyAdd(v, b1, cB1);
            a0 += aks; a4 += aks; a8 += aks;
            b += ldb;
        }
        Store2(c, c00, c01, accumulate);
        Store2(c + ldc, c10, c11, accumulate);
        Store2(c + 2 * ldc, c20, c21, accumulate);
        Store2(c + 3 * ldc, c30, c31, accumulate);
        Store2(c + 4 * ldc, c40, c41, accumulate);
        Store2(c + 5 * ldc, c50, c51, accumulate);
        Store2(c + 6 * ldc, c60, c61, accumulate);
        Store2(c + 7 * ldc, c70, c71, accumulate);
        Store2(c + 8 * ldc, c80, c81, accumulate);
        Store2(c + 9 * ldc, c90, c91, accumulate);
        Store2(c + 10 * ldc, cA0, cA1, accumulate);
        Store2(c + 11 * ldc, cB0, cB1, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Bcast4x32V512(int K, float* a, int ams, int aks, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        nint s1 = ams, s2 = 2 * (nint)ams, s3 = 3 * (nint)ams;
        for (int k = 0; k < K; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var v = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            v = Vector512.Create(a[s1]);
            c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            v = Vector512.Create(a[s2]);
            c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            v = Vector512.Create(a[s3]);
            c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            a += aks;
            b += ldb;
        }
        Store2(c, c00, c01, accumulate);
        Store2(c + ldc, c10, c11, accumulate);
        Store2(c + 2 * ldc, c20, c21, accumulate);
        Store2(c + 3 * ldc, c30, c31, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector512<float> lo, Vector512<float> hi, bool accumulate)
    {
        if (accumulate)
        {
            lo += Vector512.Load(c);
            hi += Vector512.Load(c + 16);
        }
        lo.Store(c);
        hi.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Bcast1x32V512(int K, float* a, int aks, float* b, int ldb, float* c, bool accumulate)
    {
        // One FMA chain per output, in k order, as in the row tiles: an output does not depend on the tile it is in.
        Vector512<float> s0 = default, s1 = default;
        for (int k = 0; k < K; k++)
        {
            var v = Vector512.Create(a[k * aks]);
            s0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b + k * ldb), s0);
            s1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b + k * ldb + 16), s1);
        }
        Store2(c, s0, s1, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Bcast1x16V512(int K, float* a, int aks, float* b, int ldb, float* c, Vector512<float> mask, bool accumulate)
    {
        Vector512<float> s0 = default;
        for (int k = 0; k < K; k++)
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k * aks]), Avx512F.MaskLoad(b + k * ldb, mask, default), s0);
        StoreMasked(c, s0, mask, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked(float* c, Vector512<float> v, Vector512<float> mask, bool accumulate)
    {
        if (accumulate) v += Avx512F.MaskLoad(c, mask, default);
        Avx512F.MaskStore(c, mask, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Bcast4x16V512(int K, float* a, int ams, int aks, float* b, int ldb, float* c, int ldc, Vector512<float> mask, bool accumulate)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        nint s1 = ams, s2 = 2 * (nint)ams, s3 = 3 * (nint)ams;
        for (int k = 0; k < K; k++)
        {
            var bk = Avx512F.MaskLoad(b, mask, default);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), bk, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[s1]), bk, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[s2]), bk, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[s3]), bk, c3);
            a += aks;
            b += ldb;
        }
        StoreMasked(c, c0, mask, accumulate);
        StoreMasked(c + ldc, c1, mask, accumulate);
        StoreMasked(c + 2 * ldc, c2, mask, accumulate);
        StoreMasked(c + 3 * ldc, c3, mask, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Bcast12x16V512(int K, float* a, int ams, int aks, float* b, int ldb, float* c, int ldc, Vector512<float> mask, bool accumulate)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, cA = default, cB = default;
        float* a0 = a, a4 = a + 4 * ams, a8 = a + 8 * ams;
        nint s1 = ams, s2 = 2 * (nint)ams, s3 = 3 * (nint)ams;
        for (int k = 0; k < K; k++)
        {
            var bk = Avx512F.MaskLoad(b, mask, default);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[0]), bk, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[s1]), bk, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[s2]), bk, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[s3]), bk, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[0]), bk, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[s1]), bk, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[s2]), bk, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[s3]), bk, c7);
            c8 = Vector512.FusedMultiplyAdd(Vector512.Create(a8[0]), bk, c8);
            c9 = Vector512.FusedMultiplyAdd(Vector512.Create(a8[s1]), bk, c9);
            cA = Vector512.FusedMultiplyAdd(Vector512.Create(a8[s2]), bk, cA);
            cB = Vector512.FusedMultiplyAdd(Vector512.Create(a8[s3]), bk, cB);
            a0 += aks; a4 += aks; a8 += aks;
            b += ldb;
        }
        StoreMasked(c, c0, mask, accumulate);
        StoreMasked(c + ldc, c1, mask, accumulate);
        StoreMasked(c + 2 * ldc, c2, mask, accumulate);
        StoreMasked(c + 3 * ldc, c3, mask, accumulate);
        StoreMasked(c + 4 * ldc, c4, mask, accumulate);
        StoreMasked(c + 5 * ldc, c5, mask, accumulate);
        StoreMasked(c + 6 * ldc, c6, mask, accumulate);
        StoreMasked(c + 7 * ldc, c7, mask, accumulate);
        StoreMasked(c + 8 * ldc, c8, mask, accumulate);
        StoreMasked(c + 9 * ldc, c9, mask, accumulate);
        StoreMasked(c + 10 * ldc, cA, mask, accumulate);
        StoreMasked(c + 11 * ldc, cB, mask, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Bcast4x16V256(int K, float* a, int ams, int aks, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int k = 0; k < K; k++)
        {
            float* bk = b + k * ldb;
            float* ak = a + k * aks;
            var b0 = Vector256.Load(bk);
            var b1 = Vector256.Load(bk + 8);
            var v = Vector256.Create(ak[0]);
            c00 = Vector256.FusedMultiplyAdd(v, b0, c00); c01 = Vector256.FusedMultiplyAdd(v, b1, c01);
            v = Vector256.Create(ak[ams]);
            c10 = Vector256.FusedMultiplyAdd(v, b0, c10); c11 = Vector256.FusedMultiplyAdd(v, b1, c11);
            v = Vector256.Create(ak[2 * ams]);
            c20 = Vector256.FusedMultiplyAdd(v, b0, c20); c21 = Vector256.FusedMultiplyAdd(v, b1, c21);
            v = Vector256.Create(ak[3 * ams]);
            c30 = Vector256.FusedMultiplyAdd(v, b0, c30); c31 = Vector256.FusedMultiplyAdd(v, b1, c31);
        }
        Store2(c, c00, c01, accumulate);
        Store2(c + ldc, c10, c11, accumulate);
        Store2(c + 2 * ldc, c20, c21, accumulate);
        Store2(c + 3 * ldc, c30, c31, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BcastRowV256(int K, float* a, int aks, float* b, int ldb, float* c, bool accumulate)
    {
        Vector256<float> s0 = default, s1 = default;
        for (int k = 0; k < K; k++)
        {
            var v = Vector256.Create(a[k * aks]);
            s0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b + k * ldb), s0);
            s1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b + k * ldb + 8), s1);
        }
        Store2(c, s0, s1, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BcastRow8V256(int K, float* a, int aks, float* b, int ldb, float* c, bool accumulate)
    {
        Vector256<float> s = default, t = default;
        int k = 0;
        for (; k + 2 <= K; k += 2)
        {
            s = Vector256.FusedMultiplyAdd(Vector256.Create(a[k * aks]), Vector256.Load(b + k * ldb), s);
            t = Vector256.FusedMultiplyAdd(Vector256.Create(a[(k + 1) * aks]), Vector256.Load(b + (k + 1) * ldb), t);
        }
        if (k < K) s = Vector256.FusedMultiplyAdd(Vector256.Create(a[k * aks]), Vector256.Load(b + k * ldb), s);
        s += t;
        if (accumulate) s += Vector256.Load(c);
        s.Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BcastRow4V128(int K, float* a, int aks, float* b, int ldb, float* c, bool accumulate)
    {
        Vector128<float> s = default, t = default;
        int k = 0;
        for (; k + 2 <= K; k += 2)
        {
            s = Vector128.FusedMultiplyAdd(Vector128.Create(a[k * aks]), Vector128.Load(b + k * ldb), s);
            t = Vector128.FusedMultiplyAdd(Vector128.Create(a[(k + 1) * aks]), Vector128.Load(b + (k + 1) * ldb), t);
        }
        if (k < K) s = Vector128.FusedMultiplyAdd(Vector128.Create(a[k * aks]), Vector128.Load(b + k * ldb), s);
        s += t;
        if (accumulate) s += Vector128.Load(c);
        s.Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector256<float> lo, Vector256<float> hi, bool accumulate)
    {
        if (accumulate)
        {
            lo += Vector256.Load(c);
            hi += Vector256.Load(c + 8);
        }
        lo.Store(c);
        hi.Store(c + 8);
    }
}
