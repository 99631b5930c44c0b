using System;
using System.Collections.Generic;
using ScottPlot;
using SourceGenNN.Training;

namespace SourceGenNN.Plots;

/// <summary>
/// Figures of networks and their training, rendered with ScottPlot; each returns a <see cref="Figure"/> to save as PNG:
/// <c>Figures.TrainingHistory(history).SavePng("history.png")</c>.
/// </summary>
public static partial class Figures
{
    /// <summary>
    /// The training history: one panel per quantity, the loss first and then every metric, each per epoch for the
    /// training data (solid) and the validation data (dashed, where <c>Fit</c> had validation data). The learning rate
    /// gets a panel of its own when it changed during training, and the best epoch of early stopping is marked.
    /// </summary>
    /// <param name="history">What <see cref="Trainer.Fit"/> returned; at least one epoch.</param>
    /// <param name="title">A title put before each panel's name (the network's, say); null for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="history"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="history"/> has no epoch.</exception>
    public static Figure TrainingHistory(TrainingHistory history, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var epochs = history.Epochs;
        if (epochs.Count == 0)
            throw new ArgumentException("The history has no epoch: plot what Trainer.Fit returned after it trained at least one.", nameof(history));

        // The quantities in the order Fit recorded them: loss, then the metrics; each val_ key pairs with its own.
        var names = new List<string>();
        foreach (var key in epochs[0].Values.Keys)
            if (!key.StartsWith("val_", StringComparison.Ordinal)) names.Add(key);
        foreach (var key in epochs[0].Values.Keys) // a validation value without a training one still gets a panel
            if (key.StartsWith("val_", StringComparison.Ordinal) && !names.Contains(key[4..]))
                names.Add(key);

        double[] x = new double[epochs.Count];
        for (int i = 0; i < x.Length; i++) x[i] = epochs[i].Epoch;

        var panels = new List<Plot>();
        foreach (var name in names)
        {
            string label = name.StartsWith("val_", StringComparison.Ordinal) ? name[4..] : name;
            var plot = Style.Panel(Titled(title, Pretty(label)), "epoch", Pretty(label));
            if (epochs[0].Values.ContainsKey(name) && !name.StartsWith("val_", StringComparison.Ordinal))
                AddSeries(plot, x, Series(epochs, name), "training", Style.Primary, LinePattern.Solid);
            string val = name.StartsWith("val_", StringComparison.Ordinal) ? name : "val_" + name;
            if (epochs[0].Values.ContainsKey(val))
                AddSeries(plot, x, Series(epochs, val), "validation", Style.Secondary, LinePattern.Dashed);
            MarkBest(plot, history);
            EpochAxis(plot, epochs.Count);
            plot.ShowLegend(name == "loss" || name == "val_loss" ? Alignment.UpperRight : Alignment.LowerRight);
            panels.Add(plot);
        }

        double[] rates = new double[epochs.Count];
        bool changed = false;
        for (int i = 0; i < rates.Length; i++)
        {
            rates[i] = epochs[i].LearningRate;
            changed |= rates[i] != rates[0];
        }
        if (changed)
        {
            var plot = Style.Panel(Titled(title, "learning rate"), "epoch", "learning rate");
            AddSeries(plot, x, rates, "learning rate", Style.Tertiary, LinePattern.Solid);
            EpochAxis(plot, epochs.Count);
            panels.Add(plot);
        }
        return Style.Grid(panels.ToArray(), columns: 3, panelWidth: 520, panelHeight: 400);
    }

    private static double[] Series(IReadOnlyList<EpochRecord> epochs, string name)
    {
        var y = new double[epochs.Count];
        for (int i = 0; i < y.Length; i++) y[i] = epochs[i].Values.TryGetValue(name, out double v) ? v : double.NaN;
        return y;
    }

    private static void AddSeries(Plot plot, double[] x, double[] y, string legend, Color color, LinePattern pattern)
    {
        var s = plot.Add.Scatter(x, y, color);
        s.LegendText = legend;
        s.LineWidth = 2;
        s.LinePattern = pattern;
        s.MarkerSize = x.Length <= 40 ? 6 : 0;
    }

    private static void MarkBest(Plot plot, TrainingHistory history)
    {
        if (history.BestEpoch is not int best) return;
        var line = plot.Add.VerticalLine(best, 1, Style.Muted, LinePattern.Dotted);
        line.LegendText = history.RestoredBestWeights ? $"best epoch ({best}, restored)" : $"best epoch ({best})";
    }

    private static void EpochAxis(Plot plot, int count)
    {
        // Whole epochs only: ticks at 1, 2, … for short runs, ScottPlot's own spacing (rounded to integers) for long ones.
        if (count <= 12)
        {
            var positions = new double[count];
            var labels = new string[count];
            for (int i = 0; i < count; i++)
            {
                positions[i] = i + 1;
                labels[i] = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels);
        }
        plot.Axes.SetLimitsX(count == 1 ? 0.5 : 1 - 0.03 * (count - 1), count == 1 ? 1.5 : count + 0.03 * (count - 1));
    }

    private static string Titled(string? title, string name) => string.IsNullOrEmpty(title) ? name : title + ": " + name;

    /// <summary>The history's key as a reader says it: <c>loss</c>, <c>accuracy</c>, <c>f1_score</c> as <c>f1 score</c>.</summary>
    private static string Pretty(string key) => key.Replace('_', ' ');
}
