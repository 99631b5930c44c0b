using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using SourceGenNN.IO;

namespace SourceGenNN.Benchmarks;

/// <summary>
/// Where the ONNX Runtime peer's models live, and the weights they are made from.
/// <para>
/// The chain, run by <c>bench/run.sh</c>: <c>--export-weights DIR</c> writes each forward workload's network, built
/// exactly as the benchmarks build it (seed <see cref="Workloads.Seed"/>), as safetensors with PyTorch's
/// <c>state_dict</c> names (<c>DIR/W2.safetensors</c>, ...); <c>bench/pytorch_peer.py --export-onnx DIR</c> loads them into
/// the same <c>nn.Sequential</c> the PyTorch peer times and exports one ONNX model per batch size with
/// <c>torch.onnx.export</c> (<c>DIR/W2_b1.onnx</c>, ...); <see cref="OrtForward"/> runs those. So ONNX Runtime starts
/// from the same weights and input as the generated network, and <c>--verify</c> compares their outputs.
/// </para>
/// The directory is <c>--onnx DIR</c>, else the environment variable <c>SOURCEGENNN_ONNX_DIR</c>, else
/// <c>artifacts/bench/onnx</c> under the current directory.
/// </summary>
public static class OnnxModels
{
    /// <summary>The forward workloads exported to ONNX, with their batch sizes.</summary>
    public static IReadOnlyList<(string Workload, int[] Batches)> Exported { get; } =
        [("W2", [1, 64]), ("W3", [1, 5]), ("W5F", [256])];

    /// <summary>The models' directory.</summary>
    public static string Directory { get; set; } =
        Environment.GetEnvironmentVariable("SOURCEGENNN_ONNX_DIR") is { Length: > 0 } dir ? dir : Path.Combine("artifacts", "bench", "onnx");

    /// <summary>The model of one workload at one batch size.</summary>
    /// <param name="workload">W2, W3 or W5F.</param>
    /// <param name="batch">The batch size it was exported for.</param>
    /// <returns>The path (which may not exist).</returns>
    public static string PathOf(string workload, int batch) => Path.Combine(Directory, $"{workload}_b{batch}.onnx");

    /// <summary>The weights a workload's models are exported from.</summary>
    /// <param name="workload">W2, W3 or W5F.</param>
    /// <returns>The path (which may not exist).</returns>
    public static string WeightsOf(string workload) => Path.Combine(Directory, $"{workload}.safetensors");

    /// <summary>Whether the model of this workload and batch exists.</summary>
    /// <param name="workload">W2, W3 or W5F.</param>
    /// <param name="batch">The batch size.</param>
    /// <returns>True when the file exists.</returns>
    public static bool Has(string workload, int batch) => File.Exists(PathOf(workload, batch));

    /// <summary>What to run to make the models, for messages.</summary>
    public static string HowToMake =>
        $"run bash bench/run.sh, or: dotnet Runtime.Benchmarks/bin/Release/net10.0/SourceGenNN.Runtime.Benchmarks.dll --export-weights {Directory} "
        + $"&& /usr/bin/python3 bench/pytorch_peer.py --export-onnx {Directory}";

    /// <summary>A new network of the workload, with the benchmarks' initial weights.</summary>
    /// <param name="workload">W2, W3 or W5F.</param>
    /// <returns>The network.</returns>
    public static INetwork NetworkOf(string workload) => workload switch
    {
        "W2" => new MnistMlp(Workloads.Seed),
        "W3" => new CourseNet(Workloads.Seed),
        "W5F" => new WideMlp(Workloads.Seed),
        _ => throw new ArgumentException($"No ONNX export for workload '{workload}'.", nameof(workload)),
    };

    /// <summary><c>--export-weights DIR</c>: writes every exported workload's initial weights as safetensors.</summary>
    /// <param name="directory">The directory (created if needed).</param>
    public static void ExportWeights(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        System.IO.Directory.CreateDirectory(directory);
        foreach (var (workload, _) in Exported)
        {
            string path = Path.Combine(directory, $"{workload}.safetensors");
            SafeTensors.Save(NetworkOf(workload), path,
                new Dictionary<string, string> { ["workload"] = workload, ["seed"] = Workloads.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            Console.WriteLine($"wrote {path}");
        }
    }

    /// <summary>
    /// Whether <see cref="WeightsOf"/> the workload still holds the weights the benchmarks build now (a model exported
    /// from older weights, say before an initialiser changed, cannot match the generated network's outputs).
    /// </summary>
    /// <param name="workload">W2, W3 or W5F.</param>
    /// <returns>True when the file exists and its tensors equal the network's.</returns>
    public static bool WeightsAreCurrent(string workload)
    {
        string path = WeightsOf(workload);
        if (!File.Exists(path)) return false;
        var network = NetworkOf(workload);
        var stored = SafeTensors.ReadTensors(path);
        var parameters = network.Parameters;
        foreach (var t in network.Description.Parameters)
        {
            if (!stored.TryGetValue(t.Name, out var s) || s.Data.Length != t.Length) return false;
            if (!parameters.Slice(t.Offset, t.Length).SequenceEqual(s.Data)) return false;
        }
        return true;
    }
}

/// <summary>
/// One ONNX model in ONNX Runtime, set up to be measured at its best: one thread (intra-op 1, inter-op 1, sequential),
/// all graph optimisations, and the input and output bound once (<see cref="OrtIoBinding"/>) to <see cref="OrtValue"/>s
/// over preallocated, pinned float arrays, so that <see cref="Run"/> is one native call that reads
/// <see cref="Input"/> and writes <see cref="Output"/> in place.
/// </summary>
public sealed class OrtForward : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly OrtValue _input, _output;
    private readonly OrtIoBinding _binding;

    /// <summary>Loads the model and binds its input and output.</summary>
    /// <param name="path">The .onnx file (one input [batch, inputs], one output [batch, outputs], float32).</param>
    /// <param name="input">The input batch, row-major [batch, inputs]; read at every run.</param>
    /// <param name="batch">The batch size the model was exported for.</param>
    /// <param name="outputs">Outputs per sample.</param>
    public OrtForward(string path, float[] input, int batch, int outputs)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length % batch != 0) throw new ArgumentException($"The input's {input.Length} values are not a batch of {batch}.", nameof(input));
        Input = input;
        Output = new float[batch * outputs];
        _options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new InferenceSession(path, _options);
        _runOptions = new RunOptions();
        _input = OrtValue.CreateTensorValueFromMemory(input, [batch, input.Length / batch]);
        _output = OrtValue.CreateTensorValueFromMemory(Output, [batch, outputs]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(_session.InputNames[0], _input);
        _binding.BindOutput(_session.OutputNames[0], _output);
    }

    /// <summary>The bound input.</summary>
    public float[] Input { get; }

    /// <summary>The bound output, written by <see cref="Run"/>.</summary>
    public float[] Output { get; }

    /// <summary>One forward pass: <see cref="Input"/> to <see cref="Output"/>.</summary>
    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    /// <summary>Releases the native session, values and binding.</summary>
    public void Dispose()
    {
        _binding.Dispose();
        _input.Dispose();
        _output.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
