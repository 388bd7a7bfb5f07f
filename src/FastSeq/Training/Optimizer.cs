using System.Numerics.Tensors;

namespace FastSeq;

/// <summary>
/// Updates a flat parameter buffer from the gradient buffer of the same layout. Its state (momentum,
/// moments) is sized once, by <see cref="Initialize"/> or by the first <see cref="Step"/>, and every
/// later step allocates nothing.
/// </summary>
public abstract class Optimizer
{
    private float _learningRate;
    private float? _clipNorm;
    private float? _clipValue;
    private float[] _clippedGradients = [];

    /// <summary>Creates an optimizer with the given learning rate.</summary>
    protected Optimizer(float learningRate) => LearningRate = learningRate;

    /// <summary>Step size; positive and finite. May be changed between steps (learning-rate schedules).</summary>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value > 0f) || !float.IsFinite(value))
                throw new ArgumentException($"LearningRate is {value}; it must be positive and finite.", nameof(value));
            _learningRate = value;
        }
    }

    /// <summary>
    /// When set, gradients are scaled by <c>ClipNorm / max(‖g‖₂, ClipNorm)</c> before the update, with
    /// <c>‖g‖₂</c> the norm of the whole gradient buffer (Keras <c>global_clipnorm</c>, PyTorch
    /// <c>clip_grad_norm_</c>). The caller's gradients are left unchanged. Positive and finite, or null.
    /// </summary>
    public float? ClipNorm
    {
        get => _clipNorm;
        set
        {
            if (value is float norm && (!(norm > 0f) || !float.IsFinite(norm)))
                throw new ArgumentException($"ClipNorm is {norm}; it must be positive and finite, or null.", nameof(value));
            _clipNorm = value;
        }
    }

    /// <summary>Keras' name (<c>global_clipnorm</c>) for <see cref="ClipNorm"/>: the same setting.</summary>
    public float? GlobalClipNorm
    {
        get => ClipNorm;
        set => ClipNorm = value;
    }

    /// <summary>
    /// When set, each gradient is clamped to <c>[-ClipValue, ClipValue]</c> before the update (Keras <c>clipvalue</c>,
    /// PyTorch <c>clip_grad_value_</c>), and before <see cref="ClipNorm"/> when both are set. The caller's gradients are
    /// left unchanged: the clamped copy lives in a buffer of the optimizer's. Positive and finite, or null.
    /// </summary>
    public float? ClipValue
    {
        get => _clipValue;
        set
        {
            if (value is float limit && (!(limit > 0f) || !float.IsFinite(limit)))
                throw new ArgumentException($"ClipValue is {limit}; it must be positive and finite, or null.", nameof(value));
            _clipValue = value;
        }
    }

    /// <summary>Number of parameters the state is sized for; 0 until <see cref="Initialize"/> or the first <see cref="Step"/>.</summary>
    public int ParameterCount { get; private set; }

    /// <summary>Updates applied since the state was sized or reset (Keras <c>optimizer.iterations</c>); Adam's bias correction counts them.</summary>
    public long Iterations { get; private set; }

    /// <summary>Allocates zeroed state for <paramref name="parameterCount"/> parameters, replacing any previous state.</summary>
    public void Initialize(int parameterCount)
    {
        if (parameterCount < 1)
            throw new ArgumentException($"parameterCount is {parameterCount}; it must be at least 1.", nameof(parameterCount));
        ParameterCount = parameterCount;
        Iterations = 0;
        AllocateState(parameterCount);
    }

    /// <summary>Applies one update: <paramref name="parameters"/> move against <paramref name="gradients"/>.</summary>
    /// <param name="parameters">The flat parameters, updated in place.</param>
    /// <param name="gradients">The gradients, same layout as the parameters; not modified.</param>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        CheckSizes(parameters, gradients);
        StepWithSumOfSquares(parameters, gradients, _clipNorm is null ? 0f : TensorPrimitives.SumOfSquares(gradients));
    }

    /// <summary>
    /// <see cref="Step(Span{float}, ReadOnlySpan{float})"/> for a caller that has checked the sizes and already summed the
    /// squares of <paramref name="gradients"/> (the trainer does, to find non-finite ones): clipping by norm reuses the sum.
    /// </summary>
    internal void StepWithSumOfSquares(Span<float> parameters, ReadOnlySpan<float> gradients, float gradientSumOfSquares)
    {
        if (_clipValue is float limit)
        {
            if (_clippedGradients.Length != gradients.Length)
                _clippedGradients = new float[gradients.Length];
            TensorPrimitives.Clamp(gradients, -limit, limit, _clippedGradients);
            gradients = _clippedGradients;
            if (_clipNorm is not null)
                gradientSumOfSquares = TensorPrimitives.SumOfSquares(gradients);
        }

        float scale = 1f;
        if (_clipNorm is float clipNorm)
        {
            float norm = MathF.Sqrt(gradientSumOfSquares);
            if (norm > clipNorm)
                scale = clipNorm / norm;
        }
        Iterations++;
        Update(parameters, gradients, scale);
    }

    /// <summary>Throws unless both spans have <see cref="ParameterCount"/> floats; sizes the state on the first call.</summary>
    internal void CheckSizes(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (gradients.Length != parameters.Length)
            throw new ArgumentException($"gradients has {gradients.Length} floats; expected {parameters.Length}, as many as parameters.", nameof(gradients));
        if (ParameterCount == 0)
            Initialize(parameters.Length);
        else if (parameters.Length != ParameterCount)
            throw new ArgumentException($"parameters has {parameters.Length} floats, but the optimizer's state is sized for {ParameterCount}; call Initialize to resize it.", nameof(parameters));
    }

    /// <summary>Zeroes the state (as if no step had been taken), keeping its size.</summary>
    public void Reset()
    {
        Iterations = 0;
        ClearState();
    }

    /// <summary>What a checkpoint saves and restores of the state besides <see cref="Iterations"/>.</summary>
    internal IReadOnlyList<KeyValuePair<string, float[]>> CheckpointBuffers => StateBuffers;

    /// <summary>Sets <see cref="Iterations"/> from a checkpoint, whose buffers have been copied into <see cref="StateBuffers"/>.</summary>
    internal void RestoreIterations(long iterations) => Iterations = iterations;

    /// <summary>
    /// The state's buffers by name, for checkpoints: each <see cref="ParameterCount"/> floats, or empty when a setting leaves
    /// it unused (SGD without momentum). An optimizer with state must list it here for a checkpoint to resume it; the default is none.
    /// </summary>
    protected virtual IReadOnlyList<KeyValuePair<string, float[]>> StateBuffers => [];

    /// <summary>Allocates zeroed state for <paramref name="parameterCount"/> parameters.</summary>
    protected abstract void AllocateState(int parameterCount);

    /// <summary>Zeroes the state, keeping its size.</summary>
    protected abstract void ClearState();

    /// <summary>
    /// Updates <paramref name="parameters"/> with the gradient <c>gradientScale · gradients</c>; <see cref="Iterations"/>
    /// already counts this update. Both spans have <see cref="ParameterCount"/> elements.
    /// </summary>
    protected abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float gradientScale);
}
