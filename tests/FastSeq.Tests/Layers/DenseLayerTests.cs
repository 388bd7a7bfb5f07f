using FastSeq.Layers;

namespace FastSeq.Tests.Layers;

public class DenseLayerTests
{
    private const int I = 3, U = 5;

    public static TheoryData<Activation, int> ActivationsAndRows
    {
        get
        {
            var data = new TheoryData<Activation, int>();
            foreach (Activation activation in Enum.GetValues<Activation>())
            {
                data.Add(activation, 1);
                data.Add(activation, 4);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ActivationsAndRows))]
    public void Forward_matches_plain_loops(Activation activation, int rows)
    {
        var random = new Random(1);
        float[] parameters = RandomTensors.Uniform(random, DenseLayer.ParameterCount(I, U), -1f, 1f);
        float[] x = RandomTensors.Uniform(random, rows * I, -1f, 1f);
        float[] preActivation = new float[rows * U], output = new float[rows * U];
        DenseLayer.Forward(x, parameters, new LayerShape(rows, 1, I, U), activation, preActivation, output);

        for (int r = 0; r < rows; r++)
        {
            double[] z = new double[U];
            for (int u = 0; u < U; u++)
            {
                z[u] = parameters[I * U + u];
                for (int i = 0; i < I; i++)
                    z[u] += (double)x[r * I + i] * parameters[i * U + u];
                Assert.Equal(z[u], preActivation[r * U + u], 1e-6);
            }
            double softmaxSum = z.Sum(v => Math.Exp(v - z.Max()));
            for (int u = 0; u < U; u++)
            {
                double expected = activation switch
                {
                    Activation.Linear => z[u],
                    Activation.Tanh => Math.Tanh(z[u]),
                    Activation.Sigmoid => 1 / (1 + Math.Exp(-z[u])),
                    Activation.Relu => Math.Max(0, z[u]),
                    _ => Math.Exp(z[u] - z.Max()) / softmaxSum,
                };
                Assert.Equal(expected, output[r * U + u], 1e-6);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ActivationsAndRows))]
    public void Gradients_match_finite_differences(Activation activation, int rows)
    {
        var random = new Random(2 + rows);
        float[] parameters = RandomTensors.Uniform(random, DenseLayer.ParameterCount(I, U), -1f, 1f);
        float[] x = RandomTensors.Uniform(random, rows * I, -1f, 1f);
        float[] weights = RandomTensors.Uniform(random, rows * U, -1f, 1f);
        float[] preActivation = new float[rows * U], output = new float[rows * U];
        float[] dParameters = new float[parameters.Length], dx = new float[x.Length];
        DenseLayer.Forward(x, parameters, new LayerShape(rows, 1, I, U), activation, preActivation, output);
        DenseLayer.Backward(x, parameters, preActivation, output, new LayerShape(rows, 1, I, U), activation, [.. weights], dParameters, dx, []);
        double Loss()
        {
            DenseLayer.Forward(x, parameters, new LayerShape(rows, 1, I, U), activation, preActivation, output);
            return FiniteDifferences.WeightedSum(weights, output);
        }

        FiniteDifferences.Check("dParameters", parameters, dParameters, Loss);
        FiniteDifferences.Check("dx", x, dx, Loss);
    }

    [Theory]
    [InlineData(Activation.Softmax)]
    [InlineData(Activation.Sigmoid)]
    public void Gradients_with_respect_to_the_pre_activation_skip_the_activation(Activation activation)
    {
        const int rows = 3;
        var random = new Random(3);
        float[] parameters = RandomTensors.Uniform(random, DenseLayer.ParameterCount(I, U), -1f, 1f);
        float[] x = RandomTensors.Uniform(random, rows * I, -1f, 1f);
        float[] weights = RandomTensors.Uniform(random, rows * U, -1f, 1f);
        float[] preActivation = new float[rows * U], output = new float[rows * U];
        float[] dParameters = new float[parameters.Length], dx = new float[x.Length];
        DenseLayer.Forward(x, parameters, new LayerShape(rows, 1, I, U), activation, preActivation, output);
        DenseLayer.Backward(x, parameters, preActivation, output, new LayerShape(rows, 1, I, U), Activation.Linear, [.. weights], dParameters, dx, []);
        double Loss()
        {
            DenseLayer.Forward(x, parameters, new LayerShape(rows, 1, I, U), activation, preActivation, output);
            return FiniteDifferences.WeightedSum(weights, preActivation);
        }

        FiniteDifferences.Check("dParameters", parameters, dParameters, Loss);
        FiniteDifferences.Check("dx", x, dx, Loss);
    }

    [Fact]
    public void Backward_accumulates_parameter_gradients_and_may_skip_dx()
    {
        const int rows = 2;
        var random = new Random(4);
        float[] parameters = RandomTensors.Uniform(random, DenseLayer.ParameterCount(I, U), -1f, 1f);
        float[] x = RandomTensors.Uniform(random, rows * I, -1f, 1f);
        float[] weights = RandomTensors.Uniform(random, rows * U, -1f, 1f);
        float[] preActivation = new float[rows * U], output = new float[rows * U];
        float[] dParameters = new float[parameters.Length];
        DenseLayer.Forward(x, parameters, new LayerShape(rows, 1, I, U), Activation.Tanh, preActivation, output);
        DenseLayer.Backward(x, parameters, preActivation, output, new LayerShape(rows, 1, I, U), Activation.Tanh, [.. weights], dParameters, new float[x.Length], []);
        float[] once = [.. dParameters];
        DenseLayer.Backward(x, parameters, preActivation, output, new LayerShape(rows, 1, I, U), Activation.Tanh, [.. weights], dParameters, [], []);
        Assert.All(once.Zip(dParameters), pair => Assert.Equal(2 * pair.First, pair.Second, 1e-5 * Math.Max(1, Math.Abs(pair.First))));
    }

    [Fact]
    public void Forward_and_Backward_allocate_nothing()
    {
        const int rows = 16, inputs = 32, units = 10;
        var random = new Random(5);
        float[] parameters = RandomTensors.Uniform(random, DenseLayer.ParameterCount(inputs, units), -1f, 1f);
        float[] x = RandomTensors.Uniform(random, rows * inputs, -1f, 1f);
        float[] preActivation = new float[rows * units], output = new float[rows * units], dOutput = new float[rows * units];
        float[] dParameters = new float[parameters.Length], dx = new float[x.Length];
        void Both()
        {
            DenseLayer.Forward(x, parameters, new LayerShape(rows, 1, inputs, units), Activation.Softmax, preActivation, output);
            DenseLayer.Backward(x, parameters, preActivation, output, new LayerShape(rows, 1, inputs, units), Activation.Softmax, dOutput, dParameters, dx, []);
        }
        Allocations.AssertNone(Both);
    }

    [Fact]
    public void Wrong_lengths_and_overlaps_are_rejected()
    {
        float[] parameters = new float[DenseLayer.ParameterCount(I, U)];
        float[] buffer = new float[2 * U];
        var e = Assert.Throws<ArgumentException>(() => DenseLayer.Forward(new float[2 * I - 1], parameters, new LayerShape(2, 1, I, U), Activation.Relu, new float[2 * U], new float[2 * U]));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("6", e.Message);
        Assert.Contains("5", e.Message);
        e = Assert.Throws<ArgumentException>(() => DenseLayer.Forward(new float[2 * I], parameters, new LayerShape(2, 1, I, U), Activation.Relu, buffer, buffer));
        Assert.Equal("output", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => DenseLayer.Backward(new float[2 * I], parameters, new float[2 * U], new float[2 * U], new LayerShape(2, 1, I, U), Activation.Relu,
                                                                     new float[2 * U], new float[parameters.Length], new float[1], []));
        Assert.Equal("dx", e.ParamName);
    }

    [Theory]
    [InlineData(1, 1, Activation.Linear)]   // a streaming regression head: Step's own path
    [InlineData(1, 1, Activation.Sigmoid)]
    [InlineData(3, 1, Activation.Linear)]
    [InlineData(1, 4, Activation.Linear)]
    [InlineData(2, 4, Activation.Softmax)]
    public void Step_gives_the_bits_of_Forward_and_rejects_what_it_rejects(int batch, int units, Activation activation)
    {
        const int inputs = 37;
        var random = new Random(batch * 10 + units);
        float[] parameters = RandomTensors.Uniform(random, DenseLayer.ParameterCount(inputs, units), -1f, 1f);
        float[] x = RandomTensors.Uniform(random, batch * inputs, -1f, 1f);
        float[] forward = new float[batch * units], step = new float[batch * units];
        DenseLayer.Forward(x, parameters, new LayerShape(batch, 1, inputs, units), activation, new float[batch * units], forward);
        float[] scratch = new float[DenseLayer.StepScratchLength(inputs, units) * batch];
        DenseLayer.Step(x, parameters, batch, inputs, units, activation, [], scratch, step);
        Assert.Equal(forward, step);

        var e = Assert.Throws<ArgumentException>(() => DenseLayer.Step(x.AsSpan(1), parameters, batch, inputs, units, activation, [], scratch, step));
        Assert.Equal("x", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => DenseLayer.Step(x, parameters.AsSpan(1), batch, inputs, units, activation, [], scratch, step));
        Assert.Equal("parameters", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => DenseLayer.Step(x, parameters, batch, inputs, units, activation, [], scratch, new float[step.Length + 1]));
        Assert.Equal("output", e.ParamName);
        // The output over the input or over the scratch, as Forward refuses them.
        float[] shared = new float[x.Length + step.Length];
        x.CopyTo(shared, 0);
        e = Assert.Throws<ArgumentException>(() => DenseLayer.Step(shared.AsSpan(0, x.Length), parameters, batch, inputs, units, activation, [],
                                                                    scratch, shared.AsSpan(x.Length - 1, step.Length)));
        Assert.Equal("output", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => DenseLayer.Step(x, parameters, batch, inputs, units, activation, [], scratch, scratch.AsSpan(0, step.Length)));
        Assert.Equal("output", e.ParamName);
    }

    [Fact]
    public void Backward_rejects_written_spans_that_overlap_the_others()
    {
        const int rows = 2;
        var random = new Random(15);
        var buffers = new Dictionary<string, float[]>
        {
            ["x"] = RandomTensors.Uniform(random, rows * I, -1f, 1f),
            ["parameters"] = RandomTensors.Uniform(random, DenseLayer.ParameterCount(I, U), -1f, 1f),
            ["preActivation"] = new float[rows * U], ["output"] = new float[rows * U],
            ["dOutput"] = new float[rows * U], ["dParameters"] = new float[DenseLayer.ParameterCount(I, U)], ["dx"] = new float[rows * I],
        };
        DenseLayer.Forward(buffers["x"], buffers["parameters"], new LayerShape(rows, 1, I, U), Activation.Tanh, buffers["preActivation"], buffers["output"]);
        (string Source, string Destination)[] overlaps =
        [
            ("x", "dOutput"), ("parameters", "dOutput"), ("preActivation", "dOutput"), ("output", "dOutput"),
            ("x", "dParameters"), ("parameters", "dParameters"), ("preActivation", "dParameters"), ("output", "dParameters"), ("dOutput", "dParameters"),
            ("x", "dx"), ("parameters", "dx"), ("preActivation", "dx"), ("output", "dx"), ("dOutput", "dx"), ("dParameters", "dx"),
        ];
        foreach (var (source, destination) in overlaps)
        {
            OverlappingSpans.AssertRejected(buffers, source, destination,
                m => DenseLayer.Backward(m["x"].Span, m["parameters"].Span, m["preActivation"].Span, m["output"].Span, new LayerShape(rows, 1, I, U), Activation.Tanh,
                                         m["dOutput"].Span, m["dParameters"].Span, m["dx"].Span, []));
        }
    }
}
