using System;

namespace SourceGenNN.Benchmarks.Plain;

/// <summary>Hand-written losses, computed from logits with their gradient fused in (the usual hand-written form).</summary>
public static class PlainLoss
{
    /// <summary>
    /// Cross entropy of softmax(logits) against class indices, averaged over the batch; writes
    /// dLoss/dLogits = (softmax(z) − onehot(y)) / batch.
    /// </summary>
    /// <param name="logits">[batch, classes].</param>
    /// <param name="labels">[batch]: class indices stored as floats.</param>
    /// <param name="gradient">Receives [batch, classes].</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="classes">Classes per sample.</param>
    /// <returns>The mean loss.</returns>
    public static float CrossEntropy(float[] logits, float[] labels, float[] gradient, int batch, int classes)
    {
        double total = 0;
        for (int n = 0; n < batch; n++)
        {
            int row = n * classes, label = (int)labels[n];
            float max = logits[row];
            for (int i = 1; i < classes; i++) max = MathF.Max(max, logits[row + i]);
            float sum = 0f;
            for (int i = 0; i < classes; i++) sum += MathF.Exp(logits[row + i] - max);
            float logSumExp = max + MathF.Log(sum);
            total += logSumExp - logits[row + label];
            for (int i = 0; i < classes; i++)
            {
                float p = MathF.Exp(logits[row + i] - logSumExp);
                gradient[row + i] = (p - (i == label ? 1f : 0f)) / batch;
            }
        }
        return (float)(total / batch);
    }

    /// <summary>
    /// Binary cross entropy of sigmoid(logits) against 0/1 targets, averaged over every element, in the stable form
    /// max(z, 0) − z·y + log(1 + e^−|z|); writes dLoss/dLogits = (σ(z) − y) / count.
    /// </summary>
    /// <param name="logits">[count].</param>
    /// <param name="targets">[count].</param>
    /// <param name="gradient">Receives [count].</param>
    /// <param name="count">The number of elements (batch · outputs).</param>
    /// <returns>The mean loss.</returns>
    public static float BinaryCrossEntropy(float[] logits, float[] targets, float[] gradient, int count)
    {
        double total = 0;
        for (int k = 0; k < count; k++)
        {
            float z = logits[k], y = targets[k];
            total += MathF.Max(z, 0f) - z * y + MathF.Log(1f + MathF.Exp(-MathF.Abs(z)));
            float s = 1f / (1f + MathF.Exp(-z));
            gradient[k] = (s - y) / count;
        }
        return (float)(total / count);
    }
}
