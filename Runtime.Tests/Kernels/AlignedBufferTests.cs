using System;
using SourceGenNN.Kernels;
using SourceGenNN.Tests.Networks;
using Xunit;

namespace SourceGenNN.Tests.Kernels;

/// <summary>
/// <see cref="AlignedBuffer"/> starts on a 64-byte boundary, and the generated networks keep their parameters,
/// gradients and activations in such buffers.
/// </summary>
public class AlignedBufferTests
{
    private static unsafe long Misalignment(ReadOnlySpan<float> span)
    {
        fixed (float* p = span) return (long)p % AlignedBuffer.Alignment;
    }

    [Fact]
    public void Allocate_gives_zeros_on_a_64_byte_boundary_for_every_length()
    {
        // Many allocations of many sizes: a plain float[] lands on a 64-byte boundary only 1 time in 8.
        for (int length = 1; length <= 300; length++)
        {
            var buffer = AlignedBuffer.Allocate(length);
            Assert.Equal(length, buffer.Length);
            Assert.Equal(length, buffer.Span.Length);
            Assert.Equal(0, Misalignment(buffer.Span));
            Assert.True(buffer.Span.IndexOfAnyExcept(0f) < 0);
        }
        Assert.Equal(0, Misalignment(AlignedBuffer.Allocate(1 << 20).Span)); // on the large-object side too
    }

    [Fact]
    public void The_empty_and_default_buffers_have_no_elements()
    {
        Assert.True(default(AlignedBuffer).Span.IsEmpty);
        Assert.True(AlignedBuffer.Allocate(0).Span.IsEmpty);
        Assert.True(default(AlignedBuffer).Slice(0, 0).IsEmpty);
        Assert.Throws<ArgumentOutOfRangeException>(() => AlignedBuffer.Allocate(-1));
        // Past MaxLength the padded array would not fit: refused before anything is allocated.
        Assert.Equal(Array.MaxLength - 15, AlignedBuffer.MaxLength);
        Assert.Throws<ArgumentOutOfRangeException>(() => AlignedBuffer.Allocate(AlignedBuffer.MaxLength + 1));
    }

    [Fact]
    public void Slice_stays_inside_the_buffer_and_writes_through()
    {
        var buffer = AlignedBuffer.Allocate(20);
        buffer.Slice(5, 3).Fill(2f);
        Span<float> all = buffer;
        Assert.Equal(new float[] { 0, 2, 2, 2, 0 }, all.Slice(4, 5).ToArray());
        // Past the end of the buffer is refused, although the array behind it has padding there.
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Slice(18, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Slice(-1, 2));
    }

    [Fact]
    public void A_generated_network_keeps_parameters_gradients_and_activations_aligned()
    {
        for (int k = 0; k < 10; k++)
        {
            var net = new MnistMlp(seed: (ulong)k);
            const int batch = 3;
            var x = new float[batch * MnistMlp.InputSize];
            net.Forward(x, new float[batch * MnistMlp.OutputSize], batch, training: true);
            Assert.Equal(0, Misalignment(net.Parameters));
            Assert.Equal(0, Misalignment(net.Gradients));
            for (int layer = 0; layer < net.Description.Layers.Count; layer++)
                Assert.Equal(0, Misalignment(net.LayerOutput(layer)));
            // An inference clone shares the parameters and has aligned activations of its own.
            var clone = net.CloneForInference();
            clone.Forward(x, new float[batch * MnistMlp.OutputSize], batch);
            Assert.Equal(0, Misalignment(clone.Parameters));
            Assert.Equal(0, Misalignment(clone.LayerOutput(0)));
            Assert.True(clone.Gradients.IsEmpty);
        }
    }

    [Fact]
    public void The_optimisers_keep_their_state_aligned()
    {
        var net = new MnistMlp(seed: 1);
        SourceGenNN.Training.Optimizer[] optimizers = [new SourceGenNN.Training.Adam(net), new SourceGenNN.Training.Sgd(net, 0.1f, momentum: 0.9f)];
        foreach (var optimizer in optimizers)
            for (int k = 0; k < optimizer.StateNames.Count; k++)
                Assert.Equal(0, Misalignment(optimizer.StateBuffer(k)));
    }
}
