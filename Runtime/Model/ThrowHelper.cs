using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SourceGenNN;

/// <summary>
/// Cold throw paths, kept out of hot methods so that those stay small enough to inline. Generated code calls these.
/// </summary>
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

    /// <summary>Checks that <paramref name="length"/> is exactly <paramref name="expected"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckLength(int length, int expected, string parameter, string shape)
    {
        if (length != expected) ThrowLength(parameter, expected, length, shape);
    }
}
