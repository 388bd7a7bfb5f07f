using static TorchSharp.torch;

namespace FastSeq.Benchmarks;

/// <summary>The TorchSharp twin of the sine forecaster: a two-layer RNN (tanh) and a linear head on the last step.</summary>
public sealed class TorchRnnForecaster : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor?, (Tensor, Tensor)> _rnn;
    private readonly nn.Module<Tensor, Tensor> _head;

    public TorchRnnForecaster(int units) : base(nameof(TorchRnnForecaster))
    {
        _rnn = nn.RNN(1, units, numLayers: 2, batchFirst: true);
        _head = nn.Linear(units, 1);
        RegisterComponents();
    }

    // x: [B, T, 1] -> [B, 1]
    public override Tensor forward(Tensor input)
    {
        var (output, _) = _rnn.call(input, null);
        return _head.call(output.select(1, -1));
    }
}

/// <summary>The TorchSharp twin of the two-LSTM forecaster.</summary>
public sealed class TorchLstmForecaster : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, (Tensor, Tensor)?, (Tensor, Tensor, Tensor)> _lstm;
    private readonly nn.Module<Tensor, Tensor> _head;

    public TorchLstmForecaster(int units) : base(nameof(TorchLstmForecaster))
    {
        _lstm = nn.LSTM(1, units, numLayers: 2, batchFirst: true);
        _head = nn.Linear(units, 1);
        RegisterComponents();
    }

    // x: [B, T, 1] -> [B, 1]
    public override Tensor forward(Tensor input)
    {
        var (output, _, _) = _lstm.call(input, null);
        return _head.call(output.select(1, -1));
    }
}
