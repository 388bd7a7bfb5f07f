using System.Numerics.Tensors;
using FastSeq.Models;

namespace FastSeq.Diagnostics;

/// <summary>
/// Records how gradients flow back through a model's training batches: for each recurrent layer, the norm of the total
/// d loss / d h_t at every timestep (over the batch and the units), and for every layer the norm of its parameters'
/// gradient. Where the first fall by orders of magnitude from the last step towards the first, the early steps barely
/// learn: the vanishing gradient.
/// </summary>
/// <remarks>
/// Opt-in: set <see cref="Trainer{TModel}.GradientFlow"/> to one and the trainer calls <see cref="Record()"/> after every
/// batch's Backward (or call it yourself after <c>Backward</c>). Its buffers are made by the
/// constructor; <see cref="Record()"/> allocates nothing. <see cref="Report"/> gives the means since the last
/// <see cref="Reset"/> as a picture (<see cref="GradientFlowReport.ToSvg"/>) or a console view.
/// </remarks>
public sealed class GradientFlowRecorder
{
    private readonly ModelLayer[] _layers;
    private readonly int _timesteps;
    private readonly float[] _lastNorms;          // [layers, T], the last batch's norms (zero for a layer that is not recurrent)
    private readonly float[] _shardNorms;         // [T], one shard's norms of one layer
    private readonly ISequenceModel[] _model;     // Model alone, as the shards of an unsharded batch
    private readonly double[] _normSums;          // [layers, T], summed over the batches since Reset
    private readonly float[] _lastParameterNorms; // [layers]
    private readonly double[] _parameterNormSums; // [layers]

    /// <summary>A recorder for <paramref name="model"/>'s batches, named <paramref name="label"/> in reports (its type's name unless given).</summary>
    public GradientFlowRecorder(ISequenceModel model, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Label = label ?? model.GetType().Name;
        _layers = model.Layers.ToArray();
        _timesteps = model.Timesteps;
        _lastNorms = new float[_layers.Length * _timesteps];
        _shardNorms = new float[_timesteps];
        _model = [model];
        _normSums = new double[_layers.Length * _timesteps];
        _lastParameterNorms = new float[_layers.Length];
        _parameterNormSums = new double[_layers.Length];
    }

    /// <summary>The model whose Backward it reads.</summary>
    public ISequenceModel Model { get; }

    /// <summary>The model's name in reports.</summary>
    public string Label { get; }

    /// <summary>Batches recorded since it was made or last <see cref="Reset"/>.</summary>
    public int Batches { get; private set; }

    /// <summary>
    /// Reads the model's last Backward: the norm of d loss / d h_t of each recurrent layer at each step, and of each layer's
    /// parameter gradients (as <see cref="ISequenceModel.Gradients"/> holds them: a batch's, when they were cleared before its
    /// Backward, as the trainer does). Allocates nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has not run a Backward yet.</exception>
    public void Record() => Record(_model);

    /// <summary>
    /// <see cref="Record()"/> for a batch that ran in shards (the Trainer's replicas, the first being <see cref="Model"/>, whose gradients
    /// are then the batch's): each step's norm is over every shard's sequences.
    /// </summary>
    internal void Record(ReadOnlySpan<ISequenceModel> shards)
    {
        ReadOnlySpan<float> gradients = Model.Gradients;
        for (int i = 0; i < _layers.Length; i++)
        {
            ModelLayer layer = _layers[i];
            float parameterNorm = TensorPrimitives.Norm(gradients.Slice(layer.ParameterOffset, layer.ParameterCount));
            _lastParameterNorms[i] = parameterNorm;
            _parameterNormSums[i] += parameterNorm;
            if (!layer.IsRecurrent)
                continue;
            // ‖g[:, t]‖ over all the shards' sequences: the root of the sum of each shard's squared norm.
            Span<float> norms = _lastNorms.AsSpan(i * _timesteps, _timesteps);
            norms.Clear();
            foreach (ISequenceModel shard in shards)
            {
                ReadOnlySpan<float> hidden = shard.HiddenStateGradients(i);   // [B, T, U]
                if (hidden.IsEmpty)
                    throw new InvalidOperationException($"Record reads the gradients of the last Backward, and {Label} has run none yet.");
                StepNorms(hidden, _timesteps, layer.OutputUnits, _shardNorms);
                TensorPrimitives.MultiplyAdd(_shardNorms, _shardNorms, norms, norms);
            }
            TensorPrimitives.Sqrt(norms, norms);
            Span<double> sums = _normSums.AsSpan(i * _timesteps, _timesteps);
            for (int t = 0; t < _timesteps; t++)
                sums[t] += norms[t];
        }
        Batches++;
    }

    /// <summary>
    /// <c>norms[t] = ‖g[:, t, :]‖₂</c>, the norm at each step over the batch and the units of <paramref name="gradients"/>
    /// <c>[B, T, U]</c>.
    /// </summary>
    internal static void StepNorms(ReadOnlySpan<float> gradients, int timesteps, int units, Span<float> norms)
    {
        int batch = gradients.Length / (timesteps * units);
        for (int t = 0; t < timesteps; t++)
        {
            float sumOfSquares = 0f;
            for (int b = 0; b < batch; b++)
                sumOfSquares += TensorPrimitives.SumOfSquares(gradients.Slice(((b * timesteps) + t) * units, units));
            norms[t] = MathF.Sqrt(sumOfSquares);
        }
    }

    /// <summary>The last batch's norms of d loss / d h_t of layer <paramref name="layer"/> (an index into <see cref="ISequenceModel.Layers"/>), one per step; empty for a layer that is not recurrent.</summary>
    public ReadOnlySpan<float> HiddenStateNorms(int layer)
    {
        CheckLayer(layer);
        return _layers[layer].IsRecurrent ? _lastNorms.AsSpan(layer * _timesteps, _timesteps) : default;
    }

    /// <summary>The last batch's norm of the gradient of layer <paramref name="layer"/>'s parameters.</summary>
    public float ParameterGradientNorm(int layer)
    {
        CheckLayer(layer);
        return _lastParameterNorms[layer];
    }

    /// <summary>Forgets the batches recorded so far: the next <see cref="Report"/> averages only those recorded after.</summary>
    public void Reset()
    {
        Array.Clear(_lastNorms);
        Array.Clear(_normSums);
        Array.Clear(_lastParameterNorms);
        Array.Clear(_parameterNormSums);
        Batches = 0;
    }

    /// <summary>The means over the batches recorded since the last <see cref="Reset"/>, one entry per layer.</summary>
    /// <exception cref="InvalidOperationException">No batch has been recorded.</exception>
    public GradientFlowReport Report()
    {
        if (Batches == 0)
            throw new InvalidOperationException($"No batch of {Label} has been recorded: set Trainer.GradientFlow before training, or call Record after Backward.");
        var layers = new LayerGradientFlow[_layers.Length];
        for (int i = 0; i < _layers.Length; i++)
        {
            float[] norms = _layers[i].IsRecurrent ? new float[_timesteps] : [];
            for (int t = 0; t < norms.Length; t++)
                norms[t] = (float)(_normSums[(i * _timesteps) + t] / Batches);
            layers[i] = new LayerGradientFlow(Label, _layers[i].Name, _layers[i].KerasClass, norms, (float)(_parameterNormSums[i] / Batches), Batches);
        }
        return new GradientFlowReport(layers);
    }

    private void CheckLayer(int layer)
    {
        if ((uint)layer >= (uint)_layers.Length)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"{Label} has {_layers.Length} layers, numbered from 0.");
    }
}
