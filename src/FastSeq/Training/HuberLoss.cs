using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// Huber loss with threshold δ (PyTorch <c>HuberLoss</c>, Keras <c>Huber</c>), mean over all N elements of
/// <c>d = o - y</c>: <c>½d²</c> where <c>|d| ≤ δ</c>, else <c>δ(|d| - ½δ)</c>; <c>dL/do = clamp(d, -δ, δ) / N</c>.
/// </summary>
internal sealed class HuberLoss(float delta) : Loss
{
    public override string Name => "Huber";

    public override bool IsClassification => false;

    private protected override float ComputeCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation, Span<float> gradient, out bool gradientIsForLogits)
    {
        gradientIsForLogits = false;
        TensorPrimitives.Subtract(outputs, targets, gradient);
        TensorPrimitives.Clamp(gradient, -delta, delta, gradient);
        TensorPrimitives.Multiply(gradient, 1f / outputs.Length, gradient);
        return EvaluateCore(outputs, logits, targets, outputUnits, outputActivation);
    }

    private protected override float EvaluateCore(ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int outputUnits, Activation outputActivation)
    {
        Span<float> a = stackalloc float[Chunk];
        Span<float> b = stackalloc float[Chunk];
        double sum = 0;
        for (int start = 0; start < outputs.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, outputs.Length - start);
            Span<float> d = a[..n];
            Span<float> c = b[..n];
            TensorPrimitives.Subtract(outputs.Slice(start, n), targets.Slice(start, n), d);
            TensorPrimitives.Clamp(d, -delta, delta, c);
            // With c = clamp(d, -δ, δ), each term is |c| (|d| - ½|c|) = c·d - ½c²: ½d² inside, δ(|d| - ½δ) outside.
            sum += TensorPrimitives.Dot<float>(c, d) - (0.5 * TensorPrimitives.SumOfSquares<float>(c));
        }
        return (float)(sum / outputs.Length);
    }
}
