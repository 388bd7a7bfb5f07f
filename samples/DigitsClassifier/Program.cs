// Handwritten digits read as sequences: a GRU reads each 8 × 8 image one row of 8 pixels at a time and names the digit.
using System.Globalization;
using System.Numerics.Tensors;
using DigitsClassifier;
using FastSeq;

const int Epochs = 30;
// The sample fails (exit code 1) when fewer than this percentage of the held-out digits are named right.
const double Bound = 95.0;

SequenceDataset digits = DigitImages.Load(Path.Combine(AppContext.BaseDirectory, DigitImages.FileName));
Console.WriteLine($"{digits.Count} digits of {DigitImages.Side} rows × {DigitImages.Side} pixels, pixels scaled from 0..{DigitImages.MaxPixel} to [0, 1]");
var model = new DigitRecognizer(seed: DigitTraining.Seed);
Console.WriteLine(model.Summary());

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Training on {100 * (1 - DigitTraining.TestFraction):0}% of them, split at random with seed {DigitTraining.Seed}; the rest are held out for the test."));
(_, SequenceDataset test) = DigitTraining.Train(model, digits, Epochs);

// Every held-out digit in one call: ten probabilities each, the largest naming the digit.
var probabilities = new float[test.Count * DigitImages.Classes];
model.Predict(test.Inputs, probabilities, test.Count);
var right = new int[DigitImages.Classes];
var seen = new int[DigitImages.Classes];
for (int i = 0; i < test.Count; i++)
{
    int digit = (int)test.Targets[i];
    int named = TensorPrimitives.IndexOfMax(probabilities.AsSpan(i * DigitImages.Classes, DigitImages.Classes));
    seen[digit]++;
    if (named == digit)
        right[digit]++;
}
Console.WriteLine("Held-out digits named right, per digit: " + string.Join("  ", Enumerable.Range(0, DigitImages.Classes).Select(d => $"{d}: {right[d]}/{seen[d]}")));

double accuracy = 100.0 * right.Sum() / test.Count;
bool ok = accuracy >= Bound;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Test accuracy: {accuracy:0.0}% ({right.Sum()} of {test.Count} held-out digits; bound {Bound:0.0}%: {(ok ? "ok" : "too low")})"));
return ok ? 0 : 1;
