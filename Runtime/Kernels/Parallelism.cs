using System;
using System.Threading;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// How many threads the kernels may use. Large matrix products are split by output columns at tile boundaries, so a
/// result does not depend on the thread count; small ones (under <see cref="MinMultiplyAddsPerThread"/> per thread)
/// run on the calling thread alone, because waking another costs more than they take.
/// </summary>
public static unsafe class Parallelism
{
    private static int _maxThreads = DefaultThreads();

    private static int DefaultThreads()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("SOURCEGENNN_THREADS"), out int n) && n >= 1) return Math.Min(n, ThreadLimit);
        return Math.Max(1, Math.Min(Environment.ProcessorCount, ThreadLimit));
    }

    /// <summary>The most threads the kernels can use.</summary>
    public const int ThreadLimit = 16;

    /// <summary>
    /// The most threads one product may use, from 1 to <see cref="ThreadLimit"/>: by default the processor count (at
    /// most 16), or the <c>SOURCEGENNN_THREADS</c> environment variable when it is set. 1 turns threading off.
    /// </summary>
    public static int MaxThreads
    {
        get => _maxThreads;
        set
        {
            if (value < 1 || value > ThreadLimit) ThrowHelper.ThrowArgumentOutOfRange(nameof(value), value, $"from 1 to {ThreadLimit}");
            _maxThreads = value;
        }
    }

    /// <summary>The least work, in multiply-adds, that justifies one more thread (about 20 µs on one core).</summary>
    public const long MinMultiplyAddsPerThread = 1L << 22;

    /// <summary>The number of threads a product of <paramref name="multiplyAdds"/> should use.</summary>
    public static int ThreadsFor(long multiplyAdds) =>
        (int)Math.Clamp(multiplyAdds / MinMultiplyAddsPerThread, 1, _maxThreads);

    /// <summary>
    /// Runs <c>body(context, i, count)</c> for every <c>i</c> in [0, count): part 0 on the calling thread, the others on
    /// pool threads, and returns when all are done. Allocation-free after the pool has grown to <paramref name="count"/>.
    /// </summary>
    internal static void For(int count, delegate*<void*, int, int, void> body, void* context)
    {
        if (count <= 1)
        {
            body(context, 0, 1);
            return;
        }
        lock (Gate) // one parallel product at a time; a second caller waits rather than oversubscribing
        {
            EnsureWorkers(count - 1);
            Volatile.Write(ref _remaining, count - 1);
            // Each participating worker gets its own job slot; workers beyond count - 1 are not touched at all.
            for (int w = 0; w < count - 1; w++)
            {
                var worker = Workers[w]!;
                worker.Body = body;
                worker.Context = context;
                worker.Count = count;
                Interlocked.Exchange(ref worker.Posted, 1); // a full fence: the fields above are visible first
                if (Volatile.Read(ref worker.Sleeping) != 0) worker.Signal.Release();
            }
            body(context, 0, count);
            var spin = new SpinWait();
            while (Volatile.Read(ref _remaining) != 0) spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private static readonly object Gate = new();
    private static readonly Worker?[] Workers = new Worker?[ThreadLimit];
    private static int _remaining;

    /// <summary>How long a worker spins for the next job before it blocks: a training step's products come close together.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 20_000; // 50 µs

    private static void EnsureWorkers(int n)
    {
        for (int w = 0; w < n; w++)
        {
            if (Workers[w] is not null) continue;
            var worker = new Worker(w + 1);
            var thread = new Thread(worker.Run) { IsBackground = true, Name = "SourceGenNN kernel " + (w + 1) };
            thread.Start();
            Workers[w] = worker;
        }
    }

    private sealed class Worker(int index)
    {
        public readonly SemaphoreSlim Signal = new(0);
        public delegate*<void*, int, int, void> Body;
        public void* Context;
        public int Count;
        public int Posted;
        public int Sleeping;

        public void Run()
        {
            while (true)
            {
                if (Volatile.Read(ref Posted) != 0)
                {
                    Body(Context, index, Count);
                    // Clear the slot before reporting done: the caller posts the next job only after every report.
                    Volatile.Write(ref Posted, 0);
                    Interlocked.Decrement(ref _remaining);
                    continue;
                }
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                while (Volatile.Read(ref Posted) == 0 && System.Diagnostics.Stopwatch.GetTimestamp() - start < SpinTicks)
                    Thread.SpinWait(20);
                if (Volatile.Read(ref Posted) != 0) continue;
                // Block: announce it with a full fence, then look once more, so a job posted in between is never missed.
                Interlocked.Exchange(ref Sleeping, 1);
                if (Volatile.Read(ref Posted) == 0) Signal.Wait();
                Interlocked.Exchange(ref Sleeping, 0);
            }
        }
    }
}
