namespace FastSeq.Tests.Layers;

/// <summary>The named buffers of one layer call, with two of them made to share memory.</summary>
internal static class OverlappingSpans
{
    /// <summary>
    /// <paramref name="buffers"/> as memory, except that <paramref name="destination"/> starts on the last float of
    /// <paramref name="source"/>: those two share exactly one float, and no other pair shares any.
    /// </summary>
    public static Dictionary<string, Memory<float>> Sharing(IReadOnlyDictionary<string, float[]> buffers, string source, string destination)
    {
        var spans = buffers.ToDictionary(pair => pair.Key, pair => pair.Value.AsMemory());
        float[] first = buffers[source], second = buffers[destination];
        float[] shared = new float[first.Length + second.Length - 1];
        second.AsSpan().CopyTo(shared.AsSpan(first.Length - 1));
        first.AsSpan().CopyTo(shared);
        spans[source] = shared.AsMemory(0, first.Length);
        spans[destination] = shared.AsMemory(first.Length - 1, second.Length);
        return spans;
    }

    /// <summary>
    /// The call, given the buffers with <paramref name="destination"/> overlapping <paramref name="source"/>, must throw an
    /// <see cref="ArgumentException"/> that names <paramref name="destination"/> as the parameter and says what it overlaps.
    /// </summary>
    public static void AssertRejected(IReadOnlyDictionary<string, float[]> buffers, string source, string destination, Action<Dictionary<string, Memory<float>>> call)
    {
        var spans = Sharing(buffers, source, destination);
        var e = Assert.Throws<ArgumentException>(() => call(spans));
        Assert.Equal(destination, e.ParamName);
        Assert.Contains($"{destination} must not overlap {source}.", e.Message, StringComparison.Ordinal);
    }
}
