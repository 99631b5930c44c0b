using System;
using System.Runtime.CompilerServices;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// A buffer of floats whose first element sits on a 64-byte boundary: one cache line, and one AVX-512 vector. The
/// generated networks keep their parameters, gradients and activations in these.
/// </summary>
/// <remarks>
/// <para>
/// Why: a managed <c>float[]</c> starts wherever the garbage collector put it, 8-byte aligned but otherwise at any
/// offset within a cache line, and differently from one run to the next. The matrix products read rows of their
/// operands with full-width vector loads; when a row starts mid-line, every such load spans two cache lines. Measured on
/// a 256×1024×1024 forward product (AVX-512, one thread), operands at random offsets made it about 15% slower than
/// aligned ones, and which offsets a run got changed its timings from run to run.
/// </para>
/// <para>
/// How: the buffer is a slice of a slightly longer array allocated on the pinned object heap, starting at the first
/// element on a 64-byte boundary. Pinned arrays never move, so the boundary holds for the buffer's whole life; the
/// array is collected like any other once nothing refers to it. The values are the same whatever the alignment: only
/// the speed of reading them changes.
/// </para>
/// </remarks>
public readonly struct AlignedBuffer
{
    /// <summary>The alignment of the first element, in bytes.</summary>
    public const int Alignment = 64;

    private readonly float[]? _array;
    private readonly int _offset;

    private AlignedBuffer(float[] array, int offset, int length)
    {
        _array = array;
        _offset = offset;
        Length = length;
    }

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <summary>The most floats a buffer can hold: an array's limit, less the padding that aligns its start.</summary>
    public static int MaxLength => Array.MaxLength - Padding;

    /// <summary>The floats an array needs beyond the buffer's to find a 64-byte boundary among its first elements.</summary>
    private const int Padding = Alignment / sizeof(float) - 1;

    /// <summary>A new buffer of <paramref name="length"/> zeros, its first element on a 64-byte boundary.</summary>
    /// <param name="length">The number of floats, 0 or more.</param>
    /// <returns>The buffer.</returns>
    public static unsafe AlignedBuffer Allocate(int length)
    {
        if (length < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(length), length, "a non-negative length");
        if (length == 0) return default;
        if (length > MaxLength)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(length), length, $"a length up to {MaxLength} (an array's limit, less the alignment padding)");
        var array = GC.AllocateArray<float>(length + Padding, pinned: true);
        // The pinned object heap never moves the array, so this address (and its offset within a cache line) holds.
        nint address = (nint)Unsafe.AsPointer(ref array[0]);
        int offset = (int)(((Alignment - (address & (Alignment - 1))) & (Alignment - 1)) / sizeof(float));
        return new AlignedBuffer(array, offset, length);
    }

    /// <summary>Every element: a span of <see cref="Length"/> floats (empty for the default buffer).</summary>
    public Span<float> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _array is null ? default : new Span<float>(_array, _offset, Length);
    }

    /// <summary>Elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).</summary>
    /// <param name="start">The first element.</param>
    /// <param name="length">The number of elements.</param>
    /// <returns>The span.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie within the buffer.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> Slice(int start, int length) => Span.Slice(start, length);

    /// <summary>The buffer's elements as a span.</summary>
    /// <param name="buffer">The buffer.</param>
    public static implicit operator Span<float>(AlignedBuffer buffer) => buffer.Span;

    /// <summary>The buffer's elements as a read-only span.</summary>
    /// <param name="buffer">The buffer.</param>
    public static implicit operator ReadOnlySpan<float>(AlignedBuffer buffer) => buffer.Span;
}
