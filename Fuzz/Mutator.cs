using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace SourceGenNN.Fuzz;

/// <summary>
/// Deterministic mutations of corpus files for the replay mode: the same seed gives the same inputs on every machine
/// (SplitMix64, not <see cref="Random"/>). Byte-level mutations (bit flips, interesting integers at any offset, cuts,
/// insertions, duplications, splices of two files) and two that know the formats: a JSON token of a safetensors
/// header replaced by an awkward one (huge or negative numbers, lone surrogates, invalid UTF-8, wrong types), and a
/// value replaced by NaN or an infinity. Afterwards the safetensors header length or the weight file's CRC is often
/// made right again, so that mutations reach the code behind those checks.
/// </summary>
internal sealed class Mutator(ulong seed, IReadOnlyList<byte[]> corpus)
{
    private ulong _state = seed;

    private ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private int Below(int n) => n <= 1 ? 0 : (int)(Next() % (ulong)n);

    private bool Chance(int oneIn) => Below(oneIn) == 0;

    private static readonly long[] Integers =
    [
        0, 1, -1, 2, 3, 4, 7, 8, 16, 31, 32, 33, 64, 65, 127, 128, 255, 256, 1000, 1 << 16, (1 << 16) + 1, 1 << 20, (1 << 20) + 1,
        1_000_000, 1_000_001, int.MaxValue, int.MinValue, (long)int.MaxValue + 1, uint.MaxValue, 1L << 40, long.MaxValue, long.MinValue,
        long.MaxValue / 4, long.MaxValue / 8 + 1,
    ];

    private static readonly string[] JsonTokens =
    [
        "-1", "0", "1", "2147483647", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808",
        "18446744073709551616", "1e400", "-0", "1.5", "1e3", "null", "true", "\"\"", "\"x\"", "[]", "{}", "[0]", "[0,0]",
        "[-1,0]", "[0,9223372036854775807]", "[2305843009213693955,2]", "[4294967296,4294967296,4294967296]",
        "\"\\ud800\"", "\"\\udfff\"", "\"\\u0000\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"", "\"I64\"", "\"U8\"", "\"BOOL\"",
        "\"C64\"", "\"__metadata__\"", "{\"a\":\"b\"}", "{\"a\":1}", "[[1]]", "\"\u00e9\"",
    ];

    /// <summary>One mutated input: a corpus file with one to four mutations.</summary>
    public byte[] Mutate()
    {
        var data = new List<byte>(corpus[Below(corpus.Count)]);
        int count = 1 + Below(4);
        for (int i = 0; i < count; i++) MutateOnce(data);
        var bytes = data.ToArray();
        if (bytes.Length >= 8 && IsSafetensors(bytes) && Chance(2)) FixHeaderLength(bytes);
        if (Chance(2) && Harness.WithCrc(bytes) is { } fixedCrc) bytes = fixedCrc;
        return bytes;
    }

    private static bool IsSafetensors(byte[] b) => b.Length > 8 && b[8] == (byte)'{';

    private void MutateOnce(List<byte> d)
    {
        switch (Below(12))
        {
            case 0 when d.Count > 0: // flip a bit
                d[Below(d.Count)] ^= (byte)(1 << Below(8));
                break;
            case 1 when d.Count > 0: // an interesting byte
                d[Below(d.Count)] = (byte)Integers[Below(Integers.Length)];
                break;
            case 2 when d.Count >= 4: // an interesting i32 where a count or length might be
            {
                int at = Below(d.Count - 3);
                Span<byte> b = stackalloc byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(b, (int)Integers[Below(Integers.Length)]);
                for (int k = 0; k < 4; k++) d[at + k] = b[k];
                break;
            }
            case 3 when d.Count >= 8: // an interesting i64 (a value count, a header length)
            {
                int at = Chance(3) ? 0 : Below(d.Count - 7);
                Span<byte> b = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(b, Integers[Below(Integers.Length)]);
                for (int k = 0; k < 8; k++) d[at + k] = b[k];
                break;
            }
            case 4 when d.Count > 0: // cut the end off
            {
                int at = Below(d.Count);
                d.RemoveRange(at, d.Count - at);
                break;
            }
            case 5: // insert random bytes
            {
                int at = Below(d.Count + 1), n = 1 + Below(16);
                var b = new byte[n];
                for (int k = 0; k < n; k++) b[k] = (byte)Next();
                d.InsertRange(at, b);
                break;
            }
            case 6 when d.Count > 1: // delete a range
            {
                int at = Below(d.Count), n = 1 + Below(Math.Min(32, d.Count - at));
                d.RemoveRange(at, n);
                break;
            }
            case 7 when d.Count > 1: // duplicate a range
            {
                int at = Below(d.Count), n = 1 + Below(Math.Min(64, d.Count - at));
                d.InsertRange(Below(d.Count + 1), d.GetRange(at, n));
                break;
            }
            case 8: // splice: this file's start, another's end
            {
                var other = corpus[Below(corpus.Count)];
                int keep = Below(d.Count + 1), from = Below(other.Length + 1);
                d.RemoveRange(keep, d.Count - keep);
                d.AddRange(other.AsSpan(from).ToArray());
                break;
            }
            case 9 or 10 when d.Count > 8 && d[8] == (byte)'{': // a JSON token of the header replaced
                ReplaceJsonToken(d);
                break;
            case 11 when d.Count >= 8: // a value becomes NaN or an infinity (the file's end holds values in both formats)
            {
                int at = d.Count - 4 - 4 * Below(Math.Max(1, Math.Min(64, d.Count / 4 - 1)));
                float v = Below(3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
                Span<byte> b = stackalloc byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(b, v);
                for (int k = 0; k < 4 && at + k < d.Count && at >= 0; k++) d[at + k] = b[k];
                break;
            }
            default:
                if (d.Count > 0) d[Below(d.Count)] = (byte)Next();
                break;
        }
    }

    /// <summary>Replaces a number, string, array or literal in the header with an awkward token, or a string's byte with invalid UTF-8.</summary>
    private void ReplaceJsonToken(List<byte> d)
    {
        long n = BinaryPrimitives.ReadInt64LittleEndian([.. d.GetRange(0, 8)]);
        int end = (int)Math.Clamp(8 + n, 8, d.Count);
        var header = d.GetRange(8, end - 8).ToArray();
        // Token starts: a digit or '-' after a delimiter, a '"', a '[' or '{' after ':'.
        var starts = new List<int>();
        for (int i = 1; i < header.Length; i++)
        {
            byte c = header[i], prev = header[i - 1];
            if (c == '"' || ((c == '-' || (c >= '0' && c <= '9')) && (prev == ':' || prev == ',' || prev == '[')) || ((c == '[' || c == '{') && prev == ':'))
                starts.Add(i);
        }
        if (starts.Count == 0) return;
        int s = starts[Below(starts.Count)];
        int e = TokenEnd(header, s);
        byte[] replacement = Chance(8)
            ? [(byte)'"', 0xFF, 0xC3, 0x28, (byte)'"'] // invalid UTF-8 in a string
            : Encoding.UTF8.GetBytes(JsonTokens[Below(JsonTokens.Length)]);
        var h = new List<byte>(header[..s]);
        h.AddRange(replacement);
        h.AddRange(header[e..]);
        d.RemoveRange(8, end - 8);
        d.InsertRange(8, h);
        var len = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(len, h.Count);
        for (int k = 0; k < 8; k++) d[k] = len[k];
    }

    /// <summary>The end of the JSON token at <paramref name="s"/>: a string, a balanced array or object, or a run of number characters.</summary>
    private static int TokenEnd(byte[] h, int s)
    {
        if (h[s] == '"')
        {
            for (int i = s + 1; i < h.Length; i++)
            {
                if (h[i] == '\\') i++;
                else if (h[i] == '"') return i + 1;
            }
            return h.Length;
        }
        if (h[s] == '[' || h[s] == '{')
        {
            int depth = 0;
            for (int i = s; i < h.Length; i++)
            {
                if (h[i] == '[' || h[i] == '{') depth++;
                else if (h[i] == ']' || h[i] == '}') { if (--depth == 0) return i + 1; }
            }
            return h.Length;
        }
        int j = s + 1;
        while (j < h.Length && (char.IsAsciiDigit((char)h[j]) || h[j] == '.' || h[j] == 'e' || h[j] == 'E' || h[j] == '+' || h[j] == '-')) j++;
        return j;
    }

    /// <summary>Sets the header length to where the header's JSON object ends, when it can be found.</summary>
    private static void FixHeaderLength(byte[] b)
    {
        int depth = 0;
        bool inString = false;
        for (int i = 8; i < b.Length; i++)
        {
            byte c = b[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            else if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']')
            {
                if (--depth == 0)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(b, i + 1 - 8);
                    return;
                }
            }
        }
    }
}
