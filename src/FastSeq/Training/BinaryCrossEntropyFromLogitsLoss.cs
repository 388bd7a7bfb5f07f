using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// Binary cross-entropy of targets <c>y</c> against logits <c>z</c> (the outputs, whatever their
/// activation): <c>L = Σ [max(z, 0) - z·y + log(1 + e^-|z|)] / N</c>, <c>dL/dz = (σ(z) - y) / N</c>.
/// </summary>
internal sealed class BinaryCrossEntropyFromLogitsLoss : Loss
{
    public override string Name => "BinaryCrossEntropyFromLogits";

    public override bool IsClassification => true;

    /// <summary>Mean binary cross-entropy of <paramref name="targets"/> against <paramref name="logits"/>, finite for any finite logit.</summary>
    internal static float MeanFromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets)
    {
        Span<float> a = stackalloc float[Chunk];
        Span<float> b = stackalloc float[Chunk];
        double sum = 0;
        for (int start = 0; start < logits.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, logits.Length - start);
            ReadOnlySpan<float> z = logits.Slice(start, n);
            Span<float> terms = a[..n];
            Span<float> scratch = b[..n];
            // log(1 + e^-|z|) never overflows: e^-|z| is in (0, 1].
            TensorPrimitives.Abs(z, terms);
            TensorPrimitives.Negate(terms, terms);
            TensorPrimitives.Exp(terms, terms);
            TensorPrimitives.LogP1(terms, terms);
            TensorPrimitives.Max(z, 0f, scratch);
            TensorPrimitives.Add(terms, scratch, terms);
            TensorPrimitives.Multiply(z, targets.Slice(start, n), scratch);
            TensorPrimitives.Subtract(terms, scratch, terms);
            sum += TensorPrimitives.Sum<float>(terms);
        }
        return (float)(sum / logits.Length);
    }

    /// <summary>Writes <c>dL/dz = (σ(z) - y) / N</c>.</summary>
    internal static void LogitGradient(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient)
    {
        TensorPrimitives.Sigmoid(logits, gradient);
        TensorPrimitives.Subtract(gradient, targets, gradient);
        TensorPrimitives.Multiply(gradient, 1f / logits.Length, gradient);
    }

    private protected override float ComputeCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation, Span<float> gradient, out bool gradientIsForLogits)
    {
        // The outputs are the logits; with a Linear output they are also the layer's pre-activations.
        gradientIsForLogits = outputActivation == Activation.Linear;
        LogitGradient(outputs, targets, gradient);
        return MeanFromLogits(outputs, targets);
    }

    private protected override float EvaluateCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation) =>
        MeanFromLogits(outputs, targets);

    internal override string? OutputActivationMismatch(Activation outputActivation) => outputActivation switch
    {
        Activation.Linear => null,
        Activation.Sigmoid => $"{Name} expects logits, a linear output; this model's output is Sigmoid: use Loss.BinaryCrossEntropy",
        _ => $"{Name} expects logits, a linear output; this model's output is {outputActivation}: use a Linear output (Dense without an activation)",
    };

    private protected override int CountCorrectCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int outputUnits)
    {
        int correct = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            if ((outputs[i] >= 0f) == (targets[i] >= 0.5f))
                correct++;
        }
        return correct;
    }
}
