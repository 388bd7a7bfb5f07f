namespace FastSeq;

/// <summary>
/// A training loss: its mean value over a batch, its gradient, and (for classification) the count
/// of correct predictions. Outputs are batch-major rows of <c>outputUnits</c> values
/// (<c>[B, U]</c> or <c>[B, T, U]</c>); the mean is taken over the whole batch.
/// </summary>
/// <remarks>
/// Where the output activation and the loss cancel (sigmoid with binary cross-entropy, softmax with
/// categorical cross-entropy), <see cref="Compute"/> works from the logits, which is exact and
/// stable, and returns the gradient with respect to the logits.
/// </remarks>
public abstract class Loss
{
    /// <summary>Scratch length, in floats, that loss values are reduced in (on the stack).</summary>
    private protected const int Chunk = 256;

    private protected Loss()
    {
    }

    /// <summary>Mean over all elements of <c>(output - target)²</c>.</summary>
    public static Loss MeanSquaredError { get; } = new MeanSquaredErrorLoss();

    /// <summary>
    /// Binary cross-entropy on probabilities, clamped to <c>[1e-7, 1 - 1e-7]</c> as Keras does; mean over all
    /// elements. With a Sigmoid output it is computed from the logits (Keras does the same).
    /// </summary>
    public static Loss BinaryCrossEntropy { get; } = new BinaryCrossEntropyLoss();

    /// <summary>
    /// Binary cross-entropy on logits (Keras <c>from_logits=True</c>, PyTorch <c>BCEWithLogitsLoss</c>):
    /// <c>max(z, 0) - z·y + log(1 + e^-|z|)</c>, mean over all elements. Use it with a Linear output.
    /// </summary>
    public static Loss BinaryCrossEntropyFromLogits { get; } = new BinaryCrossEntropyFromLogitsLoss();

    /// <summary>Mean over all elements of <c>|output - target|</c> (PyTorch <c>L1Loss</c>).</summary>
    public static Loss MeanAbsoluteError { get; } = new MeanAbsoluteErrorLoss();

    /// <summary>
    /// Huber loss with δ = 1 (PyTorch <c>HuberLoss</c>, Keras <c>Huber</c>): <c>½d²</c> where <c>|d| ≤ 1</c>, else
    /// <c>|d| - ½</c>, for <c>d = output - target</c>; mean over all elements. Quadratic near the target, linear far from it.
    /// </summary>
    public static Loss Huber { get; } = new HuberLoss(delta: 1f);

    /// <summary>
    /// Categorical cross-entropy with integer class labels stored as floats, one label per output row of
    /// <c>outputUnits</c> classes; mean over rows. Use it with a Softmax output: it is computed from the logits,
    /// exactly and stably.
    /// </summary>
    public static Loss SparseCategoricalCrossEntropy { get; } = new SparseCategoricalCrossEntropyLoss(fromLogits: false);

    /// <summary>
    /// <see cref="SparseCategoricalCrossEntropy"/> on logits (Keras <c>from_logits=True</c>, PyTorch <c>CrossEntropyLoss</c>):
    /// the outputs are read as logits. Use it with a Linear output.
    /// </summary>
    public static Loss SparseCategoricalCrossEntropyFromLogits { get; } = new SparseCategoricalCrossEntropyLoss(fromLogits: true);

    /// <summary>
    /// Categorical cross-entropy with one-hot targets (or any probabilities), one row of <c>outputUnits</c> per output
    /// row: <c>-Σ y log p</c>, mean over rows. Use it with a Softmax output: it is computed from the logits, exactly and stably.
    /// </summary>
    public static Loss CategoricalCrossEntropy { get; } = new CategoricalCrossEntropyLoss(fromLogits: false);

    /// <summary>
    /// <see cref="CategoricalCrossEntropy"/> on logits (Keras <c>from_logits=True</c>, PyTorch <c>CrossEntropyLoss</c> with
    /// probability targets): the outputs are read as logits. Use it with a Linear output.
    /// </summary>
    public static Loss CategoricalCrossEntropyFromLogits { get; } = new CategoricalCrossEntropyLoss(fromLogits: true);

    /// <summary>The loss's name, as in <c>Loss.MeanSquaredError</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Whether predictions are classes, so that <see cref="CountCorrect"/> (accuracy) applies.</summary>
    public abstract bool IsClassification { get; }

    /// <summary>
    /// Number of target floats that go with <paramref name="outputLength"/> output floats: the same number,
    /// or one label per row of <paramref name="outputUnits"/> for sparse categorical cross-entropy.
    /// </summary>
    public int TargetLength(int outputLength, int outputUnits)
    {
        ValidateOutputShape(outputLength, outputUnits, nameof(outputLength));
        return TargetLengthCore(outputLength, outputUnits);
    }

    /// <summary>
    /// Returns the mean loss and writes its gradient to <paramref name="gradient"/>: with respect to the
    /// outputs, or, when <paramref name="gradientIsForLogits"/> is set, with respect to the logits
    /// (the output layer's pre-activations), which skips the activation's backward pass.
    /// </summary>
    /// <param name="outputs">The model's outputs, <c>[rows, outputUnits]</c>.</param>
    /// <param name="logits">The output layer's pre-activations, same shape (the outputs themselves when its activation is Linear).</param>
    /// <param name="targets">The targets, <see cref="TargetLength"/> floats.</param>
    /// <param name="outputUnits">Units of the output layer (classes, for sparse categorical cross-entropy).</param>
    /// <param name="outputActivation">The output layer's activation.</param>
    /// <param name="gradient">Receives <c>dL/doutputs</c> or <c>dL/dlogits</c>, same shape as the outputs.</param>
    /// <param name="gradientIsForLogits">Whether <paramref name="gradient"/> holds <c>dL/dlogits</c>.</param>
    public float Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation, Span<float> gradient, out bool gradientIsForLogits)
    {
        ValidateBatch(outputs, logits, targets, outputUnits);
        if (gradient.Length != outputs.Length)
            throw new ArgumentException($"gradient has {gradient.Length} floats; expected {outputs.Length}, as many as outputs.", nameof(gradient));
        return ComputeCore(outputs, logits, targets, outputUnits, outputActivation, gradient, out gradientIsForLogits);
    }

    /// <summary>Returns the mean loss, exactly as <see cref="Compute"/> does, without a gradient.</summary>
    public float Evaluate(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation)
    {
        ValidateBatch(outputs, logits, targets, outputUnits);
        return EvaluateCore(outputs, logits, targets, outputUnits, outputActivation);
    }

    /// <summary>
    /// Counts correct predictions: for binary losses one per element (output ≥ 0.5, or logit ≥ 0 for
    /// <see cref="BinaryCrossEntropyFromLogits"/>, agrees with target ≥ 0.5); for categorical cross-entropy one
    /// per row (the argmax is the label, or the argmax of the target row). Accuracy is the count divided by
    /// <see cref="PredictionCount"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The loss is a regression loss (<see cref="IsClassification"/> is false).</exception>
    public int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int outputUnits)
    {
        if (!IsClassification)
            throw new NotSupportedException($"{Name} is a regression loss; accuracy needs a classification loss.");
        ValidateOutputShape(outputs.Length, outputUnits, nameof(outputs));
        ValidateTargets(outputs.Length, targets.Length, outputUnits);
        return CountCorrectCore(outputs, targets, outputUnits);
    }

    /// <summary>
    /// How many predictions <see cref="CountCorrect"/> judges in <paramref name="outputLength"/> output floats: one per
    /// element for binary losses, one per row of <paramref name="outputUnits"/> for categorical ones.
    /// </summary>
    public int PredictionCount(int outputLength, int outputUnits)
    {
        ValidateOutputShape(outputLength, outputUnits, nameof(outputLength));
        return PredictionCountCore(outputLength, outputUnits);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private protected virtual int TargetLengthCore(int outputLength, int outputUnits) => outputLength;

    private protected virtual int PredictionCountCore(int outputLength, int outputUnits) => TargetLengthCore(outputLength, outputUnits);

    /// <summary>
    /// Why this loss does not fit a model whose output layer has <paramref name="outputActivation"/>, naming the loss or
    /// output to use instead; null when it fits. Binary cross-entropy needs a Sigmoid output, categorical cross-entropy a
    /// Softmax one, and their <c>...FromLogits</c> forms a Linear one; regression losses fit any output.
    /// </summary>
    internal virtual string? OutputActivationMismatch(Activation outputActivation) => null;

    private protected abstract float ComputeCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation, Span<float> gradient, out bool gradientIsForLogits);

    private protected abstract float EvaluateCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation);

    private protected virtual int CountCorrectCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int outputUnits) =>
        throw new NotSupportedException($"{Name} does not count correct predictions.");

    private void ValidateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits)
    {
        ValidateOutputShape(outputs.Length, outputUnits, nameof(outputs));
        if (logits.Length != outputs.Length)
            throw new ArgumentException($"logits has {logits.Length} floats; expected {outputs.Length}, as many as outputs (pass the outputs when the output activation is Linear).", nameof(logits));
        ValidateTargets(outputs.Length, targets.Length, outputUnits);
    }

    private void ValidateTargets(int outputLength, int targetLength, int outputUnits)
    {
        int expected = TargetLengthCore(outputLength, outputUnits);
        if (targetLength != expected)
            throw new ArgumentException($"targets has {targetLength} floats; {Name} expects {expected} for {outputLength} outputs of {outputUnits} units.", "targets");
    }

    private static void ValidateOutputShape(int outputLength, int outputUnits, string outputName)
    {
        if (outputUnits < 1)
            throw new ArgumentException($"outputUnits is {outputUnits}; it must be at least 1.", nameof(outputUnits));
        if (outputLength < 1 || outputLength % outputUnits != 0)
            throw new ArgumentException($"{outputName} has {outputLength} floats; expected a positive whole number of rows of {outputUnits} units.", outputName);
    }
}
