using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// Binary cross-entropy of targets <c>y</c> against probabilities <c>p</c>, clamped to
/// <c>[ε, 1 - ε]</c> with <c>ε = 1e-7</c> (Keras):
/// <c>L = -Σ [y log p + (1 - y) log(1 - p)] / N</c>, <c>dL/dp = (p - y) / (p (1 - p)) / N</c>,
/// zero where the clamp is active. With a Sigmoid output the loss and gradient come from the logits.
/// </summary>
internal sealed class BinaryCrossEntropyLoss : Loss
{
    private const float Epsilon = 1e-7f;
    private const float UpperBound = 1f - Epsilon;

    public override string Name => "BinaryCrossEntropy";

    public override bool IsClassification => true;

    private protected override float ComputeCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation, Span<float> gradient, out bool gradientIsForLogits)
    {
        if (outputActivation == Activation.Sigmoid)
        {
            gradientIsForLogits = true;
            BinaryCrossEntropyFromLogitsLoss.LogitGradient(logits, targets, gradient);
            return BinaryCrossEntropyFromLogitsLoss.MeanFromLogits(logits, targets);
        }

        gradientIsForLogits = false;
        float inverseCount = 1f / outputs.Length;
        for (int i = 0; i < outputs.Length; i++)
        {
            float p = outputs[i];
            // The clamp passes no gradient outside [ε, 1 - ε], as Keras' clip does.
            gradient[i] = p is >= Epsilon and <= UpperBound
                ? (p - targets[i]) / (p * (1f - p)) * inverseCount
                : 0f;
        }
        return MeanFromProbabilities(outputs, targets);
    }

    private protected override float EvaluateCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation) =>
        outputActivation == Activation.Sigmoid
            ? BinaryCrossEntropyFromLogitsLoss.MeanFromLogits(logits, targets)
            : MeanFromProbabilities(outputs, targets);

    internal override string? OutputActivationMismatch(Activation outputActivation) => outputActivation switch
    {
        Activation.Sigmoid => null,
        Activation.Linear => $"{Name} expects a sigmoid output; this model's output is Linear: use Loss.BinaryCrossEntropyFromLogits",
        Activation.Softmax => $"{Name} expects a sigmoid output; this model's output is Softmax: use Loss.CategoricalCrossEntropy (one class of several), or a Sigmoid output (independent yes/no outputs)",
        _ => $"{Name} expects a sigmoid output; this model's output is {outputActivation}: use Dense(units, Activation = Activation.Sigmoid), or a Linear output with Loss.BinaryCrossEntropyFromLogits",
    };

    private protected override int CountCorrectCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int outputUnits)
    {
        int correct = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            if ((outputs[i] >= 0.5f) == (targets[i] >= 0.5f))
                correct++;
        }
        return correct;
    }

    private static float MeanFromProbabilities(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        Span<float> a = stackalloc float[Chunk];
        Span<float> b = stackalloc float[Chunk];
        double sum = 0;
        for (int start = 0; start < outputs.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, outputs.Length - start);
            Span<float> logP = a[..n];
            Span<float> logQ = b[..n];
            TensorPrimitives.Clamp(outputs.Slice(start, n), Epsilon, UpperBound, logP);
            TensorPrimitives.Subtract(1f, logP, logQ);
            TensorPrimitives.Log(logP, logP);
            TensorPrimitives.Log(logQ, logQ);
            // y log p + (1 - y) log q = y (log p - log q) + log q
            TensorPrimitives.Subtract(logP, logQ, logP);
            TensorPrimitives.MultiplyAdd(logP, targets.Slice(start, n), logQ, logP);
            sum -= TensorPrimitives.Sum<float>(logP);
        }
        return (float)(sum / outputs.Length);
    }
}
