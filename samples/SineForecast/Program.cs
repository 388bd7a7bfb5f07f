// The classic first RNN exercise: forecast the next value of a noisy sine wave from the ten before it.
using System.Globalization;
using FastSeq;

const int Points = 1000, Window = 10, Seed = 1;
const float NoiseStdDev = 0.1f;

// A seeded noisy sine: 1000 points, about 21 points per period.
var random = new Random(Seed);
var series = new float[Points];
for (int i = 0; i < Points; i++)
    series[i] = MathF.Sin(0.3f * i) + (NoiseStdDev * Gaussian(random));

// Scale to [-1, 1] for training; forecasts are mapped back with the inverse transform.
var scaler = new MinMaxScaler(-1f, 1f);
var scaled = new float[Points];
scaler.FitTransform(series, scaled);

// 1000 points, windows of 10 predicting the 11th: 990 pairs.
SequenceDataset data = TimeSeries.SlidingWindows(scaled, window: Window, horizon: 1);

var model = new SineForecaster(seed: Seed);
Console.WriteLine(model.Summary());

var trainer = new Trainer<SineForecaster>(model, new Adam(learningRate: 5e-3f), Loss.MeanSquaredError);
trainer.Fit(data, epochs: 30, batchSize: 32, validationSplit: 0.2f, seed: Seed);

// Validation MSE in the series' own units, against the noise variance: the error no forecaster can beat.
int trainCount = (int)(data.Count * 0.8);
int validationCount = data.Count - trainCount;
var forecast = new float[1];
double squaredError = 0;
for (int i = trainCount; i < data.Count; i++)
{
    model.Predict(data.Inputs.AsSpan(i * Window, Window), forecast);
    float error = scaler.InverseTransform(forecast[0]) - scaler.InverseTransform(data.Targets[i]);
    squaredError += error * error;
}
double validationMse = squaredError / validationCount;
double noiseVariance = NoiseStdDev * NoiseStdDev;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Validation MSE: {validationMse:0.00000} (noise variance {noiseVariance:0.00000}, ratio {validationMse / noiseVariance:0.00})"));

Console.WriteLine("Forecasts beside the truth:");
for (int i = data.Count - 5; i < data.Count; i++)
{
    model.Predict(data.Inputs.AsSpan(i * Window, Window), forecast);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  t={i + Window,4}  forecast {scaler.InverseTransform(forecast[0]),7:0.0000}  truth {scaler.InverseTransform(data.Targets[i]),7:0.0000}"));
}

model.SaveWeights("sine.safetensors");
Console.WriteLine("Saved weights to sine.safetensors");
return validationMse <= 1.5 * noiseVariance ? 0 : 1;

static float Gaussian(Random random) =>
    MathF.Sqrt(-2f * MathF.Log(1f - random.NextSingle())) * MathF.Cos(2f * MathF.PI * random.NextSingle());

[SequenceModel(Timesteps = 10, Features = 1)]
[SimpleRnn(32, ReturnSequences = true)]
[SimpleRnn(32)]
[Dense(1)]
public partial class SineForecaster;
