// The TorchSharp twin of samples/FirstPrediction: the same sine forecaster (two RNNs of 32 units,
// a linear head) with seeded initial weights, and one prediction on the same window.
using System.Globalization;
using static TorchSharp.torch;

manual_seed(1);
using var rnn1 = nn.RNN(1, 32, batchFirst: true);
using var rnn2 = nn.RNN(32, 32, batchFirst: true);
using var head = nn.Linear(32, 1);

var window = new float[10];
for (int t = 0; t < window.Length; t++)
    window[t] = MathF.Sin(0.1f * t);

using var noGrad = no_grad();
using var x = tensor(window).reshape(1, 10, 1);
var (h1, _) = rnn1.forward(x, null);
var (h2, _) = rnn2.forward(h1, null);
using var last = h2[.., -1, ..];
using var y = head.forward(last);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"First prediction: {y.item<float>():0.000000}"));
