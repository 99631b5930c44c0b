using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using SourceGenNN.IO;
using SourceGenNN.Training;
using Xunit;
using Xunit.Abstractions;

namespace SourceGenNN.Tests.Training;

// Networks matching the cases recorded from PyTorch by tools/pytorch/record_reference.py (Runtime.Tests/Reference).
// Layer indices, and so the state_dict names, follow nn.Sequential: every activation takes an index.

[Network(3)] [Dense(3)] [Sigmoid] [Dense(2)] [ReLU] [Dense(2)] [Softmax]
public partial class RefCourse { }

[Network(20)] [Dense(16)] [ReLU] [Dense(3)]
public partial class RefReluCe { }

[Network(20)] [Dense(16)] [Tanh] [Dense(8)] [ReLU] [Dense(1)] [Sigmoid]
public partial class RefTanhReluBce { }

[Network(10)] [Dense(8)] [ELU(1.0)] [Dense(4)]
public partial class RefEluMse { }

[Network(6)] [Dense(5)] [LeakyReLU(0.1)] [Dense(5)] [PReLU(Init = 0.25)] [Dense(3)]
public partial class RefLeakyPrelu { }

[Network(8)] [Dense(12)] [GELU] [Dense(6)] [SiLU] [Dense(2)]
public partial class RefGeluSilu { }

[Network(4)] [Dense(6)] [PReLU(PerFeature = true, Init = 0.25)] [Dense(3)] [Tanh] [Dense(2)]
public partial class RefPreluTanh { }

/// <summary>
/// Full-batch training runs replayed through the trainer, loss and optimiser and compared with PyTorch's recorded
/// gradients, losses and final parameters: initial parameters and data come from the recorded safetensors files.
/// </summary>
public class PyTorchParityTests(ITestOutputHelper output)
{
    internal static string ReferencePath(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SourceGenNN.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "Runtime.Tests", "Reference", file);
    }

    public static TheoryData<string> Cases => new()
    {
        "course_sgd_momentum", "mlp_relu_ce_adam", "mlp_tanh_relu_bce_nesterov", "mlp_elu_mse_adamw",
        "mlp_leaky_prelu_mse_rmsprop", "mlp_gelu_silu_mse_adam", "mlp_prelu_perfeature_tanh_mse_sgd",
    };

    private static (INetwork Net, Loss Loss, Optimizer Opt, double Tolerance) Setup(string name)
    {
        // Tolerance relative to each tensor's largest value. Measured agreement is below 1e-6 for every case (Adam and
        // RMSprop, whose g/√v amplifies rounding, are the largest at about 5e-7); 1e-5 leaves a margin for summation order.
        switch (name)
        {
            case "course_sgd_momentum": { var n = new RefCourse(); return (n, new CrossEntropy(), new Sgd(n, 0.1f, 0.9f), 1e-5); }
            case "mlp_relu_ce_adam": { var n = new RefReluCe(); return (n, new CrossEntropy(), new Adam(n, 1e-2f), 1e-5); }
            case "mlp_tanh_relu_bce_nesterov": { var n = new RefTanhReluBce(); return (n, new BinaryCrossEntropy(), new Sgd(n, 0.05f, 0.9f, weightDecay: 1e-3f, nesterov: true), 1e-5); }
            case "mlp_elu_mse_adamw": { var n = new RefEluMse(); return (n, new MeanSquaredError(), new AdamW(n, 1e-2f, weightDecay: 0.01f), 1e-5); }
            case "mlp_leaky_prelu_mse_rmsprop": { var n = new RefLeakyPrelu(); return (n, new MeanSquaredError(), new RmsProp(n, 1e-2f), 1e-5); }
            case "mlp_gelu_silu_mse_adam": { var n = new RefGeluSilu(); return (n, new MeanSquaredError(), new Adam(n, 1e-2f), 1e-5); }
            case "mlp_prelu_perfeature_tanh_mse_sgd": { var n = new RefPreluTanh(); return (n, new MeanSquaredError(), new Sgd(n, 0.1f), 1e-5); }
            default: throw new ArgumentException(name);
        }
    }

    private static float[] Flatten(INetwork net, IReadOnlyDictionary<string, SafeTensor> tensors)
    {
        var flat = new float[net.Description.ParameterCount];
        foreach (var t in net.Description.Parameters)
        {
            Assert.True(tensors.ContainsKey(t.Name), $"reference lacks {t.Name}");
            Assert.Equal(t.Shape, tensors[t.Name].Shape);
            tensors[t.Name].Data.CopyTo(flat, t.Offset);
        }
        return flat;
    }

    private void AssertClose(float[] expected, ReadOnlySpan<float> actual, double rtol, string what)
    {
        double worst = 0;
        double scale = expected.Max(v => Math.Abs((double)v));
        for (int i = 0; i < expected.Length; i++)
        {
            // Elements are compared relative to the tensor's largest value, so near-zero entries do not dominate.
            double err = Math.Abs(expected[i] - actual[i]) / Math.Max(scale, 1e-30);
            worst = Math.Max(worst, err);
            Assert.True(err <= rtol, $"{what}[{i}]: PyTorch {expected[i]}, ours {actual[i]} (relative {err:E2} > {rtol:E0})");
        }
        output.WriteLine($"{what}: worst relative difference {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Training_matches_pytorch(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(ReferencePath(name + ".json")));
        var root = json.RootElement;
        int steps = root.GetProperty("steps").GetInt32(), batch = root.GetProperty("batch").GetInt32();
        var losses = root.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double finalLoss = root.GetProperty("final_loss").GetDouble();

        var (net, loss, opt, tol) = Setup(name);
        SafeTensors.Load(net, ReferencePath(name + ".init.safetensors"));
        var data = SafeTensors.ReadTensors(ReferencePath(name + ".data.safetensors"));
        var x = data["x"].Data;
        var y = data["y"].Data;
        var trainer = new Trainer(net, loss, opt);
        Assert.Equal(loss is CrossEntropy or BinaryCrossEntropy && net.Description.Layers[^1].Kind is "Softmax" or "Sigmoid", trainer.Fused);

        for (int k = 0; k < steps; k++)
        {
            float l = trainer.TrainStep(x, y, batch);
            Assert.True(Math.Abs(l - losses[k]) <= tol * Math.Max(1, Math.Abs(losses[k])), $"loss before step {k + 1}: PyTorch {losses[k]}, ours {l}");
            if (k == 0) AssertClose(Flatten(net, SafeTensors.ReadTensors(ReferencePath(name + ".grad0.safetensors"))), net.Gradients, 1e-5, "grad0");
        }
        AssertClose(Flatten(net, SafeTensors.ReadTensors(ReferencePath(name + ".final.safetensors"))), net.Parameters, tol, "final parameters");
        double after = trainer.Evaluate(new SourceGenNN.Data.Dataset(x, y, net.InputSize, y.Length / batch), batch).Loss;
        Assert.True(Math.Abs(after - finalLoss) <= tol * Math.Max(1, finalLoss), $"final loss: PyTorch {finalLoss}, ours {after}");
    }
}

// The graph cases: each declaration is the docstring of the PyTorch module recorded, with the same layer names.

[Network(10)] [Dense(16, Name = "fc1")] [ReLU(Name = "relu")] [Dense(16, Name = "fc2")] [Add("fc1")] [LayerNorm(Name = "norm")] [Dense(3, Name = "head")]
public partial class RefResidual { }

[Network(6)] [Input("context", 4)] [Dense(8, Name = "a")] [Tanh(Name = "t")] [Dense(5, Name = "b", Input = "context")] [Concat("t")] [Dense(3, Name = "head")]
public partial class RefTwoInputs { }

[Network(5, 8)] [Dense(8, Name = "proj")] [LayerNorm(Name = "norm")] [GELU(Name = "gelu")] [LayerNorm(5, 8, Name = "norm2")] [Flatten(Name = "flat")] [Dense(4, Name = "head")]
public partial class RefSequenceNorm { }

[Network(3, 6)] [BatchNorm1d(Name = "bn")] [Tanh(Name = "t")] [Flatten(Name = "flat")] [Dense(6, Name = "fc", Bias = false)]
[BatchNorm1d(Name = "bn2", Momentum = 0.2)] [ReLU(Name = "relu")] [Dense(2, Name = "head")]
public partial class RefBatchNorm { }

[Network(1, 8, 8)] [Conv2d(4, 3, Padding = 1, Name = "conv1")] [ReLU(Name = "relu1")] [MaxPool2d(2, Name = "pool1")]
[Conv2d(6, 3, Padding = 1, Name = "conv2")] [ReLU(Name = "relu2")] [MaxPool2d(2, Name = "pool2")] [Flatten(Name = "flat")]
[Dense(3, Name = "head")]
public partial class RefSmallCnn { }

[Network(4, 9, 8)] [Conv2d(6, new[] { 3, 2 }, Stride = new[] { 2, 1 }, Padding = new[] { 1, 0 }, Dilation = new[] { 1, 2 },
    Groups = 2, Bias = false, Name = "conv")] [Tanh(Name = "t")] [MaxPool2d(3, Stride = 2, Padding = 1, CeilMode = true, Name = "pool")]
[Flatten(Name = "flat")] [Dense(3, Name = "head")]
public partial class RefConvOptions { }

[Network(3, 6, 6)] [Conv2d(3, 4, Padding = "same", Groups = 3, Name = "dw")] [Tanh(Name = "t")]
[AvgPool2d(3, Stride = 2, Padding = 1, CeilMode = true, CountIncludePad = false, Name = "avg")] [Conv2d(4, 1, Bias = false, Name = "pw")]
[BatchNorm2d(Name = "bn")] [ReLU(Name = "relu")] [AdaptiveAvgPool2d(new[] { 3, 3 }, Name = "adapt")] [Flatten(Name = "flat")]
[Dense(2, Name = "head")]
public partial class RefDepthwiseCnn { }

[Network(3, 10)] [Conv1d(4, 3, Stride = 2, Padding = 2, Dilation = 2, Name = "conv")] [ELU(Name = "elu")]
[MaxPool1d(2, Stride = 1, Padding = 1, Dilation = 2, Name = "pool")] [AvgPool1d(3, Stride = 2, Padding = 1, CeilMode = true, Name = "avg")]
[ConvTranspose1d(2, 3, Stride = 2, Padding = 1, OutputPadding = 1, Name = "up")] [Conv1d(3, 4, Padding = "same", Name = "same")]
[Flatten(Name = "flat")] [Dense(2, Name = "head")]
public partial class RefSequenceCnn { }

[Network(4, 3, 4)] [ConvTranspose2d(6, new[] { 3, 2 }, Stride = 2, Padding = new[] { 1, 0 }, OutputPadding = 1,
    Dilation = new[] { 1, 2 }, Groups = 2, Bias = false, Name = "up")] [BatchNorm2d(Name = "bn")] [Tanh(Name = "t")] [AvgPool2d(2, Padding = 1, Name = "avg")]
[Conv2d(4, 3, Stride = 2, Padding = "valid", Name = "down")] [AdaptiveAvgPool2d(1, Name = "gap")] [Flatten(Name = "flat")]
[Dense(3, Name = "head")]
public partial class RefTransposedCnn { }
// The attention cases: nn.MultiheadAttention (batch_first=True) and nn.TransformerEncoderLayer, each trained with SGD
// (momentum) and with Adam.

[Network(5, 8)] [MultiheadAttention(2, Name = "attn")] [Flatten(Name = "flat")] [Dense(3, Name = "head")]
public partial class RefAttnSelf { }

[Network(6, 8)] [Input("len", 1)] [MultiheadAttention(4, IsCausal = true, KeyLengths = "len", Name = "attn")] [Flatten(Name = "flat")] [Dense(3, Name = "head")]
public partial class RefAttnCausal { }

[Network(4, 8)] [Input("memory", 6, 5)] [Input("len", 1)]
[MultiheadAttention(2, Key = "memory", Value = "memory", KeyLengths = "len", Name = "cross")] [Flatten(Name = "flat")] [Dense(3, Name = "head")]
public partial class RefAttnCross { }

[Network(5, 8)] [TransformerEncoderLayer(8, 2, DimFeedforward = 16, Dropout = 0.0, Name = "enc")] [Flatten(Name = "flat")] [Dense(3, Name = "head")]
public partial class RefEncoderPost { }

[Network(5, 8)] [TransformerEncoderLayer(8, 2, DimFeedforward = 12, Dropout = 0.0, NormFirst = true, Activation = TransformerActivation.GELU, Name = "enc")]
[Mean(1, Name = "pool")] [Dense(3, Name = "head")]
public partial class RefEncoderPre { }

/// <summary>
/// Networks that are not a chain, recorded from PyTorch modules: a residual Add with LayerNorm, two inputs joined by
/// Concat, LayerNorm over [T, F], BatchNorm with its running statistics; nn.MultiheadAttention (self, causal with
/// key-padding lengths, cross with kdim = vdim ≠ E and lengths) and nn.TransformerEncoderLayer (norm_first false with
/// ReLU, true with GELU), each with SGD and with Adam. The initial state_dict (parameters and
/// buffers, num_batches_tracked as int64) loads directly; training steps must give PyTorch's losses, first gradients,
/// final parameters and buffers, and the evaluation-mode outputs before and after.
/// </summary>
public class PyTorchGraphParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new()
    {
        "graph_residual_layernorm_mse_adam", "graph_two_inputs_concat_ce_adam", "graph_layernorm_sequence_mse_sgd", "graph_batchnorm_mse_sgd",
        // Convolutions and pooling: each network trained with SGD with momentum and with Adam.
        "cnn_conv2d_maxpool_ce_sgd", "cnn_conv2d_maxpool_ce_adam", "cnn_conv2d_options_mse_sgd", "cnn_conv2d_options_mse_adam",
        "cnn_depthwise_avgpool_batchnorm_ce_sgd", "cnn_depthwise_avgpool_batchnorm_ce_adam", "cnn_conv1d_sequence_mse_sgd",
        "cnn_conv1d_sequence_mse_adam", "cnn_conv_transpose2d_ce_sgd", "cnn_conv_transpose2d_ce_adam",
        "attention_self_sgd", "attention_self_adam", "attention_causal_lengths_sgd", "attention_causal_lengths_adam",
        "attention_cross_lengths_sgd", "attention_cross_lengths_adam", "encoder_post_norm_sgd", "encoder_post_norm_adam",
        "encoder_pre_norm_gelu_sgd", "encoder_pre_norm_gelu_adam",
    };

    private static (INetwork Net, Loss Loss, Optimizer Opt) Setup(string name)
    {
        switch (name)
        {
            case "graph_residual_layernorm_mse_adam": { var n = new RefResidual(); return (n, new MeanSquaredError(), new Adam(n, 1e-2f)); }
            case "graph_two_inputs_concat_ce_adam": { var n = new RefTwoInputs(); return (n, new CrossEntropy(), new Adam(n, 1e-2f)); }
            case "graph_layernorm_sequence_mse_sgd": { var n = new RefSequenceNorm(); return (n, new MeanSquaredError(), new Sgd(n, 0.05f, 0.9f)); }
            case "graph_batchnorm_mse_sgd": { var n = new RefBatchNorm(); return (n, new MeanSquaredError(), new Sgd(n, 0.1f, 0.9f)); }
        }
        if (name.StartsWith("cnn_", StringComparison.Ordinal)) return ConvCase(name);
        INetwork net = name[..name.LastIndexOf('_')] switch
        {
            "attention_self" => new RefAttnSelf(),
            "attention_causal_lengths" => new RefAttnCausal(),
            "attention_cross_lengths" => new RefAttnCross(),
            "encoder_post_norm" => new RefEncoderPost(),
            "encoder_pre_norm_gelu" => new RefEncoderPre(),
            _ => throw new ArgumentException(name),
        };
        Loss attentionLoss = name.StartsWith("attention_causal", StringComparison.Ordinal) || name.StartsWith("encoder_pre", StringComparison.Ordinal)
            ? new CrossEntropy() : new MeanSquaredError();
        // eps = 1e-3 as recorded: the key bias's exact gradient is 0, and Adam must not amplify its rounding noise.
        Optimizer attentionOpt = name.EndsWith("_sgd", StringComparison.Ordinal) ? new Sgd(net, 0.05f, 0.9f) : new Adam(net, 1e-2f, epsilon: 1e-3f);
        return (net, attentionLoss, attentionOpt);
    }

    /// <summary>The convolution cases: each network with cross entropy or MSE, SGD with momentum or Adam.</summary>
    private static (INetwork, Loss, Optimizer) ConvCase(string name)
    {
        INetwork net = name switch
        {
            _ when name.StartsWith("cnn_conv2d_maxpool_", StringComparison.Ordinal) => new RefSmallCnn(),
            _ when name.StartsWith("cnn_conv2d_options_", StringComparison.Ordinal) => new RefConvOptions(),
            _ when name.StartsWith("cnn_depthwise_", StringComparison.Ordinal) => new RefDepthwiseCnn(),
            _ when name.StartsWith("cnn_conv1d_", StringComparison.Ordinal) => new RefSequenceCnn(),
            _ when name.StartsWith("cnn_conv_transpose2d_", StringComparison.Ordinal) => new RefTransposedCnn(),
            _ => throw new ArgumentException(name),
        };
        Loss loss = name.Contains("_ce_", StringComparison.Ordinal) ? new CrossEntropy() : new MeanSquaredError();
        Optimizer opt = name.EndsWith("_sgd", StringComparison.Ordinal) ? new Sgd(net, 0.05f, 0.9f) : new Adam(net, 1e-2f);
        return (net, loss, opt);
    }

    private void AssertClose(IReadOnlyList<float> expected, ReadOnlySpan<float> actual, double rtol, string what)
    {
        Assert.Equal(expected.Count, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v)), worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]) / Math.Max(scale, 1e-30);
            worst = Math.Max(worst, err);
            Assert.True(err <= rtol, $"{what}[{i}]: PyTorch {expected[i]}, ours {actual[i]} (relative {err:E2} > {rtol:E0})");
        }
        output.WriteLine($"{what}: worst relative difference {worst:E2}");
    }

    private static float[] Tensors(IReadOnlyList<TensorDescription> tensors, IReadOnlyDictionary<string, SafeTensor> file)
    {
        var flat = new float[tensors.Sum(t => t.Length)];
        foreach (var t in tensors)
        {
            Assert.True(file.ContainsKey(t.Name), $"reference lacks {t.Name}");
            Assert.Equal(t.Shape, file[t.Name].Shape);
            file[t.Name].Data.CopyTo(flat, t.Offset);
        }
        return flat;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Training_matches_pytorch(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(PyTorchParityTests.ReferencePath(name + ".json")));
        var root = json.RootElement;
        int steps = root.GetProperty("steps").GetInt32(), batch = root.GetProperty("batch").GetInt32();
        var losses = root.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        float[] Floats(string key) => root.GetProperty(key).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        const double tol = 1e-5, stepped = 1e-4;

        var (net, loss, opt) = Setup(name);
        SafeTensors.Load(net, PyTorchParityTests.ReferencePath(name + ".init.safetensors"));
        // The inputs of each sample side by side, in declaration order: the packed rows the trainer passes.
        var data = SafeTensors.ReadTensors(PyTorchParityTests.ReferencePath(name + ".data.safetensors"));
        var x = new float[batch * net.InputSize];
        int at = 0;
        foreach (var input in net.Description.Inputs)
        {
            var values = data[input.Name == "input" ? "x" : input.Name].Data;
            for (int n = 0; n < batch; n++) values.AsSpan(n * input.Size, input.Size).CopyTo(x.AsSpan(n * net.InputSize + at));
            at += input.Size;
        }
        var y = data["y"].Data;
        var trainer = new Trainer(net, loss, opt);

        var evaluation = new float[batch * net.OutputSize];
        net.Forward(x, evaluation, batch);
        AssertClose(Floats("initial_output"), evaluation, tol, "initial output (evaluation mode)");
        for (int k = 0; k < steps; k++)
        {
            float l = trainer.TrainStep(x, y, batch);
            Assert.True(Math.Abs(l - losses[k]) <= stepped * Math.Max(1, Math.Abs(losses[k])), $"loss before step {k + 1}: PyTorch {losses[k]}, ours {l}");
            if (k == 0)
                AssertClose(Tensors(net.Description.Parameters, SafeTensors.ReadTensors(PyTorchParityTests.ReferencePath(name + ".grad0.safetensors"))), net.Gradients, tol, "grad0");
        }
        var final = SafeTensors.ReadTensors(PyTorchParityTests.ReferencePath(name + ".final.safetensors"));
        AssertClose(Tensors(net.Description.Parameters, final), net.Parameters, stepped, "final parameters");
        if (net.Description.BufferCount > 0) AssertClose(Tensors(net.Description.Buffers, final), net.Buffers, stepped, "final buffers");
        net.Forward(x, evaluation, batch);
        AssertClose(Floats("final_output"), evaluation, stepped, "final output (evaluation mode)");
        double finalLoss = root.GetProperty("final_loss").GetDouble();
        double after = trainer.Evaluate(new SourceGenNN.Data.Dataset(x, y, net.InputSize, y.Length / batch), batch).Loss;
        Assert.True(Math.Abs(after - finalLoss) <= stepped * Math.Max(1, finalLoss), $"final loss: PyTorch {finalLoss}, ours {after}");
    }
}
