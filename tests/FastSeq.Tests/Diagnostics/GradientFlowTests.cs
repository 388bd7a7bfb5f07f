using System.Xml.Linq;
using FastSeq.Diagnostics;
using FastSeq.Tests.Models;

namespace FastSeq.Tests.Diagnostics;

public class GradientFlowTests
{
    private const int Batch = 3;

    /// <summary>LSTM, SimpleRNN and GRU returning sequences, then a Dense: three recurrent layers and one that is not.</summary>
    private static (MixedSequenceStack Model, Trainer<MixedSequenceStack> Trainer, float[] Inputs, float[] Targets) Setup()
    {
        var model = new MixedSequenceStack(seed: 2);
        var trainer = new Trainer<MixedSequenceStack>(model, new Sgd(0.01f), Loss.MeanSquaredError);
        var random = new Random(5);
        float[] inputs = [.. Enumerable.Range(0, Batch * MixedSequenceStack.InputLength).Select(_ => random.NextSingle() - 0.5f)];
        float[] targets = [.. Enumerable.Range(0, Batch * MixedSequenceStack.OutputLength).Select(_ => random.NextSingle() - 0.5f)];
        return (model, trainer, inputs, targets);
    }

    [Fact]
    public void The_model_lists_its_layers_and_gives_hidden_state_gradients_of_recurrent_ones_after_a_backward()
    {
        (MixedSequenceStack model, Trainer<MixedSequenceStack> trainer, float[] inputs, float[] targets) = Setup();
        Assert.Equal(["lstm", "simple_rnn", "gru", "dense"], model.Layers.ToArray().Select(layer => layer.Name));
        Assert.Equal([true, true, true, false], model.Layers.ToArray().Select(layer => layer.IsRecurrent));
        Assert.Equal(MixedSequenceStack.ParameterCount, model.Layers[^1].ParameterOffset + model.Layers[^1].ParameterCount);
        Assert.True(model.HiddenStateGradients(0).IsEmpty);   // no Backward yet

        trainer.TrainBatch(inputs, targets, Batch);
        for (int i = 0; i < 3; i++)
            Assert.Equal(Batch * MixedSequenceStack.Timesteps * model.Layers[i].OutputUnits, model.HiddenStateGradients(i).Length);
        Assert.True(model.HiddenStateGradients(3).IsEmpty);
        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => model.HiddenStateGradients(4));
        Assert.Contains("MixedSequenceStack has 4 layers", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recorded_norms_are_the_norms_of_each_step_and_of_each_layers_parameter_gradients()
    {
        (MixedSequenceStack model, Trainer<MixedSequenceStack> trainer, float[] inputs, float[] targets) = Setup();
        var recorder = new GradientFlowRecorder(model);
        trainer.GradientFlow = recorder;
        trainer.TrainBatch(inputs, targets, Batch);

        Assert.Equal(1, recorder.Batches);
        for (int i = 0; i < model.Layers.Length; i++)
        {
            FastSeq.Models.ModelLayer layer = model.Layers[i];
            double parameterSquares = 0;
            foreach (float g in model.Gradients.Slice(layer.ParameterOffset, layer.ParameterCount))
                parameterSquares += (double)g * g;
            Assert.Equal(Math.Sqrt(parameterSquares), recorder.ParameterGradientNorm(i), 1e-5);
            if (!layer.IsRecurrent)
            {
                Assert.True(recorder.HiddenStateNorms(i).IsEmpty);
                continue;
            }
            ReadOnlySpan<float> gradients = model.HiddenStateGradients(i);
            int T = MixedSequenceStack.Timesteps, U = layer.OutputUnits;
            for (int t = 0; t < T; t++)
            {
                double squares = 0;
                for (int b = 0; b < Batch; b++)
                {
                    foreach (float g in gradients.Slice(((b * T) + t) * U, U))
                        squares += (double)g * g;
                }
                Assert.True(squares > 0, $"layer {layer.Name} has no gradient at step {t}");
                Assert.Equal(Math.Sqrt(squares), recorder.HiddenStateNorms(i)[t], 1e-6);
            }
        }
    }

    [Fact]
    public void A_report_averages_the_batches_recorded_since_the_last_reset()
    {
        (MixedSequenceStack model, Trainer<MixedSequenceStack> trainer, float[] inputs, float[] targets) = Setup();
        var recorder = new GradientFlowRecorder(model, "mixed");
        trainer.GradientFlow = recorder;
        trainer.TrainBatch(inputs, targets, Batch);
        trainer.TrainBatch(inputs, targets, Batch);   // throws the first away
        recorder.Reset();
        trainer.TrainBatch(inputs, targets, Batch);
        float[] first = recorder.HiddenStateNorms(1).ToArray();
        float firstParameters = recorder.ParameterGradientNorm(3);
        trainer.TrainBatch(inputs, targets, Batch);
        float[] second = recorder.HiddenStateNorms(1).ToArray();

        GradientFlowReport report = recorder.Report();
        Assert.Equal(4, report.Layers.Count);
        LayerGradientFlow rnn = report.Layers[1];
        Assert.Equal(("mixed", "simple_rnn", "SimpleRNN", 2), (rnn.Model, rnn.Layer, rnn.KerasClass, rnn.Batches));
        for (int t = 0; t < first.Length; t++)
            Assert.Equal((first[t] + second[t]) / 2, rnn.HiddenStateNorms[t], 1e-6);
        Assert.Empty(report.Layers[3].HiddenStateNorms);
        Assert.Equal((firstParameters + recorder.ParameterGradientNorm(3)) / 2, report.Layers[3].ParameterGradientNorm, 1e-6);
    }

    [Fact]
    public void Off_by_default_and_allocation_free_when_on()
    {
        (MixedSequenceStack model, Trainer<MixedSequenceStack> trainer, float[] inputs, float[] targets) = Setup();
        Assert.Null(trainer.GradientFlow);
        trainer.GradientFlow = new GradientFlowRecorder(model);
        Allocations.AssertNone(() => trainer.TrainBatch(inputs, targets, Batch));
    }

    [Fact]
    public void Misuse_throws_a_clear_exception()
    {
        (MixedSequenceStack model, Trainer<MixedSequenceStack> trainer, _, _) = Setup();
        var recorder = new GradientFlowRecorder(model);
        Assert.Contains("has run none yet", Assert.Throws<InvalidOperationException>(recorder.Record).Message, StringComparison.Ordinal);
        Assert.Contains("No batch", Assert.Throws<InvalidOperationException>(() => recorder.Report()).Message, StringComparison.Ordinal);
        var other = new GradientFlowRecorder(new MixedSequenceStack(seed: 3), "other");
        var thrown = Assert.Throws<ArgumentException>(() => trainer.GradientFlow = other);
        Assert.Contains("reads other", thrown.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.HiddenStateNorms(-1));
    }

    [Fact]
    public void The_picture_is_well_formed_svg_with_a_line_per_recurrent_layer_and_the_console_view_a_row_per_layer()
    {
        GradientFlowReport mixed = RecordedReport(new MixedSequenceStack(seed: 2), "mixed <&>");
        GradientFlowReport bidirectional = RecordedReport(new BidirectionalStack(seed: 4), "both ways");
        var report = GradientFlowReport.Combine(mixed, bidirectional);

        XDocument svg = XDocument.Parse(report.ToSvg());
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", svg.Root!.Name);
        XElement[] lines = [.. svg.Descendants(ns + "polyline").Where(e => (string?)e.Attribute("class") == "series")];
        Assert.Equal(report.RecurrentLayers.Select(layer => (layer.Model, layer.Layer)),
                     lines.Select(line => ((string)line.Attribute("data-model")!, (string)line.Attribute("data-layer")!)));
        Assert.Equal(report.RecurrentLayers.Select(layer => layer.HiddenStateNorms.Count), lines.Select(line => ((string)line.Attribute("points")!).Split(' ').Length));

        string console = report.ToConsole();
        foreach (LayerGradientFlow layer in report.Layers)
            Assert.Contains($"{layer.Model} / {layer.Layer} ({layer.KerasClass})", console, StringComparison.Ordinal);
        Assert.Equal(report.RecurrentLayers.Count(), console.Split('\n').Count(line => line.Contains("first/last", StringComparison.Ordinal)));
    }

    private static GradientFlowReport RecordedReport<TModel>(TModel model, string label)
        where TModel : ISequenceModel
    {
        var trainer = new Trainer<TModel>(model, new Sgd(0.01f), Loss.MeanSquaredError) { GradientFlow = new GradientFlowRecorder(model, label) };
        var random = new Random(1);
        float[] inputs = [.. Enumerable.Range(0, 2 * model.InputLength).Select(_ => random.NextSingle())];
        trainer.TrainBatch(inputs, new float[2 * model.OutputLength], 2);
        return trainer.GradientFlow!.Report();
    }
}
