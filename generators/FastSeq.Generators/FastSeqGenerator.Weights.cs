using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using FastSeq.Generators.Helpers;
using FastSeq.Generators.Model;
using FastSeq.Generators.Parsing;

namespace FastSeq.Generators;

public sealed partial class FastSeqGenerator
{
    /// <summary>
    /// For a model declared with <c>Weights = "file.safetensors"</c>: finds the file among the
    /// AdditionalFiles, checks every tensor the model needs (name, F32, shape), and keeps their
    /// bytes, in state-dict order, to embed in the generated code.
    /// </summary>
    private static ModelResult EmbedWeights(ModelResult result, ImmutableArray<string> additionalFiles)
    {
        if (result.Model is not { WeightsFile: string weights } model)
            return result;

        string? path = FindAdditionalFile(additionalFiles, weights);
        if (path is null)
            return Failed(DiagnosticDescriptors.WeightsNotFound, result.Location, weights);

        byte[] file;
        Dictionary<string, TensorHeader> tensors;
        long dataStart;
        try
        {
            // Binary AdditionalFiles have no SourceText, so the generator reads the file the compiler was given itself.
#pragma warning disable RS1035 // Do not use APIs banned for analyzers
            file = File.ReadAllBytes(path);
#pragma warning restore RS1035
            (tensors, dataStart) = SafeTensorsHeader.Parse(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException or ArgumentException)
        {
            return Failed(DiagnosticDescriptors.WeightsUnreadable, result.Location, weights, e.Message);
        }

        var diagnostics = new List<DiagnosticInfo>();
        var embedded = new List<byte>();
        foreach ((string name, int[] shape) in ExpectedTensors(model))
        {
            long bytes = 4L * shape.Aggregate(1L, (a, b) => a * b);
            string problem;
            if (!tensors.TryGetValue(name, out TensorHeader? tensor))
                problem = $"it has no tensor '{name}' (expected shape {Format(shape)})";
            else if (tensor.DType != "F32")
                problem = $"tensor '{name}' has dtype {tensor.DType}, expected F32";
            else if (!tensor.Shape.SequenceEqual(shape))
                problem = $"tensor '{name}' has shape {Format(tensor.Shape)}, expected {Format(shape)}";
            else if (tensor.End - tensor.Begin != bytes)
                problem = $"tensor '{name}' has {tensor.End - tensor.Begin} bytes of data, expected {bytes} for its shape";
            else
            {
                embedded.AddRange(new ArraySegment<byte>(file, (int)(dataStart + tensor.Begin), (int)(tensor.End - tensor.Begin)));
                continue;
            }
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.WeightsMismatch, result.Location, weights, problem));
        }

        return diagnostics.Count > 0
            ? result with { Model = null, Diagnostics = diagnostics.ToEquatableArray() }
            : result with { Model = model with { EmbeddedWeights = embedded.ToEquatableArray() } };
    }

    /// <summary>PyTorch state_dict names and shapes, in the order the generated state dict lists them (the layer catalogue's).</summary>
    private static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(ModelSpec model) =>
        model.Layers.SelectMany(layer => layer.Info.Tensors(layer.Name, layer.Inputs, layer.Units).Select(tensor => (tensor.Name, tensor.Shape)));

    /// <summary>The AdditionalFiles item whose path is, or ends with, the declared one.</summary>
    private static string? FindAdditionalFile(ImmutableArray<string> paths, string declared)
    {
        string wanted = declared.Replace('\\', '/').TrimStart('.', '/');
        foreach (string path in paths)
        {
            string normalized = path.Replace('\\', '/');
            if (normalized == wanted || normalized.EndsWith("/" + wanted, StringComparison.Ordinal))
                return path;
        }
        return null;
    }

    private static ModelResult Failed(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(null, new[] { Diagnostic(descriptor, location, arguments) }.ToEquatableArray(), location);

    private static string Format(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";
}
