namespace FastSeq;

/// <summary>A fully connected recurrent layer: <c>h_t = act(W_ih x_t + W_hh h_(t-1) + b)</c>. Keras <c>SimpleRNN</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SimpleRnnAttribute(int units) : Attribute
{
    /// <summary>Size of the hidden state (H).</summary>
    public int Units { get; } = units;

    /// <summary>Output every timestep <c>[B, T, H]</c> rather than the last one <c>[B, H]</c>.</summary>
    public bool ReturnSequences { get; set; }

    /// <summary><see cref="Activation.Tanh"/> (default) or <see cref="Activation.Relu"/>.</summary>
    public Activation Activation { get; set; } = Activation.Tanh;

    /// <summary>
    /// Read each sequence in both directions and concatenate the outputs, <c>[forward | backward]</c>, 2 × units wide
    /// (Keras <c>Bidirectional(..., merge_mode="concat")</c>, PyTorch <c>bidirectional=True</c>). Such a model cannot stream.
    /// </summary>
    public bool Bidirectional { get; set; }

    /// <summary>
    /// Fraction of the inputs x_t dropped in training (Keras <c>dropout</c>), in [0, 1): one mask per sample for every step,
    /// kept values scaled by <c>1 / (1 - rate)</c>. Inference is unaffected.
    /// </summary>
    public float Dropout { get; set; }

    /// <summary>
    /// Fraction of the recurrent state h_{t-1} dropped where it enters the recurrent product in training (Keras
    /// <c>recurrent_dropout</c>), in [0, 1): one mask per sample for every step, shared by the gates. Inference is unaffected.
    /// </summary>
    public float RecurrentDropout { get; set; }

    /// <summary>Layer name used in the summary and the weight file; Keras default names when null.</summary>
    public string? Name { get; set; }
}

/// <summary>Long short-term memory layer, PyTorch gate order i, f, g, o and one bias. Keras <c>LSTM</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LstmAttribute(int units) : Attribute
{
    /// <summary>Size of the hidden and cell state (H).</summary>
    public int Units { get; } = units;

    /// <summary>Output every timestep <c>[B, T, H]</c> rather than the last one <c>[B, H]</c>.</summary>
    public bool ReturnSequences { get; set; }

    /// <summary>
    /// Read each sequence in both directions and concatenate the outputs, <c>[forward | backward]</c>, 2 × units wide
    /// (Keras <c>Bidirectional(..., merge_mode="concat")</c>, PyTorch <c>bidirectional=True</c>). Such a model cannot stream.
    /// </summary>
    public bool Bidirectional { get; set; }

    /// <summary>
    /// Fraction of the inputs x_t dropped in training (Keras <c>dropout</c>), in [0, 1): one mask per sample for every step,
    /// kept values scaled by <c>1 / (1 - rate)</c>. Inference is unaffected.
    /// </summary>
    public float Dropout { get; set; }

    /// <summary>
    /// Fraction of the recurrent state h_{t-1} dropped where it enters the recurrent product in training (Keras
    /// <c>recurrent_dropout</c>), in [0, 1): one mask per sample for every step, shared by the gates. Inference is unaffected.
    /// </summary>
    public float RecurrentDropout { get; set; }

    /// <summary>Layer name used in the summary and the weight file; Keras default names when null.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// Gated recurrent unit, PyTorch gate order r, z, n with two biases:
/// <c>n = tanh(W_in x + b_in + r * (W_hn h + b_hn))</c>. Keras <c>GRU(reset_after=True)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GruAttribute(int units) : Attribute
{
    /// <summary>Size of the hidden state (H).</summary>
    public int Units { get; } = units;

    /// <summary>Output every timestep <c>[B, T, H]</c> rather than the last one <c>[B, H]</c>.</summary>
    public bool ReturnSequences { get; set; }

    /// <summary>
    /// Read each sequence in both directions and concatenate the outputs, <c>[forward | backward]</c>, 2 × units wide
    /// (Keras <c>Bidirectional(..., merge_mode="concat")</c>, PyTorch <c>bidirectional=True</c>). Such a model cannot stream.
    /// </summary>
    public bool Bidirectional { get; set; }

    /// <summary>
    /// Fraction of the inputs x_t dropped in training (Keras <c>dropout</c>), in [0, 1): one mask per sample for every step,
    /// kept values scaled by <c>1 / (1 - rate)</c>. Inference is unaffected.
    /// </summary>
    public float Dropout { get; set; }

    /// <summary>
    /// Fraction of the recurrent state h_{t-1} dropped where it enters the recurrent product in training (Keras
    /// <c>recurrent_dropout</c>), in [0, 1): one mask per sample for every step, shared by the gates. Inference is unaffected.
    /// </summary>
    public float RecurrentDropout { get; set; }

    /// <summary>Layer name used in the summary and the weight file; Keras default names when null.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// A fully connected layer <c>y = act(W x + b)</c>. After a layer that returns sequences it
/// applies to every timestep (Keras <c>TimeDistributed</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute(int units) : Attribute
{
    /// <summary>Number of outputs (U).</summary>
    public int Units { get; } = units;

    /// <summary>Activation applied to the output; linear by default.</summary>
    public Activation Activation { get; set; } = Activation.Linear;

    /// <summary>Layer name used in the summary and the weight file; Keras default names when null.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// Token ids to dense vectors, <c>output[b, t] = W[tokens[b, t]]</c>, <c>W [inputDim, outputDim]</c> (Keras
/// <c>Embedding(input_dim, output_dim)</c>, PyTorch <c>nn.Embedding</c>). Only as the first layer: the model then takes
/// token ids <c>[B, T]</c> and is declared without <c>Features</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class EmbeddingAttribute(int inputDim, int outputDim) : Attribute
{
    /// <summary>The vocabulary: token ids run from 0 to <c>InputDim - 1</c>.</summary>
    public int InputDim { get; } = inputDim;

    /// <summary>The length of each token's vector.</summary>
    public int OutputDim { get; } = outputDim;

    /// <summary>
    /// Id 0 is padding at the end of a sequence (Keras <c>mask_zero</c>): a sequence's length is the count of ids before its
    /// trailing zeros, and the model runs it as one of that length (a 0 followed by another id is an error). Such a
    /// model's streams take no 0.
    /// </summary>
    public bool MaskZero { get; set; }

    /// <summary>Layer name used in the summary and the weight file; Keras default names when null.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// Drops a fraction of its inputs in training (Keras <c>Dropout(rate)</c>, PyTorch <c>nn.Dropout</c>): each value
/// independently, at every step, kept values scaled by <c>1 / (1 - rate)</c>. No parameters; in inference it passes its
/// input on unchanged.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute(float rate) : Attribute
{
    /// <summary>Fraction of the values dropped, in [0, 1).</summary>
    public float Rate { get; } = rate;

    /// <summary>Layer name used in the summary; Keras default names when null.</summary>
    public string? Name { get; set; }
}
