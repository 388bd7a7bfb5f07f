using FastSeq;
using FastSeq.Diagnostics;

namespace AddingProblem;

/// <summary>How the sample trains each model on the adding problem, the same for every kind of layer.</summary>
public static class AddingTraining
{
    /// <summary>The seed of the training sequences; the test sequences take the next one.</summary>
    public const int Seed = 1;

    public const int BatchSize = 32;
    public const float LearningRate = 3e-3f;

    /// <summary>Gradients are scaled down to this global norm at most: an exploding step does not undo what was learnt.</summary>
    public const float ClipNorm = 1f;

    /// <summary>
    /// Trains <paramref name="model"/> for <paramref name="epochs"/> (at least 2) with Adam on mean squared error and returns its
    /// mean squared error on <paramref name="test"/>, with the gradient flow of its first epoch and of its last (the mean of each
    /// epoch's batches), named "<paramref name="label"/>, epoch N".
    /// </summary>
    public static (float TestMeanSquaredError, GradientFlowReport FirstEpoch, GradientFlowReport LastEpoch) Train<TModel>(
        TModel model, string label, SequenceDataset train, SequenceDataset test, int epochs, Action<EpochResult>? onEpochEnd = null)
        where TModel : ISequenceModel
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 2);
        var optimizer = new Adam(LearningRate) { ClipNorm = ClipNorm };
        var trainer = new Trainer<TModel>(model, optimizer, Loss.MeanSquaredError);
        var first = new GradientFlowRecorder(model, $"{label}, epoch 1");
        var last = new GradientFlowRecorder(model, $"{label}, epoch {epochs}");
        trainer.Fit(train, epochs, BatchSize, seed: Seed, onEpochEnd: onEpochEnd ?? (_ => { }),
                    callbacks: [new RecordFirstAndLastEpochs<TModel>(trainer, first, last, epochs)]);
        return (trainer.Evaluate(test).Loss, first.Report(), last.Report());
    }

    /// <summary>The mean squared error of always answering 1, the mean of the target, on <paramref name="data"/>.</summary>
    public static float MeanSquaredErrorOfOne(SequenceDataset data)
    {
        double sum = 0;
        foreach (float target in data.Targets)
            sum += (target - 1.0) * (target - 1.0);
        return (float)(sum / data.Count);
    }

    /// <summary>Records the gradient flow of the first epoch, before the model has learnt, and of the last; no other.</summary>
    private sealed class RecordFirstAndLastEpochs<TModel>(Trainer<TModel> trainer, GradientFlowRecorder first, GradientFlowRecorder last, int epochs) : Callback
        where TModel : ISequenceModel
    {
        public override void OnEpochBegin(int epoch, TrainingContext context) =>
            trainer.GradientFlow = epoch == 1 ? first : epoch == epochs ? last : null;
    }
}
