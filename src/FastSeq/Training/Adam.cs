namespace FastSeq;

/// <summary>
/// Adam, PyTorch's rule with bias correction, at step t:
/// <c>m = β₁m + (1-β₁)g; v = β₂v + (1-β₂)g²; p -= lr · (m / (1-β₁ᵗ)) / (√(v / (1-β₂ᵗ)) + ε)</c>.
/// The default ε is Keras' 1e-7 (PyTorch's is 1e-8).
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly AdamMoments _moments = new();

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">Step size, positive and finite.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator, positive.</param>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate)
    {
        AdamMoments.Validate(beta1, beta2, epsilon);
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the denominator.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    protected override void AllocateState(int parameterCount) => _moments.Allocate(parameterCount);

    /// <inheritdoc/>
    protected override void ClearState() => _moments.Clear();

    /// <inheritdoc/>
    protected override IReadOnlyList<KeyValuePair<string, float[]>> StateBuffers => _moments.Buffers;

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float gradientScale) =>
        _moments.Update(parameters, gradients, gradientScale, LearningRate, Beta1, Beta2, Epsilon, decay: 1f, Iterations);
}
