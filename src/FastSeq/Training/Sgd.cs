using System.Numerics;
using System.Runtime.InteropServices;

namespace FastSeq;

/// <summary>
/// Stochastic gradient descent with optional momentum, PyTorch's rule:
/// <c>v = momentum·v + g; p -= lr·v</c> (without momentum, <c>p -= lr·g</c>).
/// </summary>
public sealed class Sgd : Optimizer
{
    private float[] _velocity = [];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">Step size, positive and finite.</param>
    /// <param name="momentum">Momentum factor in [0, 1); 0 disables momentum.</param>
    public Sgd(float learningRate, float momentum = 0f)
        : base(learningRate)
    {
        if (!(momentum is >= 0f and < 1f))
            throw new ArgumentException($"momentum is {momentum}; it must be in [0, 1).", nameof(momentum));
        Momentum = momentum;
    }

    /// <summary>Momentum factor.</summary>
    public float Momentum { get; }

    /// <inheritdoc/>
    protected override void AllocateState(int parameterCount) => _velocity = Momentum == 0f ? [] : new float[parameterCount];

    /// <inheritdoc/>
    protected override void ClearState() => Array.Clear(_velocity);

    /// <inheritdoc/>
    protected override IReadOnlyList<KeyValuePair<string, float[]>> StateBuffers => [new("momentum_buffer", _velocity)];

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float gradientScale)
    {
        if (Momentum == 0f)
            Descend(parameters, gradients, gradientScale, LearningRate);
        else
            DescendWithMomentum(parameters, gradients, _velocity, gradientScale, LearningRate, Momentum);
    }

    // p -= lr · (s · g)
    private static void Descend(Span<float> parameters, ReadOnlySpan<float> gradients, float scale, float learningRate)
    {
        Span<Vector<float>> p = MemoryMarshal.Cast<float, Vector<float>>(parameters);
        ReadOnlySpan<Vector<float>> g = MemoryMarshal.Cast<float, Vector<float>>(gradients);
        var s = new Vector<float>(scale);
        var lr = new Vector<float>(learningRate);
        for (int i = 0; i < p.Length; i++)
            p[i] -= lr * (g[i] * s);
        for (int i = p.Length * Vector<float>.Count; i < parameters.Length; i++)
            parameters[i] -= learningRate * (gradients[i] * scale);
    }

    // v = momentum · v + s · g; p -= lr · v
    private static void DescendWithMomentum(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> velocity, float scale, float learningRate, float momentum)
    {
        Span<Vector<float>> p = MemoryMarshal.Cast<float, Vector<float>>(parameters);
        ReadOnlySpan<Vector<float>> g = MemoryMarshal.Cast<float, Vector<float>>(gradients);
        Span<Vector<float>> v = MemoryMarshal.Cast<float, Vector<float>>(velocity);
        var s = new Vector<float>(scale);
        var lr = new Vector<float>(learningRate);
        var mu = new Vector<float>(momentum);
        for (int i = 0; i < p.Length; i++)
        {
            v[i] = mu * v[i] + g[i] * s;
            p[i] -= lr * v[i];
        }
        for (int i = p.Length * Vector<float>.Count; i < parameters.Length; i++)
        {
            velocity[i] = momentum * velocity[i] + gradients[i] * scale;
            parameters[i] -= learningRate * velocity[i];
        }
    }
}
