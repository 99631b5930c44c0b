using System;
using System.Collections.Generic;
using SourceGenNN;
using SourceGenNN.Cuda;
using SourceGenNN.Kernels;
using SourceGenNN.Testing;

namespace GpuCheck;

/// <summary>Each generated kernel, launched on its own and compared with the CPU path.</summary>
internal sealed class KernelChecks
{
    private readonly CudaDevice _gpu;
    private readonly List<CudaModule> _modules = new();
    private readonly Random _r = new(11);

    public KernelChecks(CudaDevice gpu)
    {
        _gpu = gpu;
        // Between them these networks use every kernel the checks below launch.
        foreach (var (d, o) in new[]
                 {
                     (new CheckZoo().Description, new CudaTrainingOptions(CudaLoss.BinaryCrossEntropy, CudaOptimizer.Sgd(0.1f, 0.9f, nesterov: true))),
                     (new CheckMlp().Description, new CudaTrainingOptions(CudaLoss.CrossEntropy, CudaOptimizer.Adam(1e-3f))),
                     (new CheckRegressor().Description, new CudaTrainingOptions(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f))),
                     (new CheckChannels().Description, new CudaTrainingOptions(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f))),
                     (new CheckTwoInputs().Description, new CudaTrainingOptions(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f))),
                     (new CheckResidual().Description, new CudaTrainingOptions(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f))),
                     (new CheckSdpaSelf().Description, new CudaTrainingOptions(CudaLoss.MeanSquaredError, CudaOptimizer.Sgd(0.1f))),
                 })
        {
            var src = CudaKernelSource.Generate(d, o);
            var module = CudaModule.Load(gpu, src.Text);
            Program.Log($"compiled {d.Name}: {src.Kernels.Count} kernels for {module.Architecture}{(module.LoadedFromPtx ? " (PTX fallback)" : "")}");
            _modules.Add(module);
        }
    }

    private IntPtr Fn(string name)
    {
        foreach (var m in _modules)
        {
            try
            {
                return m.Function(name);
            }
            catch (CudaException)
            {
            }
        }
        throw new InvalidOperationException("no module has kernel " + name);
    }

    private void Elementwise(string name, long n, params ReadOnlySpan<KernelArg> args)
    {
        KernelLauncher.Launch(Fn(name), (KernelLauncher.Blocks(n, 256), 1), (256, 1), 0, _gpu.Stream, args);
        _gpu.Synchronize();
    }

    private void Rows(string name, int rows, int cols, params ReadOnlySpan<KernelArg> args)
    {
        uint t = 32;
        while (t < 256 && t < cols) t <<= 1;
        KernelLauncher.Launch(Fn(name), ((uint)rows, 1), (t, 1), 0, _gpu.Stream, args);
        _gpu.Synchronize();
    }

    private static DeviceBuffer Up(float[] a)
    {
        var b = new DeviceBuffer(a.Length);
        b.Upload(a);
        return b;
    }

    private static unsafe DeviceBuffer Counters(ulong step, ulong forwards)
    {
        // [steps, training forwards, guard, skip]: CudaNetwork's layout; the guard off, no step skipped.
        var b = new DeviceBuffer(4, sizeof(ulong));
        ulong* v = stackalloc ulong[4];
        v[0] = step;
        v[1] = forwards;
        v[2] = 0;
        v[3] = 0;
        Check.Runtime(CudaNative.cudaMemcpy(b.Pointer, (IntPtr)v, 32, CudaNative.MemcpyHostToDevice));
        return b;
    }

    public IEnumerable<(string, Func<string?>)> All()
    {
        foreach (var (act, p) in new[]
                 {
                     (CudaActivation.Identity, 0f), (CudaActivation.ReLU, 0f), (CudaActivation.Sigmoid, 0f), (CudaActivation.Tanh, 0f),
                     (CudaActivation.LeakyReLU, 0.2f), (CudaActivation.ELU, 0.5f), (CudaActivation.GELU, 0f), (CudaActivation.SiLU, 0f),
                 })
        {
            yield return ($"kernel {CudaActivations.ForwardKernel(act)} (bias fused)", () => ActivationForward(act, p));
            if (act != CudaActivation.Identity)
                yield return ($"kernel {CudaActivations.BackwardKernel(act)}", () => ActivationBackward(act, p));
        }
        yield return ("kernel sgnn_softmax_forward", SoftmaxForward);
        yield return ("kernel sgnn_softmax_backward", SoftmaxBackward);
        yield return ("kernel sgnn_softmax_cross_entropy", CrossEntropy);
        yield return ("kernel sgnn_sigmoid_bce", Bce);
        yield return ("kernel sgnn_mse", Mse);
        yield return ("kernel sgnn_dropout_forward (masks identical to the CPU's)", DropoutMask);
        yield return ("kernel sgnn_rrelu_forward_train (slopes identical to the CPU's)", RReluSlopes);
        yield return ("kernel sgnn_prelu_forward/backward (per channel and shared)", PRelu);
        yield return ("kernel sgnn_channel_sum", ChannelSum);
        yield return ("kernels sgnn_layer_norm_forward/backward_input/backward_params", LayerNorm);
        yield return ("kernels sgnn_attention_softmax/backward (key lengths incl. 0, causal, scores of ±1e4, the CPU's dropout draws)", AttentionSoftmax);
        yield return ("kernels sgnn_write_blocks/sgnn_read_blocks (concatenation and its inverse)", Blocks);
        yield return ("kernel sgnn_add_inplace", AddInPlace);
        yield return ("kernel sgnn_column_sum", ColumnSum);
        yield return ("kernel sgnn_sum", Sum);
        yield return ("kernel sgnn_multiply", Multiply);
        yield return ("kernel sgnn_sgd (momentum, Nesterov, weight decay; 2 steps)", Sgd);
        yield return ("kernel sgnn_adam (bias correction, L2; 2 steps)", () => Adam(false));
        yield return ("kernel sgnn_adam (AdamW, decoupled; 2 steps)", () => Adam(true));
    }

    private static float Cpu(CudaActivation a, float p, float z, float y, bool derivative)
    {
        IActivationOperatorBox op = a switch
        {
            CudaActivation.Identity => new Box<IdentityOperator>(default),
            CudaActivation.ReLU => new Box<ReluOperator>(default),
            CudaActivation.Sigmoid => new Box<SigmoidOperator>(default),
            CudaActivation.Tanh => new Box<TanhOperator>(default),
            CudaActivation.LeakyReLU => new Box<LeakyReluOperator>(new LeakyReluOperator(p)),
            CudaActivation.ELU => new Box<EluOperator>(new EluOperator(p)),
            CudaActivation.GELU => new Box<GeluOperator>(default),
            _ => new Box<SiluOperator>(default),
        };
        return derivative ? op.Derivative(z, y) : op.Invoke(z);
    }

    private interface IActivationOperatorBox
    {
        float Invoke(float z);
        float Derivative(float z, float a);
    }

    private sealed class Box<T>(T op) : IActivationOperatorBox where T : struct, IActivationOperator
    {
        public float Invoke(float z) => op.Invoke(z);
        public float Derivative(float z, float a) => op.Derivative(z, a);
    }

    private string? ActivationForward(CudaActivation act, float p)
    {
        int rows = 7, cols = 13, n = rows * cols;
        float[] z = Program.RandomArray(_r, n, 4), bias = Program.RandomArray(_r, cols);
        var zb = new float[n];
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            zb[i] = z[i] + bias[i % cols];
            a[i] = Cpu(act, p, zb[i], 0, false);
        }
        using DeviceBuffer dz = Up(z), db = Up(bias), da = new(n);
        Elementwise(CudaActivations.ForwardKernel(act), n, KernelArg.Ptr(dz.Pointer), KernelArg.Ptr(db.Pointer), KernelArg.Ptr(da.Pointer),
            KernelArg.Int(rows), KernelArg.Int(cols), KernelArg.Float(p));
        return Program.Compare(dz.ToArray(), zb, "z + bias") ?? Program.Compare(da.ToArray(), a, "activation");
    }

    private string? ActivationBackward(CudaActivation act, float p)
    {
        int n = 1000;
        float[] z = Program.RandomArray(_r, n, 4), g = Program.RandomArray(_r, n);
        var a = new float[n];
        var expected = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = Cpu(act, p, z[i], 0, false);
            expected[i] = g[i] * Cpu(act, p, z[i], a[i], true);
        }
        using DeviceBuffer dz = Up(z), daa = Up(a), dg = Up(g), dout = new(n);
        Elementwise(CudaActivations.BackwardKernel(act), n, KernelArg.Ptr(dz.Pointer), KernelArg.Ptr(daa.Pointer), KernelArg.Ptr(dg.Pointer),
            KernelArg.Ptr(dout.Pointer), KernelArg.Int(n), KernelArg.Float(p));
        return Program.Compare(dout.ToArray(), expected, "dz");
    }

    private static float[] CpuSoftmax(float[] z, int rows, int cols)
    {
        var a = new float[z.Length];
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (int i = 0; i < cols; i++) m = Math.Max(m, z[r * cols + i]);
            for (int i = 0; i < cols; i++) s += Math.Exp(z[r * cols + i] - m);
            for (int i = 0; i < cols; i++) a[r * cols + i] = (float)(Math.Exp(z[r * cols + i] - m) / s);
        }
        return a;
    }

    private string? SoftmaxForward()
    {
        foreach (var (rows, cols) in new[] { (5, 300), (9, 10), (3, 1) })
        {
            float[] z = Program.RandomArray(_r, rows * cols, 20);
            using DeviceBuffer dz = Up(z), da = new(rows * cols);
            Rows("sgnn_softmax_forward", rows, cols, KernelArg.Ptr(dz.Pointer), KernelArg.Ptr(da.Pointer), KernelArg.Int(rows), KernelArg.Int(cols));
            string? f = Program.Compare(da.ToArray(), CpuSoftmax(z, rows, cols), $"softmax {rows}x{cols}");
            if (f is not null) return f;
        }
        return null;
    }

    private string? SoftmaxBackward()
    {
        int rows = 6, cols = 270;
        float[] a = CpuSoftmax(Program.RandomArray(_r, rows * cols, 3), rows, cols), g = Program.RandomArray(_r, rows * cols);
        var expected = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            double dot = 0;
            for (int i = 0; i < cols; i++) dot += (double)g[r * cols + i] * a[r * cols + i];
            for (int i = 0; i < cols; i++) expected[r * cols + i] = (float)(a[r * cols + i] * (g[r * cols + i] - dot));
        }
        using DeviceBuffer da = Up(a), dg = Up(g), dz = new(rows * cols);
        Rows("sgnn_softmax_backward", rows, cols, KernelArg.Ptr(da.Pointer), KernelArg.Ptr(dg.Pointer), KernelArg.Ptr(dz.Pointer), KernelArg.Int(rows), KernelArg.Int(cols));
        return Program.Compare(dz.ToArray(), expected, "softmax backward");
    }

    private string? CrossEntropy()
    {
        int rows = 9, cols = 10;
        float[] z = Program.RandomArray(_r, rows * cols, 5);
        var y = new float[rows * cols];
        for (int r = 0; r < rows; r++) y[r * cols + _r.Next(cols)] = 1f;
        var grad = new float[rows * cols];
        var loss = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (int i = 0; i < cols; i++) m = Math.Max(m, z[r * cols + i]);
            for (int i = 0; i < cols; i++) s += Math.Exp(z[r * cols + i] - m);
            double lse = m + Math.Log(s), l = 0;
            for (int i = 0; i < cols; i++)
            {
                grad[r * cols + i] = (float)((Math.Exp(z[r * cols + i] - lse) - y[r * cols + i]) / rows);
                l += y[r * cols + i] * (lse - z[r * cols + i]);
            }
            loss[r] = (float)l;
        }
        using DeviceBuffer dz = Up(z), dy = Up(y), dg = new(rows * cols), dl = new(rows);
        Rows("sgnn_softmax_cross_entropy", rows, cols, KernelArg.Ptr(dz.Pointer), KernelArg.Ptr(dy.Pointer), KernelArg.Ptr(dg.Pointer),
            KernelArg.Ptr(dl.Pointer), KernelArg.Int(rows), KernelArg.Int(cols), KernelArg.Float(1f / rows));
        return Program.Compare(dg.ToArray(), grad, "dlogits") ?? Program.Compare(dl.ToArray(), loss, "row losses");
    }

    private string? Bce()
    {
        int n = 500;
        float[] z = Program.RandomArray(_r, n, 30);
        var y = new float[n];
        for (int i = 0; i < n; i++) y[i] = _r.Next(2);
        var grad = new float[n];
        var loss = new float[n];
        for (int i = 0; i < n; i++)
        {
            double v = z[i];
            loss[i] = (float)(Math.Max(v, 0) - v * y[i] + Math.Log(1 + Math.Exp(-Math.Abs(v))));
            grad[i] = (float)((1 / (1 + Math.Exp(-v)) - y[i]) / n);
        }
        using DeviceBuffer dz = Up(z), dy = Up(y), dg = new(n), dl = new(n);
        Elementwise("sgnn_sigmoid_bce", n, KernelArg.Ptr(dz.Pointer), KernelArg.Ptr(dy.Pointer), KernelArg.Ptr(dg.Pointer), KernelArg.Ptr(dl.Pointer),
            KernelArg.Int(n), KernelArg.Float(1f / n));
        return Program.Compare(dg.ToArray(), grad, "grad") ?? Program.Compare(dl.ToArray(), loss, "loss");
    }

    private string? Mse()
    {
        int n = 500;
        float[] o = Program.RandomArray(_r, n, 3), y = Program.RandomArray(_r, n, 3);
        var grad = new float[n];
        var loss = new float[n];
        for (int i = 0; i < n; i++)
        {
            double d = (double)o[i] - y[i];
            loss[i] = (float)(d * d);
            grad[i] = (float)(2 * d / n);
        }
        using DeviceBuffer d0 = Up(o), dy = Up(y), dg = new(n), dl = new(n);
        Elementwise("sgnn_mse", n, KernelArg.Ptr(d0.Pointer), KernelArg.Ptr(dy.Pointer), KernelArg.Ptr(dg.Pointer), KernelArg.Ptr(dl.Pointer),
            KernelArg.Int(n), KernelArg.Float(1f / n));
        return Program.Compare(dg.ToArray(), grad, "grad") ?? Program.Compare(dl.ToArray(), loss, "loss");
    }

    private string? DropoutMask()
    {
        int n = 4099;
        float p = 0.3f;
        ulong seed = 0x1234_5678_9ABCUL;
        float[] x = Program.RandomArray(_r, n);
        var y = new float[n];
        var mask = new float[n];
        Dropout.Forward(x, y, mask, p, CounterRandom.Key(seed, 5, 7));
        using DeviceBuffer dx = Up(x), dy = new(n), dm = new(n), c = Counters(0, 7);
        Elementwise("sgnn_dropout_forward", n, KernelArg.Ptr(dx.Pointer), KernelArg.Ptr(dy.Pointer), KernelArg.Ptr(dm.Pointer), KernelArg.Int(n),
            KernelArg.Float(p), KernelArg.U64(seed), KernelArg.Int(5), KernelArg.Ptr(c.Pointer));
        return Program.Compare(dm.ToArray(), mask, "mask", 0) ?? Program.Compare(dy.ToArray(), y, "y", 1e-6);
    }

    private string? RReluSlopes()
    {
        int n = 3001;
        ulong seed = 99;
        float[] z = Program.RandomArray(_r, n);
        var a = new float[n];
        var slopes = new float[n];
        RRelu.ForwardTraining(z, a, slopes, 0.1f, 0.3f, CounterRandom.Key(seed, 10, 3));
        using DeviceBuffer dz = Up(z), da = new(n), ds = new(n), c = Counters(0, 3);
        Elementwise("sgnn_rrelu_forward_train", n, KernelArg.Ptr(dz.Pointer), KernelArg.Ptr(da.Pointer), KernelArg.Ptr(ds.Pointer), KernelArg.Int(n),
            KernelArg.Float(0.1f), KernelArg.Float(0.3f), KernelArg.U64(seed), KernelArg.Int(10), KernelArg.Ptr(c.Pointer));
        return Program.Compare(ds.ToArray(), slopes, "slopes", 1e-6) ?? Program.Compare(da.ToArray(), a, "a", 1e-6);
    }

    private string? PRelu()
    {
        foreach (var (shared, inner) in new[] { (false, 1), (true, 1), (false, 5) })
        {
            int batch = 33, channels = 12, f = channels * inner, n = batch * f;
            float[] z = Program.RandomArray(_r, n), alpha = Program.RandomArray(_r, shared ? 1 : channels), g = Program.RandomArray(_r, n);
            var a = new float[n];
            var dz = new float[n];
            var contrib = new float[n];
            for (int i = 0; i < n; i++)
            {
                float s = alpha[shared ? 0 : i % f / inner];
                a[i] = z[i] > 0 ? z[i] : s * z[i];
                dz[i] = z[i] > 0 ? g[i] : s * g[i];
                contrib[i] = z[i] > 0 ? 0 : g[i] * z[i];
            }
            using DeviceBuffer dzb = Up(z), dal = Up(alpha), dab = new(n), dg = Up(g), ddz = new(n), dc = new(n);
            Elementwise("sgnn_prelu_forward", n, KernelArg.Ptr(dzb.Pointer), KernelArg.Ptr(dal.Pointer), KernelArg.Ptr(dab.Pointer),
                KernelArg.Int(batch), KernelArg.Int(channels), KernelArg.Int(inner), KernelArg.Int(shared ? 1 : 0));
            Elementwise("sgnn_prelu_backward", n, KernelArg.Ptr(dzb.Pointer), KernelArg.Ptr(dal.Pointer), KernelArg.Ptr(dg.Pointer), KernelArg.Ptr(ddz.Pointer),
                KernelArg.Ptr(dc.Pointer), KernelArg.Int(batch), KernelArg.Int(channels), KernelArg.Int(inner), KernelArg.Int(shared ? 1 : 0));
            string? f1 = Program.Compare(dab.ToArray(), a, $"a (shared={shared}, inner={inner})") ?? Program.Compare(ddz.ToArray(), dz, $"dz (shared={shared}, inner={inner})")
                ?? Program.Compare(dc.ToArray(), contrib, $"contrib (shared={shared}, inner={inner})");
            if (f1 is not null) return f1;
        }
        return null;
    }

    private string? ChannelSum()
    {
        int batch = 9, channels = 5, inner = 37;
        float[] x = Program.RandomArray(_r, batch * channels * inner);
        var expected = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double s = 0;
            for (int n = 0; n < batch; n++)
                for (int j = 0; j < inner; j++) s += x[(n * channels + c) * inner + j];
            expected[c] = (float)s;
        }
        using DeviceBuffer dx = Up(x), dout = new(channels);
        KernelLauncher.Launch(Fn("sgnn_channel_sum"), ((uint)channels, 1), (256, 1), 0, _gpu.Stream,
            [KernelArg.Ptr(dx.Pointer), KernelArg.Ptr(dout.Pointer), KernelArg.Int(batch), KernelArg.Int(channels), KernelArg.Int(inner)]);
        _gpu.Synchronize();
        return Program.Compare(dout.ToArray(), expected, "channel sums");
    }

    private string? LayerNorm()
    {
        foreach (bool affine in new[] { true, false })
        {
            int rows = 45, size = 21, n = rows * size; // 45 rows: more than one 32-row stripe of the parameter reduction
            float[] x = Program.RandomArray(_r, n, 3), w = affine ? Program.RandomArray(_r, size) : [], b = affine ? Program.RandomArray(_r, size) : [];
            float[] dy = Program.RandomArray(_r, n);
            var y = new float[n];
            var mean = new float[rows];
            var rstd = new float[rows];
            var dx = new float[n];
            var dw = new float[size];
            var db = new float[size];
            SourceGenNN.Kernels.LayerNorm.Forward(x, w, b, y, mean, rstd, rows, size, 1e-5f);
            SourceGenNN.Kernels.LayerNorm.Backward(x, w, mean, rstd, dy, dx, affine ? dw : default, affine ? db : default, rows, size, accumulate: false);
            using DeviceBuffer dxb = Up(x), dwb = Up(affine ? w : [0f]), dbb = Up(affine ? b : [0f]), dyb = new(n), dm = new(rows), dr = new(rows),
                dgy = Up(dy), ddx = new(n), ddw = new(size), ddb = new(size);
            IntPtr wp = affine ? dwb.Pointer : IntPtr.Zero, bp = affine ? dbb.Pointer : IntPtr.Zero;
            Rows("sgnn_layer_norm_forward", rows, size, KernelArg.Ptr(dxb.Pointer), KernelArg.Ptr(wp), KernelArg.Ptr(bp), KernelArg.Ptr(dyb.Pointer),
                KernelArg.Ptr(dm.Pointer), KernelArg.Ptr(dr.Pointer), KernelArg.Int(rows), KernelArg.Int(size), KernelArg.Float(1e-5f));
            Rows("sgnn_layer_norm_backward_input", rows, size, KernelArg.Ptr(dxb.Pointer), KernelArg.Ptr(wp), KernelArg.Ptr(dm.Pointer), KernelArg.Ptr(dr.Pointer),
                KernelArg.Ptr(dgy.Pointer), KernelArg.Ptr(ddx.Pointer), KernelArg.Int(rows), KernelArg.Int(size));
            string? f = Program.Compare(dyb.ToArray(), y, $"y (affine={affine})") ?? Program.Compare(dm.ToArray(), mean, "mean")
                ?? Program.Compare(dr.ToArray(), rstd, "1/σ") ?? Program.Compare(ddx.ToArray(), dx, $"dx (affine={affine})");
            if (f is not null) return f;
            if (!affine) continue;
            KernelLauncher.Launch(Fn("sgnn_layer_norm_backward_params"), ((uint)((size + 31) / 32), 1), (32, 32), 0, _gpu.Stream,
                [KernelArg.Ptr(dxb.Pointer), KernelArg.Ptr(dm.Pointer), KernelArg.Ptr(dr.Pointer), KernelArg.Ptr(dgy.Pointer), KernelArg.Ptr(ddw.Pointer),
                 KernelArg.Ptr(ddb.Pointer), KernelArg.Int(rows), KernelArg.Int(size)]);
            _gpu.Synchronize();
            f = Program.Compare(ddw.ToArray(), dw, "dw") ?? Program.Compare(ddb.ToArray(), db, "db");
            if (f is not null) return f;
        }
        return null;
    }

    /// <summary>
    /// The fused attention softmax on scores [batch, H, T, S] against the definition, in double: per row (n, h, t) the
    /// keys s &lt; valid = min(lengths[n], t + 1 if causal) get softmax(scale·z), the others 0; the dropout mask is
    /// CounterRandom's draw at index row·S + s. Then the backward kernel: dz = scale·w·(g·m − Σ g·m·w).
    /// </summary>
    private string? AttentionSoftmax()
    {
        const int batch = 4, heads = 2, T = 5, S = 6, layer = 3;
        const float p = 0.3f, scale = 0.5f;
        const ulong seed = 41, forwards = 7;
        int rows = batch * heads * T, n = rows * S;
        float[] lengths = [0, 6, 3, 1];
        foreach (bool causal in new[] { false, true })
            foreach (bool drop in new[] { false, true })
            {
                // Scores in the ten thousands: without the row maximum subtracted, expf would overflow.
                float[] z = Program.RandomArray(_r, n, 2e4), g = Program.RandomArray(_r, n);
                var w = new double[n];
                var m = new double[n];
                var dz = new float[n];
                ulong key = CounterRandom.Key(seed, layer, forwards);
                for (int r = 0; r < rows; r++)
                {
                    int t = r % T, b = r / (heads * T);
                    int valid = (int)lengths[b];
                    if (causal) valid = Math.Min(valid, t + 1);
                    double max = double.NegativeInfinity, sum = 0, dot = 0;
                    for (int s = 0; s < valid; s++) max = Math.Max(max, z[r * S + s]);
                    for (int s = 0; s < valid; s++) sum += Math.Exp((z[r * S + s] - max) * scale);
                    for (int s = 0; s < S; s++)
                    {
                        int i = r * S + s;
                        w[i] = s < valid ? Math.Exp((z[i] - max) * scale) / sum : 0;
                        m[i] = !drop ? 1 : CounterRandom.Uniform(key, (ulong)i) < p ? 0 : 1f / (1f - p);
                        dot += g[i] * m[i] * w[i];
                    }
                    for (int s = 0; s < S; s++)
                    {
                        int i = r * S + s;
                        dz[i] = (float)(scale * w[i] * (g[i] * m[i] - dot));
                    }
                }
                using DeviceBuffer dw = Up(z), dl = Up(lengths), dd = new(n), dm = new(n), dg = Up(g), counters = Counters(0, forwards);
                Rows("sgnn_attention_softmax", rows, S, KernelArg.Ptr(dw.Pointer), KernelArg.Ptr(drop ? dd.Pointer : IntPtr.Zero),
                    KernelArg.Ptr(drop ? dm.Pointer : IntPtr.Zero), KernelArg.Ptr(dl.Pointer), KernelArg.Int(rows), KernelArg.Int(heads), KernelArg.Int(T),
                    KernelArg.Int(S), KernelArg.Int(causal ? 1 : 0), KernelArg.Float(scale), KernelArg.Float(drop ? p : 0f), KernelArg.U64(seed),
                    KernelArg.Int(layer), KernelArg.Ptr(counters.Pointer));
                string what = $"(causal={causal}, dropout={drop})";
                float[] weights = dw.ToArray();
                string? f = Program.Compare(weights, Array.ConvertAll(w, v => (float)v), "weights " + what);
                if (f is not null) return f;
                if (Array.Exists(weights, v => !float.IsFinite(v))) return "a weight is not finite " + what;
                if (drop)
                {
                    float[] expectedMask = Array.ConvertAll(m, v => (float)v), expectedDropped = new float[n];
                    for (int i = 0; i < n; i++) expectedDropped[i] = (float)(w[i] * m[i]);
                    f = Program.Compare(dm.ToArray(), expectedMask, "dropout mask " + what) ?? Program.Compare(dd.ToArray(), expectedDropped, "dropped weights " + what);
                    if (f is not null) return f;
                }
                Rows("sgnn_attention_softmax_backward", rows, S, KernelArg.Ptr(dw.Pointer), KernelArg.Ptr(drop ? dm.Pointer : IntPtr.Zero),
                    KernelArg.Ptr(dg.Pointer), KernelArg.Int(rows), KernelArg.Int(S), KernelArg.Float(scale));
                f = Program.Compare(dg.ToArray(), dz, "dz " + what);
                if (f is not null) return f;
            }
        return null;
    }

    private string? Blocks()
    {
        int rows = 17, block = 5, total = 13, offset = 6;
        float[] src = Program.RandomArray(_r, rows * block), dst = Program.RandomArray(_r, rows * total);
        var written = (float[])dst.Clone();
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < block; j++) written[r * total + offset + j] = src[r * block + j];
        using DeviceBuffer ds = Up(src), dd = Up(dst), back = new(rows * block);
        Elementwise("sgnn_write_blocks", rows * block, KernelArg.Ptr(ds.Pointer), KernelArg.Ptr(dd.Pointer), KernelArg.Int(rows), KernelArg.Int(block),
            KernelArg.Int(total), KernelArg.Int(offset));
        Elementwise("sgnn_read_blocks", rows * block, KernelArg.Ptr(dd.Pointer), KernelArg.Ptr(back.Pointer), KernelArg.Int(rows), KernelArg.Int(block),
            KernelArg.Int(total), KernelArg.Int(offset));
        return Program.Compare(dd.ToArray(), written, "written blocks", 0) ?? Program.Compare(back.ToArray(), src, "read back", 0);
    }

    private string? AddInPlace()
    {
        int n = 1001;
        float[] y = Program.RandomArray(_r, n), x = Program.RandomArray(_r, n);
        var e = new float[n];
        for (int i = 0; i < n; i++) e[i] = y[i] + x[i];
        using DeviceBuffer dy = Up(y), dx = Up(x);
        Elementwise("sgnn_add_inplace", n, KernelArg.Ptr(dy.Pointer), KernelArg.Ptr(dx.Pointer), KernelArg.U64((ulong)n));
        return Program.Compare(dy.ToArray(), e, "y + x");
    }

    private string? ColumnSum()
    {
        foreach (var (rows, cols) in new[] { (1000, 70), (1, 3), (4096, 33) })
        {
            float[] x = Program.RandomArray(_r, rows * cols);
            var expected = new float[cols];
            for (int c = 0; c < cols; c++)
            {
                double s = 0;
                for (int r = 0; r < rows; r++) s += x[r * cols + c];
                expected[c] = (float)s;
            }
            using DeviceBuffer dx = Up(x), dout = new(cols);
            KernelLauncher.Launch(Fn("sgnn_column_sum"), ((uint)((cols + 31) / 32), 1), (32, 32), 0, _gpu.Stream,
                [KernelArg.Ptr(dx.Pointer), KernelArg.Ptr(dout.Pointer), KernelArg.Int(rows), KernelArg.Int(cols)]);
            _gpu.Synchronize();
            string? f = Program.Compare(dout.ToArray(), expected, $"column sums {rows}x{cols}");
            if (f is not null) return f;
        }
        return null;
    }

    private string? Sum()
    {
        int n = 5000;
        float[] x = Program.RandomArray(_r, n);
        double s = 0;
        foreach (float v in x) s += v;
        using DeviceBuffer dx = Up(x), dout = new(1);
        KernelLauncher.Launch(Fn("sgnn_sum"), (1, 1), (256, 1), 0, _gpu.Stream,
            [KernelArg.Ptr(dx.Pointer), KernelArg.Ptr(dout.Pointer), KernelArg.Int(n), KernelArg.Float(0.5f)]);
        _gpu.Synchronize();
        return Program.Compare(dout.ToArray(), [(float)(0.5 * s)], "0.5·sum");
    }

    private string? Multiply()
    {
        int n = 777;
        float[] x = Program.RandomArray(_r, n), y = Program.RandomArray(_r, n);
        var e = new float[n];
        for (int i = 0; i < n; i++) e[i] = x[i] * y[i];
        using DeviceBuffer dx = Up(x), dy = Up(y), dout = new(n);
        Elementwise("sgnn_multiply", n, KernelArg.Ptr(dx.Pointer), KernelArg.Ptr(dy.Pointer), KernelArg.Ptr(dout.Pointer), KernelArg.Int(n));
        return Program.Compare(dout.ToArray(), e, "x·y");
    }

    private string? Sgd()
    {
        int n = 1000;
        var o = CudaOptimizer.Sgd(0.05f, momentum: 0.9f, dampening: 0.1f, weightDecay: 0.01f, nesterov: true);
        float[] p = Program.RandomArray(_r, n), buf = new float[n];
        using DeviceBuffer dp = Up(p), dbuf = new(n), lr = Up([o.LearningRate]);
        dbuf.Upload(new float[n]);
        for (ulong step = 1; step <= 2; step++)
        {
            float[] g = Program.RandomArray(_r, n);
            for (int i = 0; i < n; i++)
            {
                float d = g[i] + o.WeightDecay * p[i];
                float b = step == 1 ? d : o.Momentum * buf[i] + (1f - o.Dampening) * d;
                buf[i] = b;
                d = d + o.Momentum * b;
                p[i] -= o.LearningRate * d;
            }
            using DeviceBuffer dg = Up(g), c = Counters(step, 0);
            Elementwise("sgnn_sgd", n, KernelArg.Ptr(dp.Pointer), KernelArg.Ptr(dg.Pointer), KernelArg.Ptr(dbuf.Pointer), KernelArg.Int(n), KernelArg.Ptr(lr.Pointer),
                KernelArg.Float(o.Momentum), KernelArg.Float(o.Dampening), KernelArg.Float(o.WeightDecay), KernelArg.Int(1), KernelArg.Ptr(c.Pointer));
        }
        return Program.Compare(dp.ToArray(), p, "parameters after 2 steps", 1e-5) ?? Program.Compare(dbuf.ToArray(), buf, "momentum buffer", 1e-5);
    }

    private string? Adam(bool decoupled)
    {
        int n = 1000;
        var o = decoupled ? CudaOptimizer.AdamW(0.01f, weightDecay: 0.1f) : CudaOptimizer.Adam(0.01f, weightDecay: 0.05f);
        float[] p = Program.RandomArray(_r, n), m = new float[n], v = new float[n];
        using DeviceBuffer dp = Up(p), dm = Up(m), dv = Up(v), lr = Up([o.LearningRate]);
        for (ulong step = 1; step <= 2; step++)
        {
            float[] g = Program.RandomArray(_r, n);
            double bc1 = 1 - Math.Pow(o.Beta1, step), bc2 = 1 - Math.Pow(o.Beta2, step);
            for (int i = 0; i < n; i++)
            {
                double w = p[i], gr = g[i];
                if (decoupled) w *= 1 - (double)o.LearningRate * o.WeightDecay;
                else gr += o.WeightDecay * w;
                m[i] = (float)(o.Beta1 * m[i] + (1 - o.Beta1) * gr);
                v[i] = (float)(o.Beta2 * v[i] + (1 - o.Beta2) * gr * gr);
                p[i] = (float)(w - o.LearningRate / bc1 * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(bc2) + o.Epsilon));
            }
            using DeviceBuffer dg = Up(g), c = Counters(step, 0);
            Elementwise("sgnn_adam", n, KernelArg.Ptr(dp.Pointer), KernelArg.Ptr(dg.Pointer), KernelArg.Ptr(dm.Pointer), KernelArg.Ptr(dv.Pointer),
                KernelArg.Int(n), KernelArg.Ptr(lr.Pointer), KernelArg.Float(o.Beta1), KernelArg.Float(o.Beta2), KernelArg.Float(o.Epsilon),
                KernelArg.Float(o.WeightDecay), KernelArg.Int(decoupled ? 1 : 0), KernelArg.Ptr(c.Pointer));
        }
        return Program.Compare(dp.ToArray(), p, "parameters after 2 steps", 1e-4) ?? Program.Compare(dm.ToArray(), m, "m", 1e-4);
    }
}
