using System;
using System.Buffers;
using System.Globalization;
using SourceGenNN.CompilerServices;
using SourceGenNN.Data;
using SourceGenNN.Metrics;

namespace SourceGenNN;

/// <summary>
/// Inference on any network without a trainer, as PyTorch's <c>model.eval()</c> then <c>model(x)</c>:
/// <c>net.Predict(x)</c> gives the outputs, <c>net.PredictClasses(x)</c> the class of each sample. The samples run in
/// evaluation mode (no dropout, BatchNorm's running statistics) in batches of at most <c>batchSize</c>, so the network's
/// activation buffers stay that size however many samples there are.
/// </summary>
/// <remarks>
/// Inputs are row-major <c>[count, InputSize]</c>; a network with several inputs takes each sample's inputs side by
/// side (<see cref="INetwork.InputSize"/> is then the packed width). A network instance runs one pass at a time: to
/// predict on several threads, give each its own <c>CloneForInference()</c>. The overloads that write into spans
/// allocate nothing once the network has run a batch of that size.
/// </remarks>
public static class NetworkInference
{
    /// <summary>The network's outputs for every sample of <paramref name="input"/>, in evaluation mode.</summary>
    /// <param name="network">The network.</param>
    /// <param name="input"><c>[count, InputSize]</c>, row-major; count may be 0.</param>
    /// <param name="batchSize">The most samples run in one forward pass.</param>
    /// <returns><c>[count, OutputSize]</c>: <c>p[sample, output]</c>, <c>p.Row(sample)</c>.</returns>
    /// <exception cref="ArgumentException">The input's length is not a multiple of <see cref="INetwork.InputSize"/>.</exception>
    public static Predictions Predict(this INetwork network, ReadOnlySpan<float> input, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        int count = Samples(network, input, nameof(input));
        var output = new float[OutputLength(network, count)];
        PredictCore(network, input, output, count, batchSize);
        return new Predictions(output, count, network.OutputSize);
    }

    /// <summary>The network's outputs for a data set's features, in evaluation mode.</summary>
    /// <param name="network">The network.</param>
    /// <param name="data">The samples; their targets are not used.</param>
    /// <param name="batchSize">The most samples run in one forward pass.</param>
    public static Predictions Predict(this INetwork network, Dataset data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFeatures(network, data);
        return network.Predict(data.Features, batchSize);
    }

    /// <summary>
    /// Writes the network's outputs <c>[count, OutputSize]</c> for <paramref name="input"/> <c>[count, InputSize]</c>,
    /// in evaluation mode. Allocates nothing once the network has run a batch of this size.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="input"><c>[count, InputSize]</c>, row-major.</param>
    /// <param name="output"><c>[count, OutputSize]</c>, row-major; written.</param>
    /// <param name="batchSize">The most samples run in one forward pass.</param>
    /// <exception cref="ArgumentException">A length does not fit the network's shapes.</exception>
    public static void Predict(this INetwork network, ReadOnlySpan<float> input, Span<float> output, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        int count = Samples(network, input, nameof(input));
        ThrowHelper.CheckShape(output.Length, count, network.OutputSize, nameof(output), "count", "OutputSize");
        PredictCore(network, input, output, count, batchSize);
    }

    /// <summary>
    /// The class the network predicts for every sample of <paramref name="input"/>: the index of the largest output (the
    /// first on ties), or, for a network with one output, 1 when the output is at least <paramref name="threshold"/>.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="input"><c>[count, InputSize]</c>, row-major.</param>
    /// <param name="threshold">For a single output: the value from which a sample is class 1 (0.5 after a sigmoid, 0 for a logit).</param>
    /// <param name="batchSize">The most samples run in one forward pass.</param>
    public static int[] PredictClasses(this INetwork network, ReadOnlySpan<float> input, float threshold = 0.5f, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        var classes = new int[Samples(network, input, nameof(input))];
        network.PredictClasses(input, classes, threshold, batchSize);
        return classes;
    }

    /// <summary>The class the network predicts for every sample of a data set (see <see cref="PredictClasses(INetwork, ReadOnlySpan{float}, float, int)"/>).</summary>
    /// <param name="network">The network.</param>
    /// <param name="data">The samples; their targets are not used.</param>
    /// <param name="threshold">For a single output: the value from which a sample is class 1.</param>
    /// <param name="batchSize">The most samples run in one forward pass.</param>
    public static int[] PredictClasses(this INetwork network, Dataset data, float threshold = 0.5f, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFeatures(network, data);
        return network.PredictClasses(data.Features, threshold, batchSize);
    }

    /// <summary>
    /// Writes the class the network predicts for every sample of <paramref name="input"/> into <paramref name="classes"/>
    /// (see <see cref="PredictClasses(INetwork, ReadOnlySpan{float}, float, int)"/>). The outputs of one batch at a time
    /// go through a pooled buffer, so nothing is allocated once the network has run a batch of this size.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="input"><c>[count, InputSize]</c>, row-major.</param>
    /// <param name="classes"><c>[count]</c>; written.</param>
    /// <param name="threshold">For a single output: the value from which a sample is class 1.</param>
    /// <param name="batchSize">The most samples run in one forward pass.</param>
    public static void PredictClasses(this INetwork network, ReadOnlySpan<float> input, Span<int> classes, float threshold = 0.5f, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        int count = Samples(network, input, nameof(input));
        ThrowHelper.CheckLength(classes.Length, count, nameof(classes), "one class per sample");
        CheckBatchSize(batchSize);
        if (count == 0) return;
        int nIn = network.InputSize, nOut = network.OutputSize;
        int rows = Math.Min(batchSize, count);
        var rented = ArrayPool<float>.Shared.Rent(OutputLength(network, rows));
        try
        {
            for (int first = 0; first < count; first += rows)
            {
                int n = Math.Min(rows, count - first);
                var output = rented.AsSpan(0, n * nOut);
                network.Forward(input.Slice(first * nIn, n * nIn), output, n, training: false);
                for (int i = 0; i < n; i++) classes[first + i] = ClassificationMetrics.PredictedClass(output, i, nOut, threshold);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    private static void PredictCore(INetwork network, ReadOnlySpan<float> input, Span<float> output, int count, int batchSize)
    {
        CheckBatchSize(batchSize);
        int nIn = network.InputSize, nOut = network.OutputSize;
        for (int first = 0; first < count; first += batchSize)
        {
            int n = Math.Min(batchSize, count - first);
            network.Forward(input.Slice(first * nIn, n * nIn), output.Slice(first * nOut, n * nOut), n, training: false);
        }
    }

    /// <summary>The number of samples in <paramref name="input"/>; its length must be a multiple of the input size.</summary>
    private static int Samples(INetwork network, ReadOnlySpan<float> input, string parameter)
    {
        int nIn = network.InputSize;
        if (input.Length % nIn != 0)
            ThrowHelper.ThrowLength(parameter, input.Length / nIn * nIn, input.Length,
                string.Create(CultureInfo.InvariantCulture, $"[count, {nIn}]: a whole number of samples of {nIn} inputs"));
        return input.Length / nIn;
    }

    /// <summary>[rows, OutputSize] in long: a network with more outputs than inputs can give an input that fits an array an output that does not.</summary>
    private static int OutputLength(INetwork network, int rows)
    {
        long n = (long)rows * network.OutputSize;
        if (n > Array.MaxLength)
            ThrowHelper.ThrowArgumentOutOfRange("input", rows, string.Create(CultureInfo.InvariantCulture,
                $"at most {Array.MaxLength / network.OutputSize} samples at once: [{rows}, {network.OutputSize}] outputs are {n} values, more than an array holds"));
        return (int)n;
    }

    private static void CheckBatchSize(int batchSize)
    {
        if (batchSize <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batchSize), batchSize, "a positive batch size");
    }

    private static void CheckFeatures(INetwork network, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (data.FeatureCount != network.InputSize)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"'{nameof(data)}' has {data.FeatureCount} features per sample, but the network takes {network.InputSize}."), nameof(data));
    }
}
