using FastSeq.Tests.Training.Reference;

namespace FastSeq.Tests.Training;

/// <summary>
/// MeanAbsoluteError, Huber and categorical cross-entropy against PyTorch 1.13 (<c>l1_loss</c>, <c>huber_loss</c>,
/// <c>cross_entropy</c> with probability targets): value and gradient, the numbers in Reference/LossReference.g.cs.
/// </summary>
public class LossParityTests
{
    public static TheoryData<int> Cases => [.. Enumerable.Range(0, LossReference.Cases.Length)];

    /// <summary>Each case through every way the loss can be used: on a Linear output, and for cross-entropy also fused with a Softmax.</summary>
    private static IEnumerable<(Loss Loss, Activation Activation)> Uses(string name) => name switch
    {
        "MeanAbsoluteError" => [(Loss.MeanAbsoluteError, Activation.Linear)],
        "Huber" => [(Loss.Huber, Activation.Linear)],
        _ =>
        [
            (Loss.CategoricalCrossEntropy, Activation.Softmax),
            (Loss.CategoricalCrossEntropy, Activation.Linear),
            (Loss.CategoricalCrossEntropyFromLogits, Activation.Linear),
        ],
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Value_and_gradient_match_PyTorch(int index)
    {
        LossCase reference = LossReference.Cases[index];
        foreach ((Loss loss, Activation activation) in Uses(reference.Name))
        {
            // PyTorch's inputs are the logits of a Softmax output, else the outputs themselves.
            float[] logits = reference.Inputs;
            float[] outputs = LossTestData.Activate(logits, reference.Units, activation);
            float[] gradient = new float[outputs.Length];

            float value = loss.Compute(outputs, logits, reference.Targets, reference.Units, activation, gradient, out bool forLogits);

            string label = $"{reference.Name} (case {index}) as {loss.Name} on a {activation} output";
            Assert.True(Math.Abs(value - reference.Loss) <= 1e-6f * Math.Max(1f, Math.Abs(reference.Loss)), $"{label}: PyTorch {reference.Loss}, FastSeq {value}");
            Assert.Equal(loss.IsClassification, forLogits);
            for (int i = 0; i < gradient.Length; i++)
            {
                Assert.True(Math.Abs(gradient[i] - reference.Gradient[i]) <= 1e-6f * Math.Max(1f, Math.Abs(reference.Gradient[i])),
                    $"{label}, gradient {i}: PyTorch {reference.Gradient[i]}, FastSeq {gradient[i]}");
            }
        }
    }

    [Fact]
    public void New_losses_have_names_and_kinds()
    {
        Assert.Equal("MeanAbsoluteError", Loss.MeanAbsoluteError.Name);
        Assert.Equal("Huber", Loss.Huber.Name);
        Assert.Equal("CategoricalCrossEntropy", Loss.CategoricalCrossEntropy.Name);
        Assert.Equal("CategoricalCrossEntropyFromLogits", Loss.CategoricalCrossEntropyFromLogits.Name);
        Assert.Equal("SparseCategoricalCrossEntropyFromLogits", Loss.SparseCategoricalCrossEntropyFromLogits.Name);
        Assert.False(Loss.MeanAbsoluteError.IsClassification);
        Assert.False(Loss.Huber.IsClassification);
        Assert.True(Loss.CategoricalCrossEntropy.IsClassification);
        Assert.Equal(12, Loss.CategoricalCrossEntropy.TargetLength(12, 3));
        Assert.Equal(4, Loss.CategoricalCrossEntropy.PredictionCount(12, 3));
        Assert.Equal(4, Loss.SparseCategoricalCrossEntropyFromLogits.TargetLength(12, 3));
        Assert.Equal(12, Loss.BinaryCrossEntropy.PredictionCount(12, 3));
    }

    [Fact]
    public void Huber_is_quadratic_inside_delta_and_linear_outside()
    {
        // d = 0.5, -2, 1, 3: 0.125, 1.5, 0.5, 2.5; mean 1.15625. Gradients clamp(d, -1, 1) / 4.
        float[] outputs = [0.5f, -2f, 1f, 3f];
        float[] targets = new float[4];
        float[] gradient = new float[4];

        float value = Loss.Huber.Compute(outputs, outputs, targets, 1, Activation.Linear, gradient, out _);

        Assert.Equal(1.15625f, value);
        Assert.Equal([0.125f, -0.25f, 0.25f, 0.25f], gradient);
    }

    [Fact]
    public void MeanAbsoluteError_has_no_gradient_where_the_output_is_the_target()
    {
        float[] outputs = [1f, 2f, -3f];
        float[] gradient = new float[3];

        float value = Loss.MeanAbsoluteError.Compute(outputs, outputs, [1f, 0f, 1f], 1, Activation.Linear, gradient, out _);

        Assert.Equal(2f, value);
        Assert.Equal([0f, 1f / 3, -1f / 3], gradient);
    }

    [Fact]
    public void Categorical_cross_entropy_of_extreme_logits_is_exact_and_finite()
    {
        float[] logits = [1000f, -1000f, 0f, -1000f, 1000f, 1000f];
        float[] targets = [0f, 1f, 0f, 0f, 0f, 1f];
        float[] gradient = new float[6];

        float value = Loss.CategoricalCrossEntropy.Compute(LossTestData.Activate(logits, 3, Activation.Softmax), logits, targets, 3, Activation.Softmax, gradient, out _);

        // As the sparse form: row 0 costs 2000, row 1 log 2.
        Assert.Equal((2000f + MathF.Log(2f)) / 2f, value, 1e-3f);
        float[] expected = [0.5f, -0.5f, 0f, 0f, 0.25f, -0.25f];
        for (int i = 0; i < 6; i++)
            Assert.Equal(expected[i], gradient[i], 1e-6f);
    }

    [Fact]
    public void Categorical_accuracy_compares_the_argmax_of_outputs_and_targets_row_by_row()
    {
        float[] outputs = [0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f, 0.3f, 0.3f, 0.4f];
        float[] targets = [0f, 1f, 0f, 0f, 0f, 1f, 0f, 0f, 1f];

        Assert.Equal(2, Loss.CategoricalCrossEntropy.CountCorrect(outputs, targets, 3));
        Assert.Equal(2, Loss.CategoricalCrossEntropyFromLogits.CountCorrect(outputs, targets, 3));
    }
}
