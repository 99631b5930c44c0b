using System;

namespace SourceGenNN.Benchmarks.Plain;

/// <summary>
/// W6's CNN written the way one would write it by hand: blocks of [3×3 convolution (padding 1) → ReLU → 2×2 max
/// pooling], then a dense layer on the flattened result. One <c>float[]</c> per tensor, a direct convolution in nested
/// loops with the padding tested per tap, no im2col, no SIMD intrinsics, no allocation per call. Weights use PyTorch's
/// layouts ([out, in, 3, 3] and [out, in]); the max pooling's gradient goes to the first maximum of each window, as
/// PyTorch's does.
/// </summary>
public sealed class PlainCnn : IPlainNetwork
{
    private readonly int _inChannels, _height, _width;
    private readonly int[] _channels;     // _channels[b] = output channels of block b
    private readonly int _classes;
    private float[][] _x = [];            // _x[b] = input of block b, [batch, C, H, W]; _x[blocks] = the flattened features
    private float[][] _conv = [];         // convolution outputs before ReLU, [batch, C, H, W]
    private int[][] _argmax = [];         // per pooled output: the index in its plane of the window's first maximum
    private float[][] _dConv = [];        // dLoss/d(convolution output)
    private float[][] _dx = [];           // _dx[b] = dLoss/d(input of block b) (not for block 0)
    private float[] _logits = [];
    private int _capacity, _batch;

    /// <summary>Creates the network with zero weights (copy them from the generated network before use).</summary>
    /// <param name="channels">Input channels.</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <param name="blockChannels">Each block's output channels.</param>
    /// <param name="classes">The dense layer's outputs.</param>
    public PlainCnn(int channels, int height, int width, int[] blockChannels, int classes)
    {
        ArgumentNullException.ThrowIfNull(blockChannels);
        _inChannels = channels;
        _height = height;
        _width = width;
        _channels = (int[])blockChannels.Clone();
        _classes = classes;
        int blocks = _channels.Length;
        Tensors = new float[2 * blocks + 2][];
        int c = channels;
        for (int b = 0; b < blocks; b++)
        {
            Tensors[2 * b] = new float[_channels[b] * c * 9];
            Tensors[2 * b + 1] = new float[_channels[b]];
            c = _channels[b];
        }
        Tensors[2 * blocks] = new float[classes * Features];
        Tensors[2 * blocks + 1] = new float[classes];
        TensorGrads = new float[Tensors.Length][];
        for (int t = 0; t < Tensors.Length; t++) TensorGrads[t] = new float[Tensors[t].Length];
    }

    private (int C, int H, int W) InputOf(int block)
    {
        int c = _inChannels, h = _height, w = _width;
        for (int b = 0; b < block; b++) (c, h, w) = (_channels[b], h / 2, w / 2);
        return (c, h, w);
    }

    private int Features
    {
        get
        {
            var (c, h, w) = InputOf(_channels.Length);
            return c * h * w;
        }
    }

    /// <inheritdoc />
    public int InputSize => _inChannels * _height * _width;

    /// <inheritdoc />
    public int OutputSize => _classes;

    /// <inheritdoc />
    public float[][] Tensors { get; }

    /// <inheritdoc />
    public float[][] TensorGrads { get; }

    /// <inheritdoc />
    public float[] Logits => _logits;

    /// <inheritdoc />
    public void Reserve(int batch)
    {
        if (batch <= _capacity) return;
        int blocks = _channels.Length;
        _x = new float[blocks + 1][];
        _conv = new float[blocks][];
        _argmax = new int[blocks][];
        _dConv = new float[blocks][];
        _dx = new float[blocks + 1][];
        for (int b = 0; b <= blocks; b++)
        {
            var (c, h, w) = InputOf(b);
            _x[b] = new float[batch * c * h * w];
            _dx[b] = new float[batch * c * h * w];
            if (b == blocks) break;
            _conv[b] = new float[batch * _channels[b] * h * w];
            _dConv[b] = new float[batch * _channels[b] * h * w];
            _argmax[b] = new int[batch * _channels[b] * (h / 2) * (w / 2)];
        }
        _logits = new float[batch * _classes];
        _capacity = batch;
    }

    /// <inheritdoc />
    public void ZeroGrad()
    {
        foreach (var g in TensorGrads) Array.Clear(g);
    }

    /// <inheritdoc />
    public void Forward(float[] input, int batch, float[] output)
    {
        Reserve(batch);
        _batch = batch;
        Array.Copy(input, _x[0], batch * InputSize);
        for (int b = 0; b < _channels.Length; b++)
        {
            var (cIn, h, w) = InputOf(b);
            int cOut = _channels[b];
            float[] x = _x[b], weight = Tensors[2 * b], bias = Tensors[2 * b + 1], z = _conv[b], pooled = _x[b + 1];
            int[] argmax = _argmax[b];
            for (int n = 0; n < batch; n++)
                for (int o = 0; o < cOut; o++)
                    for (int i = 0; i < h; i++)
                        for (int j = 0; j < w; j++)
                        {
                            float sum = bias[o];
                            for (int c = 0; c < cIn; c++)
                                for (int p = 0; p < 3; p++)
                                {
                                    int r = i + p - 1;
                                    if (r < 0 || r >= h) continue;
                                    for (int q = 0; q < 3; q++)
                                    {
                                        int s = j + q - 1;
                                        if (s < 0 || s >= w) continue;
                                        sum += weight[((o * cIn + c) * 3 + p) * 3 + q] * x[((n * cIn + c) * h + r) * w + s];
                                    }
                                }
                            z[((n * cOut + o) * h + i) * w + j] = sum;
                        }
            // ReLU, then 2×2 max pooling keeping the first maximum's index.
            int ph = h / 2, pw = w / 2;
            for (int plane = 0; plane < batch * cOut; plane++)
                for (int i = 0; i < ph; i++)
                    for (int j = 0; j < pw; j++)
                    {
                        int best = (2 * i) * w + 2 * j;
                        float max = Relu(z[plane * h * w + best]);
                        for (int p = 0; p < 2; p++)
                            for (int q = 0; q < 2; q++)
                            {
                                int k = (2 * i + p) * w + 2 * j + q;
                                float v = Relu(z[plane * h * w + k]);
                                if (v > max)
                                {
                                    max = v;
                                    best = k;
                                }
                            }
                        pooled[(plane * ph + i) * pw + j] = max;
                        argmax[(plane * ph + i) * pw + j] = best;
                    }
        }
        // The dense layer on the flattened features.
        int f = Features, blocksDone = _channels.Length;
        float[] features = _x[blocksDone], fw = Tensors[2 * blocksDone], fb = Tensors[2 * blocksDone + 1];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < _classes; o++)
            {
                float sum = fb[o];
                for (int i = 0; i < f; i++) sum += fw[o * f + i] * features[n * f + i];
                _logits[n * _classes + o] = sum;
            }
        Array.Copy(_logits, output, batch * _classes);
    }

    private static float Relu(float v) => v > 0f ? v : 0f;

    /// <inheritdoc />
    public void BackwardFromLogits(float[] logitGradient)
    {
        int batch = _batch, blocks = _channels.Length, f = Features;
        // The dense layer: its weight and bias gradients, and dLoss/d(features).
        float[] features = _x[blocks], fw = Tensors[2 * blocks], dfw = TensorGrads[2 * blocks], dfb = TensorGrads[2 * blocks + 1], df = _dx[blocks];
        Array.Clear(df, 0, batch * f);
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < _classes; o++)
            {
                float g = logitGradient[n * _classes + o];
                dfb[o] += g;
                for (int i = 0; i < f; i++)
                {
                    dfw[o * f + i] += g * features[n * f + i];
                    df[n * f + i] += g * fw[o * f + i];
                }
            }
        for (int b = blocks - 1; b >= 0; b--)
        {
            var (cIn, h, w) = InputOf(b);
            int cOut = _channels[b], ph = h / 2, pw = w / 2;
            float[] dPooled = _dx[b + 1], z = _conv[b], dz = _dConv[b], x = _x[b], weight = Tensors[2 * b];
            float[] dw = TensorGrads[2 * b], db = TensorGrads[2 * b + 1];
            int[] argmax = _argmax[b];
            // Through the pooling (to the first maximum) and the ReLU.
            Array.Clear(dz, 0, batch * cOut * h * w);
            for (int plane = 0; plane < batch * cOut; plane++)
                for (int k = 0; k < ph * pw; k++)
                {
                    int at = plane * h * w + argmax[plane * ph * pw + k];
                    if (z[at] > 0f) dz[at] += dPooled[plane * ph * pw + k];
                }
            // The convolution: weight and bias gradients, and the input's gradient (not for the network input).
            float[]? dx = b > 0 ? _dx[b] : null;
            if (dx is not null) Array.Clear(dx, 0, batch * cIn * h * w);
            for (int n = 0; n < batch; n++)
                for (int o = 0; o < cOut; o++)
                    for (int i = 0; i < h; i++)
                        for (int j = 0; j < w; j++)
                        {
                            float g = dz[((n * cOut + o) * h + i) * w + j];
                            db[o] += g;
                            for (int c = 0; c < cIn; c++)
                                for (int p = 0; p < 3; p++)
                                {
                                    int r = i + p - 1;
                                    if (r < 0 || r >= h) continue;
                                    for (int q = 0; q < 3; q++)
                                    {
                                        int s = j + q - 1;
                                        if (s < 0 || s >= w) continue;
                                        int wi = ((o * cIn + c) * 3 + p) * 3 + q, xi = ((n * cIn + c) * h + r) * w + s;
                                        dw[wi] += g * x[xi];
                                        if (dx is not null) dx[xi] += g * weight[wi];
                                    }
                                }
                        }
        }
    }
}
