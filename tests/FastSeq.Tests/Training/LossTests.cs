namespace FastSeq.Tests.Training;

public class LossTests
{
    public static TheoryData<string, Activation, bool> Cases => new()
    {
        { "MeanSquaredError", Activation.Linear, false },
        { "MeanSquaredError", Activation.Sigmoid, false },
        { "MeanSquaredError", Activation.Softmax, false },
        { "BinaryCrossEntropy", Activation.Sigmoid, true },
        { "BinaryCrossEntropy", Activation.Linear, false },
        { "BinaryCrossEntropyFromLogits", Activation.Linear, true },
        { "BinaryCrossEntropyFromLogits", Activation.Tanh, false },
        { "SparseCategoricalCrossEntropy", Activation.Softmax, true },
        { "SparseCategoricalCrossEntropy", Activation.Linear, true },
        { "SparseCategoricalCrossEntropyFromLogits", Activation.Linear, true },
        { "SparseCategoricalCrossEntropyFromLogits", Activation.Tanh, false },
        { "MeanAbsoluteError", Activation.Linear, false },
        { "MeanAbsoluteError", Activation.Sigmoid, false },
        { "Huber", Activation.Linear, false },
        { "Huber", Activation.Tanh, false },
        { "CategoricalCrossEntropy", Activation.Softmax, true },
        { "CategoricalCrossEntropy", Activation.Linear, true },
        { "CategoricalCrossEntropyFromLogits", Activation.Linear, true },
        { "CategoricalCrossEntropyFromLogits", Activation.Tanh, false },
    };

    [Fact]
    public void Singletons_HaveNamesAndKinds()
    {
        Assert.Equal("MeanSquaredError", Loss.MeanSquaredError.Name);
        Assert.Equal("BinaryCrossEntropy", Loss.BinaryCrossEntropy.Name);
        Assert.Equal("BinaryCrossEntropyFromLogits", Loss.BinaryCrossEntropyFromLogits.Name);
        Assert.Equal("SparseCategoricalCrossEntropy", Loss.SparseCategoricalCrossEntropy.Name);
        Assert.False(Loss.MeanSquaredError.IsClassification);
        Assert.True(Loss.BinaryCrossEntropy.IsClassification);
        Assert.True(Loss.BinaryCrossEntropyFromLogits.IsClassification);
        Assert.True(Loss.SparseCategoricalCrossEntropy.IsClassification);
        Assert.Same(Loss.MeanSquaredError, Loss.MeanSquaredError);
        Assert.Equal("BinaryCrossEntropy", Loss.BinaryCrossEntropy.ToString());
    }

    [Fact]
    public void TargetLength_IsOneLabelPerRowForSparseAndOnePerOutputOtherwise()
    {
        Assert.Equal(12, Loss.MeanSquaredError.TargetLength(12, 3));
        Assert.Equal(12, Loss.BinaryCrossEntropy.TargetLength(12, 3));
        Assert.Equal(12, Loss.BinaryCrossEntropyFromLogits.TargetLength(12, 3));
        Assert.Equal(4, Loss.SparseCategoricalCrossEntropy.TargetLength(12, 3));
        // [T = 5, C = 4] per sample: one label per timestep.
        Assert.Equal(5, Loss.SparseCategoricalCrossEntropy.TargetLength(20, 4));
        Assert.Throws<ArgumentException>(() => Loss.SparseCategoricalCrossEntropy.TargetLength(10, 4));
        Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError.TargetLength(4, 0));
    }

    [Fact]
    public void MeanSquaredError_KnownValues()
    {
        float[] outputs = [1f, 2f, 3f, 4f];
        float[] targets = [0f, 2f, 5f, 4f];
        float[] gradient = new float[4];

        float loss = Loss.MeanSquaredError.Compute(outputs, outputs, targets, 1, Activation.Linear, gradient, out bool forLogits);

        Assert.Equal(1.25f, loss);
        Assert.Equal([0.5f, 0f, -1f, 0f], gradient);
        Assert.False(forLogits);
    }

    [Fact]
    public void BinaryCrossEntropy_KerasDocumentationExample()
    {
        // keras.losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]) = [0.916, 0.714], mean 0.815.
        float[] outputs = [0.6f, 0.4f, 0.4f, 0.6f];
        float[] targets = [0f, 1f, 0f, 0f];

        float loss = Loss.BinaryCrossEntropy.Evaluate(outputs, outputs, targets, 2, Activation.Linear);

        Assert.Equal(-(Math.Log(0.4) + Math.Log(0.4) + Math.Log(0.4) + Math.Log(0.6)) / 4, loss, 1e-6);
        Assert.Equal(0.815, loss, 1e-3);
    }

    [Fact]
    public void SparseCategoricalCrossEntropy_KnownValues()
    {
        // Logits log(p) for p = [0.05, 0.95, ~0] and [0.1, 0.8, 0.1], labels 1 and 2 (the Keras example).
        float[] logits = [MathF.Log(0.05f), MathF.Log(0.95f), -30f, MathF.Log(0.1f), MathF.Log(0.8f), MathF.Log(0.1f)];
        float[] targets = [1f, 2f];

        float loss = Loss.SparseCategoricalCrossEntropy.Evaluate(logits, logits, targets, 3, Activation.Linear);

        Assert.Equal((-Math.Log(0.95) - Math.Log(0.1)) / 2, loss, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Compute_MatchesDoubleReferenceAndEvaluate(string name, Activation activation, bool expectLogitGradient)
    {
        Loss loss = LossTestData.ByName(name);
        foreach ((int rows, int units) in new[] { (1, 1), (3, 4), (150, 4), (2, 300) })
        {
            if (LossTestData.IsSparse(loss) && units == 1)
                continue;
            float[] logits = LossTestData.Logits(loss, activation, rows * units, rows + units);
            float[] outputs = LossTestData.Activate(logits, units, activation);
            float[] targets = LossTestData.Targets(loss, logits.Length, units, rows * units);
            float[] gradient = new float[logits.Length];

            float value = loss.Compute(outputs, logits, targets, units, activation, gradient, out bool forLogits);
            float evaluated = loss.Evaluate(outputs, logits, targets, units, activation);

            double expected = LossTestData.Reference(loss, outputs, logits, targets, units, activation);
            Assert.Equal(expected, value, 2e-5 * Math.Max(1, Math.Abs(expected)));
            Assert.Equal(value, evaluated);
            Assert.Equal(expectLogitGradient, forLogits);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_MatchesFiniteDifferences(string name, Activation activation, bool expectLogitGradient)
    {
        Loss loss = LossTestData.ByName(name);
        foreach ((int rows, int units) in new[] { (2, 1), (3, 4) })
        {
            if (LossTestData.IsSparse(loss) && units == 1)
                continue;
            float[] logits = LossTestData.Logits(loss, activation, rows * units, 7 * rows + units);
            float[] outputs = LossTestData.Activate(logits, units, activation);
            float[] targets = LossTestData.Targets(loss, logits.Length, units, rows);
            float[] gradient = new float[logits.Length];

            loss.Compute(outputs, logits, targets, units, activation, gradient, out bool forLogits);
            Assert.Equal(expectLogitGradient, forLogits);

            const float H = 1e-3f;
            for (int i = 0; i < logits.Length; i++)
            {
                double numeric = forLogits
                    ? CentralDifferenceOverLogits(loss, logits, targets, units, activation, i, H)
                    : CentralDifferenceOverOutputs(loss, outputs, logits, targets, units, activation, i, H);
                Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-3 + 1e-2 * Math.Abs(numeric),
                    $"{name} with {activation}, element {i}: analytic {gradient[i]}, numeric {numeric}");
            }
        }
    }

    private static double CentralDifferenceOverLogits(Loss loss, float[] logits, float[] targets, int units, Activation activation, int i, float h)
    {
        float[] plus = (float[])logits.Clone();
        float[] minus = (float[])logits.Clone();
        plus[i] += h;
        minus[i] -= h;
        double up = loss.Evaluate(LossTestData.Activate(plus, units, activation), plus, targets, units, activation);
        double down = loss.Evaluate(LossTestData.Activate(minus, units, activation), minus, targets, units, activation);
        return (up - down) / (plus[i] - minus[i]);
    }

    private static double CentralDifferenceOverOutputs(Loss loss, float[] outputs, float[] logits, float[] targets, int units, Activation activation, int i, float h)
    {
        float[] plus = (float[])outputs.Clone();
        float[] minus = (float[])outputs.Clone();
        plus[i] += h;
        minus[i] -= h;
        double up = loss.Evaluate(plus, logits, targets, units, activation);
        double down = loss.Evaluate(minus, logits, targets, units, activation);
        return (up - down) / (plus[i] - minus[i]);
    }

    [Theory]
    [InlineData("BinaryCrossEntropyFromLogits", Activation.Linear)]
    [InlineData("BinaryCrossEntropy", Activation.Sigmoid)]
    public void BinaryCrossEntropy_ExtremeLogits_GiveExactFiniteValues(string name, Activation activation)
    {
        Loss loss = LossTestData.ByName(name);
        float[] logits = [1000f, -1000f, 1000f, -1000f];
        float[] outputs = LossTestData.Activate(logits, 1, activation);
        float[] targets = [1f, 0f, 0f, 1f];
        float[] gradient = new float[4];

        float value = loss.Compute(outputs, logits, targets, 1, activation, gradient, out bool forLogits);

        // Per element: 0, 0, 1000, 1000.
        Assert.Equal(500f, value);
        Assert.True(forLogits);
        Assert.Equal([0f, 0f, 0.25f, -0.25f], gradient);
    }

    [Theory]
    [InlineData(Activation.Softmax)]
    [InlineData(Activation.Linear)]
    public void SparseCategoricalCrossEntropy_ExtremeLogits_GiveExactFiniteValues(Activation activation)
    {
        float[] logits = [1000f, -1000f, 0f, -1000f, 1000f, 1000f];
        float[] outputs = LossTestData.Activate(logits, 3, activation);
        float[] targets = [1f, 2f];
        float[] gradient = new float[6];

        float value = Loss.SparseCategoricalCrossEntropy.Compute(outputs, logits, targets, 3, activation, gradient, out bool forLogits);

        // Row 0: logsumexp = 1000, loss 2000; row 1: logsumexp = 1000 + log 2, loss log 2.
        Assert.Equal((2000f + MathF.Log(2f)) / 2f, value, 1e-3f);
        Assert.True(forLogits);
        Assert.All(gradient, g => Assert.True(float.IsFinite(g)));
        float[] expected = [0.5f, -0.5f, 0f, 0f, 0.25f, -0.25f];
        for (int i = 0; i < 6; i++)
            Assert.Equal(expected[i], gradient[i], 1e-6f);
    }

    [Fact]
    public void BinaryCrossEntropy_OnSaturatedProbabilities_ClampsAndStopsTheGradient()
    {
        float[] outputs = [0f, 1f, 1f, 0.5f];
        float[] targets = [1f, 1f, 0f, 1f];
        float[] gradient = new float[4];

        float value = Loss.BinaryCrossEntropy.Compute(outputs, outputs, targets, 1, Activation.Linear, gradient, out bool forLogits);

        // The clamp's upper end is the float 1 - 1e-7 = 0.99999988, so log(1 - p) there is log(1.19e-7).
        double upper = 1f - 1e-7f;
        double expected = (-Math.Log(1e-7f) - Math.Log(upper) - Math.Log(1 - upper) - Math.Log(0.5)) / 4;
        Assert.Equal(expected, value, 1e-5);
        Assert.False(forLogits);
        Assert.Equal(0f, gradient[0]);
        Assert.Equal(0f, gradient[1]);
        Assert.Equal(0f, gradient[2]);
        // (p - y) / (p (1 - p)) / N = -0.5 / 0.25 / 4
        Assert.Equal(-0.5f, gradient[3]);
    }

    [Fact]
    public void SparseCategoricalCrossEntropy_RejectsBadLabelsAndActivations()
    {
        Loss loss = Loss.SparseCategoricalCrossEntropy;
        float[] outputs = new float[6];
        float[] gradient = new float[6];

        var outOfRange = Assert.Throws<ArgumentException>(() => loss.Compute(outputs, outputs, [0f, 3f], 3, Activation.Softmax, gradient, out _));
        Assert.Contains("targets[1]", outOfRange.Message);
        Assert.Contains("[0, 3)", outOfRange.Message);
        Assert.Throws<ArgumentException>(() => loss.Compute(outputs, outputs, [1.5f, 0f], 3, Activation.Softmax, gradient, out _));
        Assert.Throws<ArgumentException>(() => loss.Evaluate(outputs, outputs, [-1f, 0f], 3, Activation.Softmax));
        Assert.Throws<ArgumentException>(() => loss.Evaluate(outputs, outputs, [float.NaN, 0f], 3, Activation.Softmax));
        Assert.Throws<ArgumentException>(() => loss.CountCorrect(outputs, [0f, 7f], 3));
        var activation = Assert.Throws<ArgumentException>(() => loss.Compute(outputs, outputs, [0f, 1f], 3, Activation.Tanh, gradient, out _));
        Assert.Contains("Tanh", activation.Message);
        Assert.Throws<ArgumentException>(() => loss.Evaluate(outputs, outputs, [0f, 1f], 3, Activation.Sigmoid));
    }

    [Fact]
    public void Compute_RejectsMismatchedLengthsNamingTheSizes()
    {
        Loss loss = Loss.MeanSquaredError;
        float[] four = new float[4];

        var targets = Assert.Throws<ArgumentException>(() => loss.Compute(four, four, new float[3], 1, Activation.Linear, new float[4], out _));
        Assert.Contains("3", targets.Message);
        Assert.Contains("4", targets.Message);
        var gradient = Assert.Throws<ArgumentException>(() => loss.Compute(four, four, four, 1, Activation.Linear, new float[5], out _));
        Assert.Contains("5", gradient.Message);
        Assert.Contains("4", gradient.Message);
        Assert.Throws<ArgumentException>(() => loss.Compute(four, new float[2], four, 1, Activation.Linear, new float[4], out _));
        Assert.Throws<ArgumentException>(() => loss.Evaluate([], [], [], 1, Activation.Linear));
        var sparse = Assert.Throws<ArgumentException>(() => Loss.SparseCategoricalCrossEntropy.Evaluate(new float[6], new float[6], new float[6], 3, Activation.Softmax));
        Assert.Contains("2", sparse.Message);
        Assert.Contains("6", sparse.Message);
    }

    [Fact]
    public void CountCorrect_BinaryThresholdsAtHalfOrAtZeroForLogits()
    {
        float[] targets = [1f, 0f, 1f, 0f, 1f];

        Assert.Equal(3, Loss.BinaryCrossEntropy.CountCorrect([0.5f, 0.49f, 0.2f, 0.9f, 0.99f], targets, 1));
        Assert.Equal(3, Loss.BinaryCrossEntropyFromLogits.CountCorrect([0f, -0.1f, -3f, 2f, 5f], targets, 1));
    }

    [Fact]
    public void CountCorrect_SparseComparesTheArgmaxOfEachRow()
    {
        float[] outputs = [0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f, 0.3f, 0.3f, 0.4f];

        Assert.Equal(2, Loss.SparseCategoricalCrossEntropy.CountCorrect(outputs, [1f, 2f, 2f], 3));
    }

    [Fact]
    public void CountCorrect_IsNotDefinedForRegression()
    {
        Assert.Throws<NotSupportedException>(() => Loss.MeanSquaredError.CountCorrect([1f], [1f], 1));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ComputeAndEvaluate_DoNotAllocate(string name, Activation activation, bool expectLogitGradient)
    {
        Loss loss = LossTestData.ByName(name);
        const int Units = 4;
        float[] logits = LossTestData.Logits(loss, activation, 600 * Units, 1);
        float[] outputs = LossTestData.Activate(logits, Units, activation);
        float[] targets = LossTestData.Targets(loss, logits.Length, Units, 2);
        float[] gradient = new float[logits.Length];
        bool forLogits = false;
        Allocations.AssertNone(() =>
        {
            loss.Compute(outputs, logits, targets, Units, activation, gradient, out forLogits);
            loss.Evaluate(outputs, logits, targets, Units, activation);
            if (loss.IsClassification)
                loss.CountCorrect(outputs, targets, Units);
        });
        Assert.Equal(expectLogitGradient, forLogits);
    }
}
