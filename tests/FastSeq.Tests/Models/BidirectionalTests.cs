using FastSeq.Layers;
using FastSeq.Tests.Layers;

namespace FastSeq.Tests.Models;

/// <summary>
/// Layers that read both directions (<c>Bidirectional = true</c>): PyTorch parity through a generated model, the
/// layout of their outputs and final states, their names and counts, and that such a model refuses to stream.
/// </summary>
public class BidirectionalTests
{
    [Fact]
    public void Stacked_bidirectional_lstm_matches_pytorch() => ParityTests.Check(new StackedBidirectional(), "stacked_bidirectional");

    /// <summary>The backward half of each step is a one-direction run of the <c>_reverse</c> weights over the reversed sequence.</summary>
    [Theory]
    [InlineData("Lstm")]
    [InlineData("Gru")]
    [InlineData("SimpleRnn.Tanh")]
    public void Outputs_are_the_forward_run_beside_the_reversed_run_of_the_backward_weights(string kind)
    {
        RecurrentLayerUnderTest layer = RecurrentLayerUnderTest.Named(kind);
        var s = new LayerShape(Batch: 2, Timesteps: 5, Inputs: 3, Units: 4);
        var random = new Random(8);
        int one = layer.ParameterCount(s.Inputs, s.Units);
        float[] parameters = RandomTensors.Uniform(random, 2 * one, -0.5f, 0.5f);
        float[] x = RandomTensors.Uniform(random, s.Batch * s.Timesteps * s.Inputs, -1f, 1f);

        float[] output = new float[s.Batch * s.Timesteps * 2 * s.Units];
        Bidirectional(kind)(x, parameters, s, output);

        float[] forward = new float[s.Batch * s.Timesteps * s.Units], backward = new float[forward.Length];
        layer.Forward(x, parameters.AsSpan(0, one), s, new float[layer.CacheLength(s)], forward);
        layer.Forward(Reversed(x, s.Batch, s.Timesteps, s.Inputs), parameters.AsSpan(one), s, new float[layer.CacheLength(s)], backward);
        float[] backwardInTime = Reversed(backward, s.Batch, s.Timesteps, s.Units);
        for (int row = 0; row < s.Batch * s.Timesteps; row++)
        {
            Assert.Equal(forward.AsSpan(row * s.Units, s.Units).ToArray(), output.AsSpan(row * 2 * s.Units, s.Units).ToArray());
            Assert.Equal(backwardInTime.AsSpan(row * s.Units, s.Units).ToArray(), output.AsSpan((row * 2 * s.Units) + s.Units, s.Units).ToArray());
        }

        // The final states: forward after the last step, backward after it reaches t = 0.
        float[] last = new float[s.Batch * 2 * s.Units];
        BidirectionalLayer<LstmLayer>.LastStep(output, s, default, last);
        for (int b = 0; b < s.Batch; b++)
        {
            Assert.Equal(forward.AsSpan(((b * s.Timesteps) + s.Timesteps - 1) * s.Units, s.Units).ToArray(), last.AsSpan(b * 2 * s.Units, s.Units).ToArray());
            Assert.Equal(backward.AsSpan(((b * s.Timesteps) + s.Timesteps - 1) * s.Units, s.Units).ToArray(), last.AsSpan((b * 2 * s.Units) + s.Units, s.Units).ToArray());
        }
    }

    [Fact]
    public void Names_counts_and_summary_follow_pytorch_and_keras()
    {
        var model = new StackedBidirectional();
        string[] names = [.. model.StateDict.ToArray().Select(e => e.Name)];
        Assert.Equal(["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
                      "lstm.weight_ih_l0_reverse", "lstm.weight_hh_l0_reverse", "lstm.bias_ih_l0_reverse", "lstm.bias_hh_l0_reverse"], names[..8]);
        // Keras: Bidirectional(LSTM(3)) on 2 features has 2 * 4 * (2*3 + 3*3 + 3) = 144 parameters; on 6 features 2 * 4 * (6*3 + 9 + 3) = 240.
        Assert.Equal(144 + 240 + 7, StackedBidirectional.ParameterCount);
        string summary = model.Summary();
        Assert.Contains("Bidirectional(LSTM)", summary, StringComparison.Ordinal);
        Assert.Contains("(None, 4, 6)", summary, StringComparison.Ordinal);
        Assert.Contains("(None, 6)", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_that_reads_both_directions_refuses_to_step()
    {
        var model = new StackedBidirectional();
        // Its states (both directions of each layer) start and end whole sequences, but do not step.
        Assert.Equal((2 * 2 * 3) + (2 * 2 * 3), StackedBidirectional.StreamStateLength);
        var e = Assert.Throws<NotSupportedException>(() => model.Step(new float[2], new float[1]));
        Assert.Contains("its layer 'lstm' reads each sequence from its end too", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The bidirectional form of a kind's Forward.</summary>
    private static BidirectionalRun Bidirectional(string kind) => kind switch
    {
        "Lstm" => Run<LstmLayer>(Activation.Tanh),
        "Gru" => Run<GruLayer>(Activation.Tanh),
        _ => Run<SimpleRnnLayer>(Activation.Tanh),
    };

    private delegate void BidirectionalRun(float[] x, float[] parameters, LayerShape s, float[] output);

    private static BidirectionalRun Run<TLayer>(Activation activation)
        where TLayer : IRecurrentLayer =>
        (x, parameters, s, output) => BidirectionalLayer<TLayer>.Forward(x, parameters, s, activation, new float[BidirectionalLayer<TLayer>.CacheLength(s)], output);

    private static float[] Reversed(float[] sequence, int batch, int timesteps, int width)
    {
        float[] reversed = new float[sequence.Length];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < timesteps; t++)
                sequence.AsSpan(((b * timesteps) + t) * width, width).CopyTo(reversed.AsSpan(((b * timesteps) + timesteps - 1 - t) * width, width));
        }
        return reversed;
    }
}

[SequenceModel(Timesteps = 4, Features = 2, MaxBatchSize = 4)]
[Lstm(3, ReturnSequences = true, Bidirectional = true)]
[Lstm(3, Bidirectional = true)]
[Dense(1)]
public partial class StackedBidirectional;

/// <summary>Each kind in both directions, for the finite-difference checks of whole models.</summary>
[SequenceModel(Timesteps = 4, Features = 2, MaxBatchSize = 3)]
[Gru(3, ReturnSequences = true, Bidirectional = true)]
[SimpleRnn(2, ReturnSequences = true, Bidirectional = true)]
[Lstm(3, Bidirectional = true)]
[Dense(2, Activation = Activation.Tanh)]
public partial class BidirectionalStack;
