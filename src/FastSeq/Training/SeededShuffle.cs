namespace FastSeq;

/// <summary>
/// Fisher-Yates shuffles driven by SplitMix64: deterministic for a seed on every platform and
/// runtime version, and a value type, so shuffling a fresh sequence of epochs allocates nothing.
/// </summary>
internal struct SeededShuffle(int seed)
{
    private SplitMix64 _random = new(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL));

    /// <summary>Puts <paramref name="values"/> in a uniformly random order.</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            // Multiply-shift maps 64 random bits onto [0, i]; the bias is below 2^-32.
            int j = (int)(((_random.Next() >> 32) * (ulong)(i + 1)) >> 32);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
