// The adding problem (Hochreiter and Schmidhuber 1997) at T = 100: SimpleRNN, LSTM and GRU of the same size on the same
// sequences, and how gradients flow back through each of them while they learn.
using System.Globalization;
using AddingProblem;
using FastSeq;
using FastSeq.Diagnostics;

const int Epochs = 10, TrainCount = 10_000, TestCount = 2_000;
// The sample fails (exit code 1) unless LSTM and GRU go below this test MSE while SimpleRNN stays above the other.
const float LearntBound = 0.01f, StuckBound = 0.1f;
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

SequenceDataset train = AddingData.Generate(TrainCount, Sizes.Timesteps, AddingTraining.Seed);
SequenceDataset test = AddingData.Generate(TestCount, Sizes.Timesteps, AddingTraining.Seed + 1);
float trivial = AddingTraining.MeanSquaredErrorOfOne(test);
Console.WriteLine($"Adding problem: {TrainCount} training and {TestCount} test sequences of {Sizes.Timesteps} (value, marker) steps, drawn with seeds {AddingTraining.Seed} and {AddingTraining.Seed + 1};");
Console.WriteLine($"the target is the sum of the two marked values. Always answering 1 scores a test MSE of {trivial:0.0000} (2/12 = {AddingData.TrivialMeanSquaredError:0.0000} in expectation).");
Console.WriteLine($"Each model: {Sizes.Units} units then Dense(1), Adam({AddingTraining.LearningRate}), global clip norm {AddingTraining.ClipNorm}, batches of {AddingTraining.BatchSize}, {Epochs} epochs.");

(float rnn, GradientFlowReport rnnFirst, GradientFlowReport rnnLast) = Train(new AdderRnn(seed: 1), "SimpleRNN");
(float lstm, GradientFlowReport lstmFirst, GradientFlowReport lstmLast) = Train(new AdderLstm(seed: 1), "LSTM");
(float gru, GradientFlowReport gruFirst, GradientFlowReport gruLast) = Train(new AdderGru(seed: 1), "GRU");

Console.WriteLine();
Console.WriteLine($"Gradient flow in the first and the last epoch (the mean of each epoch's batches):");
var flow = GradientFlowReport.Combine(rnnFirst, lstmFirst, gruFirst, rnnLast, lstmLast, gruLast);
Console.Write(flow.ToConsole());
File.WriteAllText("gradient-flow.svg", flow.ToSvg($"Adding problem, T = {Sizes.Timesteps}: ‖d loss / d h_t‖ in the first and last epochs"));
Console.WriteLine($"Wrote {Path.GetFullPath("gradient-flow.svg")}");

Console.WriteLine();
Console.WriteLine($"SimpleRNN: test MSE {rnn:0.0000} (trivial {trivial:0.0000})");
Console.WriteLine($"LSTM: test MSE {lstm:0.0000}");
Console.WriteLine($"GRU: test MSE {gru:0.0000}");
bool ok = rnn > StuckBound && lstm < LearntBound && gru < LearntBound;
Console.WriteLine(ok
    ? $"As expected: SimpleRNN stays above {StuckBound}, LSTM and GRU go below {LearntBound}."
    : $"Not as expected: SimpleRNN should stay above {StuckBound}, LSTM and GRU go below {LearntBound}.");
return ok ? 0 : 1;

(float TestMeanSquaredError, GradientFlowReport FirstEpoch, GradientFlowReport LastEpoch) Train<TModel>(TModel model, string label)
    where TModel : ISequenceModel
{
    var clock = System.Diagnostics.Stopwatch.StartNew();
    var result = AddingTraining.Train(model, label, train, test, Epochs, epoch => Console.WriteLine($"{label} epoch {epoch.Epoch}: loss {epoch.Loss:0.0000}"));
    Console.WriteLine($"{label}: trained in {clock.Elapsed.TotalSeconds:0.0} s");
    return result;
}

/// <summary>The sizes the three models share: sequences of 100 steps, 32 units.</summary>
internal static class Sizes
{
    public const int Timesteps = 100, Units = 32;
}

[SequenceModel(Timesteps = Sizes.Timesteps, Features = AddingData.Features)]
[SimpleRnn(Sizes.Units)]
[Dense(1)]
public partial class AdderRnn;

[SequenceModel(Timesteps = Sizes.Timesteps, Features = AddingData.Features)]
[Lstm(Sizes.Units)]
[Dense(1)]
public partial class AdderLstm;

[SequenceModel(Timesteps = Sizes.Timesteps, Features = AddingData.Features)]
[Gru(Sizes.Units)]
[Dense(1)]
public partial class AdderGru;
