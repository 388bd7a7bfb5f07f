using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FastSeq.IO;

/// <summary>
/// A safetensors file in memory. The format: an 8-byte little-endian header length N, N bytes
/// of UTF-8 JSON <c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}</c>,
/// then the tensors' raw little-endian bytes, offsets counted from the end of the header.
/// <see cref="Read(Stream)"/> validates the whole file; <see cref="Write"/> writes the tensors in the
/// order they were added, the metadata sorted by key, and pads the header with spaces to a multiple of 8.
/// </summary>
public sealed class SafeTensorsFile
{
    private const string MetadataKey = SafeTensorsHeader.MetadataKey;

    private readonly List<SafeTensor> tensors = [];
    private readonly Dictionary<string, SafeTensor> tensorsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> metadata = new(StringComparer.Ordinal);

    /// <summary>Creates an empty file to <see cref="Add"/> tensors to.</summary>
    public SafeTensorsFile() => Tensors = tensors.AsReadOnly();

    /// <summary>The tensors, in file order.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> string pairs.</summary>
    public IDictionary<string, string> Metadata => metadata;

    /// <summary>Finds a tensor by name.</summary>
    public bool TryGetTensor(string name, [NotNullWhen(true)] out SafeTensor? tensor) => tensorsByName.TryGetValue(name, out tensor);

    /// <summary>Finds a tensor by name.</summary>
    /// <exception cref="InvalidDataException">The file has no tensor of that name.</exception>
    public SafeTensor GetTensor(string name) =>
        tensorsByName.TryGetValue(name, out SafeTensor? tensor) ? tensor
            : throw new InvalidDataException($"The file has no tensor named '{name}'.");

    /// <summary>Adds an <c>F32</c> tensor of the given shape; copies <paramref name="values"/> (row-major).</summary>
    public void Add(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == MetadataKey)
            throw new ArgumentException($"'{MetadataKey}' is reserved for the metadata and cannot name a tensor.", nameof(name));
        if (tensorsByName.ContainsKey(name))
            throw new ArgumentException($"The file already has a tensor named '{name}'.", nameof(name));
        int[] dims = shape.ToArray();
        if (!SafeTensorsHeader.TryCountElements(dims, out int count) || count != values.Length)
            throw new ArgumentException($"Tensor '{name}' has shape {SafeTensor.Format(dims)} but {values.Length} values were given.", nameof(values));

        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        AddTensor(new SafeTensor(name, SafeTensorsHeader.Float32, dims, count, bytes));
    }

    /// <summary>Reads and validates a safetensors file.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message says what is wrong.</exception>
    public static SafeTensorsFile Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        return Parse(bytes, bytes.Length);
    }

    /// <summary>Reads and validates a safetensors file from the current position to the end of <paramref name="stream"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file; the message says what is wrong.</exception>
    public static SafeTensorsFile Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return Parse(bytes.GetBuffer(), (int)bytes.Length);
    }

    /// <summary>Writes the file to <paramref name="stream"/>.</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(header, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> pair in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                    json.WriteString(pair.Key, pair.Value);
                json.WriteEndObject();
            }

            long offset = 0;
            foreach (SafeTensor tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType);
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape)
                    json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int padding = (8 - (header.WrittenCount % 8)) % 8;
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(header.WrittenCount + padding));
        stream.Write(length);
        stream.Write(header.WrittenSpan);
        stream.Write("        "u8[..padding]);
        foreach (SafeTensor tensor in tensors)
            stream.Write(tensor.Data.Span);
    }

    private static SafeTensorsFile Parse(byte[] bytes, int length)
    {
        SafeTensorsHeader header = SafeTensorsHeader.Parse(bytes, length);
        var file = new SafeTensorsFile();
        foreach (KeyValuePair<string, string> pair in header.Metadata)
            file.metadata.Add(pair.Key, pair.Value);
        foreach (TensorHeader tensor in header.Tensors)
        {
            ReadOnlyMemory<byte> data = bytes.AsMemory(header.DataStart + tensor.Begin, tensor.End - tensor.Begin);
            file.AddTensor(new SafeTensor(tensor.Name, tensor.DType, tensor.Shape, tensor.ElementCount, data));
        }

        return file;
    }

    private void AddTensor(SafeTensor tensor)
    {
        tensors.Add(tensor);
        tensorsByName.Add(tensor.Name, tensor);
    }
}
