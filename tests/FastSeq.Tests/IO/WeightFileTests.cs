using FastSeq.IO;
using FastSeq.Layers;

namespace FastSeq.Tests.IO;

public sealed class WeightFileTests : IDisposable
{
    // A model with every layout: LSTM 3->2, GRU 2->2, SimpleRnn 2->3, Dense 3->1; 106 floats.
    private static readonly StateDictEntry[] Entries =
    [
        .. StateDict.Of(LayerCatalog.Lstm, "lstm", 0, 3, 2),
        .. StateDict.Of(LayerCatalog.Gru, "gru", 48, 2, 2),
        .. StateDict.Of(LayerCatalog.SimpleRnn, "rnn", 84, 2, 3),
        .. StateDict.Of(LayerCatalog.Dense, "head", 102, 3, 1),
    ];

    private const int ParameterCount = 106;

    private readonly string folder = Directory.CreateTempSubdirectory("fastseq-io-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Save_then_load_is_bit_exact_for_every_layout()
    {
        float[] parameters = RandomParameters(seed: 1);
        float[] loaded = new float[ParameterCount];

        WeightFile.Load(new MemoryStream(SaveToBytes(parameters)), Entries, loaded, allowNonFinite: true);

        Assert.Equal(Bits(parameters), Bits(loaded));
    }

    [Fact]
    public void Save_writes_pytorch_layouts()
    {
        float[] parameters = RandomParameters(seed: 2);
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(SaveToBytes(parameters)));

        Assert.Equal(Entries.Select(e => e.Name), file.Tensors.Select(t => t.Name));
        // lstm.weight_ih_l0 [8, 3] is the transpose of the kernel [3, 8] at offset 0.
        float[] weightIh = file.GetTensor("lstm.weight_ih_l0").ToFloatArray();
        for (int r = 0; r < 8; r++)
        {
            for (int c = 0; c < 3; c++)
                Assert.Equal(parameters[(c * 8) + r], weightIh[(r * 3) + c]);
        }

        // Summed bias: all of it in bias_ih, zeros in bias_hh.
        Assert.Equal(parameters[40..48], file.GetTensor("lstm.bias_ih_l0").ToFloatArray());
        Assert.Equal(new float[8], file.GetTensor("lstm.bias_hh_l0").ToFloatArray());
        Assert.Equal(parameters[99..102], file.GetTensor("rnn.bias_ih_l0").ToFloatArray());
        Assert.Equal(new float[3], file.GetTensor("rnn.bias_hh_l0").ToFloatArray());
        // GRU: two biases of its own, [2, 6] after the kernels.
        Assert.Equal(parameters[72..78], file.GetTensor("gru.bias_ih_l0").ToFloatArray());
        Assert.Equal(parameters[78..84], file.GetTensor("gru.bias_hh_l0").ToFloatArray());
        Assert.Equal(parameters[102..105], file.GetTensor("head.weight").ToFloatArray());
        Assert.Equal([1, 3], file.GetTensor("head.weight").Shape);
    }

    [Fact]
    public void Loading_a_summed_bias_adds_the_two_pytorch_biases()
    {
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(SaveToBytes(RandomParameters(seed: 3))));
        var tensors = file.Tensors.Select(t => (t.Name, t.DType, Shape: t.Shape.ToArray(), t.Data.ToArray())).ToArray();
        float[] ih = [1f, 2f, 3f];
        float[] hh = [0.5f, -4f, 10f];
        tensors[Array.FindIndex(tensors, t => t.Name == "rnn.bias_ih_l0")].Item4 = SafeTensorsBytes.Floats(ih);
        tensors[Array.FindIndex(tensors, t => t.Name == "rnn.bias_hh_l0")].Item4 = SafeTensorsBytes.Floats(hh);
        float[] loaded = new float[ParameterCount];

        WeightFile.Load(new MemoryStream(SafeTensorsBytes.Build(tensors)), Entries, loaded, allowNonFinite: true);

        Assert.Equal([1.5f, -2f, 13f], loaded[99..102]);
    }

    [Fact]
    public void Loads_a_pytorch_reference_file_into_keras_layouts()
    {
        StateDictEntry[] entries = [.. StateDict.Of(LayerCatalog.Lstm, "enc1", 0, 2, 8), .. StateDict.Of(LayerCatalog.Lstm, "enc2", 352, 8, 8), .. StateDict.Of(LayerCatalog.Dense, "head", 896, 8, 3)];
        SafeTensorsFile reference = SafeTensorsFile.Read(Path.Combine(AppContext.BaseDirectory, "Reference", "lstm_stack_classifier.safetensors"));
        float[] parameters = new float[923];

        WeightFile.Load(reference, entries, parameters, allowUnexpectedTensors: true);

        float[] weightIh = reference.GetTensor("enc1.weight_ih_l0").ToFloatArray();    // [32, 2]
        float[] weightHh = reference.GetTensor("enc2.weight_hh_l0").ToFloatArray();    // [32, 8]
        float[] biasIh = reference.GetTensor("enc2.bias_ih_l0").ToFloatArray();
        float[] biasHh = reference.GetTensor("enc2.bias_hh_l0").ToFloatArray();
        float[] head = reference.GetTensor("head.weight").ToFloatArray();              // [3, 8]
        for (int g = 0; g < 32; g++)
        {
            for (int i = 0; i < 2; i++)
                Assert.Equal(weightIh[(g * 2) + i], parameters[(i * 32) + g]);        // kernel [2, 32]
            for (int h = 0; h < 8; h++)
                Assert.Equal(weightHh[(g * 8) + h], parameters[352 + 256 + (h * 32) + g]);
            Assert.Equal(biasIh[g] + biasHh[g], parameters[352 + 512 + g]);
        }

        for (int u = 0; u < 3; u++)
        {
            for (int i = 0; i < 8; i++)
                Assert.Equal(head[(u * 8) + i], parameters[896 + (i * 3) + u]);
        }

        Assert.Equal(reference.GetTensor("head.bias").ToFloatArray(), parameters[920..]);
    }

    [Fact]
    public void A_reference_file_with_extra_tensors_does_not_load_strictly()
    {
        StateDictEntry[] entries = [.. StateDict.Of(LayerCatalog.Gru, "gru", 0, 3, 5)];
        float[] parameters = [.. Enumerable.Range(0, 150).Select(i => i * 0.25f)];
        float[] before = [.. parameters];

        var error = Assert.Throws<InvalidDataException>(() =>
            WeightFile.Load(Path.Combine(AppContext.BaseDirectory, "Reference", "gru_seq.safetensors"), entries, parameters));

        // The first three in file order, and how many more: a reference file holds 13.
        Assert.Equal("The file has tensors this model does not: 'input', 'target', 'output' and 10 more.", error.Message);
        Assert.Equal(before, parameters);
    }

    public static TheoryData<string, string> BadFiles() => new()
    {
        { "cut:4", "shorter than the 8-byte" },
        { "cut:100", "beyond the end" },
        { "cut:-4", "truncated" },
        { "cut:-400", "truncated" },
        { "header-length", "beyond the end" },
        { "json", "not valid JSON" },
        { "dtype:F16", "'head.bias' has dtype F16, expected F32" },
        { "dtype:F64", "'head.bias' has dtype F64, expected F32" },
        { "shape", "'head.weight' has shape [3, 1], expected [1, 3]" },
        { "missing", "no tensor 'head.bias' (expected shape [1])" },
        { "extra", "tensors this model does not: 'other.weight'" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_failed_load_throws_and_leaves_parameters_unchanged(string problem, string expected)
    {
        byte[] bytes = BadFile(problem, SaveToBytes(RandomParameters(seed: 5)));
        float[] parameters = RandomParameters(seed: 6);
        float[] before = [.. parameters];
        string path = Path.Combine(folder, "bad.safetensors");
        File.WriteAllBytes(path, bytes);

        var fromStream = Assert.Throws<InvalidDataException>(() => WeightFile.Load(new MemoryStream(bytes), Entries, parameters, allowNonFinite: true));
        var fromPath = Assert.Throws<InvalidDataException>(() => WeightFile.Load(path, Entries, parameters, allowNonFinite: true));

        Assert.Contains(expected, fromStream.Message, StringComparison.Ordinal);
        Assert.Equal(fromStream.Message, fromPath.Message);
        Assert.Equal(Bits(before), Bits(parameters));
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void Non_finite_values_are_refused_unless_allowed(float value, string written)
    {
        float[] saved = RandomParameters(seed: 13);
        for (int i = 0; i < saved.Length; i++)
        {
            if (!float.IsFinite(saved[i]))
                saved[i] = 0.5f;
        }

        saved[102 + 2] = value;  // head.weight [1, 3], element 2
        byte[] bytes = SaveToBytes(saved);
        float[] parameters = RandomParameters(seed: 14);
        float[] before = [.. parameters];

        var e = Assert.Throws<InvalidDataException>(() => WeightFile.Load(new MemoryStream(bytes), Entries, parameters));

        Assert.Equal($"Tensor 'head.weight' holds {written} at index 2.", e.Message);
        Assert.Equal(Bits(before), Bits(parameters));
        WeightFile.Load(new MemoryStream(bytes), Entries, parameters, allowNonFinite: true);
        Assert.Equal(Bits(saved), Bits(parameters));
    }

    [Fact]
    public void Every_load_is_strict_by_default_and_names_a_few_unexpected_tensors()
    {
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(SaveToBytes(RandomParameters(seed: 15))));
        var tensors = file.Tensors.Select(t => (t.Name, t.DType, Shape: t.Shape.ToArray(), Data: t.Data.ToArray())).ToList();
        foreach (string name in new[] { "a", "b", "c", "d", "e", "f", "g" })
            tensors.Add((name, "F32", [1], SafeTensorsBytes.Floats(1f)));
        byte[] bytes = SafeTensorsBytes.Build([.. tensors]);
        string path = Path.Combine(folder, "extra.safetensors");
        File.WriteAllBytes(path, bytes);
        const string Expected = "The file has tensors this model does not: 'a', 'b', 'c' and 4 more.";

        Assert.Equal(Expected, Assert.Throws<InvalidDataException>(() => WeightFile.Load(path, Entries, new float[ParameterCount], allowNonFinite: true)).Message);
        Assert.Equal(Expected, Assert.Throws<InvalidDataException>(() => WeightFile.Load(new MemoryStream(bytes), Entries, new float[ParameterCount], allowNonFinite: true)).Message);
        Assert.Equal(Expected, Assert.Throws<InvalidDataException>(() => WeightFile.Load(SafeTensorsFile.Read(path), Entries, new float[ParameterCount], allowNonFinite: true)).Message);
        WeightFile.Load(path, Entries, new float[ParameterCount], allowUnexpectedTensors: true, allowNonFinite: true);
    }

    [Fact]
    public void Parameters_shorter_than_the_entries_are_an_argument_error()
    {
        byte[] bytes = SaveToBytes(RandomParameters(seed: 7));

        var load = Assert.Throws<ArgumentException>(() => WeightFile.Load(new MemoryStream(bytes), Entries, new float[105]));
        var save = Assert.Throws<ArgumentException>(() => WeightFile.Save(new MemoryStream(), Entries, new float[105]));

        Assert.Contains("'head.bias' covers floats [105, 106) but the parameters hold 105", load.Message, StringComparison.Ordinal);
        Assert.Equal(load.Message, save.Message);
    }

    [Fact]
    public void LoadRaw_reads_the_tensors_back_to_back_in_entry_order()
    {
        float[] parameters = RandomParameters(seed: 11);
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(SaveToBytes(parameters)));
        byte[] raw = [.. Entries.SelectMany(e => file.GetTensor(e.Name).Data.ToArray())];
        float[] loaded = new float[ParameterCount];

        WeightFile.LoadRaw(raw, Entries, loaded);

        Assert.Equal(Bits(parameters), Bits(loaded));
    }

    [Theory]
    [InlineData(-4)]
    [InlineData(4)]
    public void LoadRaw_rejects_a_byte_count_other_than_the_entries_hold(int extraBytes)
    {
        // Each summed bias comes as two PyTorch tensors: 117 floats for the 106 parameters.
        int expectedBytes = Entries.Sum(entry => entry.Length) * sizeof(float);
        Assert.Equal(468, expectedBytes);
        float[] parameters = RandomParameters(seed: 12);
        float[] before = [.. parameters];

        var e = Assert.Throws<ArgumentException>(() => WeightFile.LoadRaw(new byte[expectedBytes + extraBytes], Entries, parameters));

        Assert.Equal("tensors", e.ParamName);
        Assert.Contains($"tensors must hold {expectedBytes} bytes for these entries, but holds {expectedBytes + extraBytes}.", e.Message, StringComparison.Ordinal);
        Assert.Equal(Bits(before), Bits(parameters));
    }

    [Fact]
    public void Save_to_a_path_replaces_the_file_and_keeps_metadata()
    {
        string path = Path.Combine(folder, "model.safetensors");
        File.WriteAllText(path, "old contents");
        float[] parameters = RandomParameters(seed: 8);

        WeightFile.Save(path, Entries, parameters, new Dictionary<string, string> { ["layers"] = "4", ["learning_rate"] = "0.01" });

        float[] loaded = new float[ParameterCount];
        WeightFile.Load(path, Entries, loaded, allowNonFinite: true);
        Assert.Equal(Bits(parameters), Bits(loaded));
        Assert.Equal("0.01", SafeTensorsFile.Read(path).Metadata["learning_rate"]);
        Assert.Equal(SaveToBytes(parameters, new Dictionary<string, string> { ["learning_rate"] = "0.01", ["layers"] = "4" }), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(folder));
    }

    [Fact]
    public void A_failed_save_leaves_the_existing_file_and_no_temporary_file()
    {
        string path = Path.Combine(folder, "model.safetensors");
        WeightFile.Save(path, Entries, RandomParameters(seed: 9));
        byte[] before = File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => WeightFile.Save(path, Entries, new float[50]));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(folder));
    }

    [Fact]
    public void Saving_into_a_missing_folder_fails_without_creating_anything()
    {
        string path = Path.Combine(folder, "missing", "model.safetensors");

        Assert.Throws<DirectoryNotFoundException>(() => WeightFile.Save(path, Entries, RandomParameters(seed: 10)));

        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    private static byte[] BadFile(string problem, byte[] good)
    {
        if (problem.StartsWith("cut:", StringComparison.Ordinal))
        {
            int cut = int.Parse(problem[4..], System.Globalization.CultureInfo.InvariantCulture);
            return good[..(cut >= 0 ? cut : good.Length + cut)];
        }

        if (problem == "header-length")
        {
            byte[] bytes = [.. good];
            BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)good.Length);
            return bytes;
        }

        if (problem == "json")
        {
            byte[] bytes = [.. good];
            bytes[8] = (byte)'[';
            return bytes;
        }

        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(good));
        var tensors = file.Tensors.Select(t => (t.Name, t.DType, Shape: t.Shape.ToArray(), Data: t.Data.ToArray())).ToList();
        switch (problem)
        {
            case "dtype:F16":
                tensors[^1] = (tensors[^1].Name, "F16", tensors[^1].Shape, new byte[2]);
                break;
            case "dtype:F64":
                tensors[^1] = (tensors[^1].Name, "F64", tensors[^1].Shape, BitConverter.GetBytes(1.0));
                break;
            case "shape":
                tensors[^2] = (tensors[^2].Name, "F32", [3, 1], tensors[^2].Data);
                break;
            case "missing":
                tensors.RemoveAt(tensors.Count - 1);
                break;
            case "extra":
                tensors.Add(("other.weight", "F32", [1], SafeTensorsBytes.Floats(1f)));
                break;
            default:
                throw new ArgumentException(problem, nameof(problem));
        }

        return SafeTensorsBytes.Build([.. tensors]);
    }

    private static byte[] SaveToBytes(float[] parameters, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        WeightFile.Save(stream, Entries, parameters, metadata);
        return stream.ToArray();
    }

    // Arbitrary bit patterns (NaN payloads, infinities, subnormals, -0) everywhere except in the
    // summed biases, which loading adds (x + 0 would turn -0 into +0 and quiet a signalling NaN).
    private static float[] RandomParameters(int seed)
    {
        var random = new Random(seed);
        var parameters = new float[ParameterCount];
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] = BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue));
        parameters[0] = -0f;
        parameters[1] = float.Epsilon;
        parameters[2] = float.NegativeInfinity;
        parameters[3] = BitConverter.Int32BitsToSingle(0x7FC12345);
        foreach (StateDictEntry entry in Entries.Where(e => e.Layout == TensorLayout.SummedBiasInput))
        {
            for (int i = entry.Offset; i < entry.Offset + entry.Length; i++)
                parameters[i] = random.NextSingle() - 0.5f;
        }

        return parameters;
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
