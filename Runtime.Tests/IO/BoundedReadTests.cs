using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using SourceGenNN.IO;
using SourceGenNN.Tests.Data;
using SourceGenNN.Tests.TestDoubles;
using SourceGenNN.Tests.Training;
using Xunit;

namespace SourceGenNN.Tests.IO;

/// <summary>
/// Reads are bounded: only regular files are read, none blocks, a file longer than the network could need is refused
/// before it is read, and files over 2 GiB are read in chunks (sparse files, so that the tests need neither the disk
/// space nor the memory).
/// </summary>
public class BoundedReadTests
{
    /// <summary>Every reader, each loading into a fresh network where it takes one.</summary>
    private static IEnumerable<(string Name, Action<string> Read)> Readers() =>
    [
        ("WeightFile.Load", p => WeightFile.Load(new DigitsMlp(seed: 1), p)),
        ("WeightFile.Load with an optimiser", p => { var n = new DigitsMlp(seed: 1); WeightFile.Load(n, p, new SourceGenNN.Training.Adam(n)); }),
        ("SafeTensors.Load", p => SafeTensors.Load(new DigitsMlp(seed: 1), p)),
        ("SafeTensors.ReadTensors", p => SafeTensors.ReadTensors(p)),
        ("SafeTensors.ReadMetadata", p => SafeTensors.ReadMetadata(p)),
    ];

    /// <summary>Runs <paramref name="read"/> on a worker thread; a read still running after 20 s fails the test instead of hanging it.</summary>
    private static Exception? WithTimeout(Action read, string what)
    {
        Exception? thrown = null;
        var worker = new Thread(() => thrown = Record.Exception(read)) { IsBackground = true }; // a blocked one cannot keep the test host alive
        worker.Start();
        Assert.True(worker.Join(TimeSpan.FromSeconds(20)), $"{what} was still reading after 20 s");
        return thrown;
    }

    private static void AssertRefused(string path, string expected)
    {
        foreach (var (name, read) in Readers())
        {
            var e = WithTimeout(() => read(path), name + " of " + path);
            Assert.True(e is WeightFileException, $"{name} of {path}: {e?.GetType().Name ?? "no exception"}: {e?.Message}");
            Assert.Contains(expected, e!.Message);
        }
    }

    [Fact]
    public void Dev_zero_is_refused_before_a_byte_is_read()
    {
        if (!OperatingSystem.IsLinux()) return; // /dev/zero and the statx check are Linux's
        AssertRefused("/dev/zero", "a character device");
        using var tmp = new TempDir();
        File.CreateSymbolicLink(tmp.File("zero.sgnn"), "/dev/zero");
        AssertRefused(tmp.File("zero.sgnn"), "not a regular file");
    }

    [Fact]
    public void A_named_pipe_is_refused_without_blocking()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var tmp = new TempDir();
        string fifo = tmp.File("pipe.sgnn");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!)
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        try
        {
            AssertRefused(fifo, "a named pipe");
        }
        finally
        {
            // If a reader did block in open(), give it a writer so that its thread ends with the test.
            var unblock = new Thread(() => { try { using var w = new FileStream(fifo, FileMode.Open, FileAccess.Write); } catch (IOException) { } }) { IsBackground = true };
            unblock.Start();
            unblock.Join(TimeSpan.FromMilliseconds(200));
        }
    }

    [Fact]
    public void A_path_with_a_nul_is_the_callers_error_and_opens_nothing()
    {
        using var tmp = new TempDir();
        System.IO.File.WriteAllBytes(tmp.File("w"), [1, 2, 3]);
        // The native open would stop at the NUL and read "w".
        foreach (var (name, read) in Readers())
            Assert.IsType<ArgumentException>(Record.Exception(() => read(tmp.File("w") + "\0.sgnn")));
        Assert.IsType<ArgumentException>(Record.Exception(() => SafeTensors.ReadMetadata("")));
    }

    [Fact]
    public void A_directory_is_refused()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.File("dir.sgnn"));
        AssertRefused(tmp.File("dir.sgnn"), "directory");
    }

    /// <summary>A sparse file: its length is set without writing, so it takes no disk space; <paramref name="head"/> is written at its start.</summary>
    private static void Sparse(string path, long length, byte[] head)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        fs.Write(head);
        fs.SetLength(length);
    }

    [Fact]
    public void A_file_longer_than_the_network_could_need_is_refused_before_it_is_read()
    {
        using var tmp = new TempDir();
        string path = tmp.File("big");
        var d = new DigitsMlp().Description;
        long allowed = WeightFile.MaxFileLength(d);
        Assert.True(allowed < 8L << 20, $"the bound for a 2,410-parameter network is {allowed} bytes");
        Sparse(path, 1L << 30, "SGNNWTS\0"u8.ToArray());
        var net = new DigitsMlp(seed: 1);
        var before = net.Parameters.ToArray();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<WeightFileException>(() => WeightFile.Load(net, path));
        var e2 = Assert.Throws<WeightFileException>(() => SafeTensors.Load(net, path));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Contains("more than the", e.Message);
        Assert.Contains("not read", e2.Message);
        Assert.True(allocated < 1 << 20, $"refusing a 1 GiB file allocated {allocated} bytes");
        Assert.Equal(before, net.Parameters.ToArray());

        // One byte over the bound is refused; a file at the bound is read (and refused for what it holds).
        Sparse(path, allowed + 1, "SGNNWTS\0"u8.ToArray());
        Assert.Contains("more than the", Assert.Throws<WeightFileException>(() => WeightFile.Load(net, path)).Message);
        Sparse(path, allowed, "SGNNWTS\0"u8.ToArray());
        Assert.DoesNotContain("more than the", Assert.Throws<WeightFileException>(() => WeightFile.Load(net, path)).Message);
    }

    private static byte[] SafetensorsHeader(string json)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void Read_metadata_of_a_file_over_2_GiB_reads_only_its_header()
    {
        using var tmp = new TempDir();
        string path = tmp.File("big.safetensors");
        const long data = (5L << 29) + 3; // 2.5 GiB of U8
        var head = SafetensorsHeader($"{{\"__metadata__\":{{\"format\":\"pt\"}},\"x\":{{\"dtype\":\"U8\",\"shape\":[{data}],\"data_offsets\":[0,{data}]}}}}");
        Sparse(path, head.Length + data, head);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var meta = SafeTensors.ReadMetadata(path);
        // Its one tensor has more elements than an array can hold: refused before anything is allocated for it.
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.ReadTensors(path));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Equal("pt", meta["format"]);
        Assert.Contains("too large", e.Message);
        Assert.True(allocated < 1 << 20, $"reading the header of a 2.5 GiB file allocated {allocated} bytes");
    }

    /// <summary>
    /// A source of <paramref name="length"/> bytes: <paramref name="head"/>, then zeros, read without a file: the bytes of
    /// a sparse file, without paying for the kernel to zero-fill 2 GB of page cache on a first read.
    /// </summary>
    private sealed class ZeroSource(long length, byte[] head) : ByteSource("zeros")
    {
        public override long Length => length;

        public long BytesRead { get; private set; }

        protected override void ReadCore(long offset, Span<byte> destination)
        {
            destination.Clear();
            if (offset < head.Length) head.AsSpan((int)offset, (int)Math.Min(head.Length - offset, destination.Length)).CopyTo(destination);
            BytesRead += destination.Length;
        }
    }

    [Fact]
    public void A_weight_file_over_2_GiB_is_checked_in_chunks()
    {
        // 540 million parameters: 2.16 GB of values, past int.MaxValue bytes. The bytes are zeros past the magic and
        // version, so the checksum does not match: finding that out reads every byte, in chunks, without holding them.
        var net = new DescribedNetwork(DescribedNetwork.Dense(23240, 23240));
        long length = 4L * net.Description.ParameterCount + 4096;
        Assert.True(length > int.MaxValue);
        Assert.True(length <= WeightFile.MaxFileLength(net.Description));
        var source = new ZeroSource(length, [.. "SGNNWTS\0"u8, 2, 0, 0, 0]);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<WeightFileException>(() => WeightFile.LoadFrom(net, source));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Contains("checksum", e.Message);
        Assert.True(source.BytesRead >= length - 4, $"{source.BytesRead} of {length} bytes were read");
        Assert.True(allocated < 4 << 20, $"checking a {length}-byte file allocated {allocated} bytes");
    }

    [Fact]
    public void A_file_is_read_past_2_GiB()
    {
        using var tmp = new TempDir();
        string path = tmp.File("far");
        const long length = 3L << 30;
        using (var fs = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            fs.SetLength(length);
            fs.Position = length - 8;
            fs.Write("the end!"u8);
        }
        using var source = FileSource.Open(path);
        Assert.Equal(length, source.Length);
        var tail = new byte[8];
        source.Read(length - 8, tail);
        Assert.Equal("the end!"u8.ToArray(), tail);
        Assert.Throws<WeightFileException>(() => source.Read(length - 4, tail)); // never past the end
    }
}
