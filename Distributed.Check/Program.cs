using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using SourceGenNN;
using SourceGenNN.Data;
using SourceGenNN.Distributed;
using SourceGenNN.Kernels;
using SourceGenNN.Metrics;
using SourceGenNN.Training;

// The data-parallel checks, each run under mpirun by scripts/mpi-check.sh:
//   equivalence  N processes with global batch B end with the parameters (and history) of one process with batch B
//   fault        rank 1 throws mid-epoch; the others fail naming rank 1 instead of waiting
//   hang         rank 1 never joins; the others time out ($SOURCEGENNN_MPI_TIMEOUT) instead of waiting forever
//   mismatch     rank 1 declares a different network; every rank refuses at UseDistributed, naming rank 1
//   checkpoint PATH EPOCHS  trains to EPOCHS, rank 0 saving PATH after every epoch, resuming from PATH if it exists
//   resolver     (without mpirun) the search list for a given environment, in order, and where libmpi was loaded from
//   bench        W5 (1024-1024-1024-10, global batch 256) train steps, one kernel thread per process
// Exit codes: 0 pass, 1 check failed, 3 the expected distributed error was raised (fault, hang, mismatch).
var inv = CultureInfo.InvariantCulture;
string mode = args.Length > 0 ? args[0] : "equivalence";
if (mode == "resolver") return Resolver(); // before MPI starts: where libmpi is looked for, and where it was found
using var mpi = MpiCommunicator.Initialize();
int rank = mpi.Rank, size = mpi.Size;
try
{
    switch (mode)
    {
        case "equivalence": return Equivalence();
        case "fault": return Fault();
        case "hang": return Hang();
        case "mismatch": return Mismatch();
        case "bench": return Bench(args.Length > 1 ? int.Parse(args[1], inv) : 20);
        case "checkpoint": return Checkpoint(args[1], int.Parse(args[2], inv));
        default:
            Console.Error.WriteLine($"unknown mode '{mode}'");
            return 2;
    }
}
catch (Exception e) when (e is MpiRankFailedException or MpiTimeoutException || (mode == "mismatch" && e is InvalidOperationException))
{
    // The expected outcome of the fault checks: say so on this rank and end without finalising (the group has failed).
    Console.WriteLine($"rank {rank}: {e.GetType().Name}: {e.Message}");
    Console.Out.Flush();
    Environment.Exit(3);
    return 3;
}

static Dataset Blobs(int count, int features, int classes, int seed)
{
    var random = new Random(seed);
    var x = new float[count * features];
    var y = new float[count];
    for (int i = 0; i < count; i++)
    {
        int c = i % classes;
        y[i] = c;
        for (int f = 0; f < features; f++) x[i * features + f] = (float)(random.NextDouble() * 2 - 1) + (f % classes == c ? 1.5f : 0f);
    }
    return new Dataset(x, y, features, 1);
}

static FitOptions Options(int epochs) => new()
{
    Epochs = epochs, BatchSize = 30, Seed = 7, ValidationSplit = 0.2, Progress = ProgressMode.None,
    EarlyStopping = new EarlyStopping { Monitor = "val_loss", Patience = 50 },
};

int Equivalence()
{
    var data = Blobs(500, 6, 3, seed: 11);
    const int epochs = 6;
    // Data-parallel: every rank starts from a different seed; UseDistributed must replace it with rank 0's weights.
    var net = new SmallNet(seed: 100 + (ulong)rank);
    var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 0.003f), new Accuracy());
    trainer.UseDistributed(mpi);
    var history = trainer.Fit(data, Options(epochs));
    var eval = trainer.Evaluate(data, batchSize: 64);

    // Every rank holds the same parameters.
    var mine = net.Parameters.ToArray();
    var root = (float[])mine.Clone();
    mpi.Broadcast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(root.AsSpan()), 0);
    double acrossRanks = MaxAbsDifference(mine, root);
    var worst = new double[] { acrossRanks };
    mpi.AllReduceSum(worst); // a sum of non-negative differences: 0 only if every rank matches rank 0
    if (rank != 0) return worst[0] <= 1e-6 ? 0 : 1;

    // The reference: one process, the same global batch, the same seed, no group.
    var single = new SmallNet(seed: 100);
    var reference = new Trainer(single, new CrossEntropy(), new Adam(single, learningRate: 0.003f), new Accuracy());
    var expected = reference.Fit(data, Options(epochs));
    var expectedEval = reference.Evaluate(data, batchSize: 64);
    double parameters = MaxAbsDifference(net.Parameters.ToArray(), single.Parameters.ToArray());
    double losses = 0;
    for (int e = 0; e < epochs; e++)
        foreach (string key in new[] { "loss", "accuracy", "val_loss", "val_accuracy" })
            losses = Math.Max(losses, Math.Abs(history.Epochs[e][key] - expected.Epochs[e][key]));
    double evaluation = Math.Max(Math.Abs(eval.Loss - expectedEval.Loss), Math.Abs(eval["accuracy"] - expectedEval["accuracy"]));
    const double tolerance = 1e-4;
    bool ok = parameters <= tolerance && losses <= tolerance && evaluation <= tolerance && worst[0] <= 1e-6 && history.BestEpoch == expected.BestEpoch;
    Console.WriteLine(string.Create(inv,
        $"equivalence, {size} process(es), global batch 30, {epochs} epochs, Adam: max |Δ parameter| vs one process {parameters:G3}, " +
        $"max |Δ epoch value| {losses:G3}, |Δ evaluation| {evaluation:G3}, spread across ranks {worst[0]:G3} (tolerance {tolerance:G1}), " +
        $"final accuracy {eval["accuracy"]:0.000} vs {expectedEval["accuracy"]:0.000}: {(ok ? "PASS" : "FAIL")}"));
    return ok ? 0 : 1;
}

int Fault()
{
    var data = Blobs(600, 6, 3, seed: 11);
    var net = new SmallNet(seed: 100);
    var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 0.01f), new FailingMetric(failOnRank1: rank == 1, afterUpdates: 5));
    trainer.UseDistributed(mpi);
    trainer.Fit(data, Options(3));
    Console.WriteLine($"rank {rank}: Fit returned, but rank 1 should have failed");
    return 1;
}

int Hang()
{
    var net = new SmallNet(seed: 100);
    var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 0.01f));
    if (rank == 1)
    {
        Thread.Sleep(Timeout.Infinite); // stuck: never joins the first collective
    }
    trainer.UseDistributed(mpi);
    Console.WriteLine($"rank {rank}: UseDistributed returned, but rank 1 never joined");
    return 1;
}

int Mismatch()
{
    INetwork net = rank == 1 ? new OtherNet(seed: 100) : new SmallNet(seed: 100);
    var trainer = new Trainer(net, new CrossEntropy(), new Adam(net, learningRate: 0.01f));
    trainer.UseDistributed(mpi);
    Console.WriteLine($"rank {rank}: UseDistributed accepted different networks");
    return 1;
}

int Checkpoint(string path, int epochs)
{
    var data = Blobs(500, 6, 3, seed: 11);
    const int batch = 30;
    int batchesPerEpoch = (data.Count + batch - 1) / batch;
    var net = new SmallNet(seed: 100 + (ulong)rank);
    var adam = new Adam(net, learningRate: 0.003f);
    var trainer = new Trainer(net, new CrossEntropy(), adam, new Accuracy());
    // Rank 0's checkpoint is the one that counts: UseDistributed broadcasts its weights and optimiser state (with the
    // step count), so ranks on machines that cannot see the file start from it too.
    if (rank == 0 && System.IO.File.Exists(path)) SourceGenNN.IO.WeightFile.Load(net, path, adam);
    trainer.UseDistributed(mpi);
    int start = (int)(adam.Steps / batchesPerEpoch);
    for (int epoch = start; epoch < epochs; epoch++)
    {
        // One Fit per epoch, seeded by the epoch: a resumed job shuffles exactly as an uninterrupted one.
        trainer.Fit(data, new FitOptions { Epochs = 1, BatchSize = batch, Seed = 7 + (ulong)epoch, Progress = ProgressMode.None });
        if (trainer.IsPrimary) SourceGenNN.IO.WeightFile.Save(net, path, adam); // atomic: a kill mid-save keeps the previous one
    }
    if (rank == 0)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(net.Parameters);
        ulong hash = 14695981039346656037;
        foreach (byte b in bytes) hash = (hash ^ b) * 1099511628211;
        Console.WriteLine(string.Create(inv, $"checkpoint: {size} process(es), epochs {start + 1} to {epochs} run here, {adam.Steps} steps in all, parameters fnv {hash:x16}"));
    }
    return 0;
}

int Bench(int steps)
{
    Parallelism.MaxThreads = 1;
    const int globalBatch = 256;
    int lo = globalBatch * rank / size, hi = globalBatch * (rank + 1) / size, local = hi - lo;
    var random = new Random(5 + rank);
    var x = new float[local * 1024];
    var y = new float[local];
    for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
    for (int i = 0; i < local; i++) y[i] = random.Next(10);
    var net = new WideMlp(seed: 1);
    var trainer = new Trainer(net, new CrossEntropy(), new Sgd(net, learningRate: 0.01f, momentum: 0.9f));
    trainer.UseDistributed(mpi);
    for (int i = 0; i < 3; i++) trainer.TrainStep(x, y, local); // warm-up: JIT, buffers
    mpi.Barrier();
    var before = mpi.CollectiveTime;
    long start = Stopwatch.GetTimestamp();
    for (int i = 0; i < steps; i++) trainer.TrainStep(x, y, local);
    double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
    double reduceMs = (mpi.CollectiveTime - before).TotalMilliseconds / steps;
    // The all-reduce alone: the gradient buffer's size, after a barrier, so that no rank waits for a slower one.
    var gradient = new float[net.Parameters.Length];
    double pureMs = 0;
    for (int i = 0; i < 10; i++)
    {
        mpi.Barrier();
        long t = Stopwatch.GetTimestamp();
        mpi.AllReduceSum(gradient);
        pureMs += Stopwatch.GetElapsedTime(t).TotalMilliseconds / 10;
    }
    var stats = new double[] { reduceMs };
    mpi.AllReduceSum(stats);
    if (rank == 0)
        Console.WriteLine(string.Create(inv,
            $"bench W5: {size} process(es) x 1 thread, global batch {globalBatch}, {steps} steps: {seconds / steps * 1000:0.0} ms/step, " +
            $"{globalBatch * steps / seconds:0} samples/s, collectives {reduceMs:0.00} ms/step on rank 0 (mean over ranks {stats[0] / size:0.00}, waiting for the slower rank included); " +
            $"the all-reduce alone of the {gradient.Length} gradients ({gradient.Length * 4 / 1e6:0.0} MB) after a barrier: {pureMs:0.00} ms"));
    return 0;
}

static int Resolver()
{
    var env = new System.Collections.Generic.Dictionary<string, string>
    {
        ["SOURCEGENNN_MPI_LIBDIR"] = "/first:/second/", ["MPI_HOME"] = "/opt/mpi/", ["OMPI_HOME"] = "/opt/mpi",
    };
    var list = MpiLibrary.SearchList(name => env.TryGetValue(name, out var v) ? v : null);
    string[] expected =
    [
        "/first  [$SOURCEGENNN_MPI_LIBDIR]", "/second  [$SOURCEGENNN_MPI_LIBDIR]", "/opt/mpi/lib  [$MPI_HOME]",
        "/usr/lib/x86_64-linux-gnu  [default (Debian, Ubuntu)]",
    ];
    bool ok = list.Count > expected.Length && list[^1].Directory is null; // the bare soname last; /opt/mpi/lib once
    for (int i = 0; i < expected.Length && ok; i++) ok = list[i].ToString() == expected[i];
    foreach (var entry in list) Console.WriteLine("  " + entry);
    MpiLibrary.Load();
    Console.WriteLine($"resolver: search list {(ok ? "as documented" : "NOT as documented")}; libmpi loaded from {MpiLibrary.LoadedPath}: {(ok ? "PASS" : "FAIL")}");
    return ok ? 0 : 1;
}

static double MaxAbsDifference(float[] a, float[] b)
{
    double worst = 0;
    for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs((double)a[i] - b[i]));
    return worst;
}

/// <summary>
/// The network the equivalence and fault checks train: 18,435 parameters, past
/// <see cref="MpiCommunicator.BlockingAllReduceThreshold"/>, so its gradients take the barrier-then-blocking path and
/// the step's small statistics the polled one.
/// </summary>
[Network(6)]
[Dense(256)]
[Tanh]
[Dense(64)]
[Tanh]
[Dense(3)]
[Softmax]
public partial class SmallNet { }

/// <summary>A network that differs from <see cref="SmallNet"/> by one width.</summary>
[Network(6)]
[Dense(257)]
[Tanh]
[Dense(64)]
[Tanh]
[Dense(3)]
[Softmax]
public partial class OtherNet { }

/// <summary>W5: the wide MLP 1024-1024(ReLU)-1024(ReLU)-10, ending in raw logits (as Runtime.Benchmarks declares it).</summary>
[Network(1024)]
[Dense(1024)]
[ReLU]
[Dense(1024)]
[ReLU]
[Dense(10)]
public partial class WideMlp { }

/// <summary>Accuracy that throws on rank 1 after some updates: a rank failing in the middle of an epoch.</summary>
internal sealed class FailingMetric(bool failOnRank1, int afterUpdates) : Metric
{
    private readonly Accuracy _inner = new();
    private int _updates;

    public override string Name => "accuracy";
    public override bool HigherIsBetter => true;
    public override void Reset() => _inner.Reset();
    public override double Result => _inner.Result;

    public override void Update(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int features)
    {
        if (failOnRank1 && ++_updates > afterUpdates) throw new InvalidOperationException("injected failure: the data on this rank could not be read");
        _inner.Update(output, target, batch, features);
    }
}
