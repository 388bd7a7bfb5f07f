using System.Numerics;
using System.Runtime.InteropServices;

namespace FastSeq;

/// <summary>
/// Adam, PyTorch's rule with bias correction, at step t:
/// <c>m = β₁m + (1-β₁)g; v = β₂v + (1-β₂)g²; p -= lr · (m / (1-β₁ᵗ)) / (√(v / (1-β₂ᵗ)) + ε)</c>.
/// The default ε is Keras' 1e-7 (PyTorch's is 1e-8).
/// </summary>
public sealed class Adam : Optimizer
{
    private float[] _firstMoment = [];
    private float[] _secondMoment = [];
    private int _step;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">Step size, positive and finite.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator, positive.</param>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate)
    {
        if (!(beta1 is >= 0f and < 1f))
            throw new ArgumentException($"beta1 is {beta1}; it must be in [0, 1).", nameof(beta1));
        if (!(beta2 is >= 0f and < 1f))
            throw new ArgumentException($"beta2 is {beta2}; it must be in [0, 1).", nameof(beta2));
        if (!(epsilon > 0f) || !float.IsFinite(epsilon))
            throw new ArgumentException($"epsilon is {epsilon}; it must be positive and finite.", nameof(epsilon));
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
    protected override void AllocateState(int parameterCount)
    {
        _firstMoment = new float[parameterCount];
        _secondMoment = new float[parameterCount];
        _step = 0;
    }

    /// <inheritdoc/>
    protected override void ClearState()
    {
        Array.Clear(_firstMoment);
        Array.Clear(_secondMoment);
        _step = 0;
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float gradientScale)
    {
        _step++;
        // As PyTorch: the bias corrections in double, then p -= (lr / bc1) · m / (√v / √bc2 + ε).
        double correction1 = 1.0 - Math.Pow(Beta1, _step);
        double correction2 = 1.0 - Math.Pow(Beta2, _step);
        float stepSize = (float)(LearningRate / correction1);
        float correction2Sqrt = (float)Math.Sqrt(correction2);
        float decay1 = Beta1, rest1 = 1f - Beta1, decay2 = Beta2, rest2 = 1f - Beta2, epsilon = Epsilon;

        Span<Vector<float>> p = MemoryMarshal.Cast<float, Vector<float>>(parameters);
        ReadOnlySpan<Vector<float>> g = MemoryMarshal.Cast<float, Vector<float>>(gradients);
        Span<Vector<float>> m = MemoryMarshal.Cast<float, Vector<float>>(_firstMoment.AsSpan());
        Span<Vector<float>> v = MemoryMarshal.Cast<float, Vector<float>>(_secondMoment.AsSpan());
        var scale = new Vector<float>(gradientScale);
        for (int i = 0; i < p.Length; i++)
        {
            Vector<float> gi = g[i] * scale;
            m[i] = decay1 * m[i] + rest1 * gi;
            v[i] = decay2 * v[i] + rest2 * (gi * gi);
            p[i] -= stepSize * (m[i] / (Vector.SquareRoot(v[i]) / correction2Sqrt + new Vector<float>(epsilon)));
        }
        for (int i = p.Length * Vector<float>.Count; i < parameters.Length; i++)
        {
            float gi = gradients[i] * gradientScale;
            _firstMoment[i] = decay1 * _firstMoment[i] + rest1 * gi;
            _secondMoment[i] = decay2 * _secondMoment[i] + rest2 * (gi * gi);
            parameters[i] -= stepSize * (_firstMoment[i] / (MathF.Sqrt(_secondMoment[i]) / correction2Sqrt + epsilon));
        }
    }
}
