using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SourceGenNN.IO;

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib's <c>crc32</c>.</summary>
public static class Crc32
{
    /// <summary>Eight tables of 256 (slicing-by-8): table k gives the CRC of a byte followed by k zero bytes.</summary>
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int i = 0; i < 256; i++)
            {
                uint prev = t[(k - 1) * 256 + i];
                t[k * 256 + i] = (prev >> 8) ^ t[prev & 0xFF];
            }
        return t;
    }

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// Continues a CRC-32 over more data, as zlib's <c>crc32(crc, buf, len)</c>: <c>Append(Compute(a), b)</c> equals the
    /// CRC-32 of <c>a</c> followed by <c>b</c>, and <c>Append(0, a)</c> equals <c>Compute(a)</c>. Files are checked and
    /// written in chunks this way, never whole in memory.
    /// </summary>
    /// <param name="crc">The CRC-32 of the data before <paramref name="data"/> (0 for none).</param>
    /// <param name="data">The next bytes.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a long loop: straight to optimised code rather than tier 0
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        ref uint t = ref MemoryMarshal.GetArrayDataReference(Table);
        ref byte p = ref MemoryMarshal.GetReference(data);
        int i = 0;
        for (; i <= data.Length - 8; i += 8)
        {
            uint lo = BinaryPrimitives.ReadUInt32LittleEndian(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref p, i), 4)) ^ c;
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref p, i + 4), 4));
            c = Unsafe.Add(ref t, 7 * 256 + (int)(lo & 0xFF)) ^ Unsafe.Add(ref t, 6 * 256 + (int)((lo >> 8) & 0xFF))
              ^ Unsafe.Add(ref t, 5 * 256 + (int)((lo >> 16) & 0xFF)) ^ Unsafe.Add(ref t, 4 * 256 + (int)(lo >> 24))
              ^ Unsafe.Add(ref t, 3 * 256 + (int)(hi & 0xFF)) ^ Unsafe.Add(ref t, 2 * 256 + (int)((hi >> 8) & 0xFF))
              ^ Unsafe.Add(ref t, 256 + (int)((hi >> 16) & 0xFF)) ^ Unsafe.Add(ref t, (int)(hi >> 24));
        }
        for (; i < data.Length; i++) c = Unsafe.Add(ref t, (int)((c ^ Unsafe.Add(ref p, i)) & 0xFF)) ^ (c >> 8);
        return ~c;
    }
}
