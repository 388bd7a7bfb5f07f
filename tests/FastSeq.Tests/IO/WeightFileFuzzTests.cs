using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;
using FastSeq.Generators;
using FastSeq.IO;
using FastSeq.Layers;
using Xunit.Abstractions;

namespace FastSeq.Tests.IO;

/// <summary>
/// Generated weight files, valid and hostile, through LoadWeights and through the generator's embedded-weights
/// check: each either loads, or fails with an InvalidDataException (a diagnostic in the generator) naming the
/// problem, never another exception; a failed load leaves the parameters as they were; and the two accept and
/// refuse the same files with the same first message.
/// </summary>
public sealed class WeightFileFuzzTests(ITestOutputHelper output)
{
    // SimpleRnn 2 -> 3 and Dense 3 -> 1: six tensors, 22 parameters.
    private static readonly StateDictEntry[] Entries = [.. StateDict.Of(LayerCatalog.SimpleRnn, "rnn", 0, 2, 3), .. StateDict.Of(LayerCatalog.Dense, "head", 18, 3, 1)];
    private const int ParameterCount = 22;
    private static readonly (string Name, int[] Shape)[] Expected = [.. Entries.Select(e => (e.Name, e.Shape.ToArray()))];
    private static readonly float[] Before = [.. Enumerable.Range(0, ParameterCount).Select(i => (i * 0.37f) - 3f)];

    private const long FilesPerRun = 100_000;

    [Fact]
    public void Generated_files_load_or_fail_cleanly_and_the_generator_agrees()
    {
        int accepted = 0;
        var clock = Stopwatch.StartNew();
        Files().Sample(file =>
        {
            if (Check(file.Bytes))
                Interlocked.Increment(ref accepted);
        }, iter: FilesPerRun, print: file => file.ToString());
        clock.Stop();

        output.WriteLine($"{FilesPerRun} files in {clock.Elapsed.TotalSeconds:F1} s ({FilesPerRun / clock.Elapsed.TotalSeconds:F0} files/s), {accepted} accepted.");
        // Both outcomes must be common, or the generators test only one side.
        Assert.InRange(accepted, FilesPerRun / 20, FilesPerRun - (FilesPerRun / 20));
    }

    [Fact]
    public void A_valid_file_cut_at_every_length_is_refused_alike()
    {
        byte[] bytes = Build(Layout(Enumerable.Range(0, Expected.Length).ToArray()), metadata: "{\"k\":\"v\"}");
        Assert.True(Check(bytes));
        for (int length = 0; length < bytes.Length; length++)
            Assert.False(Check(bytes[..length]), $"A file cut to {length} bytes loaded.");
    }

    /// <summary>Runs one file through both readers; true when it loaded.</summary>
    private static bool Check(byte[] bytes)
    {
        // The generator's path: a diagnostic or the tensors, never an exception.
        WeightsReading reading = FastSeqGenerator.ReadWeights(bytes, Expected);

        float[] parameters = [.. Before];
        string? refusal = null;
        try
        {
            WeightFile.Load(new MemoryStream(bytes), Entries, parameters, allowUnexpectedTensors: true);
        }
        catch (InvalidDataException e)
        {
            refusal = e.Message;
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            Assert.Equal(Bits(Before), Bits(parameters));
        }

        if (refusal is not null)
        {
            Assert.Null(reading.Tensors);
            Assert.Equal(refusal, reading.Problems[0]);
            return false;
        }

        Assert.NotNull(reading.Tensors);
        var embedded = new float[ParameterCount];
        WeightFile.LoadRaw(reading.Tensors, Entries, embedded);
        Assert.Equal(Bits(parameters), Bits(embedded));

        // Strict loading refuses only tensors the model lacks.
        try
        {
            WeightFile.Load(new MemoryStream(bytes), Entries, new float[ParameterCount]);
        }
        catch (InvalidDataException e)
        {
            Assert.StartsWith("The file has tensors this model does not: ", e.Message, StringComparison.Ordinal);
        }

        return true;
    }

    /// <summary>A generated file, and how it was made (for the report of a failing case).</summary>
    private sealed record FuzzFile(string How, byte[] Bytes)
    {
        public override string ToString()
        {
            string text = Encoding.Latin1.GetString(Bytes[..Math.Min(Bytes.Length, 600)]);
            return $"{How}, {Bytes.Length} bytes: {new string([.. text.Select(c => c is >= ' ' and <= '~' ? c : '.')])}";
        }
    }

    private static Gen<FuzzFile> Files() => Gen.Frequency(
        (5, HostileFiles()),
        (3, MutatedFiles()),
        (2, TruncatedFiles()));

    // ---- Files built from JSON fragments, most of them valid, some hostile ----

    /// <summary>One tensor of a header: its name as JSON, then its fields as JSON text, and its data.</summary>
    private sealed record TensorPart(string Name, string DType, string? Shape, string? Offsets, string Extra, int Expected);

    private static Gen<FuzzFile> HostileFiles() =>
        Gen.Select(
            Gen.Select(Gen.Shuffle(Enumerable.Range(0, Expected.Length + 1).ToArray()), Gen.Frequency((20, Gen.Const(-1)), (1, Gen.Int[0, Expected.Length - 1])), Gen.Frequency((6, Gen.Const(false)), (1, Gen.Const(true)))),
            TensorGen().Array[Expected.Length + 1],
            Metadata(),
            Gen.Select(HeaderLength(), BadUtf8(), Gen.Int[0, 1 << 20]),
            Gen.Select(Gen.Frequency((12, Gen.Const(-1)), (1, Gen.Int[0, 1 << 20])), Gen.Frequency((12, Gen.Const(0)), (1, Gen.Int[-8, 8]))),
            (layout, parts, metadata, header, data) =>
            {
                // Tensor Expected.Length is one the model does not have; one expected tensor may be left out.
                (int[] order, int dropped, bool extra) = layout;
                int[] tensors = [.. order.Where(i => i != dropped && (i < Expected.Length || extra))];
                List<(string Json, int Bytes)> members = [];
                long offset = 0;
                foreach (int i in tensors)
                {
                    TensorPart part = parts[i] with { Expected = i };
                    int bytes = 4 * (i < Expected.Length ? Expected[i].Shape.Aggregate(1, (a, b) => a * b) : 1);
                    string name = part.Name.Length > 0 ? part.Name : Quote(i < Expected.Length ? Expected[i].Name : "other");
                    string shape = part.Shape ?? "[" + string.Join(",", i < Expected.Length ? Expected[i].Shape : [1]) + "]";
                    string offsets = part.Offsets?.Replace("B", Number(offset), StringComparison.Ordinal).Replace("E", Number(offset + bytes), StringComparison.Ordinal)
                        ?? $"[{offset},{offset + bytes}]";
                    members.Add(($"{name}:{{\"dtype\":{part.DType},\"shape\":{shape},\"data_offsets\":{offsets}{part.Extra}}}", bytes));
                    offset += bytes;
                }

                string json = "{" + string.Join(",", (metadata is null ? [] : new[] { "\"__metadata__\":" + metadata }).Concat(members.Select(m => m.Json))) + "}";
                byte[] dataBytes = ValidData((int)offset + Math.Max(0, data.Item2), data.Item1);
                byte[] file = Build(json, dataBytes[..Math.Max(0, (int)offset + data.Item2)], header.Item1, header.Item2, header.Item3);
                return new FuzzFile("hostile", file);
            });

    private static Gen<TensorPart> TensorGen() =>
        Gen.Select(
            Gen.Frequency((40, Gen.Const("")), (1, Gen.OneOf(HostileNames))),
            Gen.Frequency((40, Gen.Const("\"F32\"")), (1, Gen.OneOf("\"F16\"", "\"F64\"", "\"I32\"", "\"BOOL\"", "\"BF16\"", "\"U8\"", "\"Q7\"", "\"\"", "\"f32\"", "32", "null", "[\"F32\"]", "{}"))),
            Gen.Frequency((40, Gen.Const((string?)null)), (1, Gen.OneOf<string?>(HostileShapes))),
            Gen.Frequency((40, Gen.Const((string?)null)), (1, Gen.OneOf<string?>(HostileOffsets))),
            Gen.Frequency((40, Gen.Const("")), (1, Gen.OneOf(",\"dtype\":\"F32\"", ",\"extra\":{\"a\":[1,2,{\"b\":null}]}", ",\"extra\":true", ",")), (1, DeepValue().Select(v => ",\"extra\":" + v))),
            (name, dtype, shape, offsets, extra) => new TensorPart(name, dtype, shape, offsets, extra, -1));

    private static readonly string[] HostileNames =
    [
        "\"__metadata__\"", "\"\\ud800\"", "\"a\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud83d\\ude00\"", "\"rnn.bias\\u005fih_l0\"",
        "\"head.bias\"", "\"rnn.weight_ih_l0\"", "\"tab\\tname\"", "\"\\q\"", "\"\\u12\"", "\"\u0001\"", "\"\"", "\"x\\u0000y\"",
        "unquoted", "\"é€😀\"", "\"\\ud800", "\"rnn.weight_hh_l0\\\\\"",
    ];

    private static readonly string[] HostileShapes =
    [
        "[]", "[3]", "[2,3]", "[3,3]", "[-1]", "[2147483648]", "[4294967296]", "[9223372036854775808]", "[65536,65536]",
        "[2147483647,2147483647,2147483647]", "[\"3\",2]", "[3.0,2]", "[3e0,2]", "[-0,2]", "[null]", "[[3],2]", "3", "\"[3,2]\"",
        "[3,2,]", "[03,2]", "[1e999]", "[0]", "[0,2]", "{}", "[3 2]",
    ];

    // B and E stand for the tensor's own begin and end.
    private static readonly string[] HostileOffsets =
    [
        "[0,E]", "[B]", "[B,E,E]", "[]", "{}", "[B,E", "[E,B]", "[-1,E]", "[B,-1]", "[B,2147483647]", "[B,2147483648]",
        "[B,4294967296]", "[9223372036854775807,9223372036854775807]", "[9223372036854775800,9223372036854775807]",
        "[9223372036854775808,9223372036854775812]", "[18446744073709551615,18446744073709551619]", "[B,18446744073709551616]",
        "[\"0\",E]", "[B,\"E\"]", "[B,E.0]", "[B,1e3]", "[null,E]", "[B,E]\u0001", "[4,E]", "[0,4]", "[B,B]",
    ];

    private static Gen<string?> Metadata() =>
        Gen.Frequency(
            (12, Gen.Const((string?)null)),
            (12, Gen.Const<string?>("{\"format\":\"pt\",\"layers\":\"2\"}")),
            (1, Gen.OneOf<string?>(
                "{\"k\":3}", "{\"k\":\"v\",\"k\":\"w\"}", "[]", "\"x\"", "{\"k\":\"\\ud800\"}", "{\"\\udfff\":\"v\"}", "{\"k\":\"v\\u0000\"}",
                "{\"k\":\"\\uZZZZ\"}", "{\"k\":\"a\nb\"}", "{\"k\":\"v\",}", "{\"k\" \"v\"}", "{}", "{\"k\":[\"v\"]}")),
            (1, DeepValue().Select(v => (string?)("{\"k\":" + v + "}"))),
            (1, DeepValue().Select(v => (string?)v)));

    /// <summary>Values nested from 1 to 100,000 levels (rarely the deepest), closed or not.</summary>
    private static Gen<string> DeepValue() =>
        Gen.Select(
            Gen.Frequency((50, Gen.Int[1, 200]), (1, Gen.Int[60_000, 100_000])),
            Gen.Bool,
            Gen.Bool,
            (depth, arrays, closed) => arrays
                ? new string('[', depth) + (closed ? new string(']', depth) : "")
                : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + (closed ? new string('}', depth) : ""));

    /// <summary>The header length as written: mostly right, sometimes hostile (null keeps it right).</summary>
    private static Gen<ulong?> HeaderLength() =>
        Gen.Frequency(
            (20, Gen.Const((ulong?)null)),
            (1, Gen.OneOf<ulong?>(0, 1, 7, ulong.MaxValue, 1UL << 63, (1UL << 63) - 1, 1UL << 32, (1UL << 31) - 1, 1UL << 31, ulong.MaxValue - 7)),
            (1, Gen.Int[-9, 9].Select(delta => (ulong?)(ulong)(long)delta)));

    private static Gen<byte[]> BadUtf8() =>
        Gen.Frequency(
            (20, Gen.Const(Array.Empty<byte>())),
            (1, Gen.OneOf<byte[]>([0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xEF, 0xBB, 0xBF], [0x00])));

    // ---- Files made by damaging valid ones ----

    private static Gen<byte[]> ValidFiles() =>
        Gen.Select(Gen.Shuffle(Enumerable.Range(0, Expected.Length).ToArray()), Gen.Bool, (order, metadata) =>
            Build(Layout(order), metadata ? "{\"format\":\"pt\"}" : null));

    private static Gen<FuzzFile> MutatedFiles() =>
        Gen.Select(ValidFiles(), Gen.Select(Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Byte).Array[1, 4], (bytes, edits) =>
        {
            var file = new List<byte>(bytes);
            foreach ((int kind, int at, byte value) in edits)
            {
                int position = at % (file.Count + 1);
                if (kind == 0 && position < file.Count)
                    file[position] = value;
                else if (kind == 1)
                    file.Insert(position, value);
                else if (position < file.Count)
                    file.RemoveAt(position);
            }

            return new FuzzFile($"mutated ({string.Join(", ", edits)})", [.. file]);
        });

    private static Gen<FuzzFile> TruncatedFiles() =>
        Gen.Select(ValidFiles(), Gen.Int[0, int.MaxValue], (bytes, at) => new FuzzFile($"cut at {at % bytes.Length}", bytes[..(at % bytes.Length)]));

    // ---- Building files ----

    /// <summary>The JSON of a valid header listing the expected tensors in <paramref name="order"/>.</summary>
    private static string Layout(int[] order)
    {
        var json = new StringBuilder();
        long offset = 0;
        foreach (int i in order)
        {
            int bytes = 4 * Expected[i].Shape.Aggregate(1, (a, b) => a * b);
            json.Append(CultureInfo.InvariantCulture, $",{Quote(Expected[i].Name)}:{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", Expected[i].Shape)}],\"data_offsets\":[{offset},{offset + bytes}]}}");
            offset += bytes;
        }

        return json.ToString();
    }

    private static byte[] Build(string members, string? metadata)
    {
        string json = "{" + (metadata is null ? members[1..] : "\"__metadata__\":" + metadata + members) + "}";
        int dataLength = Expected.Sum(t => 4 * t.Shape.Aggregate(1, (a, b) => a * b));
        return Build(json, ValidData(dataLength, nonFiniteAt: -1), null, [], 0);
    }

    /// <summary>
    /// A file of <paramref name="json"/> and <paramref name="data"/>: <paramref name="headerLength"/> replaces the
    /// right length (values below 10 or near 2^64 are added to it), <paramref name="insert"/> goes into the header.
    /// </summary>
    private static byte[] Build(string json, byte[] data, ulong? headerLength, byte[] insert, int insertAt)
    {
        byte[] header = [.. Encoding.UTF8.GetBytes(json)];
        int at = insertAt % (header.Length + 1);
        header = [.. header[..at], .. insert, .. header[at..]];
        ulong length = headerLength switch
        {
            null => (ulong)header.Length,
            ulong delta when delta < 10 || delta > ulong.MaxValue - 10 => (ulong)header.Length + delta,
            ulong value => value,
        };
        return [.. BitConverter.GetBytes(length), .. header, .. data];
    }

    /// <summary>Finite floats, with a NaN or infinity at float <paramref name="nonFiniteAt"/> (modulo the count) when it is not negative.</summary>
    private static byte[] ValidData(int bytes, int nonFiniteAt)
    {
        var data = new byte[bytes];
        for (int i = 0; i + 4 <= bytes; i += 4)
            BitConverter.TryWriteBytes(data.AsSpan(i), (i * 0.01f) - 0.2f);
        if (nonFiniteAt >= 0 && bytes >= 4)
        {
            int at = nonFiniteAt % (bytes / 4);
            float[] values = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(0x7F800001)];
            BitConverter.TryWriteBytes(data.AsSpan(4 * at), values[nonFiniteAt % values.Length]);
        }

        return data;
    }

    private static string Quote(string name) => "\"" + name + "\"";

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
