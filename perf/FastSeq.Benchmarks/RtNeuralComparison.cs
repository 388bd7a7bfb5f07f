using System.Globalization;
using FastSeq.Layers;

namespace FastSeq.Benchmarks;

/// <summary>
/// <c>--rtneural [lstm|gru|all] [ROUNDS]</c>: the W1 rows of <see cref="RtNeuralBenchmarks"/> on this thread's CPU
/// clock, FastSeq and RTNeural alternating stream by stream, so that a machine shared with other work slows
/// both alike. Prints per size the median ns/step of each and the median, lowest and highest of the rounds'
/// ratios RTNeural / FastSeq (above 1: FastSeq is faster), the ratio of the two fastest rounds; then, for where FastSeq's step goes, the medians of its
/// recurrent layer's <c>Step</c> alone (one stream, the model's weights) and of its Dense(1)'s <c>Forward</c> alone.
/// </summary>
public static class RtNeuralComparison
{
    private const int Steps = Workloads.StreamLength;

    /// <summary>Where results go so that the JIT cannot drop the work that made them.</summary>
    public static float Sink { get; private set; }

    public static int Run(string kinds, int rounds)
    {
        if (!RtNeuralPeer.TryLoad(out string reason))
        {
            Console.Error.WriteLine("*** RTNeural peer does not load: " + reason);
            return 1;
        }
        Console.WriteLine($"{"model",-10} {"FastSeq",9} {"RTNeural",9} {"ratio",6} {"lowest",7} {"highest",7} {"best",6} {"layer",7} {"dense",7}   (ns/step, thread clock, {rounds} alternating rounds of {Steps} steps)");
        foreach (bool gru in new[] { false, true }.Where(g => kinds == "all" || kinds == (g ? "gru" : "lstm")))
        {
            foreach (int units in new[] { 8, 16, 32, 40, 64, 128 })
                Compare(gru, units, rounds);
        }
        return 0;
    }

    private static void Compare(bool gru, int units, int rounds)
    {
        (ISequenceModel model, RtNeuralPeer peer) = RtNeuralBenchmarks.Create(gru, units);
        using (peer)
        {
            float[] signal = Workloads.Sine(Steps), state = new float[model.StreamStateLength], output = new float[1];
            int layerLength = gru ? GruLayer.ParameterCount(1, units) : LstmLayer.ParameterCount(1, units);
            float[] layerState = new float[gru ? GruLayer.StateLength(units) : LstmLayer.StateLength(units)], h = new float[units], preActivation = new float[1];
            float[] scratch = new float[gru ? GruLayer.StepScratchLength(1, units) : LstmLayer.StepScratchLength(1, units)];
            Memory<float> parameters = model.Parameters.ToArray();

            // One round: a stream through FastSeq, then the same through RTNeural, then FastSeq's layers alone; ns/step of each.
            (double FastSeq, double RtNeural, double Layer, double Dense) Round()
            {
                long start = ThreadClock.Nanoseconds();
                for (int t = 0; t < Steps; t++)
                    model.Step(signal.AsSpan(t, 1), output, state);
                long middle = ThreadClock.Nanoseconds();
                Sink += peer.Run(signal, default) + output[0];
                long end = ThreadClock.Nanoseconds();
                ReadOnlySpan<float> layer = parameters.Span[..layerLength], dense = parameters.Span[layerLength..];
                for (int t = 0; t < Steps; t++)
                {
                    if (gru)
                        GruLayer.Step(signal.AsSpan(t, 1), layer, 1, 1, units, layerState, scratch, h);
                    else
                        LstmLayer.Step(signal.AsSpan(t, 1), layer, 1, 1, units, layerState, scratch, h);
                }
                long layerEnd = ThreadClock.Nanoseconds();
                for (int t = 0; t < Steps; t++)
                    DenseLayer.Forward(h, dense, 1, units, 1, Activation.Linear, preActivation, output);
                long denseEnd = ThreadClock.Nanoseconds();
                return ((middle - start) / (double)Steps, (end - middle) / (double)Steps, (layerEnd - end) / (double)Steps, (denseEnd - layerEnd) / (double)Steps);
            }

            // Warm up past tiered compilation (its background recompiles wait ~100 ms, longer on a busy machine), then measure.
            var warmup = System.Diagnostics.Stopwatch.StartNew();
            while (warmup.ElapsedMilliseconds < 1500)
                Round();
            var fastSeq = new double[rounds];
            var rtNeural = new double[rounds];
            var ratios = new double[rounds];
            var layers = new double[rounds];
            var denses = new double[rounds];
            for (int round = 0; round < rounds; round++)
            {
                (fastSeq[round], rtNeural[round], layers[round], denses[round]) = Round();
                ratios[round] = rtNeural[round] / fastSeq[round];
            }
            string name = $"{(gru ? "GRU" : "LSTM")}({units})";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-10} {Median(fastSeq),9:F1} {Median(rtNeural),9:F1} {Median(ratios),6:F2} {ratios.Min(),7:F2} {ratios.Max(),7:F2} {rtNeural.Min() / fastSeq.Min(),6:F2} {Median(layers),7:F1} {Median(denses),7:F1}"));
        }
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
