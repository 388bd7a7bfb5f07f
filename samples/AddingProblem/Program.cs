using AddingProblem;
using FastSeq;

int epochs = int.Parse(Environment.GetEnvironmentVariable("EPOCHS") ?? "10");
float lr = float.Parse(Environment.GetEnvironmentVariable("LR") ?? "0.003");
int batch = int.Parse(Environment.GetEnvironmentVariable("BATCH") ?? "32");
int count = int.Parse(Environment.GetEnvironmentVariable("COUNT") ?? "10000");
string which = Environment.GetEnvironmentVariable("WHICH") ?? "lstm,gru,rnn";
SequenceDataset train = AddingData.Generate(count, 50, 1);
SequenceDataset test = AddingData.Generate(1000, 50, 2);
void Run<TModel>(string name, TModel model) where TModel : ISequenceModel
{
    var optimizer = new Adam(lr) { ClipNorm = 1f };
    var trainer = new Trainer<TModel>(model, optimizer, Loss.MeanSquaredError);
    var sw = System.Diagnostics.Stopwatch.StartNew();
    trainer.Fit(train, epochs, batch, onEpochEnd: e => Console.WriteLine($"{name} {e.Epoch} loss {e.Loss:0.0000} test {trainer.Evaluate(test).Loss:0.0000} {sw.Elapsed.TotalSeconds:0.0}s"));
}
if (which.Contains("lstm")) Run("LSTM", new LstmAdder(1));
if (which.Contains("gru")) Run("GRU", new GruAdder(1));
if (which.Contains("rnn")) Run("RNN", new RnnAdder(1));

[SequenceModel(Timesteps = 50, Features = 2)]
[SimpleRnn(32)]
[Dense(1)]
public partial class RnnAdder;

[SequenceModel(Timesteps = 50, Features = 2)]
[Lstm(32)]
[Dense(1)]
public partial class LstmAdder;

[SequenceModel(Timesteps = 50, Features = 2)]
[Gru(32)]
[Dense(1)]
public partial class GruAdder;
