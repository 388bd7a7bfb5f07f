using System.IO.Compression;
using DigitsClassifier;

namespace FastSeq.Tests.Samples;

/// <summary>
/// The DigitsClassifier sample's data and training, compiled in from the sample: its shipped file reads as 1,797 digits, a bad
/// file is refused naming the line, and a few epochs of its training already name most held-out digits right.
/// </summary>
public sealed class DigitsClassifierTests : IDisposable
{
    private static readonly string ShippedFile = Path.Combine(AppContext.BaseDirectory, "Samples", "DigitsClassifier", DigitImages.FileName);

    private readonly string folder = Directory.CreateTempSubdirectory("fastseq-digits-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Shipped_file_holds_1797_digits_of_8_rows_scaled_to_0_1_about_180_of_each()
    {
        SequenceDataset digits = DigitImages.Load(ShippedFile);

        Assert.Equal(1797, digits.Count);
        Assert.Equal((8, 8, 1), (digits.Timesteps, digits.Features, digits.TargetLength));
        Assert.All(digits.Inputs, pixel => Assert.InRange(pixel, 0f, 1f));
        Assert.Equal(1f, digits.Inputs.Max());
        int[] perDigit = new int[DigitImages.Classes];
        foreach (float label in digits.Targets)
            perDigit[(int)label]++;
        Assert.All(perDigit, count => Assert.InRange(count, 174, 183));
        // The first digit is a 0: its top row is 0,0,5,13,9,1,0,0.
        Assert.Equal(0f, digits.Targets[0]);
        Assert.Equal([0f, 0f, 5f / 16, 13f / 16, 9f / 16, 1f / 16, 0f, 0f], digits.Inputs[..8]);
    }

    [Fact]
    public void A_few_epochs_name_over_90_percent_of_the_held_out_digits_right()
    {
        SequenceDataset digits = DigitImages.Load(ShippedFile);
        var model = new DigitRecognizer(seed: DigitTraining.Seed);

        (Trainer<DigitRecognizer> trainer, SequenceDataset test) = DigitTraining.Train(model, digits, epochs: 8, onEpochEnd: _ => { });
        (_, float? accuracy) = trainer.Evaluate(test);

        Assert.Equal(360, test.Count);
        Assert.True(accuracy >= 0.9f, $"test accuracy {accuracy} after 8 epochs; the sample claims 95 % after 30");
    }

    [Fact]
    public void Training_repeats_bit_for_bit()
    {
        SequenceDataset digits = DigitImages.Load(ShippedFile).Slice(0, 300);
        var first = new DigitRecognizer(seed: DigitTraining.Seed);
        var second = new DigitRecognizer(seed: DigitTraining.Seed);

        DigitTraining.Train(first, digits, epochs: 2, onEpochEnd: _ => { });
        DigitTraining.Train(second, digits, epochs: 2, onEpochEnd: _ => { });

        Assert.Equal(first.Parameters.ToArray(), second.Parameters.ToArray());
    }

    [Theory]
    [InlineData("0,1,2", "line 2: 3 fields; expected 64 pixels and a label")]
    [InlineData("{pixels},17,3", "line 2: pixel 63 is '17'; expected a whole number from 0 to 16")]
    [InlineData("{pixels},1.5,3", "line 2: pixel 63 is '1.5'; expected a whole number from 0 to 16")]
    [InlineData("{pixels},-1,3", "line 2: pixel 63 is '-1'; expected a whole number from 0 to 16")]
    [InlineData("{pixels},0,10", "line 2: the label is '10'; expected a whole number from 0 to 9")]
    [InlineData("{pixels},0,", "line 2: the label is ''; expected a whole number from 0 to 9")]
    public void A_bad_line_throws_naming_the_line_and_the_field(string secondLine, string message)
    {
        string pixels = string.Join(',', Enumerable.Repeat("0", 63));
        string path = WriteCompressed($"{pixels},0,7\n{secondLine.Replace("{pixels}", pixels, StringComparison.Ordinal)}\n");

        var exception = Assert.Throws<InvalidDataException>(() => DigitImages.Load(path));

        Assert.Equal($"{path}, {message}.", exception.Message);
    }

    [Fact]
    public void An_empty_file_throws()
    {
        string path = WriteCompressed("");

        var exception = Assert.Throws<InvalidDataException>(() => DigitImages.Load(path));

        Assert.Equal($"{path} holds no digits.", exception.Message);
    }

    private string WriteCompressed(string text)
    {
        string path = Path.Combine(folder, DigitImages.FileName);
        using var writer = new StreamWriter(new GZipStream(File.Create(path), CompressionLevel.Fastest));
        writer.Write(text);
        return path;
    }
}
