namespace SourceGenNN.Benchmarks.Plain;

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
    public static float CrossEntropyStep(PlainMlp net, PlainOptimizer optimizer, float[] input, float[] labels, int batch, float[] output, float[] gradient)
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
    public static float BinaryCrossEntropyStep(PlainMlp net, PlainOptimizer optimizer, float[] input, float[] targets, int batch, float[] output, float[] gradient)
    {
        net.ZeroGrad();
        net.Forward(input, batch, output);
        float loss = PlainLoss.BinaryCrossEntropy(net.Logits, targets, gradient, batch * net.OutputSize);
        net.BackwardFromLogits(gradient);
        optimizer.Step();
        return loss;
    }
}
