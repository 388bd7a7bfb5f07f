using System.Numerics.Tensors;

namespace FastSeq.Layers;

/// <summary>Row operations on row-major batches that the layers share.</summary>
internal static class BatchRows
{
    /// <summary>Copies <paramref name="row"/> into each of the <paramref name="rows"/> rows of <paramref name="destination"/> (stride <paramref name="ld"/>).</summary>
    public static void Broadcast(ReadOnlySpan<float> row, int rows, Span<float> destination, int ld)
    {
        for (int r = 0; r < rows; r++)
            row.CopyTo(destination.Slice(r * ld, row.Length));
    }

    /// <summary><c>sums[j] += Σ_r source[r, j]</c> over <paramref name="rows"/> rows of stride <paramref name="ld"/>; the bias gradient.</summary>
    public static void AddColumnSums(ReadOnlySpan<float> source, int rows, int ld, Span<float> sums)
    {
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(sums, source.Slice(r * ld, sums.Length), sums);
    }

    /// <summary>
    /// The inputs of the recurrent product at each step: <c>previous[b, t] = hidden[b, t - 1]</c>,
    /// zero at <c>t = 0</c> (the initial state). Both <c>[B, T, H]</c>.
    /// </summary>
    public static void ShiftOneTimestep(ReadOnlySpan<float> hidden, int batch, int timesteps, int units, Span<float> previous)
    {
        int sequence = timesteps * units;
        for (int b = 0; b < batch; b++)
        {
            Span<float> destination = previous.Slice(b * sequence, sequence);
            destination[..units].Clear();
            hidden.Slice(b * sequence, sequence - units).CopyTo(destination[units..]);
        }
    }
}
