namespace FastSeq;

/// <summary>The argument checks that <see cref="TokenGenerator"/> and <see cref="ForecastGenerator"/> share.</summary>
internal static class GenerationArguments
{
    /// <summary>Throws unless <c>1 &lt;= streams &lt;= maxStreams</c>.</summary>
    public static void CheckStreams(int streams, int maxStreams)
    {
        if (streams < 1 || streams > maxStreams)
        {
            throw new ArgumentOutOfRangeException(nameof(streams), streams,
                $"streams must be between 1 and the generator's MaxStreams ({maxStreams}), but is {streams}. Make the generator with maxStreams: {streams} or more.");
        }
    }

    /// <summary>
    /// How many steps of <paramref name="perStep"/> values each of <paramref name="streams"/> streams has in a span of
    /// <paramref name="length"/>: at least one, or it throws naming the span and what its steps are.
    /// </summary>
    public static int StepsPerStream(int length, int streams, int perStep, string name, string steps)
    {
        long perStream = (long)streams * perStep;
        if (length == 0 || length % perStream != 0)
        {
            throw new ArgumentException(
                $"{name} must hold at least one {steps} per stream, a whole number of {streams} stream{(streams == 1 ? "" : "s")} x {perStep} value{(perStep == 1 ? "" : "s")} per step ({perStream} per step of all streams), but holds {length}.",
                name);
        }
        return (int)(length / perStream);
    }
}
