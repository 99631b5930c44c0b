using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;
using SourceGenNN.Data;
using Xunit;

namespace SourceGenNN.Tests.Data;

/// <summary>Where the repository's sample data lives.</summary>
public static class SampleData
{
    public static string Path(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "SourceGenNN.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("The repository root (SourceGenNN.sln) was not found above " + AppContext.BaseDirectory);
        return System.IO.Path.Combine(dir.FullName, "samples", "data", file);
    }
}

public sealed class TempDir : IDisposable
{
    public TempDir() => System.IO.Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sgnn-tests-" + Guid.NewGuid().ToString("N"));
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() => System.IO.Directory.Delete(Path, recursive: true);
}

public class IdxReaderTests
{
    private static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var b = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(b, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(b, 4 + 4 * dims.Length);
        return b;
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(raw);
        return ms.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Idx_images_and_labels_are_read_plain_or_gzipped(bool gzip)
    {
        using var tmp = new TempDir();
        var pixels = Enumerable.Range(0, 2 * 3 * 2).Select(i => (byte)(i * 20)).ToArray();
        var images = Idx(2051, new[] { 2, 3, 2 }, pixels);
        var labels = Idx(2049, new[] { 2 }, new byte[] { 7, 3 });
        File.WriteAllBytes(tmp.File("i"), gzip ? Gzip(images) : images);
        File.WriteAllBytes(tmp.File("l"), gzip ? Gzip(labels) : labels);
        var data = IdxReader.ReadDataset(tmp.File("i"), tmp.File("l"));
        Assert.Equal(2, data.Count);
        Assert.Equal(6, data.FeatureCount);
        Assert.Equal(pixels.Select(p => p / 255f), data.Features);
        Assert.Equal(new[] { 7f, 3f }, data.Targets);
    }

    [Fact]
    public void Idx_with_a_wrong_magic_number_is_refused()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("x"), Idx(0x0D03, new[] { 1, 1, 1 }, new byte[4]));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(tmp.File("x")));
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void Truncated_idx_reports_how_much_was_read()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("x"), Idx(2051, new[] { 2, 3, 2 }, new byte[5]));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(tmp.File("x")));
        Assert.Contains("ends early", e.Message);
    }

    [Fact]
    public void Mnist10k_sample_reads_as_10000_images_of_784_pixels()
    {
        var data = IdxReader.ReadDataset(SampleData.Path("mnist10k-images-idx3-ubyte.gz"), SampleData.Path("mnist10k-labels-idx1-ubyte.gz"));
        Assert.Equal(10000, data.Count);
        Assert.Equal(784, data.FeatureCount);
        Assert.All(data.Features, v => Assert.InRange(v, 0f, 1f));
        var classes = data.Labels().Distinct().OrderBy(c => c).ToArray();
        Assert.Equal(Enumerable.Range(0, 10), classes);
    }
}

public class CsvReaderTests
{
    [Fact]
    public void Csv_header_is_detected_and_skipped()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("h.csv"), "3,2,no,yes\n1.5,2,0,1\n-3e-1,4,1,0\n7,8,0,1\n");
        File.WriteAllText(tmp.File("n.csv"), "1.5,2,0,1\n-3e-1,4,1,0\n7,8,0,1\n");
        foreach (var f in new[] { "h.csv", "n.csv" })
        {
            var m = CsvReader.ReadMatrix(tmp.File(f), out int cols);
            Assert.Equal(4, cols);
            Assert.Equal(new[] { 1.5f, 2, 0, 1, -0.3f, 4, 1, 0, 7, 8, 0, 1 }, m);
        }
        var d = CsvReader.ReadDataset(tmp.File("h.csv"), targetColumns: 2);
        Assert.Equal(3, d.Count);
        Assert.Equal(2, d.FeatureCount);
        Assert.Equal(new[] { 0f, 1, 1, 0, 0, 1 }, d.Targets);
    }

    [Fact]
    public void Csv_with_a_ragged_line_names_the_line()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("r.csv"), "1,2\n3,4\n5\n");
        var e = Assert.Throws<InvalidDataException>(() => CsvReader.ReadMatrix(tmp.File("r.csv"), out _, CsvHeader.Absent));
        Assert.Contains("line 3", e.Message);
    }

    [Theory]
    [InlineData("digits.csv.gz", 1797, 64)]
    [InlineData("breast_cancer.csv.gz", 569, 30)]
    [InlineData("diabetes.csv", 442, 10)]
    public void Shared_csv_data_sets_read_with_their_shapes(string file, int rows, int features)
    {
        var d = CsvReader.ReadDataset(SampleData.Path(file));
        Assert.Equal(rows, d.Count);
        Assert.Equal(features, d.FeatureCount);
        Assert.All(d.Features, v => Assert.True(float.IsFinite(v)));
    }
}

public class PreprocessingTests
{
    private static Dataset Indexed(int n) =>
        new(Enumerable.Range(0, n).SelectMany(i => new[] { (float)i, i * 2f }).ToArray(), Enumerable.Range(0, n).Select(i => (float)(i % 3)).ToArray(), 2);

    [Fact]
    public void Split_is_seeded_disjoint_and_complete()
    {
        var d = Indexed(50);
        var (train, test) = d.Split(0.2, seed: 7);
        Assert.Equal(40, train.Count);
        Assert.Equal(10, test.Count);
        var ids = train.Features.Where((_, i) => i % 2 == 0).Concat(test.Features.Where((_, i) => i % 2 == 0)).Select(v => (int)v).ToList();
        Assert.Equal(Enumerable.Range(0, 50), ids.OrderBy(i => i));
        for (int i = 0; i < train.Count; i++) Assert.Equal((int)train.Features[2 * i] % 3, (int)train.Targets[i]);
        var (again, _) = d.Split(0.2, seed: 7);
        Assert.Equal(train.Features, again.Features);
        var (other, _) = d.Split(0.2, seed: 8);
        Assert.NotEqual(train.Features, other.Features);
    }

    [Fact]
    public void Shuffle_is_a_seeded_permutation()
    {
        var p = Shuffling.Permutation(100, 3);
        Assert.Equal(Enumerable.Range(0, 100), p.OrderBy(i => i));
        Assert.Equal(p, Shuffling.Permutation(100, 3));
        Assert.NotEqual(p, Shuffling.Permutation(100, 4));
        Assert.NotEqual(Enumerable.Range(0, 100), p);
    }

    [Fact]
    public void Standardizer_uses_training_statistics_for_every_split()
    {
        float[] train = { 1, 10, 3, 10, 5, 10, 7, 10 };
        float[] test = { 4, 11, 9, 9 };
        var s = new Standardizer().Fit(train, 2);
        double mean0 = (1 + 3 + 5 + 7) / 4.0, sd0 = Math.Sqrt(new[] { 1, 3, 5, 7 }.Average(v => (v - mean0) * (v - mean0)));
        var t = (float[])train.Clone();
        s.Transform(t);
        Assert.Equal(0, t.Where((_, i) => i % 2 == 0).Average(), 6);
        Assert.Equal(1, Math.Sqrt(t.Where((_, i) => i % 2 == 0).Average(v => (double)v * v)), 6);
        Assert.All(t.Where((_, i) => i % 2 == 1), v => Assert.Equal(0f, v)); // constant column: centred only
        s.Transform(test);
        Assert.Equal((4 - mean0) / sd0, test[0], 6);
        Assert.Equal((9 - mean0) / sd0, test[2], 6);
        Assert.Equal(1f, test[1]);
        Assert.Equal(-1f, test[3]);
    }

    [Fact]
    public void Min_max_scaler_maps_training_range_to_zero_one()
    {
        float[] train = { 2, -1, 6, 3, 4, 1 };
        float[] test = { 8, 0 };
        var s = new MinMaxScaler().Fit(train, 2);
        s.Transform(train);
        Assert.Equal(new[] { 0f, 0f, 1f, 1f, 0.5f, 0.5f }, train);
        s.Transform(test);
        Assert.Equal(new[] { 1.5f, 0.25f }, test); // outside the training range: not clipped
    }

    [Fact]
    public void One_hot_encodes_class_indices()
    {
        Assert.Equal(new[] { 0f, 1, 0, 1, 0, 0, 0, 0, 1 }, OneHot.Encode(new[] { 1, 0, 2 }, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => OneHot.Encode(new[] { 3 }, 3));
        var d = Indexed(4).OneHotTargets(3);
        Assert.Equal(3, d.TargetWidth);
        Assert.Equal(new[] { 0, 1, 2, 0 }, d.Labels());
    }
}
