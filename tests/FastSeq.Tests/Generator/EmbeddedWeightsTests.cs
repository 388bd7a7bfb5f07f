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
        loaded.LoadWeights(ReferenceCase.Load("sine_forecaster").Path);
        Assert.Equal(loaded.Parameters.ToArray(), new EmbeddedSineModel().Parameters.ToArray());

        var gru = new GruSeqModel();
        gru.LoadWeights(ReferenceCase.Load("gru_seq").Path);
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
        Assert.Contains("private static ReadOnlySpan<byte> EmbeddedWeights =>", source, StringComparison.Ordinal);
        Assert.Contains("public Sine() => WeightFile.LoadRaw(", source, StringComparison.Ordinal);
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
}
