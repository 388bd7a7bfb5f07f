using System.Globalization;
using System.Numerics.Tensors;
using FastSeq.Kernels;
using FastSeq.Layers;

namespace FastSeq.Benchmarks;

/// <summary>
/// <c>--rtneural [lstm|gru|all] [ROUNDS]</c>: the W1 rows of <see cref="RtNeuralBenchmarks"/> on this thread's CPU
/// clock, FastSeq and RTNeural alternating stream by stream, so that a machine shared with other work slows
/// both alike. Prints per size the median ns/step of each and the median, lowest and highest of the rounds'
/// ratios RTNeural / FastSeq (above 1: FastSeq is faster), the ratio of the two fastest rounds; then, for where FastSeq's step goes, the medians of its
/// recurrent layer's <c>Step</c> alone (one stream, the model's weights, buffers aligned as a model's), of that step followed
/// by the head as one dot product plus bias (what a step without the model's and the Dense's argument checks and calls
/// would cost), and of the Dense(1)'s <c>Forward</c> alone.
/// </summary>
public static class RtNeuralComparison
{
    private const int Steps = Workloads.StreamLength;

    /// <summary>Where results go so that the JIT cannot drop the work that made them.</summary>
    public static float Sink { get; private set; }

    public static int Run(string kinds, int rounds, int[]? sizes = null)
    {
        if (!RtNeuralPeer.TryLoad(out string reason))
        {
            Console.Error.WriteLine("*** RTNeural peer does not load: " + reason);
            return 1;
        }
        Console.WriteLine($"{"model",-10} {"FastSeq",9} {"RTNeural",9} {"ratio",6} {"lowest",7} {"highest",7} {"best",6} {"layer",7} {"+dot",7} {"dense",7}   (ns/step, thread clock, {rounds} alternating rounds of {Steps} steps)");
        foreach (bool gru in new[] { false, true }.Where(g => kinds == "all" || kinds == (g ? "gru" : "lstm")))
        {
            foreach (int units in sizes ?? [8, 16, 32, 40, 64, 128])
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
            ArraySegment<float> layerState = AlignedMemory.Allocate(gru ? GruLayer.StateLength(units) : LstmLayer.StateLength(units));
            ArraySegment<float> scratch = AlignedMemory.Allocate(gru ? GruLayer.StepScratchLength(1, units) : LstmLayer.StepScratchLength(1, units));
            ArraySegment<float> h = AlignedMemory.Allocate(units), preActivation = AlignedMemory.Allocate(1);

            // One round: a stream through FastSeq, then the same through RTNeural, then FastSeq's parts; ns/step of each.
            (double FastSeq, double RtNeural, double Layer, double Lean, double Dense) Round()
            {
                long start = ThreadClock.Nanoseconds();
                for (int t = 0; t < Steps; t++)
                    model.Step(signal.AsSpan(t, 1), output, state);
                long middle = ThreadClock.Nanoseconds();
                Sink += peer.Run(signal, default) + output[0];
                long end = ThreadClock.Nanoseconds();
                ReadOnlySpan<float> layer = model.Parameters[..layerLength], dense = model.Parameters[layerLength..];
                for (int t = 0; t < Steps; t++)
                    LayerStep(signal.AsSpan(t, 1), layer);
                long layerEnd = ThreadClock.Nanoseconds();
                for (int t = 0; t < Steps; t++)
                {
                    LayerStep(signal.AsSpan(t, 1), layer);
                    output[0] = dense[units] + TensorPrimitives.Dot(h, dense[..units]);
                }
                long leanEnd = ThreadClock.Nanoseconds();
                for (int t = 0; t < Steps; t++)
                    DenseLayer.Forward(h, dense, new LayerShape(1, 1, units, 1), Activation.Linear, preActivation, output);
                long denseEnd = ThreadClock.Nanoseconds();
                return ((middle - start) / (double)Steps, (end - middle) / (double)Steps, (layerEnd - end) / (double)Steps,
                        (leanEnd - layerEnd) / (double)Steps, (denseEnd - leanEnd) / (double)Steps);
            }

            void LayerStep(ReadOnlySpan<float> x, ReadOnlySpan<float> layer)
            {
                if (gru)
                    GruLayer.Step(x, layer, 1, 1, units, Activation.Tanh, layerState, scratch, h);
                else
                    LstmLayer.Step(x, layer, 1, 1, units, Activation.Tanh, layerState, scratch, h);
            }

            // Warm up past tiered compilation (its background recompiles wait ~100 ms, longer on a busy machine), then measure.
            var warmup = System.Diagnostics.Stopwatch.StartNew();
            while (warmup.ElapsedMilliseconds < 1500)
                Round();
            var fastSeq = new double[rounds];
            var rtNeural = new double[rounds];
            var ratios = new double[rounds];
            var layers = new double[rounds];
            var leans = new double[rounds];
            var denses = new double[rounds];
            for (int round = 0; round < rounds; round++)
            {
                (fastSeq[round], rtNeural[round], layers[round], leans[round], denses[round]) = Round();
                ratios[round] = rtNeural[round] / fastSeq[round];
            }
            string name = $"{(gru ? "GRU" : "LSTM")}({units})";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-10} {Median(fastSeq),9:F1} {Median(rtNeural),9:F1} {Median(ratios),6:F2} {ratios.Min(),7:F2} {ratios.Max(),7:F2} {rtNeural.Min() / fastSeq.Min(),6:F2} {Median(layers),7:F1} {Median(leans),7:F1} {Median(denses),7:F1}"));
        }
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
