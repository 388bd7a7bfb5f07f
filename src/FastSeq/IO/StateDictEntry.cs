namespace FastSeq.IO;

/// <summary>How a PyTorch <c>state_dict</c> tensor is stored in a model's flat parameter buffer.</summary>
public enum TensorLayout
{
    /// <summary>A 1-D tensor <c>[N]</c>, stored as is.</summary>
    Vector,

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

/// <summary>
/// One PyTorch <c>state_dict</c> tensor of a model: its name, its shape in the file, and where and
/// how its values sit in the model's flat parameter buffer (<paramref name="Offset"/> in floats).
/// </summary>
public sealed record StateDictEntry(string Name, int Offset, IReadOnlyList<int> Shape, TensorLayout Layout)
{
    /// <summary>
    /// The tensor's shape in the file: a read-only copy of the one given, so that no caller can change the
    /// entries a model shares between its instances (and loads and saves by).
    /// </summary>
    public IReadOnlyList<int> Shape { get; } = Array.AsReadOnly(Shape.ToArray());

    /// <summary>The number of floats: the product of <see cref="Shape"/>.</summary>
    public int Length => Shape.Aggregate(1, (product, dim) => product * dim);
}
