using System.Diagnostics;
using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// Trains a generated model with a loss and an optimizer: mini-batch gradient descent with
/// backpropagation through time. Every buffer is allocated here (but for the shards' replicas, made by the first batch of
/// more than 32 sequences), so <see cref="TrainBatch(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/>
/// and each epoch of <see cref="Fit"/> allocate nothing (without an <c>onEpochEnd</c> callback, Fit's own progress builds a
/// string per epoch, none per batch).
/// </summary>
/// <remarks>
/// A batch whose loss or gradient is NaN or infinite changes nothing: the trainer checks both before the optimizer
/// step (one pass over the gradients, whose sum of squares the optimizer then reuses for <see cref="Optimizer.ClipNorm"/>)
/// and throws <see cref="TrainingDivergedException"/>, or, in <see cref="Fit"/> with <c>skipNonFiniteBatches</c>, skips it.
/// <para>
/// A batch of more than 32 sequences is cut into shards of at most 32, a cut that depends on the batch size alone; they run
/// on up to <see cref="MaxDegreeOfParallelism"/> cores, each in a model of its own on the same parameters
/// (<see cref="ISequenceModel.CreateReplica"/>), and their gradients are summed in shard order: every degree gives the same
/// bits. The model's own <see cref="ISequenceModel.Outputs"/> and <see cref="ISequenceModel.InputGradients"/> then hold the
/// first shard's rows; <see cref="InputGradients"/> holds the whole batch's.
/// </para>
/// </remarks>
public sealed class Trainer<TModel>
    where TModel : ISequenceModel
{
    private readonly float[] _batchInputs;
    private readonly float[] _batchTargets;
    private readonly int[] _batchLengths;
    private readonly float[] _outputGradients;
    private readonly int _targetLength;
    private readonly int _predictionsPerSample;
    private readonly TrainingContext _context;
    private readonly List<Callback> _callbacks = [];
    private int[] _order = [];
    private Diagnostics.GradientFlowRecorder? _gradientFlow;
    private int _maxDegreeOfParallelism = Environment.ProcessorCount;
    // Made by the first batch of more than one shard.
    private BatchShards? _shards;
    // Whether the last forward pass ran in shards (its results are then in _shards) or in the model alone.
    private bool _sharded;
    // Stateful training: the final recurrent states of the last batch, _statesBatch sequences of them (0: none yet, start from zeros).
    private bool _stateful;
    private float[] _states = [];
    private int _statesBatch;

    /// <summary>Binds a model, an optimizer and a loss; the optimizer's state is sized to the model here.</summary>
    /// <exception cref="ArgumentException">The loss does not fit the model's output activation (binary cross-entropy on a Linear
    /// output, say); the message names the loss to use instead.</exception>
    public Trainer(TModel model, Optimizer optimizer, Loss loss)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.OutputActivationMismatch(model.OutputActivation) is string mismatch)
            throw new ArgumentException(mismatch + ".", nameof(loss));
        Model = model;
        Optimizer = optimizer;
        Loss = loss;
        _targetLength = loss.TargetLength(model.OutputLength, model.OutputUnits);
        _predictionsPerSample = loss.PredictionCount(model.OutputLength, model.OutputUnits);
        _batchInputs = new float[model.MaxBatchSize * model.InputLength];
        _batchTargets = new float[model.MaxBatchSize * _targetLength];
        _batchLengths = new int[model.MaxBatchSize];
        _outputGradients = new float[model.MaxBatchSize * model.OutputLength];
        optimizer.Initialize(model.Parameters.Length);
        _context = new TrainingContext(model, optimizer, History);
    }

    /// <summary>The model being trained.</summary>
    public TModel Model { get; }

    /// <summary>The optimizer that updates <see cref="ISequenceModel.Parameters"/>.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The loss minimised.</summary>
    public Loss Loss { get; }

    /// <summary>The per-epoch figures of the last <see cref="Fit"/>, as Keras' <c>model.history</c>; each Fit starts it afresh.</summary>
    public TrainingHistory History { get; } = new();

    /// <summary>
    /// When set, records every training batch's gradient flow (<see cref="Diagnostics.GradientFlowRecorder.Record()"/>, right after
    /// its Backward): per-timestep norms of each recurrent layer's d loss / d h_t, and each layer's parameter gradient norm.
    /// Null by default, which costs nothing; set, it allocates nothing per batch. The recorder must be of <see cref="Model"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The recorder reads another model.</exception>
    public Diagnostics.GradientFlowRecorder? GradientFlow
    {
        get => _gradientFlow;
        set
        {
            if (value is not null && !ReferenceEquals(value.Model, Model))
                throw new ArgumentException($"The gradient-flow recorder reads {value.Label}, not this trainer's model: make it with new GradientFlowRecorder(trainer.Model).", nameof(value));
            _gradientFlow = value;
        }
    }

    /// <summary>Where <see cref="Fit"/> writes its own progress when given no <c>onEpochEnd</c>; null (the default): the console, afresh at each Fit.</summary>
    internal FitProgress? Progress { get; set; }

    /// <summary>
    /// The most threads (this one included) that run the shards of a batch; by default <see cref="Environment.ProcessorCount"/>.
    /// Every degree gives the same bits: the shards and the order of their sums do not depend on it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        set => _maxDegreeOfParallelism = Models.ModelArguments.CheckDegree(value);
    }

    /// <summary>
    /// Stateful training (Keras <c>stateful=True</c>, truncated backpropagation through time): each training batch starts from the
    /// final recurrent states of the batch before, sample b continuing sample b, so that consecutive chunks of long series (see
    /// <see cref="TimeSeries.StatefulWindows"/>) train a model to carry its state past one window, as a stream or
    /// <c>Generate</c> will run it; the gradient stops at each batch's start. The batches must keep their size until
    /// <see cref="ResetStates"/>; <see cref="Fit"/> needs <c>shuffle: false</c> and a batch size that divides the training
    /// samples, resets the states at each epoch's start, and validates from zero states. A batch of more than 32 sequences runs
    /// in shards as any other, each shard from its sequences' carried states. Setting it resets the states.
    /// </summary>
    public bool Stateful
    {
        get => _stateful;
        set
        {
            if (value && _states.Length == 0)
                _states = new float[Model.MaxBatchSize * Model.StreamStateLength];
            _stateful = value;
            ResetStates();
        }
    }

    /// <summary>Forgets the carried states of <see cref="Stateful"/> training: the next batch starts from zeros, and may change size.</summary>
    public void ResetStates() => _statesBatch = 0;

    /// <summary>The initial states of a stateful batch: the last batch's final states, or zeros (empty) at the start.</summary>
    private ReadOnlySpan<float> CarriedStates(int batchSize)
    {
        if (_statesBatch == 0)
            return default;
        if (_statesBatch != batchSize)
        {
            throw new InvalidOperationException(
                $"A stateful trainer carries the states of {_statesBatch} sequences, but this batch has {batchSize}: keep the batch size, or call ResetStates() first.");
        }
        return _states.AsSpan(0, batchSize * Model.StreamStateLength);
    }

    /// <summary>d loss / d inputs <c>[B, T, F]</c> of the last <see cref="TrainBatch(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/>, every shard's rows (empty for a token model).</summary>
    public ReadOnlySpan<float> InputGradients => _sharded ? _shards!.InputGradients : Model.InputGradients;

    /// <summary>Floats of target per sample this loss expects from this model.</summary>
    public int TargetLength => _targetLength;

    /// <summary>
    /// One optimisation step on a batch: forward, loss, backward, update. Inputs <c>[B, T, F]</c>;
    /// targets <c>[B, TargetLength]</c>. Returns the batch's mean loss before the update;
    /// <see cref="InputGradients"/> then hold d loss / d inputs.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss or a gradient is NaN or infinite; the parameters and the
    /// optimizer's state are left unchanged.</exception>
    public float TrainBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize)
    {
        if (!TryTrainBatch(inputs, default, targets, batchSize, forFit: false, out float loss, out _, out _, out int nonFiniteGradient))
            throw Diverged(epoch: null, batch: null, loss, nonFiniteGradient);
        return loss;
    }

    /// <summary>
    /// Forward, loss, backward and, when the loss and every gradient are finite, the update. Otherwise it returns false with
    /// nothing updated, and <paramref name="nonFiniteGradient"/> is the index of the first non-finite gradient, or -1 when the
    /// loss was not finite. For <see cref="Fit"/> it also measures the batch (correct predictions or absolute errors) and
    /// skips the input gradients, which nobody reads there.
    /// </summary>
    private bool TryTrainBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<int> lengths, ReadOnlySpan<float> targets, int batchSize, bool forFit,
                               out float loss, out int correct, out double absoluteErrors, out int nonFiniteGradient)
    {
        CheckTargets(targets, batchSize);
        Forward(inputs, lengths, batchSize, training: true);
        return TryUpdate(targets, batchSize, forFit, out loss, out correct, out absoluteErrors, out nonFiniteGradient);
    }

    /// <summary>
    /// One optimisation step on sequences padded at the end, sample b having <c>lengths[b]</c> real steps (PyTorch's packed
    /// sequences): the model runs them as <see cref="ISequenceModel.Forward(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/> does,
    /// and a loss on every step's outputs is the mean over the real steps only (targets past a sequence's end are not read).
    /// </summary>
    /// <exception cref="TrainingDivergedException">As for <see cref="TrainBatch(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/>.</exception>
    public float TrainBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<int> lengths, ReadOnlySpan<float> targets, int batchSize)
    {
        if (!TryTrainBatch(inputs, lengths, targets, batchSize, forFit: false, out float loss, out _, out _, out int nonFiniteGradient))
            throw Diverged(epoch: null, batch: null, loss, nonFiniteGradient);
        return loss;
    }

    /// <summary>
    /// One optimisation step on a batch of token sequences <c>[B, T]</c>, for a model whose first layer is an Embedding
    /// (an <see cref="ITokenSequenceModel"/>); as <see cref="TrainBatch(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/>
    /// otherwise. An id out of range throws <see cref="ArgumentOutOfRangeException"/> before anything changes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model reads floats, not token ids.</exception>
    public float TrainBatch(ReadOnlySpan<int> tokens, ReadOnlySpan<float> targets, int batchSize)
    {
        if (Model is not ITokenSequenceModel tokenModel)
            throw new InvalidOperationException($"{typeof(TModel).Name} reads floats, not token ids: its first layer is not an Embedding.");
        CheckTargets(targets, batchSize);
        ReadOnlySpan<float> carried = _stateful ? CarriedStates(batchSize) : default;
        if (BatchShards.Count(batchSize) == 1)
        {
            _sharded = false;
            tokenModel.Forward(tokens, carried, batchSize, training: true);
        }
        else
        {
            Models.ModelArguments.CheckLength(tokens.Length, batchSize, Model.InputLength, nameof(tokens));
            RunShards(tokens, lengths: null, carried.IsEmpty ? null : _states, batchSize, training: true);
        }
        if (!TryUpdate(targets, batchSize, forFit: false, out float loss, out _, out _, out int nonFiniteGradient))
            throw Diverged(epoch: null, batch: null, loss, nonFiniteGradient);
        return loss;
    }

    /// <summary>
    /// The model's forward pass on a batch: in the model alone, or, for more than one shard, in shards (the inputs and lengths
    /// then copied into the trainer's buffers, where the shards read them). A stateful training batch starts from the carried states.
    /// </summary>
    private void Forward(ReadOnlySpan<float> inputs, ReadOnlySpan<int> lengths, int batchSize, bool training)
    {
        ReadOnlySpan<float> carried = _stateful && training ? CarriedStates(batchSize) : default;
        if (BatchShards.Count(batchSize) == 1)
        {
            _sharded = false;
            Model.Forward(inputs, lengths, carried, batchSize, training);
            return;
        }
        Models.ModelArguments.CheckLength(inputs.Length, batchSize, Model.InputLength, nameof(inputs));
        if (!lengths.IsEmpty)
            Layers.SequenceLengths.Check(lengths, batchSize, Model.Timesteps, nameof(lengths));
        if (!inputs.Overlaps(_batchInputs))
            inputs.CopyTo(_batchInputs);
        if (!lengths.IsEmpty && !lengths.Overlaps(_batchLengths))
            lengths.CopyTo(_batchLengths);
        RunShards(default, lengths.IsEmpty ? null : _batchLengths, carried.IsEmpty ? null : _states, batchSize, training);
    }

    /// <summary>
    /// The shards' forward passes on the trainer's batch buffers (or <paramref name="tokens"/>). A shard's model checks only its
    /// rows and would name a sample by its place in the shard: when one refuses its inputs, the model alone runs the whole
    /// batch to throw the exception that names it by its place in the batch.
    /// </summary>
    private void RunShards(ReadOnlySpan<int> tokens, int[]? lengths, float[]? initialStates, int batchSize, bool training)
    {
        _shards ??= new BatchShards(Model);
        _sharded = true;
        try
        {
            _shards.Forward(_batchInputs, tokens, lengths, initialStates, batchSize, _maxDegreeOfParallelism, training);
        }
        catch (ArgumentException)
        {
            _sharded = false;
            if (!tokens.IsEmpty && Model is ITokenSequenceModel tokenModel)
                tokenModel.Forward(tokens, batchSize);
            else
                Model.Forward(_batchInputs.AsSpan(0, batchSize * Model.InputLength), lengths, batchSize);
            throw;
        }
    }

    /// <summary>The outputs of the last forward pass.</summary>
    private ReadOnlySpan<float> Outputs => _sharded ? _shards!.Outputs : Model.Outputs;

    /// <summary>The final layer's pre-activations of the last forward pass.</summary>
    private ReadOnlySpan<float> Logits => _sharded ? _shards!.Logits : Model.Logits;

    /// <summary>The lengths of the last forward pass's sequences; empty when every one was full.</summary>
    private ReadOnlySpan<int> Lengths => _sharded ? _shards!.Lengths : Model.Lengths;

    /// <summary>The loss, backward and update that follow a batch's Forward (see <see cref="TryTrainBatch"/>).</summary>
    private bool TryUpdate(ReadOnlySpan<float> targets, int batchSize, bool forFit, out float loss, out int correct, out double absoluteErrors, out int nonFiniteGradient)
    {
        Span<float> outputGradients = _outputGradients.AsSpan(0, batchSize * Model.OutputLength);
        bool withRespectToLogits;
        if (!MasksPadding)
        {
            loss = Loss.Compute(Outputs, Logits, targets, Model.OutputUnits, Model.OutputActivation, outputGradients, out withRespectToLogits);
            correct = forFit && Loss.IsClassification ? Loss.CountCorrect(Outputs, targets, Model.OutputUnits) : 0;
            absoluteErrors = forFit && !Loss.IsClassification ? MeanAbsoluteErrorLoss.SumOfAbsoluteErrors(Outputs, targets) : 0;
        }
        else
            loss = MaskedLoss(targets, Lengths, measure: forFit, outputGradients, out withRespectToLogits, out correct, out absoluteErrors);
        nonFiniteGradient = -1;
        if (!float.IsFinite(loss))
            return false;

        if (_sharded)
        {
            _shards!.Backward(_outputGradients, withRespectToLogits, computeInputGradients: !forFit, _maxDegreeOfParallelism);
            _gradientFlow?.Record(_shards.Models);
        }
        else
        {
            Model.Gradients.Clear();
            Model.Backward(outputGradients, batchSize, withRespectToLogits, computeInputGradients: !forFit);
            _gradientFlow?.Record();
        }
        nonFiniteGradient = GuardedStep.TryApply(Optimizer, Model.Parameters, Model.Gradients);
        if (nonFiniteGradient >= 0)
            return false;
        if (_stateful)
        {
            if (_sharded)
                _shards!.CopyFinalStates(_states);
            else
                Model.FinalStates.CopyTo(_states);
            _statesBatch = batchSize;
        }
        return true;
    }

    /// <summary>
    /// The loss of per-step outputs over the real steps of sequences of <paramref name="lengths"/>: each sample's loss over its
    /// own steps, weighted by its share of all real steps (every loss is a mean in proportion to its steps), so the result is
    /// the mean over the real steps; the gradient is zero past each sequence's end, and the metrics count real steps only.
    /// </summary>
    private float MaskedLoss(ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths, bool measure, Span<float> outputGradients,
                             out bool withRespectToLogits, out int correct, out double absoluteErrors)
    {
        int steps = Model.Timesteps, units = Model.OutputUnits, targetsPerStep = _targetLength / steps;
        long realSteps = Layers.SequenceLengths.RealSteps(lengths);
        outputGradients.Clear();
        double loss = 0;
        correct = 0;
        absoluteErrors = 0;
        withRespectToLogits = false;
        for (int b = 0; b < lengths.Length; b++)
        {
            int L = lengths[b];
            ReadOnlySpan<float> outputs = Outputs.Slice(b * Model.OutputLength, L * units);
            ReadOnlySpan<float> logits = Logits.Slice(b * Model.OutputLength, L * units);
            ReadOnlySpan<float> sampleTargets = targets.Slice(b * _targetLength, L * targetsPerStep);
            Span<float> gradients = outputGradients.Slice(b * Model.OutputLength, L * units);
            float share = (float)L / realSteps;
            loss += (double)Loss.Compute(outputs, logits, sampleTargets, units, Model.OutputActivation, gradients, out withRespectToLogits) * share;
            TensorPrimitives.Multiply(gradients, share, gradients);
            if (measure && Loss.IsClassification)
                correct += Loss.CountCorrect(outputs, sampleTargets, units);
            else if (measure)
                absoluteErrors += MeanAbsoluteErrorLoss.SumOfAbsoluteErrors(outputs, sampleTargets);
        }
        return (float)loss;
    }

    /// <summary>Mean loss (and, for classification, accuracy) of the model on a whole dataset, in batches; no update.</summary>
    public (float Loss, float? Accuracy) Evaluate(SequenceDataset data, int batchSize = 32)
    {
        CheckDataset(data, batchSize);
        (float loss, float? accuracy, _) = Evaluate(data, 0, data.Count, batchSize);
        return (loss, accuracy);
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over <paramref name="data"/> in shuffled mini-batches
    /// (seeded), holding out the last <paramref name="validationSplit"/> of the samples for validation
    /// as Keras does. After each epoch, <paramref name="onEpochEnd"/> receives the figures; without one,
    /// Fit writes Keras-like progress to the console: on a terminal, a bar with an ETA redrawn in place as the
    /// batches run, then each epoch's line; when the output is redirected (a file, CI), each epoch's line only.
    /// Returns <see cref="History"/>. Once the trainer has run one Fit of this size, further ones allocate nothing
    /// on the managed heap (but for the string of each epoch's line that Fit's own progress writes).
    /// </summary>
    /// <param name="data">The samples; the last <paramref name="validationSplit"/> of them validate.</param>
    /// <param name="epochs">Passes over the training samples, at least 1.</param>
    /// <param name="batchSize">Samples per update, from 1 to the model's MaxBatchSize; the last batch may be smaller.</param>
    /// <param name="validationSplit">Fraction of the samples, in [0, 1), held out from the end for validation.</param>
    /// <param name="shuffle">Whether each epoch visits the training samples in a new seeded order.</param>
    /// <param name="seed">Seed of the shuffling and of the dropout masks (<see cref="ISequenceModel.ResetDropout"/>): the same seed, model and data give the same bits.</param>
    /// <param name="onEpochEnd">Receives each epoch's figures; null writes progress to the console.</param>
    /// <param name="skipNonFiniteBatches">
    /// When false (the default), a batch whose loss or gradient is not finite stops the Fit with a <see cref="TrainingDivergedException"/>
    /// naming the epoch and batch, the parameters being the last good ones. When true, such a batch is left out (nothing is updated)
    /// and counted in <see cref="EpochResult.SkippedBatches"/>.
    /// </param>
    /// <param name="callbacks">
    /// Called at the start and end of the training and of each epoch, in order (Keras callbacks: <see cref="EarlyStopping"/>,
    /// <see cref="ReduceLROnPlateau"/>, <see cref="LearningRateScheduler"/>, or your own); one may stop the training through
    /// <see cref="TrainingContext.StopTraining"/>.
    /// </param>
    /// <param name="cancellationToken">
    /// Checked before each batch: cancelling stops the Fit with an <see cref="OperationCanceledException"/> between two batches, the
    /// parameters and the optimizer's state being those after the last finished batch, and <see cref="History"/> holding the finished epochs.
    /// </param>
    /// <param name="initialEpoch">
    /// Epochs already done (Keras <c>initial_epoch</c>): the Fit runs epochs <c>initialEpoch + 1</c> to <paramref name="epochs"/>,
    /// shuffling each as a Fit from the start would, so that a training resumed from <see cref="LoadCheckpoint"/> with the same seed
    /// ends with the same bits as one that never stopped.
    /// </param>
    /// <exception cref="TrainingDivergedException">A batch's loss or gradient was not finite, without <paramref name="skipNonFiniteBatches"/>.</exception>
    public TrainingHistory Fit(
        SequenceDataset data,
        int epochs,
        int batchSize = 32,
        float validationSplit = 0f,
        bool shuffle = true,
        int seed = 0,
        Action<EpochResult>? onEpochEnd = null,
        bool skipNonFiniteBatches = false,
        IEnumerable<Callback>? callbacks = null,
        CancellationToken cancellationToken = default,
        int initialEpoch = 0)
    {
        CheckDataset(data, batchSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        if (initialEpoch < 0 || initialEpoch >= epochs)
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch, $"initialEpoch must be in [0, epochs) = [0, {epochs}).");
        if (!(validationSplit >= 0f && validationSplit < 1f))
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "validationSplit must be in [0, 1).");

        // The last samples are held out as SequenceDataset.SplitLast does: 0.2f of 990 holds out 198, not 199.
        int trainCount = SequenceDataset.TrainCount(data.Count, validationSplit);
        int validationCount = data.Count - trainCount;
        if (trainCount < 1)
            throw new ArgumentException($"validationSplit {validationSplit} leaves no training samples out of {data.Count}.", nameof(validationSplit));
        if (_stateful && shuffle)
            throw new ArgumentException("A stateful Fit keeps the samples in order, each batch continuing the one before: pass shuffle: false.", nameof(shuffle));
        if (_stateful && trainCount % batchSize != 0)
        {
            throw new ArgumentException(
                $"A stateful Fit needs batches of one size: {trainCount} training samples are not a whole number of batches of {batchSize}.", nameof(batchSize));
        }
        SetCallbacks(callbacks);

        FitProgress? progress = onEpochEnd is null ? Progress ?? FitProgress.ForConsole() : null;
        int batches = (trainCount + batchSize - 1) / batchSize;
        History.Restart(epochs - initialEpoch);
        _context.StopTraining = false;
        if (_order.Length < trainCount)
            _order = new int[trainCount];
        Span<int> order = _order.AsSpan(0, trainCount);
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        var random = new SeededShuffle(seed);
        for (int epoch = 1; epoch <= initialEpoch && shuffle; epoch++)
            random.Shuffle(order);
        // Each training batch is a pass of the dropout masks: a resumed Fit goes on with the masks of the batches it resumes.
        Model.ResetDropout(seed, (long)initialEpoch * batches);
        if (BatchShards.Count(batchSize) > 1)
        {
            _shards ??= new BatchShards(Model);
            _shards.ResetDropout(seed, (long)initialEpoch * batches);
        }

        foreach (Callback callback in _callbacks)
            callback.OnTrainBegin(_context);
        for (int epoch = initialEpoch + 1; epoch <= epochs && !_context.StopTraining; epoch++)
        {
            foreach (Callback callback in _callbacks)
                callback.OnEpochBegin(epoch, _context);
            ResetStates();
            long start = Stopwatch.GetTimestamp();
            float learningRate = Optimizer.LearningRate;
            if (shuffle)
                random.Shuffle(order);

            double lossSum = 0, absoluteErrors = 0, measured = 0;
            long correct = 0;
            int skipped = 0;
            for (int first = 0, batch = 0; first < trainCount; first += batchSize, batch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(batchSize, trainCount - first);
                data.CopySamples(order.Slice(first, count), _batchInputs, _batchTargets, _batchLengths);
                ReadOnlySpan<int> lengths = data.Lengths is null ? default : _batchLengths.AsSpan(0, count);
                if (TryTrainBatch(_batchInputs.AsSpan(0, count * Model.InputLength), lengths, _batchTargets.AsSpan(0, count * _targetLength), count, forFit: true,
                    out float loss, out int batchCorrect, out double batchAbsoluteErrors, out int nonFiniteGradient))
                {
                    double batchMeasured = MeasuredSamples(count);
                    lossSum += loss * batchMeasured;
                    correct += batchCorrect;
                    absoluteErrors += batchAbsoluteErrors;
                    measured += batchMeasured;
                }
                else if (skipNonFiniteBatches)
                {
                    skipped++;
                }
                else
                {
                    throw Diverged(epoch, batch, loss, nonFiniteGradient);
                }
                progress?.BatchEnd(epoch, epochs, batch + 1, batches, (float)(lossSum / measured), Stopwatch.GetElapsedTime(start));
            }

            float? validationLoss = null, validationAccuracy = null, validationMeanAbsoluteError = null;
            if (validationCount > 0)
                (validationLoss, validationAccuracy, validationMeanAbsoluteError) = Evaluate(data, trainCount, validationCount, batchSize);

            // With every batch skipped, 0 / 0 makes the training figures NaN.
            var result = new EpochResult(
                epoch,
                epochs,
                (float)(lossSum / measured),
                validationLoss,
                Loss.IsClassification ? (float)(correct / (measured * _predictionsPerSample)) : null,
                validationAccuracy,
                Stopwatch.GetElapsedTime(start))
            {
                MeanAbsoluteError = Loss.IsClassification ? null : (float)(absoluteErrors / (measured * Model.OutputLength)),
                ValidationMeanAbsoluteError = validationMeanAbsoluteError,
                LearningRate = learningRate,
                SkippedBatches = skipped,
            };
            History.Add(result);
            if (progress is not null)
                progress.EpochEnd(result);
            else
                onEpochEnd!(result);
            foreach (Callback callback in _callbacks)
                callback.OnEpochEnd(result, _context);
        }
        foreach (Callback callback in _callbacks)
            callback.OnTrainEnd(_context);
        return History;
    }

    /// <summary>
    /// Saves the model's weights and the optimizer's state (<see cref="Optimizer.Iterations"/>, its moments or momentum, the
    /// learning rate) after <paramref name="epoch"/> epochs, crash-safely; <see cref="ModelCheckpoint"/> does this after each epoch of a Fit.
    /// The file is a safetensors weight file with the optimizer's tensors beside the model's.
    /// </summary>
    public void SaveCheckpoint(string path, int epoch) => TrainingCheckpoint.Save(path, Model, Optimizer, epoch);

    /// <summary>
    /// Restores the weights and the optimizer's state that <see cref="SaveCheckpoint"/> or <see cref="ModelCheckpoint"/> saved, and
    /// returns the epochs done then: pass it to <see cref="Fit"/> as <c>initialEpoch</c> to resume.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this model with this kind of optimizer, or is damaged;
    /// the model and the optimizer are left unchanged.</exception>
    public int LoadCheckpoint(string path) => TrainingCheckpoint.Load(path, Model, Optimizer);

    private (float Loss, float? Accuracy, float? MeanAbsoluteError) Evaluate(SequenceDataset data, int first, int count, int batchSize)
    {
        double lossSum = 0, absoluteErrors = 0, measured = 0;
        long correct = 0;
        for (int offset = 0; offset < count; offset += batchSize)
        {
            int batch = Math.Min(batchSize, count - offset);
            int sample = first + offset;
            ReadOnlySpan<float> targets = data.Targets.AsSpan(sample * _targetLength, batch * _targetLength);
            ReadOnlySpan<int> lengths = data.Lengths is null ? default : data.Lengths.AsSpan(sample, batch);
            Forward(data.Inputs.AsSpan(sample * Model.InputLength, batch * Model.InputLength), lengths, batch, training: false);
            double batchMeasured = MeasuredSamples(batch);
            if (batchMeasured != batch)
            {
                // Per-step outputs of sequences with padding: the mean over real steps (its gradients are not used).
                lossSum += MaskedLoss(targets, Lengths, measure: true, _outputGradients.AsSpan(0, batch * Model.OutputLength), out _, out int batchCorrect, out double batchErrors) * batchMeasured;
                correct += batchCorrect;
                absoluteErrors += batchErrors;
            }
            else
            {
                lossSum += (double)Loss.Evaluate(Outputs, Logits, targets, Model.OutputUnits, Model.OutputActivation) * batch;
                if (Loss.IsClassification)
                    correct += Loss.CountCorrect(Outputs, targets, Model.OutputUnits);
                else
                    absoluteErrors += MeanAbsoluteErrorLoss.SumOfAbsoluteErrors(Outputs, targets);
            }
            measured += batchMeasured;
        }
        return Loss.IsClassification
            ? ((float)(lossSum / measured), (float)(correct / (measured * _predictionsPerSample)), null)
            : ((float)(lossSum / measured), null, (float)(absoluteErrors / (measured * Model.OutputLength)));
    }

    /// <summary>
    /// How many samples' worth of outputs the last Forward's <paramref name="count"/> samples measure: all of them, or, for
    /// per-step outputs of sequences with padding, their real steps over <c>Timesteps</c>.
    /// </summary>
    private double MeasuredSamples(int count)
    {
        if (!MasksPadding)
            return count;
        return (double)Layers.SequenceLengths.RealSteps(Lengths) / Model.Timesteps;
    }

    /// <summary>Whether the last Forward's outputs have steps to leave out: per-step outputs of sequences with padding.</summary>
    private bool MasksPadding => !Lengths.IsEmpty && Model.OutputLength != Model.OutputUnits;

    /// <summary>Copies the callbacks into a list the epochs walk without allocating (and, from an array or list, without an enumerator).</summary>
    private void SetCallbacks(IEnumerable<Callback>? callbacks)
    {
        _callbacks.Clear();
        if (callbacks is IList<Callback> list)
        {
            for (int i = 0; i < list.Count; i++)
                AddCallback(list[i]);
        }
        else if (callbacks is not null)
        {
            foreach (Callback callback in callbacks)
                AddCallback(callback);
        }
    }

    private void AddCallback(Callback callback)
    {
        if (callback is null)
            throw new ArgumentException($"callbacks[{_callbacks.Count}] is null.", "callbacks");
        _callbacks.Add(callback);
    }

    private TrainingDivergedException Diverged(int? epoch, int? batch, float loss, int nonFiniteGradient) =>
        new(epoch, batch, loss, nonFiniteGradient, nonFiniteGradient < 0 ? float.NaN : Model.Gradients[nonFiniteGradient]);

    private void CheckTargets(ReadOnlySpan<float> targets, int batchSize)
    {
        Models.ModelArguments.CheckBatch(batchSize, Model.MaxBatchSize);
        if (targets.Length != (long)batchSize * _targetLength)
        {
            throw new ArgumentException(
                $"targets must hold {(long)batchSize * _targetLength} floats ({batchSize} x {_targetLength} per sample for {Loss.Name}) for batchSize {batchSize}, but holds {targets.Length}.",
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
