using FastSeq.Layers;
using FastSeq.Tests.Models;
using Xunit.Abstractions;

namespace FastSeq.Tests.Layers;

/// <summary>Outputs and gradients against PyTorch 1.13 (<c>Reference/*.safetensors</c>, loss = MSE over the outputs).</summary>
public class ReferenceParityTests(ITestOutputHelper output)
{
    private const double OutputTolerance = 1e-5;
    private const double GradientRelativeTolerance = 1e-4;
    private const double GradientAbsoluteTolerance = 1e-7;
    private const double SmallElementScale = 0.1;

    [Theory]
    [InlineData("simple_rnn_seq", "SimpleRnn.Tanh", "rnn")]
    [InlineData("lstm_seq", "Lstm", "lstm")]
    [InlineData("gru_seq", "Gru", "gru")]
    public void Single_layer_returning_sequences_matches_PyTorch(string file, string layerName, string prefix)
    {
        var reference = ReferenceCase.Load(file);
        var layer = RecurrentLayerUnderTest.Named(layerName);
        bool gru = layerName == "Gru";
        var shape = ShapeOf(reference, prefix);
        float[] parameters = KerasLayout(reference, prefix, gru);
        float[] hidden = new float[shape.Batch * shape.Timesteps * shape.Units];
        float[] cache = new float[layer.CacheLength(shape)];
        layer.Forward(reference["input"], parameters, shape, cache, hidden);
        AssertClose("output", reference["output"], hidden, 0, OutputTolerance);

        float[] dHidden = MeanSquaredErrorGradient(hidden, reference["target"], reference["loss"][0]);
        float[] dParameters = new float[parameters.Length];
        float[] dx = new float[reference["input"].Length];
        layer.Backward(reference["input"], parameters, cache, hidden, shape, dHidden, dParameters, dx, new float[layer.WorkspaceLength(shape)]);

        AssertClose("grad", KerasGradientLayout(reference, prefix, gru), dParameters, GradientRelativeTolerance, GradientAbsoluteTolerance);
        AssertClose("grad.input", reference["grad.input"], dx, GradientRelativeTolerance, GradientAbsoluteTolerance);
    }

    [Theory]
    [InlineData("sine_forecaster", "SimpleRnn.Tanh", "rnn1", "rnn2", Activation.Linear)]
    [InlineData("lstm_stack_classifier", "Lstm", "enc1", "enc2", Activation.Sigmoid)]
    public void Two_recurrent_layers_and_a_dense_head_match_PyTorch(string file, string layerName, string first, string second, Activation headActivation)
    {
        // first returns sequences, second passes its last timestep to the Dense head.
        var reference = ReferenceCase.Load(file);
        var layer = RecurrentLayerUnderTest.Named(layerName);
        var shape1 = ShapeOf(reference, first);
        var shape2 = ShapeOf(reference, second);
        int B = shape1.Batch, T = shape1.Timesteps, H = shape2.Units;
        int U = reference.Shape("head.weight")[0];
        float[] p1 = KerasLayout(reference, first, gru: false), p2 = KerasLayout(reference, second, gru: false);
        float[] head = [.. reference.Transposed("head.weight"), .. reference["head.bias"]];
        float[] x = reference["input"];

        float[] h1 = new float[B * T * shape1.Units], cache1 = new float[layer.CacheLength(shape1)];
        float[] h2 = new float[B * T * H], cache2 = new float[layer.CacheLength(shape2)];
        layer.Forward(x, p1, shape1, cache1, h1);
        layer.Forward(h1, p2, shape2, cache2, h2);
        float[] last = new float[B * H];
        LastTimestep.Copy(h2, T, H, last);
        float[] logits = new float[B * U], y = new float[B * U];
        DenseLayer.Forward(last, head, new LayerShape(B, 1, H, U), headActivation, logits, y);
        AssertClose("output", reference["output"], y, 0, OutputTolerance);

        float[] dy = MeanSquaredErrorGradient(y, reference["target"], reference["loss"][0]);
        float[] dHead = new float[head.Length], dLast = new float[last.Length];
        DenseLayer.Backward(last, head, logits, y, new LayerShape(B, 1, H, U), headActivation, dy, dHead, dLast, []);
        float[] dH2 = new float[h2.Length];
        LastTimestep.Scatter(dLast, T, H, dH2);
        float[] dP2 = new float[p2.Length], dH1 = new float[h1.Length];
        layer.Backward(h1, p2, cache2, h2, shape2, dH2, dP2, dH1, new float[layer.WorkspaceLength(shape2)]);
        float[] dP1 = new float[p1.Length], dx = new float[x.Length];
        layer.Backward(x, p1, cache1, h1, shape1, dH1, dP1, dx, new float[layer.WorkspaceLength(shape1)]);

        AssertClose("grad.head", [.. reference.Transposed("grad.head.weight"), .. reference["grad.head.bias"]], dHead, GradientRelativeTolerance, GradientAbsoluteTolerance);
        AssertClose("grad." + second, KerasGradientLayout(reference, second, gru: false), dP2, GradientRelativeTolerance, GradientAbsoluteTolerance);
        AssertClose("grad." + first, KerasGradientLayout(reference, first, gru: false), dP1, GradientRelativeTolerance, GradientAbsoluteTolerance);
        AssertClose("grad.input", reference["grad.input"], dx, GradientRelativeTolerance, GradientAbsoluteTolerance);
    }

    private static LayerShape ShapeOf(ReferenceCase reference, string prefix)
    {
        int[] input = reference.Shape("input");
        int[] recurrent = reference.Shape(prefix + ".weight_hh_l0");
        return new LayerShape(input[0], input[1], reference.Shape(prefix + ".weight_ih_l0")[1], recurrent[1]);
    }

    /// <summary>PyTorch weights as the Keras layout: transposed kernels, then one summed bias (two apart for GRU).</summary>
    private static float[] KerasLayout(ReferenceCase reference, string prefix, bool gru)
    {
        float[] biasIh = reference[prefix + ".bias_ih_l0"], biasHh = reference[prefix + ".bias_hh_l0"];
        float[] bias = gru ? [.. biasIh, .. biasHh] : [.. biasIh.Zip(biasHh, (a, b) => a + b)];
        return [.. reference.Transposed(prefix + ".weight_ih_l0"), .. reference.Transposed(prefix + ".weight_hh_l0"), .. bias];
    }

    /// <summary>PyTorch's gradients in the Keras layout; the gradient of a summed bias is that of either PyTorch bias.</summary>
    private static float[] KerasGradientLayout(ReferenceCase reference, string prefix, bool gru)
    {
        string grad = "grad." + prefix;
        float[] bias = gru ? [.. reference[grad + ".bias_ih_l0"], .. reference[grad + ".bias_hh_l0"]] : reference[grad + ".bias_ih_l0"];
        return [.. reference.Transposed(grad + ".weight_ih_l0"), .. reference.Transposed(grad + ".weight_hh_l0"), .. bias];
    }

    /// <summary>d/dy of mean((y - target)²), after checking the loss itself.</summary>
    private static float[] MeanSquaredErrorGradient(float[] y, float[] target, float expectedLoss)
    {
        double loss = 0;
        float[] gradient = new float[y.Length];
        for (int i = 0; i < y.Length; i++)
        {
            loss += (double)(y[i] - target[i]) * (y[i] - target[i]);
            gradient[i] = 2f * (y[i] - target[i]) / y.Length;
        }
        Assert.Equal(expectedLoss, loss / y.Length, 1e-5 * Math.Max(1, expectedLoss));
        return gradient;
    }

    /// <summary>
    /// Elementwise <c>|a - e| ≤ absolute + relative·|e|</c>, where elements far below the tensor's largest are held to
    /// that largest scaled by <see cref="SmallElementScale"/>: float rounding of the large terms that cancel into them
    /// is all they can be trusted to.
    /// </summary>
    private void AssertClose(string what, float[] expected, float[] actual, double relative, double absolute)
    {
        Assert.Equal(expected.Length, actual.Length);
        double largest = expected.Max(Math.Abs);
        double worstAbsolute = 0, worstRelative = 0, squaredDifference = 0, squaredExpected = 0;
        var failures = new List<string>();
        for (int i = 0; i < expected.Length; i++)
        {
            double difference = Math.Abs((double)actual[i] - expected[i]);
            worstAbsolute = Math.Max(worstAbsolute, difference);
            worstRelative = Math.Max(worstRelative, difference / Math.Max(Math.Abs(expected[i]), 1e-30));
            squaredDifference += difference * difference;
            squaredExpected += (double)expected[i] * expected[i];
            if (!(difference <= absolute + relative * Math.Max(Math.Abs(expected[i]), SmallElementScale * largest)))
                failures.Add($"{what}[{i}]: expected {expected[i]:G9}, actual {actual[i]:G9}");
        }
        output.WriteLine($"{what}: max |difference| {worstAbsolute:E2}, max elementwise relative {worstRelative:E2}, " +
                         $"norm relative {Math.Sqrt(squaredDifference / Math.Max(squaredExpected, 1e-300)):E2}, max |expected| {largest:E2}");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }
}
