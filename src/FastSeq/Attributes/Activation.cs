// Compiled into the runtime and, linked, into the generator (FASTSEQ_GENERATOR), so both read one definition.
#if FASTSEQ_GENERATOR
namespace FastSeq.Generators.Catalog;
#else
namespace FastSeq;
#endif

/// <summary>Activation functions a layer can apply to its output.</summary>
public enum Activation
{
    /// <summary>Identity: <c>a(x) = x</c>.</summary>
    Linear,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
    /// <summary>Logistic sigmoid <c>1 / (1 + e^-x)</c>.</summary>
    Sigmoid,
    /// <summary>Rectified linear unit <c>max(0, x)</c>.</summary>
    Relu,
    /// <summary>Softmax over the units of one sample (and timestep); Dense only.</summary>
    Softmax,
}
