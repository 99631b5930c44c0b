using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SourceGenNN.Data;
using SourceGenNN.Metrics;
using SourceGenNN.Tests.Networks;
using SourceGenNN.Training;
using Xunit;

namespace SourceGenNN.Tests.Training;

/// <summary>
/// <see cref="Trainer.UseDistributed"/> with an in-memory group of threads (<see cref="ThreadGroup"/>), so that the
/// data-parallel logic of the core is tested without MPI; scripts/mpi-check.sh runs the same on Open MPI processes.
/// </summary>
public class DataParallelTests
{
    private static Dataset Synthetic(int n, int features, int classes, ulong seed)
    {
        var rng = new SourceGenNN.Kernels.Rng(seed, "data");
        var x = new float[n * features];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            int c = (int)(rng.NextUInt64() % (ulong)classes);
            y[i] = c;
            for (int f = 0; f < features; f++) x[i * features + f] = (float)(rng.NextNormal() + (f % classes == c ? 2 : 0));
        }
        return new Dataset(x, y, features);
    }

    private static FitOptions Options => new()
    {
        Epochs = 4, BatchSize = 25, Seed = 3, ValidationSplit = 0.2, Progress = ProgressMode.None,
        EarlyStopping = new EarlyStopping { Monitor = "val_accuracy", Patience = 10 },
    };

    /// <summary>Runs <paramref name="body"/> on one thread per rank of a fresh group; the results by rank.</summary>
    private static T[] OnThreads<T>(int size, Func<ThreadGroup, T> body)
    {
        var hub = new ThreadGroup.Hub(size);
        var tasks = Enumerable.Range(0, size).Select(r => Task.Factory.StartNew(() => body(new ThreadGroup(hub, r)), TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks, TimeSpan.FromMinutes(2));
        return tasks.Select(t => t.Result).ToArray();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Fit_on_N_ranks_matches_one_process_with_the_same_global_batch(int size)
    {
        var data = Synthetic(300, 64, 10, seed: 5);
        var results = OnThreads(size, group =>
        {
            var net = new Training.DigitsMlp(seed: 10 + (ulong)group.Rank); // rank 0's weights are broadcast
            var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 0.01f), new Accuracy());
            trainer.UseDistributed(group);
            var history = trainer.Fit(data, Options);
            var eval = trainer.Evaluate(data, batchSize: 64);
            return (Parameters: net.Parameters.ToArray(), History: history, Eval: eval);
        });
        var single = new Training.DigitsMlp(seed: 10);
        var reference = new Trainer(single, new CrossEntropy(), new Adam(single, learningRate: 0.01f), new Accuracy());
        var expected = reference.Fit(data, Options);
        var expectedEval = reference.Evaluate(data, batchSize: 64);
        foreach (var (parameters, history, eval) in results)
        {
            Assert.Equal(results[0].Parameters, parameters); // every rank the same, bit for bit
            Assert.True(MaxDifference(parameters, single.Parameters.ToArray()) < 1e-4, $"parameters differ by {MaxDifference(parameters, single.Parameters.ToArray())}");
            Assert.Equal(expected.BestEpoch, history.BestEpoch);
            for (int e = 0; e < expected.Epochs.Count; e++)
                foreach (string key in new[] { "loss", "accuracy", "val_loss", "val_accuracy" })
                    Assert.Equal(expected.Epochs[e][key], history.Epochs[e][key], 1e-5);
            Assert.Equal(expectedEval.Loss, eval.Loss, 1e-5);
            Assert.Equal(expectedEval["accuracy"], eval["accuracy"], 1e-9);
        }
    }

    [Fact]
    public void Running_statistics_are_rank_0s_on_every_rank_after_Fit()
    {
        var data = Synthetic(120, 24, 2, seed: 8);
        var buffers = OnThreads(2, group =>
        {
            var net = new NormNet(seed: 4);
            var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net, learningRate: 0.05f));
            trainer.UseDistributed(group);
            trainer.Fit(data, new FitOptions { Epochs = 2, BatchSize = 20, Progress = ProgressMode.None });
            return net.Buffers.ToArray();
        });
        Assert.NotEmpty(buffers[0]);
        Assert.Equal(buffers[0], buffers[1]);
    }

    [Fact]
    public void A_rank_that_throws_reports_it_and_the_others_fail_naming_it()
    {
        var data = Synthetic(200, 64, 10, seed: 5);
        var errors = OnThreads(3, group =>
        {
            var net = new Training.DigitsMlp(seed: 10);
            var trainer = new Trainer(net, new CrossEntropy(), new Adam(net), new ThrowingMetric(group.Rank == 1));
            trainer.UseDistributed(group);
            return Record.Exception(() => trainer.Fit(data, new FitOptions { Epochs = 2, BatchSize = 20, Progress = ProgressMode.None }));
        });
        Assert.Equal("injected", errors[1]!.Message);
        Assert.Contains("rank 1 failed: System.InvalidOperationException: injected", errors[0]!.Message);
        Assert.Contains("rank 1 failed", errors[2]!.Message);
    }

    [Fact]
    public void Different_networks_are_refused_on_every_rank_naming_the_rank()
    {
        var errors = OnThreads(3, group =>
        {
            INetwork net = group.Rank == 2 ? new Training.DigitsSoftmax(seed: 1) : new Training.DigitsMlp(seed: 1);
            var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
            return Record.Exception(() => trainer.UseDistributed(group));
        });
        foreach (var e in errors)
        {
            var error = Assert.IsType<InvalidOperationException>(e);
            Assert.Contains("rank 2 declares a network whose description fingerprint differs from rank 0's", error.Message);
        }
    }

    [Fact]
    public void Fit_with_different_data_sizes_across_ranks_is_refused_naming_the_rank_instead_of_hanging()
    {
        var errors = OnThreads(3, group =>
        {
            var data = Synthetic(group.Rank == 1 ? 90 : 100, 64, 10, seed: 5);
            var net = new Training.DigitsMlp(seed: 1);
            var trainer = new Trainer(net, new CrossEntropy(), new Adam(net));
            trainer.UseDistributed(group);
            return Record.Exception(() => trainer.Fit(data, new FitOptions { Epochs = 1, BatchSize = 10, Progress = ProgressMode.None }));
        });
        foreach (var e in errors)
        {
            var error = Assert.IsType<InvalidOperationException>(e);
            Assert.Contains("Fit was called differently across the group: rank 1 declares data sizes or options that differ from rank 0's", error.Message);
        }
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    private sealed class ThrowingMetric(bool throws) : Metric
    {
        private int _updates;
        public override string Name => "accuracy";
        public override bool HigherIsBetter => true;
        public override void Reset() { }
        public override double Result => 0;
        public override void Update(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int features)
        {
            if (throws && ++_updates > 3) throw new InvalidOperationException("injected");
        }
    }
}

/// <summary>
/// An <see cref="IDataParallelGroup"/> of threads in one process: sums in rank order (the same on every rank), a
/// failure report makes the others throw naming the rank, and a 30 s deadline instead of waiting forever.
/// </summary>
internal sealed class ThreadGroup(ThreadGroup.Hub hub, int rank) : IDataParallelGroup
{
    internal sealed class Hub(int size)
    {
        public readonly int Size = size;
        public readonly Barrier Barrier = new(size);
        public readonly double[][] Slots = new double[size][];
        public byte[] Bytes = [];
        public volatile string? Failure;
    }

    public int Rank => rank;
    public int Size => hub.Size;

    public void AllReduceSum(Span<float> values)
    {
        hub.Slots[rank] = values.ToArray().Select(v => (double)v).ToArray();
        Wait();
        for (int i = 0; i < values.Length; i++)
        {
            float sum = 0;
            for (int r = 0; r < hub.Size; r++) sum += (float)hub.Slots[r][i];
            values[i] = sum;
        }
        Wait();
    }

    public void AllReduceSum(Span<double> values)
    {
        hub.Slots[rank] = values.ToArray();
        Wait();
        for (int i = 0; i < values.Length; i++)
        {
            double sum = 0;
            for (int r = 0; r < hub.Size; r++) sum += hub.Slots[r][i];
            values[i] = sum;
        }
        Wait();
    }

    public void Broadcast(Span<byte> data, int root)
    {
        if (rank == root) hub.Bytes = data.ToArray();
        Wait();
        hub.Bytes.CopyTo(data);
        Wait();
    }

    public void ReportFailure(Exception error)
    {
        if (hub.Failure is null && error is not GroupFailedException) hub.Failure = $"rank {rank} failed: {error.GetType().FullName}: {error.Message}";
    }

    private void Wait()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!hub.Barrier.SignalAndWait(TimeSpan.FromMilliseconds(20)))
        {
            // A timed-out SignalAndWait has withdrawn this signal; retry unless a peer failed or the deadline passed.
            if (hub.Failure is { } failure) throw new GroupFailedException(failure);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"rank {rank}: a peer never joined");
        }
    }

    private sealed class GroupFailedException(string message) : Exception(message);
}
