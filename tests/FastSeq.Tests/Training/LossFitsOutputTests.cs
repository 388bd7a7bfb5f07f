namespace FastSeq.Tests.Training;

/// <summary>Tanh head, to pair with losses that want another output.</summary>
[SequenceModel(Timesteps = 8, Features = 1, MaxBatchSize = 32)]
[SimpleRnn(4)]
[Dense(2, Activation = Activation.Tanh)]
public partial class TanhHead;

/// <summary>A recurrent last layer: its output is Linear.</summary>
[SequenceModel(Timesteps = 8, Features = 1, MaxBatchSize = 32)]
[Gru(3)]
public partial class RecurrentHead;

/// <summary>A trainer rejects, when it is built, a loss that does not fit the model's output activation, naming what to use instead.</summary>
public class LossFitsOutputTests
{
    private static ISequenceModel Model(Activation activation) => activation switch
    {
        Activation.Softmax => new FrequencyClassifier(),
        Activation.Sigmoid => new SumSignProbability(),
        Activation.Tanh => new TanhHead(),
        _ => new FrequencyLogits(),
    };

    public static TheoryData<string, Activation, string> Mismatches => new()
    {
        { "BinaryCrossEntropy", Activation.Linear, "BinaryCrossEntropy expects a sigmoid output; this model's output is Linear: use Loss.BinaryCrossEntropyFromLogits" },
        { "BinaryCrossEntropy", Activation.Softmax, "use Loss.CategoricalCrossEntropy" },
        { "BinaryCrossEntropy", Activation.Tanh, "Activation = Activation.Sigmoid" },
        { "BinaryCrossEntropyFromLogits", Activation.Sigmoid, "this model's output is Sigmoid: use Loss.BinaryCrossEntropy" },
        { "BinaryCrossEntropyFromLogits", Activation.Softmax, "expects logits, a linear output" },
        { "SparseCategoricalCrossEntropy", Activation.Linear, "SparseCategoricalCrossEntropy expects a softmax output; this model's output is Linear: use Loss.SparseCategoricalCrossEntropyFromLogits" },
        { "SparseCategoricalCrossEntropy", Activation.Sigmoid, "Activation = Activation.Softmax" },
        { "SparseCategoricalCrossEntropy", Activation.Tanh, "this model's output is Tanh" },
        { "CategoricalCrossEntropy", Activation.Linear, "use Loss.CategoricalCrossEntropyFromLogits" },
        { "CategoricalCrossEntropy", Activation.Sigmoid, "CategoricalCrossEntropy expects a softmax output" },
        { "SparseCategoricalCrossEntropyFromLogits", Activation.Softmax, "this model's output is Softmax: use Loss.SparseCategoricalCrossEntropy" },
        { "CategoricalCrossEntropyFromLogits", Activation.Softmax, "use Loss.CategoricalCrossEntropy" },
        { "CategoricalCrossEntropyFromLogits", Activation.Tanh, "expects logits, a linear output" },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void A_loss_that_does_not_fit_the_output_is_rejected_naming_the_one_to_use(string name, Activation activation, string expected)
    {
        ISequenceModel model = Model(activation);
        Assert.Equal(activation, model.OutputActivation);
        ArgumentException e = Assert.Throws<ArgumentException>(() => new Trainer<ISequenceModel>(model, new Adam(), LossTestData.ByName(name)));
        Assert.Equal("loss", e.ParamName);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, Activation> Fits => new()
    {
        { "BinaryCrossEntropy", Activation.Sigmoid },
        { "BinaryCrossEntropyFromLogits", Activation.Linear },
        { "SparseCategoricalCrossEntropy", Activation.Softmax },
        { "SparseCategoricalCrossEntropyFromLogits", Activation.Linear },
        { "CategoricalCrossEntropy", Activation.Softmax },
        { "CategoricalCrossEntropyFromLogits", Activation.Linear },
        { "MeanSquaredError", Activation.Softmax },
        { "MeanSquaredError", Activation.Tanh },
        { "MeanAbsoluteError", Activation.Sigmoid },
        { "Huber", Activation.Linear },
    };

    [Theory]
    [MemberData(nameof(Fits))]
    public void A_loss_that_fits_the_output_is_accepted(string name, Activation activation) =>
        Assert.NotNull(new Trainer<ISequenceModel>(Model(activation), new Adam(), LossTestData.ByName(name)));

    [Fact]
    public void A_recurrent_last_layer_is_a_Linear_output()
    {
        Assert.Contains("use Loss.BinaryCrossEntropyFromLogits",
            Assert.Throws<ArgumentException>(() => new Trainer<RecurrentHead>(new RecurrentHead(), new Adam(), Loss.BinaryCrossEntropy)).Message, StringComparison.Ordinal);
        Assert.NotNull(new Trainer<RecurrentHead>(new RecurrentHead(), new Adam(), Loss.Huber));
    }
}
