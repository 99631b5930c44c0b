using System;
using SourceGenNN.Cuda;
using SourceGenNN.Tests.Cuda;
using SourceGenNN.Training;
using Xunit;
using SourceGenNN.Testing;

namespace SourceGenNN.Tests.Training;

/// <summary>A trailing Identity after the Softmax: neither the CPU trainer nor the CUDA plan fuses (SGNN0026 warns of it).</summary>
#pragma warning disable SGNN0026
[Network(6)]
[Dense(3)]
[Softmax]
[Identity]
#pragma warning restore SGNN0026
public partial class SoftmaxThenIdentity { }

/// <summary>
/// The trainer's GPU switch without a GPU: the mapping of losses and optimisers onto the CUDA executor's descriptions
/// (a pure function), class indices as one-hot rows, and the reason <see cref="CudaDevice.Open"/> gives.
/// </summary>
public class TrainerDeviceMappingTests
{
    private sealed class MyAdam(int n) : Adam(n)
    {
        public override string Kind => "MyAdam";
    }

    [Fact]
    public void Adam_maps_to_cuda_adam_with_its_hyper_parameters_and_l2_decay()
    {
        var adam = new Adam(10, learningRate: 0.002f, beta1: 0.8f, beta2: 0.99f, epsilon: 1e-6f, weightDecay: 0.01f);
        Assert.Equal(
            new CudaOptimizer(CudaOptimizerKind.Adam, 0.002f, WeightDecay: 0.01f, Beta1: 0.8f, Beta2: 0.99f, Epsilon: 1e-6f, DecoupledWeightDecay: false),
            CudaTrainingMapping.MapOptimizer(adam));
    }

    [Fact]
    public void AdamW_maps_to_cuda_adam_with_decoupled_decay()
    {
        var adamw = new AdamW(10, learningRate: 0.003f, beta1: 0.85f, beta2: 0.98f, epsilon: 1e-7f, weightDecay: 0.05f);
        Assert.Equal(
            new CudaOptimizer(CudaOptimizerKind.Adam, 0.003f, WeightDecay: 0.05f, Beta1: 0.85f, Beta2: 0.98f, Epsilon: 1e-7f, DecoupledWeightDecay: true),
            CudaTrainingMapping.MapOptimizer(adamw));
    }

    [Theory]
    [InlineData(0.1f, 0f, 0f, 0f, false)]
    [InlineData(0.05f, 0.9f, 0.1f, 1e-4f, false)]
    [InlineData(0.01f, 0.8f, 0f, 0.001f, true)]
    public void Sgd_maps_with_momentum_dampening_decay_and_nesterov(float lr, float momentum, float dampening, float decay, bool nesterov)
    {
        var sgd = new Sgd(10, lr, momentum, dampening, decay, nesterov);
        Assert.Equal(new CudaOptimizer(CudaOptimizerKind.Sgd, lr, momentum, dampening, nesterov, decay), CudaTrainingMapping.MapOptimizer(sgd));
    }

    [Fact]
    public void Rmsprop_is_not_supported_and_the_message_lists_what_is()
    {
        var e = Assert.Throws<NotSupportedException>(() => CudaTrainingMapping.MapOptimizer(new RmsProp(10)));
        Assert.Contains("'RMSprop'", e.Message);
        Assert.Contains("Sgd", e.Message);
        Assert.Contains("AdamW", e.Message);
    }

    [Fact]
    public void A_subclass_of_adam_is_not_taken_for_adam()
    {
        var e = Assert.Throws<NotSupportedException>(() => CudaTrainingMapping.MapOptimizer(new MyAdam(10)));
        Assert.Contains("MyAdam", e.Message);
    }

    [Fact]
    public void Losses_map_to_the_cuda_loss_that_computes_the_same_value()
    {
        var softmax = new DigitsSoftmax(1).Description;   // ends in Softmax
        var logits = new DigitsMlp(1).Description;        // ends in raw logits
        var sigmoid = new CancerLogistic(1).Description;  // ends in Sigmoid
        var linear = new DiabetesLinear(1).Description;
        Assert.Equal(CudaLoss.CrossEntropy, CudaTrainingMapping.MapLoss(new CrossEntropy(), softmax));
        Assert.Equal(CudaLoss.CrossEntropy, CudaTrainingMapping.MapLoss(new CrossEntropy(), logits));
        Assert.Equal(CudaLoss.CrossEntropy, CudaTrainingMapping.MapLoss(new CrossEntropy(CrossEntropyTarget.Probabilities), softmax));
        Assert.Equal(CudaLoss.BinaryCrossEntropy, CudaTrainingMapping.MapLoss(new BinaryCrossEntropy(), sigmoid));
        Assert.Equal(CudaLoss.BinaryCrossEntropy, CudaTrainingMapping.MapLoss(new BinaryCrossEntropyWithLogits(), sigmoid));
        Assert.Equal(CudaLoss.BinaryCrossEntropy, CudaTrainingMapping.MapLoss(new BinaryCrossEntropyWithLogits(), linear));
        Assert.Equal(CudaLoss.MeanSquaredError, CudaTrainingMapping.MapLoss(new MeanSquaredError(), linear));
        Assert.Equal(CudaLoss.MeanSquaredError, CudaTrainingMapping.MapLoss(new MeanSquaredError(), sigmoid));
    }

    [Fact]
    public void Cross_entropy_per_step_maps_with_its_classes_and_is_refused_after_a_softmax()
    {
        // A sequence of logits [T, C] reads one prediction per step: the GPU is told C.
        var logits = new SourceGenNN.Tests.Networks.RnnSequenceNet(1).Description; // [5, 2] logits
        var options = CudaTrainingMapping.Map(CrossEntropy.PerStep(2), new Adam(logits.ParameterCount), logits);
        Assert.Equal(CudaLoss.CrossEntropy, options.Loss);
        Assert.Equal(2, options.ClassesPerStep);
        Assert.Equal(0, CudaTrainingMapping.Map(new CrossEntropy(), new Adam(logits.ParameterCount), logits).ClassesPerStep);
        // After a Softmax the CPU reads the probabilities as logits (no fusion per step); the GPU refuses rather than differ.
        var e = Assert.Throws<NotSupportedException>(() => CudaTrainingMapping.MapLoss(CrossEntropy.PerStep(2), new DigitsSoftmax(1).Description));
        Assert.Contains("per step", e.Message);
        Assert.Contains("Softmax", e.Message);
    }

    [Fact]
    public void Bce_on_probabilities_without_a_final_sigmoid_is_refused_with_the_alternative()
    {
        var e = Assert.Throws<NotSupportedException>(() => CudaTrainingMapping.MapLoss(new BinaryCrossEntropy(), new DiabetesLinear(1).Description));
        Assert.Contains("BinaryCrossEntropyWithLogits", e.Message);
        Assert.Contains("Sigmoid", e.Message);
    }

    [Theory]
    [InlineData("huber")]
    [InlineData("mae")]
    [InlineData("nll")]
    public void Losses_without_a_gpu_form_are_named_with_the_supported_list(string name)
    {
        Loss loss = name switch
        {
            "huber" => new HuberLoss(),
            "mae" => new MeanAbsoluteError(),
            _ => new NegativeLogLikelihood(),
        };
        var e = Assert.Throws<NotSupportedException>(() => CudaTrainingMapping.MapLoss(loss, new DigitsMlp(1).Description));
        Assert.Contains($"'{loss.Name}'", e.Message);
        Assert.Contains("MeanSquaredError", e.Message);
        Assert.Contains("CrossEntropy", e.Message);
    }

    [Fact]
    public void Softmax_then_identity_reads_the_output_on_cpu_and_gpu_alike()
    {
        // Only a network that ends in the Softmax itself fuses it with cross entropy: the trainer and the GPU plan decide
        // from the same NetworkDescription.FusedActivation, so a trailing Identity makes both read the output.
        var d = new SoftmaxThenIdentity(1).Description;
        Assert.Null(d.FusedActivation);
        Assert.False(new Trainer(new SoftmaxThenIdentity(1), new CrossEntropy(), new Sgd(d.ParameterCount)).Fused);
        Assert.Equal(CudaLoss.CrossEntropy, CudaTrainingMapping.MapLoss(new CrossEntropy(), d));
        var plan = CudaPlan.Build(d, CudaLoss.CrossEntropy);
        Assert.False(plan.LossSkipsLastStep);
        Assert.Equal(plan.OutputTensor, plan.LossTensor);
    }

    [Fact]
    public void A_layer_without_a_cuda_kernel_is_named_with_the_supported_layers()
    {
        var d = Descriptions.Chain("Odd", 4, new(LayerKindNames.Dense, 3), new Descriptions.Spec("Softplus"));
        var e = Assert.Throws<NotSupportedException>(() => CudaTrainingMapping.Map(new MeanSquaredError(), new Sgd(d.ParameterCount), d));
        Assert.Contains("'Softplus'", e.Message);
        Assert.Contains("GELU", e.Message);
    }

    [Fact]
    public void Map_combines_loss_and_optimizer()
    {
        var net = new DigitsSoftmax(1);
        var options = CudaTrainingMapping.Map(new CrossEntropy(), new Sgd(net, 0.1f, 0.9f), net.Description);
        Assert.Equal(CudaLoss.CrossEntropy, options.Loss);
        Assert.Equal(CudaOptimizer.Sgd(0.1f, 0.9f), options.Optimizer);
    }

    [Fact]
    public void Class_indices_become_one_hot_rows_and_bad_indices_are_refused()
    {
        var oneHot = new float[3 * 4];
        Trainer.OneHot([2f, 0f, 3f], oneHot, 3, 4);
        Assert.Equal(new float[] { 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1 }, oneHot);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.OneHot([1f, 4f], new float[8], 2, 4));
        Assert.Equal("target", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.OneHot([1.5f], new float[4], 1, 4));
    }

    [Fact]
    public void UseDevice_null_on_a_cpu_trainer_changes_nothing()
    {
        var net = new DigitsSoftmax(1);
        using var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net));
        Assert.Same(trainer, trainer.UseDevice(null));
        Assert.Null(trainer.Device);
    }

    [NoGpuFact]
    public void Open_without_cuda_throws_the_reason_naming_the_library_and_where_it_looked()
    {
        var e = Assert.Throws<CudaUnavailableException>(() => CudaDevice.Open());
        Assert.Equal(SourceGenNN.Cuda.Cuda.UnavailableReason(), e.Reason);
        if (e.Message.Contains("was not found", StringComparison.Ordinal))
        {
            Assert.Matches(@"lib[a-z]+\.so\.\d+ was not found", e.Message);
            Assert.Contains("Looked in:", e.Message);
            Assert.Contains("/usr/local/cuda/lib64", e.Message);
            Assert.Contains("SOURCEGENNN_CUDA_LIBDIR", e.Message);
        }
        else
        {
            // The libraries load, but there is no device: the message says so.
            Assert.Matches("no CUDA device|cudaGetDeviceCount failed", e.Message);
        }
    }
}
