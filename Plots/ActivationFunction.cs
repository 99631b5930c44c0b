using System;
using System.Collections.Generic;

namespace SourceGenNN.Plots;

/// <summary>The activation functions <see cref="Figures.Activation"/> draws: every one the layer attributes declare.</summary>
public enum ActivationFunction
{
    /// <summary><c>[Sigmoid]</c>: 1 / (1 + e⁻ᶻ).</summary>
    Sigmoid,

    /// <summary><c>[Tanh]</c>.</summary>
    Tanh,

    /// <summary><c>[ReLU]</c>: max(0, z).</summary>
    ReLU,

    /// <summary><c>[LeakyReLU(slope)]</c>: z, or slope·z below 0.</summary>
    LeakyReLU,

    /// <summary><c>[PReLU]</c>: z, or α·z below 0, α learnt (drawn at its initial value).</summary>
    PReLU,

    /// <summary><c>[ELU(alpha)]</c>: z, or α(eᶻ − 1) below 0.</summary>
    ELU,

    /// <summary>
    /// <c>[RReLU(lower, upper)]</c>: in training a random slope from U(lower, upper) per negative element, in evaluation
    /// the mean slope. Drawn as the mean slope, with the band of slopes training draws from and a sample of its draws.
    /// </summary>
    RReLU,

    /// <summary><c>[GELU]</c>: z·Φ(z), the exact erf form.</summary>
    GELU,

    /// <summary><c>[SiLU]</c> (swish): z·σ(z).</summary>
    SiLU,

    /// <summary><c>[Softmax]</c> over a vector: drawn as the vector, its probabilities and the diagonal of the Jacobian.</summary>
    Softmax,
}

/// <summary>What <see cref="Figures.Activation"/> and <see cref="Figures.Activations(ActivationPlotOptions)"/> draw: the range and the parameters.</summary>
public sealed class ActivationPlotOptions
{
    private readonly double _zMin = -4, _zMax = 4;
    private readonly int _points = 401;
    private readonly double _leakyReluSlope = OptionDefaults.LeakyReluSlope, _preluSlope = OptionDefaults.PReluInit;
    private readonly double _eluAlpha = OptionDefaults.EluAlpha, _rreluLower = OptionDefaults.RReluLower, _rreluUpper = OptionDefaults.RReluUpper;
    private readonly float[] _softmaxInput = [-1f, 0f, 1f, 2f, 0.5f];

    /// <summary>The left end of the z axis (default −4).</summary>
    public double ZMin
    {
        get => _zMin;
        init { RequireFinite(value, nameof(ZMin)); _zMin = value; }
    }

    /// <summary>The right end of the z axis (default 4); greater than <see cref="ZMin"/>.</summary>
    public double ZMax
    {
        get => _zMax;
        init { RequireFinite(value, nameof(ZMax)); _zMax = value; }
    }

    /// <summary>The points each curve is computed at, evenly spaced (default 401; at least 2).</summary>
    public int Points
    {
        get => _points;
        init
        {
            if (value < 2) throw new ArgumentOutOfRangeException(nameof(Points), value, "At least 2 points are needed to draw a curve.");
            _points = value;
        }
    }

    /// <summary>LeakyReLU's slope below 0 (default the attribute's, 0.01).</summary>
    public double LeakyReluSlope
    {
        get => _leakyReluSlope;
        init { RequireFinite(value, nameof(LeakyReluSlope)); _leakyReluSlope = value; }
    }

    /// <summary>PReLU's learnt slope α (default its initial value, 0.25).</summary>
    public double PReluSlope
    {
        get => _preluSlope;
        init { RequireFinite(value, nameof(PReluSlope)); _preluSlope = value; }
    }

    /// <summary>ELU's α (default 1).</summary>
    public double EluAlpha
    {
        get => _eluAlpha;
        init { RequireFinite(value, nameof(EluAlpha)); _eluAlpha = value; }
    }

    /// <summary>RReLU's lowest slope (default 1/8).</summary>
    public double RReluLower
    {
        get => _rreluLower;
        init { RequireFinite(value, nameof(RReluLower)); _rreluLower = value; }
    }

    /// <summary>RReLU's highest slope (default 1/3); at least <see cref="RReluLower"/>.</summary>
    public double RReluUpper
    {
        get => _rreluUpper;
        init { RequireFinite(value, nameof(RReluUpper)); _rreluUpper = value; }
    }

    /// <summary>The seed of the RReLU slopes drawn as a sample of training mode (default 1).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The vector softmax is drawn over (default [−1, 0, 1, 2, 0.5]); at least 2 finite elements.</summary>
    public IReadOnlyList<float> SoftmaxInput
    {
        get => _softmaxInput;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Count < 2) throw new ArgumentException($"Softmax is drawn over a vector of at least 2 elements; {value.Count} given.", nameof(SoftmaxInput));
            foreach (float v in value)
                if (!float.IsFinite(v)) throw new ArgumentException($"The softmax input must be finite; it holds {v}.", nameof(SoftmaxInput));
            _softmaxInput = [.. value];
        }
    }

    /// <summary>Checks the relations between options, which single setters cannot.</summary>
    internal void Validate()
    {
        if (!(ZMax > ZMin))
            throw new ArgumentException($"ZMax ({ZMax}) must be greater than ZMin ({ZMin}).", "options");
        if (RReluUpper < RReluLower)
            throw new ArgumentException($"RReluUpper ({RReluUpper}) must be at least RReluLower ({RReluLower}).", "options");
    }

    private static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, "A finite number is needed.");
    }
}
