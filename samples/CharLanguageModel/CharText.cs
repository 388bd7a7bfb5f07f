using System.IO.Compression;
using System.Text;
using FastSeq;

namespace CharLanguageModel;

/// <summary>
/// Text as character tokens: <see cref="Alphabet"/> holds the 65 characters of <c>tinyshakespeare.txt.gz</c>, and a
/// character's token is its place there.
/// </summary>
public static class CharText
{
    /// <summary>The data file's name, beside the program.</summary>
    public const string FileName = "tinyshakespeare.txt.gz";

    /// <summary>Every character of the text, in ordinal order: the vocabulary.</summary>
    public const string Alphabet = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Tokens in the vocabulary.</summary>
    public const int VocabularySize = 65;

    /// <summary>Reads the gzip-compressed UTF-8 text at <paramref name="path"/> as tokens.</summary>
    /// <exception cref="InvalidDataException">The text is empty or holds a character outside <see cref="Alphabet"/>.</exception>
    public static int[] Load(string path)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress), Encoding.UTF8);
        string text = reader.ReadToEnd();
        if (text.Length == 0)
            throw new InvalidDataException($"{path} holds no text.");
        return Encode(text, path);
    }

    /// <summary>The tokens of <paramref name="text"/>.</summary>
    /// <exception cref="InvalidDataException">A character is outside <see cref="Alphabet"/>; the message names it, its place and <paramref name="source"/>.</exception>
    public static int[] Encode(string text, string source = "the text")
    {
        var tokens = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            tokens[i] = Alphabet.IndexOf(text[i], StringComparison.Ordinal);
            if (tokens[i] < 0)
                throw new InvalidDataException($"{source}: character {i} is U+{(int)text[i]:X4}, which is not in the vocabulary of {VocabularySize} characters.");
        }
        return tokens;
    }

    /// <summary>The characters of <paramref name="tokens"/>.</summary>
    public static string Decode(ReadOnlySpan<int> tokens)
    {
        var text = new StringBuilder(tokens.Length);
        foreach (int token in tokens)
            text.Append(Alphabet[token]);
        return text.ToString();
    }

    /// <summary>
    /// Cuts <paramref name="tokens"/> into windows of <paramref name="timesteps"/> characters, one after another, each with
    /// per-step targets: the character that follows each of its characters (the window shifted by one).
    /// </summary>
    public static SequenceDataset Windows(ReadOnlySpan<int> tokens, int timesteps)
    {
        int count = (tokens.Length - 1) / timesteps;
        if (count < 1)
            throw new ArgumentException($"{tokens.Length} characters make no window of {timesteps} with the character after it.", nameof(tokens));
        var targets = new float[count * timesteps];
        for (int i = 0; i < targets.Length; i++)
            targets[i] = tokens[i + 1];
        return SequenceDataset.FromTokens(tokens[..targets.Length], targets, timesteps, targetLength: timesteps);
    }

    /// <summary>
    /// The unigram baseline, in bits per character: the cross-entropy of <paramref name="validation"/> under the character
    /// frequencies of <paramref name="training"/>, each count plus one so that no character has probability 0.
    /// </summary>
    public static double UnigramBits(ReadOnlySpan<int> training, ReadOnlySpan<int> validation)
    {
        var counts = new double[VocabularySize];
        counts.AsSpan().Fill(1);
        foreach (int token in training)
            counts[token]++;
        double total = training.Length + VocabularySize;
        double bits = 0;
        foreach (int token in validation)
            bits -= Math.Log2(counts[token] / total);
        return bits / validation.Length;
    }
}
