using System.Globalization;

namespace DateTranslator;

/// <summary>
/// Dates written the ways people write them ("27 November 2026", "Nov 27, 2026", "27/11/26", ...), each paired with its
/// ISO form <c>2026-11-27</c>, drawn by a seeded generator; and the characters of both, as token ids.
/// </summary>
public static class DateCorpus
{
    /// <summary>Id 0 pads the end of a shorter source (the encoder's Embedding masks it).</summary>
    public const int Padding = 0;

    /// <summary>Id 1 starts every decoder input: the "go" before the first character of the answer.</summary>
    public const int Start = 1;

    /// <summary>Characters of an ISO date, <c>yyyy-mm-dd</c>.</summary>
    public const int TargetLength = 10;

    /// <summary>Characters of the longest written date ("Wednesday, 27 September 2026" and the like), the encoder's timesteps.</summary>
    public const int SourceLength = 30;

    /// <summary>The characters any format writes, after the padding and start ids.</summary>
    private const string Alphabet = "0123456789-/., ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Token ids: padding, start, then the alphabet.</summary>
    public const int VocabularySize = 2 + 67;

    /// <summary>The first and last years drawn; two-digit years read as 1950-2049.</summary>
    public const int FirstYear = 1950, LastYear = 2049;

    /// <summary>How a date is written, one per format drawn (.NET custom date formats; "d/M/yy" and the like).</summary>
    public static IReadOnlyList<string> Formats { get; } =
    [
        "d MMMM yyyy",          // 27 November 2026
        "MMMM d, yyyy",         // November 27, 2026
        "MMM d, yyyy",          // Nov 27, 2026
        "d MMM yyyy",           // 27 Nov 2026
        "dd/MM/yy",             // 27/11/26
        "dd/MM/yyyy",           // 27/11/2026
        "d/M/yyyy",             // 27/11/2026, 5/3/2026
        "dd.MM.yyyy",           // 27.11.2026
        "yyyy-MM-dd",           // 2026-11-27
        "dddd, d MMMM yyyy",    // Friday, 27 November 2026
        "ddd, MMM d, yyyy",     // Fri, Nov 27, 2026
        "d-MMM-yy",             // 27-Nov-26
        "MMMM d yyyy",          // November 27 2026
        "yyyy/MM/dd",           // 2026/11/27
    ];

    /// <summary>A date drawn uniformly from <see cref="FirstYear"/>-<see cref="LastYear"/>, written in a format drawn uniformly, some of them in lower or upper case.</summary>
    public static (string Written, string Iso) Draw(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var first = new DateOnly(FirstYear, 1, 1);
        int days = new DateOnly(LastYear, 12, 31).DayNumber - first.DayNumber + 1;
        DateOnly date = first.AddDays(random.Next(days));
        string written = date.ToString(Formats[random.Next(Formats.Count)], CultureInfo.InvariantCulture);
        written = random.Next(10) switch
        {
            0 => written.ToLowerInvariant(),
            1 => written.ToUpperInvariant(),
            _ => written,
        };
        return (written, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    /// <summary>The id of a character of <see cref="Alphabet"/>.</summary>
    public static int Id(char c)
    {
        int index = Alphabet.IndexOf(c, StringComparison.Ordinal);
        return index >= 0 ? index + 2 : throw new ArgumentException($"'{c}' is not a character of the date alphabet.", nameof(c));
    }

    /// <summary>The character of an id from <see cref="Id"/>.</summary>
    public static char Character(int id) =>
        id >= 2 && id < VocabularySize ? Alphabet[id - 2] : throw new ArgumentOutOfRangeException(nameof(id), id, "Not the id of a character.");

    /// <summary>Writes <paramref name="text"/> as ids into <paramref name="ids"/>, padded with <see cref="Padding"/> after its end.</summary>
    public static void Encode(string text, Span<int> ids)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > ids.Length)
            throw new ArgumentException($"'{text}' has {text.Length} characters; at most {ids.Length} fit.", nameof(text));
        ids.Clear();
        for (int i = 0; i < text.Length; i++)
            ids[i] = Id(text[i]);
    }

    /// <summary>The characters of <paramref name="ids"/>.</summary>
    public static string Decode(ReadOnlySpan<int> ids)
    {
        var characters = new char[ids.Length];
        for (int i = 0; i < ids.Length; i++)
            characters[i] = Character(ids[i]);
        return new string(characters);
    }
}
