using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using SourceGenNN.Training;

namespace SourceGenNN.Distributed;

/// <summary>
/// <c>MPI_COMM_WORLD</c> of Open MPI as an <see cref="IDataParallelGroup"/>: the processes <c>mpirun</c> started.
/// <code>using var mpi = MpiCommunicator.Initialize(); trainer.UseDistributed(mpi);</code>
/// Collectives are non-blocking MPI calls (<c>MPI_Iallreduce</c>, <c>MPI_Ibcast</c>) completed by polling
/// <c>MPI_Test</c> against a deadline (<see cref="CollectiveTimeout"/>), and while waiting the communicator listens for
/// failure reports: a rank that throws tells the others (<see cref="ReportFailure"/>), which then throw
/// <see cref="MpiRankFailedException"/> naming it instead of waiting forever; a rank that is stuck or gone without a
/// word makes the others throw <see cref="MpiTimeoutException"/>. MPI errors are returned, not fatal
/// (<c>MPI_ERRORS_RETURN</c>), and thrown as <see cref="MpiException"/> with MPI's error string.
/// </summary>
/// <remarks>
/// One per process (MPI starts once). Every collective must be called from one thread at a time. After a failure the
/// communicator refuses further collectives and <see cref="Dispose"/> does not call <c>MPI_Finalize</c> (which would
/// wait for the failed rank): let the process exit non-zero, and <c>mpirun</c> ends the job.
/// </remarks>
public sealed unsafe class MpiCommunicator : IDataParallelGroup, IDisposable
{
    /// <summary>The message tag failure reports travel on.</summary>
    public const int FailureTag = 0x5347;

    private const int FailureMessageBytes = 1024;
    private static readonly object Gate = new();
    private static MpiCommunicator? _world;

    private readonly bool _ownsInit;
    private readonly IntPtr _comm;
    private bool _disposed;
    private Exception? _fault; // set once this communicator can no longer run collectives
    private byte[]? _failureMessage; // pinned, alive while the failure report is in flight
    private long _collectiveTicks;
    private readonly byte[] _received = GC.AllocateArray<byte>(FailureMessageBytes, pinned: true);

    private MpiCommunicator(IntPtr comm, int rank, int size, bool ownsInit)
    {
        _comm = comm;
        Rank = rank;
        Size = size;
        _ownsInit = ownsInit;
        string? timeout = Environment.GetEnvironmentVariable("SOURCEGENNN_MPI_TIMEOUT");
        if (timeout is not null && double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0)
            CollectiveTimeout = TimeSpan.FromSeconds(s);
    }

    /// <summary>
    /// Starts MPI (<c>MPI_Init</c>, unless something else in the process already did) and returns the world
    /// communicator; later calls return the same one. Run under <c>mpirun</c>; started directly it is a group of one.
    /// </summary>
    /// <exception cref="MpiUnavailableException">Open MPI is not installed; the message says where it looked.</exception>
    public static MpiCommunicator Initialize()
    {
        MpiLibrary.Load();
        lock (Gate)
        {
            if (_world is not null)
            {
                ObjectDisposedException.ThrowIf(_world._disposed, _world);
                return _world;
            }
            Check(MpiNative.Initialized(out int initialized), "MPI_Initialized", -1);
            bool owns = initialized == 0;
            if (owns)
            {
                Check(MpiNative.Finalized(out int finalized), "MPI_Finalized", -1);
                if (finalized != 0) throw new InvalidOperationException("MPI has been finalized in this process; it cannot be started again.");
                Check(MpiNative.Init(null, null), "MPI_Init", -1);
            }
            IntPtr world = MpiLibrary.CommWorld;
            Check(MpiNative.CommSetErrhandler(world, MpiLibrary.ErrorsReturn), "MPI_Comm_set_errhandler", -1);
            Check(MpiNative.CommRank(world, out int rank), "MPI_Comm_rank", -1);
            Check(MpiNative.CommSize(world, out int size), "MPI_Comm_size", rank);
            return _world = new MpiCommunicator(world, rank, size, owns);
        }
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>
    /// How long a collective may wait for the other ranks before it throws <see cref="MpiTimeoutException"/>:
    /// 300 s unless <c>$SOURCEGENNN_MPI_TIMEOUT</c> (seconds) says otherwise. Long enough for a rank that loads its
    /// data slowly before the first collective; short enough that a stuck job ends.
    /// </summary>
    public TimeSpan CollectiveTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>The time spent inside collectives so far: all-reduces and broadcasts, waiting for peers included.</summary>
    public TimeSpan CollectiveTime => Stopwatch.GetElapsedTime(0, _collectiveTicks);

    /// <summary>The number of collectives so far.</summary>
    public long CollectiveCount { get; private set; }

    /// <summary>
    /// From this many values on, an all-reduce is a barrier polled against the deadline (every rank has arrived, or
    /// the wait fails) followed by the blocking <c>MPI_Allreduce</c>, which Open MPI runs 1.5 times as fast as a
    /// polled <c>MPI_Iallreduce</c> on a gradient buffer of megabytes; below it, one polled <c>MPI_Iallreduce</c>.
    /// </summary>
    public const int BlockingAllReduceThreshold = 1 << 14;

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values)
    {
        if (values.IsEmpty) return;
        fixed (float* p = values)
        {
            if (values.Length >= BlockingAllReduceThreshold)
            {
                Barrier(); // with the deadline and the failure reports: past it, every rank is in this all-reduce
                long start = Stopwatch.GetTimestamp();
                try
                {
                    Check(MpiNative.Allreduce(MpiNative.InPlace, p, values.Length, MpiLibrary.Float, MpiLibrary.Sum, _comm), "MPI_Allreduce", Rank);
                }
                finally
                {
                    _collectiveTicks += Stopwatch.GetTimestamp() - start;
                }
                return;
            }
            Ready("MPI_Iallreduce");
            Check(MpiNative.Iallreduce(MpiNative.InPlace, p, values.Length, MpiLibrary.Float, MpiLibrary.Sum, _comm, out IntPtr request), "MPI_Iallreduce", Rank);
            Wait(request, "MPI_Iallreduce", values.Length, "floats");
        }
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values)
    {
        if (values.IsEmpty) return;
        fixed (double* p = values)
        {
            Ready("MPI_Iallreduce");
            Check(MpiNative.Iallreduce(MpiNative.InPlace, p, values.Length, MpiLibrary.Double, MpiLibrary.Sum, _comm, out IntPtr request), "MPI_Iallreduce", Rank);
            Wait(request, "MPI_Iallreduce", values.Length, "doubles");
        }
    }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> data, int root)
    {
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"a rank in [0, {Size})");
        if (data.IsEmpty) return;
        fixed (byte* p = data)
        {
            Ready("MPI_Ibcast");
            Check(MpiNative.Ibcast(p, data.Length, MpiLibrary.Byte, root, _comm, out IntPtr request), "MPI_Ibcast", Rank);
            Wait(request, "MPI_Ibcast", data.Length, "bytes");
        }
    }

    /// <summary>Waits until every rank has called it (with the timeout and failure reports of every collective).</summary>
    public void Barrier()
    {
        Ready("MPI_Ibarrier");
        Check(MpiNative.Ibarrier(_comm, out IntPtr request), "MPI_Ibarrier", Rank);
        Wait(request, "MPI_Ibarrier", 0, "");
    }

    /// <summary>
    /// Tells every other rank that this one failed with <paramref name="error"/> (its type and message, sent on
    /// <see cref="FailureTag"/>), so that their next or current collective throws <see cref="MpiRankFailedException"/>
    /// naming this rank. Does nothing when this communicator has already failed (the error came from a peer) or is
    /// disposed. Never throws.
    /// </summary>
    public void ReportFailure(Exception error)
    {
        if (error is null || _disposed || _fault is not null) return;
        _fault = error;
        if (Size == 1) return;
        try
        {
            string text = error.GetType().FullName + ": " + error.Message;
            var bytes = Encoding.UTF8.GetBytes(text);
            int length = Math.Min(bytes.Length, FailureMessageBytes);
            _failureMessage = GC.AllocateArray<byte>(length, pinned: true);
            bytes.AsSpan(0, length).CopyTo(_failureMessage);
            var requests = new IntPtr[Size];
            fixed (byte* p = _failureMessage)
                for (int r = 0; r < Size; r++)
                    if (r != Rank) MpiNative.Isend(p, length, MpiLibrary.Byte, r, FailureTag, _comm, out requests[r]);
            // Small messages go eagerly; give them a moment to leave before this process goes down and mpirun ends the job.
            long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 2;
            for (int r = 0; r < Size; r++)
                while (requests[r] != IntPtr.Zero && Stopwatch.GetTimestamp() < deadline)
                {
                    if (MpiNative.Test(ref requests[r], out int done, null) != 0 || done != 0) break;
                    Thread.Yield();
                }
            Thread.Sleep(200);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Reporting is best effort: the peers' timeout still ends their wait.
        }
    }

    /// <summary>Ends the whole job at once (<c>MPI_Abort</c>): every rank exits with <paramref name="errorCode"/>.</summary>
    public void Abort(int errorCode) => MpiNative.Abort(_comm, errorCode);

    /// <summary>
    /// Finalises MPI (<c>MPI_Finalize</c>) if <see cref="Initialize"/> started it and no rank failed; after a failure it
    /// does nothing, since finalising would wait for the failed rank.
    /// </summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_ownsInit && _fault is null) MpiNative.FinalizeMpi();
        }
    }

    private void Ready(string call)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault is not null)
            throw new InvalidOperationException($"{call} on rank {Rank}: the group has already failed ({_fault.Message}); no further collectives can run.", _fault);
    }

    /// <summary>
    /// Polls the request until it completes, a peer reports a failure, or the deadline passes. Open MPI advances a
    /// non-blocking collective only inside MPI calls (a large all-reduce is many pipelined fragments), so the first
    /// second polls without pause, as a blocking MPI call would; then it yields, and after five seconds sleeps 1 ms
    /// between polls so that a long wait for a slow rank does not hold a core.
    /// </summary>
    private void Wait(IntPtr request, string call, int count, string unit)
    {
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(CollectiveTimeout.TotalSeconds * Stopwatch.Frequency);
        long spinUntil = start + Stopwatch.Frequency;
        long yieldUntil = start + Stopwatch.Frequency * 5;
        try
        {
            for (long polls = 0; ; polls++)
            {
                Check(MpiNative.Test(ref request, out int done, null), "MPI_Test", Rank);
                if (done != 0) return;
                if ((polls & 63) != 0) continue;
                CheckFailureReports();
                long now = Stopwatch.GetTimestamp();
                if (now > deadline)
                {
                    var e = new MpiTimeoutException(string.Create(CultureInfo.InvariantCulture,
                        $"{call} ({count} {unit}) on rank {Rank} of {Size} did not complete within {CollectiveTimeout.TotalSeconds:0.#} s: some rank has not joined it " +
                        $"(stuck, or gone without reporting a failure). Raise MpiCommunicator.CollectiveTimeout or $SOURCEGENNN_MPI_TIMEOUT if a rank legitimately takes longer."));
                    _fault = e;
                    throw e;
                }
                if (now < spinUntil) continue;
                if (now < yieldUntil) Thread.Yield();
                else Thread.Sleep(1);
            }
        }
        finally
        {
            _collectiveTicks += Stopwatch.GetTimestamp() - start;
            CollectiveCount++;
        }
    }

    private void CheckFailureReports()
    {
        MpiNative.Status status;
        Check(MpiNative.Iprobe(MpiNative.AnySource, FailureTag, _comm, out int pending, &status), "MPI_Iprobe", Rank);
        if (pending == 0) return;
        int source = status.Source;
        Array.Clear(_received);
        fixed (byte* p = _received)
            Check(MpiNative.Recv(p, _received.Length, MpiLibrary.Byte, source, FailureTag, _comm, &status), "MPI_Recv", Rank);
        int length = Array.IndexOf(_received, (byte)0);
        string text = Encoding.UTF8.GetString(_received, 0, length < 0 ? _received.Length : length);
        var e = new MpiRankFailedException(source, Rank, text);
        _fault = e;
        throw e;
    }

    private static void Check(int code, string call, int rank)
    {
        if (code != 0) throw new MpiException(call, code, ErrorText(code), rank);
    }

    /// <summary>MPI's description of an error code (<c>MPI_Error_string</c>).</summary>
    public static string ErrorText(int errorCode)
    {
        byte* text = stackalloc byte[MpiNative.MaxErrorString + 1];
        if (MpiNative.ErrorString(errorCode, text, out int length) != 0) return "unknown MPI error";
        return Encoding.UTF8.GetString(text, Math.Clamp(length, 0, MpiNative.MaxErrorString));
    }
}
