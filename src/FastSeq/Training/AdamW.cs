namespace FastSeq;

/// <summary>
/// AdamW, Adam with decoupled weight decay (Loshchilov and Hutter; PyTorch's <c>torch.optim.AdamW</c>), at step t:
/// <c>p *= 1 - lr·λ</c>, then the <see cref="Adam"/> update. The decay shrinks every parameter, biases included, and does
/// not pass through the moments as an L2 term in the gradient would. Defaults are PyTorch's.
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly AdamMoments _moments = new();

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">Step size, positive and finite.</param>
    /// <param name="weightDecay">Decoupled weight decay λ, non-negative and finite; 0 makes this Adam.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator, positive.</param>
    public AdamW(float learningRate = 1e-3f, float weightDecay = 0.01f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
        : base(learningRate)
    {
        if (!(weightDecay >= 0f) || !float.IsFinite(weightDecay))
            throw new ArgumentException($"weightDecay is {weightDecay}; it must be non-negative and finite.", nameof(weightDecay));
        AdamMoments.Validate(beta1, beta2, epsilon);
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>Decoupled weight decay λ: each step multiplies the parameters by <c>1 - lr·λ</c>.</summary>
    public float WeightDecay { get; }

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
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float gradientScale)
    {
        // As PyTorch: 1 - lr·λ in double, rounded once.
        float decay = (float)(1.0 - ((double)LearningRate * WeightDecay));
        _moments.Update(parameters, gradients, gradientScale, LearningRate, Beta1, Beta2, Epsilon, decay, Iterations);
    }
}
