using System.Numerics;
using System.Runtime.InteropServices;

namespace FastSeq;

/// <summary>
/// RMSprop, PyTorch's rule (<c>torch.optim.RMSprop</c>) and defaults:
/// <c>s = αs + (1-α)g²; d = √s + ε; p -= lr · g / d</c>. Centered, it also keeps the mean gradient
/// <c>a = αa + (1-α)g</c> and divides by the deviation, <c>d = √(s - a²) + ε</c>; with momentum μ,
/// <c>b = μb + g / d; p -= lr · b</c>.
/// </summary>
public sealed class RmsProp : Optimizer
{
    private float[] _squareAverage = [];
    private float[] _gradientAverage = [];
    private float[] _momentumBuffer = [];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">Step size, positive and finite.</param>
    /// <param name="alpha">Decay of the squared-gradient average, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator, positive.</param>
    /// <param name="momentum">Momentum factor in [0, 1); 0 disables momentum.</param>
    /// <param name="centered">Whether to divide by the gradient's estimated deviation rather than its root mean square.</param>
    public RmsProp(float learningRate = 0.01f, float alpha = 0.99f, float epsilon = 1e-8f, float momentum = 0f, bool centered = false)
        : base(learningRate)
    {
        if (!(alpha is >= 0f and < 1f))
            throw new ArgumentException($"alpha is {alpha}; it must be in [0, 1).", nameof(alpha));
        if (!(epsilon > 0f) || !float.IsFinite(epsilon))
            throw new ArgumentException($"epsilon is {epsilon}; it must be positive and finite.", nameof(epsilon));
        if (!(momentum is >= 0f and < 1f))
            throw new ArgumentException($"momentum is {momentum}; it must be in [0, 1).", nameof(momentum));
        Alpha = alpha;
        Epsilon = epsilon;
        Momentum = momentum;
        Centered = centered;
    }

    /// <summary>Decay of the squared-gradient average.</summary>
    public float Alpha { get; }

    /// <summary>Added to the denominator.</summary>
    public float Epsilon { get; }

    /// <summary>Momentum factor.</summary>
    public float Momentum { get; }

    /// <summary>Whether the denominator is the gradient's estimated deviation.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    protected override void AllocateState(int parameterCount)
    {
        _squareAverage = new float[parameterCount];
        _gradientAverage = Centered ? new float[parameterCount] : [];
        _momentumBuffer = Momentum == 0f ? [] : new float[parameterCount];
    }

    /// <inheritdoc/>
    protected override void ClearState()
    {
        Array.Clear(_squareAverage);
        Array.Clear(_gradientAverage);
        Array.Clear(_momentumBuffer);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<KeyValuePair<string, float[]>> StateBuffers =>
        [new("square_avg", _squareAverage), new("grad_avg", _gradientAverage), new("momentum_buffer", _momentumBuffer)];

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float gradientScale)
    {
        float alpha = Alpha, rest = 1f - Alpha, epsilon = Epsilon, momentum = Momentum, learningRate = LearningRate;
        bool centered = Centered, withMomentum = momentum != 0f;

        Span<Vector<float>> p = MemoryMarshal.Cast<float, Vector<float>>(parameters);
        ReadOnlySpan<Vector<float>> g = MemoryMarshal.Cast<float, Vector<float>>(gradients);
        Span<Vector<float>> s = MemoryMarshal.Cast<float, Vector<float>>(_squareAverage.AsSpan());
        Span<Vector<float>> a = MemoryMarshal.Cast<float, Vector<float>>(_gradientAverage.AsSpan());
        Span<Vector<float>> b = MemoryMarshal.Cast<float, Vector<float>>(_momentumBuffer.AsSpan());
        var scale = new Vector<float>(gradientScale);
        for (int i = 0; i < p.Length; i++)
        {
            Vector<float> gi = g[i] * scale;
            s[i] = alpha * s[i] + rest * (gi * gi);
            Vector<float> variance = s[i];
            if (centered)
            {
                a[i] = alpha * a[i] + rest * gi;
                // s ≥ a² in exact arithmetic; rounding could take it below 0, where PyTorch's √ gives NaN.
                variance = Vector.Max(s[i] - a[i] * a[i], Vector<float>.Zero);
            }
            Vector<float> denominator = Vector.SquareRoot(variance) + new Vector<float>(epsilon);
            if (withMomentum)
            {
                b[i] = momentum * b[i] + gi / denominator;
                p[i] -= learningRate * b[i];
            }
            else
            {
                p[i] -= learningRate * (gi / denominator);
            }
        }
        for (int i = p.Length * Vector<float>.Count; i < parameters.Length; i++)
        {
            float gi = gradients[i] * gradientScale;
            _squareAverage[i] = alpha * _squareAverage[i] + rest * (gi * gi);
            float variance = _squareAverage[i];
            if (centered)
            {
                _gradientAverage[i] = alpha * _gradientAverage[i] + rest * gi;
                variance = MathF.Max(_squareAverage[i] - _gradientAverage[i] * _gradientAverage[i], 0f);
            }
            float denominator = MathF.Sqrt(variance) + epsilon;
            if (withMomentum)
            {
                _momentumBuffer[i] = momentum * _momentumBuffer[i] + gi / denominator;
                parameters[i] -= learningRate * _momentumBuffer[i];
            }
            else
            {
                parameters[i] -= learningRate * (gi / denominator);
            }
        }
    }
}
