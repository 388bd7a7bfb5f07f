using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// <c>L = Σ |o - y| / N</c>, <c>dL/do = sign(o - y) / N</c> over all N elements, with PyTorch's (and TensorFlow's)
/// gradient 0 where <c>o = y</c>.
/// </summary>
internal sealed class MeanAbsoluteErrorLoss : Loss
{
    public override string Name => "MeanAbsoluteError";

    public override bool IsClassification => false;

    /// <summary><c>Σ |o - y|</c> in double: the loss, and the metric reported beside regression losses.</summary>
    internal static double SumOfAbsoluteErrors(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        Span<float> difference = stackalloc float[Chunk];
        double sum = 0;
        for (int start = 0; start < outputs.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, outputs.Length - start);
            Span<float> d = difference[..n];
            TensorPrimitives.Subtract(outputs.Slice(start, n), targets.Slice(start, n), d);
            sum += TensorPrimitives.SumOfMagnitudes<float>(d);
        }
        return sum;
    }

    private protected override float ComputeCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation, Span<float> gradient, out bool gradientIsForLogits)
    {
        gradientIsForLogits = false;
        float step = 1f / outputs.Length;
        for (int i = 0; i < outputs.Length; i++)
        {
            float d = outputs[i] - targets[i];
            gradient[i] = d > 0f ? step : d < 0f ? -step : 0f;
        }
        return EvaluateCore(outputs, logits, targets, outputUnits, outputActivation);
    }

    private protected override float EvaluateCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation) =>
        (float)(SumOfAbsoluteErrors(outputs, targets) / outputs.Length);
}
