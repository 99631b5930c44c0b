using System;
using System.IO;
using SourceGenNN.Data;
using SourceGenNN.Metrics;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Plots.Tests;

/// <summary>A small classifier trained in the tests: 4 features, 8 ReLU units, 3 classes.</summary>
[Network(4)]
[Dense(8)]
[ReLU]
[Dense(3)]
[Softmax]
public partial class TinyClassifier { }

/// <summary>
/// Each figure renders: the PNG is written, is of the figure's size and is not blank. The files go to a temporary folder
/// that is removed afterwards, or to SOURCEGENNN_PLOTS_KEEP, where they stay to be looked at.
/// </summary>
public sealed class FigureTests : IDisposable
{
    private static readonly string? Keep = Environment.GetEnvironmentVariable("SOURCEGENNN_PLOTS_KEEP");
    private readonly string _dir = string.IsNullOrEmpty(Keep) ? Path.Combine(Path.GetTempPath(), "sgnn-plots-" + Guid.NewGuid().ToString("N")) : Keep;

    public void Dispose()
    {
        if (string.IsNullOrEmpty(Keep) && Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Three blobs in 4 dimensions, class = blob, with enough noise that training takes a few epochs.</summary>
    internal static Dataset Blobs(int count = 240, ulong seed = 1)
    {
        var features = new float[count * 4];
        var labels = new float[count];
        var rng = new Random((int)seed);
        for (int i = 0; i < count; i++)
        {
            int c = i % 3;
            labels[i] = c;
            for (int f = 0; f < 4; f++) features[i * 4 + f] = (f == c ? 1f : 0f) + (float)(rng.NextDouble() * 2 - 1);
        }
        return new Dataset(features, labels, featureCount: 4);
    }

    internal static (TinyClassifier Net, Trainer Trainer, TrainingHistory History) Train(FitOptions options)
    {
        var net = new TinyClassifier(seed: 3);
        var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 0.02f), new Accuracy(), new F1Score(Averaging.Macro));
        var history = trainer.Fit(Blobs(), options);
        return (net, trainer, history);
    }

    [Fact]
    public void Training_history_has_a_panel_per_quantity_with_training_and_validation_curves()
    {
        var (_, trainer, history) = Train(new FitOptions { Epochs = 6, BatchSize = 16, Seed = 1, ValidationSplit = 0.25, Progress = ProgressMode.None });
        using (trainer)
        {
            var figure = Figures.TrainingHistory(history, "TinyClassifier");
            Assert.Equal(3, figure.Panels.Count); // loss, accuracy, f1_macro; the rate was constant
            Assert.Equal((1560, 400), (figure.Width, figure.Height));
            foreach (var panel in figure.Panels) Assert.Equal(2, CountScatters(panel)); // training and validation
            string path = figure.SavePng(PathOf("history.png"));
            PngAssert.Drawn(path, 1560, 400);
        }
    }

    [Fact]
    public void Training_history_without_validation_draws_training_curves_and_a_changing_learning_rate()
    {
        var (_, trainer, history) = Train(new FitOptions { Epochs = 5, BatchSize = 16, Seed = 1, Schedule = new StepDecay(2, 0.5), Progress = ProgressMode.None });
        using (trainer)
        {
            var figure = Figures.TrainingHistory(history);
            Assert.Equal(4, figure.Panels.Count); // loss, accuracy, f1_macro, learning rate
            foreach (var panel in figure.Panels) Assert.Equal(1, CountScatters(panel));
            Assert.Equal((1560, 800), (figure.Width, figure.Height)); // two rows of three
            PngAssert.Drawn(figure.SavePng(PathOf("sub/folder/history.png")), 1560, 800);
        }
    }

    [Fact]
    public void Training_history_marks_the_best_epoch_of_early_stopping()
    {
        var (_, trainer, history) = Train(new FitOptions
        {
            Epochs = 4, BatchSize = 16, Seed = 1, ValidationSplit = 0.25, Progress = ProgressMode.None,
            EarlyStopping = new EarlyStopping { Monitor = "val_loss", Patience = 10 },
        });
        using (trainer)
        {
            Assert.NotNull(history.BestEpoch);
            var figure = Figures.TrainingHistory(history);
            Assert.Contains(figure.Panels[0].GetPlottables(), p => p is ScottPlot.Plottables.VerticalLine);
            PngAssert.Drawn(figure.SavePng(PathOf("best.png")), figure.Width, figure.Height);
        }
    }

    [Fact]
    public void Every_activation_renders_on_one_grid()
    {
        var figure = Figures.Activations();
        Assert.Equal(10, figure.Panels.Count);
        Assert.Equal((5 * 380, 2 * 330), (figure.Width, figure.Height));
        PngAssert.Drawn(figure.SavePng(PathOf("activations.png")), 1900, 660, minInk: 0.05);
    }

    [Theory]
    [MemberData(nameof(AllFunctions))]
    public void Each_activation_renders_alone(ActivationFunction function)
    {
        var figure = Figures.Activation(function);
        Assert.Single(figure.Panels);
        PngAssert.Drawn(figure.SavePng(PathOf(function + ".png")), 560, 420);
    }

    public static TheoryData<ActivationFunction> AllFunctions()
    {
        var data = new TheoryData<ActivationFunction>();
        foreach (var f in Enum.GetValues<ActivationFunction>()) data.Add(f);
        return data;
    }

    [Fact]
    public void A_figure_saves_at_another_size_and_as_bytes()
    {
        var figure = Figures.Activation(ActivationFunction.GELU, new ActivationPlotOptions { ZMin = -2, ZMax = 2, Points = 50 });
        PngAssert.Drawn(figure.SavePng(PathOf("gelu-small.png"), 300, 200), 300, 200);
        Assert.Equal((560, 420), PngAssert.Size(figure.ToPng()));
        Assert.Equal((64, 48), PngAssert.Size(figure.ToPng(64, 48)));
    }

    [Fact]
    public void Confusion_matrix_renders_counts_and_fractions_with_labels()
    {
        var matrix = new ConfusionMatrix(3, ["cat", "dog", "bird"]);
        int[] actual = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2];
        int[] predicted = [0, 0, 1, 1, 1, 1, 0, 2, 2, 2, 1, 2];
        matrix.Add(actual, predicted);
        var counts = Figures.ConfusionMatrix(matrix);
        Assert.Equal(9, CountTexts(counts.Panels[0]));
        PngAssert.Drawn(counts.SavePng(PathOf("confusion.png")), counts.Width, counts.Height);
        var fractions = Figures.ConfusionMatrix(matrix, normalize: true, title: "normalised");
        PngAssert.Drawn(fractions.SavePng(PathOf("confusion-normalised.png")), fractions.Width, fractions.Height);
    }

    [Fact]
    public void Confusion_matrix_cells_sit_on_their_class_ticks()
    {
        // A perfect classifier: dark cells on the diagonal, light ones elsewhere, each centred on its row and column.
        var matrix = new ConfusionMatrix(4);
        for (int c = 0; c < 4; c++)
            for (int i = 0; i < 5; i++) matrix.Add(c, c);
        var figure = Figures.ConfusionMatrix(matrix);
        using var bitmap = SkiaSharp.SKBitmap.Decode(figure.ToPng());
        var panel = figure.Panels[0];
        for (int a = 0; a < 4; a++)
            for (int p = 0; p < 4; p++)
                foreach (var (dx, dy) in new[] { (-0.3, -0.3), (0.3, 0.3), (-0.3, 0.3), (0.3, -0.3) }) // off the count label
                {
                    var pixel = panel.GetPixel(new ScottPlot.Coordinates(p + dx, 3 - a + dy));
                    var colour = bitmap.GetPixel((int)pixel.X, (int)pixel.Y);
                    if (a == p) Assert.True(colour.Red < 80, $"cell ({a}, {p}) at {pixel} is {colour}; the diagonal is dark");
                    else Assert.True(colour.Red > 200, $"cell ({a}, {p}) at {pixel} is {colour}; off the diagonal is light");
                }
    }

    [Fact]
    public void Confusion_matrix_of_a_trained_network_renders()
    {
        var (_, trainer, _) = Train(new FitOptions { Epochs = 3, BatchSize = 16, Seed = 1, Progress = ProgressMode.None });
        using (trainer)
        {
            var data = Blobs(90, seed: 2);
            var matrix = new ConfusionMatrix(3);
            matrix.Add(data.Labels(), trainer.PredictClasses(data.Features));
            var figure = Figures.ConfusionMatrix(matrix);
            Assert.Equal((550, 420), (figure.Width, figure.Height));
            PngAssert.Drawn(figure.SavePng(PathOf("trained-confusion.png")), 550, 420);
        }
    }

    [Fact]
    public void Weight_histograms_have_a_row_per_tensor_with_values_and_gradients()
    {
        var (net, trainer, _) = Train(new FitOptions { Epochs = 2, BatchSize = 16, Seed = 1, Progress = ProgressMode.None });
        using (trainer)
        {
            var figure = Figures.WeightHistograms(net);
            Assert.Equal(8, figure.Panels.Count); // 0.weight, 0.bias, 2.weight, 2.bias; values and gradients
            Assert.Equal((2 * 520, 4 * 280), (figure.Width, figure.Height));
            PngAssert.Drawn(figure.SavePng(PathOf("weights.png")), 1040, 1120);

            var valuesOnly = Figures.WeightHistograms(net, gradients: false, bins: 10);
            Assert.Equal(4, valuesOnly.Panels.Count);
            PngAssert.Drawn(valuesOnly.SavePng(PathOf("values.png")), 3 * 520, 2 * 280);
        }
    }

    [Fact]
    public void Weight_histograms_of_constant_and_non_finite_tensors_render()
    {
        var net = new TinyClassifier(seed: 1);
        var parameters = net.Parameters.ToArray();
        Array.Fill(parameters, 0f);                 // every tensor one value
        parameters[0] = float.NaN;                  // and one that is not finite
        var figure = Figures.WeightHistograms(net.Description, parameters, new float[parameters.Length], bins: 5);
        Assert.Equal(8, figure.Panels.Count);
        Assert.Contains("1 not finite", figure.Panels[0].Axes.Title.Label.Text, StringComparison.Ordinal);
        PngAssert.Drawn(figure.SavePng(PathOf("constant.png")), figure.Width, figure.Height);
    }

    [Fact]
    public void Bad_arguments_throw_naming_the_argument()
    {
        Assert.Equal("history", Assert.Throws<ArgumentNullException>(() => Figures.TrainingHistory(null!)).ParamName);
        Assert.Equal("matrix", Assert.Throws<ArgumentNullException>(() => Figures.ConfusionMatrix(null!)).ParamName);
        Assert.Equal("matrix", Assert.Throws<ArgumentException>(() => Figures.ConfusionMatrix(new ConfusionMatrix(2))).ParamName);
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => Figures.WeightHistograms((INetwork)null!)).ParamName);
        var net = new TinyClassifier(seed: 1);
        Assert.Equal("bins", Assert.Throws<ArgumentOutOfRangeException>(() => Figures.WeightHistograms(net, bins: 0)).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => Figures.WeightHistograms(net.Description, new float[3])).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => Figures.WeightHistograms(net.Description, net.Parameters.ToArray(), new float[3])).ParamName);
        Assert.Equal("functions", Assert.Throws<ArgumentException>(() => Figures.Activations(ReadOnlySpan<ActivationFunction>.Empty)).ParamName);
        Assert.Equal("function", Assert.Throws<ArgumentOutOfRangeException>(() => Figures.Activation((ActivationFunction)99)).ParamName);
        Assert.Equal("Points", Assert.Throws<ArgumentOutOfRangeException>(() => new ActivationPlotOptions { Points = 1 }).ParamName);
        Assert.Equal("ZMin", Assert.Throws<ArgumentOutOfRangeException>(() => new ActivationPlotOptions { ZMin = double.NaN }).ParamName);
        Assert.Equal("SoftmaxInput", Assert.Throws<ArgumentException>(() => new ActivationPlotOptions { SoftmaxInput = [1f] }).ParamName);
        Assert.Equal("SoftmaxInput", Assert.Throws<ArgumentException>(() => new ActivationPlotOptions { SoftmaxInput = [1f, float.PositiveInfinity] }).ParamName);
        var reversed = Assert.Throws<ArgumentException>(() => Figures.Activations(new ActivationPlotOptions { ZMin = 2, ZMax = -2 }));
        Assert.Contains("ZMax", reversed.Message, StringComparison.Ordinal);
        var rrelu = Assert.Throws<ArgumentException>(() => Figures.Activation(ActivationFunction.RReLU, new ActivationPlotOptions { RReluLower = 0.5, RReluUpper = 0.1 }));
        Assert.Contains("RReluUpper", rrelu.Message, StringComparison.Ordinal);
        var figure = Figures.Activation(ActivationFunction.ReLU);
        Assert.Throws<ArgumentOutOfRangeException>(() => figure.ToPng(0, 10));
        Assert.Throws<ArgumentException>(() => figure.SavePng(" "));
    }

    private static int CountScatters(ScottPlot.Plot plot)
    {
        int n = 0;
        foreach (var p in plot.GetPlottables()) if (p is ScottPlot.Plottables.Scatter) n++;
        return n;
    }

    private static int CountTexts(ScottPlot.Plot plot)
    {
        int n = 0;
        foreach (var p in plot.GetPlottables()) if (p is ScottPlot.Plottables.Text) n++;
        return n;
    }
}
