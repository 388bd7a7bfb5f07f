using System.Globalization;
using System.IO.Compression;
using FastSeq;

namespace DigitsClassifier;

/// <summary>
/// The 1,797 handwritten digits of <c>digits.csv.gz</c> (scikit-learn's copy of the UCI test set): each a row of 64
/// pixels, an 8 × 8 image read row by row with values 0..16, then its label 0..9.
/// </summary>
public static class DigitImages
{
    /// <summary>The data file's name, beside the program.</summary>
    public const string FileName = "digits.csv.gz";

    /// <summary>Rows and columns of an image; the model reads one row per timestep.</summary>
    public const int Side = 8;

    /// <summary>Digits 0 to 9.</summary>
    public const int Classes = 10;

    /// <summary>The largest pixel value: a count of set pixels in a 4 × 4 block of the original 32 × 32 bitmap.</summary>
    public const int MaxPixel = 16;

    /// <summary>
    /// Reads the gzip-compressed CSV at <paramref name="path"/> into inputs <c>[count, 8 rows, 8 pixels]</c>, each pixel
    /// divided by 16 into [0, 1], and targets <c>[count, 1]</c>, the digit as a class index.
    /// </summary>
    /// <exception cref="InvalidDataException">A line has other than 65 whole numbers, or a pixel or label out of range.</exception>
    public static SequenceDataset Load(string path)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        const int Pixels = Side * Side;
        var inputs = new List<float>();
        var targets = new List<float>();
        int lineNumber = 0;
        while (reader.ReadLine() is string line)
        {
            lineNumber++;
            string[] fields = line.Split(',');
            if (fields.Length != Pixels + 1)
                throw new InvalidDataException($"{path}, line {lineNumber}: {fields.Length} fields; expected {Pixels} pixels and a label.");
            for (int i = 0; i < Pixels; i++)
                inputs.Add(Parse(fields[i], MaxPixel, path, lineNumber, $"pixel {i}") / (float)MaxPixel);
            targets.Add(Parse(fields[Pixels], Classes - 1, path, lineNumber, "the label"));
        }
        if (targets.Count == 0)
            throw new InvalidDataException($"{path} holds no digits.");
        return new SequenceDataset(inputs.ToArray(), targets.ToArray(), timesteps: Side, features: Side);
    }

    private static int Parse(string field, int max, string path, int lineNumber, string what)
    {
        if (!int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value > max)
            throw new InvalidDataException($"{path}, line {lineNumber}: {what} is '{field}'; expected a whole number from 0 to {max}.");
        return value;
    }
}
