// The classic first RNN exercise: forecast the next value of a noisy sine wave from the ten before it.
using System.Globalization;
using FastSeq;

const int Points = 1000, Window = 10, Seed = 1;
const float NoiseStdDev = 0.1f, ValidationSplit = 0.2f;
// The sample fails (exit code 1) when the validation MSE exceeds this multiple of the noise variance.
const double Bound = 1.5;

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

Console.WriteLine("Training on the series scaled to [-1, 1]: each epoch's loss (MSE), mae, val_loss and val_mae are in those scaled units.");
var trainer = new Trainer<SineForecaster>(model, new Adam(learningRate: 5e-3f), Loss.MeanSquaredError);
trainer.Fit(data, epochs: 30, batchSize: 32, validationSplit: ValidationSplit, seed: Seed);

// The validation windows Fit held out (the last 20 %), forecast in one call, then mapped back to the series' own units and
// compared with the noise variance: the error no forecaster can beat.
(_, SequenceDataset validation) = data.SplitLast(ValidationSplit);
var forecasts = new float[validation.Count];
model.Predict(validation.Inputs, forecasts, validation.Count);
double squaredError = 0;
for (int i = 0; i < validation.Count; i++)
{
    float error = scaler.InverseTransform(forecasts[i]) - scaler.InverseTransform(validation.Targets[i]);
    squaredError += error * error;
}
double validationMse = squaredError / validation.Count;
double noiseVariance = NoiseStdDev * NoiseStdDev;
double ratio = validationMse / noiseVariance;
bool ok = ratio <= Bound;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Validation MSE: {validationMse:0.00000} in the series' units (noise variance {noiseVariance:0.00000}, ratio {ratio:0.00}, bound {Bound}: {(ok ? "ok" : "too high")})"));

Console.WriteLine("Last forecasts beside the observed (noisy) values, in the series' units:");
for (int i = validation.Count - 5; i < validation.Count; i++)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  t={data.Count - validation.Count + i + Window,4}  forecast {scaler.InverseTransform(forecasts[i]),7:0.0000}  observed {scaler.InverseTransform(validation.Targets[i]),7:0.0000}"));
}

model.SaveWeights("sine.safetensors");
Console.WriteLine("Saved weights to sine.safetensors");
return ok ? 0 : 1;

static float Gaussian(Random random) =>
    MathF.Sqrt(-2f * MathF.Log(1f - random.NextSingle())) * MathF.Cos(2f * MathF.PI * random.NextSingle());

[SequenceModel(Timesteps = 10, Features = 1)]
[SimpleRnn(32, ReturnSequences = true)]
[SimpleRnn(32)]
[Dense(1)]
public partial class SineForecaster;
