using FastSeq.Tests.Training.Reference;

namespace FastSeq.Tests.Training;

/// <summary>
/// RmsProp, AdamW and gradient clipping against PyTorch 1.13 (<c>torch.optim</c>, <c>clip_grad_value_</c>,
/// <c>clip_grad_norm_</c>) over several steps of random gradients: the numbers in Reference/OptimizerReference.g.cs.
/// </summary>
public class OptimizerParityTests
{
    /// <summary>Agreement, relative to max(1, |p|), after every step.</summary>
    private const float Tolerance = 2e-6f;

    /// <summary>Each reference case's optimizer, built as make_reference.py builds it in PyTorch.</summary>
    private static Optimizer Create(string name) => name switch
    {
        "RmsPropDefaults" => new RmsProp(),
        "RmsPropMomentum" => new RmsProp(0.003f, alpha: 0.9f, epsilon: 1e-6f, momentum: 0.9f),
        "RmsPropCentered" => new RmsProp(0.005f, centered: true),
        "RmsPropCenteredMomentum" => new RmsProp(0.01f, momentum: 0.5f, centered: true),
        "AdamWDefaults" => new AdamW(),
        "AdamWStrongDecay" => new AdamW(0.01f, weightDecay: 0.1f, beta1: 0.8f, beta2: 0.99f, epsilon: 1e-6f),
        "AdamWClipNorm" => new AdamW(0.01f, epsilon: 0.1f) { ClipNorm = 0.5f },
        "RmsPropClipValue" => new RmsProp(0.01f, momentum: 0.9f, epsilon: 0.1f) { ClipValue = 0.3f },
        "SgdClipValueThenNorm" => new Sgd(0.1f, momentum: 0.9f) { ClipValue = 0.5f, ClipNorm = 1f },
        "AdamClipValue" => new Adam(0.01f, epsilon: 0.1f) { ClipValue = 0.4f },
        _ => throw new ArgumentException(name, nameof(name)),
    };

    public static TheoryData<string> Cases => [.. OptimizerReference.Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_PyTorch_over_several_steps(string name)
    {
        OptimizerCase reference = OptimizerReference.Cases.Single(c => c.Name == name);
        Optimizer optimizer = Create(name);
        float[] parameters = (float[])reference.Parameters.Clone();

        for (int step = 0; step < reference.Gradients.Length; step++)
        {
            float[] gradients = (float[])reference.Gradients[step].Clone();
            optimizer.Step(parameters, gradients);
            Assert.Equal(reference.Gradients[step], gradients);
            for (int i = 0; i < parameters.Length; i++)
            {
                float expected = reference.Expected[step][i];
                Assert.True(Math.Abs(expected - parameters[i]) <= Tolerance * Math.Max(1f, Math.Abs(expected)),
                    $"{name}, step {step + 1}, parameter {i}: PyTorch {expected}, FastSeq {parameters[i]}");
            }
        }
    }

    [Fact]
    public void Defaults_are_PyTorchs()
    {
        var rmsProp = new RmsProp();
        Assert.Equal(0.01f, rmsProp.LearningRate);
        Assert.Equal(0.99f, rmsProp.Alpha);
        Assert.Equal(1e-8f, rmsProp.Epsilon);
        Assert.Equal(0f, rmsProp.Momentum);
        Assert.False(rmsProp.Centered);

        var adamW = new AdamW();
        Assert.Equal(1e-3f, adamW.LearningRate);
        Assert.Equal(0.01f, adamW.WeightDecay);
        Assert.Equal(0.9f, adamW.Beta1);
        Assert.Equal(0.999f, adamW.Beta2);
        Assert.Equal(1e-8f, adamW.Epsilon);
        Assert.Equal(0.01f, new AdamW(0.5f).WeightDecay);
    }

    [Fact]
    public void ClipValue_clamps_each_gradient_without_touching_the_callers_span()
    {
        var sgd = new Sgd(1f) { ClipValue = 1f };
        float[] parameters = [0f, 0f, 0f];
        float[] gradients = [3f, -0.25f, -5f];

        sgd.Step(parameters, gradients);

        Assert.Equal([-1f, 0.25f, 1f], parameters);
        Assert.Equal([3f, -0.25f, -5f], gradients);
    }

    [Fact]
    public void GlobalClipNorm_is_ClipNorm_under_its_Keras_name()
    {
        var adam = new Adam { GlobalClipNorm = 2f };
        Assert.Equal(2f, adam.ClipNorm);
        adam.ClipNorm = null;
        Assert.Null(adam.GlobalClipNorm);
    }

    [Fact]
    public void AdamW_without_weight_decay_is_Adam_bit_for_bit()
    {
        var adam = new Adam(0.01f, epsilon: 1e-8f);
        var adamW = new AdamW(0.01f, weightDecay: 0f);
        float[] a = [.. OptimizerReference.Cases[0].Parameters];
        float[] b = [.. a];
        foreach (float[] gradients in OptimizerReference.Cases[0].Gradients)
        {
            adam.Step(a, gradients);
            adamW.Step(b, gradients);
        }
        Assert.Equal(a, b);
    }

    [Fact]
    public void Hyperparameters_are_validated_naming_the_value()
    {
        Assert.Contains("alpha is 1", Assert.Throws<ArgumentException>(() => new RmsProp(alpha: 1f)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new RmsProp(0f));
        Assert.Throws<ArgumentException>(() => new RmsProp(epsilon: 0f));
        Assert.Throws<ArgumentException>(() => new RmsProp(momentum: 1f));
        Assert.Throws<ArgumentException>(() => new RmsProp(momentum: -0.5f));
        Assert.Contains("weightDecay is -0.1", Assert.Throws<ArgumentException>(() => new AdamW(weightDecay: -0.1f)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new AdamW(weightDecay: float.NaN));
        Assert.Throws<ArgumentException>(() => new AdamW(beta1: 1f));
        Assert.Throws<ArgumentException>(() => new AdamW(epsilon: -1f));
        var sgd = new Sgd(0.1f);
        Assert.Contains("ClipValue is 0", Assert.Throws<ArgumentException>(() => sgd.ClipValue = 0f).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => sgd.ClipValue = float.PositiveInfinity);
        Assert.Throws<ArgumentException>(() => sgd.GlobalClipNorm = -1f);
        sgd.ClipValue = null;
        Assert.Null(sgd.ClipValue);
    }

    [Fact]
    public void Steps_with_clipping_allocate_only_on_the_first_call()
    {
        float[] parameters = new float[1001];
        float[] gradients = [.. Enumerable.Range(0, 1001).Select(i => MathF.Sin(i))];
        Optimizer[] optimizers =
        [
            new RmsProp(momentum: 0.9f, centered: true) { ClipValue = 0.5f, ClipNorm = 1f },
            new RmsProp(),
            new AdamW() { ClipValue = 0.5f },
            new Sgd(0.1f) { ClipValue = 0.1f },
        ];
        Allocations.AssertNone(() =>
        {
            foreach (Optimizer optimizer in optimizers)
                optimizer.Step(parameters, gradients);
        });
    }
}
