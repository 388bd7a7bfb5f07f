// Compiled into the runtime and, linked, into the generator (FASTSEQ_GENERATOR), so both read one definition.
#if FASTSEQ_GENERATOR
namespace FastSeq.Generators.Catalog;
#else
namespace FastSeq.IO;
#endif

/// <summary>How a PyTorch <c>state_dict</c> tensor is stored in a model's flat parameter buffer.</summary>
public enum TensorLayout
{
    /// <summary>A 1-D tensor <c>[N]</c>, stored as is.</summary>
    Vector,

    /// <summary>A 2-D tensor <c>[R, C]</c> stored as is, row after row (an embedding table, <c>[vocabulary, dimension]</c> in both).</summary>
    Table,

    /// <summary>A file tensor <c>[R, C]</c> (PyTorch weight) stored as its transpose <c>[C, R]</c> (Keras kernel).</summary>
    Transposed2D,

    /// <summary>
    /// PyTorch <c>bias_ih_l0</c> <c>[N]</c> of a layer that keeps one bias (<c>bias_ih + bias_hh</c>):
    /// loading adds it into the stored bias; saving writes the stored bias.
    /// Pairs with a <see cref="SummedBiasRecurrent"/> entry at the same offset.
    /// </summary>
    SummedBiasInput,

    /// <summary>
    /// PyTorch <c>bias_hh_l0</c> <c>[N]</c> of a layer that keeps one bias: loading adds it into the
    /// stored bias; saving writes zeros. Pairs with a <see cref="SummedBiasInput"/> entry at the same offset.
    /// </summary>
    SummedBiasRecurrent,
}
