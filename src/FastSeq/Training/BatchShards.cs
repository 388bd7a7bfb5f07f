using System.Numerics.Tensors;
using FastSeq.Models;

namespace FastSeq;

/// <summary>
/// Data parallelism within a batch, deterministic: a batch of more than <see cref="RowsPerShard"/> sequences is cut into
/// <see cref="Count"/> shards of nearly equal rows, a number that depends on the batch size alone. Each shard runs Forward and
/// Backward in a model of its own (the trainer's model for shard 0, replicas on the same parameters for the others), on
/// whichever thread of <see cref="ParallelWorkers"/> takes it; its outputs and input gradients land in its rows of batch-wide
/// buffers, and the shards' parameter gradients are summed in shard order. So any degree of parallelism, 1 included, gives the
/// same bits. A stateful batch's shards start from their sequences' carried states and hand back their final states in the
/// batch's layout. The replicas and buffers are made by the first batch that needs them.
/// </summary>
internal sealed class BatchShards : IParallelWork
{
    /// <summary>A batch of up to this many sequences runs as one shard, in the trainer's model alone.</summary>
    public const int RowsPerShard = 32;
    // Whether the last Forward trained (drew dropout masks).
    private bool _training;

    private readonly ISequenceModel[] _models;
    private readonly float[] _outputs;
    private readonly float[] _logits;
    private readonly int[] _lengths;
    private readonly float[] _inputGradients;
    private readonly int[] _tokens;
    // Each recurrent layer's floats of state per sequence, in the order of the states' layout.
    private readonly int[] _stateLengths;
    // The shards' initial states, each shard's sequences in the layout of a batch of that many: shard k's at first_k * StreamStateLength.
    // Made by the first stateful batch.
    private float[] _shardStates = [];

    // The call in progress: which pass, its batch, and where its shards read.
    private bool _backward;
    private int _batchSize;
    private int _count;
    private float[] _inputs = [];
    // The batch's initial states, or null for zeros.
    private float[]? _initialStates;
    private bool _readsTokens;
    private int[]? _inputLengths;
    private float[] _outputGradients = [];
    private bool _withRespectToLogits;
    private bool _computeInputGradients;
    private int _lengthCount;

    public BatchShards(ISequenceModel model)
    {
        _models = new ISequenceModel[Count(model.MaxBatchSize)];
        _models[0] = model;
        for (int shard = 1; shard < _models.Length; shard++)
            _models[shard] = model.CreateReplica();
        _outputs = new float[model.MaxBatchSize * model.OutputLength];
        _logits = new float[_outputs.Length];
        _lengths = new int[model.MaxBatchSize];
        _inputGradients = model is ITokenSequenceModel ? [] : new float[model.MaxBatchSize * model.InputLength];
        _tokens = model is ITokenSequenceModel ? new int[model.MaxBatchSize * model.InputLength] : [];
        var stateLengths = new List<int>();
        foreach (ModelLayer layer in model.Layers)
        {
            if (layer.StateLength > 0)
                stateLengths.Add(layer.StateLength);
        }
        _stateLengths = [.. stateLengths];
    }

    /// <summary>The shards of a batch: one up to <see cref="RowsPerShard"/> sequences, then one more per further RowsPerShard.</summary>
    public static int Count(int batchSize) => (batchSize + RowsPerShard - 1) / RowsPerShard;

    /// <summary>The outputs of the last <see cref="Forward"/>, every shard's rows in place.</summary>
    public ReadOnlySpan<float> Outputs => _outputs.AsSpan(0, _batchSize * _models[0].OutputLength);

    /// <summary>The final layer's pre-activations of the last <see cref="Forward"/>.</summary>
    public ReadOnlySpan<float> Logits => _logits.AsSpan(0, _batchSize * _models[0].OutputLength);

    /// <summary>The lengths of the last <see cref="Forward"/>'s sequences; empty when every one was full.</summary>
    public ReadOnlySpan<int> Lengths => _lengths.AsSpan(0, _lengthCount);

    /// <summary>d loss / d inputs of the last <see cref="Backward"/> that computed them.</summary>
    public ReadOnlySpan<float> InputGradients => _inputGradients.AsSpan(0, Math.Min(_inputGradients.Length, _batchSize * _models[0].InputLength));

    /// <summary>
    /// Forward over the shards of <paramref name="batchSize"/> sequences held in <paramref name="inputs"/> (float inputs) or
    /// <paramref name="tokens"/> (token ids, copied here), with <paramref name="lengths"/> when not null, from
    /// <paramref name="initialStates"/> (<c>batchSize * StreamStateLength</c> floats in the model's layout) when not null.
    /// </summary>
    public void Forward(float[] inputs, ReadOnlySpan<int> tokens, int[]? lengths, float[]? initialStates, int batchSize, int degree, bool training)
    {
        _training = training;
        ISequenceModel model = _models[0];
        (_backward, _batchSize, _count, _inputs, _inputLengths, _readsTokens) = (false, batchSize, Count(batchSize), inputs, lengths, !tokens.IsEmpty);
        _initialStates = initialStates;
        if (initialStates is not null && _shardStates.Length == 0)
            _shardStates = new float[model.MaxBatchSize * model.StreamStateLength];
        tokens.CopyTo(_tokens);
        for (int shard = 1; shard < _count; shard++)
            _models[shard].CheckInputsFinite = model.CheckInputsFinite;
        ParallelWorkers.Shared.Run(this, _count, degree);
        _lengthCount = model.Lengths.IsEmpty ? 0 : batchSize;
    }

    /// <summary>Backward over the shards of the last <see cref="Forward"/>, then every shard's gradients summed, in shard order, into the trainer's model's.</summary>
    public void Backward(float[] outputGradients, bool withRespectToLogits, bool computeInputGradients, int degree)
    {
        (_backward, _outputGradients, _withRespectToLogits, _computeInputGradients) = (true, outputGradients, withRespectToLogits, computeInputGradients && _inputGradients.Length > 0);
        ParallelWorkers.Shared.Run(this, _count, degree);
        Span<float> gradients = _models[0].Gradients;
        for (int shard = 1; shard < _count; shard++)
            TensorPrimitives.Add(gradients, _models[shard].Gradients, gradients);
    }

    /// <summary>
    /// Restarts every replica's dropout masks for a Fit of <paramref name="seed"/> from training pass <paramref name="pass"/>, as the
    /// trainer's model restarts its own: replica k draws from a seed of its own, so the shards' masks differ, and each shard
    /// draws the same masks whatever thread runs it.
    /// </summary>
    public void ResetDropout(int seed, long pass)
    {
        for (int shard = 1; shard < _models.Length; shard++)
            _models[shard].ResetDropout(unchecked(seed + (shard * -1640531527)), pass);
    }

    /// <summary>Each sequence's final states after the last <see cref="Forward"/>, written to <paramref name="states"/> in the batch's layout.</summary>
    public void CopyFinalStates(Span<float> states)
    {
        for (int shard = 0; shard < _count; shard++)
        {
            (int first, int rows) = Rows(shard);
            MoveStates(_models[shard].FinalStates, rows, 0, states, _batchSize, first, rows);
        }
    }

    /// <summary>
    /// Copies the states of <paramref name="count"/> sequences from <paramref name="source"/>, the states of a batch of
    /// <paramref name="sourceBatch"/> from its sequence <paramref name="sourceFirst"/> on, to <paramref name="destination"/>, a
    /// batch of <paramref name="destinationBatch"/>'s, from <paramref name="destinationFirst"/> on. A batch's states hold each
    /// recurrent layer's <c>[batch, its state length]</c> in turn.
    /// </summary>
    private void MoveStates(ReadOnlySpan<float> source, int sourceBatch, int sourceFirst, Span<float> destination, int destinationBatch, int destinationFirst, int count)
    {
        int sourceLayer = 0, destinationLayer = 0;
        foreach (int length in _stateLengths)
        {
            source.Slice(sourceLayer + (sourceFirst * length), count * length).CopyTo(destination[(destinationLayer + (destinationFirst * length))..]);
            sourceLayer += sourceBatch * length;
            destinationLayer += destinationBatch * length;
        }
    }

    // Shard index's first sequence in the batch and how many it runs.
    private (int First, int Rows) Rows(int index)
    {
        int first = (int)((long)index * _batchSize / _count);
        return (first, (int)((long)(index + 1) * _batchSize / _count) - first);
    }

    /// <summary>The models of the last batch's shards, the trainer's first.</summary>
    public ReadOnlySpan<ISequenceModel> Models => _models.AsSpan(0, _count);

    /// <summary>One shard's pass.</summary>
    public void Run(int index)
    {
        ISequenceModel model = _models[index];
        (int first, int rows) = Rows(index);
        int inputLength = model.InputLength, outputLength = model.OutputLength;
        if (_backward)
        {
            model.Gradients.Clear();
            model.Backward(_outputGradients.AsSpan(first * outputLength, rows * outputLength), rows, _withRespectToLogits, _computeInputGradients);
            if (_computeInputGradients)
                model.InputGradients.CopyTo(_inputGradients.AsSpan(first * inputLength));
            return;
        }
        Span<float> states = default;
        if (_initialStates is not null)
        {
            states = _shardStates.AsSpan(first * model.StreamStateLength, rows * model.StreamStateLength);
            MoveStates(_initialStates, _batchSize, first, states, rows, 0, rows);
        }
        if (_readsTokens)
            ((ITokenSequenceModel)model).Forward(_tokens.AsSpan(first * inputLength, rows * inputLength), states, rows, _training);
        else
            model.Forward(_inputs.AsSpan(first * inputLength, rows * inputLength), _inputLengths is null ? default : _inputLengths.AsSpan(first, rows), states, rows, _training);
        model.Outputs.CopyTo(_outputs.AsSpan(first * outputLength));
        model.Logits.CopyTo(_logits.AsSpan(first * outputLength));
        model.Lengths.CopyTo(_lengths.AsSpan(first));
    }
}
