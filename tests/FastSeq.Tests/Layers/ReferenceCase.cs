using System.Buffers.Binary;
using System.Text.Json;

namespace FastSeq.Tests.Layers;

/// <summary>
/// A PyTorch parity case from <c>Reference/*.safetensors</c>: an 8-byte little-endian header length,
/// a JSON header, then F32 data. A minimal reader for the layer tests only.
/// </summary>
internal sealed class ReferenceCase
{
    private readonly Dictionary<string, (int[] Shape, float[] Data)> _tensors = [];

    private ReferenceCase(string name) => Name = name;

    public string Name { get; }

    public Dictionary<string, string> Metadata { get; } = [];

    public static ReferenceCase Load(string name)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Reference", name + ".safetensors"));
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        int dataStart = 8 + headerLength;
        var result = new ReferenceCase(name);
        using JsonDocument header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        foreach (JsonProperty entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (JsonProperty item in entry.Value.EnumerateObject())
                    result.Metadata[item.Name] = item.Value.GetString()!;
                continue;
            }
            Assert.Equal("F32", entry.Value.GetProperty("dtype").GetString());
            int[] shape = [.. entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())];
            int begin = entry.Value.GetProperty("data_offsets")[0].GetInt32();
            int end = entry.Value.GetProperty("data_offsets")[1].GetInt32();
            float[] data = new float[(end - begin) / 4];
            for (int i = 0; i < data.Length; i++)
                data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + begin + 4 * i));
            Assert.Equal(shape.Aggregate(1, (a, b) => a * b), data.Length);
            result._tensors[entry.Name] = (shape, data);
        }
        return result;
    }

    public float[] this[string tensor] => _tensors.TryGetValue(tensor, out var t) ? t.Data : throw new KeyNotFoundException($"{Name} has no tensor {tensor}.");

    public int[] Shape(string tensor) => _tensors[tensor].Shape;

    /// <summary>A PyTorch <c>[rows, columns]</c> weight as the Keras kernel <c>[columns, rows]</c>.</summary>
    public float[] Transposed(string tensor)
    {
        int[] shape = Shape(tensor);
        float[] data = this[tensor];
        int rows = shape[0], columns = shape[1];
        float[] transposed = new float[data.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                transposed[c * rows + r] = data[r * columns + c];
        }
        return transposed;
    }
}
