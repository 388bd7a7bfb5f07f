namespace FastSeq.Benchmarks;

// The FastSeq side of every workload, declared as a user would. Step does not depend on
// Timesteps, so the streaming models declare one.

/// <summary>W1: input 1 -> LSTM(40) -> Dense(1), streamed one sample at a time.</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Lstm(40)]
[Dense(1)]
public partial class StreamingLstm;

/// <summary>W1: input 1 -> GRU(40) -> Dense(1), streamed one sample at a time.</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Gru(40)]
[Dense(1)]
public partial class StreamingGru;

/// <summary>W2, W3: the sine forecaster, SimpleRNN(32) x2 -> Dense(1) over 10 timesteps.</summary>
[SequenceModel(Timesteps = 10, Features = 1, MaxBatchSize = 32)]
[SimpleRnn(32, ReturnSequences = true)]
[SimpleRnn(32)]
[Dense(1)]
public partial class SineRnn;

/// <summary>W2, W3: the sine forecaster with two LSTM(32).</summary>
[SequenceModel(Timesteps = 10, Features = 1, MaxBatchSize = 32)]
[Lstm(32, ReturnSequences = true)]
[Lstm(32)]
[Dense(1)]
public partial class SineLstm;

/// <summary>W4: input 64 -> LSTM(256) over 50 timesteps, batch 64, every hidden state returned.</summary>
[SequenceModel(Timesteps = 50, Features = 64, MaxBatchSize = 64)]
[Lstm(256, ReturnSequences = true)]
public partial class LargeLstm;
