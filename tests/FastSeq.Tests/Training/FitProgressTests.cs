using System.Globalization;

namespace FastSeq.Tests.Training;

/// <summary>
/// Fit's own progress: on a terminal, a bar redrawn in place with <c>\r</c> (throttled) and then the epoch's line over it;
/// redirected, the epoch's lines only, as before the bar existed. Neither mode allocates per batch.
/// </summary>
public class FitProgressTests
{
    private static readonly SequenceDataset s_data = SyntheticTasks.SumSign(count: 60, timesteps: SumSignLogit.Timesteps, seed: 4);

    private static StringWriter Writer() => new(CultureInfo.InvariantCulture) { NewLine = "\n" };

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    private static EpochResult Epoch(int epoch, int epochs, float loss, double milliseconds) =>
        new(epoch, epochs, loss, ValidationLoss: null, Accuracy: null, ValidationAccuracy: null, Ms(milliseconds));

    [Fact]
    public void Redirected_it_writes_each_epochs_line_only()
    {
        using StringWriter output = Writer();
        var progress = new FitProgress(output, isTerminal: false);
        for (int batch = 1; batch <= 31; batch++)
            progress.BatchEnd(3, 30, batch, 31, 0.0123f, Ms(batch * 200));
        EpochResult result = Epoch(3, 30, 0.0123f, 6200) with { MeanAbsoluteError = 0.0871f, ValidationLoss = 0.015f, ValidationMeanAbsoluteError = 0.0954f };
        progress.EpochEnd(result);

        Assert.Equal("Epoch 3/30 - 6200ms - loss: 0.012300 - mae: 0.087100 - val_loss: 0.015000 - val_mae: 0.095400\n", output.ToString());
    }

    [Fact]
    public void On_a_terminal_it_redraws_a_bar_at_most_every_100_ms_and_on_the_last_batch_then_writes_the_epochs_line_over_it()
    {
        using StringWriter output = Writer();
        var progress = new FitProgress(output, isTerminal: true);
        progress.BatchEnd(3, 30, 1, 31, 0.9f, Ms(50));     // too soon after the epoch began
        progress.BatchEnd(3, 30, 2, 31, 0.5f, Ms(120));
        progress.BatchEnd(3, 30, 3, 31, 0.4f, Ms(180));    // too soon after the last redraw
        progress.BatchEnd(3, 30, 12, 31, 0.25f, Ms(600));
        progress.BatchEnd(3, 30, 31, 31, 0.0123f, Ms(601)); // the last batch, however soon
        progress.EpochEnd(Epoch(3, 30, 0.0123f, 1600));

        Assert.Equal(
            "\rEpoch 3/30  2/31 [=>..................] - ETA: 1s - loss: 0.500000"
            + "\rEpoch 3/30 12/31 [=======>............] - ETA: 0s - loss: 0.250000"
            + "\rEpoch 3/30 31/31 [====================] - ETA: 0s - loss: 0.012300"
            + "\rEpoch 3/30 - 1600ms - loss: 0.012300" + new string(' ', 30) + "\n",
            output.ToString());
    }

    [Fact]
    public void A_shorter_bar_is_padded_over_the_longer_one_and_each_epoch_starts_unthrottled_from_its_own_time()
    {
        using StringWriter output = Writer();
        var progress = new FitProgress(output, isTerminal: true);
        progress.BatchEnd(1, 2, 1, 2, 0.5f, Ms(100));
        progress.EpochEnd(Epoch(1, 2, 0.5f, 250));
        progress.BatchEnd(2, 2, 1, 100, 10f, Ms(99));       // the new epoch's clock: too soon
        progress.BatchEnd(2, 2, 1, 100, 10f, Ms(1000));
        progress.BatchEnd(2, 2, 100, 100, 0.5f, Ms(2000));

        Assert.Equal(
            "\rEpoch 1/2 1/2 [==========>.........] - ETA: 0s - loss: 0.500000"
            + "\rEpoch 1/2 - 250ms - loss: 0.500000" + new string(' ', 29) + "\n"
            + "\rEpoch 2/2   1/100 [>...................] - ETA: 1:39 - loss: 10.000000"
            + "\rEpoch 2/2 100/100 [====================] - ETA: 0s - loss: 0.500000   ",
            output.ToString());
    }

    [Theory]
    [InlineData(2, "ETA: 1s")]
    [InlineData(70, "ETA: 1:09")]
    [InlineData(20_001, "ETA: 5:33:20")]
    public void The_eta_is_the_mean_time_per_batch_times_the_batches_left_as_Keras_writes_it(int batches, string eta)
    {
        using StringWriter output = Writer();
        new FitProgress(output, isTerminal: true).BatchEnd(1, 1, 1, batches, 0f, TimeSpan.FromSeconds(1));
        Assert.Contains($"] - {eta} - loss: ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_redirected_writes_exactly_the_epochs_lines()
    {
        using StringWriter output = Writer();
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits)
        {
            Progress = new FitProgress(output, isTerminal: false),
        };
        TrainingHistory history = trainer.Fit(s_data, epochs: 3, batchSize: 8, validationSplit: 0.2f);

        Assert.Equal(string.Concat(history.Epochs.Select(e => e + "\n")), output.ToString());
    }

    [Fact]
    public void Fit_on_a_terminal_ends_each_epoch_with_a_full_bar_then_the_epochs_line()
    {
        using StringWriter output = Writer();
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits)
        {
            Progress = new FitProgress(output, isTerminal: true),
        };
        TrainingHistory history = trainer.Fit(s_data, epochs: 3, batchSize: 8, validationSplit: 0.2f);

        // 48 training samples in batches of 8: 6 batches; how many bars come before the full one depends on the time taken.
        string[] lines = output.ToString().Split('\n');
        Assert.Equal(history.Epochs.Count + 1, lines.Length);
        Assert.Equal("", lines[^1]);
        for (int i = 0; i < history.Epochs.Count; i++)
        {
            EpochResult result = history.Epochs[i];
            string[] redraws = lines[i].Split('\r');
            Assert.Equal("", redraws[0]);
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"Epoch {result.Epoch}/3 6/6 [====================] - ETA: 0s - loss: {result.Loss:0.000000}"), redraws[^2].TrimEnd());
            Assert.Equal(result.ToString(), redraws[^1].TrimEnd());
        }
    }

    [Fact]
    public void Fit_with_onEpochEnd_writes_no_progress()
    {
        using StringWriter output = Writer();
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-2f), Loss.BinaryCrossEntropyFromLogits)
        {
            Progress = new FitProgress(output, isTerminal: true),
        };
        int epochs = 0;
        trainer.Fit(s_data, epochs: 2, batchSize: 8, onEpochEnd: _ => epochs++);

        Assert.Equal(2, epochs);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void Redrawing_the_bar_allocates_nothing()
    {
        var progress = new FitProgress(TextWriter.Null, isTerminal: true);
        Allocations.AssertNone(() =>
        {
            // Every batch a second apart: each one redraws.
            for (int batch = 1; batch <= 50; batch++)
                progress.BatchEnd(7, 10, batch, 50, 1f / batch, TimeSpan.FromSeconds(batch));
        });
    }

    [Fact]
    public void Redirected_Fit_allocates_per_epoch_line_not_per_batch()
    {
        var trainer = new Trainer<SumSignLogit>(new SumSignLogit(seed: 1), new Adam(1e-3f), Loss.BinaryCrossEntropyFromLogits)
        {
            Progress = new FitProgress(TextWriter.Null, isTerminal: false),
        };
        long Allocated(int batchSize)
        {
            trainer.Fit(s_data, epochs: 1, batchSize: batchSize); // warm-up
            long before = GC.GetAllocatedBytesForCurrentThread();
            trainer.Fit(s_data, epochs: 1, batchSize: batchSize);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        // 60 batches against 6: a few bytes of difference come from the epoch's line (its milliseconds), none from the batches.
        long few = Allocated(batchSize: 10), many = Allocated(batchSize: 1);
        Assert.InRange(many - few, -64, 64);
    }
}
