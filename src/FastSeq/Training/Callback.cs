namespace FastSeq;

/// <summary>
/// Hooks into <see cref="Trainer{TModel}.Fit"/>, as Keras callbacks do: override the moments you need. Fit calls its
/// callbacks in the order given; each receives the <see cref="TrainingContext"/>, through which it may read and change the
/// model's parameters and the optimizer's learning rate, or stop the training.
/// </summary>
public abstract class Callback
{
    /// <summary>Called once before the first epoch.</summary>
    public virtual void OnTrainBegin(TrainingContext context)
    {
    }

    /// <summary>Called before each epoch; <paramref name="epoch"/> counts from 1, as <see cref="EpochResult.Epoch"/> does.</summary>
    public virtual void OnEpochBegin(int epoch, TrainingContext context)
    {
    }

    /// <summary>Called after each epoch, its validation included, with its figures (already in <see cref="TrainingContext.History"/>).</summary>
    public virtual void OnEpochEnd(EpochResult result, TrainingContext context)
    {
    }

    /// <summary>Called once after the last epoch, or after the epoch in which a callback stopped the training; not when Fit throws.</summary>
    public virtual void OnTrainEnd(TrainingContext context)
    {
    }
}

/// <summary>What a <see cref="Callback"/> sees of a running <see cref="Trainer{TModel}.Fit"/>.</summary>
public sealed class TrainingContext
{
    internal TrainingContext(ISequenceModel model, Optimizer optimizer, TrainingHistory history)
    {
        Model = model;
        Optimizer = optimizer;
        History = history;
    }

    /// <summary>The model being trained; its <see cref="ISequenceModel.Parameters"/> may be read and written between batches.</summary>
    public ISequenceModel Model { get; }

    /// <summary>The optimizer; its <see cref="Optimizer.LearningRate"/> may be changed for the next batches.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The epochs finished so far in this Fit.</summary>
    public TrainingHistory History { get; }

    /// <summary>Set to stop the training after the current epoch (Keras <c>model.stop_training</c>); each Fit starts with it false.</summary>
    public bool StopTraining { get; set; }
}
