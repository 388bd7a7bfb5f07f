using FastSeq.Generators.Helpers;
using FastSeq.Generators.Model;

namespace FastSeq.Generators.Emitting;

/// <summary>
/// Writes a <c>Dropout</c> layer (Keras <c>Dropout(rate)</c>): no parameters, cache or state; in a training pass its output is
/// its input times a mask drawn for every element, in inference a copy of it, and a stream passes its input straight on.
/// </summary>
internal sealed class DropoutEmitter(ModelSpec model, LayerSpec layer, bool isFirst, bool isLast) : LayerEmitter(model, layer, isFirst, isLast)
{
    /// <summary>None: it has no parameters, and its calls take no shape.</summary>
    public override void WriteConstants(SourceWriter w)
    {
    }

    public override void WriteActivationFields(SourceWriter w)
    {
        w.Line(Heading);
        Field(w, $"{Id}Output", OutputSize("MaxBatchSize"));
    }

    public override void WriteStepFields(SourceWriter w) => w.Line(Heading + ", its input passed on");

    public override string WorkspaceLength => "0";

    public override string Logits(string a, string batch) => VisibleOutput(a, batch);

    public override void WriteMaskFields(SourceWriter w)
    {
        if (Layer.Dropout == 0f)
            return;
        w.Line(Heading);
        Field(w, $"{Id}Mask", OutputSize("MaxBatchSize"));
    }

    public override int WriteDraw(SourceWriter w, int mask)
    {
        if (Layer.Dropout > 0f)
            WriteFill(w, Layer.Dropout, mask++, $"{Id}Mask", OutputSize("batchSize"));
        return mask;
    }

    public override void WriteForward(SourceWriter w, string x)
    {
        w.Line(Heading);
        WriteOutputViews(w);
        w.Line($"global::FastSeq.Layers.DropoutMask.Forward({x}, {Mask}, {Local}Output);");
    }

    public override void WriteBackward(SourceWriter w, string x, string dx)
    {
        w.Line(Heading);
        w.Line($"global::FastSeq.Layers.DropoutMask.Backward(d{Id}Output, {Mask}, {dx});");
    }

    /// <summary>A stream's step passes its input on, into the caller's outputs when it is the last layer.</summary>
    public override string WriteStep(SourceWriter w, string x)
    {
        if (!StepWritesCallerOutputs)
            return x;
        string output = "outputs.Slice(first * OutputUnits, count * OutputUnits)";
        w.Line(Heading);
        w.Line($"{x}.CopyTo({output});");
        return output;
    }

    /// <summary>One stream's step passes its input on as it is.</summary>
    public override string WriteStreamStep(SourceWriter w, string x, int stateOffset) => x;

    /// <summary>None: it has no parameters.</summary>
    public override void WriteInitialize(SourceWriter w)
    {
    }

    /// <summary>Its mask for a batch: empty unless a training pass drew one.</summary>
    private string Mask => Layer.Dropout > 0f ? $"masks is null ? default : masks.{Id}Mask.AsSpan(0, {OutputSize("batchSize")})" : "default";
}
