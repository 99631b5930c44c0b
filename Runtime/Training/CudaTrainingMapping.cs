using System;
using SourceGenNN.Cuda;

namespace SourceGenNN.Training;

/// <summary>
/// Maps the trainer's loss, optimiser and network onto the CUDA executor's descriptions
/// (<see cref="CudaLoss"/>, <see cref="CudaOptimizer"/>), or says in a <see cref="NotSupportedException"/> what has no
/// GPU form and what has. Pure: it touches no GPU, so it is tested on every machine.
/// </summary>
internal static class CudaTrainingMapping
{
    internal const string SupportedLosses =
        "CrossEntropy (class indices or probabilities, per sample or per step), BinaryCrossEntropyWithLogits, BinaryCrossEntropy on a network ending in Sigmoid, MeanSquaredError";

    internal const string SupportedOptimizers = "Sgd (momentum, dampening, Nesterov, weight decay), Adam, AdamW";


    /// <summary>The loss, the optimiser and a check that every layer has a CUDA implementation.</summary>
    internal static CudaTrainingOptions Map(Loss loss, Optimizer optimizer, NetworkDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        try
        {
            _ = CudaPlan.Build(description);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{e.Message} The GPU supports these layers: {CudaLayers.Supported}.", e);
        }
        return new CudaTrainingOptions(MapLoss(loss, description), MapOptimizer(optimizer), loss is CrossEntropy ce ? ce.Classes : 0);
    }

    /// <summary>
    /// The CUDA loss that computes exactly what the CPU trainer computes for <paramref name="loss"/> on this network,
    /// including the fusion with a final Softmax (cross entropy) or Sigmoid (binary cross entropy).
    /// </summary>
    internal static CudaLoss MapLoss(Loss loss, NetworkDescription description)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(description);
        string? lastKind = description.Layers.Count > 0 ? description.Layers[^1].Kind : null;

        switch (loss)
        {
            case CrossEntropy { Classes: > 0 } when description.FusedActivation == LayerKindNames.Softmax:
                throw new NotSupportedException(
                    $"The loss 'cross_entropy' per step reads each step's logits, but this network ends in Softmax; the GPU does not apply cross entropy to probabilities. End the network in the Dense that gives the logits. Supported on the GPU: {SupportedLosses}.");
            case CrossEntropy:
                return CudaLoss.CrossEntropy; // class indices are expanded to one-hot rows by the trainer
            case BinaryCrossEntropyWithLogits:
                return CudaLoss.BinaryCrossEntropy;
            case BinaryCrossEntropy when description.FusedActivation == LayerKindNames.Sigmoid:
                return CudaLoss.BinaryCrossEntropy;
            case BinaryCrossEntropy:
                throw new NotSupportedException(
                    $"The loss 'bce' (BinaryCrossEntropy) reads probabilities when the network does not end in Sigmoid (this one ends in {lastKind ?? "nothing"}); the GPU computes binary cross entropy from logits only. End the network in Sigmoid or use BinaryCrossEntropyWithLogits. Supported on the GPU: {SupportedLosses}.");
            case MeanSquaredError:
                return CudaLoss.MeanSquaredError;
            default:
                throw new NotSupportedException(
                    $"The loss '{loss.Name}' ({loss.GetType().Name}) has no GPU implementation. Supported on the GPU: {SupportedLosses}.");
        }
    }

    /// <summary>The CUDA optimiser with <paramref name="optimizer"/>'s kind and hyper-parameters (PyTorch semantics on both sides).</summary>
    internal static CudaOptimizer MapOptimizer(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        // Exact types: a subclass may change the update rule.
        Type type = optimizer.GetType();
        if (type == typeof(Sgd))
        {
            var s = (Sgd)optimizer;
            return CudaOptimizer.Sgd(s.LearningRate, s.Momentum, s.Dampening, s.WeightDecay, s.Nesterov);
        }
        if (type == typeof(Adam))
        {
            var a = (Adam)optimizer;
            return CudaOptimizer.Adam(a.LearningRate, a.Beta1, a.Beta2, a.Epsilon, a.WeightDecay);
        }
        if (type == typeof(AdamW))
        {
            var a = (AdamW)optimizer;
            return CudaOptimizer.AdamW(a.LearningRate, a.WeightDecay, a.Beta1, a.Beta2, a.Epsilon);
        }
        throw new NotSupportedException(
            $"The optimiser '{optimizer.Kind}' ({type.Name}) has no GPU implementation. Supported on the GPU: {SupportedOptimizers}.");
    }
}
