using System;
using System.Globalization;
using ScottPlot;

namespace SourceGenNN.Plots;

public static partial class Figures
{
    /// <summary>Every activation function, in the order of <see cref="ActivationFunction"/>: the figure of the README.</summary>
    public static readonly ActivationFunction[] AllActivations = Enum.GetValues<ActivationFunction>();

    /// <summary>
    /// Every activation function with its derivative, one panel each on a grid of five columns (see
    /// <see cref="Activation"/>).
    /// </summary>
    /// <param name="options">The range and parameters; null for the layers' defaults on [−4, 4].</param>
    /// <exception cref="ArgumentException">The options contradict each other (<c>ZMax</c> ≤ <c>ZMin</c>, RReLU's upper below its lower).</exception>
    public static Figure Activations(ActivationPlotOptions? options = null) => Activations(AllActivations, options);

    /// <summary>The given activation functions with their derivatives, one panel each on a grid of up to five columns.</summary>
    /// <param name="functions">The functions, at least one.</param>
    /// <param name="options">The range and parameters; null for the layers' defaults on [−4, 4].</param>
    /// <exception cref="ArgumentNullException"><paramref name="functions"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="functions"/> is empty, or the options contradict each other.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is not an <see cref="ActivationFunction"/>.</exception>
    public static Figure Activations(ReadOnlySpan<ActivationFunction> functions, ActivationPlotOptions? options = null)
    {
        if (functions.Length == 0) throw new ArgumentException("Give at least one activation function to draw.", nameof(functions));
        options ??= new ActivationPlotOptions();
        var panels = new Plot[functions.Length];
        for (int i = 0; i < panels.Length; i++) panels[i] = ActivationPanel(functions[i], options);
        return Style.Grid(panels, columns: 5, panelWidth: 380, panelHeight: 330);
    }

    /// <summary>
    /// One activation function and its derivative: f(z) solid, f'(z) dashed, both computed by the runtime's own
    /// operators and kernels (what a network with that layer runs; the derivative is its backward pass with an upstream
    /// gradient of 1). RReLU is drawn at its mean slope (evaluation mode) with the band of slopes training draws from,
    /// and a sample of training-mode outputs; softmax, a function of a vector, as bars of its input and output with the
    /// diagonal of its Jacobian, ∂pᵢ/∂zᵢ = pᵢ(1 − pᵢ).
    /// </summary>
    /// <param name="function">The function to draw.</param>
    /// <param name="options">The range and parameters; null for the layers' defaults on [−4, 4].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="function"/> is not an <see cref="ActivationFunction"/>.</exception>
    /// <exception cref="ArgumentException">The options contradict each other.</exception>
    public static Figure Activation(ActivationFunction function, ActivationPlotOptions? options = null)
    {
        options ??= new ActivationPlotOptions();
        return Style.Grid([ActivationPanel(function, options)], columns: 1, panelWidth: 560, panelHeight: 420);
    }

    private static Plot ActivationPanel(ActivationFunction function, ActivationPlotOptions options)
    {
        if (!Enum.IsDefined(function))
            throw new ArgumentOutOfRangeException(nameof(function), function, "Not an activation function.");
        if (function == ActivationFunction.Softmax) return SoftmaxPanel(options);

        var curve = ActivationCurves.Compute(function, options);
        var plot = Style.Panel(curve.Title, "z");
        plot.Add.HorizontalLine(0, 1, Style.Axis, LinePattern.Solid);
        plot.Add.VerticalLine(0, 1, Style.Axis, LinePattern.Solid);
        if (curve.Band is { } band)
        {
            var range = plot.Add.FillY(curve.Z, band.Low, band.High);
            range.FillColor = Style.Primary.WithAlpha(0.18);
            range.LineWidth = 0;
            range.LegendText = "training range";
            var slopes = plot.Add.FillY(curve.Z, band.SlopeLow, band.SlopeHigh);
            slopes.FillColor = Style.Secondary.WithAlpha(0.18);
            slopes.LineWidth = 0;
        }
        if (curve.Samples is { } samples)
        {
            // Every fourth point of one training pass: enough to see the spread without hiding the curves.
            int n = (curve.Z.Length + 3) / 4;
            double[] xs = new double[n], ys = new double[n];
            for (int i = 0; i < n; i++)
            {
                xs[i] = curve.Z[i * 4];
                ys[i] = samples[i * 4];
            }
            var dots = plot.Add.Markers(xs, ys, MarkerShape.FilledCircle, 3, Style.Primary.WithAlpha(0.55));
            dots.LegendText = "a training pass";
        }
        var f = plot.Add.ScatterLine(curve.Z, curve.Value, Style.Primary);
        f.LineWidth = 2.5f;
        f.LegendText = "f(z)";
        var d = plot.Add.ScatterLine(curve.Z, curve.Derivative, Style.Secondary);
        d.LineWidth = 2.5f;
        d.LinePattern = LinePattern.Dashed;
        d.LegendText = "f'(z)";
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.SetLimitsX(options.ZMin, options.ZMax);
        return plot;
    }

    private static Plot SoftmaxPanel(ActivationPlotOptions options)
    {
        var values = ActivationCurves.SoftmaxOf(options);
        int n = values.Input.Length;
        var plot = Style.Panel("Softmax over a vector", "element i");
        plot.Add.HorizontalLine(0, 1, Style.Axis, LinePattern.Solid);
        var input = new Bar[n];
        var output = new Bar[n];
        for (int i = 0; i < n; i++)
        {
            input[i] = new Bar { Position = i - 0.2, Value = values.Input[i], Size = 0.38, FillColor = Style.Muted.WithAlpha(0.55), LineWidth = 0 };
            output[i] = new Bar { Position = i + 0.2, Value = values.Output[i], Size = 0.38, FillColor = Style.Primary, LineWidth = 0 };
        }
        plot.Add.Bars(input).LegendText = "zᵢ";
        plot.Add.Bars(output).LegendText = "softmax(z)ᵢ";
        double[] positions = new double[n];
        string[] labels = new string[n];
        for (int i = 0; i < n; i++)
        {
            positions[i] = i;
            labels[i] = i.ToString(CultureInfo.InvariantCulture);
        }
        var diagonal = plot.Add.Scatter(positions, values.JacobianDiagonal, Style.Secondary);
        diagonal.LineWidth = 2.5f;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.MarkerSize = 7;
        diagonal.LegendText = "∂pᵢ/∂zᵢ";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels);
        plot.Axes.SetLimitsX(-0.6, n - 0.4);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
