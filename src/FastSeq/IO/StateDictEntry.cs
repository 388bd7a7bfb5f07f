namespace FastSeq.IO;

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
