namespace FastSeq;

/// <summary>
/// One-to-many generation as a single call on a model. Each call makes its generator's buffers; to generate again without
/// allocating, make a <see cref="TokenGenerator"/> or <see cref="ForecastGenerator"/> once and call it.
/// </summary>
public static class GenerationExtensions
{
    /// <summary>
    /// Runs <paramref name="prompt"/> through a token model, then writes the <c>generated.Length</c> tokens that follow it,
    /// each chosen from the model's output as <paramref name="options"/> say (null: greedily) and fed back as the next input.
    /// See <see cref="TokenGenerator.Generate(ReadOnlySpan{int}, Span{int}, int, GenerationOptions?)"/>.
    /// </summary>
    public static void Generate(this ITokenSequenceModel model, ReadOnlySpan<int> prompt, Span<int> generated, GenerationOptions? options = null) =>
        new TokenGenerator(model).Generate(prompt, generated, options);

    /// <summary>
    /// Runs <paramref name="prompt"/> <c>[promptLength, Features]</c> through a forecaster whose output is its next input,
    /// then writes the steps that follow it, <c>[N, Features]</c>, each fed back as the next input. See
    /// <see cref="ForecastGenerator.Generate(ReadOnlySpan{float}, Span{float}, int)"/>.
    /// </summary>
    public static void Generate(this ISequenceModel model, ReadOnlySpan<float> prompt, Span<float> forecast) =>
        new ForecastGenerator(model).Generate(prompt, forecast);
}
