namespace FastSeq.Tests.Training;

/// <summary>SumSignLogit with dropout on its inputs and state.</summary>
[SequenceModel(Timesteps = 8, Features = 1, MaxBatchSize = 32)]
[SimpleRnn(8, Dropout = 0.2f, RecurrentDropout = 0.2f)]
[Dense(1)]
public partial class DroppingLogit;

/// <summary>ModelCheckpoint, SaveCheckpoint and LoadCheckpoint: weights with the optimizer's state, and a resumed Fit with the bits of an unbroken one.</summary>
public sealed class CheckpointTests : IDisposable
{
    private static readonly SequenceDataset s_data = SyntheticTasks.SumSign(count: 50, timesteps: SumSignLogit.Timesteps, seed: 4);
    private readonly string _folder = Directory.CreateTempSubdirectory("fastseq-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string File(string name) => Path.Combine(_folder, name);

    public static TheoryData<string> Optimizers => ["adam", "adamw", "rmsprop", "sgd"];

    /// <summary>Each optimizer with every piece of state it can keep switched on.</summary>
    private static Optimizer Create(string optimizer) => optimizer switch
    {
        "adam" => new Adam(learningRate: 0.01f),
        "adamw" => new AdamW(learningRate: 0.01f, weightDecay: 0.1f),
        "rmsprop" => new RmsProp(learningRate: 0.005f, momentum: 0.5f, centered: true),
        _ => new Sgd(learningRate: 0.05f, momentum: 0.9f),
    };

    private static TrainingHistory Fit(Trainer<SumSignLogit> trainer, int epochs, int initialEpoch = 0, params Callback[] callbacks) =>
        trainer.Fit(s_data, epochs, batchSize: 8, validationSplit: 0.2f, seed: 7, onEpochEnd: _ => { }, callbacks: callbacks, initialEpoch: initialEpoch);

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Two_epochs_then_a_resume_from_the_checkpoint_then_two_more_give_the_bits_of_four(string optimizer)
    {
        var unbroken = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), Create(optimizer), Loss.BinaryCrossEntropyFromLogits);
        var checkpoint = new ModelCheckpoint(File("epoch-{epoch}.safetensors"), monitor: "loss");
        Fit(unbroken, epochs: 4, callbacks: checkpoint);
        Assert.Equal(4, checkpoint.LastSavedEpoch);

        // Another model and a fresh optimizer: everything that matters comes from the file.
        var resumed = new Trainer<SumSignLogit>(new SumSignLogit(seed: 99), Create(optimizer), Loss.BinaryCrossEntropyFromLogits);
        Assert.Equal(2, resumed.LoadCheckpoint(File("epoch-2.safetensors")));
        TrainingHistory history = Fit(resumed, epochs: 4, initialEpoch: 2);

        Assert.Equal([3, 4], history.Epochs.Select(e => e.Epoch));
        Assert.Equal(unbroken.History.Epochs[3].Loss, history.Epochs[1].Loss);
        Assert.Equal(unbroken.Model.Parameters.ToArray(), resumed.Model.Parameters.ToArray());
        Assert.Equal(unbroken.Optimizer.Iterations, resumed.Optimizer.Iterations);
    }

    [Fact]
    public void A_resumed_Fit_draws_the_dropout_masks_the_unbroken_one_drew()
    {
        static TrainingHistory Fit(Trainer<DroppingLogit> trainer, int epochs, int initialEpoch = 0, params Callback[] callbacks) =>
            trainer.Fit(s_data, epochs, batchSize: 8, seed: 7, onEpochEnd: _ => { }, callbacks: callbacks, initialEpoch: initialEpoch);
        var unbroken = new Trainer<DroppingLogit>(new DroppingLogit(seed: 1), new Adam(0.01f), Loss.BinaryCrossEntropyFromLogits);
        Fit(unbroken, epochs: 4, callbacks: new ModelCheckpoint(File("dropping-{epoch}.safetensors"), monitor: "loss"));

        var resumed = new Trainer<DroppingLogit>(new DroppingLogit(seed: 99), new Adam(0.01f), Loss.BinaryCrossEntropyFromLogits);
        Fit(resumed, epochs: 4, initialEpoch: resumed.LoadCheckpoint(File("dropping-2.safetensors")));

        Assert.Equal(unbroken.Model.Parameters.ToArray(), resumed.Model.Parameters.ToArray());
    }

    [Fact]
    public void A_checkpoint_restores_the_learning_rate_a_schedule_had_reached()
    {
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(learningRate: 0.01f), Loss.BinaryCrossEntropyFromLogits);
        Fit(trainer, epochs: 2, callbacks: new LearningRateScheduler((epoch, rate) => rate / 2));
        trainer.SaveCheckpoint(File("halved.safetensors"), epoch: 2);

        var resumed = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(learningRate: 0.01f), Loss.BinaryCrossEntropyFromLogits);
        resumed.LoadCheckpoint(File("halved.safetensors"));

        Assert.Equal(trainer.Optimizer.LearningRate, resumed.Optimizer.LearningRate);
        Assert.Equal(0.0025f, resumed.Optimizer.LearningRate);
    }

    [Fact]
    public void SaveBestOnly_saves_only_the_epochs_that_improve_the_monitored_figure()
    {
        // Weights that do not move and no shuffling: every epoch measures the loss of the first, which never improves on it.
        var frozen = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Sgd(1e-30f), Loss.BinaryCrossEntropyFromLogits);
        var best = new ModelCheckpoint(File("best.safetensors"), monitor: "loss", saveBestOnly: true);
        frozen.Fit(s_data, epochs: 4, batchSize: 8, shuffle: false, onEpochEnd: _ => { }, callbacks: [best]);
        Assert.Equal(1, best.LastSavedEpoch);

        var learning = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(0.01f), Loss.BinaryCrossEntropyFromLogits);
        var every = new ModelCheckpoint(File("every.safetensors"), monitor: "loss", saveBestOnly: true);
        Fit(learning, epochs: 4, callbacks: every);
        int bestEpoch = learning.History.Epochs.MinBy(e => e.Loss)!.Epoch;
        Assert.Equal(bestEpoch, every.LastSavedEpoch);
        Assert.Equal(File("every.safetensors"), every.LastSavedPath);
    }

    [Fact]
    public void A_checkpoint_is_a_weight_file_too()
    {
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(0.01f), Loss.BinaryCrossEntropyFromLogits);
        Fit(trainer, epochs: 1);
        trainer.SaveCheckpoint(File("weights.safetensors"), epoch: 1);

        var model = new SumSignLogit(seed: 5);
        model.LoadWeights(File("weights.safetensors"), allowUnexpectedTensors: true);
        Assert.Equal(trainer.Model.Parameters.ToArray(), model.Parameters.ToArray());
        Assert.Throws<InvalidDataException>(() => model.LoadWeights(File("weights.safetensors")));
    }

    [Fact]
    public void A_file_that_does_not_fit_throws_and_changes_neither_the_model_nor_the_optimizer()
    {
        var adam = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(0.01f), Loss.BinaryCrossEntropyFromLogits);
        Fit(adam, epochs: 1);
        adam.SaveCheckpoint(File("adam.safetensors"), epoch: 1);
        adam.Model.SaveWeights(File("plain.safetensors"));
        byte[] whole = System.IO.File.ReadAllBytes(File("adam.safetensors"));
        System.IO.File.WriteAllBytes(File("truncated.safetensors"), whole[..(whole.Length - 4)]);
        var other = new Trainer<FrequencyLogits>(new FrequencyLogits(seed: 1), new Adam(0.01f), Loss.SparseCategoricalCrossEntropyFromLogits);
        other.SaveCheckpoint(File("other-model.safetensors"), epoch: 1);

        var sgd = new Trainer<SumSignLogit>(new SumSignLogit(seed: 2), new Sgd(0.05f, momentum: 0.9f), Loss.BinaryCrossEntropyFromLogits);
        Fit(sgd, epochs: 1);
        float[] parameters = sgd.Model.Parameters.ToArray();
        long iterations = sgd.Optimizer.Iterations;

        Assert.Contains("holds the state of a FastSeq.Adam", Assert.Throws<InvalidDataException>(() => sgd.LoadCheckpoint(File("adam.safetensors"))).Message);
        Assert.Contains("not a FastSeq checkpoint", Assert.Throws<InvalidDataException>(() => sgd.LoadCheckpoint(File("plain.safetensors"))).Message);
        Assert.Throws<InvalidDataException>(() => sgd.LoadCheckpoint(File("truncated.safetensors")));
        Assert.Throws<InvalidDataException>(() => adam.LoadCheckpoint(File("other-model.safetensors")));
        Assert.Throws<FileNotFoundException>(() => sgd.LoadCheckpoint(File("missing.safetensors")));

        Assert.Equal(parameters, sgd.Model.Parameters.ToArray());
        Assert.Equal(iterations, sgd.Optimizer.Iterations);
    }

    [Fact]
    public void Optimizer_state_that_is_not_finite_or_not_the_optimizers_is_refused()
    {
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(0.01f), Loss.BinaryCrossEntropyFromLogits);
        Fit(trainer, epochs: 1);
        trainer.SaveCheckpoint(File("good.safetensors"), epoch: 1);
        FastSeq.IO.SafeTensorsFile good = FastSeq.IO.SafeTensorsFile.Read(File("good.safetensors"));
        void Rewrite(string name, Func<FastSeq.IO.SafeTensor, float[]> values, string? extra = null)
        {
            var file = new FastSeq.IO.SafeTensorsFile();
            foreach (KeyValuePair<string, string> pair in good.Metadata)
                file.Metadata.Add(pair);
            foreach (FastSeq.IO.SafeTensor tensor in good.Tensors)
                file.Add(tensor.Name, [.. tensor.Shape], values(tensor));
            if (extra is not null)
                file.Add(extra, [1], [0f]);
            using FileStream stream = System.IO.File.Create(File(name));
            file.Write(stream);
        }
        Rewrite("nan.safetensors", t => t.Name == "optimizer.exp_avg_sq" ? [.. t.ToFloatArray().Select((v, i) => i == 3 ? float.NaN : v)] : t.ToFloatArray());
        Rewrite("extra.safetensors", t => t.ToFloatArray(), extra: "optimizer.momentum_buffer");

        float[] before = trainer.Model.Parameters.ToArray();
        Assert.Contains("optimizer.exp_avg_sq", Assert.Throws<InvalidDataException>(() => trainer.LoadCheckpoint(File("nan.safetensors"))).Message);
        Assert.Contains("optimizer.momentum_buffer", Assert.Throws<InvalidDataException>(() => trainer.LoadCheckpoint(File("extra.safetensors"))).Message);
        Assert.Equal(before, trainer.Model.Parameters.ToArray());
        Assert.Equal(1, trainer.LoadCheckpoint(File("good.safetensors")));
    }

    [Fact]
    public void InitialEpoch_must_leave_an_epoch_to_run()
    {
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(), Loss.BinaryCrossEntropyFromLogits);
        Assert.Throws<ArgumentOutOfRangeException>(() => Fit(trainer, epochs: 3, initialEpoch: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fit(trainer, epochs: 3, initialEpoch: -1));
        Assert.Throws<ArgumentException>(() => new ModelCheckpoint(""));
        Assert.Throws<ArgumentException>(() => new ModelCheckpoint(File("x"), monitor: "val_f1"));
    }

    [Fact]
    public void Iterations_count_the_updates_and_Reset_zeroes_them()
    {
        var optimizer = new Adam();
        var parameters = new float[8];
        var gradients = new float[8];
        gradients.AsSpan().Fill(0.5f);
        optimizer.Step(parameters, gradients);
        optimizer.Step(parameters, gradients);
        Assert.Equal(2, optimizer.Iterations);
        optimizer.Reset();
        Assert.Equal(0, optimizer.Iterations);
    }
}
