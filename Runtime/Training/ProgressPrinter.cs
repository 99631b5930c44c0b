using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using SourceGenNN.Metrics;

namespace SourceGenNN.Training;

/// <summary>
/// Prints training progress: a bar redrawn in place with plain ANSI escapes when the output is a terminal, or one
/// line per epoch when it is redirected. Redraws are throttled to ten a second.
/// </summary>
internal sealed class ProgressPrinter : IDisposable
{
    private readonly TextWriter? _out;
    private readonly bool _bar;
    private readonly StringBuilder _sb = new();
    private long _lastDraw;
    private int _epoch, _epochs, _batches;

    public ProgressPrinter(ProgressMode mode, TextWriter? output)
    {
        if (mode == ProgressMode.None) return;
        _out = output ?? Console.Out;
        _bar = mode == ProgressMode.Bar || (mode == ProgressMode.Auto && output is null && !Console.IsOutputRedirected);
    }

    public void BeginEpoch(int epoch, int epochs, int batches)
    {
        _epoch = epoch;
        _epochs = epochs;
        _batches = batches;
        _lastDraw = 0;
    }

    public void Batch(int done, double loss, Metric[] metrics, int samples, TimeSpan elapsed, int skipped = 0)
    {
        if (!_bar || _out is null) return;
        long now = Stopwatch.GetTimestamp();
        if (done < _batches && _lastDraw != 0 && Stopwatch.GetElapsedTime(_lastDraw, now).TotalMilliseconds < 100) return;
        _lastDraw = now;
        var inv = CultureInfo.InvariantCulture;
        const int width = 24;
        int filled = (int)((long)width * done / _batches);
        _sb.Clear();
        _sb.Append("\r\u001b[2K").Append(EpochText()).Append(" [").Append('=', filled);
        if (filled < width) _sb.Append('>').Append(' ', width - filled - 1);
        _sb.Append("] ").Append(done.ToString(inv)).Append('/').Append(_batches.ToString(inv));
        _sb.Append("  loss ").Append(loss.ToString("0.0000", inv));
        foreach (var m in metrics) _sb.Append("  ").Append(m.Name).Append(' ').Append(m.Result.ToString("0.0000", inv));
        if (skipped > 0) _sb.Append("  skipped ").Append(skipped.ToString(inv));
        _sb.Append("  ").Append((samples / Math.Max(elapsed.TotalSeconds, 1e-9)).ToString("N0", inv)).Append(" samples/s");
        _out.Write(_sb.ToString());
        _out.Flush();
    }

    public void EndEpoch(EpochRecord record, int epochs)
    {
        if (_out is null) return;
        var inv = CultureInfo.InvariantCulture;
        _sb.Clear();
        if (_bar) _sb.Append("\r\u001b[2K");
        _sb.Append(EpochText());
        foreach (var kv in record.Values) _sb.Append("  ").Append(kv.Key).Append(' ').Append(kv.Value.ToString("0.0000", inv));
        if (record.SkippedBatches > 0)
            _sb.Append("  skipped ").Append(record.SkippedBatches.ToString(inv)).Append(record.SkippedBatches == 1 ? " batch" : " batches").Append(" (non-finite loss)");
        _sb.Append("  ").Append(record.SamplesPerSecond.ToString("N0", inv)).Append(" samples/s");
        _sb.Append("  ").Append(record.Duration.TotalSeconds.ToString("0.00", inv)).Append(" s");
        _out.WriteLine(_sb.ToString());
        _out.Flush();
    }

    public void Message(string text) => _out?.WriteLine(text);

    private string EpochText()
    {
        var inv = CultureInfo.InvariantCulture;
        string total = _epochs.ToString(inv);
        return "Epoch " + _epoch.ToString(inv).PadLeft(total.Length) + "/" + total;
    }

    public void Dispose() => _out?.Flush();
}
