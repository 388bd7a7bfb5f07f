using System.Globalization;
using System.Numerics.Tensors;
using FastSeq.Kernels;
using FastSeq.Layers;

namespace FastSeq.Benchmarks;

/// <summary>
/// <c>--breakdown</c>: times the parts each FastSeq workload is made of, through the runtime's public
/// API (whole model call, layer call, each matrix product with its exact shape and strides, the
/// elementwise sequences), so a missed target can be traced to the part that costs. Each figure is
/// the best of several rounds timed on this thread's CPU clock, which keeps it usable on a machine
/// shared with other work (time the thread waited for a core is not counted).
/// </summary>
public static class ComponentTimings
{
    private const int Rounds = 9;

    /// <summary>Where results go so that the JIT cannot drop the work that made them.</summary>
    public static float Sink { get; private set; }
    private static readonly TimeSpan RoundTime = TimeSpan.FromMilliseconds(40);
    private static readonly TimeSpan WarmupTime = TimeSpan.FromMilliseconds(300);

    public static int Run()
    {
        Console.WriteLine($"MatMul path: {MatMul.Path}; Vector512 hardware-accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        // A silent first pass, so that every method has reached its final (tier-1) code.
        for (s_printing = false; ; s_printing = true)
        {
            if (s_printing)
                Console.WriteLine($"{"part",-66} {"best",12} {"GFLOP/s",8}");
            double peak = Report("Vector256 FMA peak (12 chains, 1M trips)", FmaPeak.Flop, () => Sink = FmaPeak.Run());
            Streaming();
            Inference();
            Training();
            Large(peak);
            if (s_printing)
                return 0;
        }
    }

    private static bool s_printing;

    private static void Streaming()
    {
        Section("-- W1 LSTM(40), one step");
        const int H = 40;
        var lstm = new StreamingLstm(seed: 1);
        ArraySegment<float> x = Filled(1), y = Aligned(1);
        Report("StreamingLstm.Step (model)", 0, () => lstm.Step(x, y));
        ArraySegment<float> p = Filled(LstmLayer.ParameterCount(1, H)), state = Aligned(2 * H), scratch = Aligned(LstmLayer.StepScratchLength(1, H)), h = Aligned(H);
        LstmLayer.Initialize(p, 1, H, new Random(1));
        Report("LstmLayer.Step", 0, () => LstmLayer.Step(x, p, 1, 1, H, Activation.Tanh, state, scratch, h));
        // The layer fuses the product with the cell (FusedCells, internal); the unfused parts, for comparison:
        ArraySegment<float> xh = Filled(1 + H), gates = Aligned(4 * H);
        Report("  unfused: MatMul [x|h][1,41]·[Wk;Wh][41,160]", 2.0 * (1 + H) * 4 * H, () => MatMul.MultiplyAdd(xh, 1 + H, p, 4 * H, 1, 1 + H, 4 * H, gates, 4 * H));
        ArraySegment<float> gateInputs = Filled(4 * H), g = Aligned(4 * H), c = Aligned(H);
        Report("  unfused: LstmCell H=40 (incl. copying fresh inputs in)", 0, () =>
        {
            gateInputs.AsSpan().CopyTo(g);
            GateActivations.LstmCell(g, c, h);
        });
        ArraySegment<float> dense = Filled(H + 1), pre = Aligned(1);
        Report("DenseLayer.Forward 40 -> 1", 2.0 * H, () => DenseLayer.Forward(h, dense, new LayerShape(1, 1, H, 1), Activation.Linear, pre, y));
        Report("  for comparison: TensorPrimitives.Dot over 40", 2.0 * H, () => y[0] = TensorPrimitives.Dot(h, dense.AsSpan(0, H)));

        Section("-- W1 GRU(40), one step");
        var gru = new StreamingGru(seed: 1);
        Report("StreamingGru.Step (model)", 0, () => gru.Step(x, y));
        ArraySegment<float> gp = Filled(GruLayer.ParameterCount(1, H)), gState = Aligned(GruLayer.StateLength(H)), gScratch = Aligned(GruLayer.StepScratchLength(1, H));
        GruLayer.Initialize(gp, 1, H, new Random(1));
        Report("GruLayer.Step", 0, () => GruLayer.Step(x, gp, 1, 1, H, Activation.Tanh, gState, gScratch, h));
        ArraySegment<float> gxh = Filled(1 + H), gGates = Aligned(3 * H);
        Report("  unfused: MatMul [x|h][1,41]·[Wk;Wh][41,120]", 2.0 * (1 + H) * 3 * H, () => MatMul.MultiplyAdd(gxh, 1 + H, gp, 3 * H, 1, 1 + H, 3 * H, gGates, 3 * H));
        ArraySegment<float> gruInputs = Filled(3 * H), gruGates = Aligned(3 * H), recurrentN = Filled(H), previousH = Filled(H);
        Report("  unfused: GruCell H=40 (incl. copying fresh inputs in)", 0, () =>
        {
            gruInputs.AsSpan().CopyTo(gruGates);
            GateActivations.GruCell(gruGates, recurrentN, previousH, h);
        });
    }

    private static void Inference()
    {
        Section("-- W2 sine forecaster, one sequence (T = 10, batch 1)");
        const int T = 10, H = 32;
        var rnn = new SineRnn(seed: 1);
        var lstm = new SineLstm(seed: 1);
        ArraySegment<float> window = Workloads.Sine(T);
        ArraySegment<float> forecast = Aligned(1);
        Report("SineRnn.Predict (model)", 0, () => rnn.Predict(window, forecast));
        Report("SineLstm.Predict (model)", 0, () => lstm.Predict(window, forecast));
        var shape1 = new LayerShape(1, T, 1, H);
        var shape2 = new LayerShape(1, T, H, H);
        ArraySegment<float> p1 = Filled(SimpleRnnLayer.ParameterCount(1, H)), p2 = Filled(SimpleRnnLayer.ParameterCount(H, H));
        SimpleRnnLayer.Initialize(p1, 1, H, new Random(1));
        SimpleRnnLayer.Initialize(p2, H, H, new Random(2));
        ArraySegment<float> cache1 = Aligned(SimpleRnnLayer.CacheLength(shape1)), hidden1 = Aligned(T * H);
        ArraySegment<float> cache2 = Aligned(SimpleRnnLayer.CacheLength(shape2)), hidden2 = Aligned(T * H);
        Report("SimpleRnnLayer.Forward I=1 H=32 T=10", 0, () => SimpleRnnLayer.Forward(window, p1, shape1, Activation.Tanh, cache1, hidden1));
        Report("SimpleRnnLayer.Forward I=32 H=32 T=10", 0, () => SimpleRnnLayer.Forward(hidden1, p2, shape2, Activation.Tanh, cache2, hidden2));
        ArraySegment<float> wh = p2[(H * H)..(2 * H * H)], z = Aligned(H);
        Report("  MatMul h[1,32]·Wh[32,32] (once per step)", 2.0 * H * H, () => MatMul.MultiplyAdd(hidden1, H, wh, H, 1, H, H, z, H));
        Report("  TensorPrimitives.Tanh over 32 (once per step)", 0, () => TensorPrimitives.Tanh(hidden1.AsSpan(0, H), z));
        ArraySegment<float> dense = Filled(H + 1), pre = Aligned(1);
        Report("DenseLayer.Forward 32 -> 1", 2.0 * H, () => DenseLayer.Forward(hidden2.AsSpan(0, H), dense, new LayerShape(1, 1, H, 1), Activation.Linear, pre, forecast));
        var lshape = new LayerShape(1, T, H, H);
        ArraySegment<float> lp = Filled(LstmLayer.ParameterCount(H, H)), lcache = Aligned(LstmLayer.CacheLength(lshape)), lhidden = Aligned(T * H);
        LstmLayer.Initialize(lp, H, H, new Random(3));
        Report("LstmLayer.Forward I=32 H=32 T=10", 0, () => LstmLayer.Forward(hidden1, lp, lshape, Activation.Tanh, lcache, lhidden));
    }

    private static void Training()
    {
        Section("-- W3 one mini-batch of 32 windows (an epoch is 31 of them)");
        const int B = Workloads.TrainingBatch, T = Workloads.Window, H = 32, G4 = 4 * H;
        SequenceDataset data = Workloads.SineWindows();
        ArraySegment<float> inputs = data.Inputs[..(B * T)], targets = data.Targets[..B];
        ArraySegment<float> dOut = Aligned(B);
        var rnnTrainer = new Trainer<SineRnn>(new SineRnn(seed: 1), new Adam(1e-3f), Loss.MeanSquaredError);
        var lstmTrainer = new Trainer<SineLstm>(new SineLstm(seed: 1), new Adam(1e-3f), Loss.MeanSquaredError);
        Report("Trainer<SineRnn>.TrainBatch", 0, () => rnnTrainer.TrainBatch(inputs, targets, B));
        Report("Trainer<SineLstm>.TrainBatch", 0, () => lstmTrainer.TrainBatch(inputs, targets, B));
        var lstm = new SineLstm(seed: 1);
        if (s_printing)
        {
            long one = FitAllocation(rnnTrainer, data, epochs: 1), five = FitAllocation(rnnTrainer, data, epochs: 5);
            Console.WriteLine($"Trainer.Fit allocates {one} B with epochs: 1 and {five} B with epochs: 5 (per call, not per epoch)");
        }
        Report("SineLstm.Forward", 0, () => lstm.Forward(inputs, B));
        Report("SineLstm.Backward (after one Forward)", 0, () => lstm.Backward(dOut, B));
        ArraySegment<float> dP = Filled(B * T * G4), wkT = Filled(G4), dx = Aligned(B * T);
        Report("  layer-0 input gradient dP[320,128]·Wkᵀ[128,1] (n = 1)", 2.0 * B * T * G4, () => MatMul.MultiplyAdd(dP, G4, wkT, 1, B * T, G4, 1, dx, 1));
        Report("  for comparison: 320 x TensorPrimitives.Dot over 128", 2.0 * B * T * G4, () =>
        {
            for (int row = 0; row < B * T; row++)
                dx[row] = TensorPrimitives.Dot(dP.AsSpan(row * G4, G4), wkT);
        });
    }

    private static long FitAllocation<TModel>(Trainer<TModel> trainer, SequenceDataset data, int epochs)
        where TModel : ISequenceModel
    {
        Action<EpochResult> ignore = _ => { };
        trainer.Fit(data, epochs, Workloads.TrainingBatch, onEpochEnd: ignore);
        long before = GC.GetAllocatedBytesForCurrentThread();
        trainer.Fit(data, epochs, Workloads.TrainingBatch, onEpochEnd: ignore);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static void Large(double peak)
    {
        const int B = Workloads.LargeBatch, T = Workloads.LargeTimesteps, I = Workloads.LargeInputs, H = Workloads.LargeUnits, G4 = 4 * H;
        Section(string.Create(CultureInfo.InvariantCulture, $"-- W4 LSTM(256), B = {B}, T = {T}, I = {I} (GFLOP/s against a peak of {peak:F1})"));
        var model = new LargeLstm(seed: 1);
        ArraySegment<float> inputs = Copy(Workloads.LargeInputData()), dOut = Copy(Workloads.LargeOutputGradients());
        double forwardFlop = Workloads.LargeFlop / 3;
        Report("LargeLstm.Forward", forwardFlop, () => model.Forward(inputs, B));
        Report("LargeLstm.Backward (after one Forward)", 2 * forwardFlop, () => model.Backward(dOut, B));
        ArraySegment<float> wk = Filled(I * G4), wh = Filled(H * G4), gates = Aligned(B * T * G4), hidden = Filled(B * T * H);
        Report("  fwd MatMul x[3200,64]·Wk[64,1024] (once)", 2.0 * B * T * I * G4, () => MatMul.MultiplyAdd(inputs, I, wk, G4, B * T, I, G4, gates, G4));
        Report("  fwd MatMul h[64,256]·Wh[256,1024], lda T*H, ldc T*4H (x50)", 2.0 * B * H * G4, () => MatMul.MultiplyAdd(hidden, T * H, wh, G4, B, H, G4, gates, T * G4));
        ArraySegment<float> gateInputs = Filled(G4), g = Aligned(G4), cell = Aligned(H), h = Aligned(H);
        Report("  fwd GateActivations.LstmCell H=256 (x3200, incl. copying inputs in)", 0, () =>
        {
            gateInputs.AsSpan().CopyTo(g);
            GateActivations.LstmCell(g, cell, h);
        });
        ArraySegment<float> dHidden = Aligned(B * T * H), whT = Aligned(G4 * H), wkT = Aligned(G4 * I);
        Report("  bwd MatMul.Transpose Wh[256,1024] (once)", 0, () => MatMul.Transpose(wh, H, G4, whT));
        Report("  bwd MatMul dP[64,1024]·Whᵀ[1024,256], lda T*4H, ldc T*H (x50)", 2.0 * B * G4 * H, () => MatMul.MultiplyAdd(gates, T * G4, whT, H, B, G4, H, dHidden, T * H));
        ArraySegment<float> dWk = Aligned(I * G4), dWh = Aligned(H * G4), dx = Aligned(B * T * I);
        Report("  bwd MatMul xᵀ[64,3200]·dP[3200,1024] (once)", 2.0 * B * T * I * G4, () => MatMul.MultiplyAddTransposedA(inputs, I, gates, G4, I, B * T, G4, dWk, G4));
        Report("  bwd MatMul hᵀ[256,3200]·dP[3200,1024] (once)", 2.0 * B * T * H * G4, () => MatMul.MultiplyAddTransposedA(hidden, H, gates, G4, H, B * T, G4, dWh, G4));
        Report("  bwd MatMul dP[3200,1024]·Wkᵀ[1024,64] (once)", 2.0 * B * T * G4 * I, () => MatMul.MultiplyAdd(gates, G4, wkT, I, B * T, G4, I, dx, I));
        ShardedTraining();
    }

    /// <summary>
    /// W4 through <c>Trainer.TrainBatch</c> (two shards of 32), on one thread and on two. The CPU clock counts the calling
    /// thread only, so with two threads it shows the caller's shard plus the work no other thread can take: the serial
    /// fraction that bounds the speed-up. That work's parts are timed below it.
    /// </summary>
    private static void ShardedTraining()
    {
        const int B = Workloads.LargeBatch;
        Section("-- W4 TrainBatch (MSE on every hidden state, Adam), two shards of 32; CPU time of the calling thread");
        float[] inputs = Workloads.LargeInputData(), targets = Workloads.LargeOutputGradients();
        foreach (int degree in (int[])[1, 2])
        {
            var trainer = new Trainer<LargeLstm>(new LargeLstm(seed: 1), new Adam(1e-5f), Loss.MeanSquaredError) { MaxDegreeOfParallelism = degree };
            Report($"Trainer.TrainBatch, MaxDegreeOfParallelism = {degree}", 0, () => Sink = trainer.TrainBatch(inputs, targets, B));
        }
        var model = new LargeLstm(seed: 1);
        var outputs = Filled(B * LargeLstm.OutputLength);
        var outputGradients = Aligned(outputs.Count);
        Report("  serial: MSE loss and its gradient [64, 50, 256]", 0, () => Sink = Loss.MeanSquaredError.Compute(outputs, outputs, targets, LargeLstm.OutputUnits, Activation.Linear, outputGradients, out _));
        Report("  serial: copy both shards' outputs and logits into the batch's", 0, () =>
        {
            outputs.AsSpan().CopyTo(outputGradients);
            outputGradients.AsSpan().CopyTo(outputs);
        });
        ArraySegment<float> gradients = Filled(LargeLstm.ParameterCount), other = Filled(LargeLstm.ParameterCount);
        Report("  serial: sum two shards' gradients", 0, () => TensorPrimitives.Add(gradients, other, gradients));
        var adam = new Adam(1e-5f);
        adam.Initialize(LargeLstm.ParameterCount);
        Report("  serial: sum of squares + Adam step", 0, () =>
        {
            float sumOfSquares = TensorPrimitives.SumOfSquares<float>(other);
            adam.StepWithSumOfSquares(model.Parameters, other, sumOfSquares);
        });
    }

    private static void Section(string title)
    {
        if (s_printing)
            Console.WriteLine(title);
    }

    // Buffers aligned as a generated model's are (AlignedMemory), so parts time as they run inside one.
    private static ArraySegment<float> Aligned(int length) => AlignedMemory.Allocate(length);

    private static ArraySegment<float> Filled(int length) => Copy(Workloads.Uniform(length, seed: length));

    private static ArraySegment<float> Copy(float[] values)
    {
        ArraySegment<float> aligned = Aligned(values.Length);
        values.AsSpan().CopyTo(aligned);
        return aligned;
    }

    /// <summary>Prints the best time per call over <see cref="Rounds"/> rounds; returns GFLOP/s (0 when no FLOP count).</summary>
    private static double Report(string name, double flop, Action action)
    {
        long calls = RoundTimer.WarmUp(action, WarmupTime, RoundTime);
        double best = double.MaxValue;
        for (int round = 0; round < Rounds; round++)
            best = Math.Min(best, RoundTimer.NanosecondsPerCall(action, calls));
        double gflops = flop > 0 ? flop / best : 0;
        if (s_printing)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-66} {Format(best),12} {(flop > 0 ? gflops.ToString("F1", CultureInfo.InvariantCulture) : ""),8}"));
        return gflops;
    }

    private static string Format(double nanoseconds) => nanoseconds switch
    {
        < 1e4 => string.Create(CultureInfo.InvariantCulture, $"{nanoseconds:F1} ns"),
        < 1e7 => string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1e3:F2} µs"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1e6:F2} ms"),
    };
}
