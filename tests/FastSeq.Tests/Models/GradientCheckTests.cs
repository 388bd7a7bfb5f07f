namespace FastSeq.Tests.Models;

/// <summary>
/// Finite-difference checks of whole generated models: for L = sum(w ⊙ outputs) with random w,
/// Backward's d L / d parameter and d L / d input match central differences.
/// </summary>
public class GradientCheckTests
{
    public static TheoryData<string, int> Cases => new()
    {
        { nameof(SmallRnnStack), 1 },
        { nameof(SmallRnnStack), 3 },
        { nameof(SingleStepLstm), 1 },
        { nameof(SingleStepLstm), 3 },
        { nameof(SmallGruStack), 1 },
        { nameof(SmallGruStack), 3 },
        { nameof(MixedSequenceStack), 2 },
        { nameof(BidirectionalStack), 1 },
        { nameof(BidirectionalStack), 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_matches_central_differences(string model, int batch)
    {
        ISequenceModel m = model switch
        {
            nameof(SmallRnnStack) => new SmallRnnStack(seed: 3),
            nameof(SingleStepLstm) => new SingleStepLstm(seed: 4),
            nameof(SmallGruStack) => new SmallGruStack(seed: 5),
            nameof(BidirectionalStack) => new BidirectionalStack(seed: 7),
            _ => new MixedSequenceStack(seed: 6),
        };
        Check(m, batch);
    }

    /// <summary>An Embedding's table through a whole token model (ids held as floats; ids have no gradient to check).</summary>
    [Fact]
    public void Token_model_backward_matches_central_differences()
    {
        var random = new Random(13);
        float[] ids = [.. Enumerable.Range(0, 2 * TokenTagger.InputLength).Select(_ => (float)random.Next(TokenTagger.VocabularySize))];
        Check(new TokenTagger(seed: 8), 2, ids);
    }

    /// <summary>Sequences of different lengths: padding holds garbage and gets no gradient, numerically or analytically.</summary>
    [Fact]
    public void Backward_of_padded_sequences_matches_central_differences() => Check(new LengthsClassifier(seed: 9), 3, lengths: [5, 2, 4]);

    private static void Check(ISequenceModel model, int batch, float[]? tokens = null, int[]? lengths = null)
    {
        var random = new Random(11);
        float[] input = tokens ?? Uniform(random, batch * model.InputLength, 1f);
        float[] weights = Uniform(random, batch * model.OutputLength, 1f);
        // Spread parameters so saturating gates and the ReLU are exercised, away from zero-gradient plateaus.
        Span<float> parameters = model.Parameters;
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] += (random.NextSingle() - 0.5f) * 0.5f;

        model.Forward(input, lengths, batch);
        model.Gradients.Clear();
        model.Backward(weights, batch);
        float[] analytic = model.Gradients.ToArray();
        float[] analyticInput = model.InputGradients.ToArray();

        for (int i = 0; i < parameters.Length; i++)
        {
            double numeric = Central(model, input, lengths, weights, batch, parameters, i);
            AssertClose(numeric, analytic[i], $"parameter {i}");
        }
        for (int i = 0; i < (tokens is null ? input.Length : 0); i++)
        {
            double numeric = Central(model, input, lengths, weights, batch, input, i);
            AssertClose(numeric, analyticInput[i], $"input {i}");
        }
    }

    private static double Central(ISequenceModel model, float[] input, int[]? lengths, float[] weights, int batch, Span<float> values, int index)
    {
        const float Step = 1e-2f;
        float original = values[index];
        values[index] = original + Step;
        double plus = Objective(model, input, lengths, weights, batch);
        values[index] = original - Step;
        double minus = Objective(model, input, lengths, weights, batch);
        values[index] = original;
        return (plus - minus) / (2 * Step);
    }

    private static double Objective(ISequenceModel model, float[] input, int[]? lengths, float[] weights, int batch)
    {
        model.Forward(input, lengths, batch);
        double sum = 0;
        ReadOnlySpan<float> outputs = model.Outputs;
        for (int i = 0; i < outputs.Length; i++)
            sum += (double)weights[i] * outputs[i];
        return sum;
    }

    private static void AssertClose(double numeric, float analytic, string what)
    {
        // Central differences on float32 with step 1e-2: O(step^2) truncation plus rounding.
        double error = Math.Abs(numeric - analytic);
        Assert.True(error <= 2e-3 + (2e-2 * Math.Abs(numeric)), $"{what}: numeric {numeric:E4}, analytic {analytic:E4}");
    }

    private static float[] Uniform(Random random, int length, float scale)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (random.NextSingle() * 2f - 1f) * scale;
        return values;
    }
}
