using System.Globalization;
using FastSeq.IO;

namespace FastSeq;

/// <summary>
/// A training checkpoint: one safetensors file holding the model's weights under their PyTorch names (so that
/// <see cref="ISequenceModel.LoadWeights"/> with <c>allowUnexpectedTensors</c> reads it as a weight file), the optimizer's
/// state as <c>optimizer.NAME</c> tensors in the model's flat layout, and in its metadata the epochs done, the optimizer's
/// type, <see cref="Optimizer.Iterations"/> and <see cref="Optimizer.LearningRate"/>. Saving is crash-safe; loading is all
/// or nothing.
/// </summary>
internal static class TrainingCheckpoint
{
    private const string FormatKey = "format";
    private const string Format = "fastseq.checkpoint.v1";
    private const string EpochKey = "epoch";
    private const string OptimizerKey = "optimizer";
    private const string IterationsKey = "optimizer.iterations";
    private const string LearningRateKey = "optimizer.learning_rate";
    private const string OptimizerPrefix = "optimizer.";

    public static void Save(string path, ISequenceModel model, Optimizer optimizer, int epoch)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = Format,
            [EpochKey] = epoch.ToString(CultureInfo.InvariantCulture),
            [OptimizerKey] = optimizer.GetType().FullName!,
            [IterationsKey] = optimizer.Iterations.ToString(CultureInfo.InvariantCulture),
            [LearningRateKey] = optimizer.LearningRate.ToString("R", CultureInfo.InvariantCulture),
        };
        SafeTensorsFile file = WeightFile.ToFile(model.StateDict, model.Parameters, metadata);
        foreach (KeyValuePair<string, float[]> buffer in optimizer.CheckpointBuffers)
        {
            if (buffer.Value.Length > 0)
                file.Add(OptimizerPrefix + buffer.Key, [buffer.Value.Length], buffer.Value);
        }
        using var bytes = new MemoryStream();
        file.Write(bytes);
        AtomicFile.WriteAllBytes(path, bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
    }

    /// <summary>Restores the model's weights and the optimizer's state from <paramref name="path"/>; returns the epochs it had done.</summary>
    /// <exception cref="InvalidDataException">The file is no checkpoint of this model and optimizer; nothing has changed.</exception>
    public static int Load(string path, ISequenceModel model, Optimizer optimizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(FormatKey, out string? format) || format != Format)
            throw new InvalidDataException($"'{path}' is not a FastSeq checkpoint: its metadata has no '{FormatKey}': '{Format}' (a weight file loads with LoadWeights).");
        string optimizerType = Metadata(file, OptimizerKey, path);
        if (optimizerType != optimizer.GetType().FullName)
            throw new InvalidDataException($"'{path}' holds the state of a {optimizerType}, but the trainer's optimizer is a {optimizer.GetType().FullName}.");
        long epoch = Number(file, EpochKey, path);
        if (epoch > int.MaxValue)
            throw new InvalidDataException($"'{path}' has metadata '{EpochKey}' {epoch}, more epochs than an int counts.");
        long iterations = Number(file, IterationsKey, path);
        if (!float.TryParse(Metadata(file, LearningRateKey, path), NumberStyles.Float, CultureInfo.InvariantCulture, out float learningRate) ||
            !(learningRate > 0f) || !float.IsFinite(learningRate))
            throw new InvalidDataException($"'{path}' has metadata '{LearningRateKey}' that is not a positive finite number.");

        // Everything is decoded and checked into staging copies before the model or the optimizer change.
        float[] parameters = model.Parameters.ToArray();
        WeightFile.Load(file, model.StateDict, parameters, allowUnexpectedTensors: true);
        IReadOnlyList<KeyValuePair<string, float[]>> buffers = optimizer.CheckpointBuffers;
        var staged = new float[buffers.Count][];
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (StateDictEntry entry in model.StateDict)
            expected.Add(entry.Name);
        for (int i = 0; i < buffers.Count; i++)
        {
            (string name, float[] buffer) = (OptimizerPrefix + buffers[i].Key, buffers[i].Value);
            if (buffer.Length == 0)
                continue;
            expected.Add(name);
            if (!file.TryGetTensor(name, out SafeTensor? tensor))
                throw new InvalidDataException($"'{path}' lacks the optimizer tensor '{name}' that this {optimizer.GetType().Name} keeps.");
            if (tensor.Shape.Count != 1 || tensor.Shape[0] != buffer.Length)
                throw new InvalidDataException($"'{path}' has '{name}' of shape {SafeTensor.Format(tensor.Shape)}; expected [{buffer.Length}].");
            staged[i] = tensor.ToFloatArray();
            WeightFile.CheckFinite(name, staged[i]);
        }
        WeightFile.CheckNoUnexpectedTensors(file, expected);

        parameters.CopyTo(model.Parameters);
        for (int i = 0; i < buffers.Count; i++)
            staged[i]?.CopyTo(buffers[i].Value, 0);
        optimizer.RestoreIterations(iterations);
        optimizer.LearningRate = learningRate;
        return (int)epoch;
    }

    private static string Metadata(SafeTensorsFile file, string key, string path) =>
        file.Metadata.TryGetValue(key, out string? value) ? value : throw new InvalidDataException($"'{path}' has no metadata '{key}'.");

    private static long Number(SafeTensorsFile file, string key, string path) =>
        long.TryParse(Metadata(file, key, path), NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new InvalidDataException($"'{path}' has metadata '{key}' that is not a non-negative whole number.");
}
