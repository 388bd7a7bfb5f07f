using FastSeq.Tests.Layers;

namespace FastSeq.Tests.Models;

/// <summary>
/// One instance, many threads: Predict and Step with caller-owned states give every thread the bits of sequential
/// calls; the training members catch a second thread; Predict takes any batch; inference makes no training buffers.
/// </summary>
public class SharedInstanceTests
{
    private const int Threads = 4;
    private const int Rounds = 200;

    /// <summary>
    /// SequenceClassifier's GRU(16) and LSTM(8) fill whole vectors and sum h in two chains, so one sample or stream and every
    /// batch of them take the fused kernels.
    /// </summary>
    public static TheoryData<string> Models => [nameof(SineForecaster), nameof(LstmStackClassifierModel), nameof(SequenceClassifier), nameof(MixedSequenceStack)];

    private static ISequenceModel Create(string name) => name switch
    {
        nameof(SineForecaster) => new SineForecaster(seed: 3),
        nameof(LstmStackClassifierModel) => new LstmStackClassifierModel(seed: 3),
        nameof(SequenceClassifier) => new SequenceClassifier(seed: 3),
        _ => new MixedSequenceStack(seed: 3),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Predict_from_many_threads_gives_the_bits_of_sequential_calls(string name)
    {
        ISequenceModel model = Create(name);
        // Each thread predicts its own batches (of every size up to past MaxBatchSize), so the buffers of one thread
        // would show in another's results if they were shared.
        // Every other round runs the sequences at lengths of their own, through the same per-thread buffers.
        float[][] inputs = new float[Threads][];
        int[][] lengths = new int[Threads][];
        float[][] expected = new float[Threads][];
        float[][] expectedWithLengths = new float[Threads][];
        int[] batches = new int[Threads];
        for (int k = 0; k < Threads; k++)
        {
            batches[k] = 1 + (k * (model.MaxBatchSize + 1) / (Threads - 1));
            inputs[k] = RandomTensors.Uniform(new Random(k), batches[k] * model.InputLength, -1f, 1f);
            lengths[k] = [.. Enumerable.Range(0, batches[k]).Select(b => 1 + ((b + k) % model.Timesteps))];
            expected[k] = new float[batches[k] * model.OutputLength];
            expectedWithLengths[k] = new float[batches[k] * model.OutputLength];
            model.Predict(inputs[k], expected[k], batches[k]);
            model.Predict(inputs[k], lengths[k], expectedWithLengths[k], batches[k]);
        }

        RunOnThreads(k =>
        {
            var outputs = new float[expected[k].Length];
            for (int round = 0; round < Rounds; round++)
            {
                bool withLengths = round % 2 == 1;
                model.Predict(inputs[k], withLengths ? lengths[k] : default, outputs, batches[k]);
                Assert.Equal(withLengths ? expectedWithLengths[k] : expected[k], outputs);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Step_from_many_threads_with_their_own_states_gives_the_bits_of_sequential_calls(string name)
    {
        ISequenceModel model = Create(name);
        float[][] inputs = new float[Threads][];
        float[][] expected = new float[Threads][];
        for (int k = 0; k < Threads; k++)
        {
            inputs[k] = RandomTensors.Uniform(new Random(10 + k), model.Timesteps * Streams(k) * model.Features, -1f, 1f);
            expected[k] = StepThrough(model, inputs[k], Streams(k));
        }

        RunOnThreads(k =>
        {
            for (int round = 0; round < Rounds / 4; round++)
                Assert.Equal(expected[k], StepThrough(model, inputs[k], Streams(k)));
        });
    }

    /// <summary>One stream on the first thread (the fused one-stream kernels), several per call on the others.</summary>
    private static int Streams(int thread) => thread == 0 ? 1 : thread * 3;

    /// <summary>All timesteps of <paramref name="streams"/> streams from zero states; returns every step's outputs.</summary>
    private static float[] StepThrough(ISequenceModel model, float[] inputs, int streams)
    {
        var states = new float[streams * model.StreamStateLength];
        var outputs = new float[model.Timesteps * streams * model.OutputUnits];
        int stepInputs = streams * model.Features, stepOutputs = streams * model.OutputUnits;
        for (int t = 0; t < model.Timesteps; t++)
        {
            if (streams == 1)
                model.Step(inputs.AsSpan(t * stepInputs, stepInputs), outputs.AsSpan(t * stepOutputs, stepOutputs), states);
            else
                model.Step(inputs.AsSpan(t * stepInputs, stepInputs), outputs.AsSpan(t * stepOutputs, stepOutputs), states, streams);
        }
        return outputs;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Predict_takes_any_batch_with_the_bits_of_one_sample_at_a_time(string name)
    {
        ISequenceModel model = Create(name);
        int batch = (2 * model.MaxBatchSize) + 3;
        float[] inputs = RandomTensors.Uniform(new Random(5), batch * model.InputLength, -1f, 1f);
        var outputs = new float[batch * model.OutputLength];
        model.Predict(inputs, outputs, batch);

        var one = new float[model.OutputLength];
        for (int b = 0; b < batch; b++)
        {
            model.Predict(inputs.AsSpan(b * model.InputLength, model.InputLength), one);
            Assert.Equal(one, outputs.AsSpan(b * model.OutputLength, model.OutputLength).ToArray());
        }
    }

    [Fact]
    public void A_second_thread_in_a_training_member_throws_and_names_both()
    {
        var model = new LargeLstm(seed: 1);
        var inputs = new float[LargeLstm.MaxBatchSize * LargeLstm.InputLength];
        Exception? caught = null;
        using var go = new Barrier(2);
        // Both threads run Forwards until one of them is refused.
        void Train()
        {
            go.SignalAndWait();
            for (int i = 0; i < 50 && caught is null; i++)
            {
                try
                {
                    model.Forward(inputs, LargeLstm.MaxBatchSize);
                }
                catch (InvalidOperationException e)
                {
                    caught = e;
                }
            }
        }
        var other = new Thread(Train);
        other.Start();
        Train();
        other.Join();
        Assert.NotNull(caught);
        Assert.Contains("Forward was called while Forward was still running", caught.Message, StringComparison.Ordinal);

        // Released after the clash: the model trains on.
        model.Forward(inputs, LargeLstm.MaxBatchSize);
        model.Backward(new float[LargeLstm.MaxBatchSize * LargeLstm.OutputLength], LargeLstm.MaxBatchSize);
    }

    [Fact]
    public void Inference_makes_no_training_buffers_until_the_first_training_call()
    {
        var model = new LargeLstm(seed: 1);
        var inputs = new float[LargeLstm.InputLength];
        var outputs = new float[LargeLstm.OutputLength];
        var states = new float[LargeLstm.StreamStateLength];
        long before = GC.GetAllocatedBytesForCurrentThread();
        model.Predict(inputs, outputs);
        model.Step(inputs.AsSpan(0, LargeLstm.Features), outputs, states);
        long inference = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(TrainingBuffersOf(model));

        before = GC.GetAllocatedBytesForCurrentThread();
        model.Forward(inputs, 1);
        long training = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.NotNull(TrainingBuffersOf(model));
        // The training buffers hold a forward pass's activations like Predict's, and the gradients and Backward's buffers besides.
        Assert.True(training > inference + (LargeLstm.ParameterCount * sizeof(float)),
            $"the first Forward allocated {training} bytes, the first Predict and Step {inference}");
    }

    private static object? TrainingBuffersOf(LargeLstm model) =>
        typeof(LargeLstm).GetField("_training", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(model);

    [Fact]
    public void FromWeights_builds_the_saved_model_without_initialising_it()
    {
        var model = new MixedSequenceStack(seed: 7);
        string path = Path.Combine(Path.GetTempPath(), $"fastseq-fromweights-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.SaveWeights(path);
            MixedSequenceStack loaded = MixedSequenceStack.FromWeights(path);
            Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());
            using FileStream stream = File.OpenRead(path);
            Assert.Equal(model.Parameters.ToArray(), MixedSequenceStack.FromWeights(stream).Parameters.ToArray());

            var e = Assert.Throws<InvalidDataException>(() => SmallGruStack.FromWeights(path));
            Assert.Contains("Tensor 'gru.weight_ih_l0' has shape", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void RunOnThreads(Action<int> body)
    {
        var errors = new Exception?[Threads];
        using var start = new Barrier(Threads);
        Thread[] threads = [.. Enumerable.Range(0, Threads).Select(k => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                body(k);
            }
            catch (Exception e)
            {
                errors[k] = e;
            }
        }))];
        foreach (Thread thread in threads)
            thread.Start();
        foreach (Thread thread in threads)
            thread.Join();
        foreach (Exception? error in errors)
        {
            if (error is not null)
                throw new AggregateException(error);
        }
    }
}

/// <summary>Large enough that its training buffers dwarf its weights' bookkeeping, and that a Forward takes a while.</summary>
[SequenceModel(Timesteps = 20, Features = 16, MaxBatchSize = 16)]
[Lstm(64)]
[Dense(2)]
public partial class LargeLstm;
