using System;

namespace SourceGenNN.Training;

/// <summary>
/// The processes that train one network together, data-parallel: each holds a replica, trains on its shard of every
/// global batch, and the gradients are averaged. <see cref="Trainer.UseDistributed"/> takes one; the core library has no
/// transport of its own: <c>SourceGenNN.Distributed</c>'s <c>MpiCommunicator</c> implements it on Open MPI.
/// </summary>
/// <remarks>
/// Every member except <see cref="Rank"/>, <see cref="Size"/> and <see cref="ReportFailure"/> is a collective: every
/// process of the group calls it, in the same order, with the same lengths. An implementation should fail (throw) rather
/// than wait forever when a peer never joins, and name that peer when it can.
/// </remarks>
public interface IDataParallelGroup
{
    /// <summary>This process's index in the group, 0 to <see cref="Size"/> − 1; rank 0 prints, saves and is the source of broadcasts.</summary>
    int Rank { get; }

    /// <summary>The number of processes in the group.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every process with their element-wise sum over the group.</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>Replaces <paramref name="values"/> on every process with their element-wise sum over the group.</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>Copies <paramref name="root"/>'s <paramref name="data"/> into every other process's.</summary>
    void Broadcast(Span<byte> data, int root);

    /// <summary>
    /// Tells the other processes that this one failed with <paramref name="error"/> and will not join further
    /// collectives, so that they fail too, naming this rank, instead of waiting. Not a collective; never throws.
    /// </summary>
    void ReportFailure(Exception error);
}
