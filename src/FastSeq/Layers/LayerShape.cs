namespace FastSeq.Layers;

/// <summary>
/// The sizes one layer call works on: <c>x: [Batch, Timesteps, Inputs]</c>, <c>output: [Batch, Timesteps, Units]</c>.
/// A layer that reads no time axis (a Dense after a layer that returns only its last step) has <c>Timesteps = 1</c>.
/// </summary>
public readonly record struct LayerShape(int Batch, int Timesteps, int Inputs, int Units);
