using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SourceGenNN.Kernels;

/// <summary>
/// The element-wise parameter updates of the optimisers, vectorised. Every lane evaluates exactly the expression the
/// scalar tail does, in the same order and without fused multiply-adds, so the result is the same on every path.
/// </summary>
public static class OptimizerKernels
{
    /// <summary>
    /// Adam (PyTorch's form): g = grad + l2·p; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
    /// p = p·decay − stepSize·m / (√v·invSqrtBc2 + ε), with stepSize = lr/(1−β₁ᵗ) and invSqrtBc2 = 1/√(1−β₂ᵗ).
    /// </summary>
    public static void Adam(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v,
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
