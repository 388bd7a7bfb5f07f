// Time to first prediction: construct the README's sine forecaster with its seeded initial
// weights (no file is read) and predict once. Timed as a whole process from the shell.
using System.Globalization;
using FastSeq;

var model = new SineForecaster(seed: 1);
var window = new float[SineForecaster.InputLength];
for (int t = 0; t < window.Length; t++)
    window[t] = MathF.Sin(0.1f * t);
var forecast = new float[SineForecaster.OutputLength];
model.Predict(window, forecast);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"First prediction: {forecast[0]:0.000000}"));

[SequenceModel(Timesteps = 10, Features = 1, MaxBatchSize = 1)]
[SimpleRnn(32, ReturnSequences = true)]
[SimpleRnn(32)]
[Dense(1)]
public partial class SineForecaster;
