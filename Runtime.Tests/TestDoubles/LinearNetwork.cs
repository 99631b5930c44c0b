using System;
using SourceGenNN.CompilerServices;
using SourceGenNN.Kernels;

namespace SourceGenNN.Tests.TestDoubles;

/// <summary>The final activation of <see cref="LinearNetwork"/>.</summary>
public enum FinalActivation
{
    None,
    Softmax,
    Sigmoid,
}

/// <summary>
/// A hand-written <see cref="INetwork"/> for training tests until generated networks exist: one dense layer
/// y = W·x + b (W [out, in], PyTorch names <c>0.weight</c>, <c>0.bias</c>), optionally followed by Softmax or Sigmoid
/// (layer <c>1</c>). Written plainly with scalar loops; it allocates only when a batch larger than any before arrives.
/// </summary>
public sealed class LinearNetwork : INetwork
{
    private readonly float[] _parameters, _gradients;
    private float[] _input = [], _logits = [], _output = [];
    private readonly int _in, _out;
    private readonly FinalActivation _activation;

    public LinearNetwork(int inputs, int outputs, FinalActivation activation = FinalActivation.None, ulong seed = 0, string name = "LinearNetwork")
    {
        _in = inputs;
        _out = outputs;
        _activation = activation;
        var layers = activation == FinalActivation.None
            ? new[] { new LayerDescription("0", LayerKindNames.Dense, ["input"], [outputs], inputs * outputs + outputs, [new LayerOption("bias", true, shown: false)]) }
            : new[]
            {
                new LayerDescription("0", LayerKindNames.Dense, ["input"], [outputs], inputs * outputs + outputs, [new LayerOption("bias", true, shown: false)]),
                new LayerDescription("1", activation.ToString(), ["0"], [outputs], 0,
                    activation == FinalActivation.Softmax ? [new LayerOption("dim", -1, shown: false)] : null),
            };
        Description = new NetworkDescription(name, [new InputDescription("input", [inputs])], layers, new[]
        {
            new TensorDescription("0.weight", 0, new[] { outputs, inputs }),
            new TensorDescription("0.bias", inputs * outputs, new[] { outputs }),
        });
        _parameters = new float[Description.ParameterCount];
        _gradients = new float[Description.ParameterCount];
        Initialize(seed);
    }

    public NetworkDescription Description { get; }
    public int InputSize => _in;
    public int OutputSize => _out;
    public Span<float> Parameters => _parameters;

    /// <summary>No state buffers.</summary>
    public Span<float> Buffers => default;
    public Span<float> Gradients => _gradients;
    public int Batch { get; private set; }
    public ReadOnlySpan<float> Logits => _logits.AsSpan(0, Batch * _out);

    /// <summary>How many times Forward ran with training = true.</summary>
    public int TrainingForwards { get; private set; }

    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch = 1, bool training = false)
    {
        if (batch <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(batch), batch, "a positive batch size");
        ThrowHelper.CheckLength(input.Length, batch * _in, nameof(input), "[batch, in]");
        ThrowHelper.CheckLength(output.Length, batch * _out, nameof(output), "[batch, out]");
        if (_input.Length < batch * _in) _input = new float[batch * _in];
        if (_logits.Length < batch * _out)
        {
            _logits = new float[batch * _out];
            _output = new float[batch * _out];
        }
        if (training) TrainingForwards++;
        Batch = batch;
        input.CopyTo(_input);
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < _out; o++)
            {
                float z = _parameters[_in * _out + o];
                for (int i = 0; i < _in; i++) z += _parameters[o * _in + i] * input[n * _in + i];
                _logits[n * _out + o] = z;
            }
            switch (_activation)
            {
                case FinalActivation.None:
                    for (int o = 0; o < _out; o++) _output[n * _out + o] = _logits[n * _out + o];
                    break;
                case FinalActivation.Sigmoid:
                    for (int o = 0; o < _out; o++) _output[n * _out + o] = 1f / (1f + MathF.Exp(-_logits[n * _out + o]));
                    break;
                case FinalActivation.Softmax:
                    float max = float.NegativeInfinity;
                    for (int o = 0; o < _out; o++) max = MathF.Max(max, _logits[n * _out + o]);
                    float sum = 0;
                    for (int o = 0; o < _out; o++) sum += _output[n * _out + o] = MathF.Exp(_logits[n * _out + o] - max);
                    for (int o = 0; o < _out; o++) _output[n * _out + o] /= sum;
                    break;
            }
        }
        _output.AsSpan(0, batch * _out).CopyTo(output);
    }

    public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient = default, bool fromLogits = false)
    {
        int batch = Batch;
        ThrowHelper.CheckLength(outputGradient.Length, batch * _out, nameof(outputGradient), "[batch, out]");
        for (int n = 0; n < batch; n++)
        {
            var g = outputGradient.Slice(n * _out, _out);
            var a = _output.AsSpan(n * _out, _out);
            for (int o = 0; o < _out; o++)
            {
                float dz;
                if (fromLogits || _activation == FinalActivation.None) dz = g[o];
                else if (_activation == FinalActivation.Sigmoid) dz = g[o] * a[o] * (1f - a[o]);
                else
                {
                    float dot = 0;
                    for (int j = 0; j < _out; j++) dot += g[j] * a[j];
                    dz = a[o] * (g[o] - dot);
                }
                _gradients[_in * _out + o] += dz;
                for (int i = 0; i < _in; i++) _gradients[o * _in + i] += dz * _input[n * _in + i];
                if (!inputGradient.IsEmpty)
                {
                    if (o == 0) inputGradient.Slice(n * _in, _in).Clear();
                    for (int i = 0; i < _in; i++) inputGradient[n * _in + i] += dz * _parameters[o * _in + i];
                }
            }
        }
    }

    public void ZeroGrad() => Array.Clear(_gradients);

    public void Initialize(ulong seed)
    {
        var rng = new Rng(seed, "0.weight");
        float bound = 1f / MathF.Sqrt(_in);
        for (int i = 0; i < _in * _out; i++) _parameters[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
        for (int i = _in * _out; i < _parameters.Length; i++) _parameters[i] = 0f;
    }

    public string Summary(int batchSize = 1) => Description.FormatSummary(batchSize);
}
