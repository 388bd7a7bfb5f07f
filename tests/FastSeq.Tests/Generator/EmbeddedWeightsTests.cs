using FastSeq.IO;
using FastSeq.Tests.Models;
using Microsoft.CodeAnalysis;

namespace FastSeq.Tests.Generator;

public class EmbeddedWeightsTests
{
    [Fact]
    public void Embedded_weights_equal_the_file_loaded_at_run_time()
    {
        var loaded = new SineReferenceModel();
        loaded.LoadWeights(ReferenceCase.Load("sine_forecaster").Path, allowUnexpectedTensors: true);
        Assert.Equal(loaded.Parameters.ToArray(), new EmbeddedSineModel().Parameters.ToArray());

        var gru = new GruSeqModel();
        gru.LoadWeights(ReferenceCase.Load("gru_seq").Path, allowUnexpectedTensors: true);
        Assert.Equal(gru.Parameters.ToArray(), new EmbeddedGruModel().Parameters.ToArray());

        // The seeded constructor still starts from Keras initialisation.
        Assert.NotEqual(loaded.Parameters.ToArray(), new EmbeddedSineModel(seed: 1).Parameters.ToArray());
    }

    private static readonly string Model = GeneratorHarness.SineModelWithWeights("weights/sine.safetensors");

    /// <summary>
    /// Writes <paramref name="bytes"/> as weights/<paramref name="fileName"/> in a fresh folder and runs the generator;
    /// with <paramref name="checkDocumentation"/>, XML doc comments are checked too.
    /// </summary>
    private static (Diagnostic[] Errors, string Source) Generate(byte[]? bytes, string? model = null, string fileName = "sine.safetensors", bool checkDocumentation = false)
    {
        model ??= Model;
        string folder = Path.Combine(Path.GetTempPath(), $"fastseq-{Guid.NewGuid():N}", "weights");
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, fileName);
            string[] files = [];
            if (bytes is not null)
            {
                File.WriteAllBytes(path, bytes);
                files = [path];
            }
            var (generator, compile, result) = checkDocumentation
                ? GeneratorHarness.RunWithFiles(GeneratorHarness.DocumentationParseOptions, files, model)
                : GeneratorHarness.RunWithFiles(files, model);
            Assert.Empty(compile);
            return ([.. generator], string.Concat(result.GeneratedTrees.Select(t => t.ToString())));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        }
    }

    private static byte[] ReferenceBytes() => File.ReadAllBytes(ReferenceCase.Load("sine_forecaster").Path);

    [Fact]
    public void A_valid_file_is_embedded_and_compiles_cleanly()
    {
        var (errors, source) = Generate(ReferenceBytes());
        Assert.Empty(errors);
        Assert.Contains("private static global::System.ReadOnlySpan<byte> EmbeddedWeights =>", source, StringComparison.Ordinal);
        Assert.Contains("public Sine() : this(global::FastSeq.Kernels.AlignedMemory.Allocate(ParameterCount)) => global::FastSeq.IO.WeightFile.LoadRaw(", source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("R&D <v2>.safetensors", "R&amp;D &lt;v2&gt;.safetensors")]
    [InlineData("say \"hi\".safetensors", "say &quot;hi&quot;.safetensors")]
    [InlineData("two\nlines.safetensors", "two lines.safetensors")]
    public void A_file_name_with_xml_characters_or_a_line_break_is_escaped_in_the_comments(string fileName, string inDocComment)
    {
        // Windows file names cannot hold < > " or line breaks; those cases only run where they can.
        if (OperatingSystem.IsWindows() && fileName.IndexOfAny(['<', '>', '"', '\n']) >= 0)
            return;
        string model = GeneratorHarness.SineModelWithWeights("weights/" + fileName).Replace("public partial class", "internal partial class", StringComparison.Ordinal);
        var (errors, source) = Generate(ReferenceBytes(), model, fileName, checkDocumentation: true);
        Assert.Empty(errors);
        Assert.Contains($"/// <summary>Creates the model with the weights embedded at compile time from &quot;weights/{inDocComment}&quot;.</summary>", source, StringComparison.Ordinal);
        Assert.Contains($"// The tensors of weights/{fileName.Replace('\n', ' ')}, in state-dict order", source, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_an_additional_file_is_an_error()
    {
        var (errors, _) = Generate(null);
        Diagnostic d = Assert.Single(errors);
        Assert.Equal("FSEQ0008", d.Id);
        Assert.Contains("<AdditionalFiles Include=\"weights/sine.safetensors\" />", d.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5, "shorter than the 8-byte header length")]
    [InlineData(100, "The header length 1000000 is beyond the end of the file")]
    [InlineData(-200, "The data is truncated")]
    public void An_unreadable_file_is_an_error(int cut, string message)
    {
        byte[] bytes = ReferenceBytes();
        bytes = cut > 0 ? bytes[..cut] : bytes[..(bytes.Length + cut)];
        if (cut == 100)
            BitConverter.GetBytes(1_000_000L).CopyTo(bytes, 0);
        var (errors, _) = Generate(bytes);
        Diagnostic d = Assert.Single(errors);
        Assert.Equal("FSEQ0009", d.Id);
        Assert.Contains(message, d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_header_is_an_error()
    {
        byte[] bytes = ReferenceBytes();
        bytes[9] = (byte)'!';
        var (errors, _) = Generate(bytes);
        Assert.Equal("FSEQ0009", Assert.Single(errors).Id);
    }

    [Fact]
    public void A_header_naming_a_tensor_twice_is_an_error_as_at_run_time()
    {
        // Same byte length: the header's "rnn1.bias_hh_l0" becomes a second "rnn1.bias_ih_l0".
        byte[] bytes = ReferenceBytes();
        string text = System.Text.Encoding.Latin1.GetString(bytes);
        int at = text.IndexOf("\"rnn1.bias_hh_l0\"", StringComparison.Ordinal);
        Assert.True(at > 0 && text.Contains("\"rnn1.bias_ih_l0\"", StringComparison.Ordinal));
        System.Text.Encoding.Latin1.GetBytes("\"rnn1.bias_ih_l0\"").CopyTo(bytes, at);
        Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(new MemoryStream(bytes)));

        var (errors, _) = Generate(bytes);
        Diagnostic d = Assert.Single(errors);
        Assert.Equal("FSEQ0009", d.Id);
        Assert.Contains("The header names tensor 'rnn1.bias_ih_l0' twice.", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Tensors_that_do_not_fit_the_layers_are_errors_naming_tensor_and_shapes()
    {
        // The same file for a model with 16 units in its second layer and another head name.
        string model = Model.Replace("[SimpleRnn(32, Name = \"rnn2\")]", "[SimpleRnn(16, Name = \"rnn2\")]", StringComparison.Ordinal)
                            .Replace("Name = \"head\"", "Name = \"out\"", StringComparison.Ordinal);
        var (errors, _) = Generate(ReferenceBytes(), model);
        Assert.All(errors, d => Assert.Equal("FSEQ0010", d.Id));
        string[] messages = [.. errors.Select(d => d.GetMessage())];
        Assert.Contains(messages, m => m.Contains("Tensor 'rnn2.weight_ih_l0' has shape [32, 32], expected [16, 32].", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("The file has no tensor 'out.weight' (expected shape [1, 16]).", StringComparison.Ordinal));
    }

    [Fact]
    public void A_tensor_of_another_dtype_is_an_error()
    {
        var file = new SafeTensorsFile();
        foreach (SafeTensor tensor in SafeTensorsFile.Read(ReferenceCase.Load("sine_forecaster").Path).Tensors)
            file.Add(tensor.Name, [.. tensor.Shape], tensor.ToFloatArray());
        using var stream = new MemoryStream();
        file.Write(stream);
        string text = System.Text.Encoding.Latin1.GetString(stream.ToArray());
        // Same byte length: "F32" -> "I32" for the first tensor only.
        int at = text.IndexOf("\"F32\"", StringComparison.Ordinal);
        byte[] bytes = stream.ToArray();
        bytes[at + 1] = (byte)'I';
        var (errors, _) = Generate(bytes);
        Diagnostic d = Assert.Single(errors);
        Assert.Equal("FSEQ0010", d.Id);
        Assert.Contains("has dtype I32, expected F32", d.GetMessage(), StringComparison.Ordinal);
    }

    /// <summary>The reference file with its header JSON edited; the data stays as it was.</summary>
    private static byte[] ReferenceWithHeader(Func<string, string> edit)
    {
        byte[] bytes = ReferenceBytes();
        int length = (int)BitConverter.ToUInt64(bytes);
        string json = System.Text.Encoding.UTF8.GetString(bytes, 8, length);
        return IO.SafeTensorsBytes.Build(edit(json), bytes[(8 + length)..]);
    }

    /// <summary>The reference file with <paramref name="tensor"/>'s data_offsets replaced by <paramref name="offsets"/>(header length).</summary>
    private static byte[] ReferenceWithOffsets(string tensor, Func<long, string> offsets)
    {
        string Edit(string json, string replacement) => System.Text.RegularExpressions.Regex.Replace(
            json, $"(\"{System.Text.RegularExpressions.Regex.Escape(tensor)}\":\\{{[^}}]*\"data_offsets\":)\\[[0-9, ]*\\]", m => m.Groups[1].Value + replacement);
        // Offsets of the same number of digits whatever their value, so that the header's length is known first.
        int length = System.Text.Encoding.UTF8.GetByteCount(Edit(System.Text.Encoding.UTF8.GetString(ReferenceBytes(), 8, (int)BitConverter.ToUInt64(ReferenceBytes())), offsets(0)));
        return ReferenceWithHeader(json => Edit(json, offsets(8 + length)));
    }

    private const string OtherModel = """

        [SequenceModel(Timesteps = 2, Features = 1)]
        [Dense(1)]
        public partial class Other;
        """;

    [Theory]
    [InlineData("metadata")]
    [InlineData("tensor field")]
    public void A_header_nested_100000_levels_deep_is_an_error_not_a_crash(string where)
    {
        string deep = new string('[', 100_000) + new string(']', 100_000);
        byte[] bytes = ReferenceWithHeader(json => where == "metadata"
            ? json.Replace("\"__metadata__\":{", "\"__metadata__\":{\"deep\":" + deep + ",", StringComparison.Ordinal)
            : json.Replace("\"dtype\":\"F32\"", "\"extra\":" + deep + ",\"dtype\":\"F32\"", StringComparison.Ordinal));

        var (errors, source) = Generate(bytes, Model + OtherModel);

        Diagnostic d = Assert.Single(errors);
        Assert.Equal("FSEQ0009", d.Id);
        Assert.Contains("The header nests JSON values more than 64 levels deep", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("partial class Other", source, StringComparison.Ordinal);
        AssertRefusedAlike(bytes, d);
    }

    [Theory]
    [InlineData(20L)]   // begin + dataStart wrapped to byte 20: the old check embedded 4 bytes of the JSON header as the bias
    [InlineData(-2L)]   // only end + dataStart wrapped: a negative index, CS8785, and every model lost its code
    [InlineData(-8L)]   // neither wraps
    public void Offsets_near_2_to_the_63_are_an_error_and_never_embed_other_bytes(long beyond)
    {
        // begin + dataStart = 2^63 + beyond, end 4 bytes further: past the end of any file.
        byte[] bytes = ReferenceWithOffsets("head.bias", dataStart =>
        {
            long begin = long.MaxValue - dataStart + 1 + beyond;
            return $"[{begin:D19},{begin + 4:D19}]";
        });

        var (errors, source) = Generate(bytes, Model + OtherModel);

        Diagnostic d = Assert.Single(errors);
        Assert.Equal("FSEQ0009", d.Id);
        Assert.Contains("The data is truncated: tensor 'head.bias' ends at byte 92233720", d.GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain("EmbeddedWeights", source, StringComparison.Ordinal);
        Assert.Contains("partial class Other", source, StringComparison.Ordinal);
        AssertRefusedAlike(bytes, d);
    }

    [Fact]
    public void Overlapping_tensors_are_refused_by_the_generator_as_by_LoadWeights()
    {
        // head.bias reads the first 4 bytes of head.weight; its own 4 bytes become a hole.
        long weight = DataBegin("head.weight");
        byte[] bytes = ReferenceWithOffsets("head.bias", _ => $"[{weight},{weight + 4}]");

        var (errors, _) = Generate(bytes);

        Diagnostic d = Assert.Single(errors);
        Assert.Equal("FSEQ0009", d.Id);
        Assert.Contains("without gaps or overlaps", d.GetMessage(), StringComparison.Ordinal);
        AssertRefusedAlike(bytes, d);
    }

    [Theory]
    [InlineData("\"rnn1.bias_ih_l0\":", "\"rnn1.bias_ih_l0\\ud800\":", "lone surrogate escape \\uD800")]
    [InlineData("\"shape\":[32]", "\"shape\":[\"32\"]", "expected an array of non-negative integers")]
    [InlineData("\"data_offsets\":[0,", "\"data_offsets\":[null,", "expected [begin, end] with 0 <= begin <= end < 2^63")]
    public void Non_numbers_and_lone_surrogates_are_invalid_data(string find, string replace, string message)
    {
        byte[] bytes = ReferenceWithHeader(json => json.Replace(find, replace, StringComparison.Ordinal));

        var (errors, _) = Generate(bytes);

        Diagnostic d = Assert.Single(errors);
        Assert.Equal("FSEQ0009", d.Id);
        Assert.Contains(message, d.GetMessage(), StringComparison.Ordinal);
        AssertRefusedAlike(bytes, d);
    }

    [Theory]
    [InlineData(0x7FC00000, "NaN")]
    [InlineData(0x7F800000, "Infinity")]
    [InlineData(unchecked((int)0xFF800000), "-Infinity")]
    public void Non_finite_weights_are_an_error_naming_tensor_and_index(int bits, string value)
    {
        byte[] bytes = ReferenceBytes();
        int at = 8 + (int)BitConverter.ToUInt64(bytes) + (int)DataBegin("rnn2.bias_hh_l0") + (4 * 5);
        BitConverter.TryWriteBytes(bytes.AsSpan(at), bits);

        var (errors, _) = Generate(bytes);

        Diagnostic d = Assert.Single(errors);
        Assert.Equal("FSEQ0010", d.Id);
        Assert.EndsWith($": Tensor 'rnn2.bias_hh_l0' holds {value} at index 5.", d.GetMessage(), StringComparison.Ordinal);
        AssertRefusedAlike(bytes, d);
        var model = new SineReferenceModel();
        string path = Path.Combine(Path.GetTempPath(), $"fastseq-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        try
        {
            WeightFile.Load(path, model.StateDict, model.Parameters, allowUnexpectedTensors: true, allowNonFinite: true);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Where a tensor of the reference file starts in its data.</summary>
    private static long DataBegin(string tensor)
    {
        byte[] bytes = ReferenceBytes();
        string json = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToUInt64(bytes));
        string begin = System.Text.RegularExpressions.Regex.Match(json, $"\"{System.Text.RegularExpressions.Regex.Escape(tensor)}\":\\{{[^}}]*\"data_offsets\":\\[([0-9]+),").Groups[1].Value;
        return long.Parse(begin, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>LoadWeights refuses the same file with the message the diagnostic ends with.</summary>
    private static void AssertRefusedAlike(byte[] bytes, Diagnostic diagnostic)
    {
        var model = new SineReferenceModel();
        float[] before = model.Parameters.ToArray();
        var e = Assert.Throws<InvalidDataException>(() => WeightFile.Load(new MemoryStream(bytes), model.StateDict, model.Parameters, allowUnexpectedTensors: true));
        Assert.EndsWith(": " + e.Message, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
    }
}
