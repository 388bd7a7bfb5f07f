using FastSeq.Tests.Models;

namespace FastSeq.Tests.Training;

/// <summary>The new optimizers, clipping, losses, divergence guard, callbacks and dropout keep training allocation-free after warm-up.</summary>
public class TrainingAllocationTests
{
    public static TheoryData<string> Losses => ["MeanAbsoluteError", "Huber", "CategoricalCrossEntropy"];

    [Theory]
    [MemberData(nameof(Losses))]
    public void TrainBatch_with_the_new_optimizers_clipping_and_losses_allocates_nothing(string name)
    {
        Loss loss = LossTestData.ByName(name);
        Optimizer[] optimizers =
        [
            new RmsProp(momentum: 0.9f, centered: true) { ClipValue = 0.5f, ClipNorm = 1f },
            new AdamW() { ClipNorm = 0.1f },
        ];
        foreach (Optimizer optimizer in optimizers)
        {
            var trainer = new Trainer<RiseTagger>(new RiseTagger(), optimizer, loss);
            const int Batch = 5;
            var inputs = new float[Batch * RiseTagger.InputLength];
            float[] targets = LossTestData.Targets(loss, Batch * RiseTagger.OutputLength, RiseTagger.OutputUnits, seed: 1);
            Allocations.AssertNone(() => trainer.TrainBatch(inputs, targets, Batch));
        }
    }

    [Fact]
    public void Training_with_dropout_of_every_kind_allocates_nothing()
    {
        var trainer = new Trainer<DropoutStack>(new DropoutStack(seed: 1), new Adam(1e-3f), Loss.MeanSquaredError);
        float[] inputs = DropoutTests.Inputs(4 * DropoutStack.InputLength, seed: 1);
        float[] targets = DropoutTests.Inputs(4 * DropoutStack.OutputLength, seed: 2);
        Allocations.AssertNone(() => trainer.TrainBatch(inputs, targets, 4));

        SequenceDataset data = DropoutTests.Data(count: 20);
        Allocations.AssertNone(() => trainer.Fit(data, epochs: 2, batchSize: 4, validationSplit: 0.2f, onEpochEnd: static _ => { }));
    }

    [Fact]
    public void A_second_fit_with_callbacks_and_skipped_batches_allocates_nothing()
    {
        SequenceDataset clean = SyntheticTasks.SumSign(count: 60, timesteps: SumSignLogit.Timesteps, seed: 4);
        float[] inputs = [.. clean.Inputs];
        inputs[5] = float.NaN;
        var data = new SequenceDataset(inputs, clean.Targets, clean.Timesteps, clean.Features);
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(), new RmsProp(1e-3f) { ClipNorm = 1f }, Loss.BinaryCrossEntropyFromLogits);
        Callback[] callbacks =
        [
            new EarlyStopping(patience: 100, restoreBestWeights: true),
            new ReduceLROnPlateau(patience: 1, minLearningRate: 1e-4f),
            new LearningRateScheduler(static (epoch, rate) => rate),
        ];
        Action<EpochResult> quiet = _ => { };

        Allocations.AssertNone(() => trainer.Fit(data, epochs: 3, batchSize: 8, validationSplit: 0.2f, onEpochEnd: quiet, skipNonFiniteBatches: true, callbacks: callbacks));
        Assert.Equal(1, trainer.History.Last.SkippedBatches);
    }

    [Fact]
    public void Same_seed_gives_bit_identical_weights_with_the_new_optimizers_clipping_and_callbacks()
    {
        SequenceDataset data = SyntheticTasks.SumSign(count: 80, timesteps: SumSignLogit.Timesteps, seed: 4);

        int[] Run(Optimizer optimizer)
        {
            var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), optimizer, Loss.Huber);
            trainer.Fit(data, epochs: 4, batchSize: 16, validationSplit: 0.2f, seed: 7, onEpochEnd: _ => { },
                callbacks: [new ReduceLROnPlateau(patience: 1), new EarlyStopping(patience: 1, restoreBestWeights: true)]);
            return [.. trainer.Model.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits)];
        }

        Assert.Equal(Run(new AdamW(1e-2f) { ClipNorm = 0.5f }), Run(new AdamW(1e-2f) { ClipNorm = 0.5f }));
        Assert.Equal(Run(new RmsProp(centered: true) { ClipValue = 0.1f }), Run(new RmsProp(centered: true) { ClipValue = 0.1f }));
    }
}
