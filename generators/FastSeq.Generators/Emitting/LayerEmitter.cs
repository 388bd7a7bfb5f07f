using FastSeq.Generators.Catalog;
using FastSeq.Generators.Helpers;
using FastSeq.Generators.Model;

namespace FastSeq.Generators.Emitting;

/// <summary>
/// Writes one layer's part of a generated model against the runtime's layer contract (<c>ISequenceLayer</c>): its
/// constants and buffers, and one call per pass (forward, backward, step), forward and backward side by side. Every
/// kind that fulfils the contract is written by this class, with what differs taken from the layer catalogue; a kind
/// with another contract derives from it.
/// </summary>
internal class LayerEmitter(ModelSpec model, LayerSpec layer, bool isFirst, bool isLast)
{
    protected ModelSpec Model { get; } = model;
    protected LayerSpec Layer { get; } = layer;
    protected bool IsFirst { get; } = isFirst;
    protected bool IsLast { get; } = isLast;

    /// <summary>The PascalCase part of this layer's member names.</summary>
    public string Id => Layer.Identifier;

    /// <summary>The same in camelCase, for locals.</summary>
    protected string Local => char.ToLowerInvariant(Id[0]) + Id.Substring(1);

    /// <summary>Floats of state one sequence of it carries.</summary>
    public int StateLength => Layer.StateLength;

    /// <summary>Floats of one sequence's state in the layers before it: its states sit at this many times the sequences.</summary>
    private int StateOffset => System.Linq.Enumerable.Sum(System.Linq.Enumerable.TakeWhile(Model.Layers, layer => layer != Layer), layer => layer.StateLength);

    /// <summary>Whether it takes initial states and gives final ones (<c>IRecurrentLayer</c>).</summary>
    private bool HasState => Layer.Info.IsRecurrent;

    /// <summary>The runtime type of its contract; a bidirectional layer wraps its kind's.</summary>
    protected string Runtime => Layer.Bidirectional
        ? $"global::FastSeq.Layers.BidirectionalLayer<global::FastSeq.Layers.{Layer.Info.RuntimeType}>"
        : "global::FastSeq.Layers." + Layer.Info.RuntimeType;

    /// <summary>Whether the output keeps a time axis only inside the layer: a recurrent layer that passes on its last step.</summary>
    protected bool PassesLastStep => Layer.Info.IsRecurrent && !Layer.ReturnSequences;

    /// <summary>Timesteps the layer's call works on: T, or 1 for a layer after one that passed on its last step.</summary>
    protected string CallTimesteps => Layer.Info.IsRecurrent || Layer.InputHasTimeAxis ? "Timesteps" : "1";

    protected static string N(int value) => SourceWriter.Number(value);

    protected string Units => N(Layer.Units);

    /// <summary>The width of its output (twice the units for a bidirectional layer).</summary>
    protected string OutputUnits => N(Layer.OutputUnits);

    /// <summary>Floats of the layer's full output for <paramref name="batch"/> samples.</summary>
    protected string OutputSize(string batch) => CallTimesteps == "1" ? $"{batch} * {OutputUnits}" : $"{batch} * Timesteps * {OutputUnits}";

    /// <summary>The shape of its call for a batch (a static method of the model), e.g. <c>LstmShape(batchSize)</c>.</summary>
    protected string Shape(string batch) => $"{Id}Shape({batch})";

    protected string Parameters(string buffer) => $"{buffer}.Slice({Id}Offset, {Id}Length)";

    /// <summary>The activation argument: the declared one, or the cell's fixed one.</summary>
    protected string ActivationArgument => "global::FastSeq.Activation." + Layer.Activation;

    /// <summary>The heading comment: name, Keras class and shapes.</summary>
    public virtual string Heading
    {
        get
        {
            string input = Layer.InputHasTimeAxis ? $"[B, T, {N(Layer.Inputs)}]" : $"[B, {N(Layer.Inputs)}]";
            string output = Layer.OutputHasTimeAxis ? $"[B, T, {OutputUnits}]" : $"[B, {OutputUnits}]";
            return $"// {SourceWriter.CommentText(Layer.Name)} ({KerasClass}): {input} -> {output}";
        }
    }

    /// <summary>Its class in a Keras summary: Keras wraps a layer that reads both directions in <c>Bidirectional</c>.</summary>
    private string KerasClass => Layer.Bidirectional ? $"Bidirectional({Layer.Info.KerasClass})" : Layer.Info.KerasClass;

    /// <summary>Where its parameters sit, and the shape of its call.</summary>
    public virtual void WriteConstants(SourceWriter w)
    {
        w.Line($"private const int {Id}Offset = {N(Layer.ParameterOffset)}, {Id}Length = {N(Layer.ParameterCount)};");
        w.Line($"private static global::FastSeq.Layers.LayerShape {Id}Shape(int batch) => new(batch, {CallTimesteps}, {N(Layer.Inputs)}, {Units});");
    }

    /// <summary>Its fields in the forward activations: what it keeps for Backward, its output, and its last step if it passes that on.</summary>
    public virtual void WriteActivationFields(SourceWriter w)
    {
        w.Line(Heading);
        Field(w, $"{Id}Cache", $"{Runtime}.CacheLength({Shape("MaxBatchSize")})");
        Field(w, $"{Id}Output", OutputSize("MaxBatchSize"));
        if (PassesLastStep)
            Field(w, $"{Id}Last", $"MaxBatchSize * {OutputUnits}");
    }

    /// <summary>Its fields in the training buffers: the gradients of its output.</summary>
    public virtual void WriteGradientFields(SourceWriter w)
    {
        Field(w, $"{Id}OutputGradient", OutputSize("MaxBatchSize"));
        if (PassesLastStep)
            Field(w, $"{Id}LastGradient", $"MaxBatchSize * {OutputUnits}");
    }

    /// <summary>Its fields in the step buffers: its scratch, and its output unless it writes the caller's.</summary>
    public virtual void WriteStepFields(SourceWriter w)
    {
        w.Line(Heading);
        Field(w, $"{Id}Scratch", $"MaxBatchSize * {Runtime}.StepScratchLength({N(Layer.Inputs)}, {Units})");
        if (!StepWritesCallerOutputs)
            Field(w, $"{Id}Output", $"MaxBatchSize * {Units}");
    }

    /// <summary>Floats of Backward scratch it needs for MaxBatchSize rows.</summary>
    public virtual string WorkspaceLength => $"{Runtime}.WorkspaceLength({Shape("MaxBatchSize")})";

    /// <summary>The span the next layer reads, in activations <paramref name="a"/>.</summary>
    public string VisibleOutput(string a, string batch) =>
        PassesLastStep ? $"{a}.{Id}Last.AsSpan(0, {batch} * {OutputUnits})" : $"{a}.{Id}Output.AsSpan(0, {OutputSize(batch)})";

    /// <summary>The final layer's pre-activations: a Dense layer keeps them as its cache; any other layer's are its outputs.</summary>
    public virtual string Logits(string a, string batch) =>
        Layer.Info.IsRecurrent ? VisibleOutput(a, batch) : $"{a}.{Id}Cache.AsSpan(0, {OutputSize(batch)})";

    /// <summary>The local that holds the span the next layer reads, in Forward and Backward.</summary>
    public string OutputLocal => PassesLastStep ? Local + "Last" : Local + "Output";

    /// <summary>The local that holds the gradient of <see cref="OutputLocal"/>, in Backward.</summary>
    public string OutputGradientLocal => PassesLastStep ? $"d{Id}Last" : $"d{Id}Output";

    /// <summary>Declares its outputs for a batch, in activations <c>a</c>, as locals.</summary>
    public void WriteOutputViews(SourceWriter w)
    {
        w.Line($"global::System.Span<float> {Local}Output = a.{Id}Output.AsSpan(0, {OutputSize("batchSize")});");
        if (PassesLastStep)
            w.Line($"global::System.Span<float> {Local}Last = a.{Id}Last.AsSpan(0, batchSize * {OutputUnits});");
    }

    /// <summary>Declares the gradients of its outputs for a batch, in training buffers <c>t</c>, as locals.</summary>
    public void WriteOutputGradientViews(SourceWriter w)
    {
        w.Line($"global::System.Span<float> d{Id}Output = t.{Id}OutputGradient.AsSpan(0, {OutputSize("batchSize")});");
        if (PassesLastStep)
            w.Line($"global::System.Span<float> d{Id}Last = t.{Id}LastGradient.AsSpan(0, batchSize * {OutputUnits});");
    }

    /// <summary>The forward call: reads <paramref name="x"/>, writes activations <c>a</c> (its outputs as locals for the next layer).</summary>
    public virtual void WriteForward(SourceWriter w, string x)
    {
        w.Line(Heading);
        w.Line($"global::FastSeq.Layers.LayerShape {Local}Shape = {Shape("batchSize")};");
        WriteOutputViews(w);
        WriteMaskViews(w);
        if (DropsInputs && !Layer.Bidirectional)
            w.Line($"global::System.ReadOnlySpan<float> {Local}Input = global::FastSeq.Layers.DropoutMask.PerSampleInputs({x}, {Local}InputMask, batchSize, Timesteps, {N(Layer.Inputs)}, {Local}MaskedInput);");
        string cache = $"a.{Id}Cache.AsSpan(0, {Runtime}.CacheLength({Local}Shape))";
        if (HasState)
        {
            // From its initial states, if given, with its dropout masks in training; its final states, if wanted, after its last real steps.
            w.Line($"{Runtime}.{(DropsOut ? "ForwardWithDropout" : "Forward")}(");
            w.Line($"    {LayerInput(x)}, {Parameters("parameters")}, {Local}Shape, {ActivationArgument}, lengths, {StateSlice("initialStates", "streams", "first", "batchSize")},{(DropsOut ? DropoutArguments : "")}");
            w.Line($"    {cache}, {Local}Output);");
            w.Line("if (!finalStates.IsEmpty)");
            w.Line($"    {Runtime}.FinalState({cache}, {Local}Output, {Local}Shape, lengths, {StateSlice("finalStates", "streams", "first", "batchSize", mayBeEmpty: false)});");
        }
        else
        {
            w.Line($"{Runtime}.Forward(");
            w.Line($"    {x}, {Parameters("parameters")}, {Local}Shape, {ActivationArgument},");
            w.Line($"    {cache}, {Local}Output);");
        }
        // Steps past a sequence's end: a recurrent layer zeroes them itself; any other ran them, and they go.
        if (CallTimesteps == "Timesteps" && !HasState)
            w.Line($"global::FastSeq.Layers.SequenceLengths.ZeroPadding({Local}Output, lengths, Timesteps, {OutputUnits});");
        if (PassesLastStep)
            w.Line($"{Runtime}.LastStep({Local}Output, {Local}Shape, lengths, {Local}Last);");
    }

    /// <summary>
    /// The backward call: from the gradient of its output (the locals of <see cref="WriteOutputGradientViews"/>), adds into
    /// <c>gradients</c> and writes <paramref name="dx"/>. <paramref name="x"/> is what Forward read.
    /// </summary>
    public virtual void WriteBackward(SourceWriter w, string x, string dx)
    {
        w.Line(Heading);
        // A fused loss gives the gradient of the final Dense layer's pre-activations: its activation is then skipped.
        string activation = IsLast && !Layer.Info.IsRecurrent && Layer.Activation != Activation.Linear
            ? $"withRespectToLogits ? global::FastSeq.Activation.Linear : {ActivationArgument}"
            : ActivationArgument;
        w.Line($"global::FastSeq.Layers.LayerShape {Local}Shape = {Shape("batchSize")};");
        if (PassesLastStep)
            w.Line($"{Runtime}.LastStepBackward(d{Id}Last, {Local}Shape, lengths, d{Id}Output);");
        WriteMaskViews(w);
        if (DropsInputs && !Layer.Bidirectional)
            w.Line($"global::System.ReadOnlySpan<float> {Local}Input = {Local}InputMask.IsEmpty ? {x} : {Local}MaskedInput;");
        w.Line($"{Runtime}.{(DropsOut ? "BackwardWithDropout" : "Backward")}(");
        w.Line($"    {LayerInput(x)}, {Parameters("parameters")},");
        if (HasState)
        {
            // The gradients of its final states, if given, and of its initial states, if the Forward had them.
            w.Line($"    a.{Id}Cache.AsSpan(0, {Runtime}.CacheLength({Local}Shape)), {Local}Output, {Local}Shape, {activation}, lengths, {StateSlice("finalStateGradients", "batchSize", "0", "batchSize")},{(DropsOut ? DropoutArguments : "")}");
            w.Line($"    d{Id}Output, {Parameters("gradients")}, {dx}, {StateSlice("dInitialStates", "batchSize", "0", "batchSize")}, t.Workspace);");
        }
        else
        {
            w.Line($"    a.{Id}Cache.AsSpan(0, {Runtime}.CacheLength({Local}Shape)), {Local}Output, {Local}Shape, {activation},");
            w.Line($"    d{Id}Output, {Parameters("gradients")}, {dx}, t.Workspace);");
        }
        // The gradient reaches the inputs through the mask they were multiplied by.
        if (DropsInputs && !Layer.Bidirectional)
            w.Line($"global::FastSeq.Layers.DropoutMask.PerSampleGradient({dx}, {Local}InputMask, batchSize, Timesteps, {N(Layer.Inputs)});");
    }

    /// <summary>Whether it drops its inputs in training (a recurrent layer's <c>Dropout</c>).</summary>
    protected bool DropsInputs => Layer.Info.IsRecurrent && Layer.Dropout > 0f;

    /// <summary>Whether it drops its recurrent state in training (<c>RecurrentDropout</c>).</summary>
    protected bool DropsState => Layer.RecurrentDropout > 0f;

    /// <summary>Whether a recurrent layer drops anything in training, and so calls the contract's dropout passes.</summary>
    private bool DropsOut => DropsInputs || DropsState;

    /// <summary>Masks per sample: one per direction.</summary>
    private int Directions => Layer.Bidirectional ? 2 : 1;

    /// <summary>What its call reads: the inputs, or, when a single direction drops them, its local of the masked inputs.</summary>
    private string LayerInput(string x) => DropsInputs && !Layer.Bidirectional ? Local + "Input" : x;

    /// <summary>The masks of its dropout call: the recurrent one, and for a layer that reads both directions the input ones before it.</summary>
    private string DropoutArguments
    {
        get
        {
            string recurrent = DropsState ? Local + "RecurrentMask" : "default";
            return Layer.Bidirectional
                ? $" {(DropsInputs ? Local + "InputMask" : "default")}, {recurrent}, {(DropsInputs ? Local + "MaskedInput" : "default")},"
                : $" {recurrent},";
        }
    }

    /// <summary>A rate as a C# float literal.</summary>
    protected static string Rate(float rate) => rate.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "f";

    /// <summary>Its fields in the dropout masks of a training pass: a mask per sample for its inputs (and their masked copy) and for its state.</summary>
    public virtual void WriteMaskFields(SourceWriter w)
    {
        if (!DropsOut)
            return;
        w.Line(Heading);
        if (DropsInputs)
        {
            Field(w, $"{Id}InputMask", $"MaxBatchSize * {N(Directions * Layer.Inputs)}");
            Field(w, $"{Id}MaskedInput", $"MaxBatchSize * Timesteps * {N(Layer.Inputs)}");
        }
        if (DropsState)
            Field(w, $"{Id}RecurrentMask", $"MaxBatchSize * {N(Directions * Layer.Units)}");
    }

    /// <summary>Draws its masks for a batch, numbering them from <paramref name="mask"/>; returns the next number.</summary>
    public virtual int WriteDraw(SourceWriter w, int mask)
    {
        if (DropsInputs)
            WriteFill(w, Layer.Dropout, mask++, $"{Id}InputMask", $"batchSize * {N(Directions * Layer.Inputs)}");
        if (DropsState)
            WriteFill(w, Layer.RecurrentDropout, mask++, $"{Id}RecurrentMask", $"batchSize * {N(Directions * Layer.Units)}");
        return mask;
    }

    protected static void WriteFill(SourceWriter w, float rate, int mask, string field, string length) =>
        w.Line($"global::FastSeq.Layers.DropoutMask.Fill({Rate(rate)}, global::FastSeq.Layers.DropoutMask.Stream(seed, pass, {N(mask)}), {field}.AsSpan(0, {length}));");

    /// <summary>Declares its masks for a batch as locals: empty unless a training pass drew them (<c>masks</c>).</summary>
    private void WriteMaskViews(SourceWriter w)
    {
        if (DropsInputs)
        {
            w.Line($"global::System.ReadOnlySpan<float> {Local}InputMask = masks is null ? default : masks.{Id}InputMask.AsSpan(0, batchSize * {N(Directions * Layer.Inputs)});");
            w.Line($"global::System.Span<float> {Local}MaskedInput = masks is null ? default : masks.{Id}MaskedInput.AsSpan(0, batchSize * Timesteps * {N(Layer.Inputs)});");
        }
        if (DropsState)
            w.Line($"global::System.ReadOnlySpan<float> {Local}RecurrentMask = masks is null ? default : masks.{Id}RecurrentMask.AsSpan(0, batchSize * {N(Directions * Layer.Units)});");
    }

    /// <summary>
    /// Whether its Step writes the caller's outputs directly: the last layer does, unless it is also the first. Its input
    /// is then the caller's inputs, which may share memory with the outputs (a prediction fed back), so it writes its own
    /// buffer, copied out after.
    /// </summary>
    public bool StepWritesCallerOutputs => IsLast && !IsFirst;

    /// <summary>
    /// The step call for <c>count</c> streams from <c>first</c>: reads <paramref name="x"/>, updates its slice of the caller's
    /// states, and returns what the next layer reads.
    /// </summary>
    public virtual string WriteStep(SourceWriter w, string x)
    {
        string output = StepWritesCallerOutputs
            ? "outputs.Slice(first * OutputUnits, count * OutputUnits)"
            : $"s.{Id}Output.AsSpan(0, count * {Units})";
        string state = Layer.StateLength == 0 ? "global::System.Span<float>.Empty" : StateSlice("states", "streams", "first", "count", mayBeEmpty: false);
        w.Line(Heading);
        w.Line($"{Runtime}.Step(");
        w.Line($"    {x}, {Parameters("parameters")}, count, {N(Layer.Inputs)}, {Units}, {ActivationArgument},");
        w.Line($"    {state}, s.{Id}Scratch, {output});");
        return output;
    }

    /// <summary>
    /// Whether its runtime type has a one-stream Step that leaves the new h in the stream's state (LSTM and GRU), which the
    /// model's one-stream Step calls so that the next layer reads h where it lies, with nothing copied.
    /// </summary>
    private bool StepsInState => !Layer.Bidirectional && Layer.Info.Kind is LayerKind.Lstm or LayerKind.Gru;

    /// <summary>
    /// The step call of the model's one-stream Step, whose spans that model has checked: as <see cref="WriteStep"/> for one
    /// stream, reading <paramref name="x"/> and its part of the caller's <c>state</c> at <paramref name="stateOffset"/>; returns
    /// what the next layer reads (the state's h, for a layer that <see cref="StepsInState"/>).
    /// </summary>
    public virtual string WriteStreamStep(SourceWriter w, string x, int stateOffset)
    {
        string state = Layer.StateLength == 0 ? "global::System.Span<float>.Empty" : $"state.Slice({N(stateOffset)}, {N(Layer.StateLength)})";
        w.Line(Heading);
        if (StepsInState)
        {
            w.Line($"{Runtime}.Step({x}, {Parameters("parameters")}, {N(Layer.Inputs)}, {Units}, {ActivationArgument}, {state}, s.{Id}Scratch);");
            return $"state.Slice({N(stateOffset)}, {Units})";
        }
        string output = StepWritesCallerOutputs ? "output" : $"s.{Id}Output.AsSpan(0, {Units})";
        w.Line($"{Runtime}.Step(");
        w.Line($"    {x}, {Parameters("parameters")}, 1, {N(Layer.Inputs)}, {Units}, {ActivationArgument},");
        w.Line($"    {state}, s.{Id}Scratch, {output});");
        return output;
    }

    /// <summary>Its row in the Keras summary.</summary>
    public string SummaryRow()
    {
        string shape = Layer.OutputHasTimeAxis ? $"(None, {N(Model.Timesteps)}, {OutputUnits})" : $"(None, {OutputUnits})";
        return $"new({SourceWriter.Literal(Layer.Name)}, \"{KerasClass}\", \"{shape}\", {N(Layer.ParameterCount)}),";
    }

    /// <summary>Its entry in the model's <c>Layers</c>.</summary>
    public string LayerRow() =>
        $"new({SourceWriter.Literal(Layer.Name)}, \"{KerasClass}\", {N(Layer.ParameterOffset)}, {N(Layer.ParameterCount)}, {(Layer.Info.IsRecurrent ? "true" : "false")}, {OutputUnits}, {N(StateLength)}),";

    /// <summary>
    /// The total d loss / d h_t that its Backward leaves in its output gradient, for <paramref name="batch"/> samples of
    /// training buffers <paramref name="t"/>; null for a layer that is not recurrent.
    /// </summary>
    public string? HiddenStateGradients(string t, string batch) =>
        Layer.Info.IsRecurrent ? $"{t}.{Id}OutputGradient.AsSpan(0, {OutputSize(batch)})" : null;

    /// <summary>
    /// Its part of a model's <paramref name="states"/> (or their gradients) for <paramref name="count"/> sequences from
    /// <paramref name="first"/> of <paramref name="sequences"/>: each layer's states for all the sequences are contiguous, layer
    /// after layer (the model's state layout). Empty when the states are, unless <paramref name="mayBeEmpty"/> is false.
    /// </summary>
    private string StateSlice(string states, string sequences, string first, string count, bool mayBeEmpty = true)
    {
        string layerStart = StateOffset == 0 ? "" : $"{N(StateOffset)} * {sequences}";
        string start = first == "0" ? (layerStart.Length == 0 ? "0" : layerStart)
            : (layerStart.Length == 0 ? "" : $"({layerStart}) + ") + $"({first} * {N(StateLength)})";
        string slice = $"{states}.Slice({start}, {count} * {N(StateLength)})";
        return mayBeEmpty ? $"{states}.IsEmpty ? default : {slice}" : slice;
    }

    /// <summary>Its PyTorch state_dict entries, from the catalogue.</summary>
    public void WriteStateDict(SourceWriter w)
    {
        foreach (LayerTensor tensor in Layer.Info.Tensors(Layer.Name, Layer.Inputs, Layer.Units, Layer.Bidirectional))
        {
            string offset = tensor.Offset == 0 ? $"{Id}Offset" : $"{Id}Offset + {N(tensor.Offset)}";
            string shape = string.Join(", ", System.Linq.Enumerable.Select(tensor.Shape, N));
            w.Line($"new({SourceWriter.Literal(tensor.Name)}, {offset}, [{shape}], global::FastSeq.IO.TensorLayout.{tensor.Layout}),");
        }
    }

    /// <summary>Its Keras initialisation.</summary>
    public virtual void WriteInitialize(SourceWriter w) =>
        w.Line($"{Runtime}.Initialize(_parameters.AsSpan({Id}Offset, {Id}Length), {N(Layer.Inputs)}, {Units}, random);");

    protected static void Field(SourceWriter w, string name, string length) =>
        w.Line($"public readonly global::System.ArraySegment<float> {name} = global::FastSeq.Kernels.AlignedMemory.Allocate({length});");
}
