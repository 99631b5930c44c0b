using System;
using System.Collections.Generic;
using System.Globalization;

namespace SourceGenNN.IO;

/// <summary>
/// The non-finite check of loads: NaN and ±∞ in weights, buffers or optimiser state are refused, naming the tensor and
/// the first bad value, unless the caller passes <c>allowNonFinite: true</c>.
/// </summary>
internal static class FiniteCheck
{
    /// <summary>The index of the first NaN or infinity in <paramref name="values"/>, or -1.</summary>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>Throws a <see cref="WeightFileException"/> naming the first non-finite value of a tensor, if it has one.</summary>
    /// <param name="values">The tensor's values.</param>
    /// <param name="what">What it is, for the message: <c>parameter '0.weight'</c>.</param>
    /// <param name="shape">Its shape, to give the bad value's position in it; null for a flat buffer.</param>
    /// <param name="path">The file.</param>
    /// <param name="waiver">How the caller's API lets non-finite values through, for the end of the message.</param>
    public static void Require(ReadOnlySpan<float> values, string what, IReadOnlyList<int>? shape, string path, string waiver = "pass allowNonFinite: true")
    {
        int i = FirstNonFinite(values);
        if (i < 0) return;
        string at = i.ToString(CultureInfo.InvariantCulture);
        if (shape is not null && shape.Count > 1) at += " (" + Position(i, shape) + " of [" + string.Join(", ", shape) + "])";
        throw new WeightFileException(path,
            $"{what} holds {Text(values[i])} at index {at}; non-finite values are refused ({waiver} to load them anyway).");
    }

    /// <summary>The learning rate must be finite and non-negative, as an optimiser's constructor and setter require; <c>allowNonFinite</c> does not waive it.</summary>
    public static void RequireLearningRate(float learningRate, string path)
    {
        if (!(learningRate >= 0f) || float.IsInfinity(learningRate))
            throw new WeightFileException(path,
                $"its optimiser state has a learning rate of {Text(learningRate)}, not a finite non-negative number; an optimiser cannot take it, so it is refused even with allowNonFinite: true (load the weights without the optimiser).");
    }

    private static string Text(float v) =>
        float.IsNaN(v) ? "NaN" : float.IsPositiveInfinity(v) ? "+Infinity" : float.IsNegativeInfinity(v) ? "-Infinity" : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The multi-index <c>[i, j, ...]</c> of flat index <paramref name="i"/> in a row-major tensor of <paramref name="shape"/>.</summary>
    private static string Position(int i, IReadOnlyList<int> shape)
    {
        var index = new int[shape.Count];
        for (int k = shape.Count - 1; k >= 0; k--)
        {
            int d = Math.Max(shape[k], 1);
            index[k] = i % d;
            i /= d;
        }
        return "[" + string.Join(", ", index) + "]";
    }
}
