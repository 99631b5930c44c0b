using System;

namespace SourceGenNN.Tests;

/// <summary>How the zero-allocation tests measure.</summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes this thread allocates over <paramref name="calls"/> calls of <paramref name="call"/>, in up to 5
    /// windows (stopping at the first of 0 bytes). An allocation on every call shows in every window; a one-time one
    /// (the runtime's own: 2–7 KB, seen now and then in full CI runs under load and never alone) shows in only one.
    /// </summary>
    public static long SteadyBytes(Action call, int calls = 3)
    {
        long fewest = long.MaxValue;
        for (int window = 0; window < 5 && fewest > 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++) call();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
