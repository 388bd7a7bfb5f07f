namespace FastSeq;

/// <summary>
/// What every generated model offers: shapes, inference, streaming, and the forward/backward
/// pair that training drives. Implemented by the FastSeq generator on each
/// <see cref="SequenceModelAttribute"/> class.
/// </summary>
/// <remarks>
/// An instance holds its weights, and its gradients once trained. <see cref="Predict(ReadOnlySpan{float}, Span{float}, int)"/> and the <c>Step</c> overloads
/// with caller-owned states run in buffers of the calling thread (made on its first call), so any number of threads
/// may call them on one instance at once and get the bits of sequential calls. The training members
/// (<see cref="Forward(ReadOnlySpan{float}, int)"/>, <see cref="Backward(ReadOnlySpan{float}, int, bool, bool)"/>) and <see cref="LoadWeights"/> change the instance and are not for
/// concurrent use; a second thread entering one while another runs gets an <see cref="InvalidOperationException"/>.
/// The training buffers (gradients, activations kept for Backward) are made by the first training call.
/// </remarks>
public interface ISequenceModel
{
    /// <summary>Timesteps per input sequence (T).</summary>
    int Timesteps { get; }

    /// <summary>Features per timestep (F).</summary>
    int Features { get; }

    /// <summary>Floats in one sample's input, <c>T * F</c>.</summary>
    int InputLength { get; }

    /// <summary>Floats in one sample's output: <c>U</c>, or <c>T * U</c> when the last layer returns sequences.</summary>
    int OutputLength { get; }

    /// <summary>Size of the last axis of the output (U): the classes of a classifier.</summary>
    int OutputUnits { get; }

    /// <summary>Activation of the final layer (<see cref="Activation.Linear"/> when it is recurrent).</summary>
    Activation OutputActivation { get; }

    /// <summary>The most sequences one pass holds: the largest batch of <see cref="Forward(ReadOnlySpan{float}, int)"/>; larger Predict and Step calls run in slices of this many.</summary>
    int MaxBatchSize { get; }

    /// <summary>All trainable parameters in one flat buffer (Keras layouts: kernels <c>[in, G*H]</c>).</summary>
    Span<float> Parameters { get; }

    /// <summary>Gradients of the loss with respect to <see cref="Parameters"/>, same layout.</summary>
    Span<float> Gradients { get; }

    /// <summary>
    /// Runs the model on any number of sequences <c>[B, T, F]</c>, each with the bits it gets alone; safe to call from
    /// several threads at once, and leaves the training buffers alone.
    /// </summary>
    void Predict(ReadOnlySpan<float> inputs, Span<float> outputs, int batchSize = 1);

    /// <summary>When true, Predict, Step and Forward refuse non-finite inputs with an <see cref="ArgumentException"/> naming the sample, step and feature.</summary>
    bool CheckInputsFinite { get; set; }

    /// <summary>Forward pass that keeps every activation backward needs. Results in <see cref="Outputs"/>.</summary>
    void Forward(ReadOnlySpan<float> inputs, int batchSize);

    /// <summary>
    /// <see cref="Forward(ReadOnlySpan{float}, int)"/> on sequences padded at the end, sample b having <c>lengths[b]</c> real
    /// steps (PyTorch's packed sequences): states stop at each last real step, outputs past it are zero, and Backward gives
    /// those steps no gradient. Empty <paramref name="lengths"/>: every sequence is full.
    /// </summary>
    void Forward(ReadOnlySpan<float> inputs, ReadOnlySpan<int> lengths, int batchSize);

    /// <summary>
    /// <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/>, in training when <paramref name="training"/> is true: the
    /// layers that drop values (<c>Dropout</c>, <c>RecurrentDropout</c>, <c>[Dropout]</c>) draw new masks, which the following
    /// Backward applies again. With false, or in a model that drops nothing, the bits of Predict.
    /// </summary>
    void Forward(ReadOnlySpan<float> inputs, ReadOnlySpan<int> lengths, int batchSize, bool training);

    /// <summary>
    /// <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{float}, int)"/> from <paramref name="initialStates"/>, with dropout when
    /// <paramref name="training"/>: what the Trainer runs.
    /// </summary>
    void Forward(ReadOnlySpan<float> inputs, ReadOnlySpan<int> lengths, ReadOnlySpan<float> initialStates, int batchSize, bool training);

    /// <summary>
    /// Restarts the source of the dropout masks at <paramref name="seed"/> (until then, the seed the model was made with): the
    /// training passes that follow draw the same masks for the same seed, the next one those of pass <paramref name="pass"/> (from 0).
    /// Nothing for a model that drops nothing.
    /// </summary>
    void ResetDropout(int seed, long pass = 0);

    /// <summary>Predicts sequences of <paramref name="lengths"/>, as <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/> runs them; any batch size.</summary>
    void Predict(ReadOnlySpan<float> inputs, ReadOnlySpan<int> lengths, Span<float> outputs, int batchSize);

    /// <summary>
    /// Predicts sequences (of <paramref name="lengths"/>; empty: all full) from the recurrent <paramref name="states"/>, then overwrites
    /// them with each sequence's states after its last real step, as <c>Step</c> does with its caller-owned states (same layout, see
    /// <see cref="StreamStateLength"/>); empty states: from zeros, none kept. Any batch size; safe from several threads at once.
    /// </summary>
    void Predict(ReadOnlySpan<float> inputs, ReadOnlySpan<int> lengths, Span<float> outputs, Span<float> states, int batchSize);

    /// <summary>Predicts whole sequences from the recurrent <paramref name="states"/> and overwrites them with the final ones.</summary>
    void Predict(ReadOnlySpan<float> inputs, Span<float> outputs, Span<float> states, int batchSize);

    /// <summary>
    /// <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/> from <paramref name="initialStates"/>, <c>batchSize * StreamStateLength</c>
    /// floats (empty: zeros). Then <see cref="FinalStates"/> holds each sequence's states after its last real step, and
    /// <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, int, bool, bool)"/> writes <see cref="InitialStateGradients"/>.
    /// </summary>
    void Forward(ReadOnlySpan<float> inputs, ReadOnlySpan<int> lengths, ReadOnlySpan<float> initialStates, int batchSize);

    /// <summary>Each sequence's recurrent states after its last real step in the last <see cref="Forward(ReadOnlySpan{float}, int)"/>, <c>batchSize * StreamStateLength</c> floats.</summary>
    ReadOnlySpan<float> FinalStates { get; }

    /// <summary>
    /// d loss / d the initial states of the last <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{float}, int)"/>, written by the
    /// Backward after it; empty when that Forward had no initial states.
    /// </summary>
    ReadOnlySpan<float> InitialStateGradients { get; }

    /// <summary>The outputs of the last <see cref="Forward(ReadOnlySpan{float}, int)"/>, <c>batchSize * OutputLength</c> floats.</summary>
    ReadOnlySpan<float> Outputs { get; }

    /// <summary>The lengths of the last <see cref="Forward(ReadOnlySpan{float}, int)"/>'s sequences (<see cref="Layers.SequenceLengths"/>); empty when every one was full.</summary>
    ReadOnlySpan<int> Lengths { get; }

    /// <summary>The final layer's pre-activation values of the last <see cref="Forward(ReadOnlySpan{float}, int)"/> (equal to <see cref="Outputs"/> for a linear output).</summary>
    ReadOnlySpan<float> Logits { get; }

    /// <summary>
    /// Backpropagation through time for the last <see cref="Forward(ReadOnlySpan{float}, int)"/>: adds d loss / d parameters into
    /// <see cref="Gradients"/> and, unless <paramref name="computeInputGradients"/> is false (training needs only
    /// the parameters' gradients, and the first layer's input product is then skipped), writes d loss / d inputs
    /// to <see cref="InputGradients"/>. <paramref name="outputGradients"/> is d loss / d outputs, or d loss /
    /// d <see cref="Logits"/> when <paramref name="withRespectToLogits"/> is true (fused losses such as softmax
    /// cross-entropy). Throws if no <see cref="Forward(ReadOnlySpan{float}, int)"/> came first.
    /// </summary>
    void Backward(ReadOnlySpan<float> outputGradients, int batchSize, bool withRespectToLogits = false, bool computeInputGradients = true);

    /// <summary>
    /// <see cref="Backward(ReadOnlySpan{float}, int, bool, bool)"/> with d loss / d <see cref="FinalStates"/> as well
    /// (<paramref name="finalStateGradients"/>, <c>batchSize * StreamStateLength</c> floats; empty: none), entering each sequence at its
    /// last real step; writes <see cref="InitialStateGradients"/> when the Forward had initial states.
    /// </summary>
    void Backward(ReadOnlySpan<float> outputGradients, ReadOnlySpan<float> finalStateGradients, int batchSize, bool withRespectToLogits = false, bool computeInputGradients = true);

    /// <summary>d loss / d inputs from the last <see cref="Backward(ReadOnlySpan{float}, int, bool, bool)"/> that computed them, <c>[B, T, F]</c>.</summary>
    ReadOnlySpan<float> InputGradients { get; }

    /// <summary>The model's layers in order: names, Keras classes, places in <see cref="Parameters"/>, which are recurrent and how much state each carries.</summary>
    ReadOnlySpan<Models.ModelLayer> Layers { get; }

    /// <summary>
    /// The total d loss / d h_t of recurrent layer <paramref name="layer"/> (an index into <see cref="Layers"/>) in the last
    /// Backward, for every step, <c>[B, T, OutputUnits]</c>: from above and through the later steps, the
    /// gradient whose norm vanishes or explodes along t (<see cref="Diagnostics.GradientFlowRecorder"/> reports it). Empty for a
    /// layer that is not recurrent and before the first Backward. The span is the model's buffer: the next Backward overwrites it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is not an index into <see cref="Layers"/>.</exception>
    ReadOnlySpan<float> HiddenStateGradients(int layer);

    /// <summary>Clears the streaming state of <see cref="Step(ReadOnlySpan{float}, Span{float})"/>.</summary>
    void ResetState();

    /// <summary>Streams one timestep <c>[F]</c> in; writes the model's output <c>[OutputUnits]</c> for the sequence so far.</summary>
    void Step(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// Floats of recurrent state of one sequence (what one stream carries between steps): every recurrent layer's, layer after layer
    /// (h, then c for an LSTM; both directions, forward first, for a bidirectional layer). States of B sequences hold each layer's
    /// states for all B in turn, <c>[B, its state length]</c>, as PyTorch's <c>h_n</c> is <c>[layers, B, H]</c>.
    /// </summary>
    int StreamStateLength { get; }

    /// <summary>Advances one stream whose state (<see cref="StreamStateLength"/> floats, zero to start) the caller owns.</summary>
    void Step(ReadOnlySpan<float> input, Span<float> output, Span<float> state);

    /// <summary>
    /// Advances <paramref name="streams"/> independent streams one timestep: inputs <c>[streams, F]</c>, outputs
    /// <c>[streams, OutputUnits]</c>, states in a caller-owned buffer of <c>streams * StreamStateLength</c> floats.
    /// </summary>
    void Step(ReadOnlySpan<float> inputs, Span<float> outputs, Span<float> states, int streams);

    /// <summary>
    /// The most threads (the caller's included) a Predict of more than <see cref="MaxBatchSize"/> sequences, or a Step of more
    /// streams, spreads its slices over; by default <see cref="Environment.ProcessorCount"/>. Every degree gives the same bits.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1.</exception>
    int MaxDegreeOfParallelism { get; set; }

    /// <summary>
    /// A model on this model's parameters (the same memory: an update through either shows in both) with gradients and
    /// training buffers of its own, so that training passes on the two may run on different threads at once. A
    /// <see cref="Trainer{TModel}"/> runs the shards of a batch in replicas.
    /// </summary>
    ISequenceModel CreateReplica();

    /// <summary>The Keras-style table of layers, output shapes and parameter counts.</summary>
    string Summary();

    /// <summary>The PyTorch state_dict name, shape and place in <see cref="Parameters"/> of every weight tensor.</summary>
    ReadOnlySpan<IO.StateDictEntry> StateDict { get; }

    /// <summary>
    /// Loads PyTorch-named weights from a safetensors file: every tensor of the model with finite values, and no other
    /// unless <paramref name="allowUnexpectedTensors"/> (NaN and infinity only if <paramref name="allowNonFinite"/>).
    /// On any error the model is left unchanged.
    /// </summary>
    void LoadWeights(string path, bool allowUnexpectedTensors = false, bool allowNonFinite = false);

    /// <summary>Saves PyTorch-named weights to a safetensors file, atomically.</summary>
    void SaveWeights(string path);
}
