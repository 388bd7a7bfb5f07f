using FastSeq;

namespace DigitsClassifier;

/// <summary>Reads an 8 × 8 digit as 8 steps of one 8-pixel row each, and gives the probability of each digit 0..9.</summary>
[SequenceModel(Timesteps = DigitImages.Side, Features = DigitImages.Side)]
[Gru(64)]
[Dense(DigitImages.Classes, Activation = Activation.Softmax)]
public partial class DigitRecognizer;

/// <summary>The sample's experiment, shared with its unit test: a seeded split, then a new model trained on one part.</summary>
public static class DigitTraining
{
    /// <summary>Fraction of the digits held out for the test.</summary>
    public const float TestFraction = 0.2f;

    /// <summary>Seed of the split, the initial weights and the shuffling.</summary>
    public const int Seed = 1;

    /// <summary>
    /// Splits <paramref name="digits"/> at random (seeded) into training and test digits, and trains
    /// <paramref name="model"/> on the training ones for <paramref name="epochs"/> epochs with Adam.
    /// </summary>
    /// <param name="model">The model to train, e.g. <c>new DigitRecognizer(seed: DigitTraining.Seed)</c>.</param>
    /// <param name="digits">The digits, as <see cref="DigitImages.Load"/> reads them.</param>
    /// <param name="epochs">Passes over the training digits.</param>
    /// <param name="onEpochEnd">Receives each epoch's figures; null writes Fit's progress to the console.</param>
    /// <returns>The trainer, and the held-out digits the model never saw.</returns>
    public static (Trainer<DigitRecognizer> Trainer, SequenceDataset Test) Train(DigitRecognizer model, SequenceDataset digits, int epochs, Action<EpochResult>? onEpochEnd = null)
    {
        (SequenceDataset train, SequenceDataset test) = digits.Split(TestFraction, Seed);
        var trainer = new Trainer<DigitRecognizer>(model, new Adam(learningRate: 3e-3f), Loss.SparseCategoricalCrossEntropy);
        trainer.Fit(train, epochs, batchSize: 32, seed: Seed, onEpochEnd: onEpochEnd);
        return (trainer, test);
    }
}
