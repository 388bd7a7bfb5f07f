using AddingProblem;
using FastSeq.Diagnostics;

namespace FastSeq.Tests.Samples;

/// <summary>
/// The AddingProblem sample's data and training, on sequences of 10 steps instead of its 100: the data are what the task
/// says, an LSTM learns the sum in a few epochs (well below always answering 1), and the gradient-flow report has the shape the sample draws.
/// </summary>
public class AddingProblemTests
{
    private const int Timesteps = 10;

    [Fact]
    public void Each_sequence_marks_one_value_in_each_half_and_its_target_is_their_sum()
    {
        SequenceDataset data = AddingData.Generate(500, Timesteps, seed: 3);
        Assert.Equal((500, Timesteps, AddingData.Features, 1), (data.Count, data.Timesteps, data.Features, data.TargetLength));
        for (int i = 0; i < data.Count; i++)
        {
            float[] sequence = data.Inputs[(i * Timesteps * AddingData.Features)..((i + 1) * Timesteps * AddingData.Features)];
            int[] marked = [.. Enumerable.Range(0, Timesteps).Where(t => sequence[(t * 2) + 1] == 1f)];
            Assert.Equal(2, marked.Length);
            Assert.InRange(marked[0], 0, (Timesteps / 2) - 1);
            Assert.InRange(marked[1], Timesteps / 2, Timesteps - 1);
            for (int t = 0; t < Timesteps; t++)
            {
                Assert.InRange(sequence[t * 2], 0f, 1f);
                Assert.True(sequence[(t * 2) + 1] is 0f or 1f);
            }
            Assert.Equal(sequence[marked[0] * 2] + sequence[marked[1] * 2], data.Targets[i]);
        }
        // The variance of a sum of two uniform values, 2/12, is what always answering 1 scores.
        Assert.Equal(AddingData.TrivialMeanSquaredError, AddingTraining.MeanSquaredErrorOfOne(AddingData.Generate(20_000, Timesteps, seed: 4)), 0.005f);
    }

    [Fact]
    public void A_seed_gives_the_same_sequences_and_another_seed_others()
    {
        Assert.Equal(AddingData.Generate(50, Timesteps, seed: 1).Inputs, AddingData.Generate(50, Timesteps, seed: 1).Inputs);
        Assert.NotEqual(AddingData.Generate(50, Timesteps, seed: 1).Inputs, AddingData.Generate(50, Timesteps, seed: 2).Inputs);
        Assert.Throws<ArgumentOutOfRangeException>(() => AddingData.Generate(10, timesteps: 1, seed: 1));
    }

    [Fact]
    public void An_LSTM_learns_the_sum_of_short_sequences_and_the_report_draws_its_first_and_last_epochs()
    {
        SequenceDataset train = AddingData.Generate(2000, Timesteps, seed: 1);
        SequenceDataset test = AddingData.Generate(500, Timesteps, seed: 2);
        (float mse, GradientFlowReport first, GradientFlowReport last) = AddingTraining.Train(new ShortAdderLstm(seed: 1), "LSTM", train, test, epochs: 8);

        // Always answering 1 scores about 0.17 here.
        Assert.True(mse < 0.05f, $"test MSE {mse}, trivial {AddingTraining.MeanSquaredErrorOfOne(test)}");
        LayerGradientFlow lstm = Assert.Single(GradientFlowReport.Combine(first, last).RecurrentLayers, layer => layer.Model == "LSTM, epoch 1");
        Assert.Equal(("lstm", Timesteps, 63), (lstm.Layer, lstm.HiddenStateNorms.Count, lstm.Batches));   // 2000 / 32 batches
        // Before it has learnt, the gradient fades from the last step back to the first.
        Assert.True(lstm.HiddenStateNorms[0] < lstm.HiddenStateNorms[^1], string.Join(", ", lstm.HiddenStateNorms));
        Assert.Equal("LSTM, epoch 8", Assert.Single(last.RecurrentLayers).Model);
    }
}

[SequenceModel(Timesteps = 10, Features = AddingData.Features)]
[Lstm(16)]
[Dense(1)]
public partial class ShortAdderLstm;
