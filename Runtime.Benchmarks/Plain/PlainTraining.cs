namespace SourceGenNN.Benchmarks.Plain;

/// <summary>What the hand-written training step and optimisers need of a plain network (<see cref="PlainMlp"/>, <see cref="PlainCnn"/>).</summary>
public interface IPlainNetwork
{
    /// <summary>Inputs per sample.</summary>
    int InputSize { get; }

    /// <summary>Outputs per sample.</summary>
    int OutputSize { get; }

    /// <summary>Every parameter tensor, in the generated network's order (for the optimisers).</summary>
    float[][] Tensors { get; }

    /// <summary>The gradient of each tensor in <see cref="Tensors"/>.</summary>
    float[][] TensorGrads { get; }

    /// <summary>The last layer's output before any final activation, from the last forward pass.</summary>
    float[] Logits { get; }

    /// <summary>Grows the per-batch buffers (the only allocation).</summary>
    void Reserve(int batch);

    /// <summary>Sets every gradient to zero.</summary>
    void ZeroGrad();

    /// <summary>Runs the network on a batch.</summary>
    void Forward(float[] input, int batch, float[] output);

    /// <summary>Back-propagates dLoss/dLogits, adding to <see cref="TensorGrads"/>.</summary>
    void BackwardFromLogits(float[] logitGradient);
}

/// <summary>One hand-written training step: zero the gradients, forward, fused loss and gradient, backward, update.</summary>
public static class PlainTraining
{
    /// <summary>A train step with cross entropy on the network's final logits.</summary>
    /// <param name="net">The network.</param>
    /// <param name="optimizer">Its optimiser.</param>
    /// <param name="input">[batch, InputSize].</param>
    /// <param name="labels">[batch] class indices.</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="output">Scratch for the output, [batch, OutputSize].</param>
    /// <param name="gradient">Scratch for dLoss/dLogits, [batch, OutputSize].</param>
    /// <returns>The batch's loss before the update.</returns>
    public static float CrossEntropyStep(IPlainNetwork net, PlainOptimizer optimizer, float[] input, float[] labels, int batch, float[] output, float[] gradient)
    {
        net.ZeroGrad();
        net.Forward(input, batch, output);
        float loss = PlainLoss.CrossEntropy(net.Logits, labels, gradient, batch, net.OutputSize);
        net.BackwardFromLogits(gradient);
        optimizer.Step();
        return loss;
    }

    /// <summary>A train step with binary cross entropy on the logits of a network that ends in a sigmoid.</summary>
    /// <param name="net">The network.</param>
    /// <param name="optimizer">Its optimiser.</param>
    /// <param name="input">[batch, InputSize].</param>
    /// <param name="targets">[batch, OutputSize] of 0 or 1.</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="output">Scratch for the output, [batch, OutputSize].</param>
    /// <param name="gradient">Scratch for dLoss/dLogits, [batch, OutputSize].</param>
    /// <returns>The batch's loss before the update.</returns>
    public static float BinaryCrossEntropyStep(IPlainNetwork net, PlainOptimizer optimizer, float[] input, float[] targets, int batch, float[] output, float[] gradient)
    {
        net.ZeroGrad();
        net.Forward(input, batch, output);
        float loss = PlainLoss.BinaryCrossEntropy(net.Logits, targets, gradient, batch * net.OutputSize);
        net.BackwardFromLogits(gradient);
        optimizer.Step();
        return loss;
    }
}
