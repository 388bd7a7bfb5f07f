using FastSeq.IO;

namespace FastSeq.Tests.Training;

/// <summary>
/// A classifier whose head weights are scaled huge produces logits in the thousands, where a naive
/// softmax overflows (e^1000 = inf). Through the whole model, sparse categorical cross-entropy must
/// still give finite, exact losses and finite gradients, and a training step must keep the weights finite.
/// </summary>
public class LargeLogitsTests
{
    private const float Scale = 1e4f;

    /// <summary>Multiplies the Dense head's kernel by <see cref="Scale"/>: logits of about ±Scale·|h|.</summary>
    private static void ScaleHead(ISequenceModel model)
    {
        StateDictEntry kernel = model.StateDict.ToArray().Single(e => e.Name == "dense.weight");
        Span<float> weights = model.Parameters.Slice(kernel.Offset, kernel.Length);
        for (int i = 0; i < weights.Length; i++)
            weights[i] *= Scale;
    }

    private static void Check(ISequenceModel model)
    {
        ScaleHead(model);
        SequenceDataset data = SyntheticTasks.SineFrequencies(count: 8, timesteps: model.Timesteps, seed: 2);
        Loss loss = model.OutputActivation == Activation.Softmax ? Loss.SparseCategoricalCrossEntropy : Loss.SparseCategoricalCrossEntropyFromLogits;
        model.Forward(data.Inputs, data.Count);
        Assert.True(model.Logits.ToArray().Max(Math.Abs) > 1000f, "the logits are not large; the test would prove nothing");

        // Softmax probabilities of a Softmax head are finite and sum to 1 even though e^logit overflows.
        Assert.All(model.Outputs.ToArray(), v => Assert.True(float.IsFinite(v)));
        if (model.OutputActivation == Activation.Softmax)
        {
            for (int row = 0; row < data.Count; row++)
                Assert.Equal(1f, model.Outputs.Slice(row * 3, 3).ToArray().Sum(), 1e-5f);
        }

        // The loss equals a double-precision log-sum-exp reference computed from the logits.
        double expected = 0;
        for (int row = 0; row < data.Count; row++)
        {
            double[] z = [.. model.Logits.Slice(row * 3, 3).ToArray().Select(v => (double)v)];
            double max = z.Max();
            expected += max + Math.Log(z.Sum(v => Math.Exp(v - max))) - z[(int)data.Targets[row]];
        }
        expected /= data.Count;
        var gradient = new float[model.Outputs.Length];
        float value = loss.Compute(model.Outputs, model.Logits, data.Targets, model.OutputUnits, model.OutputActivation, gradient, out bool forLogits);
        Assert.True(float.IsFinite(value), $"loss is {value}");
        Assert.True(expected > 1000, $"the loss {expected} is small: the huge logits already favour the labels, so nothing large cancels");
        Assert.Equal(expected, value, expected * 1e-6);
        Assert.True(forLogits);
        Assert.All(gradient, g => Assert.InRange(g, -1f, 1f));

        model.Gradients.Clear();
        model.Backward(gradient, data.Count, forLogits);
        Assert.All(model.Gradients.ToArray(), g => Assert.True(float.IsFinite(g)));
        Assert.Contains(model.Gradients.ToArray(), g => g != 0f);
        Assert.All(model.InputGradients.ToArray(), g => Assert.True(float.IsFinite(g)));

        // Training steps stay finite too.
        var trainer = new Trainer<ISequenceModel>(model, new Adam(1e-3f), loss);
        for (int step = 0; step < 3; step++)
            Assert.True(float.IsFinite(trainer.TrainBatch(data.Inputs, data.Targets, data.Count)));
        Assert.All(model.Parameters.ToArray(), p => Assert.True(float.IsFinite(p)));
        (float evaluated, float? accuracy) = trainer.Evaluate(data, batchSize: 8);
        Assert.True(float.IsFinite(evaluated));
        Assert.NotNull(accuracy);
    }

    [Fact]
    public void Softmax_head_with_huge_weights_gives_finite_loss_and_gradients() => Check(new FrequencyClassifier(seed: 3));

    [Fact]
    public void Linear_head_with_huge_weights_gives_finite_loss_and_gradients() => Check(new FrequencyLogits(seed: 3));
}
