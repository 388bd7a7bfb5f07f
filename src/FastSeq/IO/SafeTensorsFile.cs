using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

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
    internal const string Float32 = "F32";
    private const string MetadataKey = "__metadata__";

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
        if (!TryCountElements(dims, out int count) || count != values.Length)
            throw new ArgumentException($"Tensor '{name}' has shape {SafeTensor.Format(dims)} but {values.Length} values were given.", nameof(values));

        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        AddTensor(new SafeTensor(name, Float32, dims, count, bytes));
    }

    /// <summary>Reads and validates a safetensors file.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message says what is wrong.</exception>
    public static SafeTensorsFile Read(string path) => Parse(File.ReadAllBytes(path));

    /// <summary>Reads and validates a safetensors file from the current position to the end of <paramref name="stream"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file; the message says what is wrong.</exception>
    public static SafeTensorsFile Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return Parse(bytes.GetBuffer().AsMemory(0, (int)bytes.Length));
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

    private static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length < 8)
            throw new InvalidDataException($"The file is {bytes.Length} bytes long, shorter than the 8-byte header length that starts a safetensors file.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Span);
        if (headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"The header length {headerLength} is beyond the end of the file: only {bytes.Length - 8} bytes follow the length prefix.");
        ReadOnlyMemory<byte> header = bytes.Slice(8, (int)headerLength);
        ReadOnlyMemory<byte> data = bytes[(8 + (int)headerLength)..];
        if (!Utf8.IsValid(header.Span))
            throw new InvalidDataException("The header is not valid UTF-8.");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"The header is a JSON {root.ValueKind}, expected an object.");

            var file = new SafeTensorsFile();
            var spans = new List<(string Name, int Begin, int End)>();
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    file.ReadMetadata(property.Value);
                    continue;
                }

                if (file.tensorsByName.ContainsKey(property.Name))
                    throw new InvalidDataException($"The header names tensor '{property.Name}' twice.");
                (SafeTensor tensor, int begin, int end) = ReadTensor(property.Name, property.Value, data);
                file.AddTensor(tensor);
                spans.Add((tensor.Name, begin, end));
            }

            CheckContiguous(spans, data.Length);
            return file;
        }
    }

    private void ReadMetadata(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{MetadataKey}' is a JSON {element.ValueKind}, expected an object of strings.");
        foreach (JsonProperty pair in element.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"Metadata '{pair.Name}' is a JSON {pair.Value.ValueKind}; safetensors metadata values are strings.");
            if (!metadata.TryAdd(pair.Name, pair.Value.GetString()!))
                throw new InvalidDataException($"The metadata names '{pair.Name}' twice.");
        }
    }

    private static (SafeTensor Tensor, int Begin, int End) ReadTensor(string name, JsonElement element, ReadOnlyMemory<byte> data)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"Tensor '{name}' is a JSON {element.ValueKind}, expected an object with dtype, shape and data_offsets.");

        JsonElement dtypeElement = Field(name, element, "dtype", JsonValueKind.String);
        string dtype = dtypeElement.GetString()!;
        int elementSize = ElementSize(dtype);
        if (elementSize == 0)
            throw new InvalidDataException($"Tensor '{name}' has unknown dtype '{dtype}'.");

        JsonElement shapeElement = Field(name, element, "shape", JsonValueKind.Array);
        var shape = new int[shapeElement.GetArrayLength()];
        for (int i = 0; i < shape.Length; i++)
        {
            if (!shapeElement[i].TryGetInt32(out shape[i]) || shape[i] < 0)
                throw new InvalidDataException($"Tensor '{name}' has shape {shapeElement.GetRawText()}, expected an array of non-negative integers.");
        }

        JsonElement offsetsElement = Field(name, element, "data_offsets", JsonValueKind.Array);
        if (offsetsElement.GetArrayLength() != 2
            || !offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end)
            || begin < 0 || end < begin)
            throw new InvalidDataException($"Tensor '{name}' has data_offsets {offsetsElement.GetRawText()}, expected [begin, end] with 0 <= begin <= end.");

        if (!TryCountElements(shape, out int count))
            throw new InvalidDataException($"Tensor '{name}' has shape {SafeTensor.Format(shape)}, more than {int.MaxValue} elements.");
        if ((long)count * elementSize != end - begin)
            throw new InvalidDataException(
                $"Tensor '{name}' of dtype {dtype} and shape {SafeTensor.Format(shape)} needs {(long)count * elementSize} bytes, " +
                $"but its data_offsets [{begin}, {end}] span {end - begin}.");
        if (end > data.Length)
            throw new InvalidDataException($"The data is truncated: tensor '{name}' ends at byte {end} of the data, but only {data.Length} bytes follow the header.");

        var tensor = new SafeTensor(name, dtype, shape, count, data.Slice((int)begin, (int)(end - begin)));
        return (tensor, (int)begin, (int)end);
    }

    private static JsonElement Field(string tensor, JsonElement element, string field, JsonValueKind kind)
    {
        if (!element.TryGetProperty(field, out JsonElement value))
            throw new InvalidDataException($"Tensor '{tensor}' has no '{field}'.");
        if (value.ValueKind != kind)
            throw new InvalidDataException($"Tensor '{tensor}' has a '{field}' that is a JSON {value.ValueKind}, expected {kind}.");
        return value;
    }

    // The spec forbids holes and overlaps: sorted by begin, each tensor starts where the previous ends,
    // and the last ends at the end of the file.
    private static void CheckContiguous(List<(string Name, int Begin, int End)> spans, int dataLength)
    {
        spans.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        int expected = 0;
        foreach ((string name, int begin, int end) in spans)
        {
            if (begin != expected)
                throw new InvalidDataException($"Tensor '{name}' starts at byte {begin} of the data, but the previous tensor ends at byte {expected}: tensors must follow each other without gaps or overlaps.");
            expected = end;
        }

        if (expected != dataLength)
            throw new InvalidDataException($"{dataLength - expected} bytes of data follow the last tensor, which ends at byte {expected}.");
    }

    private void AddTensor(SafeTensor tensor)
    {
        tensors.Add(tensor);
        tensorsByName.Add(tensor.Name, tensor);
    }

    private static bool TryCountElements(int[] shape, out int count)
    {
        long product = 1;
        foreach (int dim in shape)
        {
            product *= dim;
            if (dim < 0 || product > int.MaxValue)
            {
                count = 0;
                return false;
            }
        }

        count = (int)product;
        return true;
    }

    private static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "F8_E4M3" or "F8_E5M2" or "I8" or "U8" or "BOOL" => 1,
        _ => 0,
    };
}
