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

// The recurrent cases of tools/pytorch/record_reference.py: each declaration is the docstring of the PyTorch module
// recorded, with the same layer names, so the recorded state_dict (rnn.weight_ih_l0, ..., head.bias) loads directly.

[Network(5, 4)] [RNN(6, Name = "rnn")] [Dense(3, Name = "head")]
public partial class RefRnnSequence { }

[Network(6, 3)] [RNN(5, Nonlinearity = RnnNonlinearity.ReLU, NumLayers = 2, Output = RecurrentOutput.LastStep, Name = "rnn")] [Dense(3, Name = "head")]
public partial class RefRnnReluStackedLastStep { }

[Network(5, 3)] [RNN(4, Bidirectional = true, Output = RecurrentOutput.FinalHidden, Name = "rnn")] [Dense(2, Name = "head")]
public partial class RefRnnBidirectionalFinal { }

[Network(7, 4)] [LSTM(8, Output = RecurrentOutput.LastStep, Name = "lstm")] [Dense(3, Name = "head")]
public partial class RefLstmLastStep { }

[Network(6, 3)] [LSTM(5, NumLayers = 2, Bidirectional = true, Output = RecurrentOutput.FinalHidden, Name = "lstm")] [Dense(2, Name = "head")]
public partial class RefLstmStackedBidirectionalFinal { }

[Network(6, 4)] [LSTM(5, Name = "lstm")] [Dense(3, Name = "head")]
public partial class RefLstmSequencePerStep { }

[Network(5, 3)] [GRU(4, Bidirectional = true, Name = "gru")] [Dense(2, Name = "head")]
public partial class RefGruBidirectionalSequence { }

[Network(6, 4)] [GRU(5, NumLayers = 2, Bias = false, Output = RecurrentOutput.FinalHidden, Name = "gru")] [Dense(3, Name = "head")]
public partial class RefGruStackedFinal { }

/// <summary>
/// RNN, LSTM and GRU against PyTorch: each kind, stacked, bidirectional, and each output choice, with the losses on
/// sequences (MSE per step, cross entropy per step). The recorded initial state_dict loads directly; the evaluation
/// output, the first step's gradients (1e-5 of each tensor's largest value), the loss before each of 5 steps of SGD and
/// of Adam, and the parameters and output after them (1e-4) must match.
/// </summary>
public class PyTorchRecurrentParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases
    {
        get
        {
            var cases = new TheoryData<string>();
            foreach (var module in new[]
                     {
                         "rnn_sequence_mse", "rnn_relu_stacked_laststep_ce", "rnn_bidirectional_finalhidden_mse", "lstm_laststep_ce",
                         "lstm_stacked_bidirectional_finalhidden_mse", "lstm_sequence_ce_per_step", "gru_bidirectional_sequence_mse",
                         "gru_stacked_finalhidden_ce",
                     })
                foreach (var optimizer in new[] { "sgd", "adam" })
                    cases.Add(module + "_" + optimizer);
            // Gradient clipping in every step: clip_grad_norm_ (2-norm, max-norm) and clip_grad_value_.
            cases.Add("lstm_laststep_ce_sgd_clip_norm");
            cases.Add("gru_bidirectional_sequence_mse_adam_clip_norm_inf");
            cases.Add("rnn_sequence_mse_sgd_clip_value");
            return cases;
        }
    }

    private static (INetwork Net, Loss Loss) Setup(string module) => module switch
    {
        "rnn_sequence_mse" => (new RefRnnSequence(), new MeanSquaredError()),
        "rnn_relu_stacked_laststep_ce" => (new RefRnnReluStackedLastStep(), new CrossEntropy()),
        "rnn_bidirectional_finalhidden_mse" => (new RefRnnBidirectionalFinal(), new MeanSquaredError()),
        "lstm_laststep_ce" => (new RefLstmLastStep(), new CrossEntropy()),
        "lstm_stacked_bidirectional_finalhidden_mse" => (new RefLstmStackedBidirectionalFinal(), new MeanSquaredError()),
        "lstm_sequence_ce_per_step" => (new RefLstmSequencePerStep(), CrossEntropy.PerStep(3)),
        "gru_bidirectional_sequence_mse" => (new RefGruBidirectionalSequence(), new MeanSquaredError()),
        "gru_stacked_finalhidden_ce" => (new RefGruStackedFinal(), new CrossEntropy()),
        _ => throw new ArgumentException(module),
    };

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

    /// <summary>The tensors of <paramref name="tensors"/>, from a recorded file, one tensor at a time (each compared to its own largest value).</summary>
    private void AssertTensors(IReadOnlyList<TensorDescription> tensors, IReadOnlyDictionary<string, SafeTensor> file, ReadOnlySpan<float> actual, double rtol, string what)
    {
        foreach (var t in tensors)
        {
            Assert.True(file.ContainsKey(t.Name), $"reference lacks {t.Name}");
            Assert.Equal(t.Shape, file[t.Name].Shape);
            AssertClose(file[t.Name].Data, actual.Slice(t.Offset, t.Length), rtol, $"{what} {t.Name}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Training_matches_pytorch(string name)
    {
        string path(string suffix) => PyTorchParityTests.ReferencePath(name + suffix);
        using var json = JsonDocument.Parse(File.ReadAllText(path(".json")));
        var root = json.RootElement;
        int steps = root.GetProperty("steps").GetInt32(), batch = root.GetProperty("batch").GetInt32();
        var losses = root.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        float[] Floats(string key) => root.GetProperty(key).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        const double tol = 1e-5, stepped = 1e-4;

        string module = name[..name.IndexOf(name.Contains("_adam", StringComparison.Ordinal) ? "_adam" : "_sgd", StringComparison.Ordinal)];
        var (net, loss) = Setup(module);
        Optimizer optimizer = name.Contains("_adam", StringComparison.Ordinal) ? new Adam(net, 1e-2f) : new Sgd(net, 0.1f);
        SafeTensors.Load(net, path(".init.safetensors")); // PyTorch's state_dict, as recorded
        var data = SafeTensors.ReadTensors(path(".data.safetensors"));
        var x = data["x"].Data;
        var y = data["y"].Data;
        var trainer = new Trainer(net, loss, optimizer);
        double[]? norms = null;
        if (root.TryGetProperty("clip", out var clip))
        {
            trainer.GradientClipping = clip.TryGetProperty("max_norm", out var maxNorm)
                ? GradientClipping.Norm(maxNorm.GetDouble(), clip.GetProperty("norm_type").ValueKind == JsonValueKind.String ? double.PositiveInfinity : clip.GetProperty("norm_type").GetDouble())
                : GradientClipping.Value(clip.GetProperty("clip_value").GetDouble());
            if (root.TryGetProperty("grad_norms", out var n)) norms = n.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        }

        var evaluation = new float[batch * net.OutputSize];
        net.Forward(x, evaluation, batch);
        AssertClose(Floats("initial_output"), evaluation, tol, "initial output");
        for (int k = 0; k < steps; k++)
        {
            float l = trainer.TrainStep(x, y, batch);
            Assert.True(Math.Abs(l - losses[k]) <= tol * Math.Max(1, Math.Abs(losses[k])), $"loss before step {k + 1}: PyTorch {losses[k]}, ours {l}");
            if (norms is not null)
                Assert.True(Math.Abs(trainer.LastGradientNorm - norms[k]) <= tol * norms[k], $"total norm in step {k + 1}: PyTorch {norms[k]}, ours {trainer.LastGradientNorm}");
            if (k == 0) AssertTensors(net.Description.Parameters, SafeTensors.ReadTensors(path(".grad0.safetensors")), net.Gradients, tol, "grad0");
        }
        AssertTensors(net.Description.Parameters, SafeTensors.ReadTensors(path(".final.safetensors")), net.Parameters, stepped, "final");
        net.Forward(x, evaluation, batch);
        AssertClose(Floats("final_output"), evaluation, stepped, "final output");
        double finalLoss = root.GetProperty("final_loss").GetDouble();
        double after = trainer.Evaluate(new SourceGenNN.Data.Dataset(x, y, net.InputSize, y.Length / batch), batch).Loss;
        Assert.True(Math.Abs(after - finalLoss) <= stepped * Math.Max(1, finalLoss), $"final loss: PyTorch {finalLoss}, ours {after}");
    }
}
