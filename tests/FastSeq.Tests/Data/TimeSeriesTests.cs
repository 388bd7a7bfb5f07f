namespace FastSeq.Tests.Data;

public class TimeSeriesTests
{
    private static float[] Ramp(int length)
    {
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = i;
        return values;
    }

    [Fact]
    public void SlidingWindows_Of1000ValuesWithWindow10_Gives990Samples()
    {
        SequenceDataset dataset = TimeSeries.SlidingWindows(Ramp(1000), window: 10, horizon: 1);

        Assert.Equal(990, dataset.Count);
        Assert.Equal(10, dataset.Timesteps);
        Assert.Equal(1, dataset.Features);
        Assert.Equal(1, dataset.TargetLength);
        Assert.Equal(990 * 10, dataset.Inputs.Length);
        Assert.Equal(990, dataset.Targets.Length);
        // The last sample ends at value 998 and predicts 999.
        Assert.Equal(Ramp(999)[989..], dataset.Inputs[(989 * 10)..]);
        Assert.Equal(999f, dataset.Targets[989]);
    }

    [Fact]
    public void SlidingWindows_ExactContents()
    {
        float[] series = [10f, 11f, 12f, 13f, 14f, 15f];

        SequenceDataset dataset = TimeSeries.SlidingWindows(series, window: 3, horizon: 2);

        // N = 6 - 3 - 2 + 1 = 2; y = series[i + 3 - 1 + 2].
        Assert.Equal(2, dataset.Count);
        Assert.Equal([10f, 11f, 12f, 11f, 12f, 13f], dataset.Inputs);
        Assert.Equal([14f, 15f], dataset.Targets);
    }

    [Fact]
    public void SlidingWindows_DefaultHorizonIsTheNextValue()
    {
        SequenceDataset dataset = TimeSeries.SlidingWindows([1f, 2f, 3f, 4f], 2);

        Assert.Equal([1f, 2f, 2f, 3f], dataset.Inputs);
        Assert.Equal([3f, 4f], dataset.Targets);
    }

    [Fact]
    public void SlidingWindows_Multivariate_ExactContents()
    {
        // [length 5, features 2]: row t = (t, 100 + t).
        float[] series = [0f, 100f, 1f, 101f, 2f, 102f, 3f, 103f, 4f, 104f];

        SequenceDataset dataset = TimeSeries.SlidingWindows(series, features: 2, targetFeature: 1, window: 2, horizon: 1);

        Assert.Equal(3, dataset.Count);
        Assert.Equal(2, dataset.Timesteps);
        Assert.Equal(2, dataset.Features);
        Assert.Equal([0f, 100f, 1f, 101f, 1f, 101f, 2f, 102f, 2f, 102f, 3f, 103f], dataset.Inputs);
        Assert.Equal([102f, 103f, 104f], dataset.Targets);
    }

    [Fact]
    public void SlidingWindows_SmallestSeries_GivesOneSample()
    {
        SequenceDataset dataset = TimeSeries.SlidingWindows([1f, 2f, 3f], window: 2, horizon: 1);

        Assert.Equal(1, dataset.Count);
    }

    [Fact]
    public void SlidingWindows_RejectsBadArgumentsNamingTheSizes()
    {
        var tooShort = Assert.Throws<ArgumentException>(() => TimeSeries.SlidingWindows(Ramp(10), window: 10, horizon: 1));
        Assert.Contains("10", tooShort.Message);
        Assert.Contains("11", tooShort.Message);
        Assert.Throws<ArgumentException>(() => TimeSeries.SlidingWindows(Ramp(10), window: 0));
        Assert.Throws<ArgumentException>(() => TimeSeries.SlidingWindows(Ramp(10), window: 3, horizon: 0));
        Assert.Throws<ArgumentException>(() => TimeSeries.SlidingWindows(Ramp(9), features: 2, targetFeature: 0, window: 2));
        Assert.Throws<ArgumentException>(() => TimeSeries.SlidingWindows(Ramp(10), features: 2, targetFeature: 2, window: 2));
        Assert.Throws<ArgumentException>(() => TimeSeries.SlidingWindows(Ramp(10), features: 0, targetFeature: 0, window: 2));
    }
}
