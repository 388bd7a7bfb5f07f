namespace FastSeq.Tests.Layers;

internal static class RandomTensors
{
    public static float[] Uniform(Random random, int length, float low, float high)
    {
        float[] values = new float[length];
        for (int i = 0; i < values.Length; i++)
            values[i] = low + (high - low) * random.NextSingle();
        return values;
    }
}
