using System;

namespace SourceGenNN.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Gradient clipping applied in every training step (<see cref="TrainStep"/> and <see cref="Fit"/>) between the
    /// backward pass and the optimiser step: <see cref="Training.GradientClipping.Norm"/> (PyTorch's
    /// <c>clip_grad_norm_</c>) or <see cref="Training.GradientClipping.Value"/> (<c>clip_grad_value_</c>); null, the
    /// default, for none. On a device (<see cref="UseDevice"/>) the same clipping runs on the GPU, in the same step.
    /// </summary>
    public GradientClipping? GradientClipping { get; set; }

    /// <summary>
    /// The total gradient norm of the last training step before it was clipped, as <c>clip_grad_norm_</c> returns it;
    /// NaN before the first step, and when <see cref="GradientClipping"/> is not clipping by norm.
    /// </summary>
    public float LastGradientNorm { get; private set; } = float.NaN;

    /// <summary>
    /// Clips the network's current gradients by their total norm, now, as
    /// <c>torch.nn.utils.clip_grad_norm_(model.parameters(), maxNorm, normType)</c>: for a training loop written by hand
    /// (<see cref="INetwork.Forward"/>, <see cref="INetwork.Backward"/>, this, <see cref="Optimizer.Step(INetwork)"/>).
    /// <see cref="GradientClipping"/> does the same inside <see cref="TrainStep"/> and <see cref="Fit"/>.
    /// </summary>
    /// <param name="maxNorm">The largest total norm kept; must be positive.</param>
    /// <param name="normType">p of the p-norm, or <see cref="double.PositiveInfinity"/> (default 2).</param>
    /// <returns>The total norm before clipping.</returns>
    public float ClipGradNorm(double maxNorm, double normType = 2.0)
    {
        bool entered = Enter(nameof(ClipGradNorm));
        try
        {
            RefuseDeviceClipping();
            return Training.GradientClipping.ClipGradNorm(Network.Gradients, maxNorm, normType);
        }
        finally
        {
            Exit(entered);
        }
    }

    /// <summary>
    /// Clamps the network's current gradients to [−<paramref name="clipValue"/>, <paramref name="clipValue"/>], now, as
    /// <c>torch.nn.utils.clip_grad_value_(model.parameters(), clipValue)</c>.
    /// </summary>
    /// <param name="clipValue">The largest magnitude kept; must be positive and finite.</param>
    public void ClipGradValue(double clipValue)
    {
        bool entered = Enter(nameof(ClipGradValue));
        try
        {
            RefuseDeviceClipping();
            Training.GradientClipping.ClipGradValue(Network.Gradients, clipValue);
        }
        finally
        {
            Exit(entered);
        }
    }

    private void RefuseDeviceClipping()
    {
        if (_gpu is not null)
            throw new NotSupportedException("ClipGradNorm and ClipGradValue clip the network's gradients on the CPU, but this trainer trains on a GPU (UseDevice), where the gradients stay on the device: set trainer.GradientClipping instead, which the GPU applies in every step.");
    }
}
