using System.Text;
using FastSeq.IO;

namespace FastSeq.Tests.IO;

public class SafeTensorsFileTests
{
    private static string ReferencePath(string name) => Path.Combine(AppContext.BaseDirectory, "Reference", name + ".safetensors");

    [Theory]
    [InlineData("simple_rnn_seq", "rnn", 1)]
    [InlineData("lstm_seq", "lstm", 4)]
    [InlineData("gru_seq", "gru", 3)]
    public void Reads_single_layer_reference_files(string file, string layer, int gates)
    {
        SafeTensorsFile reference = SafeTensorsFile.Read(ReferencePath(file));

        Assert.Equal("3", reference.Metadata["features"]);
        Assert.Equal("4", reference.Metadata["timesteps"]);
        Assert.Equal("2", reference.Metadata["batch"]);
        Assert.Equal("0.1", reference.Metadata["learning_rate"]);
        Assert.Contains($"\"name\": \"{layer}\"", reference.Metadata["layers"], StringComparison.Ordinal);
        Assert.Equal([gates * 5, 3], reference.GetTensor($"{layer}.weight_ih_l0").Shape);
        Assert.Equal([gates * 5, 5], reference.GetTensor($"{layer}.weight_hh_l0").Shape);
        Assert.Equal([gates * 5], reference.GetTensor($"{layer}.bias_hh_l0").Shape);
        Assert.Equal([2, 4, 3], reference.GetTensor("input").Shape);
        Assert.Equal([2, 4, 5], reference.GetTensor("output").Shape);
        Assert.Equal("weight_ih_l0", reference.Tensors[0].Name[(layer.Length + 1)..]);
        Assert.All(reference.Tensors, t => Assert.Equal("F32", t.DType));
    }

    [Fact]
    public void Reads_stacked_reference_files()
    {
        SafeTensorsFile sine = SafeTensorsFile.Read(ReferencePath("sine_forecaster"));
        Assert.Equal("10", sine.Metadata["timesteps"]);
        Assert.Equal([32, 1], sine.GetTensor("rnn1.weight_ih_l0").Shape);
        Assert.Equal([32, 32], sine.GetTensor("rnn2.weight_ih_l0").Shape);
        Assert.Equal([1, 32], sine.GetTensor("head.weight").Shape);
        Assert.Equal([4, 10, 1], sine.GetTensor("input").Shape);

        SafeTensorsFile classifier = SafeTensorsFile.Read(ReferencePath("lstm_stack_classifier"));
        Assert.Contains("\"sigmoid\"", classifier.Metadata["layers"], StringComparison.Ordinal);
        Assert.Equal([32, 8], classifier.GetTensor("enc2.weight_hh_l0").Shape);
        Assert.Equal([3, 8], classifier.GetTensor("head.weight").Shape);
        float[] loss = classifier.GetTensor("loss").ToFloatArray();
        Assert.Single(loss);
        Assert.True(loss[0] > 0 && float.IsFinite(loss[0]));
    }

    [Fact]
    public void Decodes_little_endian_floats_at_their_offsets()
    {
        byte[] bytes = SafeTensorsBytes.Build(
            ("a", "F32", [2], SafeTensorsBytes.Floats(1.5f, -2f)),
            ("b", "F32", [1, 3], SafeTensorsBytes.Floats(3f, float.NegativeInfinity, 1e-40f)));

        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(bytes));

        Assert.Equal([1.5f, -2f], file.GetTensor("a").ToFloatArray());
        Assert.Equal([3f, float.NegativeInfinity, 1e-40f], file.GetTensor("b").ToFloatArray());
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Write_then_read_round_trips_and_pads_the_header()
    {
        var file = new SafeTensorsFile();
        file.Metadata["note"] = "ünïcode & <tags>";
        file.Metadata["a"] = "1";
        file.Add("z.first", [2, 1], [1f, -0f]);
        file.Add("a.second", [3], [float.NaN, float.Epsilon, float.MaxValue]);
        file.Add("empty", [0], []);

        byte[] bytes = Write(file);
        ulong headerLength = BitConverter.ToUInt64(bytes, 0);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        SafeTensorsFile read = SafeTensorsFile.Read(new MemoryStream(bytes));

        Assert.Equal(0UL, headerLength % 8);
        Assert.Equal(8 + (int)headerLength + (5 * 4), bytes.Length);
        Assert.EndsWith("}", header.TrimEnd(' '), StringComparison.Ordinal);
        Assert.StartsWith("{\"__metadata__\":{\"a\":\"1\",\"note\":", header, StringComparison.Ordinal);
        Assert.Equal(["z.first", "a.second", "empty"], read.Tensors.Select(t => t.Name));
        Assert.Equal([2, 1], read.GetTensor("z.first").Shape);
        Assert.Equal(file.Metadata, read.Metadata);
        Assert.Equal(Bits(1f, -0f), Bits(read.GetTensor("z.first").ToFloatArray()));
        Assert.Equal(Bits(float.NaN, float.Epsilon, float.MaxValue), Bits(read.GetTensor("a.second").ToFloatArray()));
        Assert.Equal(bytes, Write(read));
    }

    [Fact]
    public void Rewriting_a_reference_file_keeps_every_tensor()
    {
        SafeTensorsFile reference = SafeTensorsFile.Read(ReferencePath("gru_seq"));
        SafeTensorsFile copy = SafeTensorsFile.Read(new MemoryStream(Write(reference)));

        Assert.Equal(reference.Metadata, copy.Metadata);
        Assert.Equal(reference.Tensors.Select(t => t.Name), copy.Tensors.Select(t => t.Name));
        foreach (SafeTensor tensor in reference.Tensors)
        {
            Assert.Equal(tensor.Shape, copy.GetTensor(tensor.Name).Shape);
            Assert.Equal(tensor.Data.ToArray(), copy.GetTensor(tensor.Name).Data.ToArray());
        }
    }

    [Fact]
    public void Add_rejects_values_that_do_not_fill_the_shape()
    {
        var file = new SafeTensorsFile();
        file.Add("w", [2, 2], [1f, 2f, 3f, 4f]);

        Assert.Contains("[2, 3]", Assert.Throws<ArgumentException>(() => file.Add("x", [2, 3], [1f])).Message, StringComparison.Ordinal);
        Assert.Contains("'w'", Assert.Throws<ArgumentException>(() => file.Add("w", [1], [1f])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => file.Add("__metadata__", [1], [1f]));
    }

    [Fact]
    public void Reading_floats_of_another_dtype_names_the_tensor_and_dtype()
    {
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(SafeTensorsBytes.Build(("half", "F16", [2], new byte[4]))));

        var error = Assert.Throws<InvalidDataException>(() => file.GetTensor("half").ToFloatArray());
        Assert.Contains("'half'", error.Message, StringComparison.Ordinal);
        Assert.Contains("F16", error.Message, StringComparison.Ordinal);
        Assert.Contains("'nope'", Assert.Throws<InvalidDataException>(() => file.GetTensor("nope")).Message, StringComparison.Ordinal);
    }

    public static TheoryData<byte[], string> InvalidFiles()
    {
        byte[] eight = SafeTensorsBytes.Floats(1f, 2f);
        const string Tensor = "\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        return new()
        {
            { [], "shorter than the 8-byte header length" },
            { [1, 0, 0], "shorter than the 8-byte header length" },
            { SafeTensorsBytes.Build("{" + Tensor + "}", eight, headerLength: 1000), "header length 1000 is beyond the end" },
            { SafeTensorsBytes.Build("{" + Tensor + "}", eight, headerLength: ulong.MaxValue), "beyond the end" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":", eight), "not valid JSON" },
            { SafeTensorsBytes.Build("", []), "not valid JSON" },
            { SafeTensorsBytes.Build("[1, 2]", []), "expected an object" },
            { SafeTensorsBytes.Build("{\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "'t' has no 'dtype'" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", eight), "'t' has no 'shape'" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", eight), "'t' has no 'data_offsets'" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", eight), "'shape' that is a JSON Number" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight), "non-negative integers" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "unknown dtype 'Q7'" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", eight), "0 <= begin <= end" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", eight), "data_offsets [0]" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", eight), "needs 12 bytes, but its data_offsets [0, 8] span 8" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "needs 16 bytes" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", eight), "truncated: tensor 't' ends at byte 12" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight), "'t' starts at byte 4" },
            { SafeTensorsBytes.Build("{" + Tensor + ",\"u\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight), "'u' starts at byte 4" },
            { SafeTensorsBytes.Build("{" + Tensor + "}", [.. eight, 0]), "1 bytes of data follow the last tensor" },
            { SafeTensorsBytes.Build("{" + Tensor + "," + Tensor + "}", eight), "names tensor 't' twice" },
            { SafeTensorsBytes.Build("{\"__metadata__\":{\"layers\":3}," + Tensor + "}", eight), "Metadata 'layers' is a JSON Number" },
            { SafeTensorsBytes.Build("{\"__metadata__\":[]," + Tensor + "}", eight), "'__metadata__' is a JSON Array" },
            // Found by fuzzing: each threw InvalidOperationException, or overflowed, or nested without limit.
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", eight), "has shape [\"2\"], expected an array of non-negative integers" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",8]}}", eight), "data_offsets [\"0\", 8], expected [begin, end]" },
            { SafeTensorsBytes.Build("{\"t\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "lone surrogate escape \\uD800" },
            { SafeTensorsBytes.Build("{\"__metadata__\":{\"k\":\"\\udc00\"}," + Tensor + "}", eight), "lone surrogate escape \\uDC00" },
            { SafeTensorsBytes.Build("{\"__metadata__\":{\"k\":" + new string('[', 100_000) + new string(']', 100_000) + "}," + Tensor + "}", eight), "nests JSON values more than 64 levels deep" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[9223372036854775800,9223372036854775808]}}", eight), "< 2^63" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[9223372036854775799,9223372036854775807]}}", eight), "truncated: tensor 't' ends at byte 9223372036854775807" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,8]}}", eight), "more than 2147483647 elements" },
            { SafeTensorsBytes.Build("{" + Tensor + ",\"u\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", eight), "'t' starts at byte 0 of the data, but the previous tensor ends at byte 4" },
            { SafeTensorsBytes.Build("{\"t\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "'t' has 'dtype' twice" },
            { SafeTensorsBytes.Build("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}," + Tensor + "}", eight), "metadata names 'k' twice" },
            { SafeTensorsBytes.Build("{" + Tensor + "} x", eight), "expected the end of the header at character" },
            { SafeTensorsBytes.Build("{" + Tensor + ",}", eight), "not valid JSON" },
            { SafeTensorsBytes.Build("{\"t\u0001\":{}}", eight), "not valid JSON" },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Invalid_files_throw_naming_the_problem(byte[] bytes, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(new MemoryStream(bytes)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_in_the_header_is_rejected()
    {
        byte[] bytes = SafeTensorsBytes.Build("{\"__metadata__\":{\"k\":\"v\"}}", []);
        bytes[^3] = 0xFF;
        Assert.Contains("UTF-8", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(new MemoryStream(bytes))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reference_file_cut_anywhere_is_rejected()
    {
        byte[] bytes = File.ReadAllBytes(ReferencePath("simple_rnn_seq"));
        int headerEnd = 8 + (int)BitConverter.ToUInt64(bytes, 0);
        (int Length, string Expected)[] cuts =
        [
            (0, "shorter than the 8-byte"), (7, "shorter than the 8-byte"), (8, "beyond the end"),
            (headerEnd - 1, "beyond the end"), (headerEnd, "truncated"), (headerEnd + 1, "truncated"),
            (bytes.Length - 1, "truncated"),
        ];
        foreach ((int length, string expected) in cuts)
        {
            var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(new MemoryStream(bytes[..length])));
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
    }

    private static byte[] Write(SafeTensorsFile file)
    {
        using var stream = new MemoryStream();
        file.Write(stream);
        return stream.ToArray();
    }

    private static int[] Bits(params float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
