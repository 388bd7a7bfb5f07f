namespace FastSeq.Tests.Models;

// Models of the reference cases: layer names match the PyTorch state_dict names.

[SequenceModel(Timesteps = 4, Features = 3, MaxBatchSize = 4)]
[SimpleRnn(5, ReturnSequences = true, Name = "rnn")]
public partial class RnnSeqModel;

[SequenceModel(Timesteps = 4, Features = 3, MaxBatchSize = 4)]
[Lstm(5, ReturnSequences = true)]
public partial class LstmSeqModel;

[SequenceModel(Timesteps = 4, Features = 3, MaxBatchSize = 4)]
[Gru(5, ReturnSequences = true)]
public partial class GruSeqModel;

[SequenceModel(Timesteps = 10, Features = 1, MaxBatchSize = 8)]
[SimpleRnn(32, ReturnSequences = true, Name = "rnn1")]
[SimpleRnn(32, Name = "rnn2")]
[Dense(1, Name = "head")]
public partial class SineReferenceModel;

[SequenceModel(Timesteps = 6, Features = 2, MaxBatchSize = 4)]
[Lstm(8, ReturnSequences = true, Name = "enc1")]
[Lstm(8, Name = "enc2")]
[Dense(3, Activation = Activation.Sigmoid, Name = "head")]
public partial class LstmStackClassifierModel;

// The foundation example, with Keras default names.

[SequenceModel(Timesteps = 10, Features = 1)]
[SimpleRnn(32, ReturnSequences = true)]
[SimpleRnn(32)]
[Dense(1)]
public partial class SineForecaster;

// Small stacks with odd sizes for finite-difference checks.

[SequenceModel(Timesteps = 3, Features = 2, MaxBatchSize = 3)]
[SimpleRnn(3, ReturnSequences = true, Activation = Activation.Relu)]
[SimpleRnn(5)]
[Dense(2, Activation = Activation.Tanh)]
public partial class SmallRnnStack;

[SequenceModel(Timesteps = 1, Features = 3, MaxBatchSize = 3)]
[Lstm(5, ReturnSequences = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class SingleStepLstm;

[SequenceModel(Timesteps = 4, Features = 1, MaxBatchSize = 3)]
[Gru(7, ReturnSequences = true)]
[Gru(3)]
[Dense(1, Activation = Activation.Sigmoid)]
public partial class SmallGruStack;

[SequenceModel(Timesteps = 5, Features = 2, MaxBatchSize = 3)]
[Lstm(4, ReturnSequences = true)]
[SimpleRnn(3, ReturnSequences = true)]
[Gru(5, ReturnSequences = true)]
[Dense(2)]
public partial class MixedSequenceStack;

[SequenceModel(Timesteps = 7, Features = 5)]
[Lstm(32)]
[Dense(4, Activation = Activation.Relu)]
public partial class LstmOnFive;

[SequenceModel(Timesteps = 3, Features = 64, MaxBatchSize = 2)]
[Gru(256)]
public partial class WideGru;

// One layer whose output is as wide as its input, so a stream can feed its prediction back in place.
[SequenceModel(Timesteps = 4, Features = 8, MaxBatchSize = 2)]
[Lstm(8)]
public partial class FeedbackLstm;

[SequenceModel(Timesteps = 12, Features = 3, MaxBatchSize = 16)]
[Gru(16, ReturnSequences = true)]
[Lstm(8)]
[Dense(4, Activation = Activation.Softmax)]
public partial class SequenceClassifier;

// Weights embedded at compile time from an AdditionalFiles item (see the test project file).

[SequenceModel(Timesteps = 10, Features = 1, Weights = "Reference/sine_forecaster.safetensors")]
[SimpleRnn(32, ReturnSequences = true, Name = "rnn1")]
[SimpleRnn(32, Name = "rnn2")]
[Dense(1, Name = "head")]
public partial class EmbeddedSineModel;

[SequenceModel(Timesteps = 4, Features = 3, Weights = "gru_seq.safetensors")]
[Gru(5, ReturnSequences = true)]
public partial class EmbeddedGruModel;
