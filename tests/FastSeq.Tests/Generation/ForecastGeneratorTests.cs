using FastSeq.Tests.Models;

namespace FastSeq.Tests.Generation;

/// <summary>
/// Forecasting many steps ahead: the first forecast of a window is Predict's, each next one is the prediction from the
/// window moved on by the forecasts before, streams stepped together get what each gets alone, a warm generator allocates
/// nothing, and a model whose output cannot be its next input is refused.
/// </summary>
public class ForecastGeneratorTests
{
    [Fact]
    public void Each_forecast_is_the_prediction_from_the_window_moved_on_by_the_ones_before()
    {
        var model = new SineForecaster(seed: 1);
        float[] series = [.. Enumerable.Range(0, SineForecaster.Timesteps).Select(i => MathF.Sin(0.3f * i))];
        var forecast = new float[6];

        model.Generate(series, forecast);

        // Without ReturnSequences the model's state after a window is all Predict reads; so each next forecast is Predict on
        // the prompt followed by the forecasts so far, run from a zero state.
        var window = series.ToList();
        var state = new float[SineForecaster.StreamStateLength];
        var output = new float[1];
        for (int n = 0; n < forecast.Length; n++)
        {
            Array.Clear(state);
            foreach (float value in window)
                model.Step([value], output, state, 1);
            Assert.Equal(output[0], forecast[n]);
            window.Add(output[0]);
        }
        var predicted = new float[1];
        model.Predict(series, predicted);
        Tolerance.Close([predicted[0]], forecast.AsSpan(0, 1), 1e-6, 1e-5, "first forecast");
    }

    [Fact]
    public void Many_streams_of_several_features_get_what_each_gets_alone()
    {
        var model = new TwoSeriesForecaster(seed: 2);
        const int Streams = 3, PromptSteps = 7, Steps = 9, F = TwoSeriesForecaster.Features;
        var random = new Random(3);
        float[] prompts = [.. Enumerable.Range(0, Streams * PromptSteps * F).Select(_ => random.NextSingle() - 0.5f)];
        var generator = new ForecastGenerator(model, maxStreams: Streams);
        var together = new float[Streams * Steps * F];

        generator.Generate(prompts, together, Streams);

        for (int s = 0; s < Streams; s++)
        {
            var alone = new float[Steps * F];
            generator.Generate(prompts.AsSpan(s * PromptSteps * F, PromptSteps * F), alone);
            Assert.Equal(alone, together.AsSpan(s * Steps * F, Steps * F).ToArray());
        }
    }

    [Fact]
    public void A_warm_generator_allocates_nothing()
    {
        var model = new TwoSeriesForecaster(seed: 4);
        var generator = new ForecastGenerator(model, maxStreams: 2);
        var prompts = new float[2 * 5 * TwoSeriesForecaster.Features];
        var forecasts = new float[2 * 8 * TwoSeriesForecaster.Features];

        Allocations.AssertNone(() => generator.Generate(prompts, forecasts, 2));
    }

    [Fact]
    public void Bad_models_and_arguments_throw_naming_what_is_wrong()
    {
        var e = Assert.Throws<ArgumentException>(() => new ForecastGenerator(new SequenceClassifier(seed: 1)));
        Assert.Contains("output (4 units per step) cannot be its next input (3 features per step)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new ForecastGenerator(new TokenWriter(seed: 1)));
        Assert.Contains("reads token ids", e.Message, StringComparison.Ordinal);

        var generator = new ForecastGenerator(new TwoSeriesForecaster(seed: 1), maxStreams: 2);
        e = Assert.Throws<ArgumentException>(() => generator.Generate(new float[4], []));
        Assert.Equal("forecasts", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => generator.Generate(new float[3], new float[2]));
        Assert.Contains("prompts must hold at least one step per stream, a whole number of 1 stream x 2 values per step (2 per step of all streams), but holds 3", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => generator.Generate(new float[8], new float[6], 2));
        Assert.Equal("forecasts", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(new float[12], new float[12], 3));
    }
}

[SequenceModel(Timesteps = 5, Features = 2, MaxBatchSize = 2)]
[Lstm(6)]
[Dense(2, Activation = Activation.Tanh)]
public partial class TwoSeriesForecaster;
