using FastSeq.Generators.Helpers;
using FastSeq.Generators.Model;

namespace FastSeq.Generators.Emitting;

/// <summary>
/// Writes an Embedding, the one kind whose input is token ids rather than floats: the first layer of a token model. It
/// keeps no cache, state or scratch, and its Backward adds into the table's rows with no input gradient.
/// </summary>
internal sealed class EmbeddingEmitter(ModelSpec model, LayerSpec layer, bool isLast) : LayerEmitter(model, layer, isFirst: true, isLast)
{
    public override string Heading => $"// {SourceWriter.CommentText(Layer.Name)} (Embedding): [B, T] token ids < {N(Layer.Inputs)} -> [B, T, {Units}]";

    public override void WriteActivationFields(SourceWriter w)
    {
        w.Line(Heading);
        Field(w, $"{Id}Output", OutputSize("MaxBatchSize"));
    }

    public override void WriteStepFields(SourceWriter w)
    {
        w.Line(Heading);
        Field(w, $"{Id}Output", $"MaxBatchSize * {Units}");
    }

    public override string WorkspaceLength => "0";

    public override string Logits(string a, string batch) => VisibleOutput(a, batch);

    public override void WriteForward(SourceWriter w, string x)
    {
        w.Line(Heading);
        w.Line($"global::FastSeq.Layers.LayerShape {Local}Shape = {Shape("batchSize")};");
        WriteOutputViews(w);
        w.Line($"{Runtime}.Forward({x}, {Parameters("parameters")}, {Local}Shape, {Local}Output);");
    }

    /// <summary>Token ids have no gradient: <paramref name="dx"/> is not written.</summary>
    public override void WriteBackward(SourceWriter w, string x, string dx)
    {
        w.Line(Heading);
        w.Line($"global::FastSeq.Layers.LayerShape {Local}Shape = {Shape("batchSize")};");
        w.Line($"{Runtime}.Backward({x}, {Local}Shape, d{Id}Output, {Parameters("gradients")});");
    }

    public override string WriteStep(SourceWriter w, string x)
    {
        string output = $"s.{Id}Output.AsSpan(0, count * {Units})";
        w.Line(Heading);
        w.Line($"{Runtime}.Forward({x}, {Parameters("parameters")}, new(count, 1, {N(Layer.Inputs)}, {Units}), {output});");
        return output;
    }
}
