using System.ComponentModel;
using FastSeq.Kernels;

namespace FastSeq.IO;

/// <summary>
/// Loads and saves a model's flat parameter buffer as PyTorch-named safetensors, following the
/// model's <see cref="StateDictEntry"/> table. Loading is all or nothing and refuses any malformed file with an
/// <see cref="InvalidDataException"/> naming the problem; saving to a path is crash-safe.
/// </summary>
public static class WeightFile
{
    /// <summary>Loads the tensors named by <paramref name="entries"/> from a safetensors file into <paramref name="parameters"/>.</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="entries">The model's tensors: names, shapes and where they go in <paramref name="parameters"/>.</param>
    /// <param name="parameters">The model's flat parameter buffer.</param>
    /// <param name="allowUnexpectedTensors">Accept tensors the entries do not name (e.g. a reference file that also holds inputs and gradients).</param>
    /// <param name="allowNonFinite">Accept NaN and infinite values in the loaded tensors.</param>
    /// <exception cref="InvalidDataException">
    /// The file is invalid, lacks a tensor, has one of another dtype or shape, holds a NaN or infinity
    /// (unless <paramref name="allowNonFinite"/>), or has tensors the entries do not name (unless
    /// <paramref name="allowUnexpectedTensors"/>); the message names the problem. <paramref name="parameters"/> is then left unchanged.
    /// </exception>
    public static void Load(string path, ReadOnlySpan<StateDictEntry> entries, Span<float> parameters, bool allowUnexpectedTensors = false, bool allowNonFinite = false) =>
        Load(SafeTensorsFile.Read(path), entries, parameters, allowUnexpectedTensors, allowNonFinite);

    /// <inheritdoc cref="Load(string, ReadOnlySpan{StateDictEntry}, Span{float}, bool, bool)"/>
    public static void Load(Stream stream, ReadOnlySpan<StateDictEntry> entries, Span<float> parameters, bool allowUnexpectedTensors = false, bool allowNonFinite = false) =>
        Load(SafeTensorsFile.Read(stream), entries, parameters, allowUnexpectedTensors, allowNonFinite);

    /// <inheritdoc cref="Load(string, ReadOnlySpan{StateDictEntry}, Span{float}, bool, bool)"/>
    public static void Load(SafeTensorsFile file, ReadOnlySpan<StateDictEntry> entries, Span<float> parameters, bool allowUnexpectedTensors = false, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(file);
        CheckEntries(entries, parameters.Length);

        // Decode everything into a staging copy; parameters change only once every tensor has loaded.
        var staging = new float[parameters.Length];
        var values = new float[MaxLength(entries)];
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (StateDictEntry entry in entries)
        {
            expected.Add(entry.Name);
            if (!file.TryGetTensor(entry.Name, out SafeTensor? tensor))
                throw new InvalidDataException(SafeTensorsHeader.MissingTensorMessage(entry.Name, entry.Shape));
            if (!tensor.Shape.SequenceEqual(entry.Shape))
                throw new InvalidDataException(SafeTensorsHeader.WrongShapeMessage(entry.Name, tensor.Shape, entry.Shape));

            Span<float> decoded = values.AsSpan(0, entry.Length);
            tensor.CopyTo(decoded);
            if (!allowNonFinite)
                CheckFinite(entry.Name, decoded);
            Store(entry, decoded, staging);
        }

        if (!allowUnexpectedTensors)
            CheckNoUnexpectedTensors(file, expected);

        Commit(entries, staging, parameters);
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming tensor <paramref name="name"/> and the index of its first NaN or infinity.</summary>
    internal static void CheckFinite(string name, ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new InvalidDataException(SafeTensorsHeader.NonFiniteMessage(name, i, BitConverter.SingleToInt32Bits(values[i])));
        }
    }

    /// <summary>Names the first few tensors the model does not have, and how many more there are.</summary>
    internal static void CheckNoUnexpectedTensors(SafeTensorsFile file, HashSet<string> expected)
    {
        const int Named = 3;
        string[] unexpected = [.. file.Tensors.Select(t => t.Name).Where(name => !expected.Contains(name))];
        if (unexpected.Length == 0)
            return;
        string names = "'" + string.Join("', '", unexpected.Take(Named)) + "'";
        if (unexpected.Length > Named)
            names += $" and {unexpected.Length - Named} more";
        throw new InvalidDataException($"The file has tensors this model does not: {names}.");
    }

    /// <summary>
    /// Loads weights embedded at compile time: the tensors of <paramref name="entries"/>, in order,
    /// as little-endian float32 back to back (PyTorch layouts, as in the file they came from). For generated code.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void LoadRaw(ReadOnlySpan<byte> tensors, ReadOnlySpan<StateDictEntry> entries, Span<float> parameters)
    {
        CheckEntries(entries, parameters.Length);
        int expectedBytes = 0;
        foreach (StateDictEntry entry in entries)
            expectedBytes += entry.Length * sizeof(float);
        if (tensors.Length != expectedBytes)
            throw new ArgumentException($"tensors must hold {expectedBytes} bytes for these entries, but holds {tensors.Length}.", nameof(tensors));

        var staging = new float[parameters.Length];
        var values = new float[MaxLength(entries)];
        foreach (StateDictEntry entry in entries)
        {
            Span<float> tensor = values.AsSpan(0, entry.Length);
            SafeTensor.DecodeFloats(tensors, tensor);
            tensors = tensors[(entry.Length * sizeof(float))..];
            Store(entry, tensor, staging);
        }
        Commit(entries, staging, parameters);
    }

    /// <summary>Places one PyTorch tensor into the staging buffer in the model's layout.</summary>
    private static void Store(StateDictEntry entry, ReadOnlySpan<float> values, Span<float> staging)
    {
        Span<float> stored = staging.Slice(entry.Offset, entry.Length);
        switch (entry.Layout)
        {
            case TensorLayout.Vector or TensorLayout.Table:
                values.CopyTo(stored);
                break;
            case TensorLayout.Transposed2D:
                MatMul.Transpose(values, entry.Shape[0], entry.Shape[1], stored);
                break;
            default:
                // Summed bias pair: staging starts at zero, so the stored bias ends as bias_ih + bias_hh.
                for (int i = 0; i < values.Length; i++)
                    stored[i] += values[i];
                break;
        }
    }

    /// <summary>Copies the staged ranges into the parameters, once everything has decoded.</summary>
    private static void Commit(ReadOnlySpan<StateDictEntry> entries, ReadOnlySpan<float> staging, Span<float> parameters)
    {
        foreach (StateDictEntry entry in entries)
            staging.Slice(entry.Offset, entry.Length).CopyTo(parameters.Slice(entry.Offset));
    }

    /// <summary>
    /// Saves <paramref name="parameters"/> as the tensors named by <paramref name="entries"/>, crash-safely:
    /// the file goes to a short-named temporary file in the target's folder, is flushed to disk and renamed
    /// into place, so that a failed or killed save leaves any existing file as it was. A symbolic link is
    /// written through to the file it points to. Temporary files left by a killed save are deleted by the
    /// next save in that folder.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or the entries do not fit the parameters.</exception>
    /// <exception cref="IOException">
    /// As <see cref="File.WriteAllBytes(string, byte[])"/> throws (e.g. <see cref="DirectoryNotFoundException"/> for a
    /// missing folder, <see cref="UnauthorizedAccessException"/> for a directory or a file that cannot be written),
    /// naming <paramref name="path"/>.
    /// </exception>
    public static void Save(string path, ReadOnlySpan<StateDictEntry> entries, ReadOnlySpan<float> parameters, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var bytes = new MemoryStream();
        Save(bytes, entries, parameters, metadata);
        AtomicFile.WriteAllBytes(path, bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
    }

    /// <summary>Writes <paramref name="parameters"/> as the tensors named by <paramref name="entries"/>, in entry order.</summary>
    public static void Save(Stream stream, ReadOnlySpan<StateDictEntry> entries, ReadOnlySpan<float> parameters, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ToFile(entries, parameters, metadata).Write(stream);
    }

    /// <summary>The safetensors file <see cref="Save(Stream, ReadOnlySpan{StateDictEntry}, ReadOnlySpan{float}, IReadOnlyDictionary{string, string}?)"/> writes, for a caller that adds tensors of its own.</summary>
    internal static SafeTensorsFile ToFile(ReadOnlySpan<StateDictEntry> entries, ReadOnlySpan<float> parameters, IReadOnlyDictionary<string, string>? metadata)
    {
        CheckEntries(entries, parameters.Length);

        var file = new SafeTensorsFile();
        if (metadata is not null)
        {
            foreach (KeyValuePair<string, string> pair in metadata)
                file.Metadata.Add(pair);
        }

        var values = new float[MaxLength(entries)];
        foreach (StateDictEntry entry in entries)
        {
            Span<float> tensor = values.AsSpan(0, entry.Length);
            ReadOnlySpan<float> stored = parameters.Slice(entry.Offset, entry.Length);
            switch (entry.Layout)
            {
                case TensorLayout.Transposed2D:
                    // stored [C, R] -> tensor [R, C]
                    MatMul.Transpose(stored, entry.Shape[1], entry.Shape[0], tensor);
                    break;
                case TensorLayout.SummedBiasRecurrent:
                    // The whole summed bias goes to bias_ih; bias_hh is zero.
                    tensor.Clear();
                    break;
                default:
                    stored.CopyTo(tensor);
                    break;
            }

            file.Add(entry.Name, [.. entry.Shape], tensor);
        }

        return file;
    }

    private static int MaxLength(ReadOnlySpan<StateDictEntry> entries)
    {
        int max = 0;
        foreach (StateDictEntry entry in entries)
            max = Math.Max(max, entry.Length);
        return max;
    }

    private static void CheckEntries(ReadOnlySpan<StateDictEntry> entries, int parameterCount)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (StateDictEntry entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
            if (!names.Add(entry.Name))
                throw new ArgumentException($"Entry '{entry.Name}' appears twice.", nameof(entries));
            int rank = entry.Layout is TensorLayout.Transposed2D or TensorLayout.Table ? 2 : 1;
            if (entry.Shape.Count != rank || entry.Shape.Any(dim => dim < 0))
                throw new ArgumentException($"Entry '{entry.Name}' has shape {SafeTensor.Format(entry.Shape)}; layout {entry.Layout} needs {rank} non-negative dimension(s).", nameof(entries));
            if (entry.Offset < 0 || (long)entry.Offset + entry.Length > parameterCount)
                throw new ArgumentException($"Entry '{entry.Name}' covers floats [{entry.Offset}, {(long)entry.Offset + entry.Length}) but the parameters hold {parameterCount}.", nameof(entries));
        }
    }
}
