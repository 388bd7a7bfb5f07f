namespace FastSeq.Tests.Training;

// Small models for the end-to-end training tests: each learns one task of SyntheticTasks in a few epochs.

/// <summary>Many-to-one, 3 classes: which of three frequencies a noisy sine has.</summary>
[SequenceModel(Timesteps = 16, Features = 1, MaxBatchSize = 32)]
[Gru(12)]
[Dense(3, Activation = Activation.Softmax)]
public partial class FrequencyClassifier;

/// <summary>The same stack read as logits (Linear head), for SparseCategoricalCrossEntropy on logits.</summary>
[SequenceModel(Timesteps = 16, Features = 1, MaxBatchSize = 32)]
[Gru(12)]
[Dense(3)]
public partial class FrequencyLogits;

/// <summary>Many-to-one, binary: probability that the sum of the sequence is positive.</summary>
[SequenceModel(Timesteps = 8, Features = 1, MaxBatchSize = 32)]
[SimpleRnn(8)]
[Dense(1, Activation = Activation.Sigmoid)]
public partial class SumSignProbability;

/// <summary>Many-to-one, binary: logit that the sum of the sequence is positive.</summary>
[SequenceModel(Timesteps = 8, Features = 1, MaxBatchSize = 32)]
[SimpleRnn(8)]
[Dense(1)]
public partial class SumSignLogit;

/// <summary>Many-to-many: tags every timestep with whether the value rose, a Dense applied per timestep.</summary>
[SequenceModel(Timesteps = 10, Features = 1, MaxBatchSize = 32)]
[Lstm(12, ReturnSequences = true)]
[Gru(8, ReturnSequences = true)]
[Dense(2, Activation = Activation.Softmax)]
public partial class RiseTagger;
