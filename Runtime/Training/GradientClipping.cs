using System;
using System.Globalization;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Training;

/// <summary>
/// Gradient clipping with PyTorch's semantics: <see cref="ClipGradNorm"/> is <c>torch.nn.utils.clip_grad_norm_</c>,
/// <see cref="ClipGradValue"/> is <c>torch.nn.utils.clip_grad_value_</c>. A <see cref="Trainer"/> applies one in every
/// training step, between the backward pass and the optimiser step, when <see cref="Trainer.GradientClipping"/> is set
/// (<see cref="Norm"/> or <see cref="Value"/>); recurrent networks trained through long sequences usually want it.
/// </summary>
public sealed class GradientClipping
{
    private GradientClipping(bool byNorm, double limit, double normType)
    {
        ByNorm = byNorm;
        Limit = limit;
        NormType = normType;
    }

    /// <summary>
    /// Clipping by the total norm in every step, as <c>clip_grad_norm_(model.parameters(), maxNorm, normType)</c>.
    /// </summary>
    /// <param name="maxNorm">The largest total norm kept; must be positive.</param>
    /// <param name="normType">p of the p-norm (positive), or <see cref="double.PositiveInfinity"/> for the largest magnitude (default 2).</param>
    public static GradientClipping Norm(double maxNorm, double normType = 2.0)
    {
        CheckNorm(maxNorm, normType);
        return new GradientClipping(true, maxNorm, normType);
    }

    /// <summary>Clipping of every gradient to [−<paramref name="clipValue"/>, <paramref name="clipValue"/>] in every step, as <c>clip_grad_value_</c>.</summary>
    /// <param name="clipValue">The largest magnitude kept; must be positive and finite.</param>
    public static GradientClipping Value(double clipValue)
    {
        CheckValue(clipValue);
        return new GradientClipping(false, clipValue, 0);
    }

    /// <summary>Whether this clips by the total norm (else by value).</summary>
    public bool ByNorm { get; }

    /// <summary>The largest total norm (<see cref="ByNorm"/>) or the largest magnitude kept.</summary>
    public double Limit { get; }

    /// <summary>p of the total norm (<see cref="double.PositiveInfinity"/>: the largest magnitude); 0 when clipping by value.</summary>
    public double NormType { get; }

    /// <summary>Clips <paramref name="gradients"/> in place; returns the total norm before clipping (by norm), or NaN (by value).</summary>
    public float Apply(Span<float> gradients) =>
        ByNorm ? ClipGradNorm(gradients, Limit, NormType) : ClipValueAndReturnNaN(gradients, Limit);

    private static float ClipValueAndReturnNaN(Span<float> gradients, double clipValue)
    {
        ClipGradValue(gradients, clipValue);
        return float.NaN;
    }

    /// <summary><c>Norm(maxNorm=1, normType=2)</c>.</summary>
    public override string ToString() => ByNorm
        ? string.Create(CultureInfo.InvariantCulture, $"Norm(maxNorm={Limit}, normType={NormType})")
        : string.Create(CultureInfo.InvariantCulture, $"Value(clipValue={Limit})");

    /// <summary>
    /// PyTorch's <c>clip_grad_norm_</c>: the total p-norm of all the gradients (as if concatenated; the largest magnitude
    /// for p = ∞) is computed, and every gradient is multiplied by <c>min(1, maxNorm / (total + 1e-6))</c>.
    /// </summary>
    /// <param name="gradients">The gradients, changed in place (a network's <see cref="INetwork.Gradients"/>).</param>
    /// <param name="maxNorm">The largest total norm kept; must be positive.</param>
    /// <param name="normType">p (positive), or <see cref="double.PositiveInfinity"/>.</param>
    /// <returns>The total norm before clipping, as <c>clip_grad_norm_</c> returns it (NaN or ∞ when a gradient is).</returns>
    public static float ClipGradNorm(Span<float> gradients, double maxNorm, double normType = 2.0)
    {
        CheckNorm(maxNorm, normType);
        double total = TotalNorm(gradients, normType);
        // PyTorch multiplies by the clamped coefficient whatever it is (1 when under the limit, NaN for a NaN norm).
        float coefficient = (float)Math.Min(maxNorm / (total + 1e-6), 1.0);
        if (double.IsNaN(total)) coefficient = float.NaN;
        if (coefficient != 1f)
            for (int i = 0; i < gradients.Length; i++) gradients[i] *= coefficient;
        return (float)total;
    }

    /// <summary>The total p-norm of <paramref name="gradients"/> (the largest magnitude for p = ∞), accumulated in double.</summary>
    public static double TotalNorm(ReadOnlySpan<float> gradients, double normType = 2.0)
    {
        if (double.IsPositiveInfinity(normType))
        {
            double max = 0;
            foreach (float g in gradients)
            {
                double a = Math.Abs((double)g);
                if (double.IsNaN(a)) return double.NaN;
                if (a > max) max = a;
            }
            return max;
        }
        double sum = 0;
        if (normType == 2.0)
            foreach (float g in gradients) sum += (double)g * g;
        else if (normType == 1.0)
            foreach (float g in gradients) sum += Math.Abs((double)g);
        else
            foreach (float g in gradients) sum += Math.Pow(Math.Abs((double)g), normType);
        return normType == 2.0 ? Math.Sqrt(sum) : normType == 1.0 ? sum : Math.Pow(sum, 1.0 / normType);
    }

    /// <summary>PyTorch's <c>clip_grad_value_</c>: every gradient clamped to [−<paramref name="clipValue"/>, <paramref name="clipValue"/>] (NaN stays NaN).</summary>
    /// <param name="gradients">The gradients, changed in place.</param>
    /// <param name="clipValue">The largest magnitude kept; must be positive and finite.</param>
    public static void ClipGradValue(Span<float> gradients, double clipValue)
    {
        CheckValue(clipValue);
        float hi = (float)clipValue, lo = -hi;
        for (int i = 0; i < gradients.Length; i++)
        {
            float g = gradients[i];
            if (g > hi) gradients[i] = hi;
            else if (g < lo) gradients[i] = lo;
        }
    }

    private static void CheckNorm(double maxNorm, double normType)
    {
        if (!(maxNorm > 0) || double.IsInfinity(maxNorm)) ThrowHelper.ThrowArgumentOutOfRange(nameof(maxNorm), maxNorm, "a positive, finite largest norm, for example 1.0");
        if (!(normType > 0)) ThrowHelper.ThrowArgumentOutOfRange(nameof(normType), normType, "a positive p, or double.PositiveInfinity for the largest magnitude");
    }

    private static void CheckValue(double clipValue)
    {
        if (!(clipValue > 0) || double.IsInfinity(clipValue)) ThrowHelper.ThrowArgumentOutOfRange(nameof(clipValue), clipValue, "a positive, finite largest magnitude, for example 0.5");
    }
}
