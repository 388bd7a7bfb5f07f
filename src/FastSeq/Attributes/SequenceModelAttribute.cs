namespace FastSeq;

/// <summary>
/// Declares a sequence model on a <c>partial</c> class. The layers follow as attributes in
/// declaration order; the FastSeq generator emits the model's forward, backward and streaming
/// code for exactly these shapes. Keras: <c>input_shape=(Timesteps, Features)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SequenceModelAttribute : Attribute
{
    /// <summary>Timesteps per input sequence (T).</summary>
    public int Timesteps { get; set; }

    /// <summary>Features per timestep (F).</summary>
    public int Features { get; set; }

    /// <summary>The largest batch the model's preallocated buffers hold.</summary>
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>
    /// Optional safetensors file, passed to the compiler as an <c>AdditionalFiles</c> item,
    /// whose weights are embedded into the model at compile time.
    /// </summary>
    public string? Weights { get; set; }
}
