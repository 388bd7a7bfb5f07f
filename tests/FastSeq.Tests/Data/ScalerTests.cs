namespace FastSeq.Tests.Data;

public class ScalerTests
{
    private static float[] RandomValues(int length, int seed)
    {
        var random = new Random(seed);
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)(random.NextDouble() * 200 - 50);
        return values;
    }

    [Fact]
    public void MinMaxScaler_KnownValues()
    {
        var scaler = new MinMaxScaler();
        float[] values = [2f, 4f, 6f, 10f];

        scaler.FitTransform(values);

        Assert.Equal([0f, 0.25f, 0.5f, 1f], values);
        Assert.Equal(2f, scaler.DataMin);
        Assert.Equal(10f, scaler.DataMax);
    }

    [Fact]
    public void MinMaxScaler_CustomRange()
    {
        var scaler = new MinMaxScaler(-1f, 1f);
        float[] scaled = new float[3];

        scaler.FitTransform([0f, 5f, 10f], scaled);

        Assert.Equal([-1f, 0f, 1f], scaled);
        Assert.Equal(5f, scaler.InverseTransform(0f));
        Assert.Equal(10f, scaler.InverseTransform(1f));
    }

    [Fact]
    public void StandardScaler_inverts_a_single_value()
    {
        var scaler = new StandardScaler();
        scaler.Fit([1f, 3f]);
        Assert.Equal(3f, scaler.InverseTransform(1f));
        Assert.Equal(2f, scaler.InverseTransform(0f));
    }

    [Fact]
    public void StandardScaler_KnownValues()
    {
        var scaler = new StandardScaler();
        float[] values = [1f, 2f, 3f, 4f, 5f];
        float[] scaled = new float[5];

        scaler.FitTransform(values, scaled);

        // mean 3, population variance 2
        Assert.Equal(3f, scaler.Mean);
        Assert.Equal(MathF.Sqrt(2f), scaler.StandardDeviation, 1e-6f);
        float[] expected = [-2f / MathF.Sqrt(2f), -1f / MathF.Sqrt(2f), 0f, 1f / MathF.Sqrt(2f), 2f / MathF.Sqrt(2f)];
        for (int i = 0; i < 5; i++)
            Assert.Equal(expected[i], scaled[i], 1e-6f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void InverseTransform_UndoesTransform(int length)
    {
        float[] values = RandomValues(length, length);
        float[] scaled = new float[length];
        float[] restored = new float[length];
        var minMax = new MinMaxScaler(-1f, 1f);
        var standard = new StandardScaler();

        minMax.FitTransform(values, scaled);
        minMax.InverseTransform(scaled, restored);
        for (int i = 0; i < length; i++)
            Assert.Equal(values[i], restored[i], 1e-4f);

        standard.FitTransform(values, scaled);
        standard.InverseTransform(scaled, restored);
        for (int i = 0; i < length; i++)
            Assert.Equal(values[i], restored[i], 1e-4f);
    }

    [Fact]
    public void InPlaceOverloads_MatchTheCopyingOnes()
    {
        float[] values = RandomValues(20, 3);
        var scaler = new StandardScaler();
        scaler.Fit(values);
        float[] copied = new float[20];
        scaler.Transform(values, copied);

        float[] inPlace = (float[])values.Clone();
        scaler.Transform(inPlace);
        Assert.Equal(copied, inPlace);

        scaler.InverseTransform(inPlace);
        scaler.InverseTransform(copied, copied);
        Assert.Equal(copied, inPlace);
    }

    [Fact]
    public void ConstantSeries_ScaleWithoutNaN()
    {
        var minMax = new MinMaxScaler();
        var standard = new StandardScaler();
        float[] a = [3f, 3f, 3f];
        float[] b = [3f, 3f, 3f];

        minMax.FitTransform(a);
        standard.FitTransform(b);

        Assert.Equal([0f, 0f, 0f], a);
        Assert.Equal([0f, 0f, 0f], b);
        Assert.Equal(0f, standard.StandardDeviation);
        minMax.InverseTransform(a);
        standard.InverseTransform(b);
        Assert.Equal([3f, 3f, 3f], a);
        Assert.Equal([3f, 3f, 3f], b);
    }

    [Fact]
    public void UsingBeforeFit_Throws()
    {
        var minMax = new MinMaxScaler();
        var standard = new StandardScaler();
        float[] values = [1f, 2f];

        Assert.Throws<InvalidOperationException>(() => minMax.Transform(values));
        Assert.Throws<InvalidOperationException>(() => minMax.InverseTransform(values, new float[2]));
        Assert.Throws<InvalidOperationException>(() => standard.Transform(values, new float[2]));
        Assert.Throws<InvalidOperationException>(() => standard.InverseTransform(values));
        Assert.Throws<InvalidOperationException>(() => standard.Mean);
        Assert.Throws<InvalidOperationException>(() => minMax.DataMin);
        Assert.False(minMax.IsFitted);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => new MinMaxScaler(1f, 1f));
        Assert.Throws<ArgumentException>(() => new MinMaxScaler().Fit([]));
        Assert.Throws<ArgumentException>(() => new StandardScaler().Fit([1f, float.NaN]));
        Assert.Throws<ArgumentException>(() => new MinMaxScaler().Fit([1f, float.PositiveInfinity]));
        var scaler = new MinMaxScaler();
        scaler.Fit([0f, 1f]);
        var wrongLength = Assert.Throws<ArgumentException>(() => scaler.Transform([0f, 1f, 2f], new float[2]));
        Assert.Contains("3", wrongLength.Message);
        Assert.Contains("2", wrongLength.Message);
    }
}
