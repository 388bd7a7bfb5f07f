using FastSeq.Layers;

namespace FastSeq.Tests.Layers;

/// <summary>SimpleRnn (with an activation), LSTM and GRU behind one surface, so each test runs on all of them.</summary>
internal abstract class RecurrentLayerUnderTest
{
    public static readonly string[] Names = ["SimpleRnn.Tanh", "SimpleRnn.Relu", "SimpleRnn.Sigmoid", "SimpleRnn.Linear", "Lstm", "Gru"];

    public static RecurrentLayerUnderTest Named(string name) => name switch
    {
        "SimpleRnn.Tanh" => new SimpleRnn(Activation.Tanh),
        "SimpleRnn.Relu" => new SimpleRnn(Activation.Relu),
        "SimpleRnn.Sigmoid" => new SimpleRnn(Activation.Sigmoid),
        "SimpleRnn.Linear" => new SimpleRnn(Activation.Linear),
        "Lstm" => new Lstm(),
        "Gru" => new Gru(),
        _ => throw new ArgumentException($"No recurrent layer named {name}.", nameof(name)),
    };

    /// <summary>Gates per unit: 1, 4 or 3.</summary>
    public abstract int Gates { get; }

    public abstract int ParameterCount(int inputs, int units);
    public abstract int CacheLength(RecurrentShape s);
    public abstract int WorkspaceLength(RecurrentShape s);
    public abstract int StateLength(int units);
    public abstract int StepScratchLength(int inputs, int units);
    public abstract void Initialize(Span<float> parameters, int inputs, int units, Random random);
    public abstract void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, RecurrentShape s, Span<float> cache, Span<float> hidden);
    public abstract void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, RecurrentShape s,
                                  Span<float> dHidden, Span<float> dParameters, Span<float> dx, Span<float> workspace);
    public abstract void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Span<float> state, Span<float> scratch, Span<float> output);

    private sealed class SimpleRnn(Activation activation) : RecurrentLayerUnderTest
    {
        public override int Gates => 1;
        public override int ParameterCount(int inputs, int units) => SimpleRnnLayer.ParameterCount(inputs, units);
        public override int CacheLength(RecurrentShape s) => SimpleRnnLayer.CacheLength(s);
        public override int WorkspaceLength(RecurrentShape s) => SimpleRnnLayer.WorkspaceLength(s);
        public override int StateLength(int units) => SimpleRnnLayer.StateLength(units);
        public override int StepScratchLength(int inputs, int units) => SimpleRnnLayer.StepScratchLength(inputs, units);
        public override void Initialize(Span<float> parameters, int inputs, int units, Random random) => SimpleRnnLayer.Initialize(parameters, inputs, units, random);
        public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, RecurrentShape s, Span<float> cache, Span<float> hidden)
            => SimpleRnnLayer.Forward(x, parameters, s, activation, cache, hidden);
        public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, RecurrentShape s,
                                      Span<float> dHidden, Span<float> dParameters, Span<float> dx, Span<float> workspace)
            => SimpleRnnLayer.Backward(x, parameters, cache, hidden, s, activation, dHidden, dParameters, dx, workspace);
        public override void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Span<float> state, Span<float> scratch, Span<float> output)
            => SimpleRnnLayer.Step(x, parameters, batch, inputs, units, activation, state, scratch, output);
    }

    private sealed class Lstm : RecurrentLayerUnderTest
    {
        public override int Gates => 4;
        public override int ParameterCount(int inputs, int units) => LstmLayer.ParameterCount(inputs, units);
        public override int CacheLength(RecurrentShape s) => LstmLayer.CacheLength(s);
        public override int WorkspaceLength(RecurrentShape s) => LstmLayer.WorkspaceLength(s);
        public override int StateLength(int units) => LstmLayer.StateLength(units);
        public override int StepScratchLength(int inputs, int units) => LstmLayer.StepScratchLength(inputs, units);
        public override void Initialize(Span<float> parameters, int inputs, int units, Random random) => LstmLayer.Initialize(parameters, inputs, units, random);
        public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, RecurrentShape s, Span<float> cache, Span<float> hidden)
            => LstmLayer.Forward(x, parameters, s, cache, hidden);
        public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, RecurrentShape s,
                                      Span<float> dHidden, Span<float> dParameters, Span<float> dx, Span<float> workspace)
            => LstmLayer.Backward(x, parameters, cache, hidden, s, dHidden, dParameters, dx, workspace);
        public override void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Span<float> state, Span<float> scratch, Span<float> output)
            => LstmLayer.Step(x, parameters, batch, inputs, units, state, scratch, output);
    }

    private sealed class Gru : RecurrentLayerUnderTest
    {
        public override int Gates => 3;
        public override int ParameterCount(int inputs, int units) => GruLayer.ParameterCount(inputs, units);
        public override int CacheLength(RecurrentShape s) => GruLayer.CacheLength(s);
        public override int WorkspaceLength(RecurrentShape s) => GruLayer.WorkspaceLength(s);
        public override int StateLength(int units) => GruLayer.StateLength(units);
        public override int StepScratchLength(int inputs, int units) => GruLayer.StepScratchLength(inputs, units);
        public override void Initialize(Span<float> parameters, int inputs, int units, Random random) => GruLayer.Initialize(parameters, inputs, units, random);
        public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, RecurrentShape s, Span<float> cache, Span<float> hidden)
            => GruLayer.Forward(x, parameters, s, cache, hidden);
        public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, RecurrentShape s,
                                      Span<float> dHidden, Span<float> dParameters, Span<float> dx, Span<float> workspace)
            => GruLayer.Backward(x, parameters, cache, hidden, s, dHidden, dParameters, dx, workspace);
        public override void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Span<float> state, Span<float> scratch, Span<float> output)
            => GruLayer.Step(x, parameters, batch, inputs, units, state, scratch, output);
    }
}

/// <summary>The buffers of one recurrent layer call, sized for a shape.</summary>
internal sealed class RecurrentRun
{
    public RecurrentRun(RecurrentLayerUnderTest layer, RecurrentShape shape, Random random)
    {
        Layer = layer;
        Shape = shape;
        Parameters = RandomTensors.Uniform(random, layer.ParameterCount(shape.Inputs, shape.Units), -0.5f, 0.5f);
        X = RandomTensors.Uniform(random, shape.Batch * shape.Timesteps * shape.Inputs, -1f, 1f);
        Cache = new float[layer.CacheLength(shape)];
        Hidden = new float[shape.Batch * shape.Timesteps * shape.Units];
        DHidden = new float[Hidden.Length];
        DParameters = new float[Parameters.Length];
        DX = new float[X.Length];
        Workspace = new float[layer.WorkspaceLength(shape)];
    }

    public RecurrentLayerUnderTest Layer { get; }
    public RecurrentShape Shape { get; }
    public float[] Parameters { get; }
    public float[] X { get; }
    public float[] Cache { get; }
    public float[] Hidden { get; }
    public float[] DHidden { get; }
    public float[] DParameters { get; }
    public float[] DX { get; }
    public float[] Workspace { get; }

    public float[] Forward()
    {
        Layer.Forward(X, Parameters, Shape, Cache, Hidden);
        return Hidden;
    }

    /// <summary>Backward from d loss / d hidden (copied: the layer overwrites it).</summary>
    public void Backward(ReadOnlySpan<float> dHidden, bool withDx = true)
    {
        dHidden.CopyTo(DHidden);
        Layer.Backward(X, Parameters, Cache, Hidden, Shape, DHidden, DParameters, withDx ? DX : [], Workspace);
    }
}
