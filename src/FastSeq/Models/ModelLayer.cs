namespace FastSeq.Models;

/// <summary>One layer of a generated model, as <see cref="ISequenceModel.Layers"/> lists them.</summary>
/// <param name="Name">Its name (Keras default names: <c>lstm</c>, <c>dense_1</c>, ...).</param>
/// <param name="KerasClass">Its class in a Keras summary: <c>LSTM</c>, <c>Bidirectional(GRU)</c>, <c>Dense</c>, ...</param>
/// <param name="ParameterOffset">Where its parameters start in <see cref="ISequenceModel.Parameters"/> (and its gradients in <see cref="ISequenceModel.Gradients"/>).</param>
/// <param name="ParameterCount">How many parameters it has.</param>
/// <param name="IsRecurrent">Whether it carries a hidden state from step to step (SimpleRNN, LSTM, GRU, in one direction or both).</param>
/// <param name="OutputUnits">The width of its output at a step: twice the units for a layer that reads both directions.</param>
/// <param name="StateLength">
/// Floats of recurrent state it carries per sequence, its part of <see cref="ISequenceModel.StreamStateLength"/> (h, then c for an
/// LSTM; both directions for a bidirectional layer); 0 for a layer that is not recurrent.
/// </param>
public readonly record struct ModelLayer(string Name, string KerasClass, int ParameterOffset, int ParameterCount, bool IsRecurrent, int OutputUnits, int StateLength);
