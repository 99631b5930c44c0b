using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using SourceGenNN.IO;
using SourceGenNN.Kernels;

namespace SourceGenNN.Training;

public sealed partial class Trainer
{
    private IDataParallelGroup? _group;
    private readonly double[] _stepStats = new double[3];

    /// <summary>The group this trainer trains data-parallel with (<see cref="UseDistributed"/>), or null.</summary>
    public IDataParallelGroup? Group => _group;

    /// <summary>Whether this process prints and saves: always without a group, only rank 0 with one.</summary>
    public bool IsPrimary => _group is null || _group.Rank == 0;

    /// <summary>
    /// Trains data-parallel with the processes of <paramref name="group"/> from now on, as PyTorch's
    /// DistributedDataParallel does. One line moves a trainer:
    /// <code>using var mpi = MpiCommunicator.Initialize(); trainer.UseDistributed(mpi);</code>
    /// Every process checks now that its network has the same description as rank 0's (the fingerprint of
    /// <see cref="NetworkDescription.Fingerprint"/>) and takes rank 0's parameters, state buffers and optimiser state.
    /// Then <see cref="Fit"/> gives each process a disjoint shard of every global batch of <see cref="FitOptions.BatchSize"/>
    /// samples (the shuffle is seeded identically everywhere), averages the gradients with one all-reduce per step, so
    /// every optimiser steps identically, and reduces the loss, the metrics and validation over the group; state buffers
    /// (BatchNorm's running statistics) are taken from rank 0 before every evaluation and when Fit ends. Only rank 0
    /// prints progress; early stopping decides on values that are the same on every rank.
    /// </summary>
    /// <param name="group">The processes; every one of them must call this, and then Fit, Evaluate and TrainStep, in the same order.</param>
    /// <returns>This trainer.</returns>
    /// <remarks>
    /// <see cref="TrainStep"/> takes this process's shard of the global batch; the gradient is the mean over the global
    /// batch and the loss returned is the global batch's. <see cref="Evaluate"/> evaluates a contiguous shard on each
    /// process and returns the whole data set's loss and metrics on every process. Metrics are combined as means
    /// weighted by sample count: exact for accuracy, mse and mae, close for rmse, r2 and the confusion-matrix scores.
    /// A process that throws inside Fit reports the failure to the group (<see cref="IDataParallelGroup.ReportFailure"/>).
    /// Not available together with <see cref="UseDevice"/>.
    /// </remarks>
    /// <exception cref="InvalidOperationException">A process's network differs from rank 0's; the message names the ranks.</exception>
    public Trainer UseDistributed(IDataParallelGroup group)
    {
        bool entered = Enter(nameof(UseDistributed));
        try
        {
            return UseDistributedCore(group);
        }
        finally
        {
            Exit(entered);
        }
    }

    private Trainer UseDistributedCore(IDataParallelGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_gpu is not null)
            throw new NotSupportedException("Data-parallel training runs on the CPU: call UseDevice(null) before UseDistributed.");
        int size = group.Size, rank = group.Rank;
        if (size < 1 || rank < 0 || rank >= size)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The group says rank {rank} of {size}; a rank must lie in [0, size)."), nameof(group));

        // The same network everywhere: each rank's fingerprint hash against rank 0's, and every rank learns which differ.
        ulong mine = WeightFile.FingerprintHash(Network.Description);
        var differ = RanksDifferingFromRank0(group, [(long)mine]);
        if (differ is not null)
            throw new InvalidOperationException(
                $"The network differs across the group: {differ} a network whose description fingerprint differs from rank 0's " +
                $"('{Network.Description.Name}' here, fingerprint {mine:x16}). Every process must run the same program with the same network declaration.");

        // Rank 0's weights, state buffers and optimiser state everywhere.
        BroadcastFloats(group, Network.Parameters);
        BroadcastFloats(group, Network.Buffers);
        var state = Optimizer.ExportState();
        long steps = state.Steps;
        Span<byte> stepBytes = stackalloc byte[sizeof(long)];
        MemoryMarshal.Write(stepBytes, in steps);
        group.Broadcast(stepBytes, 0);
        foreach (var kv in state.Buffers) BroadcastFloats(group, kv.Value);
        Optimizer.ImportState(new OptimizerState(state.Kind, MemoryMarshal.Read<long>(stepBytes), state.Buffers));
        _group = group;
        return this;
    }

    private static void BroadcastFloats(IDataParallelGroup group, Span<float> values)
    {
        if (values.Length > 0) group.Broadcast(MemoryMarshal.AsBytes(values), 0);
    }

    /// <summary>This rank's part [start, end) of <paramref name="count"/> items: contiguous, disjoint, sizes differing by at most one.</summary>
    private (int Start, int End) Shard(int count)
    {
        if (_group is null) return (0, count);
        long size = _group.Size, rank = _group.Rank;
        return ((int)(count * rank / size), (int)(count * (rank + 1) / size));
    }

    /// <summary>
    /// One data-parallel step on this rank's <paramref name="batch"/> samples (possibly none): forward, loss, one small
    /// all-reduce of the loss sum, the sample count and the non-finite count, backward with the loss gradient scaled to
    /// this shard's share of the global batch, one all-reduce of the gradient buffer (the sum is then the global mean),
    /// optimiser step. Returns the global batch's loss; NaN (and no update, with <paramref name="guard"/>) when any
    /// rank's loss is not finite.
    /// </summary>
    private float DistributedTrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> target, int batch, bool guard, out ReadOnlySpan<float> output)
    {
        var group = _group!;
        int nOut = Network.OutputSize;
        var outSpan = _output.AsSpan(0, batch * nOut);
        var grad = _gradient.AsSpan(0, batch * nOut);
        output = outSpan;
        var buffers = Network.Buffers;
        bool keepBuffers = guard && buffers.Length > 0 && batch > 0;
        if (keepBuffers)
        {
            if (_buffersBefore.Length < buffers.Length) _buffersBefore = new float[buffers.Length];
            buffers.CopyTo(_buffersBefore);
        }
        Network.ZeroGrad();
        float loss = 0;
        if (batch > 0)
        {
            Network.Forward(input, outSpan, batch, training: true);
            if (Fused) loss = Loss.ComputeFromLogits(Network.Logits[..(batch * nOut)], target, grad, batch, nOut);
            else if (TensorOps.IndexOfNonFinite(outSpan) >= 0) loss = float.NaN;
            else loss = Loss.Compute(outSpan, target, grad, batch, nOut);
        }
        var stats = _stepStats.AsSpan();
        bool finite = float.IsFinite(loss);
        stats[0] = finite ? (double)loss * batch : 0;
        stats[1] = batch;
        stats[2] = finite ? 0 : 1;
        group.AllReduceSum(stats);
        bool anyNonFinite = stats[2] > 0;
        if (anyNonFinite && guard)
        {
            if (keepBuffers) _buffersBefore.AsSpan(0, buffers.Length).CopyTo(buffers);
            return float.NaN;
        }
        if (batch > 0)
        {
            // The loss gradient is a mean over this shard; scaled by batch / global, the all-reduced sum is the global mean.
            float share = (float)(batch / stats[1]);
            if (share != 1f)
                for (int i = 0; i < grad.Length; i++) grad[i] *= share;
            Network.Backward(grad, default, fromLogits: Fused);
        }
        group.AllReduceSum(Network.Gradients);
        Optimizer.Step(Network.Parameters, Network.Gradients);
        return anyNonFinite ? float.NaN : (float)(stats[0] / stats[1]);
    }

    /// <summary>
    /// Sums <paramref name="values"/> over the group, then takes rank 0's sums everywhere, so that every rank decides
    /// (early stopping, best epoch) on bit-identical values.
    /// </summary>
    private void ReduceIdentically(Span<double> values)
    {
        var group = _group!;
        group.AllReduceSum(values);
        group.Broadcast(MemoryMarshal.AsBytes(values), 0);
    }

    /// <summary>
    /// An epoch's or an evaluation's values over the group: each metric's result weighted by this rank's sample count
    /// (<paramref name="samples"/>), summed and divided by the total; the loss as the sum of
    /// <paramref name="lossSum"/> over the sum of <paramref name="lossSamples"/> (a rank that already holds the global
    /// sums passes them on rank 0 and zeros elsewhere). Writes "loss" and every metric's name into
    /// <paramref name="values"/>, the same on every rank.
    /// </summary>
    private void ReduceValues(Dictionary<string, double> values, double lossSum, double lossSamples, double samples)
    {
        var sums = new double[_metrics.Length + 3];
        sums[0] = lossSum;
        sums[1] = lossSamples;
        sums[2] = samples;
        for (int i = 0; i < _metrics.Length; i++) sums[i + 3] = samples == 0 ? 0 : _metrics[i].Result * samples;
        ReduceIdentically(sums);
        values["loss"] = sums[1] == 0 ? double.NaN : sums[0] / sums[1];
        for (int i = 0; i < _metrics.Length; i++) values[_metrics[i].Name] = sums[2] == 0 ? 0 : sums[i + 3] / sums[2];
    }

    /// <summary>Rank 0's state buffers (BatchNorm's running statistics) on every rank, as DistributedDataParallel does by default.</summary>
    private void BroadcastBuffers()
    {
        if (_group is not null) BroadcastFloats(_group, Network.Buffers);
    }

    /// <summary>
    /// Compares <paramref name="values"/> with rank 0's on every rank (one broadcast, one all-reduce of a flag per
    /// rank). Null when all agree; otherwise "rank 2 declares" / "ranks 1, 3 declare", for the error message.
    /// </summary>
    private static string? RanksDifferingFromRank0(IDataParallelGroup group, long[] values)
    {
        var root = (long[])values.Clone();
        group.Broadcast(MemoryMarshal.AsBytes(root.AsSpan()), 0);
        var differs = new double[group.Size];
        differs[group.Rank] = root.AsSpan().SequenceEqual(values) ? 0 : 1;
        group.AllReduceSum(differs);
        var ranks = new List<string>();
        for (int r = 0; r < differs.Length; r++) if (differs[r] != 0) ranks.Add(r.ToString(CultureInfo.InvariantCulture));
        if (ranks.Count == 0) return null;
        return ranks.Count == 1 ? $"rank {ranks[0]} declares" : $"ranks {string.Join(", ", ranks)} declare";
    }

    /// <summary>
    /// Before a data-parallel Fit or Evaluate: every rank must see the same data sizes and options, or the ranks would
    /// take different numbers of steps and wait for each other forever; the error names the ranks that differ.
    /// </summary>
    private void CheckSameCall(string operation, params long[] values)
    {
        if (_group is null) return;
        var differ = RanksDifferingFromRank0(_group, values);
        if (differ is not null)
            throw new InvalidOperationException(
                $"{operation} was called differently across the group: {differ} data sizes or options that differ from rank 0's " +
                $"({string.Join(", ", values)} here). Every process must call {operation} with the same data (each takes its own shard) and the same options.");
    }

    /// <summary>An exception filter: tells the group (if any) that this process failed, and declines to catch.</summary>
    private bool ReportToGroup(Exception error)
    {
        _group?.ReportFailure(error);
        return false;
    }
}
