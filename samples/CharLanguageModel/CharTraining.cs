using FastSeq;

namespace CharLanguageModel;

/// <summary>
/// Reads Shakespeare one character at a time and gives, at every step, the probability of each character that may come
/// next: trained many-to-many on windows of 64 characters, it generates one character after another from a prompt.
/// </summary>
[SequenceModel(Timesteps = CharTraining.Timesteps)]
[Embedding(CharText.VocabularySize, 32)]
[Lstm(256, ReturnSequences = true)]
[Dense(CharText.VocabularySize, Activation = Activation.Softmax)]
public partial class ShakespeareWriter;

/// <summary>What a training run measured on the held-out text.</summary>
/// <param name="ValidationBits">The model's mean cross-entropy on the validation text, in bits per character.</param>
/// <param name="UnigramBits">The unigram baseline on the same text, in bits per character (<see cref="CharText.UnigramBits"/>).</param>
/// <param name="TrainingCharacters">Characters of the corpus the model was trained on.</param>
/// <param name="ValidationCharacters">Characters of the validation text.</param>
public sealed record CharResult(double ValidationBits, double UnigramBits, int TrainingCharacters, int ValidationCharacters);

/// <summary>The sample's experiment, shared with its unit test: which text trains and which validates, and the training.</summary>
public static class CharTraining
{
    /// <summary>Characters per training window.</summary>
    public const int Timesteps = 64;

    /// <summary>Seed of the initial weights, the shuffling and the sampling.</summary>
    public const int Seed = 1;

    /// <summary>The corpus's last characters, held out for validation: never trained on.</summary>
    public const int ValidationCharacters = 50_000;

    /// <summary>
    /// Trains <paramref name="model"/> for <paramref name="epochs"/> epochs on the first <paramref name="trainingCharacters"/>
    /// characters of <paramref name="text"/>, cut into windows with per-step targets (each next character), with Adam and
    /// sparse categorical cross-entropy; then scores it on the last <see cref="ValidationCharacters"/>, each window read from
    /// a zero state, beside the unigram baseline.
    /// </summary>
    public static CharResult Run<TModel>(TModel model, int[] text, int trainingCharacters, int epochs, Action<EpochResult>? onEpochEnd = null)
        where TModel : ITokenSequenceModel
    {
        ArgumentNullException.ThrowIfNull(text);
        if (trainingCharacters < 1 || trainingCharacters > text.Length - ValidationCharacters)
            throw new ArgumentOutOfRangeException(nameof(trainingCharacters), trainingCharacters, $"The first {text.Length - ValidationCharacters} characters can train; the last {ValidationCharacters} validate.");
        ReadOnlySpan<int> training = text.AsSpan(0, trainingCharacters);
        ReadOnlySpan<int> validation = text.AsSpan(text.Length - ValidationCharacters);

        var trainer = new Trainer<TModel>(model, new Adam(learningRate: 1e-2f) { ClipNorm = 5f }, Loss.SparseCategoricalCrossEntropy);
        // Each epoch after the first at half the rate of the one before (epoch counts from 0).
        var halving = new LearningRateScheduler((epoch, rate) => epoch == 0 ? rate : rate / 2);
        trainer.Fit(CharText.Windows(training, model.Timesteps), epochs, batchSize: 32, seed: Seed, onEpochEnd: onEpochEnd, callbacks: [halving]);
        (float nats, _) = trainer.Evaluate(CharText.Windows(validation, model.Timesteps), batchSize: model.MaxBatchSize);
        return new CharResult(nats / Math.Log(2), CharText.UnigramBits(training, validation), trainingCharacters, validation.Length);
    }
}
