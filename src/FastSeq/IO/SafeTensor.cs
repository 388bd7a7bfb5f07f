using System.Buffers.Binary;

namespace FastSeq.IO;

/// <summary>One tensor of a <see cref="SafeTensorsFile"/>: its name, dtype, shape and raw little-endian bytes.</summary>
public sealed class SafeTensor
{
    private readonly int[] shape;

    internal SafeTensor(string name, string dtype, int[] shape, int elementCount, ReadOnlyMemory<byte> data)
    {
        Name = name;
        DType = dtype;
        this.shape = shape;
        ElementCount = elementCount;
        Data = data;
    }

    /// <summary>The tensor's name, e.g. <c>lstm.weight_ih_l0</c>.</summary>
    public string Name { get; }

    /// <summary>The safetensors dtype, e.g. <c>F32</c>, <c>F16</c>, <c>I64</c>.</summary>
    public string DType { get; }

    /// <summary>The dimensions, outermost first (row-major).</summary>
    public IReadOnlyList<int> Shape => Array.AsReadOnly(shape);

    /// <summary>The product of the dimensions.</summary>
    public int ElementCount { get; }

    /// <summary>The raw little-endian bytes of the tensor.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Decodes an <c>F32</c> tensor into <paramref name="destination"/>, which must hold exactly <see cref="ElementCount"/> floats.</summary>
    /// <exception cref="InvalidDataException">The tensor's dtype is not <c>F32</c>.</exception>
    public void CopyTo(Span<float> destination)
    {
        if (DType != SafeTensorsHeader.Float32)
            throw new InvalidDataException(SafeTensorsHeader.WrongDTypeMessage(Name, DType));
        if (destination.Length != ElementCount)
            throw new ArgumentException($"Tensor '{Name}' has {ElementCount} elements but the destination holds {destination.Length}.", nameof(destination));
        DecodeFloats(Data.Span, destination);
    }

    /// <summary>Reads <c>destination.Length</c> little-endian float32 values from the start of <paramref name="bytes"/>.</summary>
    internal static void DecodeFloats(ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * sizeof(float)));
    }

    /// <summary>Decodes an <c>F32</c> tensor into a new array.</summary>
    /// <exception cref="InvalidDataException">The tensor's dtype is not <c>F32</c>.</exception>
    public float[] ToFloatArray()
    {
        var values = new float[ElementCount];
        CopyTo(values);
        return values;
    }

    /// <summary>The shape written as <c>[a, b]</c>, for messages.</summary>
    internal static string Format(IReadOnlyList<int> shape) => SafeTensorsHeader.FormatShape(shape);
}
