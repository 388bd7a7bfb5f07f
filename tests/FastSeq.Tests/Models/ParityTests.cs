using FastSeq.IO;

namespace FastSeq.Tests.Models;

/// <summary>
/// PyTorch parity through the public API: load the reference weights, predict, then one SGD
/// step of mean squared error, comparing output, loss, every gradient, the input gradient and
/// the weights after the step.
/// </summary>
public class ParityTests
{
    [Fact] public void SimpleRnn_sequence() => Check(new RnnSeqModel(), "simple_rnn_seq");

    [Fact] public void Lstm_sequence() => Check(new LstmSeqModel(), "lstm_seq");

    [Fact] public void Gru_sequence() => Check(new GruSeqModel(), "gru_seq");

    [Fact] public void Sine_forecaster() => Check(new SineReferenceModel(), "sine_forecaster");

    [Fact] public void Lstm_stack_classifier() => Check(new LstmStackClassifierModel(), "lstm_stack_classifier");

    internal static void Check<TModel>(TModel model, string name)
        where TModel : ISequenceModel
    {
        ReferenceCase reference = ReferenceCase.Load(name);
        int batch = reference.Batch;
        float learningRate = reference.LearningRate;
        float[] input = reference["input"], target = reference["target"];

        model.LoadWeights(reference.Path, allowUnexpectedTensors: true);   // the file also holds inputs and gradients
        var output = new float[reference["output"].Length];
        model.Predict(input, output, batch);
        Tolerance.Close(reference["output"], output, 1e-5, 0, "output");

        var trainer = new Trainer<TModel>(model, new Sgd(learningRate), Loss.MeanSquaredError);
        float loss = trainer.TrainBatch(input, target, batch);
        Tolerance.Close(reference["loss"], [loss], 1e-6, 1e-5, "loss");
        float[] inputGradient = reference["grad.input"];
        Tolerance.Close(inputGradient, model.InputGradients, 1e-4 * MaxAbs(inputGradient), 1e-4, "grad.input");

        CheckGradientsAndStep(model, reference, learningRate);
    }

    /// <summary>After one SGD step of the reference's loss: every parameter's gradient and its value after the step, against PyTorch's.</summary>
    internal static void CheckGradientsAndStep(ISequenceModel model, ReferenceCase reference, float learningRate)
    {
        SafeTensorsFile gradients = ReferenceCase.AsStateDict(model.StateDict, model.Gradients);
        SafeTensorsFile updated = ReferenceCase.AsStateDict(model.StateDict, model.Parameters);
        foreach (StateDictEntry entry in model.StateDict)
        {
            if (entry.Layout == TensorLayout.SummedBiasRecurrent)
                continue; // saved as zeros: the summed bias lives in bias_ih_l0
            float[] expectedGradient = reference["grad." + entry.Name];
            float[] expectedAfter = reference["sgd." + entry.Name];
            if (entry.Layout == TensorLayout.SummedBiasInput)
            {
                // PyTorch moves each of its two biases by lr * g, so their sum by 2 lr g; one bias moves by lr * g.
                float[] otherAfter = reference["sgd." + entry.Name.Replace("bias_ih", "bias_hh", StringComparison.Ordinal)];
                for (int i = 0; i < expectedAfter.Length; i++)
                    expectedAfter[i] += otherAfter[i] + (learningRate * expectedGradient[i]);
            }
            // Relative 1e-4 per element, with a floor of 1e-4 of the tensor's largest element: entries a thousand
            // times smaller than their neighbours carry float32 rounding of the larger sums they come from.
            Tolerance.Close(expectedGradient, gradients.GetTensor(entry.Name).ToFloatArray(), 1e-4 * MaxAbs(expectedGradient), 1e-4, "grad." + entry.Name);
            Tolerance.Close(expectedAfter, updated.GetTensor(entry.Name).ToFloatArray(), 1e-5, 1e-4, "sgd." + entry.Name);
        }
    }

    private static double MaxAbs(float[] values) => values.Max(v => Math.Abs((double)v));
}
