using System;
using System.Linq;
using SourceGenNN.Cuda;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

/// <summary>
/// The small transformer of the generator's snapshot: learned positions, causal self-attention with key lengths and
/// attention dropout, an encoder layer, cross-attention to a second input, mean pooling and a head.
/// </summary>
[Network(4, 8)]
[Input("lengths", 1)]
[Input("memory", 6, 8)]
[PositionalEmbedding(Name = "pos")]
[MultiheadAttention(2, IsCausal = true, KeyLengths = "lengths", Dropout = 0.1, Name = "attn")]
[TransformerEncoderLayer(8, 2, DimFeedforward = 16, Dropout = 0.2, Name = "enc")]
[MultiheadAttention(2, Key = "memory", Value = "memory", Name = "cross")]
[Mean(1)]
[Dense(3, Name = "head")]
public partial class CudaTinyTransformer { }

/// <summary>Self-attention with a key length per sample and nothing after it: its output rows are the attention's.</summary>
[Network(5, 4)]
[Input("lengths", 1)]
[MultiheadAttention(2, KeyLengths = "lengths", Name = "attn")]
public partial class CudaMaskedAttention { }

/// <summary>Scaled dot-product attention with dropout on its weights, cross-attention to a second sequence, sinusoidal positions.</summary>
[Network(4, 6)]
[Input("kv", 7, 6)]
[SinusoidalPositionalEncoding(Name = "sin")]
[ScaledDotProductAttention(NumHeads = 3, Key = "kv", Dropout = 0.5, Name = "sdpa")]
[Flatten]
[Dense(2)]
public partial class CudaDroppedSdpa { }

/// <summary>The attention kinds on the GPU against the generated CPU code (the numbers on a GPU, the plan everywhere).</summary>
public class AttentionCudaTests
{
    /// <summary>Writes whole key lengths 0..S into the "lengths" input of each packed sample (0: a sample with no key).</summary>
    private static Action<float[]> Lengths(INetwork net, int batch, int keys) => x =>
    {
        int offset = 0;
        foreach (var i in net.Description.Inputs)
        {
            if (i.Name == "lengths") break;
            offset += i.Size;
        }
        for (int n = 0; n < batch; n++) x[n * net.InputSize + offset] = (n * 2 + 1) % (keys + 1);
    };

    [Fact]
    public void Plan_runs_every_attention_kind_and_the_composite_on_the_gpu()
    {
        var description = new CudaTinyTransformer(1).Description;
        var plan = CudaPlan.Build(description, CudaLoss.MeanSquaredError);
        var kinds = plan.Steps.Select(s => s.Layer.Kind).ToHashSet();
        foreach (string kind in new[] { "PositionalEmbedding", "MultiheadAttention", "LayerNorm", "Add", "Dense", "Dropout", "Mean" })
            Assert.Contains(kind, kinds);
        var source = CudaKernelSource.Generate(description, new CudaTrainingOptions(CudaLoss.MeanSquaredError, null));
        Assert.Contains("sgnn_attention_softmax", source.Kernels);
        Assert.Contains("sgnn_attention_softmax_backward", source.Kernels);
        Assert.Contains("sgnn_mean_backward", source.Kernels);
        Assert.DoesNotContain(LayerKindNames.MultiheadAttention, CudaLayers.CpuOnly);
    }

    [GpuFact]
    public void Tiny_transformer_matches_its_cpu_code_forward_and_backward_with_the_same_dropout_draws()
    {
        var cpu = new CudaTinyTransformer(seed: 11);
        GeneratedNetworkCudaTests.CheckAgainstCpu(cpu, batch: 6, seed: 11, CudaLoss.MeanSquaredError, Lengths(cpu, 6, 4));
    }

    [GpuFact]
    public void Scaled_dot_product_cross_attention_with_dropout_matches_its_cpu_code() =>
        GeneratedNetworkCudaTests.CheckAgainstCpu(new CudaDroppedSdpa(seed: 3), batch: 5, seed: 3, CudaLoss.MeanSquaredError);

    [GpuFact]
    public void Key_lengths_given_per_sample_at_run_time_mask_the_keys_as_on_the_cpu()
    {
        // The key lengths are a network input: each sample's count of valid keys travels with its features, on the GPU
        // as on the CPU. Rows before a sample's length do not see the keys after it, and a length of 0 gives finite rows.
        const int batch = 6, T = 5, E = 4;
        INetwork cpu = new CudaMaskedAttention(seed: 2);
        using var gpu = CudaDevice.Open();
        using var net = CudaNetwork.Create(gpu, cpu, null, batch);
        var x = GeneratedNetworkCudaTests.Random(batch * cpu.InputSize, 9);
        Lengths(cpu, batch, T)(x);
        var expected = new float[batch * T * E];
        var actual = new float[expected.Length];
        cpu.Forward(x, expected, batch);
        net.Forward(x, actual, batch);
        GeneratedNetworkCudaTests.AssertClose(expected, actual);
        Assert.All(actual, v => Assert.True(float.IsFinite(v)));
        // The saved weights, as the CPU keeps them: 0 at masked keys, rows of a sample without keys all 0.
        var weights = new float[batch * 2 * T * T];
        net.CopyAttentionWeightsTo("attn", weights, batch);
        GeneratedNetworkCudaTests.AssertClose(((CudaMaskedAttention)cpu).AttentionWeights("attn").ToArray(), weights);
        Assert.Throws<ArgumentException>(() => net.CopyAttentionWeightsTo("nope", weights, batch));

        // Change every position at or after each sample's length: the rows before it stay as they were.
        var changed = (float[])x.Clone();
        for (int n = 0; n < batch; n++)
        {
            int length = (int)x[n * cpu.InputSize + T * E];
            for (int i = length * E; i < T * E; i++) changed[n * cpu.InputSize + i] += 3f;
        }
        var after = new float[actual.Length];
        net.Forward(changed, after, batch);
        for (int n = 0; n < batch; n++)
        {
            int length = (int)x[n * cpu.InputSize + T * E];
            for (int i = 0; i < length * E; i++)
                Assert.Equal(actual[n * T * E + i], after[n * T * E + i]);
            // A later row's query changed, which moves its weights once there are two keys to weigh.
            if (length >= 2 && length < T)
                Assert.NotEqual(actual.AsSpan(n * T * E + length * E, E).ToArray(), after.AsSpan(n * T * E + length * E, E).ToArray());
            // No key: weights and context of 0, so every row is out_proj's bias (initialised to 0, as PyTorch does).
            if (length == 0) Assert.All(actual.AsSpan(n * T * E, T * E).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [GpuFact]
    public void Scores_in_the_tens_of_thousands_give_finite_weights_as_on_the_cpu()
    {
        // The row maximum is subtracted before the exponential: inputs scaled by 300 give scores far beyond expf's range.
        const int batch = 4;
        INetwork cpu = new CudaMaskedAttention(seed: 6);
        using var gpu = CudaDevice.Open();
        using var net = CudaNetwork.Create(gpu, cpu, null, batch);
        var x = GeneratedNetworkCudaTests.Random(batch * cpu.InputSize, 12).Select(v => v * 300f).ToArray();
        Lengths(cpu, batch, 5)(x);
        var expected = new float[batch * cpu.OutputSize];
        var actual = new float[expected.Length];
        cpu.Forward(x, expected, batch);
        net.Forward(x, actual, batch);
        Assert.All(actual, v => Assert.True(float.IsFinite(v)));
        GeneratedNetworkCudaTests.AssertClose(expected, actual);
    }

    [GpuFact]
    public void A_key_length_that_is_not_a_whole_number_of_keys_is_refused_as_on_the_cpu()
    {
        const int batch = 2;
        INetwork cpu = new CudaMaskedAttention(seed: 2);
        using var gpu = CudaDevice.Open();
        using var net = CudaNetwork.Create(gpu, cpu, null, batch);
        var y = new float[batch * cpu.OutputSize];
        foreach (float bad in new[] { -1f, 6f, 2.5f, float.NaN })
        {
            var x = new float[batch * cpu.InputSize];
            x[cpu.InputSize + 5 * 4] = bad; // sample 1's length (S = 5)
            Assert.Throws<ArgumentOutOfRangeException>(() => cpu.Forward(x, y, batch));
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.Forward(x, y, batch));
            Assert.Contains("sample 1", e.Message);
        }
    }

    [GpuFact]
    public void Attention_dropout_is_deterministic_per_seed_and_off_in_evaluation()
    {
        const int batch = 4;
        INetwork cpu = new CudaDroppedSdpa(seed: 5);
        using var gpu = CudaDevice.Open();
        var options = new CudaTrainingOptions(CudaLoss.MeanSquaredError, null);
        var x = GeneratedNetworkCudaTests.Random(batch * cpu.InputSize, 4);
        float[] Run(ulong seed, bool training)
        {
            using var net = CudaNetwork.Create(gpu, cpu, options, batch);
            net.DropoutSeed = seed;
            var y = new float[batch * cpu.OutputSize];
            net.Forward(x, y, batch, training);
            return y;
        }
        Assert.Equal(Run(1, true), Run(1, true));          // the same seed: the same masks, bit for bit
        Assert.NotEqual(Run(1, true), Run(2, true));       // another seed: other masks
        var evaluation = Run(1, false);
        Assert.Equal(evaluation, Run(2, false));           // evaluation draws nothing
        var expected = new float[evaluation.Length];
        cpu.Forward(x, expected, batch);
        GeneratedNetworkCudaTests.AssertClose(expected, evaluation);
    }
}
