using System.Globalization;
using FastSeq.IO;
using FastSeq.Kernels;

namespace FastSeq.Tests.Models;

/// <summary>One PyTorch parity case from tests/FastSeq.Tests/Reference (see its README).</summary>
internal sealed class ReferenceCase
{
    private ReferenceCase(string path)
    {
        Path = path;
        File = SafeTensorsFile.Read(path);
    }

    public string Path { get; }

    public SafeTensorsFile File { get; }

    public int Batch => int.Parse(File.Metadata["batch"], CultureInfo.InvariantCulture);

    public float LearningRate => float.Parse(File.Metadata["learning_rate"], CultureInfo.InvariantCulture);

    public float[] this[string name] => File.GetTensor(name).ToFloatArray();

    public int[] Shape(string name) => [.. File.GetTensor(name).Shape];

    /// <summary>A PyTorch <c>[rows, columns]</c> weight as the Keras kernel <c>[columns, rows]</c>.</summary>
    public float[] Transposed(string name)
    {
        int[] shape = Shape(name);
        var transposed = new float[shape[0] * shape[1]];
        MatMul.Transpose(this[name], shape[0], shape[1], transposed);
        return transposed;
    }

    public static ReferenceCase Load(string name) =>
        new(System.IO.Path.Combine(AppContext.BaseDirectory, "Reference", name + ".safetensors"));

    /// <summary>A flat buffer laid out by <paramref name="entries"/>, as PyTorch-named tensors (transposed back, biases split).</summary>
    public static SafeTensorsFile AsStateDict(ReadOnlySpan<StateDictEntry> entries, ReadOnlySpan<float> values)
    {
        using var stream = new MemoryStream();
        WeightFile.Save(stream, entries, values);
        stream.Position = 0;
        return SafeTensorsFile.Read(stream);
    }
}
