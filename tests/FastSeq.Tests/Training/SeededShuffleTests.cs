namespace FastSeq.Tests.Training;

public class SeededShuffleTests
{
    private static int[] Shuffled(int seed, int length, int times = 1)
    {
        int[] values = [.. Enumerable.Range(0, length)];
        var shuffle = new SeededShuffle(seed);
        for (int i = 0; i < times; i++)
            shuffle.Shuffle(values);
        return values;
    }

    [Fact]
    public void Shuffles_are_permutations_fixed_by_the_seed()
    {
        Assert.Equal(Enumerable.Range(0, 100), Shuffled(1, 100).Order());
        Assert.Equal(Shuffled(1, 100), Shuffled(1, 100));
        Assert.NotEqual(Shuffled(1, 100), Shuffled(2, 100));
        Assert.NotEqual(Shuffled(1, 100, times: 1), Shuffled(1, 100, times: 2));
    }

    [Fact]
    public void Every_position_is_reached_about_equally_often()
    {
        // Where element 0 of [0..9] lands, over 20,000 shuffles: about 2,000 times in each position.
        var counts = new int[10];
        int[] values = new int[10];
        var shuffle = new SeededShuffle(7);
        for (int round = 0; round < 20_000; round++)
        {
            for (int i = 0; i < values.Length; i++)
                values[i] = i;
            shuffle.Shuffle(values);
            counts[Array.IndexOf(values, 0)]++;
        }
        Assert.All(counts, count => Assert.InRange(count, 1800, 2200));
    }
}
