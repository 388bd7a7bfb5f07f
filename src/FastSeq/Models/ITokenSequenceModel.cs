namespace FastSeq;

/// <summary>
/// A generated model whose first layer is an <see cref="EmbeddingAttribute"/>: it reads token ids <c>[B, T]</c>. Its float
/// overloads take the same ids held as floats (a <see cref="SequenceDataset"/> of ids), each a whole number in range.
/// </summary>
public interface ITokenSequenceModel : ISequenceModel
{
    /// <summary>The vocabulary: ids run from 0 to <c>VocabularySize - 1</c>.</summary>
    int VocabularySize { get; }

    /// <summary>
    /// Runs any number of token sequences <c>[B, T]</c> through the model. An id outside <c>[0, VocabularySize)</c> is an
    /// <see cref="ArgumentOutOfRangeException"/> naming its sample, step and value, before anything is computed.
    /// </summary>
    void Predict(ReadOnlySpan<int> tokens, Span<float> outputs, int batchSize = 1);

    /// <summary>The training forward pass on token sequences; a bad id throws before anything changes.</summary>
    void Forward(ReadOnlySpan<int> tokens, int batchSize);

    /// <summary>The training forward pass on token sequences from <paramref name="initialStates"/> (empty: zeros).</summary>
    void Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<float> initialStates, int batchSize);

    /// <summary>Predicts token sequences from the recurrent <paramref name="states"/> and overwrites them with the final ones.</summary>
    void Predict(ReadOnlySpan<int> tokens, Span<float> outputs, Span<float> states, int batchSize);

    /// <summary>Advances <paramref name="streams"/> streams by one token each, their states caller-owned.</summary>
    void Step(ReadOnlySpan<int> tokens, Span<float> outputs, Span<float> states, int streams);
}
