using System;

namespace SourceGenNN.Benchmarks.Plain;

/// <summary>The activation that follows a dense layer in a <see cref="PlainMlp"/>.</summary>
public enum PlainActivation
{
    /// <summary>No activation: the layer's output is its pre-activation.</summary>
    None,

    /// <summary>max(0, z).</summary>
    ReLU,

    /// <summary>1 / (1 + e^−z).</summary>
    Sigmoid,

    /// <summary>Softmax over each sample's row (final layer only).</summary>
    Softmax,
}

/// <summary>
/// A multilayer perceptron written the way one would write it by hand: one <c>float[]</c> per tensor, nested loops,
/// no SIMD intrinsics, no code generation. It is the baseline the generated networks are compared against, so it is
/// written cleanly (contiguous row-major arrays, inner loops over the contiguous index, no allocation per call) but
/// without tricks. Weights are [out, in] row-major, as PyTorch's <c>nn.Linear</c> keeps them.
/// </summary>
public sealed class PlainMlp : IPlainNetwork
{
    private readonly int[] _sizes;              // _sizes[0] = inputs, _sizes[l + 1] = units of dense layer l
    private readonly PlainActivation[] _acts;   // the activation after dense layer l
    private float[][] _z = [];                  // pre-activations of layer l, [batch, out]
    private float[][] _a = [];                  // _a[0] = the input, _a[l + 1] = output of layer l, [batch, features]
    private float[][] _delta = [];              // dLoss/d(pre-activation of layer l), [batch, out]
    private int _capacity, _batch;

    /// <summary>Creates the network with zero weights (copy or initialise them before use).</summary>
    /// <param name="inputSize">Inputs per sample.</param>
    /// <param name="layers">Each dense layer's width and the activation that follows it, in forward order.</param>
    public PlainMlp(int inputSize, params (int Units, PlainActivation Activation)[] layers)
    {
        _sizes = new int[layers.Length + 1];
        _acts = new PlainActivation[layers.Length];
        _sizes[0] = inputSize;
        for (int l = 0; l < layers.Length; l++)
        {
            _sizes[l + 1] = layers[l].Units;
            _acts[l] = layers[l].Activation;
            if (_acts[l] == PlainActivation.Softmax && l != layers.Length - 1)
                throw new ArgumentException("Softmax is supported only after the last layer.", nameof(layers));
        }
        Weights = new float[layers.Length][];
        Biases = new float[layers.Length][];
        WeightGrads = new float[layers.Length][];
        BiasGrads = new float[layers.Length][];
        Tensors = new float[2 * layers.Length][];
        TensorGrads = new float[2 * layers.Length][];
        for (int l = 0; l < layers.Length; l++)
        {
            Weights[l] = new float[_sizes[l + 1] * _sizes[l]];
            Biases[l] = new float[_sizes[l + 1]];
            WeightGrads[l] = new float[Weights[l].Length];
            BiasGrads[l] = new float[Biases[l].Length];
            Tensors[2 * l] = Weights[l];
            Tensors[2 * l + 1] = Biases[l];
            TensorGrads[2 * l] = WeightGrads[l];
            TensorGrads[2 * l + 1] = BiasGrads[l];
        }
    }

    /// <summary>Inputs per sample.</summary>
    public int InputSize => _sizes[0];

    /// <summary>Outputs per sample.</summary>
    public int OutputSize => _sizes[^1];

    /// <summary>Dense layer l's weights, [out, in] row-major.</summary>
    public float[][] Weights { get; }

    /// <summary>Dense layer l's biases, [out].</summary>
    public float[][] Biases { get; }

    /// <summary>dLoss/dWeights per layer, accumulated by <see cref="BackwardFromLogits"/>.</summary>
    public float[][] WeightGrads { get; }

    /// <summary>dLoss/dBiases per layer, accumulated by <see cref="BackwardFromLogits"/>.</summary>
    public float[][] BiasGrads { get; }

    /// <summary>Every parameter tensor, in the order weight 0, bias 0, weight 1, … (for the optimisers).</summary>
    public float[][] Tensors { get; }

    /// <summary>The gradient of each tensor in <see cref="Tensors"/>, in the same order.</summary>
    public float[][] TensorGrads { get; }

    /// <summary>The last layer's pre-activation from the last forward pass, [batch, OutputSize] (a prefix of the
    /// buffer; read the first batch·OutputSize values).</summary>
    public float[] Logits => _z[^1];

    /// <summary>Grows the per-batch buffers to hold <paramref name="batch"/> samples (the only allocation).</summary>
    /// <param name="batch">The largest batch that will be used.</param>
    public void Reserve(int batch)
    {
        if (batch <= _capacity) return;
        int layers = _acts.Length;
        _z = new float[layers][];
        _a = new float[layers + 1][];
        _delta = new float[layers][];
        _a[0] = new float[batch * _sizes[0]];
        for (int l = 0; l < layers; l++)
        {
            _z[l] = new float[batch * _sizes[l + 1]];
            _a[l + 1] = new float[batch * _sizes[l + 1]];
            _delta[l] = new float[batch * _sizes[l + 1]];
        }
        _capacity = batch;
    }

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGrad()
    {
        for (int t = 0; t < TensorGrads.Length; t++) Array.Clear(TensorGrads[t]);
    }

    /// <summary>Runs the network on a batch.</summary>
    /// <param name="input">[batch, InputSize] row-major.</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="output">Receives [batch, OutputSize].</param>
    public void Forward(float[] input, int batch, float[] output)
    {
        Reserve(batch);
        _batch = batch;
        Array.Copy(input, _a[0], batch * _sizes[0]);
        for (int l = 0; l < _acts.Length; l++)
        {
            int nIn = _sizes[l], nOut = _sizes[l + 1];
            float[] x = _a[l], w = Weights[l], b = Biases[l], z = _z[l], a = _a[l + 1];
            for (int n = 0; n < batch; n++)
            {
                for (int o = 0; o < nOut; o++)
                {
                    float sum = b[o];
                    for (int i = 0; i < nIn; i++) sum += w[o * nIn + i] * x[n * nIn + i];
                    z[n * nOut + o] = sum;
                }
            }
            Activate(_acts[l], z, a, batch, nOut);
        }
        Array.Copy(_a[^1], output, batch * OutputSize);
    }

    /// <summary>
    /// Back-propagates dLoss/d(last pre-activation) — the fused loss gradient for cross entropy or binary cross
    /// entropy — and adds the parameter gradients into <see cref="WeightGrads"/> and <see cref="BiasGrads"/>. The first
    /// layer's input gradient is not computed.
    /// </summary>
    /// <param name="logitGradient">[batch, OutputSize].</param>
    public void BackwardFromLogits(float[] logitGradient)
    {
        int batch = _batch, last = _acts.Length - 1;
        Array.Copy(logitGradient, _delta[last], batch * OutputSize);
        for (int l = last; l >= 0; l--)
        {
            int nIn = _sizes[l], nOut = _sizes[l + 1];
            float[] x = _a[l], w = Weights[l], dw = WeightGrads[l], db = BiasGrads[l], dz = _delta[l];
            float[]? dx = l > 0 ? _delta[l - 1] : null;
            if (dx is not null) Array.Clear(dx, 0, batch * nIn);
            for (int n = 0; n < batch; n++)
            {
                for (int o = 0; o < nOut; o++)
                {
                    float g = dz[n * nOut + o];
                    db[o] += g;
                    for (int i = 0; i < nIn; i++) dw[o * nIn + i] += g * x[n * nIn + i];
                    if (dx is not null)
                        for (int i = 0; i < nIn; i++) dx[n * nIn + i] += g * w[o * nIn + i];
                }
            }
            // dx holds dLoss/d(output of layer l − 1); multiply by that layer's activation derivative.
            if (dx is not null) ActivationBackward(_acts[l - 1], _z[l - 1], _a[l], dx, batch * nIn);
        }
    }

    private static void Activate(PlainActivation act, float[] z, float[] a, int batch, int width)
    {
        int count = batch * width;
        switch (act)
        {
            case PlainActivation.None:
                Array.Copy(z, a, count);
                break;
            case PlainActivation.ReLU:
                for (int k = 0; k < count; k++) a[k] = z[k] > 0f ? z[k] : 0f;
                break;
            case PlainActivation.Sigmoid:
                for (int k = 0; k < count; k++) a[k] = 1f / (1f + MathF.Exp(-z[k]));
                break;
            case PlainActivation.Softmax:
                for (int n = 0; n < batch; n++)
                {
                    int row = n * width;
                    float max = z[row];
                    for (int i = 1; i < width; i++) max = MathF.Max(max, z[row + i]);
                    float sum = 0f;
                    for (int i = 0; i < width; i++)
                    {
                        a[row + i] = MathF.Exp(z[row + i] - max);
                        sum += a[row + i];
                    }
                    for (int i = 0; i < width; i++) a[row + i] /= sum;
                }
                break;
        }
    }

    private static void ActivationBackward(PlainActivation act, float[] z, float[] a, float[] d, int count)
    {
        switch (act)
        {
            case PlainActivation.ReLU:
                for (int k = 0; k < count; k++) if (z[k] <= 0f) d[k] = 0f;
                break;
            case PlainActivation.Sigmoid:
                for (int k = 0; k < count; k++) d[k] *= a[k] * (1f - a[k]);
                break;
            case PlainActivation.None:
                break;
            default:
                throw new InvalidOperationException("Softmax is supported only after the last layer.");
        }
    }
}
