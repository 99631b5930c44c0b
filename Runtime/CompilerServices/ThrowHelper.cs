using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SourceGenNN.CompilerServices;

/// <summary>
/// Cold throw paths, kept out of hot methods so that those stay small enough to inline. Generated code and the runtime
/// call these; they are not meant for user code (hidden from IntelliSense).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ThrowHelper
{
    /// <summary>Throws when a span's length is not what the shape requires.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowLength(string parameter, int expected, int actual, string shape) =>
        throw new ArgumentException(
            $"'{parameter}' has length {actual}, but {expected} was expected ({shape}).", parameter);

    /// <summary>Throws when an argument is out of its range.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgumentOutOfRange(string parameter, object actual, string expected) =>
        throw new ArgumentOutOfRangeException(parameter, actual, $"'{parameter}' is {actual}, but {expected} was expected.");

    /// <summary>Throws when a method is called in the wrong state.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    /// <summary>Throws when a second thread enters a network instance that is running a pass.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowConcurrentUse(string network, string operation) => throw new InvalidOperationException(
        $"{network}.{operation} was called while another call on the same instance was running (from another thread). " +
        "A network instance runs one pass at a time, because its activation buffers belong to the pass in flight. " +
        "Give each thread its own instance; for inference, CloneForInference() gives one that shares the weights.");

    /// <summary>
    /// Checks that a span holds <paramref name="rows"/> × <paramref name="features"/> elements. The message (built only
    /// on failure, so the check allocates nothing) names the parameter, both lengths and the shape.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckShape(int length, int rows, int features, string parameter, string rowsName)
    {
        // In long: rows × features can exceed int (a huge batch must not wrap around to a length that passes).
        if (length != (long)rows * features) ThrowShape(parameter, length, rows, features, rowsName);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowShape(string parameter, int actual, int rows, int features, string rowsName) =>
        throw new ArgumentException(
            $"'{parameter}' has length {actual}, but {(long)rows * features} was expected ([{rowsName}, features] = [{rows}, {features}]).", parameter);

    /// <summary>
    /// Checks that a span holds <paramref name="rows"/> × <paramref name="columns"/> elements, the product in
    /// <see cref="long"/> (65536 × 65536 wraps around to 0 in <see cref="int"/>, which an empty span would pass). The
    /// message, built only on failure, names both dimensions: <c>[batch, target width] = [65536, 1]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CheckShape(int length, int rows, int columns, string parameter, string rowsName, string columnsName)
    {
        if (length != (long)rows * columns) ThrowShape(parameter, length, rows, columns, rowsName, columnsName);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowShape(string parameter, int actual, int rows, int columns, string rowsName, string columnsName) =>
        throw new ArgumentException(
            $"'{parameter}' has length {actual}, but {(long)rows * columns} was expected ([{rowsName}, {columnsName}] = [{rows}, {columns}]).", parameter);

    /// <summary>Checks that a span holds at least <paramref name="needed"/> elements (kernels may be given longer buffers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckAtLeast(int length, long needed, string parameter)
    {
        if (length < needed) ThrowTooShort(parameter, length, needed);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooShort(string parameter, int actual, long needed) =>
        throw new ArgumentException($"'{parameter}' has length {actual}, but at least {needed} was expected.", parameter);

    /// <summary>Checks that an output span does not overlap an input span (kernels that recompute a tail need this).</summary>
    public static void CheckNoOverlap(ReadOnlySpan<float> input, ReadOnlySpan<float> output, string inputName, string outputName)
    {
        if (input.Overlaps(output))
            throw new ArgumentException($"'{outputName}' overlaps '{inputName}'; the kernel needs separate buffers.", outputName);
    }

    /// <summary>Checks that <paramref name="length"/> is exactly <paramref name="expected"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckLength(int length, int expected, string parameter, string shape)
    {
        if (length != expected) ThrowLength(parameter, expected, length, shape);
    }
}
