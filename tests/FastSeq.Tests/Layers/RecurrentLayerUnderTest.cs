using FastSeq.Layers;

namespace FastSeq.Tests.Layers;

/// <summary>SimpleRnn (with an activation), LSTM and GRU behind one surface, so each test runs on all of them: the layer contract itself.</summary>
internal abstract class RecurrentLayerUnderTest
{
    public static readonly string[] Names = ["SimpleRnn.Tanh", "SimpleRnn.Relu", "SimpleRnn.Sigmoid", "SimpleRnn.Linear", "Lstm", "Gru"];

    public static RecurrentLayerUnderTest Named(string name) => name switch
    {
        "SimpleRnn.Tanh" => new Contract<SimpleRnnLayer>(1, Activation.Tanh),
        "SimpleRnn.Relu" => new Contract<SimpleRnnLayer>(1, Activation.Relu),
        "SimpleRnn.Sigmoid" => new Contract<SimpleRnnLayer>(1, Activation.Sigmoid),
        "SimpleRnn.Linear" => new Contract<SimpleRnnLayer>(1, Activation.Linear),
        "Lstm" => new Contract<LstmLayer>(4, Activation.Tanh),
        "Gru" => new Contract<GruLayer>(3, Activation.Tanh),
        _ => throw new ArgumentException($"No recurrent layer named {name}.", nameof(name)),
    };

    /// <summary>Gates per unit: 1, 4 or 3.</summary>
    public abstract int Gates { get; }

    public abstract int ParameterCount(int inputs, int units);
    public abstract int CacheLength(LayerShape s);
    public abstract int WorkspaceLength(LayerShape s);
    public abstract int StateLength(int units);
    public abstract int StepScratchLength(int inputs, int units);
    public abstract void Initialize(Span<float> parameters, int inputs, int units, Random random);
    public abstract void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Span<float> cache, Span<float> hidden);
    public abstract void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, LayerShape s,
                                  Span<float> dHidden, Span<float> dParameters, Span<float> dx, Span<float> workspace);
    public abstract void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Span<float> state, Span<float> scratch, Span<float> output);

    /// <summary>Any <see cref="ISequenceLayer"/> with the activation it is declared with.</summary>
    private sealed class Contract<TLayer>(int gates, Activation activation) : RecurrentLayerUnderTest
        where TLayer : ISequenceLayer
    {
        public override int Gates => gates;
        public override int ParameterCount(int inputs, int units) => TLayer.ParameterCount(inputs, units);
        public override int CacheLength(LayerShape s) => TLayer.CacheLength(s);
        public override int WorkspaceLength(LayerShape s) => TLayer.WorkspaceLength(s);
        public override int StateLength(int units) => TLayer.StateLength(units);
        public override int StepScratchLength(int inputs, int units) => TLayer.StepScratchLength(inputs, units);
        public override void Initialize(Span<float> parameters, int inputs, int units, Random random) => TLayer.Initialize(parameters, inputs, units, random);
        public override void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, LayerShape s, Span<float> cache, Span<float> hidden)
            => TLayer.Forward(x, parameters, s, activation, cache, hidden);
        public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, ReadOnlySpan<float> cache, ReadOnlySpan<float> hidden, LayerShape s,
                                      Span<float> dHidden, Span<float> dParameters, Span<float> dx, Span<float> workspace)
            => TLayer.Backward(x, parameters, cache, hidden, s, activation, dHidden, dParameters, dx, workspace);
        public override void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, int batch, int inputs, int units, Span<float> state, Span<float> scratch, Span<float> output)
            => TLayer.Step(x, parameters, batch, inputs, units, activation, state, scratch, output);
    }
}

/// <summary>The buffers of one recurrent layer call, sized for a shape.</summary>
internal sealed class RecurrentRun
{
    public RecurrentRun(RecurrentLayerUnderTest layer, LayerShape shape, Random random)
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
    public LayerShape Shape { get; }
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
