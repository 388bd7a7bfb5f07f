using FastSeq;

namespace DateTranslator;

/// <summary>The encoder: reads a written date character by character; its final LSTM state holds the date.</summary>
[SequenceModel(Timesteps = DateCorpus.SourceLength, MaxBatchSize = DateTraining.BatchSize)]
[Embedding(DateCorpus.VocabularySize, 16, MaskZero = true)]   // 0 pads the end of shorter dates
[Lstm(DateTraining.Units)]
public partial class DateEncoder;

/// <summary>The decoder: from the encoder's state, writes the ISO date one character at a time, reading the one before.</summary>
[SequenceModel(Timesteps = DateCorpus.TargetLength, MaxBatchSize = DateTraining.BatchSize)]
[Embedding(DateCorpus.VocabularySize, 16)]
[Lstm(DateTraining.Units, ReturnSequences = true)]
[Dense(DateCorpus.VocabularySize, Activation = Activation.Softmax)]
public partial class DateDecoder;

/// <summary>Held-out dates translated exactly, of how many.</summary>
public readonly record struct DateScore(int Exact, int Count)
{
    /// <summary>The share translated exactly, in percent.</summary>
    public double Percent => 100.0 * Exact / Count;
}

/// <summary>Draws the dates, trains the encoder-decoder with teacher forcing, and scores greedy decoding on held-out dates.</summary>
public static class DateTraining
{
    /// <summary>LSTM units of the encoder and of the decoder (their states hand over as they are).</summary>
    public const int Units = 64;

    /// <summary>Dates per update.</summary>
    public const int BatchSize = 64;

    /// <summary>Seed of the dates, the weights and the batch order.</summary>
    public const int Seed = 1;

    /// <summary>Pairs of (written date, ISO date) as token ids, ready for training.</summary>
    /// <param name="Sources">Written dates <c>[count, SourceLength]</c>, padded with 0.</param>
    /// <param name="DecoderInputs">The ISO date shifted right behind the start id <c>[count, TargetLength]</c>: teacher forcing.</param>
    /// <param name="Targets">The ISO date's ids <c>[count, TargetLength]</c>, as floats for the loss.</param>
    /// <param name="Written">The written dates, for printing.</param>
    /// <param name="Iso">The ISO dates.</param>
    public sealed record Pairs(int[] Sources, int[] DecoderInputs, float[] Targets, string[] Written, string[] Iso)
    {
        /// <summary>How many pairs.</summary>
        public int Count => Written.Length;
    }

    /// <summary><paramref name="count"/> dates drawn with <paramref name="random"/>, none written as one of <paramref name="exclude"/>.</summary>
    public static Pairs Draw(int count, Random random, IReadOnlySet<string>? exclude = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentNullException.ThrowIfNull(random);
        const int S = DateCorpus.SourceLength, T = DateCorpus.TargetLength;
        var pairs = new Pairs(new int[count * S], new int[count * T], new float[count * T], new string[count], new string[count]);
        Span<int> target = stackalloc int[T];
        for (int i = 0; i < count; i++)
        {
            do
                (pairs.Written[i], pairs.Iso[i]) = DateCorpus.Draw(random);
            while (exclude?.Contains(pairs.Written[i]) == true);
            DateCorpus.Encode(pairs.Written[i], pairs.Sources.AsSpan(i * S, S));
            DateCorpus.Encode(pairs.Iso[i], target);
            Span<int> decoderInput = pairs.DecoderInputs.AsSpan(i * T, T);
            decoderInput[0] = DateCorpus.Start;
            target[..^1].CopyTo(decoderInput[1..]);
            for (int t = 0; t < T; t++)
                pairs.Targets[(i * T) + t] = target[t];
        }
        return pairs;
    }

    /// <summary>
    /// Trains fresh models for <paramref name="epochs"/> passes over <paramref name="train"/> in seeded shuffled batches (Adam,
    /// sparse categorical cross-entropy on every character), reporting each epoch's mean loss.
    /// </summary>
    public static EncoderDecoder<DateEncoder, DateDecoder> Train(Pairs train, int epochs, Action<int, float>? onEpochEnd = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        const int S = DateCorpus.SourceLength, T = DateCorpus.TargetLength;
        var translator = new EncoderDecoder<DateEncoder, DateDecoder>(
            new DateEncoder(seed: Seed), new DateDecoder(seed: Seed + 1), new Adam(learningRate: 3e-3f) { ClipNorm = 1f }, Loss.SparseCategoricalCrossEntropy);
        var sources = new int[BatchSize * S];
        var decoderInputs = new int[BatchSize * T];
        var targets = new float[BatchSize * T];
        int[] order = [.. Enumerable.Range(0, train.Count)];
        var random = new Random(Seed);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            random.Shuffle(order);
            double lossSum = 0;
            for (int first = 0; first < train.Count; first += BatchSize)
            {
                int count = Math.Min(BatchSize, train.Count - first);
                for (int i = 0; i < count; i++)
                {
                    int pair = order[first + i];
                    train.Sources.AsSpan(pair * S, S).CopyTo(sources.AsSpan(i * S));
                    train.DecoderInputs.AsSpan(pair * T, T).CopyTo(decoderInputs.AsSpan(i * T));
                    train.Targets.AsSpan(pair * T, T).CopyTo(targets.AsSpan(i * T));
                }
                lossSum += translator.TrainBatch(sources.AsSpan(0, count * S), decoderInputs.AsSpan(0, count * T), targets.AsSpan(0, count * T), count) * count;
            }
            onEpochEnd?.Invoke(epoch, (float)(lossSum / train.Count));
        }
        return translator;
    }

    /// <summary>Decodes every date of <paramref name="test"/> greedily into <paramref name="decoded"/> and counts the exact translations.</summary>
    public static DateScore Score(EncoderDecoder<DateEncoder, DateDecoder> translator, Pairs test, string[] decoded)
    {
        ArgumentNullException.ThrowIfNull(translator);
        ArgumentNullException.ThrowIfNull(test);
        var ids = new int[test.Count * DateCorpus.TargetLength];
        translator.Decode(test.Sources, DateCorpus.Start, ids, test.Count);
        int exact = 0;
        for (int i = 0; i < test.Count; i++)
        {
            ReadOnlySpan<int> answer = ids.AsSpan(i * DateCorpus.TargetLength, DateCorpus.TargetLength);
            decoded[i] = answer.IndexOfAnyInRange(0, 1) >= 0 ? "(not a date)" : DateCorpus.Decode(answer);
            if (decoded[i] == test.Iso[i])
                exact++;
        }
        return new DateScore(exact, test.Count);
    }
}
