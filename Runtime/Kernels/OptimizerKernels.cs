using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// The element-wise parameter updates of the optimisers, vectorised. Every lane evaluates exactly the expression the
/// scalar tail does, in the same order and without fused multiply-adds, so the result is the same on every path.
/// </summary>
public static unsafe class OptimizerKernels
{
    /// <summary>Updates of at least this many parameters per thread are split across threads (memory-bound work).</summary>
    public const int MinParametersPerThread = 1 << 18;

    private static int ThreadsFor(int n) => Math.Clamp(n / MinParametersPerThread, 1, Parallelism.MaxThreads);

    /// <summary>Part <paramref name="i"/> of <paramref name="count"/> of [0, n), in whole vectors, so lanes stay as they are.</summary>
    private static (int Start, int Length) Chunk(int n, int i, int count)
    {
        int blocks = (n + 15) / 16;
        int start = (int)((long)blocks * i / count) * 16, end = Math.Min((int)((long)blocks * (i + 1) / count) * 16, n);
        return (start, Math.Max(0, end - start));
    }

    private struct AdamJob
    {
        public float* P, G, M, V;
        public int N;
        public float Decay, L2, Beta1, Beta2, StepSize, InvSqrtBc2, Epsilon;
    }

    private static void AdamPart(void* context, int i, int count)
    {
        ref AdamJob j = ref *(AdamJob*)context;
        var (start, length) = Chunk(j.N, i, count);
        if (length > 0)
            AdamSerial(new Span<float>(j.P + start, length), new ReadOnlySpan<float>(j.G + start, length), new Span<float>(j.M + start, length),
                new Span<float>(j.V + start, length), j.Decay, j.L2, j.Beta1, j.Beta2, j.StepSize, j.InvSqrtBc2, j.Epsilon);
    }

    private struct SgdJob
    {
        public float* P, G, B;
        public int N;
        public float LearningRate, WeightDecay, Momentum, Keep;
        public bool Nesterov, FirstStep;
    }

    private static void SgdPart(void* context, int i, int count)
    {
        ref SgdJob j = ref *(SgdJob*)context;
        var (start, length) = Chunk(j.N, i, count);
        if (length > 0)
            SgdSerial(new Span<float>(j.P + start, length), new ReadOnlySpan<float>(j.G + start, length), j.B == null ? default : new Span<float>(j.B + start, length),
                j.LearningRate, j.WeightDecay, j.Momentum, j.Keep, j.Nesterov, j.FirstStep);
    }

    /// <summary>
    /// Adam (PyTorch's form): g = grad + l2·p; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
    /// p = p·decay − stepSize·m / (√v·invSqrtBc2 + ε), with stepSize = lr/(1−β₁ᵗ) and invSqrtBc2 = 1/√(1−β₂ᵗ).
    /// </summary>
    public static void Adam(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v,
        float decay, float l2, float beta1, float beta2, float stepSize, float invSqrtBc2, float epsilon)
    {
        ThrowHelper.CheckLength(gradients.Length, parameters.Length, nameof(gradients), "the length of parameters");
        ThrowHelper.CheckLength(m.Length, parameters.Length, nameof(m), "the length of parameters");
        ThrowHelper.CheckLength(v.Length, parameters.Length, nameof(v), "the length of parameters");
        int threads = ThreadsFor(parameters.Length);
        if (threads > 1)
        {
            fixed (float* pp = parameters, pg = gradients, pm = m, pv = v)
            {
                var job = new AdamJob { P = pp, G = pg, M = pm, V = pv, N = parameters.Length, Decay = decay, L2 = l2, Beta1 = beta1, Beta2 = beta2, StepSize = stepSize, InvSqrtBc2 = invSqrtBc2, Epsilon = epsilon };
                Parallelism.For(threads, &AdamPart, &job);
            }
            return;
        }
        AdamSerial(parameters, gradients, m, v, decay, l2, beta1, beta2, stepSize, invSqrtBc2, epsilon);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AdamSerial(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v,
        float decay, float l2, float beta1, float beta2, float stepSize, float invSqrtBc2, float epsilon)
    {
        int n = parameters.Length, i = 0;
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        float c1 = 1f - beta1, c2 = 1f - beta2;
        if (Vector512.IsHardwareAccelerated)
        {
            var vDecay = Vector512.Create(decay); var vL2 = Vector512.Create(l2);
            var vB1 = Vector512.Create(beta1); var vC1 = Vector512.Create(c1);
            var vB2 = Vector512.Create(beta2); var vC2 = Vector512.Create(c2);
            var vStep = Vector512.Create(stepSize); var vInv = Vector512.Create(invSqrtBc2); var vEps = Vector512.Create(epsilon);
            for (; i + 16 <= n; i += 16)
            {
                var pi = Vector512.LoadUnsafe(ref p, (nuint)i);
                var gi = Vector512.LoadUnsafe(ref g, (nuint)i) + vL2 * pi;
                var mi = vB1 * Vector512.LoadUnsafe(ref mr, (nuint)i) + vC1 * gi;
                var vi = vB2 * Vector512.LoadUnsafe(ref vr, (nuint)i) + vC2 * gi * gi;
                mi.StoreUnsafe(ref mr, (nuint)i);
                vi.StoreUnsafe(ref vr, (nuint)i);
                (pi * vDecay - vStep * mi / (Vector512.Sqrt(vi) * vInv + vEps)).StoreUnsafe(ref p, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vDecay = Vector256.Create(decay); var vL2 = Vector256.Create(l2);
            var vB1 = Vector256.Create(beta1); var vC1 = Vector256.Create(c1);
            var vB2 = Vector256.Create(beta2); var vC2 = Vector256.Create(c2);
            var vStep = Vector256.Create(stepSize); var vInv = Vector256.Create(invSqrtBc2); var vEps = Vector256.Create(epsilon);
            for (; i + 8 <= n; i += 8)
            {
                var pi = Vector256.LoadUnsafe(ref p, (nuint)i);
                var gi = Vector256.LoadUnsafe(ref g, (nuint)i) + vL2 * pi;
                var mi = vB1 * Vector256.LoadUnsafe(ref mr, (nuint)i) + vC1 * gi;
                var vi = vB2 * Vector256.LoadUnsafe(ref vr, (nuint)i) + vC2 * gi * gi;
                mi.StoreUnsafe(ref mr, (nuint)i);
                vi.StoreUnsafe(ref vr, (nuint)i);
                (pi * vDecay - vStep * mi / (Vector256.Sqrt(vi) * vInv + vEps)).StoreUnsafe(ref p, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var vDecay = Vector128.Create(decay); var vL2 = Vector128.Create(l2);
            var vB1 = Vector128.Create(beta1); var vC1 = Vector128.Create(c1);
            var vB2 = Vector128.Create(beta2); var vC2 = Vector128.Create(c2);
            var vStep = Vector128.Create(stepSize); var vInv = Vector128.Create(invSqrtBc2); var vEps = Vector128.Create(epsilon);
            for (; i + 4 <= n; i += 4)
            {
                var pi = Vector128.LoadUnsafe(ref p, (nuint)i);
                var gi = Vector128.LoadUnsafe(ref g, (nuint)i) + vL2 * pi;
                var mi = vB1 * Vector128.LoadUnsafe(ref mr, (nuint)i) + vC1 * gi;
                var vi = vB2 * Vector128.LoadUnsafe(ref vr, (nuint)i) + vC2 * gi * gi;
                mi.StoreUnsafe(ref mr, (nuint)i);
                vi.StoreUnsafe(ref vr, (nuint)i);
                (pi * vDecay - vStep * mi / (Vector128.Sqrt(vi) * vInv + vEps)).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float pi = Unsafe.Add(ref p, i);
            float gi = Unsafe.Add(ref g, i) + l2 * pi;
            float mi = beta1 * Unsafe.Add(ref mr, i) + c1 * gi;
            float vi = beta2 * Unsafe.Add(ref vr, i) + c2 * gi * gi;
            Unsafe.Add(ref mr, i) = mi;
            Unsafe.Add(ref vr, i) = vi;
            Unsafe.Add(ref p, i) = pi * decay - stepSize * mi / (MathF.Sqrt(vi) * invSqrtBc2 + epsilon);
        }
    }

    /// <summary>
    /// SGD (PyTorch's form): g = grad + wd·p; with momentum, b = g on the first step, else μb + (1−dampening)g, and
    /// g = g + μb (Nesterov) or b; then p = p − lr·g.
    /// </summary>
    public static void Sgd(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> buffer,
        float learningRate, float weightDecay, float momentum, float keep, bool nesterov, bool firstStep)
    {
        ThrowHelper.CheckLength(gradients.Length, parameters.Length, nameof(gradients), "the length of parameters");
        if (momentum != 0f) ThrowHelper.CheckLength(buffer.Length, parameters.Length, nameof(buffer), "the length of parameters");
        int threads = ThreadsFor(parameters.Length);
        if (threads > 1)
        {
            fixed (float* pp = parameters, pg = gradients, pb = buffer)
            {
                var job = new SgdJob { P = pp, G = pg, B = buffer.IsEmpty ? null : pb, N = parameters.Length, LearningRate = learningRate, WeightDecay = weightDecay, Momentum = momentum, Keep = keep, Nesterov = nesterov, FirstStep = firstStep };
                Parallelism.For(threads, &SgdPart, &job);
            }
            return;
        }
        SgdSerial(parameters, gradients, buffer, learningRate, weightDecay, momentum, keep, nesterov, firstStep);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SgdSerial(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> buffer,
        float learningRate, float weightDecay, float momentum, float keep, bool nesterov, bool firstStep)
    {
        int n = parameters.Length, i = 0;
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float gr = ref MemoryMarshal.GetReference(gradients);
        ref float br = ref MemoryMarshal.GetReference(buffer);
        bool hasMomentum = momentum != 0f;
        if (Vector512.IsHardwareAccelerated)
        {
            var lr = Vector512.Create(learningRate); var wd = Vector512.Create(weightDecay);
            var mu = Vector512.Create(momentum); var kp = Vector512.Create(keep);
            for (; i + 16 <= n; i += 16)
            {
                var pi = Vector512.LoadUnsafe(ref p, (nuint)i);
                var g = Vector512.LoadUnsafe(ref gr, (nuint)i) + wd * pi;
                if (hasMomentum)
                {
                    var b = firstStep ? g : mu * Vector512.LoadUnsafe(ref br, (nuint)i) + kp * g;
                    b.StoreUnsafe(ref br, (nuint)i);
                    g = nesterov ? g + mu * b : b;
                }
                (pi - lr * g).StoreUnsafe(ref p, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var lr = Vector256.Create(learningRate); var wd = Vector256.Create(weightDecay);
            var mu = Vector256.Create(momentum); var kp = Vector256.Create(keep);
            for (; i + 8 <= n; i += 8)
            {
                var pi = Vector256.LoadUnsafe(ref p, (nuint)i);
                var g = Vector256.LoadUnsafe(ref gr, (nuint)i) + wd * pi;
                if (hasMomentum)
                {
                    var b = firstStep ? g : mu * Vector256.LoadUnsafe(ref br, (nuint)i) + kp * g;
                    b.StoreUnsafe(ref br, (nuint)i);
                    g = nesterov ? g + mu * b : b;
                }
                (pi - lr * g).StoreUnsafe(ref p, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var lr = Vector128.Create(learningRate); var wd = Vector128.Create(weightDecay);
            var mu = Vector128.Create(momentum); var kp = Vector128.Create(keep);
            for (; i + 4 <= n; i += 4)
            {
                var pi = Vector128.LoadUnsafe(ref p, (nuint)i);
                var g = Vector128.LoadUnsafe(ref gr, (nuint)i) + wd * pi;
                if (hasMomentum)
                {
                    var b = firstStep ? g : mu * Vector128.LoadUnsafe(ref br, (nuint)i) + kp * g;
                    b.StoreUnsafe(ref br, (nuint)i);
                    g = nesterov ? g + mu * b : b;
                }
                (pi - lr * g).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float pi = Unsafe.Add(ref p, i);
            float g = Unsafe.Add(ref gr, i) + weightDecay * pi;
            if (hasMomentum)
            {
                float b = firstStep ? g : momentum * Unsafe.Add(ref br, i) + keep * g;
                Unsafe.Add(ref br, i) = b;
                g = nesterov ? g + momentum * b : b;
            }
            Unsafe.Add(ref p, i) = pi - learningRate * g;
        }
    }
}
