using System.Globalization;
using DateTranslator;

namespace FastSeq.Tests.Samples;

/// <summary>
/// The DateTranslator sample's corpus and training, compiled in from the sample: every format writes a date that fits the
/// encoder and reads back through the ids, the draws repeat for a seed, and a short training (a tenth of the sample's) halves the
/// loss and writes far more characters right than chance (one in 67); CI runs the whole sample for its 95 % exact matches.
/// </summary>
public class DateTranslatorTests
{
    [Fact]
    public void Every_format_fits_the_encoder_and_its_ids_read_back()
    {
        // The longest names: Wednesday and September.
        var longest = new DateOnly(2026, 9, 30);
        Assert.Equal(DayOfWeek.Wednesday, longest.DayOfWeek);
        var ids = new int[DateCorpus.SourceLength];
        foreach (string format in DateCorpus.Formats)
        {
            string written = longest.ToString(format, CultureInfo.InvariantCulture).ToUpperInvariant();
            DateCorpus.Encode(written, ids);
            Assert.Equal(written, DateCorpus.Decode(ids.AsSpan(0, written.Length)));
            Assert.All(ids[written.Length..], id => Assert.Equal(DateCorpus.Padding, id));
        }
        Assert.Throws<ArgumentException>(() => DateCorpus.Encode("27 November 2026!", ids));
        Assert.Throws<ArgumentException>(() => DateCorpus.Encode(new string('1', DateCorpus.SourceLength + 1), ids));
    }

    [Fact]
    public void Pairs_repeat_for_a_seed_and_the_decoder_reads_the_target_one_step_late()
    {
        DateTraining.Pairs a = DateTraining.Draw(50, new Random(3)), b = DateTraining.Draw(50, new Random(3));
        Assert.Equal(a.Written, b.Written);
        Assert.Equal(a.Sources, b.Sources);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(DateOnly.ParseExact(a.Iso[i], "yyyy-MM-dd", CultureInfo.InvariantCulture).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), a.Iso[i]);
            Assert.Equal(DateCorpus.Start, a.DecoderInputs[i * DateCorpus.TargetLength]);
            for (int t = 1; t < DateCorpus.TargetLength; t++)
                Assert.Equal(a.Targets[(i * DateCorpus.TargetLength) + t - 1], a.DecoderInputs[(i * DateCorpus.TargetLength) + t]);
        }
        DateTraining.Pairs held = DateTraining.Draw(50, new Random(4), exclude: new HashSet<string>(a.Written));
        Assert.DoesNotContain(held.Written, a.Written.Contains);
    }

    [Fact]
    public void A_short_training_halves_the_loss_and_writes_far_more_characters_right_than_chance()
    {
        var random = new Random(DateTraining.Seed);
        DateTraining.Pairs train = DateTraining.Draw(4_000, random);
        DateTraining.Pairs test = DateTraining.Draw(200, random, exclude: new HashSet<string>(train.Written));
        var losses = new List<float>();
        EncoderDecoder<DateEncoder, DateDecoder> translator = DateTraining.Train(train, epochs: 6, (_, loss) => losses.Add(loss));

        var decoded = new string[test.Count];
        DateTraining.Score(translator, test, decoded);
        int characters = 0;
        for (int i = 0; i < test.Count; i++)
            characters += decoded[i].Zip(test.Iso[i]).Count(pair => pair.First == pair.Second);
        double share = (double)characters / (test.Count * DateCorpus.TargetLength);
        Assert.True(losses[^1] < losses[0] / 2, $"losses {string.Join(", ", losses)}");
        Assert.True(share > 0.35, $"{share:P1} of the held-out characters right; losses {string.Join(", ", losses)}");
    }
}
