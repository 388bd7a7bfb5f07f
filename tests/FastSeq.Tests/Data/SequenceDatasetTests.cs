namespace FastSeq.Tests.Data;

public class SequenceDatasetTests
{
    /// <summary>N samples of [T = 2, F = 1] where sample i holds (i, i + 0.5) and target 10·i.</summary>
    private static SequenceDataset Numbered(int count)
    {
        float[] inputs = new float[count * 2];
        float[] targets = new float[count];
        for (int i = 0; i < count; i++)
        {
            inputs[2 * i] = i;
            inputs[2 * i + 1] = i + 0.5f;
            targets[i] = 10 * i;
        }
        return new SequenceDataset(inputs, targets, timesteps: 2, features: 1);
    }

    private static void AssertSamplesIntact(SequenceDataset dataset)
    {
        for (int s = 0; s < dataset.Count; s++)
        {
            float id = dataset.Inputs[2 * s];
            Assert.Equal(id + 0.5f, dataset.Inputs[2 * s + 1]);
            Assert.Equal(10 * id, dataset.Targets[s]);
        }
    }

    [Fact]
    public void Constructor_ReadsTheShape()
    {
        var dataset = new SequenceDataset(new float[4 * 3 * 2], new float[4 * 5], timesteps: 3, features: 2, targetLength: 5);

        Assert.Equal(4, dataset.Count);
        Assert.Equal(3, dataset.Timesteps);
        Assert.Equal(2, dataset.Features);
        Assert.Equal(5, dataset.TargetLength);
    }

    [Fact]
    public void Constructor_RejectsMismatchedLengthsNamingTheSizes()
    {
        var inputs = Assert.Throws<ArgumentException>(() => new SequenceDataset(new float[7], new float[1], timesteps: 3, features: 2));
        Assert.Contains("7", inputs.Message);
        Assert.Contains("6", inputs.Message);
        var targets = Assert.Throws<ArgumentException>(() => new SequenceDataset(new float[12], new float[3], timesteps: 3, features: 2));
        Assert.Contains("3", targets.Message);
        Assert.Contains("2", targets.Message);
        Assert.Throws<ArgumentException>(() => new SequenceDataset(new float[6], new float[1], timesteps: 0, features: 2));
    }

    [Fact]
    public void Slice_CopiesTheRequestedSamples()
    {
        SequenceDataset dataset = Numbered(5);

        SequenceDataset slice = dataset.Slice(1, 3);

        Assert.Equal(3, slice.Count);
        Assert.Equal([1f, 1.5f, 2f, 2.5f, 3f, 3.5f], slice.Inputs);
        Assert.Equal([10f, 20f, 30f], slice.Targets);
        Assert.NotSame(dataset.Inputs, slice.Inputs);
        Assert.Throws<ArgumentException>(() => dataset.Slice(3, 3));
        Assert.Throws<ArgumentException>(() => dataset.Slice(-1, 2));
    }

    [Fact]
    public void SplitLast_TakesTheLastFractionAsKerasValidationSplitDoes()
    {
        SequenceDataset dataset = Numbered(10);

        (SequenceDataset train, SequenceDataset validation) = dataset.SplitLast(0.2f);

        Assert.Equal(8, train.Count);
        Assert.Equal(2, validation.Count);
        Assert.Equal(dataset.Inputs[..16], train.Inputs);
        Assert.Equal([80f, 90f], validation.Targets);
    }

    [Theory]
    [InlineData(10, 0.25f, 3)] // Keras: split_at = floor(10 · 0.75) = 7
    [InlineData(10, 0.1f, 1)]
    [InlineData(10, 0.3f, 3)]
    [InlineData(990, 0.2f, 198)]
    [InlineData(3, 0.5f, 2)]
    public void SplitLast_ValidationCountFollowsKeras(int count, float fraction, int expectedValidation)
    {
        (SequenceDataset train, SequenceDataset validation) = Numbered(count).SplitLast(fraction);

        Assert.Equal(expectedValidation, validation.Count);
        Assert.Equal(count - expectedValidation, train.Count);
    }

    [Fact]
    public void Split_IsAShuffledPartitionThatDependsOnlyOnTheSeed()
    {
        SequenceDataset dataset = Numbered(50);

        (SequenceDataset train, SequenceDataset validation) = dataset.Split(0.2f, seed: 42);
        (SequenceDataset trainAgain, SequenceDataset validationAgain) = dataset.Split(0.2f, seed: 42);
        (SequenceDataset otherTrain, _) = dataset.Split(0.2f, seed: 7);

        Assert.Equal(40, train.Count);
        Assert.Equal(10, validation.Count);
        AssertSamplesIntact(train);
        AssertSamplesIntact(validation);
        float[] ids = [.. train.Targets, .. validation.Targets];
        Assert.Equal(Enumerable.Range(0, 50).Select(i => 10f * i), ids.Order());
        Assert.Equal(train.Inputs, trainAgain.Inputs);
        Assert.Equal(validation.Targets, validationAgain.Targets);
        Assert.NotEqual(train.Targets, otherTrain.Targets);
        Assert.NotEqual(dataset.Targets[..40], train.Targets);
    }

    [Fact]
    public void Split_RejectsFractionsThatLeaveAPartEmpty()
    {
        SequenceDataset dataset = Numbered(4);

        Assert.Throws<ArgumentException>(() => dataset.Split(0f, 1));
        Assert.Throws<ArgumentException>(() => dataset.Split(1f, 1));
        Assert.Throws<ArgumentException>(() => dataset.SplitLast(float.NaN));
        var empty = Assert.Throws<ArgumentException>(() => Numbered(1).SplitLast(0.5f));
        Assert.Contains("1", empty.Message);
    }
}
