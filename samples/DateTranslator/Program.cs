// Dates written in many ways ("27 November 2026", "Nov 27, 2026", "27/11/26", ...) translated to ISO 8601 ("2026-11-27") by an
// encoder-decoder: an LSTM reads the written date character by character, and its final state starts a second LSTM that
// writes the ISO date one character at a time.
using System.Diagnostics;
using System.Globalization;
using DateTranslator;
using FastSeq;

const int TrainCount = 20_000, TestCount = 1_000, Epochs = 12;
// The sample fails (exit code 1) when fewer than this percentage of the held-out dates come out exactly right.
const double Bound = 95.0;

var random = new Random(DateTraining.Seed);
DateTraining.Pairs train = DateTraining.Draw(TrainCount, random);
// Held-out dates are written in ways the training never saw.
DateTraining.Pairs test = DateTraining.Draw(TestCount, random, exclude: new HashSet<string>(train.Written, StringComparer.Ordinal));
Console.WriteLine($"{TrainCount:N0} dates to train on, {TestCount:N0} held out, in {DateCorpus.Formats.Count} formats, e.g. " +
                  string.Join(", ", train.Written.Take(4).Select(w => $"\"{w}\"")));

var stopwatch = Stopwatch.StartNew();
EncoderDecoder<DateEncoder, DateDecoder> translator = DateTraining.Train(train, Epochs, (epoch, loss) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch,2}/{Epochs}: loss {loss:0.0000} ({stopwatch.Elapsed.TotalSeconds:0} s)")));
Console.WriteLine(translator.Encoder.Summary());
Console.WriteLine(translator.Decoder.Summary());

var decoded = new string[TestCount];
DateScore score = DateTraining.Score(translator, test, decoded);
for (int i = 0; i < 8; i++)
    Console.WriteLine($"  {test.Written[i],-30} -> {decoded[i]}{(decoded[i] == test.Iso[i] ? "" : $"  (expected {test.Iso[i]})")}");

bool ok = score.Percent >= Bound;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Exact match: {score.Percent:0.0}% of {score.Count} held-out dates (bound {Bound:0.0}%: {(ok ? "ok" : "too low")})"));
return ok ? 0 : 1;
