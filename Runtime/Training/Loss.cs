using System;
using System.Globalization;
using SourceGenNN.CompilerServices;
using SourceGenNN.Kernels;

namespace SourceGenNN.Training;

/// <summary>
/// A loss function: its value and its gradient with respect to the network's output, averaged like PyTorch's
/// <c>reduction='mean'</c> (over every element for element-wise losses, over the batch for cross entropy and NLL).
/// Computing a loss allocates nothing.
/// </summary>
public abstract class Loss
{
    /// <summary>A short name, used in histories and progress lines (<c>mse</c>, <c>cross_entropy</c>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The layer kind (<see cref="LayerDescription.Kind"/>) this loss fuses with when a network ends in it:
    /// <c>Softmax</c> for cross entropy, <c>Sigmoid</c> for binary cross entropy, or null. When a network ends in that
    /// layer the trainer computes the loss from <see cref="INetwork.Logits"/> with <see cref="ComputeFromLogits"/> and
    /// back-propagates with <c>fromLogits: true</c>, which is both cheaper and numerically stable.
    /// </summary>
    public virtual string? FusedActivation => null;

    /// <summary>The number of target values per sample for <paramref name="features"/> outputs per sample.</summary>
    /// <param name="features">Outputs per sample.</param>
    public virtual int TargetWidth(int features) => features;

    /// <summary>
    /// Computes the mean loss of a batch and, when <paramref name="gradient"/> is not empty, writes dLoss/dOutput.
    /// </summary>
    /// <param name="output">The network's output, [batch, features].</param>
    /// <param name="target">The targets, [batch, <see cref="TargetWidth"/>].</param>
    /// <param name="gradient">Empty, or [batch, features] to receive the gradient (overwritten).</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="features">Outputs per sample.</param>
    /// <returns>The loss, averaged as PyTorch's <c>reduction='mean'</c> does.</returns>
    public float Compute(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
    {
        Check(output, target, gradient, batch, features, nameof(output));
        return (float)ComputeCore(output, target, gradient, batch, features);
    }

    /// <summary>
    /// Computes the loss from the input of the network's final <see cref="FusedActivation"/> layer and, when
    /// <paramref name="gradient"/> is not empty, writes dLoss/dLogits (for cross entropy, (p − y)/batch).
    /// </summary>
    /// <param name="logits">The final activation's input, [batch, features].</param>
    /// <param name="target">The targets, [batch, <see cref="TargetWidth"/>].</param>
    /// <param name="gradient">Empty, or [batch, features] to receive the gradient with respect to the logits.</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="features">Outputs per sample.</param>
    /// <returns>The same value <see cref="Compute"/> gives for the activation's output, computed stably.</returns>
    public float ComputeFromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
    {
        if (FusedActivation is null)
            ThrowHelper.ThrowInvalidOperation($"The loss '{Name}' does not fuse with a final activation, so it has no logits form.");
        Check(logits, target, gradient, batch, features, nameof(logits));
        return (float)ComputeFromLogitsCore(logits, target, gradient, batch, features);
    }

    /// <summary>Computes the loss of a validated batch; see <see cref="Compute"/>.</summary>
    protected abstract double ComputeCore(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features);

    /// <summary>Computes the loss of a validated batch from logits; see <see cref="ComputeFromLogits"/>.</summary>
    protected virtual double ComputeFromLogitsCore(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features) =>
        throw new NotSupportedException($"The loss '{Name}' has no logits form.");

    private void Check(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features, string outputName)
    {
        if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive batch size");
        if (features <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(features), features, "a positive number of features");
        // In long: batch × features can exceed int, and a product wrapped around to 0 would let empty spans through.
        ThrowHelper.CheckShape(output.Length, batch, features, outputName, "batch", "features");
        ThrowHelper.CheckShape(target.Length, batch, TargetWidth(features), nameof(target), "batch", "target width");
        if (!gradient.IsEmpty) ThrowHelper.CheckShape(gradient.Length, batch, features, nameof(gradient), "batch", "features");
    }

    /// <summary>
    /// What is wrong with a data set's targets for this loss, or null: the trainer asks once, when <c>Fit</c> or
    /// <c>Evaluate</c> starts, so that a bad target is reported by its index in the data set, before any update. Finite
    /// values by default; class indices for cross entropy and NLL, values in [0, 1] for binary cross entropy.
    /// </summary>
    /// <param name="targets">[count, target width].</param>
    /// <param name="features">Outputs per sample.</param>
    /// <param name="index">The first bad value's index in <paramref name="targets"/>, or −1.</param>
    /// <returns>The rest of a sentence about the bad value ("is NaN, but …"), or null.</returns>
    internal virtual string? TargetProblem(ReadOnlySpan<float> targets, int features, out int index)
    {
        index = TensorOps.IndexOfNonFinite(targets);
        return index < 0 ? null : string.Create(CultureInfo.InvariantCulture, $"is {targets[index]}, but the loss '{Name}' needs finite targets");
    }

    /// <summary>The first target that is not a class index (a whole number in [0, classes)), for <see cref="TargetProblem"/>.</summary>
    internal static string? ClassIndexProblem(ReadOnlySpan<float> targets, int classes, string user, out int index)
    {
        for (int i = 0; i < targets.Length; i++)
        {
            float v = targets[i];
            int c = (int)v;
            if (c != v || c < 0 || c >= classes)
            {
                index = i;
                return string.Create(CultureInfo.InvariantCulture, $"is {v}, but {user} needs a class index: a whole number in [0, {classes})");
            }
        }
        index = -1;
        return null;
    }

    /// <summary>The first target outside [0, 1] (NaN included), for <see cref="TargetProblem"/>.</summary>
    internal static string? UnitIntervalProblem(ReadOnlySpan<float> targets, string user, out int index)
    {
        for (int i = 0; i < targets.Length; i++)
            if (!(targets[i] >= 0f && targets[i] <= 1f))
            {
                index = i;
                return string.Create(CultureInfo.InvariantCulture, $"is {targets[i]}, but {user} needs targets in [0, 1]");
            }
        index = -1;
        return null;
    }

    /// <summary>Reads a class index stored as a float target, checking that it is a whole number in [0, classes).</summary>
    protected static int ClassIndex(float value, int classes, int sample)
    {
        int c = (int)value;
        if (c != value || c < 0 || c >= classes)
            ThrowHelper.ThrowArgumentOutOfRange("target", value, $"a class index in [0, {classes}) for sample {sample}");
        return c;
    }
}

/// <summary>Mean squared error, PyTorch's <c>MSELoss</c>: mean of (output − target)².</summary>
public sealed class MeanSquaredError : Loss
{
    /// <inheritdoc />
    public override string Name => "mse";

    /// <inheritdoc />
    protected override double ComputeCore(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
    {
        int n = output.Length;
        float scale = 2f / n;
        double sum = 0;
        bool grad = !gradient.IsEmpty;
        for (int i = 0; i < n; i++)
        {
            float d = output[i] - target[i];
            sum += (double)d * d;
            if (grad) gradient[i] = scale * d;
        }
        return sum / n;
    }
}

/// <summary>Mean absolute error, PyTorch's <c>L1Loss</c>: mean of |output − target|; the gradient at 0 is 0.</summary>
public sealed class MeanAbsoluteError : Loss
{
    /// <inheritdoc />
    public override string Name => "mae";

    /// <inheritdoc />
    protected override double ComputeCore(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
    {
        int n = output.Length;
        float scale = 1f / n;
        double sum = 0;
        bool grad = !gradient.IsEmpty;
        for (int i = 0; i < n; i++)
        {
            float d = output[i] - target[i];
            sum += Math.Abs((double)d);
            if (grad) gradient[i] = d > 0f ? scale : d < 0f ? -scale : 0f;
        }
        return sum / n;
    }
}

/// <summary>
/// Huber loss, PyTorch's <c>HuberLoss(delta)</c>: ½d² where |d| &lt; δ, else δ(|d| − ½δ), averaged over every element.
/// </summary>
public sealed class HuberLoss : Loss
{
    /// <summary>Creates a Huber loss.</summary>
    /// <param name="delta">Where the loss changes from quadratic to linear; must be positive.</param>
    public HuberLoss(float delta = 1f)
    {
        if (!(delta > 0f)) ThrowHelper.ThrowArgumentOutOfRange(nameof(delta), delta, "a positive delta");
        Delta = delta;
    }

    /// <summary>Where the loss changes from quadratic to linear.</summary>
    public float Delta { get; }

    /// <inheritdoc />
    public override string Name => "huber";

    /// <inheritdoc />
    protected override double ComputeCore(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
    {
        int n = output.Length;
        float scale = 1f / n, delta = Delta;
        double sum = 0;
        bool grad = !gradient.IsEmpty;
        for (int i = 0; i < n; i++)
        {
            float d = output[i] - target[i];
            double ad = Math.Abs((double)d);
            if (ad < delta)
            {
                sum += 0.5 * d * (double)d;
                if (grad) gradient[i] = scale * d;
            }
            else
            {
                sum += delta * (ad - 0.5 * delta);
                if (grad) gradient[i] = d > 0f ? scale * delta : -scale * delta;
            }
        }
        return sum / n;
    }
}

/// <summary>
/// Binary cross entropy on probabilities, PyTorch's <c>BCELoss</c>: −[y·log p + (1 − y)·log(1 − p)] with each log
/// clamped at −100, averaged over every element. Fuses with a final <c>Sigmoid</c>: the loss is then computed from the
/// logits in the stable form of <see cref="BinaryCrossEntropyWithLogits"/>. Like PyTorch, <see cref="Loss.Compute"/>
/// throws an <see cref="ArgumentOutOfRangeException"/> for an output outside [0, 1] (NaN included), before writing
/// anything; targets are not checked here (the trainer checks that they lie in [0, 1]).
/// </summary>
public sealed class BinaryCrossEntropy : Loss
{
    /// <inheritdoc />
    public override string Name => "bce";

    /// <inheritdoc />
    public override string? FusedActivation => LayerKindNames.Sigmoid;

    /// <inheritdoc />
    internal override string? TargetProblem(ReadOnlySpan<float> targets, int features, out int index) =>
        UnitIntervalProblem(targets, "the loss 'bce'", out index);

    /// <inheritdoc />
    protected override double ComputeCore(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
    {
        int n = output.Length;
        // PyTorch raises "all elements of input should be between 0 and 1"; without the check an output of 1.5 gives a
        // NaN loss and gradients of 1e12.
        for (int i = 0; i < n; i++)
        {
            float p = output[i];
            if (!(p >= 0f && p <= 1f)) ThrowNotProbability(p, i, features);
        }
        double sum = 0;
        bool grad = !gradient.IsEmpty;
        for (int i = 0; i < n; i++)
        {
            double p = output[i], y = target[i];
            double logP = Math.Max(Math.Log(p), -100.0);
            double log1P = Math.Max(Math.Log(1.0 - p), -100.0);
            sum -= y * logP + (1.0 - y) * log1P;
            // PyTorch's backward: (p − y) / max(p(1 − p), 1e-12).
            if (grad) gradient[i] = (float)((p - y) / Math.Max(p * (1.0 - p), 1e-12) / n);
        }
        return sum / n;
    }

    /// <inheritdoc />
    protected override double ComputeFromLogitsCore(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features) =>
        BinaryCrossEntropyWithLogits.Stable(logits, target, gradient);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowNotProbability(float p, int index, int features) =>
        throw new ArgumentOutOfRangeException("output", p,
            string.Create(CultureInfo.InvariantCulture, $"The loss 'bce' reads probabilities, but output element {index} (sample {index / features}, feature {index % features}) is {p}: every output must lie in [0, 1], as in PyTorch's BCELoss. ") +
            "For logits use BinaryCrossEntropyWithLogits, or end the network in a Sigmoid.");
}

/// <summary>
/// Binary cross entropy on logits, PyTorch's <c>BCEWithLogitsLoss</c>, in PyTorch's stable form
/// (1 − y)·z + max(−z, 0) + log(1 + e^−|z|), averaged over every element; the gradient is (σ(z) − y)/N.
/// When a network ends in <c>Sigmoid</c>, the trainer applies it to the sigmoid's input. At infinite logits it gives
/// PyTorch's values: +∞ for z = +∞ with y &lt; 1, NaN where the form multiplies 0 by ∞ (z = +∞ with y = 1, z = −∞).
/// </summary>
public sealed class BinaryCrossEntropyWithLogits : Loss
{
    /// <inheritdoc />
    public override string Name => "bce_logits";

    /// <inheritdoc />
    public override string? FusedActivation => LayerKindNames.Sigmoid;

    /// <inheritdoc />
    internal override string? TargetProblem(ReadOnlySpan<float> targets, int features, out int index) =>
        UnitIntervalProblem(targets, "the loss 'bce_logits'", out index);

    /// <inheritdoc />
    protected override double ComputeCore(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features) =>
        Stable(output, target, gradient);

    /// <inheritdoc />
    protected override double ComputeFromLogitsCore(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features) =>
        Stable(logits, target, gradient);

    internal static double Stable(ReadOnlySpan<float> z, ReadOnlySpan<float> target, Span<float> gradient)
    {
        // (1 − y)·z + max(−z, 0) + log(1 + e^(−|z|)) never overflows for finite z; the same e^(−|z|) gives σ(z) for the
        // gradient, so each element costs one exp and one log, in float (the sum is kept in double). It is PyTorch's
        // arrangement, which matters at z = +∞, y = 0: +∞ here, where max(z, 0) − z·y would be ∞ − ∞·0 = NaN.
        int n = z.Length;
        double sum = 0;
        bool grad = !gradient.IsEmpty;
        float invN = 1f / n;
        for (int i = 0; i < n; i++)
        {
            float v = z[i], y = target[i];
            float e = MathF.Exp(-MathF.Abs(v));
            sum += (1f - y) * v + MathF.Max(-v, 0f) + MathF.Log(1f + e);
            if (grad)
            {
                float s = v >= 0f ? 1f / (1f + e) : e / (1f + e);
                gradient[i] = (s - y) * invN;
            }
        }
        return sum / n;
    }
}

/// <summary>How cross entropy reads its targets.</summary>
public enum CrossEntropyTarget
{
    /// <summary>One value per sample: the class index (as a float holding a whole number).</summary>
    ClassIndex,

    /// <summary>One probability per class per sample (one-hot or soft labels).</summary>
    Probabilities,
}

/// <summary>
/// Cross entropy from logits, PyTorch's <c>CrossEntropyLoss</c>: log-softmax fused with the negative log-likelihood,
/// stable for logits of any size, averaged over the batch. The gradient is (softmax(z)·Σy − y)/batch, which is
/// (p − y)/batch for targets that sum to one. When a network ends in <c>Softmax</c> the trainer applies it to the
/// softmax's input (<see cref="INetwork.Logits"/>).
/// </summary>
public sealed class CrossEntropy : Loss
{
    /// <summary>Creates a cross-entropy loss.</summary>
    /// <param name="targets">Whether targets are class indices (one per sample) or per-class probabilities.</param>
    public CrossEntropy(CrossEntropyTarget targets = CrossEntropyTarget.ClassIndex) => Targets = targets;

    private CrossEntropy(CrossEntropyTarget targets, int classes)
    {
        Targets = targets;
        Classes = classes;
    }

    /// <summary>
    /// Cross entropy per step of a sequence output [T, <paramref name="classes"/>] (a recurrent layer's sequence read
    /// by a Dense): each step's row is a separate prediction, with one class index per step (targets [T]) or one
    /// probability row per step. The mean is over every step of every sample, as PyTorch's
    /// <c>CrossEntropyLoss()(output.reshape(-1, C), target.reshape(-1))</c>. The output must be logits: a network ending
    /// in a Softmax over the steps' classes does not fuse with this loss.
    /// </summary>
    /// <param name="classes">C, the classes of one step: the network's output size must be a multiple of it.</param>
    /// <param name="targets">Whether targets are class indices (one per step) or per-class probabilities.</param>
    public static CrossEntropy PerStep(int classes, CrossEntropyTarget targets = CrossEntropyTarget.ClassIndex)
    {
        if (classes <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(classes), classes, "a positive number of classes per step");
        return new CrossEntropy(targets, classes);
    }

    /// <summary>How targets are read.</summary>
    public CrossEntropyTarget Targets { get; }

    /// <summary>The classes of one step for <see cref="PerStep"/>; 0 when the whole output is one prediction.</summary>
    public int Classes { get; }

    /// <inheritdoc />
    public override string Name => "cross_entropy";

    /// <inheritdoc />
    public override string? FusedActivation => Classes == 0 ? LayerKindNames.Softmax : null;

    /// <inheritdoc />
    public override int TargetWidth(int features) => Targets == CrossEntropyTarget.ClassIndex ? Steps(features) : features;

    /// <summary>The predictions of one sample: 1, or its steps for <see cref="PerStep"/>.</summary>
    private int Steps(int features)
    {
        if (Classes == 0) return 1;
        if (features % Classes != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Cross entropy per step of {Classes} classes needs outputs of whole steps, but a sample has {features} outputs (not a multiple of {Classes})."), nameof(features));
        return features / Classes;
    }

    /// <inheritdoc />
    internal override string? TargetProblem(ReadOnlySpan<float> targets, int features, out int index) =>
        Targets == CrossEntropyTarget.ClassIndex
            ? ClassIndexProblem(targets, Classes == 0 ? features : Classes, "the loss 'cross_entropy'", out index)
            : base.TargetProblem(targets, features, out index);

    /// <inheritdoc />
    protected override double ComputeCore(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
    {
        // Per step: each row of Classes logits is one prediction, with its own target, and the mean is over all of them.
        if (Classes > 0)
        {
            int steps = Steps(features);
            return Rows(output, target, gradient, batch * steps, Classes);
        }
        return Rows(output, target, gradient, batch, features);
    }

    private double Rows(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
    {
        // Per row: m = max z, e_i = exp(z_i − m) (each ≤ 1, so no overflow for logits of any size), S = Σ e_i,
        // log-sum-exp = m + log S, loss = lse − z_c, and dLoss/dz_i = (e_i / S − y_i) / batch. One exp per logit, in
        // float; the loss sum is kept in double.
        double sum = 0;
        float invBatch = 1f / batch;
        bool grad = !gradient.IsEmpty;
        for (int n = 0; n < batch; n++)
        {
            var z = output.Slice(n * features, features);
            float max = z[0];
            for (int i = 1; i < features; i++) max = MathF.Max(max, z[i]);
            float s = 0f;
            var e = grad ? gradient.Slice(n * features, features) : default;
            for (int i = 0; i < features; i++)
            {
                float ei = MathF.Exp(z[i] - max);
                s += ei;
                if (grad) e[i] = ei;
            }
            // lse − z_i is written (max − z_i) + log S: both parts are small when z_i is near the max, so nothing is lost
            // to float rounding even for logits of ±1e4 (where max + log S alone would round log S away).
            double logS = MathF.Log(s);
            float invS = 1f / s;
            if (Targets == CrossEntropyTarget.ClassIndex)
            {
                int c = ClassIndex(target[n], features, n);
                sum += (max - z[c]) + logS;
                if (grad)
                {
                    for (int i = 0; i < features; i++) e[i] = e[i] * invS * invBatch;
                    e[c] -= invBatch;
                }
            }
            else
            {
                var y = target.Slice(n * features, features);
                float ySum = 0f;
                for (int i = 0; i < features; i++)
                {
                    sum += y[i] * ((max - z[i]) + logS);
                    ySum += y[i];
                }
                if (grad)
                    for (int i = 0; i < features; i++) e[i] = (e[i] * invS * ySum - y[i]) * invBatch;
            }
        }
        return sum / batch;
    }

    /// <inheritdoc />
    protected override double ComputeFromLogitsCore(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features) =>
        ComputeCore(logits, target, gradient, batch, features);
}

/// <summary>
/// Negative log-likelihood on log-probabilities, PyTorch's <c>NLLLoss</c>: −mean over the batch of
/// output[n, target[n]], with class-index targets.
/// </summary>
public sealed class NegativeLogLikelihood : Loss
{
    /// <inheritdoc />
    public override string Name => "nll";

    /// <inheritdoc />
    public override int TargetWidth(int features) => 1;

    /// <inheritdoc />
    internal override string? TargetProblem(ReadOnlySpan<float> targets, int features, out int index) =>
        ClassIndexProblem(targets, features, "the loss 'nll'", out index);

    /// <inheritdoc />
    protected override double ComputeCore(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int features)
    {
        double sum = 0;
        bool grad = !gradient.IsEmpty;
        if (grad) gradient.Clear();
        float g = -1f / batch;
        for (int n = 0; n < batch; n++)
        {
            int c = ClassIndex(target[n], features, n);
            sum -= output[n * features + c];
            if (grad) gradient[n * features + c] = g;
        }
        return sum / batch;
    }
}
