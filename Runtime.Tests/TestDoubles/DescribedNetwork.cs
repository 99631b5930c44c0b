using System;

namespace SourceGenNN.Tests.TestDoubles;

/// <summary>
/// A network that has a description and nothing else: no values behind it (its spans are empty) unless
/// <paramref name="withParameters"/> asks for parameter storage. File tests use it to describe networks far larger than
/// a test can hold in memory, for code that must refuse or stream before it touches a value.
/// </summary>
public sealed class DescribedNetwork(NetworkDescription description, bool withParameters = false) : INetwork
{
    private readonly float[] _parameters = withParameters ? new float[description.ParameterCount] : [];

    /// <summary>One dense layer <c>0.weight</c> [outputs, inputs] and <c>0.bias</c> [outputs], as <see cref="LinearNetwork"/>'s.</summary>
    public static NetworkDescription Dense(int inputs, int outputs, string name = "Huge") =>
        new(name, [new InputDescription("input", [inputs])],
            [new LayerDescription("0", LayerKindNames.Dense, ["input"], [outputs], inputs * outputs + outputs, [new LayerOption("bias", true, shown: false)])],
            new[]
            {
                new TensorDescription("0.weight", 0, new[] { outputs, inputs }),
                new TensorDescription("0.bias", inputs * outputs, new[] { outputs }),
            });

    public NetworkDescription Description { get; } = description;
    public int InputSize => Description.InputSize;
    public int OutputSize => Description.OutputSize;
    public Span<float> Parameters => _parameters;
    public Span<float> Buffers => default;
    public Span<float> Gradients => default;
    public int Batch => 0;
    public ReadOnlySpan<float> Logits => default;
    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch = 1, bool training = false) => throw new NotSupportedException();
    public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient = default, bool fromLogits = false) => throw new NotSupportedException();
    public void ZeroGrad() { }
    public void Initialize(ulong seed) { }
    public string Summary(int batchSize = 1) => Description.FormatSummary(batchSize);
}
