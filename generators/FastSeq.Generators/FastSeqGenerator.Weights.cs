using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using FastSeq.Generators.Helpers;
using FastSeq.Generators.Model;
using FastSeq.IO;
using Microsoft.CodeAnalysis;

namespace FastSeq.Generators;

/// <summary>
/// A <c>.safetensors</c> file among the AdditionalFiles: its path and its bytes, or why they could not be
/// read. The pipeline carries the bytes, not just the path, so that an edited file re-embeds.
/// </summary>
internal sealed record AdditionalWeightsFile(string Path, EquatableArray<byte> Bytes, string? ReadError)
{
    public static AdditionalWeightsFile Read(AdditionalText text, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // Binary AdditionalFiles have no SourceText, so the generator reads the file the compiler was given itself.
#pragma warning disable RS1035 // Do not use APIs banned for analyzers
            return new AdditionalWeightsFile(text.Path, new EquatableArray<byte>(ImmutableArray.Create(File.ReadAllBytes(text.Path))), null);
#pragma warning restore RS1035
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new AdditionalWeightsFile(text.Path, EquatableArray<byte>.Empty, e.Message);
        }
    }
}

/// <summary>What the generator makes of a weights file: the tensors' bytes to embed, or a diagnostic and the problems it names.</summary>
internal sealed record WeightsReading(byte[]? Tensors, DiagnosticDescriptor? Error, IReadOnlyList<string> Problems);

public sealed partial class FastSeqGenerator
{
    /// <summary>
    /// For a model declared with <c>Weights = "file.safetensors"</c>: finds the file among the
    /// AdditionalFiles, checks it as LoadWeights would, and keeps the bytes of the tensors the model
    /// needs, in state-dict order, to embed in the generated code.
    /// </summary>
    private static ModelResult EmbedWeights(ModelResult result, ImmutableArray<AdditionalWeightsFile> additionalFiles)
    {
        if (result.Model is not { WeightsFile: string weights } model)
            return result;

        AdditionalWeightsFile? file = FindAdditionalFile(additionalFiles, weights);
        if (file is null)
            return Failed(DiagnosticDescriptors.WeightsNotFound, result.Location, weights);
        if (file.ReadError is string error)
            return Failed(DiagnosticDescriptors.WeightsUnreadable, result.Location, weights, error);

        WeightsReading reading = ReadWeights(file.Bytes.Items.ToArray(), ExpectedTensors(model));
        return reading.Tensors is null
            ? result with { Model = null, Diagnostics = reading.Problems.Select(p => Diagnostic(reading.Error!, result.Location, weights, p)).ToEquatableArray() }
            : result with { Model = model with { EmbeddedWeights = reading.Tensors.ToEquatableArray() } };
    }

    /// <summary>
    /// Checks <paramref name="file"/> with the runtime's own header reader, then each expected tensor as
    /// <c>WeightFile.Load</c> does (present, shape, F32, finite values), with the same messages. Never throws
    /// on bad bytes: an exception would cost every model of the compilation its code.
    /// </summary>
    internal static WeightsReading ReadWeights(byte[] file, IEnumerable<(string Name, int[] Shape)> expected)
    {
        SafeTensorsHeader header;
        try
        {
            header = SafeTensorsHeader.Parse(file, file.Length);
        }
        catch (InvalidDataException e)
        {
            return new WeightsReading(null, DiagnosticDescriptors.WeightsUnreadable, [e.Message]);
        }

        var tensors = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        var embedded = new List<byte>();
        foreach ((string name, int[] shape) in expected)
        {
            if (!tensors.TryGetValue(name, out TensorHeader? tensor))
            {
                problems.Add(SafeTensorsHeader.MissingTensorMessage(name, shape));
                continue;
            }

            if (!tensor.Shape.SequenceEqual(shape))
            {
                problems.Add(SafeTensorsHeader.WrongShapeMessage(name, tensor.Shape, shape));
                continue;
            }

            if (tensor.DType != SafeTensorsHeader.Float32)
            {
                problems.Add(SafeTensorsHeader.WrongDTypeMessage(name, tensor.DType));
                continue;
            }

            int start = header.DataStart + tensor.Begin;
            int index = SafeTensorsHeader.IndexOfNonFinite(file, start, tensor.ElementCount, out int bits);
            if (index >= 0)
            {
                problems.Add(SafeTensorsHeader.NonFiniteMessage(name, index, bits));
                continue;
            }

            embedded.AddRange(new ArraySegment<byte>(file, start, tensor.End - tensor.Begin));
        }

        return problems.Count > 0
            ? new WeightsReading(null, DiagnosticDescriptors.WeightsMismatch, problems)
            : new WeightsReading([.. embedded], null, []);
    }

    /// <summary>PyTorch state_dict names and shapes, in the order the generated state dict lists them (the layer catalogue's).</summary>
    private static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(ModelSpec model) =>
        model.Layers.SelectMany(layer => layer.Info.Tensors(layer.Name, layer.Inputs, layer.Units, layer.Bidirectional).Select(tensor => (tensor.Name, tensor.Shape)));

    /// <summary>The AdditionalFiles item whose path is, or ends with, the declared one.</summary>
    private static AdditionalWeightsFile? FindAdditionalFile(ImmutableArray<AdditionalWeightsFile> files, string declared)
    {
        string wanted = declared.Replace('\\', '/').TrimStart('.', '/');
        foreach (AdditionalWeightsFile file in files)
        {
            string normalized = file.Path.Replace('\\', '/');
            if (normalized == wanted || normalized.EndsWith("/" + wanted, StringComparison.Ordinal))
                return file;
        }
        return null;
    }

    private static ModelResult Failed(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(null, new[] { Diagnostic(descriptor, location, arguments) }.ToEquatableArray(), location);
}
