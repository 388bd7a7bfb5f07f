namespace FastSeq.Tests.Training;

public class OptimizerTests
{
    private static float[] RandomValues(int length, int seed)
    {
        var random = new Random(seed);
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-6f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1f, Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, actual {actual[i]}");
    }

    [Fact]
    public void Sgd_WithoutMomentum_KnownValues()
    {
        var sgd = new Sgd(0.1f);
        float[] parameters = [1f, -2f];

        sgd.Step(parameters, [0.5f, -1f]);
        sgd.Step(parameters, [0.5f, -1f]);

        AssertClose([0.9f, -1.8f], parameters);
    }

    [Fact]
    public void Sgd_WithMomentum_KnownValues()
    {
        // v = 0.5, 0.95, 1.355; p = 0.95, 0.855, 0.7195.
        var sgd = new Sgd(0.1f, momentum: 0.9f);
        float[] parameters = [1f];
        float[] expected = [0.95f, 0.855f, 0.7195f];

        for (int t = 0; t < 3; t++)
        {
            sgd.Step(parameters, [0.5f]);
            Assert.Equal(expected[t], parameters[0], 1e-6f);
        }
    }

    [Theory]
    [InlineData(1, 0f)]
    [InlineData(7, 0f)]
    [InlineData(9, 0.9f)]
    [InlineData(33, 0.5f)]
    [InlineData(65, 0.9f)]
    public void Sgd_MatchesThePyTorchRuleOverSeveralSteps(int length, float momentum)
    {
        const float LearningRate = 0.05f;
        var sgd = new Sgd(LearningRate, momentum);
        float[] parameters = RandomValues(length, length);
        float[] expected = (float[])parameters.Clone();
        float[] velocity = new float[length];

        for (int t = 0; t < 4; t++)
        {
            float[] gradients = RandomValues(length, 100 + t);
            sgd.Step(parameters, gradients);
            for (int i = 0; i < length; i++)
            {
                velocity[i] = momentum * velocity[i] + gradients[i];
                expected[i] -= LearningRate * (momentum == 0f ? gradients[i] : velocity[i]);
            }
            AssertClose(expected, parameters);
        }
    }

    [Fact]
    public void Adam_FirstStepMovesEachParameterByAboutTheLearningRate()
    {
        // m̂ = g and v̂ = g², so p -= lr · g / (|g| + ε).
        var adam = new Adam(0.1f);
        float[] parameters = [1f, 1f];

        adam.Step(parameters, [0.5f, -2f]);

        Assert.Equal(1 - 0.1 * 0.5 / (0.5 + 1e-7), parameters[0], 1e-6);
        Assert.Equal(1 + 0.1 * 2 / (2 + 1e-7), parameters[1], 1e-6);
    }

    [Theory]
    [InlineData(1, 0.9f, 0.999f, 1e-7f)]
    [InlineData(8, 0.9f, 0.999f, 1e-8f)]
    [InlineData(9, 0.5f, 0.9f, 1e-3f)]
    [InlineData(33, 0.9f, 0.999f, 1e-7f)]
    [InlineData(65, 0f, 0.99f, 1e-7f)]
    public void Adam_MatchesThePyTorchRuleOverSeveralSteps(int length, float beta1, float beta2, float epsilon)
    {
        const float LearningRate = 0.01f;
        var adam = new Adam(LearningRate, beta1, beta2, epsilon);
        float[] parameters = RandomValues(length, length);
        double[] expected = Array.ConvertAll(parameters, p => (double)p);
        double[] m = new double[length];
        double[] v = new double[length];

        for (int t = 1; t <= 5; t++)
        {
            float[] gradients = RandomValues(length, 200 + t);
            adam.Step(parameters, gradients);
            for (int i = 0; i < length; i++)
            {
                double g = gradients[i];
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(beta1, t));
                double vHat = v[i] / (1 - Math.Pow(beta2, t));
                expected[i] -= LearningRate * mHat / (Math.Sqrt(vHat) + epsilon);
            }
            AssertClose(Array.ConvertAll(expected, p => (float)p), parameters, 2e-6f);
        }
    }

    [Fact]
    public void Reset_RestartsFromAFreshState()
    {
        float[] gradients = RandomValues(10, 1);
        var adam = new Adam(0.01f);
        float[] warmed = RandomValues(10, 2);
        adam.Step(warmed, RandomValues(10, 3));
        adam.Step(warmed, RandomValues(10, 4));

        float[] afterReset = RandomValues(10, 5);
        adam.Reset();
        adam.Step(afterReset, gradients);
        float[] fresh = RandomValues(10, 5);
        new Adam(0.01f).Step(fresh, gradients);

        Assert.Equal(fresh, afterReset);
        Assert.Equal(10, adam.ParameterCount);
    }

    [Fact]
    public void ClipNorm_ScalesTheWholeGradientWithoutTouchingTheCallersSpan()
    {
        // ‖(3, 4)‖ = 5, clipped to 1: the update uses (0.6, 0.8).
        var sgd = new Sgd(1f) { ClipNorm = 1f };
        float[] parameters = [0f, 0f];
        float[] gradients = [3f, 4f];

        sgd.Step(parameters, gradients);

        AssertClose([-0.6f, -0.8f], parameters);
        Assert.Equal([3f, 4f], gradients);
    }

    [Fact]
    public void ClipNorm_LeavesSmallGradientsAlone()
    {
        var sgd = new Sgd(1f) { ClipNorm = 10f };
        float[] parameters = [0f, 0f];

        sgd.Step(parameters, [3f, 4f]);

        Assert.Equal([-3f, -4f], parameters);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(40)]
    public void ClipNorm_AppliesBeforeTheAdamUpdate(int length)
    {
        float[] gradients = RandomValues(length, 9);
        float norm = MathF.Sqrt(gradients.Sum(g => g * g));
        float[] clipped = Array.ConvertAll(gradients, g => g * (0.1f / norm));
        float[] expected = RandomValues(length, 10);
        float[] parameters = (float[])expected.Clone();
        // A large ε makes the update depend on the gradient's scale (Adam is otherwise nearly scale-free).
        var reference = new Adam(0.01f, epsilon: 0.1f);
        var adam = new Adam(0.01f, epsilon: 0.1f) { ClipNorm = 0.1f };

        for (int t = 0; t < 3; t++)
        {
            reference.Step(expected, clipped);
            adam.Step(parameters, gradients);
        }

        AssertClose(expected, parameters, 1e-5f);
    }

    [Fact]
    public void Step_AllocatesOnlyOnTheFirstCall()
    {
        float[] parameters = RandomValues(1000, 1);
        float[] gradients = RandomValues(1000, 2);
        Optimizer[] optimizers = [new Sgd(0.1f), new Sgd(0.1f, 0.9f) { ClipNorm = 0.5f }, new Adam() { ClipNorm = 0.5f }];
        Allocations.AssertNone(() =>
        {
            foreach (Optimizer optimizer in optimizers)
                optimizer.Step(parameters, gradients);
        });
    }

    [Fact]
    public void Initialize_SizesTheStateAndStepRejectsOtherSizes()
    {
        var adam = new Adam();
        Assert.Equal(0, adam.ParameterCount);
        adam.Initialize(4);
        Assert.Equal(4, adam.ParameterCount);

        var wrongSize = Assert.Throws<ArgumentException>(() => adam.Step(new float[5], new float[5]));
        Assert.Contains("5", wrongSize.Message);
        Assert.Contains("4", wrongSize.Message);
        var mismatch = Assert.Throws<ArgumentException>(() => adam.Step(new float[4], new float[3]));
        Assert.Contains("3", mismatch.Message);
        Assert.Throws<ArgumentException>(() => adam.Initialize(0));

        var sgd = new Sgd(0.1f, 0.9f);
        sgd.Step(new float[3], new float[3]);
        Assert.Throws<ArgumentException>(() => sgd.Step(new float[6], new float[6]));
    }

    [Fact]
    public void Hyperparameters_AreValidated()
    {
        Assert.Throws<ArgumentException>(() => new Sgd(0f));
        Assert.Throws<ArgumentException>(() => new Sgd(-0.1f));
        Assert.Throws<ArgumentException>(() => new Sgd(float.NaN));
        Assert.Throws<ArgumentException>(() => new Sgd(float.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => new Sgd(0.1f, momentum: 1f));
        Assert.Throws<ArgumentException>(() => new Sgd(0.1f, momentum: -0.1f));
        Assert.Throws<ArgumentException>(() => new Adam(learningRate: 0f));
        Assert.Throws<ArgumentException>(() => new Adam(beta1: 1f));
        Assert.Throws<ArgumentException>(() => new Adam(beta2: -0.5f));
        Assert.Throws<ArgumentException>(() => new Adam(beta2: float.NaN));
        Assert.Throws<ArgumentException>(() => new Adam(epsilon: 0f));
        var sgd = new Sgd(0.1f);
        Assert.Throws<ArgumentException>(() => sgd.LearningRate = -1f);
        Assert.Throws<ArgumentException>(() => sgd.ClipNorm = 0f);
        Assert.Throws<ArgumentException>(() => sgd.ClipNorm = float.NaN);
        sgd.ClipNorm = null;
        sgd.LearningRate = 0.5f;
        Assert.Equal(0.5f, sgd.LearningRate);
        Assert.Null(sgd.ClipNorm);
    }

    [Fact]
    public void LearningRate_ChangesTakeEffectOnTheNextStep()
    {
        var sgd = new Sgd(0.1f);
        float[] parameters = [1f];
        sgd.Step(parameters, [1f]);
        sgd.LearningRate = 0.01f;
        sgd.Step(parameters, [1f]);

        Assert.Equal(0.89f, parameters[0], 1e-6f);
    }
}
