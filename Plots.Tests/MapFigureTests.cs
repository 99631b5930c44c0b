using System;
using System.IO;
using System.Linq;
using ScottPlot.Plottables;
using Xunit;

namespace SourceGenNN.Plots.Tests;

/// <summary>Image-shaped activations: ReLU keeps [C, H, W], so its output is two feature maps of 4 × 5.</summary>
[Network(2, 4, 5)]
[ReLU]
[Flatten]
[Dense(3)]
public partial class TinyImageNet { }

/// <summary>
/// Filters, feature maps and attention maps render, and the heatmaps hold the values they claim: each tile where the
/// mosaic puts it, scaled as the caption says. SOURCEGENNN_PLOTS_KEEP keeps the files to be looked at.
/// </summary>
public sealed class MapFigureTests : IDisposable
{
    private static readonly string? Keep = Environment.GetEnvironmentVariable("SOURCEGENNN_PLOTS_KEEP");
    private readonly string _dir = string.IsNullOrEmpty(Keep) ? Path.Combine(Path.GetTempPath(), "sgnn-maps-" + Guid.NewGuid().ToString("N")) : Keep;

    public void Dispose()
    {
        if (string.IsNullOrEmpty(Keep) && Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string PathOf(string name)
    {
        Directory.CreateDirectory(_dir);
        return Path.Combine(_dir, name);
    }

    private static double[,] Cells(Figure figure) => figure.Panels[0].GetPlottables().OfType<Heatmap>().Single().Intensities;

    [Fact]
    public void Filters_lay_each_kernel_out_as_a_tile_on_a_scale_centred_on_zero()
    {
        var net = new KernelNetwork([3, 2, 2, 3]); // 3 output channels, 2 input channels, 2 × 3 kernels
        var figure = Figures.Filters(net, "0.weight");
        var cells = Cells(figure);
        Assert.Equal((3 * 3 - 1, 2 * 4 - 1), (cells.GetLength(0), cells.GetLength(1)));
        for (int o = 0; o < 3; o++)
            for (int i = 0; i < 2; i++)
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 3; x++)
                        Assert.Equal(net.Parameters[((o * 2 + i) * 2 + y) * 3 + x], cells[o * 3 + y, i * 4 + x]);
        Assert.True(double.IsNaN(cells[2, 0]) && double.IsNaN(cells[0, 3]), "the gaps between tiles are not drawn");
        var range = figure.Panels[0].GetPlottables().OfType<Heatmap>().Single().ManualRange!.Value;
        double extent = net.Parameters.ToArray().Max(v => Math.Abs(v));
        Assert.Equal((-extent, extent), (range.Min, range.Max));
        PngAssert.Drawn(figure.SavePng(PathOf("filters.png")), figure.Width, figure.Height, minColours: 20);
    }

    [Fact]
    public void Filters_of_a_1d_convolution_are_one_row_tiles_and_limits_cut_the_mosaic()
    {
        var net = new KernelNetwork([20, 10, 5]);
        var figure = Figures.Filters(net, "0.weight", maxOutputs: 4, maxInputs: 3);
        Assert.Equal((4 * 2 - 1, 3 * 6 - 1), (Cells(figure).GetLength(0), Cells(figure).GetLength(1)));
        Assert.Contains("the first 4 × 3 of 20 × 10", figure.Panels[0].Axes.Title.Label.Text);
        PngAssert.Drawn(figure.SavePng(PathOf("filters1d.png")), figure.Width, figure.Height, minColours: 20);
    }

    [Fact]
    public void Filters_of_a_tensor_that_is_not_a_kernel_name_the_ones_that_are()
    {
        var net = new KernelNetwork([3, 2, 2, 3]);
        var e = Assert.Throws<ArgumentException>(() => Figures.Filters(net, "0.bias"));
        Assert.Equal("parameter", e.ParamName);
        Assert.Contains("0.weight [3, 2, 2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Figures.Filters(net, "nope"));
        Assert.Contains("has no parameter 'nope'", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Figures.Filters(net, "0.weight", maxOutputs: 0));
    }

    [Fact]
    public void Feature_maps_are_a_layers_output_each_scaled_to_its_own_range()
    {
        var net = new TinyImageNet(seed: 2);
        const int batch = 3;
        var x = Enumerable.Range(0, batch * 40).Select(i => (float)Math.Sin(1.3 * i)).ToArray();
        net.Forward(x, new float[batch * 3], batch);
        var figure = Figures.FeatureMaps(net, layer: 0, sample: 1);
        var cells = Cells(figure);
        Assert.Equal((4, 2 * 6 - 1), (cells.GetLength(0), cells.GetLength(1))); // two channels side by side
        for (int c = 0; c < 2; c++)
        {
            var map = Enumerable.Range(0, 20).Select(k => Math.Max(0f, x[40 + c * 20 + k])).ToArray(); // ReLU of sample 1
            float min = map.Min(), max = map.Max();
            for (int y = 0; y < 4; y++)
                for (int w = 0; w < 5; w++)
                    Assert.Equal((map[y * 5 + w] - min) / (max - min), cells[y, c * 6 + w], 6);
        }
        PngAssert.Drawn(figure.SavePng(PathOf("features.png")), figure.Width, figure.Height, minColours: 20);

        Assert.Throws<ArgumentOutOfRangeException>(() => Figures.FeatureMaps(net, layer: 0, sample: batch));
        Assert.Throws<ArgumentOutOfRangeException>(() => Figures.FeatureMaps(net, layer: 3));
        var fresh = Assert.Throws<ArgumentOutOfRangeException>(() => Figures.FeatureMaps(new TinyImageNet(), 0));
        Assert.Contains("No forward pass", fresh.Message);
    }

    [Fact]
    public void Feature_maps_of_a_sequence_and_of_any_buffer_render()
    {
        var values = Enumerable.Range(0, 6 * 30).Select(i => (float)Math.Cos(0.2 * i)).ToArray();
        var figure = Figures.FeatureMaps(values, [6, 30], "hidden states");
        Assert.Equal((6 * 2 - 1, 30), (Cells(figure).GetLength(0), Cells(figure).GetLength(1)));
        PngAssert.Drawn(figure.SavePng(PathOf("sequence.png")), figure.Width, figure.Height, minColours: 20);
        var e = Assert.Throws<ArgumentException>(() => Figures.FeatureMaps(values, [6, 31], "x"));
        Assert.Contains("holds 186 values; 180 were given", e.Message);
    }

    [Fact]
    public void Attention_maps_have_a_panel_per_head_with_queries_down_and_keys_across()
    {
        const int heads = 2, queries = 3, keys = 4;
        var weights = new float[heads * queries * keys];
        for (int h = 0; h < heads; h++)
            for (int q = 0; q < queries; q++) weights[(h * queries + q) * keys + (q + h) % keys] = 1; // one-hot rows
        string[] tokens = ["the", "cat", "sat", "down"];
        var figure = Figures.AttentionMap(weights, heads, queries, keys, tokens[..3], tokens, "Self-attention");
        Assert.Equal(2, figure.Panels.Count);
        var second = figure.Panels[1].GetPlottables().OfType<Heatmap>().Single().Intensities;
        Assert.Equal(1, second[2, 3]);
        Assert.Equal(0, second[2, 2]);
        PngAssert.Drawn(figure.SavePng(PathOf("attention.png")), figure.Width, figure.Height, minColours: 20);
        Assert.Throws<ArgumentException>(() => Figures.AttentionMap(weights, heads, queries, 5));
        Assert.Throws<ArgumentException>(() => Figures.AttentionMap(weights, heads, queries, keys, tokens));
    }

    /// <summary>A stand-in network with one weight of the given shape and a bias, values spread over ±1.</summary>
    private sealed class KernelNetwork : INetwork
    {
        private readonly float[] _parameters;

        public KernelNetwork(int[] shape)
        {
            int length = shape.Aggregate(1, (a, b) => a * b);
            Description = new NetworkDescription("Kernels", [new InputDescription("input", [1])],
                [new LayerDescription("0", "Conv", ["input"], [1], length + shape[0])],
                [new TensorDescription("0.weight", 0, shape), new TensorDescription("0.bias", length, [shape[0]])]);
            _parameters = Enumerable.Range(0, length + shape[0]).Select(i => (float)Math.Sin(0.37 * i * i)).ToArray();
        }

        public NetworkDescription Description { get; }
        public int InputSize => 1;
        public int OutputSize => 1;
        public Span<float> Parameters => _parameters;
        public Span<float> Buffers => Span<float>.Empty;
        public Span<float> Gradients => Span<float>.Empty;
        public int Batch => 0;
        public ReadOnlySpan<float> Logits => ReadOnlySpan<float>.Empty;
        public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch = 1, bool training = false) => throw new NotSupportedException();
        public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient = default, bool fromLogits = false) => throw new NotSupportedException();
        public void ZeroGrad() { }
        public void Initialize(ulong seed) { }
        public string Summary(int batchSize = 1) => "";
    }
}
