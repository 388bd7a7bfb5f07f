using CharLanguageModel;

namespace FastSeq.Tests.Samples;

/// <summary>
/// The CharLanguageModel sample's text handling and training, compiled in from the sample: the shipped text reads as
/// 1,115,394 characters of 65 kinds, windows carry per-step next-character targets, the unigram baseline is a
/// cross-entropy, and a small model trained on a slice beats that baseline and generates the same text for a seed.
/// </summary>
public class CharLanguageModelTests
{
    private static readonly string ShippedFile = Path.Combine(AppContext.BaseDirectory, "Samples", "CharLanguageModel", CharText.FileName);

    [Fact]
    public void Shipped_text_holds_the_whole_corpus_in_the_alphabet()
    {
        int[] text = CharText.Load(ShippedFile);

        Assert.Equal(1_115_394, text.Length);
        Assert.Equal(CharText.VocabularySize, CharText.Alphabet.Length);
        Assert.Equal(CharText.VocabularySize, text.Distinct().Count());
        Assert.StartsWith("First Citizen:\nBefore we proceed any further, hear me speak.", CharText.Decode(text.AsSpan(0, 100)), StringComparison.Ordinal);
        Assert.Equal("ROMEO:", CharText.Decode(CharText.Encode("ROMEO:")));
    }

    [Fact]
    public void Windows_follow_one_another_with_each_next_character_as_target()
    {
        int[] tokens = CharText.Encode("abcdefghij");

        SequenceDataset windows = CharText.Windows(tokens, timesteps: 4);

        Assert.Equal((2, 4, 1, 4), (windows.Count, windows.Timesteps, windows.Features, windows.TargetLength));
        Assert.Equal("abcdefgh", CharText.Decode([.. windows.Inputs.Select(id => (int)id)]));
        Assert.Equal("bcdefghi", CharText.Decode([.. windows.Targets.Select(id => (int)id)]));
        Assert.Throws<ArgumentException>(() => CharText.Windows(tokens.AsSpan(0, 4), timesteps: 4));
    }

    [Fact]
    public void The_unigram_baseline_is_the_cross_entropy_under_the_training_frequencies_plus_one()
    {
        // 'a' seen 61 times in training and 'b' 0 times: with one added to each of the 65 counts, p(a) = 62/126, p(b) = 1/126.
        int[] training = CharText.Encode(new string('a', 61));
        int[] validation = CharText.Encode("ab");

        double bits = CharText.UnigramBits(training, validation);

        Assert.Equal((-Math.Log2(62.0 / 126) - Math.Log2(1.0 / 126)) / 2, bits, 12);
    }

    [Fact]
    public void A_character_outside_the_alphabet_is_named_with_its_place()
    {
        var e = Assert.Throws<InvalidDataException>(() => CharText.Encode("To be\tor", "play.txt"));

        Assert.Equal("play.txt: character 5 is U+0009, which is not in the vocabulary of 65 characters.", e.Message);
    }

    [Fact]
    public void A_small_model_beats_the_unigram_baseline_and_writes_the_same_text_for_a_seed()
    {
        int[] text = CharText.Load(ShippedFile);
        var model = new SmallShakespeareWriter(seed: CharTraining.Seed);

        CharResult result = CharTraining.Run(model, text, trainingCharacters: 150_000, epochs: 1, onEpochEnd: _ => { });

        Assert.InRange(result.UnigramBits, 4.7, 5.0);
        Assert.True(result.ValidationBits < result.UnigramBits - 0.5, $"validation {result.ValidationBits:0.000} bits per character, unigram {result.UnigramBits:0.000}");
        int[] prompt = CharText.Encode("ROMEO:");
        int[] first = new int[120], second = new int[120];
        model.Generate(prompt, first, GenerationOptions.Sampled(0.8f, seed: CharTraining.Seed));
        model.Generate(prompt, second, GenerationOptions.Sampled(0.8f, seed: CharTraining.Seed));
        Assert.Equal(first, second);
        // Words already: spaces between letters, at about the rate of the text's.
        Assert.InRange(first.Count(t => CharText.Alphabet[t] == ' '), 8, 40);
    }
}

[SequenceModel(Timesteps = 32)]
[Embedding(CharText.VocabularySize, 16)]
[Lstm(64, ReturnSequences = true)]
[Dense(CharText.VocabularySize, Activation = Activation.Softmax)]
public partial class SmallShakespeareWriter;
