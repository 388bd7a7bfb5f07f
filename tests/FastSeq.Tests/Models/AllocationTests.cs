namespace FastSeq.Tests.Models;

/// <summary>After construction and one warm-up call, the hot paths allocate nothing on the managed heap.</summary>
public class AllocationTests
{
    /// <summary>LSTM(8) and GRU(16) fill whole vectors, so one sample or stream takes the fused kernels; the others do not.</summary>
    public static TheoryData<string> Models => [nameof(SineForecaster), nameof(LstmStackClassifierModel), nameof(SmallGruStack), nameof(SequenceClassifier), nameof(MixedSequenceStack)];

    private static ISequenceModel Create(string name) => name switch
    {
        nameof(SineForecaster) => new SineForecaster(),
        nameof(LstmStackClassifierModel) => new LstmStackClassifierModel(),
        nameof(SmallGruStack) => new SmallGruStack(),
        nameof(SequenceClassifier) => new SequenceClassifier(),
        _ => new MixedSequenceStack(),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Predict_and_Step_allocate_nothing(string name)
    {
        ISequenceModel model = Create(name);
        int batch = Math.Min(3, model.MaxBatchSize);
        var inputs = new float[batch * model.InputLength];
        var outputs = new float[batch * model.OutputLength];
        var step = new float[model.OutputUnits];
        Allocations.AssertNone(() => model.Predict(inputs, outputs, batch));
        Allocations.AssertNone(() => model.Predict(inputs.AsSpan(0, model.InputLength), outputs.AsSpan(0, model.OutputLength), 1));
        Allocations.AssertNone(() =>
        {
            model.ResetState();
            for (int t = 0; t < model.Timesteps; t++)
                model.Step(inputs.AsSpan(t * model.Features, model.Features), step);
        });

        const int Streams = 70; // more than one chunk of MaxBatchSize for every model here
        var stepInputs = new float[Streams * model.Features];
        var stepOutputs = new float[Streams * model.OutputUnits];
        var states = new float[Streams * model.StreamStateLength];
        Allocations.AssertNone(() => model.Step(stepInputs, stepOutputs, states, Streams));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TrainBatch_allocates_nothing(string name)
    {
        ISequenceModel model = Create(name);
        int batch = Math.Min(3, model.MaxBatchSize);
        var trainer = new Trainer<ISequenceModel>(model, new Adam(1e-3f), Loss.MeanSquaredError);
        var inputs = new float[batch * model.InputLength];
        var targets = new float[batch * trainer.TargetLength];
        Allocations.AssertNone(() => trainer.TrainBatch(inputs, targets, batch));
    }

    [Fact]
    public void A_whole_fit_epoch_with_its_callback_allocates_nothing()
    {
        var series = new float[300];
        for (int i = 0; i < series.Length; i++)
            series[i] = MathF.Sin(i * 0.1f);
        SequenceDataset data = TimeSeries.SlidingWindows(series, window: 10, horizon: 1);
        var trainer = new Trainer<SineForecaster>(new SineForecaster(), new Adam(1e-3f), Loss.MeanSquaredError);

        var allocated = new long[8];
        trainer.Fit(data, epochs: allocated.Length, batchSize: 16, validationSplit: 0.2f, onEpochEnd: result =>
            allocated[result.Epoch - 1] = GC.GetAllocatedBytesForCurrentThread());
        // From epoch 3 on the epochs run warm: nothing allocated between their callbacks.
        long[] perEpoch = [.. allocated.Skip(2).Zip(allocated.Skip(3), (before, after) => after - before)];
        Allocations.AssertSteadyState(perEpoch);
    }

    [Fact]
    public void A_second_fit_of_the_same_size_allocates_nothing()
    {
        var series = new float[300];
        for (int i = 0; i < series.Length; i++)
            series[i] = MathF.Sin(i * 0.1f);
        SequenceDataset data = TimeSeries.SlidingWindows(series, window: 10, horizon: 1);
        var trainer = new Trainer<SineForecaster>(new SineForecaster(), new Adam(1e-3f), Loss.MeanSquaredError);
        Action<EpochResult> quiet = _ => { };
        Allocations.AssertNone(() => trainer.Fit(data, epochs: 2, batchSize: 16, validationSplit: 0.2f, onEpochEnd: quiet));
        Assert.Equal(2, trainer.History.Epochs.Count);
    }
}
