// Compiled into the runtime and, linked, into the generator (FASTSEQ_GENERATOR), so both read one definition.
using System.Runtime.CompilerServices;
#if FASTSEQ_GENERATOR
using System.Collections.Generic;
using System.Linq;

namespace FastSeq.Generators.Catalog;
#else
using FastSeq.IO;

namespace FastSeq.Layers;
#endif

/// <summary>The layer kinds FastSeq knows; each has one <see cref="LayerKindInfo"/> in <see cref="LayerCatalog"/>.</summary>
internal enum LayerKind
{
    SimpleRnn,
    Lstm,
    Gru,
    Dense,
    Embedding,
    Dropout,
}

/// <summary>One tensor of a layer in a PyTorch <c>state_dict</c>: its full name, its shape in the file, and where and how it sits in the layer's parameters.</summary>
internal sealed class LayerTensor(string name, int[] shape, int offset, TensorLayout layout)
{
    /// <summary>The PyTorch name, <c>&lt;layer&gt;.&lt;suffix&gt;</c>.</summary>
    public string Name { get; } = name;

    /// <summary>The shape in the file.</summary>
    public int[] Shape { get; } = shape;

    /// <summary>Floats from the start of the layer's parameters.</summary>
    public int Offset { get; } = offset;

    public TensorLayout Layout { get; } = layout;
}

/// <summary>
/// What defines a layer kind, outside its math: how it is declared, named and counted, how its parameters are laid
/// out and named in PyTorch, and how much state a stream carries. The generator reads it to parse and emit a model;
/// the runtime reads it for parameter counts. The math is the runtime type named by <see cref="RuntimeType"/>, an
/// <c>ISequenceLayer</c>.
/// </summary>
internal sealed class LayerKindInfo(
    LayerKind kind,
    string attributeName,
    string nameStem,
    string kerasClass,
    string runtimeType,
    int gates,
    int biasVectors,
    int stateVectors,
    Activation defaultActivation,
    Activation[] activations,
    bool takesTokens = false,
    bool dropsOut = false)
{
    public LayerKind Kind { get; } = kind;

    /// <summary>The attribute that declares it: <c>FastSeq.LstmAttribute</c>.</summary>
    public string AttributeName { get; } = attributeName;

    /// <summary>Keras' default name stem: <c>lstm</c>, then <c>lstm_1</c>, ...</summary>
    public string NameStem { get; } = nameStem;

    /// <summary>The Keras class, as the summary shows it.</summary>
    public string KerasClass { get; } = kerasClass;

    /// <summary>The runtime type that implements <c>ISequenceLayer</c> for it.</summary>
    public string RuntimeType { get; } = runtimeType;

    /// <summary>Gates per unit of a recurrent kind (1 SimpleRNN, 4 LSTM i f g o, 3 GRU r z n); 0 for a layer without recurrence.</summary>
    public int Gates { get; } = gates;

    /// <summary>Bias vectors of <c>G*H</c> kept: 1 (PyTorch's two summed, as Keras keeps one), 2 (GRU keeps both), or 0 (an embedding).</summary>
    public int BiasVectors { get; } = biasVectors;

    /// <summary>Vectors of H that one stream carries between steps: h (1), h and c (2), none (0).</summary>
    public int StateVectors { get; } = stateVectors;

    /// <summary>
    /// Whether it reads token ids rather than floats (an embedding): it can only be the first layer, a model that starts
    /// with it takes <c>[B, T]</c> ids, and its parameters are one table <c>[I, U]</c>, I the vocabulary and U the dimension.
    /// </summary>
    public bool TakesTokens { get; } = takesTokens;

    /// <summary>
    /// Whether it is a <c>Dropout</c> layer: no parameters and no units of its own (its output is its input, as wide),
    /// masking values in training only. Its <see cref="RuntimeType"/> is <c>DropoutMask</c>, which the model calls directly
    /// rather than through <c>ISequenceLayer</c>.
    /// </summary>
    public bool DropsOut { get; } = dropsOut;

    /// <summary>Whether it reads sequences step by step (and so outputs a sequence only when asked to).</summary>
    public bool IsRecurrent => Gates > 0;

    /// <summary>The activation used when the declaration names none.</summary>
    public Activation DefaultActivation { get; } = defaultActivation;

    /// <summary>The activations a declaration may name; a kind with fixed equations has only its default.</summary>
    public IReadOnlyList<Activation> Activations { get; } = activations;

    /// <summary>
    /// Keras' parameter count, which is also the length of the layer's slice of the flat buffer (64-bit: declared sizes can
    /// overflow int); twice the one direction's for a bidirectional layer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ParameterCount(long inputs, long units, bool bidirectional = false) => DropsOut ? 0 : (bidirectional ? 2 : 1) * (IsRecurrent
        ? Gates * ((inputs * units) + (units * units) + (BiasVectors * units))
        : (inputs * units) + (BiasVectors * units));

    /// <summary>
    /// The layer's tensors in a PyTorch <c>state_dict</c>, in the order the file lists them. The flat layout is Keras':
    /// kernel <c>[I, G*H]</c>, recurrent kernel <c>[H, G*H]</c>, then the bias (<c>[G*H]</c>, or <c>[2, G*H]</c> for two);
    /// a Dense layer has kernel <c>[I, U]</c> and bias <c>[U]</c>. A bidirectional layer's backward direction follows with
    /// the same tensors, named with PyTorch's <c>_reverse</c>.
    /// </summary>
    public IReadOnlyList<LayerTensor> Tensors(string name, int inputs, int units, bool bidirectional = false)
    {
        IReadOnlyList<LayerTensor> forward = OneDirection(name, inputs, units);
        if (!bidirectional)
            return forward;
        int reverse = (int)ParameterCount(inputs, units);
        return [.. forward, .. forward.Select(t => new LayerTensor(t.Name + "_reverse", t.Shape, reverse + t.Offset, t.Layout))];
    }

    private IReadOnlyList<LayerTensor> OneDirection(string name, int inputs, int units)
    {
        if (DropsOut)
            return [];
        if (TakesTokens)
            return [new LayerTensor(name + ".weight", [inputs, units], 0, TensorLayout.Table)];
        if (!IsRecurrent)
        {
            return
            [
                new LayerTensor(name + ".weight", [units, inputs], 0, TensorLayout.Transposed2D),
                new LayerTensor(name + ".bias", [units], inputs * units, TensorLayout.Vector),
            ];
        }
        int gh = Gates * units;
        int recurrentKernel = inputs * gh;
        int bias = recurrentKernel + (units * gh);
        // One kept bias takes both PyTorch biases (summed on load); two are kept apart.
        bool separate = BiasVectors == 2;
        return
        [
            new LayerTensor(name + ".weight_ih_l0", [gh, inputs], 0, TensorLayout.Transposed2D),
            new LayerTensor(name + ".weight_hh_l0", [gh, units], recurrentKernel, TensorLayout.Transposed2D),
            new LayerTensor(name + ".bias_ih_l0", [gh], bias, separate ? TensorLayout.Vector : TensorLayout.SummedBiasInput),
            new LayerTensor(name + ".bias_hh_l0", [gh], separate ? bias + gh : bias, separate ? TensorLayout.Vector : TensorLayout.SummedBiasRecurrent),
        ];
    }
}

/// <summary>Every layer kind, written once. Adding a kind starts here (docs/adding-a-layer.md).</summary>
internal static class LayerCatalog
{
    public static readonly LayerKindInfo SimpleRnn = new(LayerKind.SimpleRnn, "FastSeq.SimpleRnnAttribute", "simple_rnn", "SimpleRNN", "SimpleRnnLayer",
        gates: 1, biasVectors: 1, stateVectors: 1, Activation.Tanh, [Activation.Tanh, Activation.Relu]);

    public static readonly LayerKindInfo Lstm = new(LayerKind.Lstm, "FastSeq.LstmAttribute", "lstm", "LSTM", "LstmLayer",
        gates: 4, biasVectors: 1, stateVectors: 2, Activation.Tanh, [Activation.Tanh]);

    public static readonly LayerKindInfo Gru = new(LayerKind.Gru, "FastSeq.GruAttribute", "gru", "GRU", "GruLayer",
        gates: 3, biasVectors: 2, stateVectors: 1, Activation.Tanh, [Activation.Tanh]);

    public static readonly LayerKindInfo Dense = new(LayerKind.Dense, "FastSeq.DenseAttribute", "dense", "Dense", "DenseLayer",
        gates: 0, biasVectors: 1, stateVectors: 0, Activation.Linear,
        [Activation.Linear, Activation.Tanh, Activation.Sigmoid, Activation.Relu, Activation.Softmax]);

    public static readonly LayerKindInfo Embedding = new(LayerKind.Embedding, "FastSeq.EmbeddingAttribute", "embedding", "Embedding", "EmbeddingLayer",
        gates: 0, biasVectors: 0, stateVectors: 0, Activation.Linear, [Activation.Linear], takesTokens: true);

    public static readonly LayerKindInfo Dropout = new(LayerKind.Dropout, "FastSeq.DropoutAttribute", "dropout", "Dropout", "DropoutMask",
        gates: 0, biasVectors: 0, stateVectors: 0, Activation.Linear, [Activation.Linear], dropsOut: true);

    /// <summary>All kinds, in <see cref="LayerKind"/> order.</summary>
    public static readonly IReadOnlyList<LayerKindInfo> All = [SimpleRnn, Lstm, Gru, Dense, Embedding, Dropout];

    public static LayerKindInfo Of(LayerKind kind) => All[(int)kind];

    /// <summary>The kind an attribute declares, by the attribute's full name; null for any other attribute.</summary>
    public static LayerKindInfo? ForAttribute(string? attributeName)
    {
        foreach (LayerKindInfo info in All)
        {
            if (info.AttributeName == attributeName)
                return info;
        }
        return null;
    }
}
