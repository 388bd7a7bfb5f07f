// Forecast next month's mean sunspot number from the 24 before it, on 265 years of real observations.
using System.Globalization;
using Sunspots;

const int Epochs = 30, Seed = 1;

float[] series = SunspotForecast.LoadSeries(Path.Combine(AppContext.BaseDirectory, SunspotForecast.DataFile));
Console.WriteLine($"Monthly mean sunspot numbers, January 1749 to September 2013: {series.Length} months (R's sunspot.month, WDC-SILSO).");
Console.WriteLine(new SunspotForecaster(seed: Seed).Summary());
Console.WriteLine("Training on the first 80 % scaled to [0, 1]: each epoch's loss (MSE) and mae are in those scaled units.");
SunspotResult result = SunspotForecast.Run(series, Epochs, Seed);

bool beatsNaive = result.TestRmse < result.NaiveRmse;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Test RMSE: {result.TestRmse:0.000} (naive {result.NaiveRmse:0.000})"));
Console.WriteLine($"One month ahead over the last {result.Observed.Length} months, in sunspot numbers; naive forecasts each month with the month before: {(beatsNaive ? "the model is better" : "the model is not better")}.");

Console.WriteLine("Last forecasts beside the observed values:");
for (int i = result.Observed.Length - 6; i < result.Observed.Length; i++)
{
    int month = result.TestStart + i;   // months since January 1749
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {1749 + (month / 12)}-{(month % 12) + 1:00}  forecast {result.Forecasts[i],6:0.0}  observed {result.Observed[i],6:0.0}"));
}
return beatsNaive ? 0 : 1;
