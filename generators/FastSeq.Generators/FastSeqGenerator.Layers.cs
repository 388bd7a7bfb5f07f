using FastSeq.Generators.Emitting;
using FastSeq.Generators.Helpers;
using FastSeq.Generators.Model;

namespace FastSeq.Generators;

public sealed partial class FastSeqGenerator
{
    /// <summary>
    /// The model's list of layers and, for each recurrent one, the total d loss / d h_t its Backward leaves in its
    /// output gradient: what a gradient-flow report reads after Backward. Nothing is computed here; the runtime reduces it.
    /// </summary>
    private static void EmitLayers(SourceWriter w, ModelSpec model, LayerEmitter[] layers)
    {
        w.Line("private static readonly global::FastSeq.Models.ModelLayer[] s_layers =");
        w.Line("[");
        foreach (LayerEmitter layer in layers)
            w.Line("    " + layer.LayerRow());
        w.Line("];");
        w.Line();
        w.Line("/// <summary>The model's layers in order: names, Keras classes, places in <see cref=\"Parameters\"/>, which are recurrent and how much state each carries.</summary>");
        w.Line("public global::System.ReadOnlySpan<global::FastSeq.Models.ModelLayer> Layers => s_layers;");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The total d loss / d h_t of recurrent layer <paramref name=\"layer\"/> in the last Backward, every step,");
        w.Line("/// <c>[B, T, OutputUnits]</c>; empty for a layer that is not recurrent and before the first Backward. The next Backward overwrites it.");
        w.Line("/// </summary>");
        w.Open("public global::System.ReadOnlySpan<float> HiddenStateGradients(int layer)");
        w.Line("if ((uint)layer >= (uint)s_layers.Length)");
        w.Line($"    throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, {SourceWriter.Literal($"{model.TypeName} has {N(layers.Length)} layers, numbered from 0.")});");
        w.Line("if (_training is not { BackwardBatchSize: > 0 } t)");
        w.Line("    return default;");
        w.Line("return layer switch");
        w.Line("{");
        for (int i = 0; i < layers.Length; i++)
        {
            if (layers[i].HiddenStateGradients("t", "t.BackwardBatchSize") is { } gradients)
                w.Line($"    {N(i)} => {gradients},");
        }
        w.Line("    _ => default,");
        w.Line("};");
        w.Close();
        w.Line();
    }
}
