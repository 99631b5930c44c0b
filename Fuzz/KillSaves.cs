using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using SourceGenNN.IO;

namespace SourceGenNN.Fuzz;

/// <summary>
/// Kills saves mid-write, for real: a child process (this program with <c>--save-loop</c>) saves a 64 MiB network again
/// and again, alternating the two formats, and is killed (SIGKILL: no handler, no finally) at a random moment after its
/// temporary file appears. After each kill the target must be absent or load whole (the rename is atomic); temporary
/// files pile up only until a later save or load, which must leave none once they are older than
/// <see cref="AtomicFile.StaleAfter"/>.
/// </summary>
internal static class KillSaves
{
    private const int Inputs = 2048, Outputs = 2048; // 4.2 M parameters, 16 MiB a file

    /// <summary>The child: saves forever, both formats in turn.</summary>
    public static int SaveLoop(string dir)
    {
        var net = new BigNet(Inputs, Outputs);
        Console.WriteLine("ready");
        for (long i = 0; ; i++)
        {
            if (i % 2 == 0) WeightFile.Save(net, Path.Combine(dir, "w.sgnn"));
            else SafeTensors.Save(net, Path.Combine(dir, "w.safetensors"));
        }
    }

    private static System.Collections.Generic.IEnumerable<string> Temporaries(string dir) =>
        Directory.EnumerateFiles(dir, ".w.*.tmp", new EnumerationOptions { AttributesToSkip = 0 });

    public static int Run(string dir, int kills, ulong seed)
    {
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(dir)) File.Delete(f);
        string self = Environment.ProcessPath!;
        string dll = typeof(KillSaves).Assembly.Location;
        var rng = new Random((int)seed);
        var net = new BigNet(Inputs, Outputs);
        int maxLeft = 0, loadsChecked = 0, failures = 0;
        var clock = Stopwatch.StartNew();
        for (int k = 0; k < kills; k++)
        {
            var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self) is "dotnet") psi.ArgumentList.Add(dll);
            psi.ArgumentList.Add("--save-loop");
            psi.ArgumentList.Add(dir);
            var earlier = Temporaries(dir).ToHashSet();
            using var child = Process.Start(psi)!;
            child.StandardOutput.ReadLine(); // "ready": the network is built
            // Wait for a temporary file of this child's save, then kill at a random moment of the write.
            var until = DateTime.UtcNow.AddSeconds(20);
            while (!Temporaries(dir).Any(t => !earlier.Contains(t)) && DateTime.UtcNow < until) Thread.Sleep(1);
            Thread.Sleep(rng.Next(0, 250)); // a save takes about 40 ms here: kills land in the first, a later one, or between two
            child.Kill(entireProcessTree: true);
            child.WaitForExit();

            int left = Temporaries(dir).Count();
            maxLeft = Math.Max(maxLeft, left);
            if (Environment.GetEnvironmentVariable("KILL_DEBUG") == "1") Console.WriteLine($"kill {k} at {clock.Elapsed.TotalSeconds:F1} s: {left} temporary files: " + string.Join(" ", Directory.GetFiles(dir, ".*", new EnumerationOptions { AttributesToSkip = 0 }).Select(f => File.GetLastWriteTimeUtc(f).ToString("ss.fff"))));
            foreach (string target in new[] { "w.sgnn", "w.safetensors" })
            {
                string path = Path.Combine(dir, target);
                if (!File.Exists(path)) continue;
                var loaded = new BigNet(Inputs, Outputs);
                loaded.Parameters.Clear();
                try
                {
                    if (target == "w.sgnn") WeightFile.Load(loaded, path);
                    else SafeTensors.Load(loaded, path);
                    for (int i = 0; i < loaded.Parameters.Length; i += 4099)
                        if (loaded.Parameters[i] != BigNet.Expected(i)) throw new InvalidDataException($"value {i} is {loaded.Parameters[i]}");
                    loadsChecked++;
                }
                catch (Exception e)
                {
                    failures++;
                    Console.WriteLine($"kill {k}: {target} does not load: {e.Message}");
                }
            }
        }
        int before = Temporaries(dir).Count();
        Thread.Sleep(AtomicFile.StaleAfter + TimeSpan.FromSeconds(0.5));
        WeightFile.Save(net, Path.Combine(dir, "w.sgnn"));
        SafeTensors.Save(net, Path.Combine(dir, "w.safetensors"));
        int after = Temporaries(dir).Count();
        Console.WriteLine($"kill-saves: {kills} saves killed mid-write in {clock.Elapsed.TotalSeconds:F0} s; the targets loaded whole {loadsChecked} times, " +
                          $"{failures} failed; temporary files at most {maxLeft} at once (later saves removed older ones), {before} after the last kill, {after} after one more save of each");
        if (failures > 0 || after > 0) return 1;
        return 0;
    }
}
