namespace FastSeq;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014): 64 random bits per call from a 64-bit counter, the same on every platform and
/// runtime version, and a value type, so drawing allocates nothing.
/// </summary>
internal struct SplitMix64(ulong state)
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    private ulong _state = state;

    /// <summary>A generator for <paramref name="seed"/> whose draws share no prefix with those of any other seed: the counter starts at a mix of the seed.</summary>
    public static SplitMix64 FromSeed(long seed) => new(Mix(unchecked((ulong)seed)));

    /// <summary>The next 64 random bits.</summary>
    public ulong Next() => Mix(_state += Golden);

    /// <summary>A uniform double in [0, 1), from the top 53 bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
