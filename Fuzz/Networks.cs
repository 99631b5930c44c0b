using System;
using SourceGenNN;

namespace SourceGenNN.Fuzz;

/// <summary>
/// The network the fuzzed files load into: small, with every section a file can have (weights and biases of two ranks,
/// BatchNorm's state buffers with the I64 counter), so that a valid file is a few hundred bytes.
/// </summary>
[Network(4)]
[Dense(3, Name = "fc")]
[BatchNorm1d(Name = "bn")]
[ReLU]
[Dense(2, Name = "out")]
public partial class FuzzNet { }

/// <summary>
/// A hand-described network of one dense layer whose parameters are only storage: large enough (16 MiB at the size
/// <see cref="KillSaves"/> uses) that a save takes long enough to be killed in the middle of it.
/// </summary>
internal sealed class BigNet : INetwork
{
    private readonly float[] _parameters;

    public BigNet(int inputs, int outputs)
    {
        Description = new NetworkDescription("BigNet", [new InputDescription("input", [inputs])],
            [new LayerDescription("0", LayerKindNames.Dense, ["input"], [outputs], inputs * outputs + outputs, [new LayerOption("bias", true, shown: false)])],
            new[]
            {
                new TensorDescription("0.weight", 0, new[] { outputs, inputs }),
                new TensorDescription("0.bias", inputs * outputs, new[] { outputs }),
            });
        _parameters = new float[Description.ParameterCount];
        for (int i = 0; i < _parameters.Length; i++) _parameters[i] = Expected(i);
    }

    /// <summary>Parameter <paramref name="i"/>'s value, so that a loaded file can be checked without the original.</summary>
    public static float Expected(int i) => i % 1009 * 0.5f;

    public NetworkDescription Description { get; }
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
