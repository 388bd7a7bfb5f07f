using System.Numerics.Tensors;

namespace FastSeq;

/// <summary><c>L = Σ (o - y)² / N</c>, <c>dL/do = 2 (o - y) / N</c> over all N elements.</summary>
internal sealed class MeanSquaredErrorLoss : Loss
{
    public override string Name => "MeanSquaredError";

    public override bool IsClassification => false;

    private protected override float ComputeCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation, Span<float> gradient, out bool gradientIsForLogits)
    {
        gradientIsForLogits = false;
        TensorPrimitives.Subtract(outputs, targets, gradient);
        TensorPrimitives.Multiply(gradient, 2f / outputs.Length, gradient);
        return Mean(outputs, targets);
    }

    private protected override float EvaluateCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation) =>
        Mean(outputs, targets);

    private static float Mean(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        Span<float> difference = stackalloc float[Chunk];
        double sum = 0;
        for (int start = 0; start < outputs.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, outputs.Length - start);
            Span<float> d = difference[..n];
            TensorPrimitives.Subtract(outputs.Slice(start, n), targets.Slice(start, n), d);
            sum += TensorPrimitives.SumOfSquares<float>(d);
        }
        return (float)(sum / outputs.Length);
    }
}
