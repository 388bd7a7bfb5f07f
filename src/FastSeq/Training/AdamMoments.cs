using System.Numerics;
using System.Runtime.InteropServices;

namespace FastSeq;

/// <summary>
/// The moments and the update of <see cref="Adam"/> and <see cref="AdamW"/>, PyTorch's rule with bias correction, at step t:
/// <c>p *= decay; m = β₁m + (1-β₁)g; v = β₂v + (1-β₂)g²; p -= lr · (m / (1-β₁ᵗ)) / (√(v / (1-β₂ᵗ)) + ε)</c>,
/// where <c>decay</c> is 1 for Adam and <c>1 - lr·λ</c> for AdamW's decoupled weight decay.
/// </summary>
internal sealed class AdamMoments
{
    private float[] _first = [];
    private float[] _second = [];

    /// <summary>Throws unless the betas are in [0, 1) and ε is positive and finite.</summary>
    public static void Validate(float beta1, float beta2, float epsilon)
    {
        if (!(beta1 is >= 0f and < 1f))
            throw new ArgumentException($"beta1 is {beta1}; it must be in [0, 1).", nameof(beta1));
        if (!(beta2 is >= 0f and < 1f))
            throw new ArgumentException($"beta2 is {beta2}; it must be in [0, 1).", nameof(beta2));
        if (!(epsilon > 0f) || !float.IsFinite(epsilon))
            throw new ArgumentException($"epsilon is {epsilon}; it must be positive and finite.", nameof(epsilon));
    }

    public void Allocate(int parameterCount)
    {
        _first = new float[parameterCount];
        _second = new float[parameterCount];
    }

    /// <summary>The moments by PyTorch's names, for checkpoints.</summary>
    public IReadOnlyList<KeyValuePair<string, float[]>> Buffers => [new("exp_avg", _first), new("exp_avg_sq", _second)];

    public void Clear()
    {
        Array.Clear(_first);
        Array.Clear(_second);
    }

    /// <summary>Step <paramref name="step"/> (from 1) with the gradient <c>gradientScale · gradients</c>; <paramref name="decay"/> multiplies the parameters first.</summary>
    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float gradientScale, float learningRate, float beta1, float beta2, float epsilon, float decay, long step)
    {
        // As PyTorch: the bias corrections in double, then p -= (lr / bc1) · m / (√v / √bc2 + ε).
        double correction1 = 1.0 - Math.Pow(beta1, step);
        double correction2 = 1.0 - Math.Pow(beta2, step);
        float stepSize = (float)(learningRate / correction1);
        float correction2Sqrt = (float)Math.Sqrt(correction2);
        float rest1 = 1f - beta1, rest2 = 1f - beta2;

        Span<Vector<float>> p = MemoryMarshal.Cast<float, Vector<float>>(parameters);
        ReadOnlySpan<Vector<float>> g = MemoryMarshal.Cast<float, Vector<float>>(gradients);
        Span<Vector<float>> m = MemoryMarshal.Cast<float, Vector<float>>(_first.AsSpan());
        Span<Vector<float>> v = MemoryMarshal.Cast<float, Vector<float>>(_second.AsSpan());
        var scale = new Vector<float>(gradientScale);
        for (int i = 0; i < p.Length; i++)
        {
            Vector<float> gi = g[i] * scale;
            m[i] = beta1 * m[i] + rest1 * gi;
            v[i] = beta2 * v[i] + rest2 * (gi * gi);
            p[i] = p[i] * decay - stepSize * (m[i] / (Vector.SquareRoot(v[i]) / correction2Sqrt + new Vector<float>(epsilon)));
        }
        for (int i = p.Length * Vector<float>.Count; i < parameters.Length; i++)
        {
            float gi = gradients[i] * gradientScale;
            _first[i] = beta1 * _first[i] + rest1 * gi;
            _second[i] = beta2 * _second[i] + rest2 * (gi * gi);
            parameters[i] = parameters[i] * decay - stepSize * (_first[i] / (MathF.Sqrt(_second[i]) / correction2Sqrt + epsilon));
        }
    }
}
