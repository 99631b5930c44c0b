using System;
using System.Collections.Generic;
using SourceGenNN.Kernels;

namespace SourceGenNN.Testing;

/// <summary>
/// The reference every fast path is checked against: a plain double-precision implementation of the layers, written
/// from the math and driven only by a <see cref="NetworkDescription"/>, its parameters and buffers. One class per layer
/// kind (<see cref="ReferenceLayers"/>); this class runs the graph: forward in order, backward in reverse, summing the
/// gradients of a tensor that several layers read. Shared (as source) by Runtime.Tests and GpuCheck.
/// <para>
/// Training-mode draws (dropout masks, RReLU slopes) use the keys the generated code and the GPU use:
/// <c>CounterRandom.Key(RandomSeed, layer index, n)</c>, n the training forwards before this one.
/// </para>
/// </summary>
internal sealed class ReferenceNetwork : INetwork, IRandomStream
{
    private readonly float[] _params, _grads, _buffers;
    private readonly ReferenceLayer[] _layers;
    private readonly Dictionary<string, int> _tensorIndex = new(StringComparer.Ordinal);
    private double[][] _values = [];
    private float[] _logits = [];
    private bool _training;

    /// <summary>A network of <paramref name="description"/>'s structure, initialised by each kind's reference initialiser.</summary>
    public ReferenceNetwork(NetworkDescription description, ulong seed)
    {
        Description = description;
        _params = new float[description.ParameterCount];
        _grads = new float[description.ParameterCount];
        _buffers = new float[description.BufferCount];
        _layers = new ReferenceLayer[description.Layers.Count];
        for (int i = 0; i < _layers.Length; i++) _layers[i] = ReferenceLayers.Create(description, description.Layers[i]);
        for (int k = 0; k < description.Inputs.Count; k++) _tensorIndex[description.Inputs[k].Name] = k;
        for (int i = 0; i < _layers.Length; i++) _tensorIndex[description.Layers[i].Name] = description.Inputs.Count + i;
        Initialize(seed);
    }

    /// <summary>A copy of <paramref name="network"/>: its structure, parameters, buffers and random stream.</summary>
    public ReferenceNetwork(INetwork network) : this(network.Description, 0)
    {
        network.Parameters.CopyTo(_params);
        network.Buffers.CopyTo(_buffers);
        if (network is IRandomStream r)
        {
            RandomSeed = r.RandomSeed;
            RandomStep = r.RandomStep;
        }
    }

    public NetworkDescription Description { get; }
    public int InputSize => Description.InputSize;
    public int OutputSize => Description.OutputSize;
    public Span<float> Parameters => _params;
    public Span<float> Buffers => _buffers;
    public Span<float> Gradients => _grads;
    public int Batch { get; private set; }
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>The seed of the dropout and RReLU draws.</summary>
    public ulong RandomSeed { get; set; }

    /// <summary>The training forwards so far: the next one keys its draws with it.</summary>
    public ulong RandomStep { get; set; }

    public void Initialize(ulong seed)
    {
        RandomSeed = seed;
        RandomStep = 0;
        for (int i = 0; i < _layers.Length; i++) _layers[i].Initialize(_params, _buffers, seed);
    }

    public void ZeroGrad() => Array.Clear(_grads);

    public string Summary(int batchSize = 1) => Description.FormatSummary(batchSize);

    /// <summary>Forward on packed float inputs (every input of a sample side by side), recording what backward needs.</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch = 1, bool training = false)
    {
        var x = new double[input.Length];
        for (int i = 0; i < x.Length; i++) x[i] = input[i];
        var y = Run(Widen(_params), Widen(_buffers), x, batch, training, RandomStep, record: true);
        if (training) RandomStep++;
        for (int i = 0; i < output.Length; i++) output[i] = (float)y[i];
        // The buffers a training pass updated (running statistics) go back to float.
        for (int i = 0; i < _buffers.Length; i++) _buffers[i] = (float)_bufferValues[i];
    }

    private double[] _bufferValues = [];

    /// <summary>
    /// The network's output for packed <paramref name="input"/> in double, at <paramref name="parameters"/> and
    /// <paramref name="buffers"/> (which a training pass updates in place), with the draws of training forward
    /// <paramref name="step"/>. Pure: the network is not changed. Finite differences call this.
    /// </summary>
    public double[] Evaluate(double[] parameters, double[] buffers, double[] input, int batch, bool training = false, ulong step = 0)
    {
        var saved = (_values, _training, Batch, _bufferValues);
        try
        {
            return Run(parameters, buffers, input, batch, training, step, record: false);
        }
        finally
        {
            (_values, _training, Batch, _bufferValues) = saved;
        }
    }

    /// <summary><see cref="Evaluate"/> at the network's own parameters and buffers (evaluation mode).</summary>
    public double[] Evaluate(double[] input, int batch) => Evaluate(Widen(_params), Widen(_buffers), input, batch);

    private double[] Run(double[] p, double[] buffers, double[] packed, int batch, bool training, ulong step, bool record)
    {
        var d = Description;
        int tensors = d.Inputs.Count + _layers.Length;
        var values = new double[tensors][];
        // Unpack the inputs: sample n of input k is at n * InputSize + (sizes of the inputs before k).
        int offset = 0;
        for (int k = 0; k < d.Inputs.Count; k++)
        {
            int size = d.Inputs[k].Size;
            var v = new double[batch * size];
            for (int n = 0; n < batch; n++)
                Array.Copy(packed, n * d.InputSize + offset, v, n * size, size);
            values[k] = v;
            offset += size;
        }
        var ctx = new ReferenceContext(p, null, buffers, batch, training, RandomSeed, step);
        for (int i = 0; i < _layers.Length; i++)
        {
            var l = d.Layers[i];
            var inputs = new double[l.Inputs.Count][];
            for (int k = 0; k < inputs.Length; k++) inputs[k] = values[_tensorIndex[l.Inputs[k]]];
            values[d.Inputs.Count + i] = _layers[i].Forward(ctx, inputs);
        }
        if (record)
        {
            _values = values;
            _training = training;
            Batch = batch;
            _bufferValues = buffers;
            var logits = d.FusedActivation is null ? values[^1] : values[_tensorIndex[d.Layers[^1].Inputs[0]]];
            _logits = new float[logits.Length];
            for (int i = 0; i < logits.Length; i++) _logits[i] = (float)logits[i];
        }
        return values[^1];
    }

    /// <summary>
    /// Back-propagates from the last <see cref="Forward"/> (training mode), adding to <see cref="Gradients"/>; the input
    /// gradient, when wanted, is packed like the input.
    /// </summary>
    public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient = default, bool fromLogits = false)
    {
        var d = Description;
        if (!_training) throw new InvalidOperationException("Backward needs a training-mode forward pass first.");
        var grads = new double[_params.Length];
        var ctx = new ReferenceContext(Widen(_params), grads, _bufferValues, Batch, true, RandomSeed, RandomStep - 1);
        var dValues = new double[_values.Length][];
        dValues[^1] = new double[outputGradient.Length];
        for (int i = 0; i < outputGradient.Length; i++) dValues[^1][i] = outputGradient[i];
        for (int i = _layers.Length - 1; i >= 0; i--)
        {
            var l = d.Layers[i];
            var dOut = dValues[d.Inputs.Count + i];
            if (dOut is null) continue; // nothing after it reached it (cannot happen in a generated network)
            var inputs = new double[l.Inputs.Count][];
            var dIns = new double[l.Inputs.Count][];
            for (int k = 0; k < inputs.Length; k++)
            {
                inputs[k] = _values[_tensorIndex[l.Inputs[k]]];
                dIns[k] = new double[inputs[k].Length];
            }
            if (i == _layers.Length - 1 && fromLogits && d.FusedActivation is not null)
                Array.Copy(dOut, dIns[0], dOut.Length); // already dLoss/dLogits
            else
                _layers[i].Backward(ctx, inputs, _values[d.Inputs.Count + i], dOut, dIns);
            for (int k = 0; k < inputs.Length; k++)
            {
                ref var target = ref dValues[_tensorIndex[l.Inputs[k]]];
                if (target is null) target = dIns[k];
                else for (int j = 0; j < target.Length; j++) target[j] += dIns[k][j]; // several readers: the gradients add up
            }
        }
        for (int i = 0; i < grads.Length; i++) _grads[i] += (float)grads[i];
        if (inputGradient.IsEmpty) return;
        int offset = 0;
        for (int k = 0; k < d.Inputs.Count; k++)
        {
            int size = d.Inputs[k].Size;
            var g = dValues[k] ?? new double[Batch * size];
            for (int n = 0; n < Batch; n++)
                for (int j = 0; j < size; j++)
                    inputGradient[n * d.InputSize + offset + j] = (float)g[n * size + j];
            offset += size;
        }
    }

    /// <summary>The output of the last forward pass, in double.</summary>
    public double[] Output => _values[^1];

    /// <summary>The input of the final fused activation of the last forward pass (or the output), in double.</summary>
    public double[] LogitsDouble => Description.FusedActivation is null ? _values[^1] : _values[_tensorIndex[Description.Layers[^1].Inputs[0]]];

    public static double[] Widen(ReadOnlySpan<float> values)
    {
        var r = new double[values.Length];
        for (int i = 0; i < r.Length; i++) r[i] = values[i];
        return r;
    }
}

/// <summary>What a reference layer reads and writes besides its tensors: parameters, gradients, buffers and the pass.</summary>
internal sealed class ReferenceContext(double[] parameters, double[]? gradients, double[] buffers, int batch, bool training, ulong seed, ulong step)
{
    public double[] Parameters { get; } = parameters;

    /// <summary>Where backward adds parameter gradients (null in forward passes).</summary>
    public double[]? Gradients { get; } = gradients;

    /// <summary>The state buffers, updated in place by training-mode forward passes.</summary>
    public double[] Buffers { get; } = buffers;

    public int Batch { get; } = batch;

    public bool Training { get; } = training;

    /// <summary>The key of a random layer's draws in this pass.</summary>
    public ulong Key(int layer) => CounterRandom.Key(seed, layer, step);

    /// <summary>The key of the dropout between stacked recurrent layers <paramref name="between"/> and <paramref name="between"/> + 1.</summary>
    public ulong RecurrentDropoutKey(int layer, int between) => Recurrent.DropoutKey(seed, layer, step, between);
}
