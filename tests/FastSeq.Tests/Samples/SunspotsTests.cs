using Sunspots;

namespace FastSeq.Tests.Samples;

/// <summary>
/// The Sunspots sample's claim, on the shipped data with fewer epochs than the sample's 30: the GRU's
/// one-month-ahead forecasts of the last 20 % beat the naive forecast (the month before), and a seed
/// gives the same forecasts every run.
/// </summary>
public class SunspotsTests
{
    private const int Epochs = 3;

    private static float[] ShippedSeries() =>
        SunspotForecast.LoadSeries(Path.Combine(AppContext.BaseDirectory, "Samples", SunspotForecast.DataFile));

    [Fact]
    public void Shipped_data_is_the_monthly_series_from_1749_to_September_2013()
    {
        float[] series = ShippedSeries();
        Assert.Equal(3177, series.Length);
        Assert.Equal(58f, series[0]);     // January 1749
        Assert.Equal(37f, series[^1]);    // September 2013
        Assert.All(series, value => Assert.InRange(value, 0f, 300f));
    }

    [Fact]
    public void Forecasts_beat_the_naive_forecast_after_a_few_epochs()
    {
        SunspotResult result = SunspotForecast.Run(ShippedSeries(), Epochs, seed: 1, onEpochEnd: _ => { });

        Assert.Equal(3177 - result.TestStart, result.Forecasts.Length);
        Assert.True(result.TestRmse < result.NaiveRmse, $"test RMSE {result.TestRmse} is not below the naive forecast's {result.NaiveRmse}");
    }

    [Fact]
    public void A_seed_gives_the_same_forecasts_every_run()
    {
        float[] series = ShippedSeries();
        SunspotResult first = SunspotForecast.Run(series, epochs: 1, seed: 7, onEpochEnd: _ => { });
        SunspotResult second = SunspotForecast.Run(series, epochs: 1, seed: 7, onEpochEnd: _ => { });
        Assert.Equal(first.Forecasts, second.Forecasts);
    }

    [Fact]
    public void A_file_that_is_not_the_R_export_is_rejected_naming_the_line()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["\"year\",\"month\",\"value\"", "1749,1,58", "1749,2,n/a"]);
            var error = Assert.Throws<InvalidDataException>(() => SunspotForecast.LoadSeries(path));
            Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
            Assert.Contains("1749,2,n/a", error.Message, StringComparison.Ordinal);

            File.WriteAllLines(path, ["time,value", "1749,58"]);
            error = Assert.Throws<InvalidDataException>(() => SunspotForecast.LoadSeries(path));
            Assert.Contains("header", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
