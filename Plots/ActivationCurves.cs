using System;
using System.Globalization;
using SourceGenNN.Kernels;

namespace SourceGenNN.Plots;

/// <summary>One activation function evaluated on a grid of z: what a panel draws.</summary>
/// <param name="Title">The panel's title, with the parameters drawn (<c>LeakyReLU (slope 0.01)</c>).</param>
/// <param name="Z">The inputs.</param>
/// <param name="Value">f(z), as the runtime computes it in evaluation mode.</param>
/// <param name="Derivative">f'(z), as the runtime's backward pass computes it.</param>
/// <param name="Band">For RReLU: the lowest and highest output and slope training can draw at each z; else null.</param>
/// <param name="Samples">For RReLU: a sample of training-mode outputs at each z (slopes drawn by the runtime); else null.</param>
internal sealed record ActivationCurve(string Title, double[] Z, double[] Value, double[] Derivative,
    (double[] Low, double[] High, double[] SlopeLow, double[] SlopeHigh)? Band = null, double[]? Samples = null);

/// <summary>Softmax over one vector: its input, its output and the diagonal of its Jacobian, from the runtime's kernels.</summary>
internal sealed record SoftmaxValues(double[] Input, double[] Output, double[] JacobianDiagonal);

/// <summary>
/// Evaluates activations with the runtime's own operators and kernels (<see cref="Activation"/>, <see cref="PRelu"/>,
/// <see cref="RRelu"/>, <see cref="Kernels.Softmax"/>), the code a network runs, so that the figures show what runs.
/// </summary>
internal static class ActivationCurves
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static ActivationCurve Compute(ActivationFunction function, ActivationPlotOptions options)
    {
        options.Validate();
        float[] z = new float[options.Points];
        for (int i = 0; i < z.Length; i++)
            z[i] = (float)(options.ZMin + (options.ZMax - options.ZMin) * i / (z.Length - 1));
        float[] a = new float[z.Length], d = new float[z.Length];
        string title;
        switch (function)
        {
            case ActivationFunction.Sigmoid: Run(new SigmoidOperator(), z, a, d); title = "Sigmoid"; break;
            case ActivationFunction.Tanh: Run(new TanhOperator(), z, a, d); title = "Tanh"; break;
            case ActivationFunction.ReLU: Run(new ReluOperator(), z, a, d); title = "ReLU"; break;
            case ActivationFunction.GELU: Run(new GeluOperator(), z, a, d); title = "GELU"; break;
            case ActivationFunction.SiLU: Run(new SiluOperator(), z, a, d); title = "SiLU"; break;
            case ActivationFunction.LeakyReLU:
                Run(new LeakyReluOperator((float)options.LeakyReluSlope), z, a, d);
                title = $"LeakyReLU (slope {Num(options.LeakyReluSlope)})";
                break;
            case ActivationFunction.ELU:
                Run(new EluOperator((float)options.EluAlpha), z, a, d);
                title = $"ELU (α {Num(options.EluAlpha)})";
                break;
            case ActivationFunction.PReLU:
            {
                float[] alpha = [(float)options.PReluSlope];
                float[] ones = Ones(z.Length), dAlpha = new float[1];
                PRelu.Forward(z, alpha, a, batch: z.Length, channels: 1, inner: 1);
                PRelu.Backward(z, alpha, ones, d, dAlpha, batch: z.Length, channels: 1, inner: 1);
                title = $"PReLU (α {Num(options.PReluSlope)})";
                break;
            }
            case ActivationFunction.RReLU:
                return RRelu(z, options);
            case ActivationFunction.Softmax:
                throw new ArgumentException("Softmax is a function of a vector, not of one z: see SoftmaxOf.", nameof(function));
            default:
                throw new ArgumentOutOfRangeException(nameof(function), function, "Not an activation function.");
        }
        return new ActivationCurve(title, ToDouble(z), ToDouble(a), ToDouble(d));
    }

    /// <summary>Softmax of the vector, and ∂pᵢ/∂zᵢ from the runtime's backward pass (a one-hot upstream gradient per i).</summary>
    public static SoftmaxValues SoftmaxOf(ActivationPlotOptions options)
    {
        float[] z = [.. options.SoftmaxInput];
        int n = z.Length;
        float[] p = new float[n];
        Kernels.Softmax.Forward(z, p, outer: 1, length: n, inner: 1);
        double[] diagonal = new double[n];
        float[] da = new float[n], dz = new float[n];
        for (int i = 0; i < n; i++)
        {
            Array.Clear(da);
            da[i] = 1f;
            Kernels.Softmax.Backward(p, da, dz, outer: 1, length: n, inner: 1);
            diagonal[i] = dz[i];
        }
        return new SoftmaxValues(ToDouble(z), ToDouble(p), diagonal);
    }

    private static ActivationCurve RRelu(float[] z, ActivationPlotOptions options)
    {
        float lower = (float)options.RReluLower, upper = (float)options.RReluUpper;
        int n = z.Length;
        float[] a = new float[n], d = new float[n];
        // Evaluation mode, as the generated code runs it: LeakyReLU with the mean slope.
        Run(new LeakyReluOperator((lower + upper) / 2), z, a, d);
        // Training mode: the runtime's kernel draws a slope per element, keyed as a network's layer would be.
        float[] sample = new float[n], slopes = new float[n];
        Kernels.RRelu.ForwardTraining(z, sample, slopes, lower, upper, CounterRandom.Key(options.Seed, 0, 0));
        double[] low = new double[n], high = new double[n], slopeLow = new double[n], slopeHigh = new double[n];
        for (int i = 0; i < n; i++)
        {
            bool negative = z[i] < 0f;
            // For z < 0 the output lies between upper·z and lower·z; the slope between lower and upper.
            low[i] = negative ? upper * z[i] : z[i];
            high[i] = negative ? lower * z[i] : z[i];
            slopeLow[i] = negative ? lower : 1;
            slopeHigh[i] = negative ? upper : 1;
        }
        string title = $"RReLU (slope {Num(options.RReluLower)}–{Num(options.RReluUpper)})";
        return new ActivationCurve(title, ToDouble(z), ToDouble(a), ToDouble(d), (low, high, slopeLow, slopeHigh), ToDouble(sample));
    }

    private static void Run<TOp>(TOp op, float[] z, float[] a, float[] d) where TOp : struct, IActivationOperator
    {
        Activation.Forward(op, z, a);
        Activation.Backward(op, z, a, Ones(z.Length), d); // an upstream gradient of 1 leaves f'(z)
    }

    private static float[] Ones(int n)
    {
        var ones = new float[n];
        Array.Fill(ones, 1f);
        return ones;
    }

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    private static string Num(double v) => v.ToString("0.###", Inv);
}
