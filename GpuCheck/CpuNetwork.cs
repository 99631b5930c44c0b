using System;
using System.Collections.Generic;
using SourceGenNN;
using SourceGenNN.Cuda;
using SourceGenNN.Kernels;

namespace GpuCheck;

/// <summary>
/// A plain CPU network built from a <see cref="NetworkDescription"/>, the reference the GPU is checked against. It uses
/// the runtime's CPU activation operators and dropout/RReLU kernels, with GEMMs accumulated in double.
/// Dropout and RReLU keys: CounterRandom.Key(DropoutSeed, layer index, n), n the number of training forwards before
/// this one (0 for the first), as the GPU executor and generated networks (their RandomStep) do.
/// </summary>
internal sealed class CpuNetwork : INetwork, IRandomStream
{
    private readonly float[] _params, _grads;
    private readonly List<float[]> _inputs = new(), _outputs = new(), _aux = new();
    private float[] _logits = [];

    public CpuNetwork(NetworkDescription description, ulong seed)
    {
        Description = description;
        _params = new float[description.ParameterCount];
        _grads = new float[description.ParameterCount];
        Initialize(seed);
    }

    public NetworkDescription Description { get; }
    public int InputSize => Description.InputSize;
    public int OutputSize => Description.OutputSize;
    public Span<float> Parameters => _params;
    public Span<float> Gradients => _grads;
    public int Batch { get; private set; }
    public ReadOnlySpan<float> Logits => _logits;
    public ulong DropoutSeed { get; set; }

    /// <summary>The seed of the dropout and RReLU draws (<see cref="DropoutSeed"/>).</summary>
    public ulong RandomSeed => DropoutSeed;

    /// <summary>The training forwards so far: the next one keys its draws with it.</summary>
    public ulong RandomStep { get; set; }

    public void Initialize(ulong seed)
    {
        // PyTorch's nn.Linear default: U(-1/sqrt(in), 1/sqrt(in)) for weights and biases; PReLU 0.25.
        foreach (var t in Description.Parameters)
        {
            var rng = new Rng(seed, t.Name);
            bool prelu = false;
            int fanIn = t.Shape.Count == 2 ? t.Shape[1] : 1;
            foreach (var l in Description.Layers)
                if (t.Name.StartsWith(l.Name + ".", StringComparison.Ordinal))
                {
                    prelu = l.Kind == "PReLU";
                    fanIn = l.InputSize;
                }
            double bound = 1.0 / Math.Sqrt(fanIn);
            for (int i = 0; i < t.Length; i++)
                _params[t.Offset + i] = prelu ? 0.25f : (float)((rng.NextDouble() * 2 - 1) * bound);
        }
    }

    public void ZeroGrad() => Array.Clear(_grads);

    public string Summary(int batchSize = 1) => Description.FormatSummary(batchSize);

    private (int W, int B) DenseOffsets(LayerDescription l)
    {
        int w = Description.FindParameter(l.Name + ".weight")!.Offset;
        var b = Description.FindParameter(l.Name + ".bias");
        return (w, b?.Offset ?? -1);
    }

    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch = 1, bool training = false)
    {
        Batch = batch;
        _inputs.Clear();
        _outputs.Clear();
        _aux.Clear();
        ulong randomStep = RandomStep; // keys this pass's masks
        if (training) RandomStep++;
        float[] x = input.ToArray();
        var layers = Description.Layers;
        for (int li = 0; li < layers.Count; li++)
        {
            var l = layers[li];
            var args = Args(l.Arguments);
            int n = batch * l.OutputSize;
            var y = new float[n];
            float[]? aux = null;
            switch (l.Kind)
            {
                case "Dense":
                {
                    var (w, b) = DenseOffsets(l);
                    for (int r = 0; r < batch; r++)
                        for (int o = 0; o < l.OutputSize; o++)
                        {
                            double s = b >= 0 ? _params[b + o] : 0;
                            for (int i = 0; i < l.InputSize; i++) s += (double)x[r * l.InputSize + i] * _params[w + o * l.InputSize + i];
                            y[r * l.OutputSize + o] = (float)s;
                        }
                    break;
                }
                case "Softmax":
                    for (int r = 0; r < batch; r++)
                    {
                        double m = double.NegativeInfinity, s = 0;
                        for (int i = 0; i < l.OutputSize; i++) m = Math.Max(m, x[r * l.OutputSize + i]);
                        for (int i = 0; i < l.OutputSize; i++) s += Math.Exp(x[r * l.OutputSize + i] - m);
                        for (int i = 0; i < l.OutputSize; i++) y[r * l.OutputSize + i] = (float)(Math.Exp(x[r * l.OutputSize + i] - m) / s);
                    }
                    break;
                case "Dropout":
                    if (training)
                    {
                        aux = new float[n];
                        SourceGenNN.Kernels.Dropout.Forward(x, y, aux, Get(args, "p", 0.5f), CounterRandom.Key(DropoutSeed, li, randomStep));
                    }
                    else x.CopyTo(y, 0);
                    break;
                case "RReLU":
                {
                    float lo = Get(args, "lower", 0.125f), hi = Get(args, "upper", 1f / 3f);
                    if (training)
                    {
                        aux = new float[n];
                        RRelu.ForwardTraining(x, y, aux, lo, hi, CounterRandom.Key(DropoutSeed, li, randomStep));
                    }
                    else
                    {
                        var op = new LeakyReluOperator((lo + hi) / 2f);
                        for (int i = 0; i < n; i++) y[i] = op.Invoke(x[i]);
                    }
                    break;
                }
                case "PReLU":
                {
                    int a = Description.FindParameter(l.Name + ".weight")!.Offset;
                    bool shared = l.ParameterCount == 1;
                    for (int i = 0; i < n; i++)
                        y[i] = x[i] > 0 ? x[i] : _params[a + (shared ? 0 : i % l.OutputSize)] * x[i];
                    break;
                }
                case "Identity":
                    x.CopyTo(y, 0);
                    break;
                default:
                    for (int i = 0; i < n; i++) y[i] = Act(l, x[i], 0, derivative: false);
                    break;
            }
            _inputs.Add(x);
            _outputs.Add(y);
            _aux.Add(aux ?? []);
            x = y;
        }
        var last = layers.Count == 0 ? null : layers[^1];
        _logits = last is { Kind: "Softmax" or "Sigmoid" } ? _inputs[^1] : x;
        x.AsSpan(0, output.Length).CopyTo(output);
    }

    private static float Act(LayerDescription l, float z, float a, bool derivative)
    {
        var args = Args(l.Arguments);
        return l.Kind switch
        {
            "ReLU" => derivative ? new ReluOperator().Derivative(z, a) : new ReluOperator().Invoke(z),
            "Sigmoid" => derivative ? new SigmoidOperator().Derivative(z, a) : new SigmoidOperator().Invoke(z),
            "Tanh" => derivative ? new TanhOperator().Derivative(z, a) : new TanhOperator().Invoke(z),
            "GELU" => derivative ? new GeluOperator().Derivative(z, a) : new GeluOperator().Invoke(z),
            "SiLU" => derivative ? new SiluOperator().Derivative(z, a) : new SiluOperator().Invoke(z),
            "LeakyReLU" => derivative ? new LeakyReluOperator(Get(args, "slope", 0.01f)).Derivative(z, a) : new LeakyReluOperator(Get(args, "slope", 0.01f)).Invoke(z),
            "ELU" => derivative ? new EluOperator(Get(args, "alpha", 1f)).Derivative(z, a) : new EluOperator(Get(args, "alpha", 1f)).Invoke(z),
            _ => throw new NotSupportedException(l.Kind),
        };
    }

    public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient = default, bool fromLogits = false)
    {
        var layers = Description.Layers;
        float[] g = outputGradient.ToArray();
        int startLayer = layers.Count - 1;
        if (fromLogits && layers.Count > 0 && layers[^1].Kind is "Softmax" or "Sigmoid") startLayer--;
        for (int li = startLayer; li >= 0; li--)
        {
            var l = layers[li];
            float[] x = _inputs[li], y = _outputs[li];
            int batch = Batch, n = batch * l.OutputSize;
            var dx = new float[batch * l.InputSize];
            switch (l.Kind)
            {
                case "Dense":
                {
                    var (w, b) = DenseOffsets(l);
                    for (int o = 0; o < l.OutputSize; o++)
                    {
                        if (b >= 0)
                        {
                            double s = 0;
                            for (int r = 0; r < batch; r++) s += g[r * l.OutputSize + o];
                            _grads[b + o] += (float)s;
                        }
                        for (int i = 0; i < l.InputSize; i++)
                        {
                            double s = 0;
                            for (int r = 0; r < batch; r++) s += (double)g[r * l.OutputSize + o] * x[r * l.InputSize + i];
                            _grads[w + o * l.InputSize + i] += (float)s;
                        }
                    }
                    for (int r = 0; r < batch; r++)
                        for (int i = 0; i < l.InputSize; i++)
                        {
                            double s = 0;
                            for (int o = 0; o < l.OutputSize; o++) s += (double)g[r * l.OutputSize + o] * _params[w + o * l.InputSize + i];
                            dx[r * l.InputSize + i] = (float)s;
                        }
                    break;
                }
                case "Softmax":
                    for (int r = 0; r < batch; r++)
                    {
                        double dot = 0;
                        for (int i = 0; i < l.OutputSize; i++) dot += (double)g[r * l.OutputSize + i] * y[r * l.OutputSize + i];
                        for (int i = 0; i < l.OutputSize; i++) dx[r * l.OutputSize + i] = (float)(y[r * l.OutputSize + i] * (g[r * l.OutputSize + i] - dot));
                    }
                    break;
                case "Dropout":
                case "RReLU":
                    if (_aux[li].Length == 0) throw new InvalidOperationException("backward after an evaluation-mode forward");
                    for (int i = 0; i < n; i++) dx[i] = g[i] * _aux[li][i];
                    break;
                case "PReLU":
                {
                    int a = Description.FindParameter(l.Name + ".weight")!.Offset;
                    bool shared = l.ParameterCount == 1;
                    var acc = new double[l.ParameterCount];
                    for (int i = 0; i < n; i++)
                    {
                        int k = shared ? 0 : i % l.OutputSize;
                        if (x[i] > 0) dx[i] = g[i];
                        else
                        {
                            dx[i] = _params[a + k] * g[i];
                            acc[k] += (double)g[i] * x[i];
                        }
                    }
                    for (int k = 0; k < acc.Length; k++) _grads[a + k] += (float)acc[k];
                    break;
                }
                case "Identity":
                    g.CopyTo(dx, 0);
                    break;
                default:
                    for (int i = 0; i < n; i++) dx[i] = g[i] * Act(l, x[i], y[i], derivative: true);
                    break;
            }
            g = dx;
        }
        if (!inputGradient.IsEmpty) g.AsSpan(0, inputGradient.Length).CopyTo(inputGradient);
    }

    /// <summary>The loss of the last forward pass and its gradient (with respect to the logits for CE and BCE).</summary>
    public (double Loss, float[] Gradient, bool FromLogits) Loss(CudaLoss loss, ReadOnlySpan<float> target)
    {
        int batch = Batch, cols = OutputSize, n = batch * cols;
        var grad = new float[n];
        double total = 0;
        var last = Description.Layers.Count == 0 ? null : Description.Layers[^1];
        switch (loss)
        {
            case CudaLoss.CrossEntropy:
            {
                float[] z = last is { Kind: "Softmax" } ? _inputs[^1] : _outputs[^1];
                for (int r = 0; r < batch; r++)
                {
                    double m = double.NegativeInfinity, s = 0, ys = 0;
                    for (int i = 0; i < cols; i++) { m = Math.Max(m, z[r * cols + i]); ys += target[r * cols + i]; }
                    for (int i = 0; i < cols; i++) s += Math.Exp(z[r * cols + i] - m);
                    double lse = m + Math.Log(s);
                    for (int i = 0; i < cols; i++)
                    {
                        double p = Math.Exp(z[r * cols + i] - lse);
                        grad[r * cols + i] = (float)((p * ys - target[r * cols + i]) / batch);
                        total += target[r * cols + i] * (lse - z[r * cols + i]);
                    }
                }
                return (total / batch, grad, last is { Kind: "Softmax" });
            }
            case CudaLoss.BinaryCrossEntropy:
            {
                float[] z = last is { Kind: "Sigmoid" } ? _inputs[^1] : _outputs[^1];
                for (int i = 0; i < n; i++)
                {
                    double v = z[i], y = target[i];
                    total += Math.Max(v, 0) - v * y + Math.Log(1 + Math.Exp(-Math.Abs(v)));
                    grad[i] = (float)((1 / (1 + Math.Exp(-v)) - y) / n);
                }
                return (total / n, grad, last is { Kind: "Sigmoid" });
            }
            case CudaLoss.MeanSquaredError:
            {
                float[] o = _outputs[^1];
                for (int i = 0; i < n; i++)
                {
                    double d = o[i] - target[i];
                    total += d * d;
                    grad[i] = (float)(2 * d / n);
                }
                return (total / n, grad, false);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(loss));
        }
    }

    private float[]? _m, _v;
    private long _step;

    /// <summary>One optimiser step (PyTorch semantics) from the current gradients.</summary>
    public void Update(CudaOptimizer o)
    {
        _step++;
        _m ??= new float[_params.Length];
        _v ??= new float[_params.Length];
        for (int i = 0; i < _params.Length; i++)
        {
            float p = _params[i], g = _grads[i];
            if (o.Kind == CudaOptimizerKind.Sgd)
            {
                float d = g + o.WeightDecay * p;
                if (o.Momentum != 0f)
                {
                    float b = _step == 1 ? d : o.Momentum * _m[i] + (1f - o.Dampening) * d;
                    _m[i] = b;
                    d = o.Nesterov ? d + o.Momentum * b : b;
                }
                _params[i] = p - o.LearningRate * d;
            }
            else
            {
                if (o.DecoupledWeightDecay) p *= 1f - o.LearningRate * o.WeightDecay;
                else g += o.WeightDecay * p;
                _m[i] = o.Beta1 * _m[i] + (1f - o.Beta1) * g;
                _v[i] = o.Beta2 * _v[i] + (1f - o.Beta2) * g * g;
                double bc1 = 1 - Math.Pow(o.Beta1, _step), bc2 = 1 - Math.Pow(o.Beta2, _step);
                _params[i] = (float)(p - o.LearningRate / bc1 * _m[i] / (Math.Sqrt(_v[i]) / Math.Sqrt(bc2) + o.Epsilon));
            }
        }
    }

    /// <summary>Zero grad, forward (training), loss, backward, update: what CudaNetwork.TrainStep does.</summary>
    public double TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int batch, CudaLoss loss, CudaOptimizer? optimizer)
    {
        ZeroGrad();
        var output = new float[batch * OutputSize];
        Forward(input, output, batch, training: true);
        var (value, grad, fromLogits) = Loss(loss, target);
        Backward(grad, default, fromLogits);
        if (optimizer is not null) Update(optimizer);
        return value;
    }

    private static Dictionary<string, float> Args(string text)
    {
        var d = new Dictionary<string, float>(StringComparer.OrdinalIgnoreCase);
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq > 0 && float.TryParse(part[(eq + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float f))
                d[part[..eq].Trim()] = f;
        }
        return d;
    }

    private static float Get(Dictionary<string, float> d, string k, float fallback) => d.TryGetValue(k, out float v) ? v : fallback;
}
