namespace FastSeq.Tests.Training;

/// <summary>Inputs for loss tests and plain double-precision references to check the losses against.</summary>
internal static class LossTestData
{
    public static Loss ByName(string name) => name switch
    {
        "MeanSquaredError" => Loss.MeanSquaredError,
        "BinaryCrossEntropy" => Loss.BinaryCrossEntropy,
        "BinaryCrossEntropyFromLogits" => Loss.BinaryCrossEntropyFromLogits,
        "SparseCategoricalCrossEntropy" => Loss.SparseCategoricalCrossEntropy,
        "SparseCategoricalCrossEntropyFromLogits" => Loss.SparseCategoricalCrossEntropyFromLogits,
        "MeanAbsoluteError" => Loss.MeanAbsoluteError,
        "Huber" => Loss.Huber,
        "CategoricalCrossEntropy" => Loss.CategoricalCrossEntropy,
        "CategoricalCrossEntropyFromLogits" => Loss.CategoricalCrossEntropyFromLogits,
        _ => throw new ArgumentException(name, nameof(name)),
    };

    /// <summary>Logits suited to the loss: probabilities in [0.05, 0.95] when BCE reads the outputs as probabilities.</summary>
    public static float[] Logits(Loss loss, Activation activation, int length, int seed)
    {
        var random = new Random(seed);
        bool probabilities = loss == Loss.BinaryCrossEntropy && activation != Activation.Sigmoid;
        float[] logits = new float[length];
        for (int i = 0; i < length; i++)
            logits[i] = probabilities ? 0.05f + 0.9f * (float)random.NextDouble() : (float)(random.NextDouble() * 6 - 3);
        return logits;
    }

    public static float[] Targets(Loss loss, int length, int units, int seed)
    {
        var random = new Random(seed);
        float[] targets = new float[loss.TargetLength(length, units)];
        if (IsCategorical(loss))
        {
            // One-hot rows.
            for (int offset = 0; offset < targets.Length; offset += units)
                targets[offset + random.Next(units)] = 1f;
            return targets;
        }
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = !loss.IsClassification ? (float)(random.NextDouble() * 4 - 2)
                : IsSparse(loss) ? random.Next(units)
                : random.Next(2);
        }
        return targets;
    }

    /// <summary>The output layer's activation applied to logits <c>[rows, units]</c>.</summary>
    public static float[] Activate(ReadOnlySpan<float> logits, int units, Activation activation)
    {
        float[] outputs = new float[logits.Length];
        for (int offset = 0; offset < logits.Length; offset += units)
        {
            double max = double.NegativeInfinity;
            double sum = 0;
            for (int j = 0; j < units; j++)
                max = Math.Max(max, logits[offset + j]);
            for (int j = 0; j < units; j++)
                sum += Math.Exp(logits[offset + j] - max);
            for (int j = 0; j < units; j++)
            {
                double z = logits[offset + j];
                outputs[offset + j] = (float)(activation switch
                {
                    Activation.Linear => z,
                    Activation.Sigmoid => 1 / (1 + Math.Exp(-z)),
                    Activation.Tanh => Math.Tanh(z),
                    Activation.Relu => Math.Max(z, 0),
                    Activation.Softmax => Math.Exp(z - max) / sum,
                    _ => throw new ArgumentException(activation.ToString(), nameof(activation)),
                });
            }
        }
        return outputs;
    }

    /// <summary>The mean loss in double, from the definitions (which inputs a loss reads depends on the activation).</summary>
    public static double Reference(Loss loss, ReadOnlySpan<float> outputs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int units, Activation activation)
    {
        double sum = 0;
        if (!loss.IsClassification)
        {
            for (int i = 0; i < outputs.Length; i++)
            {
                double d = (double)outputs[i] - targets[i];
                sum += loss == Loss.MeanSquaredError ? d * d
                    : loss == Loss.MeanAbsoluteError ? Math.Abs(d)
                    : Math.Abs(d) <= 1 ? 0.5 * d * d : Math.Abs(d) - 0.5;
            }
            return sum / outputs.Length;
        }
        if (IsSparse(loss) || IsCategorical(loss))
        {
            // The from-logits forms read the outputs as logits.
            ReadOnlySpan<float> z = loss.Name.EndsWith("FromLogits", StringComparison.Ordinal) ? outputs : logits;
            int rows = outputs.Length / units;
            for (int r = 0; r < rows; r++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < units; j++)
                    max = Math.Max(max, z[r * units + j]);
                double exps = 0;
                for (int j = 0; j < units; j++)
                    exps += Math.Exp(z[r * units + j] - max);
                for (int j = 0; j < units; j++)
                {
                    double y = IsSparse(loss) ? (j == (int)targets[r] ? 1 : 0) : targets[r * units + j];
                    sum += y * (max + Math.Log(exps) - z[r * units + j]);
                }
            }
            return sum / rows;
        }
        bool fromLogits = loss == Loss.BinaryCrossEntropyFromLogits || activation == Activation.Sigmoid;
        ReadOnlySpan<float> values = loss == Loss.BinaryCrossEntropy && activation == Activation.Sigmoid ? logits : outputs;
        for (int i = 0; i < values.Length; i++)
        {
            double y = targets[i];
            if (fromLogits)
            {
                double z = values[i];
                // log(1 + e^z) - z·y, with log(1 + e^z) = max(z, 0) + log(1 + e^-|z|)
                sum += Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z))) - z * y;
            }
            else
            {
                double p = Math.Clamp(values[i], 1e-7f, 1f - 1e-7f);
                sum -= y * Math.Log(p) + (1 - y) * Math.Log(1 - p);
            }
        }
        return sum / values.Length;
    }

    public static bool IsSparse(Loss loss) => loss == Loss.SparseCategoricalCrossEntropy || loss == Loss.SparseCategoricalCrossEntropyFromLogits;

    public static bool IsCategorical(Loss loss) => loss == Loss.CategoricalCrossEntropy || loss == Loss.CategoricalCrossEntropyFromLogits;
}
