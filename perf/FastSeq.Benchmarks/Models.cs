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

// W1 at the other sizes of the side-by-side RTNeural rows (RtNeuralBenchmarks); 40 units are StreamingLstm and StreamingGru.

/// <summary>W1 with LSTM(8).</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Lstm(8)]
[Dense(1)]
public partial class StreamingLstm8;

/// <summary>W1 with LSTM(16).</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Lstm(16)]
[Dense(1)]
public partial class StreamingLstm16;

/// <summary>W1 with LSTM(32).</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Lstm(32)]
[Dense(1)]
public partial class StreamingLstm32;

/// <summary>W1 with LSTM(64).</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Lstm(64)]
[Dense(1)]
public partial class StreamingLstm64;

/// <summary>W1 with LSTM(128).</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Lstm(128)]
[Dense(1)]
public partial class StreamingLstm128;

/// <summary>W1 with GRU(8).</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Gru(8)]
[Dense(1)]
public partial class StreamingGru8;

/// <summary>W1 with GRU(16).</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Gru(16)]
[Dense(1)]
public partial class StreamingGru16;

/// <summary>W1 with GRU(32).</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Gru(32)]
[Dense(1)]
public partial class StreamingGru32;

/// <summary>W1 with GRU(64).</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Gru(64)]
[Dense(1)]
public partial class StreamingGru64;

/// <summary>W1 with GRU(128).</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 1)]
[Gru(128)]
[Dense(1)]
public partial class StreamingGru128;

/// <summary>W5: W1's LSTM(40) -> Dense(1) serving many streams, each call one step of every stream.</summary>
[SequenceModel(Timesteps = 1, Features = 1, MaxBatchSize = 256)]
[Lstm(40)]
[Dense(1)]
public partial class ServingLstm;
