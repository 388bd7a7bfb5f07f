namespace FastSeq.Layers;

/// <summary>The sizes one recurrent layer call works on: <c>x: [Batch, Timesteps, Inputs]</c>, <c>h: [Batch, Timesteps, Units]</c>.</summary>
public readonly record struct RecurrentShape(int Batch, int Timesteps, int Inputs, int Units);
