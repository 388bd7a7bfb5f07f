using System.Numerics.Tensors;
using FastSeq.Layers;

namespace FastSeq;

/// <summary>
/// Cross-entropy of rows of C logits <c>z</c> against a target distribution <c>y</c> per row:
/// <c>L = Σ_rows Σ_j y_j (logsumexp(z) - z_j) / rows</c>, <c>dL/dz = (softmax(z) · Σ_j y_j - y) / rows</c>.
/// The logits are the Softmax layer's pre-activations, or the outputs themselves when the output is Linear
/// or the loss reads its outputs as logits (<c>...FromLogits</c>).
/// </summary>
internal abstract class SoftmaxCrossEntropyLoss(bool fromLogits) : Loss
{
    /// <summary>Whether the outputs are the logits, whatever the output activation.</summary>
    protected bool FromLogits { get; } = fromLogits;

    /// <summary>The name of the form that reads probabilities; the from-logits form appends <c>FromLogits</c>.</summary>
    private protected abstract string ProbabilitiesName { get; }

    public override string Name => FromLogits ? ProbabilitiesName + "FromLogits" : ProbabilitiesName;

    public override bool IsClassification => true;

    private protected override float ComputeCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation, Span<float> gradient, out bool gradientIsForLogits)
    {
        ReadOnlySpan<float> z = Logits(outputs, logits, outputActivation);
        // The outputs are the logits of a ...FromLogits loss; with a Linear output they are also the layer's pre-activations.
        gradientIsForLogits = !FromLogits || outputActivation == Activation.Linear;
        // softmax(z): a Softmax output already holds it.
        if (!FromLogits && outputActivation == Activation.Softmax)
            outputs.CopyTo(gradient);
        else
            Softmax.Apply(z, outputUnits, gradient);
        int rows = outputs.Length / outputUnits;
        for (int r = 0; r < rows; r++)
            SubtractTargets(gradient.Slice(r * outputUnits, outputUnits), targets, r);
        TensorPrimitives.Multiply(gradient, 1f / rows, gradient);
        return EvaluateCore(outputs, logits, targets, outputUnits, outputActivation);
    }

    private protected override float EvaluateCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation)
    {
        ReadOnlySpan<float> z = Logits(outputs, logits, outputActivation);
        int rows = outputs.Length / outputUnits;
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = z.Slice(r * outputUnits, outputUnits);
            float max = TensorPrimitives.Max(row);
            sum += RowLoss(row, max, MathF.Log(Softmax.SumOfShiftedExponentials(row, max)), targets, r);
        }
        return (float)(sum / rows);
    }

    /// <summary>
    /// Turns <c>softmax(z)</c> of row <paramref name="row"/> into <c>softmax(z) · Σ_j y_j - y</c> (before the division by the rows).
    /// </summary>
    private protected abstract void SubtractTargets(Span<float> probabilities, ReadOnlySpan<float> targets, int row);

    /// <summary>
    /// <c>Σ_j y_j (logsumexp(z) - z_j)</c> of one row, given <c>max_j z_j</c> and <c>log Σ_j exp(z_j - max)</c>:
    /// the large terms are cancelled first, <c>logsumexp(z) - z_j = (max - z_j) + logSumShifted</c>.
    /// </summary>
    private protected abstract double RowLoss(ReadOnlySpan<float> logits, float max, float logSumShifted, ReadOnlySpan<float> targets, int row);

    internal override string? OutputActivationMismatch(Activation outputActivation)
    {
        if (FromLogits)
        {
            return outputActivation switch
            {
                Activation.Linear => null,
                Activation.Softmax => $"{Name} expects logits, a linear output; this model's output is Softmax: use Loss.{ProbabilitiesName}",
                _ => $"{Name} expects logits, a linear output; this model's output is {outputActivation}: use a Linear output (Dense without an activation)",
            };
        }
        return outputActivation switch
        {
            Activation.Softmax => null,
            Activation.Linear => $"{Name} expects a softmax output; this model's output is Linear: use Loss.{ProbabilitiesName}FromLogits",
            _ => $"{Name} expects a softmax output; this model's output is {outputActivation}: use Dense(units, Activation = Activation.Softmax)",
        };
    }

    /// <summary>The logits the loss reads; a Softmax or Linear output is required unless the outputs are the logits.</summary>
    private ReadOnlySpan<float> Logits(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, Activation outputActivation)
    {
        if (FromLogits)
            return outputs;
        if (outputActivation is not (Activation.Softmax or Activation.Linear))
            throw new ArgumentException($"{Name} needs a Softmax output activation (or Linear, read as logits), not {outputActivation}.", nameof(outputActivation));
        return logits;
    }
}

/// <summary>One integer class label per row, stored as a float: <c>y</c> is one-hot, <c>L = Σ_rows [logsumexp(z) - z[label]] / rows</c>.</summary>
internal sealed class SparseCategoricalCrossEntropyLoss(bool fromLogits) : SoftmaxCrossEntropyLoss(fromLogits)
{
    private protected override string ProbabilitiesName => "SparseCategoricalCrossEntropy";

    private protected override int TargetLengthCore(int outputLength, int outputUnits) => outputLength / outputUnits;

    private protected override void SubtractTargets(Span<float> probabilities, ReadOnlySpan<float> targets, int row) =>
        probabilities[Label(targets, row, probabilities.Length)] -= 1f;

    private protected override double RowLoss(ReadOnlySpan<float> logits, float max, float logSumShifted, ReadOnlySpan<float> targets, int row) =>
        max - logits[Label(targets, row, logits.Length)] + logSumShifted;

    private protected override int CountCorrectCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int outputUnits)
    {
        int correct = 0;
        for (int r = 0; r < targets.Length; r++)
        {
            if (TensorPrimitives.IndexOfMax(outputs.Slice(r * outputUnits, outputUnits)) == Label(targets, r, outputUnits))
                correct++;
        }
        return correct;
    }

    private static int Label(ReadOnlySpan<float> targets, int row, int classes)
    {
        float value = targets[row];
        int label = (int)value;
        if (label != value || label < 0 || label >= classes)
            throw new ArgumentException($"targets[{row}] is {value}, which is not a class label: expected an integer in [0, {classes}).", nameof(targets));
        return label;
    }
}

/// <summary>
/// A target distribution per row, <c>[rows, C]</c>: one-hot labels (Keras <c>CategoricalCrossentropy</c>) or any
/// probabilities (PyTorch <c>cross_entropy</c> with probability targets).
/// </summary>
internal sealed class CategoricalCrossEntropyLoss(bool fromLogits) : SoftmaxCrossEntropyLoss(fromLogits)
{
    private protected override string ProbabilitiesName => "CategoricalCrossEntropy";

    private protected override int PredictionCountCore(int outputLength, int outputUnits) => outputLength / outputUnits;

    private protected override void SubtractTargets(Span<float> probabilities, ReadOnlySpan<float> targets, int row)
    {
        ReadOnlySpan<float> y = targets.Slice(row * probabilities.Length, probabilities.Length);
        // softmax · Σy - y; Σy is 1 for one-hot targets.
        TensorPrimitives.Multiply(probabilities, TensorPrimitives.Sum(y), probabilities);
        TensorPrimitives.Subtract(probabilities, y, probabilities);
    }

    private protected override double RowLoss(ReadOnlySpan<float> logits, float max, float logSumShifted, ReadOnlySpan<float> targets, int row)
    {
        ReadOnlySpan<float> y = targets.Slice(row * logits.Length, logits.Length);
        double sum = 0;
        for (int j = 0; j < logits.Length; j++)
        {
            if (y[j] != 0f)
                sum += y[j] * ((double)max - logits[j] + logSumShifted);
        }
        return sum;
    }

    /// <summary>One per row: the argmax of the outputs is the argmax of the targets.</summary>
    private protected override int CountCorrectCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int outputUnits)
    {
        int correct = 0;
        for (int offset = 0; offset < outputs.Length; offset += outputUnits)
        {
            if (TensorPrimitives.IndexOfMax(outputs.Slice(offset, outputUnits)) == TensorPrimitives.IndexOfMax(targets.Slice(offset, outputUnits)))
                correct++;
        }
        return correct;
    }
}
