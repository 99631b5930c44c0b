using System;

namespace SourceGenNN.Distributed;

/// <summary>Open MPI could not be loaded; the message says where <c>libmpi</c> was looked for and how to install it.</summary>
public sealed class MpiUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why, and where the resolver looked.</param>
    public MpiUnavailableException(string message) : base(message) { }
}

/// <summary>An MPI call returned an error; the message carries MPI's own error string (<c>MPI_Error_string</c>).</summary>
public sealed class MpiException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="call">The call, as written (<c>MPI_Iallreduce</c>).</param>
    /// <param name="errorCode">The code it returned.</param>
    /// <param name="errorText">MPI's description of the code.</param>
    /// <param name="rank">The rank that saw the error, or -1 before it is known.</param>
    public MpiException(string call, int errorCode, string errorText, int rank)
        : base($"{call} failed on rank {rank}: {errorText} (MPI error {errorCode}).")
    {
        Call = call;
        ErrorCode = errorCode;
        ErrorText = errorText;
        Rank = rank;
    }

    /// <summary>The failing call.</summary>
    public string Call { get; }
    /// <summary>The MPI error code.</summary>
    public int ErrorCode { get; }
    /// <summary>MPI's description of the code.</summary>
    public string ErrorText { get; }
    /// <summary>The rank that saw the error (-1 before it is known).</summary>
    public int Rank { get; }
}

/// <summary>
/// Another rank of the group failed (it threw, and reported it with <see cref="MpiCommunicator.ReportFailure"/>), so this
/// rank stops instead of waiting for it in a collective. Names the rank and carries its error message.
/// </summary>
public sealed class MpiRankFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="failedRank">The rank that failed.</param>
    /// <param name="rank">The rank this exception is thrown on.</param>
    /// <param name="remoteError">The failed rank's error: its exception type and message.</param>
    public MpiRankFailedException(int failedRank, int rank, string remoteError)
        : base($"Rank {failedRank} failed, so rank {rank} stopped instead of waiting for it: {remoteError}")
    {
        FailedRank = failedRank;
        RemoteError = remoteError;
    }

    /// <summary>The rank that failed.</summary>
    public int FailedRank { get; }
    /// <summary>The failed rank's exception type and message.</summary>
    public string RemoteError { get; }
}

/// <summary>
/// A collective did not complete within <see cref="MpiCommunicator.CollectiveTimeout"/>: some rank never joined it
/// (stuck, or gone without reporting a failure). Raised instead of waiting forever.
/// </summary>
public sealed class MpiTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The collective, the rank and the timeout.</param>
    public MpiTimeoutException(string message) : base(message) { }
}
