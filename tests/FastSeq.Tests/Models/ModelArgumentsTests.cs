using FastSeq.Models;

namespace FastSeq.Tests.Models;

/// <summary>The overlap test that the generated Step and the layers' argument checks use gives MemoryExtensions.Overlaps' answer.</summary>
public class ModelArgumentsTests
{
    [Fact]
    public void Overlap_answers_as_MemoryExtensions_Overlaps_for_every_pair_of_slices()
    {
        float[] buffer = new float[12], other = new float[4];
        var slices = new List<(int Start, int Length)>();
        for (int start = 0; start <= buffer.Length; start++)
        {
            for (int length = 0; start + length <= buffer.Length; length++)
                slices.Add((start, length));
        }
        foreach ((int Start, int Length) a in slices)
        {
            ReadOnlySpan<float> first = buffer.AsSpan(a.Start, a.Length);
            Assert.False(ModelArguments.Overlap(first, other));
            Assert.False(ModelArguments.Overlap(other, first));
            foreach ((int Start, int Length) b in slices)
            {
                ReadOnlySpan<float> second = buffer.AsSpan(b.Start, b.Length);
                Assert.True(first.Overlaps(second) == ModelArguments.Overlap(first, second), $"[{a.Start}, +{a.Length}) and [{b.Start}, +{b.Length})");
            }
        }
    }
}
