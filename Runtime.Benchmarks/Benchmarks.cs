using BenchmarkDotNet.Attributes;
using SourceGenNN.Kernels;
using SourceGenNN.Training;

namespace SourceGenNN.Benchmarks;

// One class per workload; in each, "Generated" is the library (generated network, Trainer, library optimiser),
// "Plain" is the hand-written float[] version of the same math (Plain/), and "OnnxRuntime" (forward workloads) the
// same network in ONNX Runtime (OnnxPeer.cs). All start from the same weights and data.
// Class names start with the workload's id; compare.py reads them from the result JSON.
// Every setup sets Parallelism.MaxThreads (its default is the processor count): 1 everywhere except the W5 two-thread
// benchmark. The plain versions are single-threaded.

/// <summary>W1: train step, 784-128(ReLU)-10, cross entropy, Adam, batch 64.</summary>
[MemoryDiagnoser]
public class W1_TrainMlp
{
    private TrainFixture<MnistMlp> _f = null!;

    /// <summary>The batch size (fixed; a parameter so that it shows in the results).</summary>
    [Params(64)]
    public int Batch { get; set; }

    /// <summary>Builds the networks and data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _f = Workloads.W1();
    }

    /// <summary>The generated network's step through <c>Trainer.TrainStep</c>.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Generated() => _f.GeneratedStep();

    /// <summary>The hand-written step.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Plain() => _f.PlainStep();
}

/// <summary>W2: forward (evaluation mode) of 784-128(ReLU)-10.</summary>
[MemoryDiagnoser]
public class W2_ForwardMlp
{
    private OrtForward? _ort;
    private ForwardFixture<MnistMlp> _f = null!;

    /// <summary>The batch size.</summary>
    [Params(1, 64)]
    public int Batch { get; set; }

    /// <summary>Builds the networks and data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _f = Workloads.W2(Batch);
    }

    /// <summary>Builds the fixture and loads the ONNX model of this batch size into ONNX Runtime (1 thread, input and output bound).</summary>
    [GlobalSetup(Target = nameof(OnnxRuntime))]
    public void SetupOnnxRuntime()
    {
        Setup();
        _ort = new OrtForward(OnnxModels.PathOf("W2", Batch), _f.Input, Batch, _f.Output.Length / Batch);
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    [GlobalCleanup(Target = nameof(OnnxRuntime))]
    public void CleanupOnnxRuntime() => _ort?.Dispose();

    /// <summary>The generated network's forward pass.</summary>
    [Benchmark]
    public void Generated() => _f.Net.Forward(_f.Input, _f.Output, _f.Batch, training: false);

    /// <summary>The hand-written forward pass.</summary>
    [Benchmark]
    public void Plain() => _f.Plain.Forward(_f.Input, _f.Batch, _f.PlainOutput);

    /// <summary>The same network, weights and input in ONNX Runtime (exported from PyTorch; see <see cref="OnnxModels"/>).</summary>
    [Benchmark]
    public void OnnxRuntime() => _ort!.Run();
}

/// <summary>W3: forward (evaluation mode) of the course network 3-3(sigmoid)-2(ReLU)-2(softmax).</summary>
[MemoryDiagnoser]
public class W3_ForwardCourse
{
    private OrtForward? _ort;
    private ForwardFixture<CourseNet> _f = null!;

    /// <summary>The batch size.</summary>
    [Params(1, 5)]
    public int Batch { get; set; }

    /// <summary>Builds the networks and data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _f = Workloads.W3(Batch);
    }

    /// <summary>Builds the fixture and loads the ONNX model of this batch size into ONNX Runtime (1 thread, input and output bound).</summary>
    [GlobalSetup(Target = nameof(OnnxRuntime))]
    public void SetupOnnxRuntime()
    {
        Setup();
        _ort = new OrtForward(OnnxModels.PathOf("W3", Batch), _f.Input, Batch, _f.Output.Length / Batch);
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    [GlobalCleanup(Target = nameof(OnnxRuntime))]
    public void CleanupOnnxRuntime() => _ort?.Dispose();

    /// <summary>The generated network's forward pass.</summary>
    [Benchmark]
    public void Generated() => _f.Net.Forward(_f.Input, _f.Output, _f.Batch, training: false);

    /// <summary>The hand-written forward pass.</summary>
    [Benchmark]
    public void Plain() => _f.Plain.Forward(_f.Input, _f.Batch, _f.PlainOutput);

    /// <summary>The same network, weights and input in ONNX Runtime (exported from PyTorch; see <see cref="OnnxModels"/>).</summary>
    [Benchmark]
    public void OnnxRuntime() => _ort!.Run();
}

/// <summary>W4: train step, 20-64(ReLU)-32(ReLU)-1(sigmoid), binary cross entropy, Adam, batch 32.</summary>
[MemoryDiagnoser]
public class W4_TrainBinary
{
    private TrainFixture<BinaryNet> _f = null!;

    /// <summary>The batch size (fixed).</summary>
    [Params(32)]
    public int Batch { get; set; }

    /// <summary>Builds the networks and data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _f = Workloads.W4();
    }

    /// <summary>The generated network's step through <c>Trainer.TrainStep</c>.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Generated() => _f.GeneratedStep();

    /// <summary>The hand-written step.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Plain() => _f.PlainStep();
}

/// <summary>W5: train step, 1024-1024(ReLU)-1024(ReLU)-10, cross entropy, SGD momentum 0.9, batch 256.</summary>
[MemoryDiagnoser]
public class W5_TrainWide
{
    private TrainFixture<WideMlp> _f = null!;

    /// <summary>The batch size (fixed).</summary>
    [Params(256)]
    public int Batch { get; set; }

    /// <summary>Builds the networks and data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _f = Workloads.W5();
    }

    /// <summary>The generated network's step through <c>Trainer.TrainStep</c>.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Generated() => _f.GeneratedStep();

    /// <summary>The hand-written step.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Plain() => _f.PlainStep();
}

/// <summary>W5 with the runtime's kernels allowed two threads (<see cref="Parallelism.MaxThreads"/> = 2).</summary>
[MemoryDiagnoser]
public class W5_TrainWideThreads
{
    private TrainFixture<WideMlp> _f = null!;

    /// <summary>The batch size (fixed).</summary>
    [Params(256)]
    public int Batch { get; set; }

    /// <summary>The kernels' thread limit.</summary>
    [Params(2)]
    public int Threads { get; set; }

    /// <summary>Builds the network and data and sets the thread limit.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = Threads;
        _f = Workloads.W5();
    }

    /// <summary>Puts the thread limit back to one for the benchmarks that follow.</summary>
    [GlobalCleanup]
    public void Cleanup() => Parallelism.MaxThreads = 1;

    /// <summary>The generated network's step through <c>Trainer.TrainStep</c>.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Generated() => _f.GeneratedStep();
}

/// <summary>
/// W5F: the forward pass (evaluation mode) of W5's network 1024-1024(ReLU)-1024(ReLU)-10 at batch 256, the forward half
/// of a W5 step on its own (two 256×1024×1024 products and one 256×10×1024). No plain version: its loops would take
/// about a quarter of a second a call.
/// </summary>
[MemoryDiagnoser]
public class W5F_ForwardWide
{
    private OrtForward? _ort;
    private ForwardFixture<WideMlp> _f = null!;

    /// <summary>The batch size (fixed).</summary>
    [Params(256)]
    public int Batch { get; set; }

    /// <summary>Builds the network and data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _f = Workloads.W5Forward(Batch);
    }

    /// <summary>Builds the fixture and loads the ONNX model of this batch size into ONNX Runtime (1 thread, input and output bound).</summary>
    [GlobalSetup(Target = nameof(OnnxRuntime))]
    public void SetupOnnxRuntime()
    {
        Setup();
        _ort = new OrtForward(OnnxModels.PathOf("W5F", Batch), _f.Input, Batch, _f.Output.Length / Batch);
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    [GlobalCleanup(Target = nameof(OnnxRuntime))]
    public void CleanupOnnxRuntime() => _ort?.Dispose();

    /// <summary>The generated network's forward pass.</summary>
    [Benchmark]
    public void Generated() => _f.Net.Forward(_f.Input, _f.Output, _f.Batch, training: false);

    /// <summary>The same network, weights and input in ONNX Runtime (exported from PyTorch; see <see cref="OnnxModels"/>).</summary>
    [Benchmark]
    public void OnnxRuntime() => _ort!.Run();
}

/// <summary>W6: train step of the small CNN (conv-ReLU-maxpool ×2, Dense 784→10), cross entropy, Adam, batch 32.</summary>
[MemoryDiagnoser]
public class W6_TrainCnn
{
    private TrainFixture<SmallCnn> _f = null!;

    /// <summary>The batch size (fixed).</summary>
    [Params(32)]
    public int Batch { get; set; }

    /// <summary>Builds the networks and data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _f = Workloads.W6Train();
    }

    /// <summary>The generated network's step through <c>Trainer.TrainStep</c>.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Generated() => _f.GeneratedStep();

    /// <summary>The hand-written step (direct convolution in nested loops).</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Plain() => _f.PlainStep();
}

/// <summary>W6: forward (evaluation mode) of the small CNN, batch 1.</summary>
[MemoryDiagnoser]
public class W6_ForwardCnn
{
    private ForwardFixture<SmallCnn> _f = null!;

    /// <summary>The batch size.</summary>
    [Params(1)]
    public int Batch { get; set; }

    /// <summary>Builds the networks and data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _f = Workloads.W6Forward(Batch);
    }

    /// <summary>The generated network's forward pass.</summary>
    [Benchmark]
    public void Generated() => _f.Net.Forward(_f.Input, _f.Output, _f.Batch, training: false);

    /// <summary>The hand-written forward pass.</summary>
    [Benchmark]
    public void Plain() => _f.Plain.Forward(_f.Input, _f.Batch, _f.PlainOutput);
}

/// <summary>
/// W8: train step of <see cref="TransformerW8"/> (one encoder layer, d 64, 4 heads, ff 128, over 16 tokens; mean;
/// Linear(64→10)), cross entropy, Adam lr 1e-3, batch 32. No hand-written twin: PyTorch is the peer.
/// </summary>
[MemoryDiagnoser]
public class W8_TrainTransformer
{
    private Trainer _trainer = null!;
    private float[] _x = null!, _y = null!;

    /// <summary>The batch size (fixed).</summary>
    [Params(32)]
    public int Batch { get; set; }

    /// <summary>Builds the network, the trainer and the data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        (_trainer, _x, _y) = Workloads.W8(Batch);
    }

    /// <summary>Releases the trainer.</summary>
    [GlobalCleanup]
    public void Cleanup() => _trainer.Dispose();

    /// <summary>The generated network's step through <c>Trainer.TrainStep</c>.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Generated() => _trainer.TrainStep(_x, _y, Batch);
}

/// <summary>W8F: forward (evaluation mode) of <see cref="TransformerW8"/> at batch 1.</summary>
[MemoryDiagnoser]
public class W8F_ForwardTransformer
{
    private TransformerW8 _net = null!;
    private float[] _x = null!, _output = null!;

    /// <summary>The batch size (fixed).</summary>
    [Params(1)]
    public int Batch { get; set; }

    /// <summary>Builds the network and the input.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = 1;
        _net = new TransformerW8(Workloads.Seed);
        _x = BenchData.Normal(Batch * TransformerW8.InputSize, seed: 7);
        _output = new float[Batch * TransformerW8.OutputSize];
        _net.Reserve(Batch);
    }

    /// <summary>The generated network's forward pass.</summary>
    [Benchmark]
    public void Generated() => _net.Forward(_x, _output, Batch, training: false);
}
