using System.Numerics.Tensors;
using FastSeq.Layers;

namespace FastSeq;

/// <summary>
/// Categorical cross-entropy with one integer label per row of C logits <c>z</c>:
/// <c>L = Σ_rows [logsumexp(z) - z[label]] / rows</c>, <c>dL/dz = (softmax(z) - onehot(label)) / rows</c>.
/// The logits are the Softmax layer's pre-activations, or the outputs themselves when the output is Linear.
/// </summary>
internal sealed class SparseCategoricalCrossEntropyLoss : Loss
{
    public override string Name => "SparseCategoricalCrossEntropy";

    public override bool IsClassification => true;

    private protected override int TargetLengthCore(int outputLength, int outputUnits) => outputLength / outputUnits;

    private protected override float ComputeCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation, Span<float> gradient, out bool gradientIsForLogits)
    {
        ValidateActivation(outputActivation);
        gradientIsForLogits = true;
        // softmax(z): a Softmax output already holds it; Linear outputs are the logits themselves.
        if (outputActivation == Activation.Softmax)
            outputs.CopyTo(gradient);
        else
            Softmax.Apply(logits, outputUnits, gradient);
        int rows = targets.Length;
        for (int r = 0; r < rows; r++)
            gradient[r * outputUnits + Label(targets, r, outputUnits)] -= 1f;
        TensorPrimitives.Multiply(gradient, 1f / rows, gradient);
        return EvaluateCore(outputs, logits, targets, outputUnits, outputActivation);
    }

    private protected override float EvaluateCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation)
    {
        ValidateActivation(outputActivation);
        int rows = targets.Length;
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> z = logits.Slice(r * outputUnits, outputUnits);
            float max = TensorPrimitives.Max(z);
            // logsumexp(z) - z[label], with the large terms cancelled first: (max - z[label]) + log Σ exp(z - max).
            sum += max - z[Label(targets, r, outputUnits)] + MathF.Log(Softmax.SumOfShiftedExponentials(z, max));
        }
        return (float)(sum / rows);
    }

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

    private void ValidateActivation(Activation outputActivation)
    {
        if (outputActivation is not (Activation.Softmax or Activation.Linear))
            throw new ArgumentException($"{Name} needs a Softmax output activation (or Linear, read as logits), not {outputActivation}.", nameof(outputActivation));
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
