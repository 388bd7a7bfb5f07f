using FastSeq.Tests.Models;

namespace FastSeq.Tests.Training;

/// <summary>
/// Data parallelism within a batch: every MaxDegreeOfParallelism gives the same bits (training, Predict, Step), a sharded
/// batch's loss, gradients and input gradients are those of the batch run in one piece (gradients within rounding, since
/// they are summed by shard), bad inputs in a later shard are named by their place in the batch, and nothing is allocated.
/// </summary>
public class ParallelTrainingTests
{
    private static readonly int[] s_degrees = [1, 2, 3, 4];

    [Fact]
    public void A_replica_shares_its_originals_weights_and_allocates_no_buffer_for_them()
    {
        var model = new ShardedTagger(seed: 1);
        model.CreateReplica();
        long before = GC.GetAllocatedBytesForCurrentThread();
        ShardedTagger replica = model.CreateReplica();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < ShardedTagger.ParameterCount * sizeof(float),
            $"a replica allocated {allocated} B; its {ShardedTagger.ParameterCount} weights alone would take {ShardedTagger.ParameterCount * sizeof(float)} B");
        Assert.True(model.Parameters.Overlaps(replica.Parameters));
        model.Parameters[5] = 42f;
        Assert.Equal(42f, replica.Parameters[5]);
    }

    [Theory]
    [InlineData(false, new[] { 97, 33, 128, 65, 31, 100 })]
    [InlineData(true, new[] { 97, 97, 97, 97 })]
    public void TrainBatch_stateful_or_not_gives_the_same_bits_for_every_degree(bool stateful, int[] batches)
    {
        int[] Train(int degree)
        {
            var trainer = new Trainer<ShardedTagger>(new ShardedTagger(seed: 3), new Adam(1e-2f), Loss.MeanSquaredError) { Stateful = stateful, MaxDegreeOfParallelism = degree };
            for (int k = 0; k < batches.Length; k++)
            {
                (float[] inputs, float[] targets) = RandomBatch(batches[k], ShardedTagger.InputLength, trainer.TargetLength, seed: (100 * k) + batches[k]);
                trainer.TrainBatch(inputs, targets, batches[k]);
            }
            return Bits(trainer.Model.Parameters);
        }

        int[] serial = Train(1);
        foreach (int degree in s_degrees[1..])
            Assert.Equal(serial, Train(degree));
    }

    [Fact]
    public void Fit_with_dropout_gives_the_same_bits_for_every_degree_and_its_shards_draw_masks_of_their_own()
    {
        const int Count = 150;
        (float[] inputs, float[] targets) = RandomBatch(Count, DroppingTagger.InputLength, DroppingTagger.OutputLength, seed: 8);
        var data = new SequenceDataset(inputs, targets, DroppingTagger.Timesteps, DroppingTagger.Features, DroppingTagger.OutputLength);
        int[] Fit(int degree, int seed)
        {
            var trainer = new Trainer<DroppingTagger>(new DroppingTagger(seed: 3), new Adam(1e-2f), Loss.MeanSquaredError) { MaxDegreeOfParallelism = degree };
            trainer.Fit(data, epochs: 2, batchSize: 75, seed: seed, onEpochEnd: _ => { });
            return Bits(trainer.Model.Parameters);
        }

        int[] serial = Fit(1, seed: 4);
        Assert.Equal(serial, Fit(2, seed: 4));
        Assert.Equal(serial, Fit(3, seed: 4));
        Assert.NotEqual(serial, Fit(2, seed: 5));
    }

    [Fact]
    public void The_gradient_flow_of_a_sharded_batch_is_over_every_shards_sequences()
    {
        const int Batch = 70;   // three shards
        (float[] inputs, float[] targets) = RandomBatch(Batch, ShardedTagger.InputLength, ShardedTagger.OutputLength, seed: 12);
        var trainer = new Trainer<ShardedTagger>(new ShardedTagger(seed: 3), new Sgd(1e-30f), Loss.MeanSquaredError) { MaxDegreeOfParallelism = 2 };
        trainer.GradientFlow = new FastSeq.Diagnostics.GradientFlowRecorder(trainer.Model);
        trainer.TrainBatch(inputs, targets, Batch);

        // The same batch in one piece, through the model's own Forward and Backward.
        var whole = new ShardedTagger(seed: 3);
        var flow = new FastSeq.Diagnostics.GradientFlowRecorder(whole);
        whole.Forward(inputs, Batch);
        var outputGradients = new float[Batch * ShardedTagger.OutputLength];
        Loss.MeanSquaredError.Compute(whole.Outputs, whole.Logits, targets, ShardedTagger.OutputUnits, whole.OutputActivation, outputGradients, out bool withRespectToLogits);
        whole.Gradients.Clear();
        whole.Backward(outputGradients, Batch, withRespectToLogits);
        flow.Record();

        for (int layer = 0; layer < whole.Layers.Length; layer++)
        {
            float[] expected = flow.HiddenStateNorms(layer).ToArray(), sharded = trainer.GradientFlow.HiddenStateNorms(layer).ToArray();
            Assert.Equal(expected.Length, sharded.Length);
            for (int t = 0; t < expected.Length; t++)
                Assert.Equal(expected[t], sharded[t], expected[t] * 1e-4f);
            Assert.Equal(flow.ParameterGradientNorm(layer), trainer.GradientFlow.ParameterGradientNorm(layer), flow.ParameterGradientNorm(layer) * 1e-4f);
        }
    }

    [Fact]
    public void Fit_with_lengths_validation_and_a_last_partial_batch_gives_the_same_bits_for_every_degree()
    {
        const int Count = 250;
        (float[] inputs, float[] targets) = RandomBatch(Count, ShardedTagger.InputLength, ShardedTagger.OutputLength, seed: 5);
        var random = new Random(6);
        int[] lengths = [.. Enumerable.Range(0, Count).Select(_ => random.Next(1, ShardedTagger.Timesteps + 1))];
        var data = new SequenceDataset(inputs, lengths, targets, ShardedTagger.Timesteps, ShardedTagger.Features, ShardedTagger.OutputLength);

        (int[] Weights, float[] Losses) Fit(int degree)
        {
            var trainer = new Trainer<ShardedTagger>(new ShardedTagger(seed: 1), new Adam(1e-2f), Loss.MeanSquaredError) { MaxDegreeOfParallelism = degree };
            TrainingHistory history = trainer.Fit(data, epochs: 3, batchSize: 90, validationSplit: 0.2f, seed: 2, onEpochEnd: _ => { });
            return (Bits(trainer.Model.Parameters), [.. history.Epochs.SelectMany(e => new[] { e.Loss, e.ValidationLoss!.Value, e.MeanAbsoluteError!.Value })]);
        }

        (int[] weights, float[] losses) = Fit(1);
        foreach (int degree in s_degrees[1..])
        {
            (int[] otherWeights, float[] otherLosses) = Fit(degree);
            Assert.Equal(weights, otherWeights);
            Assert.Equal(losses, otherLosses);
        }
    }

    [Fact]
    public void Token_batches_with_padding_give_the_same_bits_for_every_degree()
    {
        const int Batch = 77;
        var random = new Random(8);
        var tokens = new int[Batch * ShardedTokens.Timesteps];
        for (int b = 0; b < Batch; b++)
        {
            int length = random.Next(1, ShardedTokens.Timesteps + 1);
            for (int t = 0; t < length; t++)
                tokens[(b * ShardedTokens.Timesteps) + t] = random.Next(1, ShardedTokens.VocabularySize);
        }
        float[] targets = [.. Enumerable.Range(0, Batch).Select(_ => (float)random.Next(ShardedTokens.OutputUnits))];

        (int[] Weights, int[] Lengths) Train(int degree)
        {
            var trainer = new Trainer<ShardedTokens>(new ShardedTokens(seed: 2), new Sgd(0.1f), Loss.SparseCategoricalCrossEntropy) { MaxDegreeOfParallelism = degree };
            for (int step = 0; step < 3; step++)
                trainer.TrainBatch(tokens, targets, Batch);
            trainer.Fit(SequenceDataset.FromTokens(tokens, targets, ShardedTokens.Timesteps), epochs: 2, batchSize: 70, seed: 1, onEpochEnd: _ => { });
            return (Bits(trainer.Model.Parameters), [.. trainer.Model.Lengths]);
        }

        (int[] weights, int[] lengths) = Train(1);
        Assert.NotEmpty(lengths);
        foreach (int degree in s_degrees[1..])
            Assert.Equal(weights, Train(degree).Weights);
    }

    [Fact]
    public void A_sharded_batch_has_the_loss_and_input_gradients_of_the_batch_in_one_piece_and_its_gradients_within_rounding()
    {
        const int Batch = 70;
        (float[] inputs, float[] targets) = RandomBatch(Batch, ShardedTagger.InputLength, ShardedTagger.OutputLength, seed: 9);
        var trainer = new Trainer<ShardedTagger>(new ShardedTagger(seed: 4), new Sgd(1e-3f), Loss.MeanSquaredError) { MaxDegreeOfParallelism = 2 };
        float loss = trainer.TrainBatch(inputs, targets, Batch);

        // The same batch in one piece, through the model's own passes.
        var whole = new ShardedTagger(seed: 4);
        whole.Forward(inputs, Batch);
        var outputGradients = new float[Batch * ShardedTagger.OutputLength];
        float wholeLoss = Loss.MeanSquaredError.Compute(whole.Outputs, whole.Logits, targets, ShardedTagger.OutputUnits, whole.OutputActivation, outputGradients, out bool withRespectToLogits);
        whole.Gradients.Clear();
        whole.Backward(outputGradients, Batch, withRespectToLogits);

        Assert.Equal(wholeLoss, loss);
        Assert.Equal(whole.InputGradients.ToArray(), trainer.InputGradients.ToArray());
        float largest = whole.Gradients.ToArray().Max(Math.Abs);
        Tolerance.Close(whole.Gradients.ToArray(), trainer.Model.Gradients, 1e-5 * largest, 1e-5, "gradients");
    }

    [Fact]
    public void A_bad_input_in_a_later_shard_is_named_by_its_place_in_the_batch()
    {
        const int Batch = 70;
        (float[] inputs, float[] targets) = RandomBatch(Batch, ShardedTagger.InputLength, ShardedTagger.OutputLength, seed: 9);
        inputs[(50 * ShardedTagger.InputLength) + 4] = float.NaN;
        var model = new ShardedTagger(seed: 4) { CheckInputsFinite = true };
        var trainer = new Trainer<ShardedTagger>(model, new Sgd(0.1f), Loss.MeanSquaredError) { MaxDegreeOfParallelism = 2 };
        float[] before = model.Parameters.ToArray();

        var exception = Assert.ThrowsAny<ArgumentException>(() => trainer.TrainBatch(inputs, targets, Batch));
        Assert.Contains("sample 50", exception.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_degree_below_one_is_refused(int degree)
    {
        var trainer = new Trainer<ShardedTagger>(new ShardedTagger(), new Sgd(0.1f), Loss.MeanSquaredError);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.MaxDegreeOfParallelism = degree);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardedTagger().MaxDegreeOfParallelism = degree);
        Assert.Equal(Environment.ProcessorCount, trainer.MaxDegreeOfParallelism);
    }

    [Fact]
    public void Predict_and_Step_give_the_same_bits_for_every_degree()
    {
        const int Batch = 37, Streams = 45, Steps = 4;
        var model = new SlicedForecaster(seed: 5);
        (float[] inputs, _) = RandomBatch(Batch, SlicedForecaster.InputLength, 1, seed: 3);
        var random = new Random(4);
        int[] lengths = [.. Enumerable.Range(0, Batch).Select(_ => random.Next(1, SlicedForecaster.Timesteps + 1))];
        (float[] stepInputs, _) = RandomBatch(Streams * Steps, SlicedForecaster.Features, 1, seed: 6);

        (float[] Outputs, float[] Padded, float[] Stepped, float[] States) Run(int degree)
        {
            model.MaxDegreeOfParallelism = degree;
            var outputs = new float[Batch * SlicedForecaster.OutputLength];
            model.Predict(inputs, outputs, Batch);
            var padded = new float[outputs.Length];
            model.Predict(inputs, lengths, padded, Batch);
            var states = new float[Streams * SlicedForecaster.StreamStateLength];
            var stepped = new float[Steps * Streams * SlicedForecaster.OutputUnits];
            for (int step = 0; step < Steps; step++)
            {
                model.Step(stepInputs.AsSpan(step * Streams * SlicedForecaster.Features, Streams * SlicedForecaster.Features),
                           stepped.AsSpan(step * Streams * SlicedForecaster.OutputUnits, Streams * SlicedForecaster.OutputUnits), states, Streams);
            }
            return (outputs, padded, stepped, states);
        }

        var serial = Run(1);
        var alone = new float[SlicedForecaster.OutputLength];
        model.Predict(inputs.AsSpan(36 * SlicedForecaster.InputLength, SlicedForecaster.InputLength), alone);
        Assert.Equal(alone, serial.Outputs[(36 * SlicedForecaster.OutputLength)..]);
        foreach (int degree in s_degrees[1..])
        {
            var parallel = Run(degree);
            Assert.Equal(serial.Outputs, parallel.Outputs);
            Assert.Equal(serial.Padded, parallel.Padded);
            Assert.Equal(serial.Stepped, parallel.Stepped);
            Assert.Equal(serial.States, parallel.States);
        }
    }

    [Fact]
    public void Runs_of_single_row_slices_give_the_same_bits_for_every_degree()
    {
        const int Rows = 45;
        (float[] inputs, _) = RandomBatch(Rows, SingleRowModel.InputLength, 1, seed: 7);
        var model = new SingleRowModel(seed: 2);

        (float[] Outputs, float[] Stepped, float[] States) Run(int degree)
        {
            model.MaxDegreeOfParallelism = degree;
            var outputs = new float[Rows * SingleRowModel.OutputLength];
            model.Predict(inputs, outputs, Rows);
            var states = new float[Rows * SingleRowModel.StreamStateLength];
            var stepped = new float[Rows * SingleRowModel.OutputUnits];
            for (int step = 0; step < SingleRowModel.Timesteps; step++)
                model.Step(inputs.AsSpan(step * Rows * SingleRowModel.Features, Rows * SingleRowModel.Features), stepped, states, Rows);
            return (outputs, stepped, states);
        }

        var serial = Run(1);
        foreach (int degree in s_degrees[1..])
        {
            var parallel = Run(degree);
            Assert.Equal(serial.Outputs, parallel.Outputs);
            Assert.Equal(serial.Stepped, parallel.Stepped);
            Assert.Equal(serial.States, parallel.States);
        }
    }

    [Fact]
    public void Token_Predict_gives_the_same_bits_for_every_degree()
    {
        const int Batch = 150;
        var random = new Random(2);
        int[] tokens = [.. Enumerable.Range(0, Batch * ShardedTokens.Timesteps).Select(_ => random.Next(1, ShardedTokens.VocabularySize))];
        var model = new ShardedTokens(seed: 1) { MaxDegreeOfParallelism = 1 };
        var serial = new float[Batch * ShardedTokens.OutputLength];
        model.Predict(tokens, serial, Batch);
        model.MaxDegreeOfParallelism = 3;
        var parallel = new float[serial.Length];
        model.Predict(tokens, parallel, Batch);
        Assert.Equal(serial, parallel);
    }

    [Fact]
    public void Sharded_training_stateful_or_not_and_sliced_Predict_and_Step_allocate_nothing()
    {
        const int Batch = 64, Streams = 40;
        (float[] inputs, float[] targets) = RandomBatch(Batch, ShardedTagger.InputLength, ShardedTagger.OutputLength, seed: 1);
        var trainer = new Trainer<ShardedTagger>(new ShardedTagger(), new Adam(), Loss.MeanSquaredError) { MaxDegreeOfParallelism = 2 };
        Allocations.AssertNone(() => trainer.TrainBatch(inputs, targets, Batch));
        var data = new SequenceDataset(inputs, targets, ShardedTagger.Timesteps, ShardedTagger.Features, ShardedTagger.OutputLength);
        Allocations.AssertNone(() => trainer.Fit(data, epochs: 1, batchSize: Batch, validationSplit: 0.5f, onEpochEnd: static _ => { }));
        trainer.Stateful = true;
        Allocations.AssertNone(() => trainer.TrainBatch(inputs, targets, Batch));

        var model = new SlicedForecaster { MaxDegreeOfParallelism = 2 };
        (float[] predictInputs, _) = RandomBatch(Streams, SlicedForecaster.InputLength, 1, seed: 2);
        var outputs = new float[Streams * SlicedForecaster.OutputLength];
        Allocations.AssertNone(() => model.Predict(predictInputs, outputs, Streams));
        var stepInputs = new float[Streams * SlicedForecaster.Features];
        var stepOutputs = new float[Streams * SlicedForecaster.OutputUnits];
        var states = new float[Streams * SlicedForecaster.StreamStateLength];
        Allocations.AssertNone(() => model.Step(stepInputs, stepOutputs, states, Streams));
    }

    [Fact]
    public void A_stateful_batch_in_shards_starts_each_sequence_from_its_carried_states()
    {
        const int Batch = 97;
        (float[] first, float[] firstTargets) = RandomBatch(Batch, ShardedTagger.InputLength, ShardedTagger.OutputLength, seed: 21);
        (float[] second, float[] secondTargets) = RandomBatch(Batch, ShardedTagger.InputLength, ShardedTagger.OutputLength, seed: 22);
        // A rate that moves nothing: each batch's loss is that of the model as it was made.
        var trainer = new Trainer<ShardedTagger>(new ShardedTagger(seed: 4), new Sgd(1e-30f), Loss.MeanSquaredError) { Stateful = true, MaxDegreeOfParallelism = 2 };
        trainer.TrainBatch(first, firstTargets, Batch);
        float stateful = trainer.TrainBatch(second, secondTargets, Batch);

        // The whole batch in one model, from the first batch's final states.
        var model = new ShardedTagger(seed: 4);
        model.Forward(first, default, Batch);
        float[] carried = model.FinalStates.ToArray();
        model.Forward(second, default, carried, Batch);
        Assert.Equal(Loss.MeanSquaredError.Evaluate(model.Outputs, model.Logits, secondTargets, ShardedTagger.OutputUnits, Activation.Linear), stateful);

        model.Forward(second, default, Batch);
        float fromZeros = Loss.MeanSquaredError.Evaluate(model.Outputs, model.Logits, secondTargets, ShardedTagger.OutputUnits, Activation.Linear);
        Assert.NotEqual(fromZeros, stateful);
        trainer.ResetStates();
        Assert.Equal(fromZeros, trainer.TrainBatch(second, secondTargets, Batch));
    }

    [Fact]
    public void A_stateful_token_batch_in_shards_starts_each_sequence_from_its_carried_states()
    {
        const int Batch = 70;
        var random = new Random(9);
        int[] Tokens() => [.. Enumerable.Range(0, Batch * ShardedTokens.Timesteps).Select(_ => random.Next(1, ShardedTokens.VocabularySize))];
        int[] first = Tokens(), second = Tokens();
        float[] targets = [.. Enumerable.Range(0, Batch).Select(_ => (float)random.Next(ShardedTokens.OutputUnits))];
        var trainer = new Trainer<ShardedTokens>(new ShardedTokens(seed: 6), new Sgd(1e-30f), Loss.SparseCategoricalCrossEntropy) { Stateful = true, MaxDegreeOfParallelism = 3 };
        trainer.TrainBatch(first, targets, Batch);
        float stateful = trainer.TrainBatch(second, targets, Batch);

        var model = new ShardedTokens(seed: 6);
        model.Forward(first, default, Batch);
        float[] carried = model.FinalStates.ToArray();
        model.Forward(second, carried, Batch);
        Assert.Equal(Loss.SparseCategoricalCrossEntropy.Evaluate(model.Outputs, model.Logits, targets, ShardedTokens.OutputUnits, Activation.Softmax), stateful);
    }

    private static (float[] Inputs, float[] Targets) RandomBatch(int count, int inputLength, int targetLength, int seed)
    {
        var random = new Random(seed);
        float[] inputs = [.. Enumerable.Range(0, count * inputLength).Select(_ => (random.NextSingle() * 2) - 1)];
        float[] targets = [.. Enumerable.Range(0, count * targetLength).Select(_ => random.NextSingle())];
        return (inputs, targets);
    }

    private static int[] Bits(ReadOnlySpan<float> values) => [.. values.ToArray().Select(BitConverter.SingleToInt32Bits)];
}

/// <summary>Shards that drop their inputs, states and outputs in training.</summary>
[SequenceModel(Timesteps = 6, Features = 3, MaxBatchSize = 128)]
[Lstm(8, ReturnSequences = true, Dropout = 0.2f, RecurrentDropout = 0.3f)]
[Dropout(0.25f)]
[Dense(2)]
public partial class DroppingTagger;

/// <summary>Up to four shards per batch, per-step outputs (so lengths mask the loss).</summary>
[SequenceModel(Timesteps = 7, Features = 3, MaxBatchSize = 128)]
[Lstm(9, ReturnSequences = true)]
[Gru(6, ReturnSequences = true)]
[Dense(2)]
public partial class ShardedTagger;

/// <summary>A token model whose lengths come from its trailing padding ids.</summary>
[SequenceModel(Timesteps = 6, MaxBatchSize = 128)]
[Embedding(11, 4, MaskZero = true)]
[Gru(5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ShardedTokens;

/// <summary>Slices of 8 rows, so a few dozen sequences or streams make several.</summary>
[SequenceModel(Timesteps = 5, Features = 2, MaxBatchSize = 8)]
[Lstm(6, ReturnSequences = true)]
[SimpleRnn(4)]
[Dense(2)]
public partial class SlicedForecaster;

/// <summary>Slices of one row: a call of a few dozen is cut into items of several slices each.</summary>
[SequenceModel(Timesteps = 3, Features = 2, MaxBatchSize = 1)]
[Gru(5)]
[Dense(1)]
public partial class SingleRowModel;
