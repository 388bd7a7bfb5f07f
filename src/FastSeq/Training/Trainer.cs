using System.Diagnostics;

namespace FastSeq;

/// <summary>
/// Trains a generated model with a loss and an optimizer: mini-batch gradient descent with
/// backpropagation through time. Every buffer is allocated here, so <see cref="TrainBatch(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/>
/// and each epoch of <see cref="Fit"/> with an <c>onEpochEnd</c> callback allocate nothing (the default
/// console progress line builds a string per epoch).
/// </summary>
public sealed class Trainer<TModel>
    where TModel : ISequenceModel
{
    private readonly float[] _batchInputs;
    private readonly float[] _batchTargets;
    private readonly float[] _outputGradients;
    private readonly int _targetLength;
    private int[] _order = [];

    /// <summary>Binds a model, an optimizer and a loss; the optimizer's state is sized to the model here.</summary>
    public Trainer(TModel model, Optimizer optimizer, Loss loss)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        Model = model;
        Optimizer = optimizer;
        Loss = loss;
        _targetLength = loss.TargetLength(model.OutputLength, model.OutputUnits);
        _batchInputs = new float[model.MaxBatchSize * model.InputLength];
        _batchTargets = new float[model.MaxBatchSize * _targetLength];
        _outputGradients = new float[model.MaxBatchSize * model.OutputLength];
        optimizer.Initialize(model.Parameters.Length);
    }

    /// <summary>The model being trained.</summary>
    public TModel Model { get; }

    /// <summary>The optimizer that updates <see cref="ISequenceModel.Parameters"/>.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The loss minimised.</summary>
    public Loss Loss { get; }

    /// <summary>The per-epoch figures of the last <see cref="Fit"/>, as Keras' <c>model.history</c>; each Fit starts it afresh.</summary>
    public TrainingHistory History { get; } = new();

    /// <summary>Floats of target per sample this loss expects from this model.</summary>
    public int TargetLength => _targetLength;

    /// <summary>
    /// One optimisation step on a batch: forward, loss, backward, update. Inputs <c>[B, T, F]</c>;
    /// targets <c>[B, TargetLength]</c>. Returns the batch's mean loss before the update; the model's
    /// <see cref="ISequenceModel.InputGradients"/> then hold d loss / d inputs.
    /// </summary>
    public float TrainBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize) =>
        TrainBatch(inputs, targets, batchSize, forFit: false, out _);

    /// <summary>
    /// <see cref="TrainBatch(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/>; for <see cref="Fit"/>, it counts the
    /// correct predictions (the epoch's accuracy) and skips the input gradients, which nobody reads there.
    /// </summary>
    private float TrainBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, bool forFit, out int correct)
    {
        CheckTargets(targets, batchSize);
        Model.Forward(inputs, batchSize);
        Span<float> outputGradients = _outputGradients.AsSpan(0, batchSize * Model.OutputLength);
        float loss = Loss.Compute(Model.Outputs, Model.Logits, targets, Model.OutputUnits, Model.OutputActivation, outputGradients, out bool withRespectToLogits);
        correct = forFit && Loss.IsClassification ? Loss.CountCorrect(Model.Outputs, targets, Model.OutputUnits) : 0;
        Model.Gradients.Clear();
        Model.Backward(outputGradients, batchSize, withRespectToLogits, computeInputGradients: !forFit);
        Optimizer.Step(Model.Parameters, Model.Gradients);
        return loss;
    }

    /// <summary>Mean loss (and, for classification, accuracy) of the model on a whole dataset, in batches; no update.</summary>
    public (float Loss, float? Accuracy) Evaluate(SequenceDataset data, int batchSize = 32)
    {
        CheckDataset(data, batchSize);
        return Evaluate(data, 0, data.Count, batchSize);
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over <paramref name="data"/> in shuffled mini-batches
    /// (seeded), holding out the last <paramref name="validationSplit"/> of the samples for validation
    /// as Keras does. After each epoch, <paramref name="onEpochEnd"/> receives the figures; without one,
    /// a Keras-like progress line is written to the console. Returns <see cref="History"/>. Once the trainer
    /// has run one Fit of this size, further ones allocate nothing on the managed heap.
    /// </summary>
    public TrainingHistory Fit(
        SequenceDataset data,
        int epochs,
        int batchSize = 32,
        float validationSplit = 0f,
        bool shuffle = true,
        int seed = 0,
        Action<EpochResult>? onEpochEnd = null)
    {
        CheckDataset(data, batchSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        if (!(validationSplit >= 0f && validationSplit < 1f))
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "validationSplit must be in [0, 1).");

        // The last samples are held out as SequenceDataset.SplitLast does: 0.2f of 990 holds out 198, not 199.
        int trainCount = SequenceDataset.TrainCount(data.Count, validationSplit);
        int validationCount = data.Count - trainCount;
        if (trainCount < 1)
            throw new ArgumentException($"validationSplit {validationSplit} leaves no training samples out of {data.Count}.", nameof(validationSplit));

        onEpochEnd ??= static result => Console.WriteLine(result.ToString());
        History.Restart(epochs);
        if (_order.Length < trainCount)
            _order = new int[trainCount];
        Span<int> order = _order.AsSpan(0, trainCount);
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        var random = new SeededShuffle(seed);

        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            long start = Stopwatch.GetTimestamp();
            if (shuffle)
                random.Shuffle(order);

            double lossSum = 0;
            long correct = 0;
            for (int first = 0; first < trainCount; first += batchSize)
            {
                int count = Math.Min(batchSize, trainCount - first);
                data.CopySamples(order.Slice(first, count), _batchInputs, _batchTargets);
                float loss = TrainBatch(_batchInputs.AsSpan(0, count * Model.InputLength), _batchTargets.AsSpan(0, count * _targetLength), count, forFit: true, out int batchCorrect);
                lossSum += (double)loss * count;
                correct += batchCorrect;
            }

            float? validationLoss = null, validationAccuracy = null;
            if (validationCount > 0)
                (validationLoss, validationAccuracy) = Evaluate(data, trainCount, validationCount, batchSize);

            var result = new EpochResult(
                epoch,
                epochs,
                (float)(lossSum / trainCount),
                validationLoss,
                Loss.IsClassification ? (float)correct / (trainCount * _targetLength) : null,
                validationAccuracy,
                Stopwatch.GetElapsedTime(start));
            History.Add(result);
            onEpochEnd(result);
        }
        return History;
    }

    private (float Loss, float? Accuracy) Evaluate(SequenceDataset data, int first, int count, int batchSize)
    {
        double lossSum = 0;
        long correct = 0;
        for (int offset = 0; offset < count; offset += batchSize)
        {
            int batch = Math.Min(batchSize, count - offset);
            int sample = first + offset;
            ReadOnlySpan<float> targets = data.Targets.AsSpan(sample * _targetLength, batch * _targetLength);
            Model.Forward(data.Inputs.AsSpan(sample * Model.InputLength, batch * Model.InputLength), batch);
            lossSum += (double)Loss.Evaluate(Model.Outputs, Model.Logits, targets, Model.OutputUnits, Model.OutputActivation) * batch;
            if (Loss.IsClassification)
                correct += Loss.CountCorrect(Model.Outputs, targets, Model.OutputUnits);
        }
        return ((float)(lossSum / count), Loss.IsClassification ? (float)correct / (count * _targetLength) : null);
    }

    private void CheckTargets(ReadOnlySpan<float> targets, int batchSize)
    {
        if (targets.Length != batchSize * _targetLength)
        {
            throw new ArgumentException(
                $"targets must hold {batchSize * _targetLength} floats ({batchSize} x {_targetLength} per sample for {Loss.Name}) for batchSize {batchSize}, but holds {targets.Length}.",
                nameof(targets));
        }
    }

    private void CheckDataset(SequenceDataset data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Timesteps != Model.Timesteps || data.Features != Model.Features)
        {
            throw new ArgumentException(
                $"The dataset's samples are [{data.Timesteps}, {data.Features}] but the model expects [{Model.Timesteps}, {Model.Features}].", nameof(data));
        }
        if (data.TargetLength != _targetLength)
        {
            throw new ArgumentException(
                $"The dataset has {data.TargetLength} target floats per sample but {Loss.Name} on this model expects {_targetLength}.", nameof(data));
        }
        Models.ModelArguments.CheckBatch(batchSize, Model.MaxBatchSize);
    }
}
