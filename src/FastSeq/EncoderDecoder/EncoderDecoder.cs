using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// Turns one sequence into another of another length (Keras' encoder-decoder with <c>return_state</c> and <c>initial_state</c>):
/// the encoder reads the source, and its final recurrent states are the decoder's initial states. Training is teacher-forced:
/// the decoder reads the target shifted by one step (a start token or value first) and learns to predict each next step, and
/// the gradient of the loss flows from the decoder into the encoder through the states. Inference decodes greedily, feeding
/// each step's most probable token back in, allocation-free after a thread's first call.
/// </summary>
/// <typeparam name="TEncoder">A generated model; its recurrent states hand over as they are, so its <c>StreamStateLength</c>
/// must equal the decoder's (the same recurrent kinds and units, layer for layer: an <c>[Lstm(128)]</c> encoder for an
/// <c>[Lstm(128, ReturnSequences = true)]</c> decoder).</typeparam>
/// <typeparam name="TDecoder">A generated model whose outputs are per step (its last recurrent layer returns sequences).</typeparam>
/// <remarks>
/// The two models keep their own parameters; the optimizer updates both as one buffer (the encoder's, then the decoder's), so
/// its state, its clipping by global norm and <see cref="Optimizer.Iterations"/> span both. Training members are not for
/// concurrent use; <see cref="Decode"/> may run on many threads at once, as the models' Predict and Step do.
/// </remarks>
public sealed class EncoderDecoder<TEncoder, TDecoder>
    where TEncoder : ISequenceModel
    where TDecoder : ISequenceModel
{
    [ThreadStatic]
    private static DecodeBuffers? t_decodeBuffers;

    private readonly int _stateLength;
    private readonly float[] _parameters;
    private readonly float[] _gradients;
    private readonly float[] _decoderOutputGradients;
    private readonly float[] _encoderOutputGradients;

    /// <summary>Binds an encoder, a decoder, an optimizer (sized here for both models' parameters) and the decoder's loss.</summary>
    /// <exception cref="ArgumentException">The models' states do not hand over (different <c>StreamStateLength</c>, or none), the decoder's
    /// outputs are not per step, or the loss does not fit the decoder's output activation.</exception>
    public EncoderDecoder(TEncoder encoder, TDecoder decoder, Optimizer optimizer, Loss loss)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        if (encoder.StreamStateLength < 1 || encoder.StreamStateLength != decoder.StreamStateLength)
        {
            throw new ArgumentException(
                $"The encoder {typeof(TEncoder).Name} carries {encoder.StreamStateLength} floats of recurrent state per sequence and the decoder {typeof(TDecoder).Name} {decoder.StreamStateLength}; " +
                "the states hand over as they are, so both need the same recurrent layers (kinds and units, in order).", nameof(decoder));
        }
        if (decoder.OutputLength != decoder.Timesteps * decoder.OutputUnits)
            throw new ArgumentException($"The decoder {typeof(TDecoder).Name} gives one output per sequence; a decoder predicts every step (ReturnSequences = true on its last recurrent layer).", nameof(decoder));
        if (loss.OutputActivationMismatch(decoder.OutputActivation) is string mismatch)
            throw new ArgumentException(mismatch + ".", nameof(loss));

        Encoder = encoder;
        Decoder = decoder;
        Optimizer = optimizer;
        Loss = loss;
        TargetLength = loss.TargetLength(decoder.OutputLength, decoder.OutputUnits);
        _stateLength = encoder.StreamStateLength;
        int encoderCount = encoder.Parameters.Length;
        _parameters = new float[encoderCount + decoder.Parameters.Length];
        _gradients = new float[_parameters.Length];
        _decoderOutputGradients = new float[decoder.MaxBatchSize * decoder.OutputLength];
        _encoderOutputGradients = new float[encoder.MaxBatchSize * encoder.OutputLength];
        optimizer.Initialize(_parameters.Length);
    }

    /// <summary>The model that reads the source.</summary>
    public TEncoder Encoder { get; }

    /// <summary>The model that writes the target, from the encoder's final states.</summary>
    public TDecoder Decoder { get; }

    /// <summary>Updates both models' parameters as one buffer, the encoder's first.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The decoder's loss, over every step of its outputs.</summary>
    public Loss Loss { get; }

    /// <summary>Floats of target per sample: the loss's for the decoder's outputs (one class id per step for sparse categorical cross-entropy).</summary>
    public int TargetLength { get; }

    /// <summary>
    /// One teacher-forced optimisation step on float sequences: the encoder reads <paramref name="sources"/> <c>[B, encoder T, F]</c>,
    /// the decoder reads <paramref name="decoderInputs"/> <c>[B, decoder T, F]</c> (the target shifted by one step) from the
    /// encoder's final states, and the loss compares its outputs with <paramref name="targets"/> <c>[B, TargetLength]</c>.
    /// Returns the batch's mean loss before the update.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss or a gradient is NaN or infinite; nothing is updated.</exception>
    public float TrainBatch(ReadOnlySpan<float> sources, ReadOnlySpan<float> decoderInputs, ReadOnlySpan<float> targets, int batchSize)
    {
        CheckBatch(targets, batchSize);
        Forward(sources, decoderInputs, batchSize, training: true);
        return Update(targets, batchSize);
    }

    /// <summary>
    /// <see cref="TrainBatch(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/> for models that read token ids
    /// (first layer an Embedding): <paramref name="sources"/> <c>[B, encoder T]</c> (with <c>MaskZero</c>, padded at the end with id 0),
    /// <paramref name="decoderInputs"/> <c>[B, decoder T]</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A model reads floats, not token ids.</exception>
    /// <exception cref="TrainingDivergedException">The loss or a gradient is NaN or infinite; nothing is updated.</exception>
    public float TrainBatch(ReadOnlySpan<int> sources, ReadOnlySpan<int> decoderInputs, ReadOnlySpan<float> targets, int batchSize)
    {
        CheckBatch(targets, batchSize);
        Forward(sources, decoderInputs, batchSize, training: true);
        return Update(targets, batchSize);
    }

    /// <summary>The mean loss of a batch of float sequences, teacher-forced as in training; nothing is updated.</summary>
    public float Evaluate(ReadOnlySpan<float> sources, ReadOnlySpan<float> decoderInputs, ReadOnlySpan<float> targets, int batchSize)
    {
        CheckBatch(targets, batchSize);
        Forward(sources, decoderInputs, batchSize, training: false);
        return Loss.Evaluate(Decoder.Outputs, Decoder.Logits, targets, Decoder.OutputUnits, Decoder.OutputActivation);
    }

    /// <summary>The mean loss of a batch of token sequences, teacher-forced as in training; nothing is updated.</summary>
    public float Evaluate(ReadOnlySpan<int> sources, ReadOnlySpan<int> decoderInputs, ReadOnlySpan<float> targets, int batchSize)
    {
        CheckBatch(targets, batchSize);
        Forward(sources, decoderInputs, batchSize, training: false);
        return Loss.Evaluate(Decoder.Outputs, Decoder.Logits, targets, Decoder.OutputUnits, Decoder.OutputActivation);
    }

    /// <summary>
    /// Greedy decoding: the encoder reads each source, then the decoder, from its final states, starts from
    /// <paramref name="startToken"/> and feeds back its most probable token at each step, <paramref name="outputs"/> <c>[B, N]</c>
    /// receiving the N tokens it writes (N need not be the decoder's Timesteps). Any number of sources; safe to call from many
    /// threads at once; allocation-free after a thread's first call of this size.
    /// </summary>
    /// <param name="sources">Token ids <c>[B, encoder T]</c>.</param>
    /// <param name="startToken">The id the decoder reads first, as in training.</param>
    /// <param name="outputs">The decoded ids <c>[B, N]</c>.</param>
    /// <param name="batchSize">B.</param>
    public void Decode(ReadOnlySpan<int> sources, int startToken, Span<int> outputs, int batchSize)
    {
        ITokenSequenceModel encoder = TokenModel(Encoder, "encoder");
        ITokenSequenceModel decoder = TokenModel(Decoder, "decoder");
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(startToken);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(startToken, decoder.VocabularySize);
        if (outputs.Length == 0 || outputs.Length % batchSize != 0)
            throw new ArgumentException($"outputs has {outputs.Length} ids; expected a positive multiple of batchSize {batchSize}, N ids per source.", nameof(outputs));
        int steps = outputs.Length / batchSize, units = decoder.OutputUnits;

        DecodeBuffers buffers = DecodeBuffers.For(ref t_decodeBuffers, batchSize, _stateLength, encoder.OutputLength, units);
        Span<float> states = buffers.States.AsSpan(0, batchSize * _stateLength);
        Span<float> probabilities = buffers.Outputs.AsSpan(0, batchSize * units);
        Span<int> tokens = buffers.Tokens.AsSpan(0, batchSize);
        states.Clear();
        encoder.Predict(sources, buffers.EncoderOutputs.AsSpan(0, batchSize * encoder.OutputLength), states, batchSize);
        tokens.Fill(startToken);
        for (int n = 0; n < steps; n++)
        {
            decoder.Step(tokens, probabilities, states, batchSize);
            for (int b = 0; b < batchSize; b++)
            {
                tokens[b] = TensorPrimitives.IndexOfMax(probabilities.Slice(b * units, units));
                outputs[(b * steps) + n] = tokens[b];
            }
        }
    }

    /// <summary>The encoder on float sources, then the decoder from its final states (dropout on when <paramref name="training"/>).</summary>
    private void Forward(ReadOnlySpan<float> sources, ReadOnlySpan<float> decoderInputs, int batchSize, bool training)
    {
        Encoder.Forward(sources, default, default, batchSize, training);
        Decoder.Forward(decoderInputs, default, Encoder.FinalStates, batchSize, training);
    }

    /// <summary>The encoder on token sources, then the decoder from its final states (dropout on when <paramref name="training"/>).</summary>
    private void Forward(ReadOnlySpan<int> sources, ReadOnlySpan<int> decoderInputs, int batchSize, bool training)
    {
        TokenModel(Encoder, "encoder").Forward(sources, default, batchSize, training);
        TokenModel(Decoder, "decoder").Forward(decoderInputs, Encoder.FinalStates, batchSize, training);
    }

    /// <summary>The decoder's loss and both models' backward passes, the decoder's state gradients going into the encoder, then the update.</summary>
    private float Update(ReadOnlySpan<float> targets, int batchSize)
    {
        Span<float> decoderOutputGradients = _decoderOutputGradients.AsSpan(0, batchSize * Decoder.OutputLength);
        float loss = Loss.Compute(Decoder.Outputs, Decoder.Logits, targets, Decoder.OutputUnits, Decoder.OutputActivation, decoderOutputGradients, out bool withRespectToLogits);
        if (!float.IsFinite(loss))
            throw new TrainingDivergedException(epoch: null, batch: null, loss, parameterIndex: -1, float.NaN);

        Encoder.Gradients.Clear();
        Decoder.Gradients.Clear();
        Decoder.Backward(decoderOutputGradients, default, batchSize, withRespectToLogits, computeInputGradients: false);
        // The encoder's own outputs feed nothing: only its final states carry gradient.
        Span<float> encoderOutputGradients = _encoderOutputGradients.AsSpan(0, batchSize * Encoder.OutputLength);
        encoderOutputGradients.Clear();
        Encoder.Backward(encoderOutputGradients, Decoder.InitialStateGradients, batchSize, computeInputGradients: false);

        // One buffer for the optimizer, the encoder's parameters first; the models stay the owners of their weights.
        int split = Encoder.Parameters.Length;
        Encoder.Parameters.CopyTo(_parameters);
        Decoder.Parameters.CopyTo(_parameters.AsSpan(split));
        Encoder.Gradients.CopyTo(_gradients);
        Decoder.Gradients.CopyTo(_gradients.AsSpan(split));
        int nonFinite = GuardedStep.TryApply(Optimizer, _parameters, _gradients);
        if (nonFinite >= 0)
            throw new TrainingDivergedException(epoch: null, batch: null, loss, nonFinite, _gradients[nonFinite]);
        _parameters.AsSpan(0, split).CopyTo(Encoder.Parameters);
        _parameters.AsSpan(split).CopyTo(Decoder.Parameters);
        return loss;
    }

    private void CheckBatch(ReadOnlySpan<float> targets, int batchSize)
    {
        Models.ModelArguments.CheckBatch(batchSize, Math.Min(Encoder.MaxBatchSize, Decoder.MaxBatchSize));
        if (targets.Length != (long)batchSize * TargetLength)
        {
            throw new ArgumentException(
                $"targets must hold {(long)batchSize * TargetLength} floats ({batchSize} x {TargetLength} per sample for {Loss.Name}) for batchSize {batchSize}, but holds {targets.Length}.",
                nameof(targets));
        }
    }

    private static ITokenSequenceModel TokenModel(ISequenceModel model, string role) =>
        model as ITokenSequenceModel ?? throw new InvalidOperationException($"The {role} {model.GetType().Name} reads floats, not token ids: its first layer is not an Embedding.");

    /// <summary>One thread's buffers for <see cref="Decode"/>, grown to the largest batch it has decoded.</summary>
    private sealed class DecodeBuffers
    {
        public float[] States = [];
        public float[] EncoderOutputs = [];
        public float[] Outputs = [];
        public int[] Tokens = [];

        public static DecodeBuffers For(ref DecodeBuffers? buffers, int batchSize, int stateLength, int encoderOutputLength, int units)
        {
            buffers ??= new DecodeBuffers();
            if (buffers.Tokens.Length < batchSize)
            {
                buffers.States = new float[batchSize * stateLength];
                buffers.EncoderOutputs = new float[batchSize * encoderOutputLength];
                buffers.Outputs = new float[batchSize * units];
                buffers.Tokens = new int[batchSize];
            }
            return buffers;
        }
    }
}
