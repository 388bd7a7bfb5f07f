using FastSeq.Layers;

namespace FastSeq.Tests.Layers;

public class SoftmaxTests
{
    [Fact]
    public void Rows_match_the_plain_formula_and_sum_to_one()
    {
        float[] logits = [1f, 2f, 3f, -1f, 0.5f, 0f];
        float[] probabilities = new float[6];
        Softmax.Apply(logits, 3, probabilities);
        for (int row = 0; row < 2; row++)
        {
            double sum = 0;
            for (int j = 0; j < 3; j++)
                sum += Math.Exp(logits[row * 3 + j]);
            for (int j = 0; j < 3; j++)
                Assert.Equal(Math.Exp(logits[row * 3 + j]) / sum, probabilities[row * 3 + j], 1e-6);
        }
    }

    [Fact]
    public void Large_logits_do_not_overflow_and_may_be_overwritten_in_place()
    {
        float[] logits = [1000f, 999f, -1000f];
        Softmax.Apply(logits, 3, logits);
        Assert.Equal(1 / (1 + Math.Exp(-1)), logits[0], 1e-6);
        Assert.Equal(Math.Exp(-1) / (1 + Math.Exp(-1)), logits[1], 1e-6);
        Assert.Equal(0f, logits[2]);
    }

    [Fact]
    public void Partial_rows_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Softmax.Apply(new float[7], 3, new float[7]));
        Assert.Equal("logits", e.ParamName);
    }
}
