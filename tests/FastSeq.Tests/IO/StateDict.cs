using FastSeq.IO;
using FastSeq.Layers;

namespace FastSeq.Tests.IO;

/// <summary>The PyTorch <c>state_dict</c> entries of one layer, from <see cref="LayerCatalog"/>, for a layer whose parameters start at <c>offset</c>: what a generated model lists, for tests that build tables by hand.</summary>
internal static class StateDict
{
    public static StateDictEntry[] Of(LayerKindInfo kind, string name, int offset, int inputs, int units)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
        return [.. kind.Tensors(name, inputs, units).Select(t => new StateDictEntry(t.Name, offset + t.Offset, t.Shape, t.Layout))];
    }
}
