// Package smoke test: the Program.cs of a fresh console project that references the FastSeq
// package, copied there by .ci/run. Declares a model, trains a few steps, predicts once.
using System.Globalization;
using FastSeq;

const int Batch = 32, Steps = 60;

// Sequences [B, T, F] = [32, 8, 1] of values in [0, 1); the target is each sequence's mean.
var random = new Random(7);
var inputs = new float[Batch * MeanForecaster.InputLength];
var targets = new float[Batch];
for (int b = 0; b < Batch; b++)
{
    float sum = 0;
    for (int t = 0; t < MeanForecaster.Timesteps; t++)
    {
        float value = random.NextSingle();
        inputs[(b * MeanForecaster.Timesteps) + t] = value;
        sum += value;
    }
    targets[b] = sum / MeanForecaster.Timesteps;
}

var model = new MeanForecaster(seed: 1);
var trainer = new Trainer<MeanForecaster>(model, new Adam(1e-2f), Loss.MeanSquaredError);
float firstLoss = trainer.TrainBatch(inputs, targets, Batch);
float lastLoss = firstLoss;
for (int step = 1; step < Steps; step++)
    lastLoss = trainer.TrainBatch(inputs, targets, Batch);

// A constant sequence of 0.5 has mean 0.5.
var constant = new float[MeanForecaster.InputLength];
Array.Fill(constant, 0.5f);
var prediction = new float[MeanForecaster.OutputLength];
model.Predict(constant, prediction);

bool learned = lastLoss < firstLoss / 4;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"FastSeq package smoke: {MeanForecaster.ParameterCount} parameters, loss {firstLoss:0.00000} -> {lastLoss:0.00000} in {Steps} steps, prediction for 0.5s {prediction[0]:0.000}: {(learned ? "ok" : "FAILED")}"));
return learned ? 0 : 1;

[SequenceModel(Timesteps = 8, Features = 1, MaxBatchSize = 32)]
[Lstm(16)]
[Dense(1)]
public partial class MeanForecaster;
