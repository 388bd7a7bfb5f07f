namespace FastSeq;

/// <summary>
/// Forecasts many steps ahead with a model whose output is its next input (<see cref="ISequenceModel.OutputUnits"/> equal
/// to <see cref="ISequenceModel.Features"/>: a one-step-ahead forecaster): each prompt runs through the model's <c>Step</c>
/// to warm its state, then each forecast step is fed back as the next input. The generator owns the states of up to
/// <see cref="MaxStreams"/> streams, so that, once a thread has made its first call,
/// <see cref="Generate(ReadOnlySpan{float}, Span{float}, int)"/> allocates nothing.
/// </summary>
/// <remarks>
/// A generator is for one thread at a time; the model it drives may be shared by any number of generators on other threads.
/// Each call starts every stream from a zero state, so the first forecast of a prompt of <c>Timesteps</c> steps is what
/// <see cref="ISequenceModel.Predict(ReadOnlySpan{float}, Span{float}, int)"/> gives for that window.
/// </remarks>
public sealed class ForecastGenerator
{
    private readonly float[] _states;
    private readonly float[] _values;

    /// <summary>Makes the buffers of up to <paramref name="maxStreams"/> streams of <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The model's output cannot be its next input: it has other than <c>Features</c>
    /// units, or the model reads token ids (use <see cref="TokenGenerator"/>).</exception>
    public ForecastGenerator(ISequenceModel model, int maxStreams = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStreams, 1);
        if (model is ITokenSequenceModel)
            throw new ArgumentException($"{model.GetType().Name} reads token ids: generate its tokens with a TokenGenerator (or Generate with int spans).", nameof(model));
        if (model.OutputUnits != model.Features)
        {
            throw new ArgumentException(
                $"{model.GetType().Name}'s output ({model.OutputUnits} units per step) cannot be its next input ({model.Features} features per step); forecasting feeds each output back, so they must be equal.",
                nameof(model));
        }
        Model = model;
        MaxStreams = maxStreams;
        _states = new float[(long)maxStreams * model.StreamStateLength];
        _values = new float[maxStreams * model.Features];
    }

    /// <summary>The model that forecasts.</summary>
    public ISequenceModel Model { get; }

    /// <summary>The most streams one call forecasts.</summary>
    public int MaxStreams { get; }

    /// <summary>
    /// Runs <paramref name="prompt"/> <c>[promptLength, Features]</c> (at least one step) through the model, then writes the
    /// <c>forecast.Length / Features</c> steps that follow it, <c>[N, Features]</c>, each predicted from the ones before.
    /// </summary>
    public void Generate(ReadOnlySpan<float> prompt, Span<float> forecast) => Generate(prompt, forecast, 1);

    /// <summary>
    /// Forecasts <paramref name="streams"/> independent series at once, stepping them together: prompts
    /// <c>[streams, promptLength, Features]</c> in, forecasts <c>[streams, N, Features]</c> out; each stream gets the values it
    /// would get alone.
    /// </summary>
    /// <exception cref="ArgumentException">A span is empty or not a whole number of steps of every stream.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="streams"/> is not in [1, <see cref="MaxStreams"/>].</exception>
    public void Generate(ReadOnlySpan<float> prompts, Span<float> forecasts, int streams)
    {
        int features = Model.Features;
        GenerationArguments.CheckStreams(streams, MaxStreams);
        int promptLength = GenerationArguments.StepsPerStream(prompts.Length, streams, features, nameof(prompts), "step");
        int steps = GenerationArguments.StepsPerStream(forecasts.Length, streams, features, nameof(forecasts), "step");

        Span<float> states = _states.AsSpan(0, streams * Model.StreamStateLength);
        // Each step's inputs [streams, Features], overwritten in place by its outputs, which are the next step's inputs.
        Span<float> values = _values.AsSpan(0, streams * features);
        states.Clear();
        for (int t = 0; t < promptLength; t++)
        {
            for (int s = 0; s < streams; s++)
                prompts.Slice(((s * promptLength) + t) * features, features).CopyTo(values.Slice(s * features, features));
            Model.Step(values, values, states, streams);
        }
        for (int n = 0; n < steps; n++)
        {
            for (int s = 0; s < streams; s++)
                values.Slice(s * features, features).CopyTo(forecasts.Slice(((s * steps) + n) * features, features));
            if (n < steps - 1)
                Model.Step(values, values, states, streams);
        }
    }
}
