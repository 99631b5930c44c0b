using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using SourceGenNN.IO;
using SourceGenNN.Training;

namespace SourceGenNN.Fuzz;

/// <summary>A broken rule: an exception other than <see cref="WeightFileException"/>, too much allocation, a change left by a failed load.</summary>
internal sealed class FuzzFailure(string target, string problem, Exception? inner = null) : Exception($"{target}: {problem}", inner)
{
    public string Target { get; } = target;
}

/// <summary>What one target did with one input.</summary>
internal readonly record struct Outcome(string Target, bool Loaded, string? Refusal, long Allocated);

/// <summary>
/// Feeds one input to every reader: <see cref="WeightFile"/> into <see cref="FuzzNet"/> with no optimiser, with Adam
/// and with SGD (and again with the CRC recomputed, so that mutations reach past the checksum), and
/// <see cref="SafeTensors"/>' Load, ReadTensors and ReadMetadata. The rules, any break of which is a
/// <see cref="FuzzFailure"/>: only <see cref="WeightFileException"/> escapes; a refused load leaves the network and the
/// optimiser as they were; a target allocates at most <see cref="AllocationBound"/>.
/// </summary>
internal sealed class Harness
{
    private readonly FuzzNet _net = new(seed: 1);
    private readonly Adam _adam;
    private readonly Sgd _sgd;
    private readonly float[] _parameters, _buffers;
    private readonly OptimizerState _adamState, _sgdState;

    public Harness()
    {
        _adam = new Adam(_net, 0.01f);
        _sgd = new Sgd(_net, 0.1f, momentum: 0.9f);
        // Non-zero state, so that a half-done load would show.
        var x = new float[8 * FuzzNet.InputSize];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(i);
        var trainer = new Trainer(_net, new MeanSquaredError(), _adam);
        trainer.TrainStep(x, new float[8 * FuzzNet.OutputSize], 8);
        new Trainer(_net, new MeanSquaredError(), _sgd).TrainStep(x, new float[8 * FuzzNet.OutputSize], 8);
        _parameters = _net.Parameters.ToArray();
        _buffers = _net.Buffers.ToArray();
        _adamState = _adam.ExportState();
        _sgdState = _sgd.ExportState();
    }

    public FuzzNet Network => _net;

    public Adam Adam => _adam;

    public Sgd Sgd => _sgd;

    /// <summary>The most a target may allocate for an input of <paramref name="length"/> bytes: 2 MiB and 64 bytes an input byte.</summary>
    public static long AllocationBound(long length) => (2L << 20) + 64 * length;

    public static readonly string[] Targets =
    [
        "WeightFile.Load", "WeightFile.Load+Adam", "WeightFile.Load+SGD", "WeightFile.Load+Adam (CRC fixed)",
        "SafeTensors.Load", "SafeTensors.ReadTensors", "SafeTensors.ReadMetadata",
    ];

    /// <summary>Runs every target on <paramref name="input"/>; throws <see cref="FuzzFailure"/> at the first broken rule.</summary>
    public Outcome[] Run(byte[] input)
    {
        var outcomes = new Outcome[Targets.Length];
        byte[]? fixedCrc = WithCrc(input);
        for (int t = 0; t < Targets.Length; t++)
            outcomes[t] = Run(t, t == 3 ? fixedCrc ?? input : input);
        return outcomes;
    }

    /// <summary>
    /// The public, path-taking API on a file (the corpus): the same rules, plus the file checks (regular file, size bound,
    /// temporary-file clean-up) that in-memory inputs skip.
    /// </summary>
    public Outcome[] RunPublic(string path)
    {
        var actions = new (string, Action)[]
        {
            ("WeightFile.Load(path)", () => WeightFile.Load(_net, path)),
            ("WeightFile.Load(path)+Adam", () => WeightFile.Load(_net, path, _adam)),
            ("SafeTensors.Load(path)", () => SafeTensors.Load(_net, path)),
            ("SafeTensors.ReadTensors(path)", () => SafeTensors.ReadTensors(path)),
            ("SafeTensors.ReadMetadata(path)", () => SafeTensors.ReadMetadata(path)),
        };
        long length = new System.IO.FileInfo(path).Length;
        var outcomes = new Outcome[actions.Length];
        for (int i = 0; i < actions.Length; i++) outcomes[i] = Check(actions[i].Item1, actions[i].Item2, length);
        return outcomes;
    }

    /// <summary>The input with its last four bytes replaced by the CRC-32 of the rest, when it looks like a weight file; else null.</summary>
    public static byte[]? WithCrc(byte[] input)
    {
        if (input.Length < 16 || !input.AsSpan(0, 8).SequenceEqual("SGNNWTS\0"u8)) return null;
        var copy = (byte[])input.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(copy.Length - 4), Crc32.Compute(copy.AsSpan(0, copy.Length - 4)));
        return copy;
    }

    private Outcome Run(int target, byte[] input)
    {
        using var source = new MemorySource(input, "fuzz-input");
        Optimizer? optimizer = target switch { 1 or 3 => _adam, 2 => _sgd, _ => null };
        Action run = target switch
        {
            <= 3 => () => WeightFile.LoadFrom(_net, source, optimizer),
            4 => () => SafeTensors.LoadFrom(_net, source),
            5 => () => SafeTensors.ReadTensorsFrom(source),
            _ => () => SafeTensors.ReadMetadataFrom(source),
        };
        return Check(Targets[target], run, input.Length);
    }

    private Outcome Check(string name, Action run, long inputLength)
    {
        Exception? thrown = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            run();
        }
        catch (Exception e)
        {
            thrown = e;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (thrown is not null and not WeightFileException)
            throw new FuzzFailure(name, $"threw {thrown.GetType().Name}: {thrown.Message}", thrown);
        if (allocated > AllocationBound(inputLength))
            throw new FuzzFailure(name, $"allocated {allocated:N0} bytes for a {inputLength:N0}-byte input (bound {AllocationBound(inputLength):N0})");
        if (thrown is not null) CheckUnchanged(name);
        Restore();
        return new Outcome(name, thrown is null, thrown is WeightFileException w ? w.Problem : null, allocated);
    }

    /// <summary>A refused load must leave the network and the optimisers exactly as they were.</summary>
    private void CheckUnchanged(string name)
    {
        if (!_net.Parameters.SequenceEqual(_parameters) || !_net.Buffers.SequenceEqual(_buffers))
            throw new FuzzFailure(name, "a refused load changed the network");
        foreach (var (optimizer, state, rate) in new (Optimizer, OptimizerState, float)[] { (_adam, _adamState, 0.01f), (_sgd, _sgdState, 0.1f) })
        {
            var now = optimizer.ExportState();
            if (now.Steps != state.Steps || optimizer.LearningRate != rate
                || now.Buffers.Zip(state.Buffers).Any(p => !p.First.Value.AsSpan().SequenceEqual(p.Second.Value)))
                throw new FuzzFailure(name, $"a refused load changed the {optimizer.Kind} optimiser");
        }
    }

    private void Restore()
    {
        _parameters.CopyTo(_net.Parameters);
        _buffers.CopyTo(_net.Buffers);
        _adam.ImportState(_adamState);
        _adam.LearningRate = 0.01f;
        _sgd.ImportState(_sgdState);
        _sgd.LearningRate = 0.1f;
    }
}
