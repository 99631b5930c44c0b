using System;
using System.Runtime.CompilerServices;

namespace SourceGenNN.Kernels;

/// <summary>
/// A seeded xoshiro256** generator for initialisers. Each parameter tensor draws from its own stream, keyed by the
/// network seed and the tensor's name, so adding a layer never changes the weights of the others.
/// </summary>
public struct Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    /// <summary>Creates the stream <paramref name="stream"/> of seed <paramref name="seed"/>.</summary>
    public Rng(ulong seed, string stream)
    {
        ulong x = seed ^ Fnv1a(stream);
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
        _spare = 0;
        _hasSpare = false;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1), with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal double (Box–Muller, the second value of each pair kept for the next call).</summary>
    public double NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2.0 * Math.PI * u2);
        _hasSpare = true;
        return r * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>SplitMix64: advances <paramref name="state"/> and returns a well-mixed 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The 64-bit FNV-1a hash of a string's UTF-16 code units: stable across runs and platforms.</summary>
    public static ulong Fnv1a(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return h;
    }
}

/// <summary>
/// A counter-based generator: the random number for element <c>i</c> of draw <c>key</c> is a pure function of both,
/// so dropout masks are reproducible, need no state per element, and a GPU kernel can compute the same ones.
/// </summary>
public static class CounterRandom
{
    /// <summary>A uniform float in [0, 1) for element <paramref name="index"/> of draw <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Uniform(ulong key, ulong index)
    {
        ulong state = key ^ (index * 0xD1B54A32D192ED03UL);
        return (Rng.SplitMix64(ref state) >> 40) * (1f / (1 << 24));
    }

    /// <summary>The key of one forward pass of one layer: a mix of the network seed, the layer index and the step.</summary>
    public static ulong Key(ulong seed, int layer, ulong step)
    {
        ulong s = seed ^ ((ulong)(uint)layer << 48) ^ step;
        return Rng.SplitMix64(ref s);
    }
}
