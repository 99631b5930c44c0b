using System;

namespace SourceGenNN;

/// <summary>
/// What every generated network offers, so that trainers, weight files and devices can work with any of them.
/// Tensors are row-major: a batch of inputs is <c>[batch, InputSize]</c>, a batch of outputs <c>[batch, OutputSize]</c>.
/// A network with several inputs takes them packed here, each sample's inputs side by side in declaration order; its
/// generated <c>Forward</c> and <c>Backward</c> also take one span per input.
/// </summary>
public interface INetwork
{
    /// <summary>The layers, their shapes and the parameter tensors, as declared.</summary>
    NetworkDescription Description { get; }

    /// <summary>The number of input elements of one sample (of all inputs together when there are several).</summary>
    int InputSize { get; }

    /// <summary>The number of outputs of one sample.</summary>
    int OutputSize { get; }

    /// <summary>Every trainable parameter, in one contiguous buffer laid out as <see cref="NetworkDescription.Parameters"/> says.</summary>
    Span<float> Parameters { get; }

    /// <summary>
    /// Every state buffer (BatchNorm's running statistics): saved and loaded with the parameters, changed by training-mode
    /// forward passes, never by the optimiser; laid out as <see cref="NetworkDescription.Buffers"/> says. Empty when the
    /// network has none.
    /// </summary>
    Span<float> Buffers { get; }

    /// <summary>The gradient of every parameter, in the same layout as <see cref="Parameters"/>. Backward passes add to it.</summary>
    Span<float> Gradients { get; }

    /// <summary>The batch size of the last forward pass (0 before the first).</summary>
    int Batch { get; }

    /// <summary>
    /// The input of the final Softmax or Sigmoid layer for the last forward pass (<c>[Batch, OutputSize]</c>), or the
    /// output itself when the network does not end in one. Losses computed from logits use it for numerical stability.
    /// </summary>
    ReadOnlySpan<float> Logits { get; }

    /// <summary>
    /// The output of one layer for the last forward pass, <c>[Batch, ...that layer's output shape]</c> row-major, as a
    /// PyTorch forward hook would capture it: feature maps and hidden activations to inspect or plot. The span is the
    /// network's own buffer, valid until the next pass. Generated networks implement it; the default throws
    /// <see cref="NotSupportedException"/>.
    /// </summary>
    /// <param name="layer">The layer's index in <see cref="NetworkDescription.Layers"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is not a layer index.</exception>
    ReadOnlySpan<float> LayerOutput(int layer) =>
        throw new NotSupportedException($"{GetType().Name} does not expose its layers' outputs.");

    /// <summary>
    /// Runs the network on <paramref name="batch"/> samples. Training mode activates dropout and RReLU's random slopes
    /// and keeps what <see cref="Backward"/> needs until the next forward pass; evaluation mode is for inference only
    /// (it does not copy the input, and Backward after it throws).
    /// </summary>
    /// <param name="input">[batch, InputSize], row-major (the inputs of each sample side by side when there are several).</param>
    /// <param name="output">[batch, OutputSize], row-major; written.</param>
    /// <param name="batch">The number of samples; must be positive.</param>
    /// <param name="training">Training mode (true) or evaluation mode (false).</param>
    void Forward(ReadOnlySpan<float> input, Span<float> output, int batch = 1, bool training = false);

    /// <summary>
    /// Back-propagates from the gradient of the loss with respect to the last forward pass's output, adding the
    /// gradient of every parameter to <see cref="Gradients"/>. The last forward pass must have been in training mode;
    /// otherwise it throws <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <param name="outputGradient">dLoss/dOutput, [Batch, OutputSize]; or dLoss/dLogits when <paramref name="fromLogits"/> is true.</param>
    /// <param name="inputGradient">Empty, or [Batch, InputSize] to receive dLoss/dInput.</param>
    /// <param name="fromLogits">
    /// True when <paramref name="outputGradient"/> is the gradient with respect to <see cref="Logits"/>: the final
    /// Softmax or Sigmoid layer's backward is then skipped (the fused p − y gradient of cross entropy).
    /// </param>
    void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient = default, bool fromLogits = false);

    /// <summary>Sets every gradient to zero.</summary>
    void ZeroGrad();

    /// <summary>Initialises every parameter from its declared initialiser. The same seed gives the same weights.</summary>
    void Initialize(ulong seed);

    /// <summary>A table of the layers, their output shapes and parameter counts, like torchsummary's.</summary>
    /// <param name="batchSize">The batch size used for the activation-memory estimate.</param>
    string Summary(int batchSize = 1);
}
