using FastSeq.IO;
using FastSeq.Layers;

namespace FastSeq.Tests.IO;

public class StateDictTests
{
    /// <summary>A model's entries are shared by all its instances and drive its loads and saves: no caller may change a shape.</summary>
    [Fact]
    public void An_entry_keeps_a_read_only_copy_of_its_shape()
    {
        int[] shape = [5, 3];
        var entry = new StateDictEntry("rnn.weight_ih_l0", 0, shape, TensorLayout.Transposed2D);
        shape[0] = 7;
        Assert.Equal([5, 3], entry.Shape);
        Assert.Throws<NotSupportedException>(() => ((IList<int>)entry.Shape)[0] = 7);

        var model = new FastSeq.Tests.Models.SineForecaster();
        Assert.Throws<NotSupportedException>(() => ((IList<int>)model.StateDict[0].Shape)[0] = 7);
        Assert.Equal([32, 1], model.StateDict[0].Shape);
    }

    [Fact]
    public void SimpleRnn_maps_both_biases_to_one_stored_bias()
    {
        StateDictEntry[] entries = StateDict.Of(LayerCatalog.SimpleRnn, "rnn", 10, 3, 5);

        Assert.Equal(
        [
            ("rnn.weight_ih_l0", 10, "5,3", TensorLayout.Transposed2D),
            ("rnn.weight_hh_l0", 25, "5,5", TensorLayout.Transposed2D),
            ("rnn.bias_ih_l0", 50, "5", TensorLayout.SummedBiasInput),
            ("rnn.bias_hh_l0", 50, "5", TensorLayout.SummedBiasRecurrent),
        ], Describe(entries));
    }

    [Fact]
    public void Lstm_has_four_gates()
    {
        StateDictEntry[] entries = StateDict.Of(LayerCatalog.Lstm, "enc", 7, 3, 5);

        Assert.Equal(
        [
            ("enc.weight_ih_l0", 7, "20,3", TensorLayout.Transposed2D),
            ("enc.weight_hh_l0", 67, "20,5", TensorLayout.Transposed2D),
            ("enc.bias_ih_l0", 167, "20", TensorLayout.SummedBiasInput),
            ("enc.bias_hh_l0", 167, "20", TensorLayout.SummedBiasRecurrent),
        ], Describe(entries));
    }

    [Fact]
    public void Gru_keeps_its_biases_apart()
    {
        StateDictEntry[] entries = StateDict.Of(LayerCatalog.Gru, "gru", 10, 3, 5);

        Assert.Equal(
        [
            ("gru.weight_ih_l0", 10, "15,3", TensorLayout.Transposed2D),
            ("gru.weight_hh_l0", 55, "15,5", TensorLayout.Transposed2D),
            ("gru.bias_ih_l0", 130, "15", TensorLayout.Vector),
            ("gru.bias_hh_l0", 145, "15", TensorLayout.Vector),
        ], Describe(entries));
    }

    [Fact]
    public void Dense_is_a_transposed_weight_and_a_bias()
    {
        StateDictEntry[] entries = StateDict.Of(LayerCatalog.Dense, "head", 4, 32, 3);

        Assert.Equal(
        [
            ("head.weight", 4, "3,32", TensorLayout.Transposed2D),
            ("head.bias", 100, "3", TensorLayout.Vector),
        ], Describe(entries));
        Assert.Equal(96, entries[0].Length);
    }

    [Fact]
    public void Bad_sizes_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StateDict.Of(LayerCatalog.Lstm, "l", -1, 3, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => StateDict.Of(LayerCatalog.Gru, "g", 0, 0, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => StateDict.Of(LayerCatalog.Dense, "d", 0, 3, 0));
        Assert.Throws<ArgumentException>(() => StateDict.Of(LayerCatalog.SimpleRnn, "", 0, 3, 5));
    }

    private static (string, int, string, TensorLayout)[] Describe(StateDictEntry[] entries) =>
        [.. entries.Select(e => (e.Name, e.Offset, string.Join(",", e.Shape), e.Layout))];
}
