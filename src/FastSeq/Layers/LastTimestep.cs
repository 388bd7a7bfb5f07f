namespace FastSeq.Layers;

/// <summary>Moves the last timestep of a batch-major sequence <c>[B, T, H]</c> to and from <c>[B, H]</c>.</summary>
internal static class LastTimestep
{
    /// <summary><c>last[b] = sequence[b, T-1]</c>.</summary>
    public static void Copy(ReadOnlySpan<float> sequence, int timesteps, int units, Span<float> last)
    {
        Check(sequence.Length, timesteps, units, last.Length);
        int stride = timesteps * units;
        for (int b = 0, row = (timesteps - 1) * units; row < sequence.Length; b += units, row += stride)
            sequence.Slice(row, units).CopyTo(last.Slice(b, units));
    }

    /// <summary><c>sequence[b, T-1] = last[b]</c> and zero at every other timestep: the gradient of <see cref="Copy"/>.</summary>
    public static void Scatter(ReadOnlySpan<float> last, int timesteps, int units, Span<float> sequence)
    {
        Check(sequence.Length, timesteps, units, last.Length);
        sequence.Clear();
        int stride = timesteps * units;
        for (int b = 0, row = (timesteps - 1) * units; row < sequence.Length; b += units, row += stride)
            last.Slice(b, units).CopyTo(sequence.Slice(row, units));
    }

    private static void Check(int sequenceLength, int timesteps, int units, int lastLength)
    {
        if (timesteps < 1 || units < 1 || lastLength % units != 0 || sequenceLength != lastLength * timesteps)
        {
            throw new ArgumentException(
                $"A sequence [B, {timesteps}, {units}] must hold {timesteps} times the floats of its last timestep [B, {units}] ({lastLength}), but holds {sequenceLength}.");
        }
    }
}
