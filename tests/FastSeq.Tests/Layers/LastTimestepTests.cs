using FastSeq.Layers;

namespace FastSeq.Tests.Layers;

public class LastTimestepTests
{
    [Fact]
    public void Copy_takes_the_last_timestep_and_Scatter_puts_it_back_among_zeros()
    {
        // [B = 2, T = 3, H = 2]: value = 100b + 10t + j.
        float[] sequence = [0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121];
        float[] last = new float[4];

        LastTimestep.Copy(sequence, 3, 2, last);
        Assert.Equal([20, 21, 120, 121], last);

        float[] scattered = [.. Enumerable.Repeat(7f, 12)];
        LastTimestep.Scatter(last, 3, 2, scattered);
        Assert.Equal([0, 0, 0, 0, 20, 21, 0, 0, 0, 0, 120, 121], scattered);
    }

    [Theory]
    [InlineData(12, 3, 2, 5)]    // last is not whole rows of H
    [InlineData(12, 3, 2, 6)]    // whole rows, but not a third of the sequence
    [InlineData(13, 3, 2, 4)]    // the sequence has a float too many
    [InlineData(12, 0, 2, 4)]
    [InlineData(12, 3, 0, 4)]
    public void Mismatched_lengths_are_rejected_with_both_sizes(int sequenceLength, int timesteps, int units, int lastLength)
    {
        var copy = Assert.Throws<ArgumentException>(() => LastTimestep.Copy(new float[sequenceLength], timesteps, units, new float[lastLength]));
        var scatter = Assert.Throws<ArgumentException>(() => LastTimestep.Scatter(new float[lastLength], timesteps, units, new float[sequenceLength]));

        Assert.Contains($"[B, {timesteps}, {units}]", copy.Message, StringComparison.Ordinal);
        Assert.Contains($"({lastLength}), but holds {sequenceLength}.", copy.Message, StringComparison.Ordinal);
        Assert.Equal(copy.Message, scatter.Message);
    }
}
