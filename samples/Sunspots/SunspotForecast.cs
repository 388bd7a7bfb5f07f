using System.Globalization;
using FastSeq;

namespace Sunspots;

/// <summary>
/// One-month-ahead forecasts of the monthly mean sunspot number: a GRU reads the last
/// <see cref="Window"/> months and predicts the next. Trained on the first 80 % of the series in time,
/// scored on the last 20 % in sunspot numbers, beside the naive forecast (next month = this month).
/// </summary>
public static class SunspotForecast
{
    /// <summary>Months the model reads before each forecast.</summary>
    public const int Window = 24;

    /// <summary>The last fraction of the series, in time, held out for the test.</summary>
    public const float TestFraction = 0.2f;

    /// <summary>The data file shipped beside the program.</summary>
    public const string DataFile = "sunspot_month.csv";

    /// <summary>Reads the <c>value</c> column of the CSV written by R (<c>"year","month","value"</c>), in time order.</summary>
    public static float[] LoadSeries(string path)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length < 2 || lines[0] != "\"year\",\"month\",\"value\"")
            throw new InvalidDataException($"{path} does not start with the header \"year\",\"month\",\"value\".");
        var series = new float[lines.Length - 1];
        for (int i = 1; i < lines.Length; i++)
        {
            string[] fields = lines[i].Split(',');
            if (fields.Length != 3 || !float.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out series[i - 1]))
                throw new InvalidDataException($"{path}, line {i + 1}: expected year,month,value, found '{lines[i]}'.");
        }
        return series;
    }

    /// <summary>
    /// Scales the series to [0, 1] with a scaler fitted on the training months only, trains a fresh
    /// model for <paramref name="epochs"/> epochs on the windows whose target lies in the first 80 %, and
    /// forecasts every month of the last 20 % from the <see cref="Window"/> observed months before it.
    /// </summary>
    /// <param name="series">Monthly sunspot numbers, in time order.</param>
    /// <param name="epochs">Passes over the training windows.</param>
    /// <param name="seed">Seed of the initial weights and of the shuffling; the same seed gives the same bits.</param>
    /// <param name="onEpochEnd">Receives each epoch's figures; null lets <c>Fit</c> print its progress.</param>
    public static SunspotResult Run(float[] series, int epochs, int seed, Action<EpochResult>? onEpochEnd = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        int testStart = (int)(series.Length * (1 - TestFraction));   // first month of the test part
        if (testStart <= Window || testStart >= series.Length)
            throw new ArgumentException($"A series of {series.Length} months is too short for windows of {Window} and a {TestFraction:P0} test part.", nameof(series));

        // The scaler sees the training months only, so nothing of the test part leaks into training.
        var scaler = new MinMaxScaler();
        scaler.Fit(series.AsSpan(0, testStart));
        var scaled = new float[series.Length];
        scaler.Transform(series, scaled);

        // Window i reads months [i, i + Window) and predicts month i + Window: the training windows are
        // those predicting a month before testStart; the test windows predict the months from testStart on.
        SequenceDataset windows = TimeSeries.SlidingWindows(scaled, window: Window, horizon: 1);
        int trainCount = testStart - Window;
        SequenceDataset train = windows.Slice(0, trainCount);
        SequenceDataset test = windows.Slice(trainCount, windows.Count - trainCount);

        var model = new SunspotForecaster(seed: seed);
        var trainer = new Trainer<SunspotForecaster>(model, new Adam(learningRate: 2e-3f), Loss.MeanSquaredError);
        trainer.Fit(train, epochs, batchSize: 32, seed: seed, onEpochEnd: onEpochEnd);

        var forecasts = new float[test.Count];
        model.Predict(test.Inputs, forecasts, test.Count);
        scaler.InverseTransform(forecasts);
        float[] observed = series[testStart..];
        float[] naive = series[(testStart - 1)..^1];   // each month's forecast is the month before
        return new SunspotResult(model, testStart, forecasts, observed, Rmse(forecasts, observed), Rmse(naive, observed));
    }

    private static double Rmse(ReadOnlySpan<float> forecasts, ReadOnlySpan<float> observed)
    {
        double squaredError = 0;
        for (int i = 0; i < observed.Length; i++)
        {
            double error = forecasts[i] - observed[i];
            squaredError += error * error;
        }
        return Math.Sqrt(squaredError / observed.Length);
    }
}

/// <summary>What <see cref="SunspotForecast.Run"/> measured, in sunspot numbers.</summary>
/// <param name="Model">The trained model.</param>
/// <param name="TestStart">Index in the series of the first test month.</param>
/// <param name="Forecasts">The model's forecast of each test month.</param>
/// <param name="Observed">Each test month's observed value.</param>
/// <param name="TestRmse">Root mean squared error of the model's forecasts.</param>
/// <param name="NaiveRmse">Root mean squared error of the naive forecast, the month before.</param>
public sealed record SunspotResult(SunspotForecaster Model, int TestStart, float[] Forecasts, float[] Observed, double TestRmse, double NaiveRmse);

/// <summary>24 months of sunspot numbers in, the next month out.</summary>
[SequenceModel(Timesteps = SunspotForecast.Window, Features = 1)]
[Gru(32)]
[Dense(1)]
public partial class SunspotForecaster;
