// One source file, compiled into the runtime and linked into the source generator (netstandard2.0), so that
// LoadWeights and an embedded [SequenceModel(Weights = ...)] accept and refuse exactly the same files, with
// the same messages. Hence no System.Text.Json, no spans and no recursion: a hostile header can neither
// overflow the compiler's stack nor make the two disagree.
#if !NET
// The generator's project has no implicit usings.
using System;
using System.Collections.Generic;
using System.IO;
#endif
using System.Globalization;
using System.Text;

namespace FastSeq.IO;

/// <summary>One tensor as a safetensors header declares it; <see cref="Begin"/> and <see cref="End"/> count bytes from the start of the data.</summary>
internal sealed class TensorHeader(string name, string dtype, int[] shape, int elementCount, int begin, int end)
{
    public string Name { get; } = name;

    public string DType { get; } = dtype;

    public int[] Shape { get; } = shape;

    public int ElementCount { get; } = elementCount;

    public int Begin { get; } = begin;

    public int End { get; } = end;
}

/// <summary>
/// Reads and validates the header of a safetensors file held in memory: an 8-byte little-endian header length
/// N, N bytes of UTF-8 JSON <c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}</c>,
/// then the data, which the tensors must cover exactly, without gaps or overlaps. Every problem is an
/// <see cref="InvalidDataException"/> whose message says what is wrong.
/// </summary>
internal sealed class SafeTensorsHeader
{
    public const string MetadataKey = "__metadata__";

    /// <summary>The dtype of the tensors a model loads.</summary>
    public const string Float32 = "F32";

    /// <summary>How deeply JSON values may nest (as System.Text.Json's default); a safetensors header needs 3.</summary>
    public const int MaxDepth = 64;

    private SafeTensorsHeader(List<TensorHeader> tensors, List<KeyValuePair<string, string>> metadata, int dataStart, int dataLength)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
        DataLength = dataLength;
    }

    /// <summary>The tensors, in header order.</summary>
    public List<TensorHeader> Tensors { get; }

    /// <summary>The <c>__metadata__</c> pairs, in header order.</summary>
    public List<KeyValuePair<string, string>> Metadata { get; }

    /// <summary>Where the data starts in the file: 8 + the header length.</summary>
    public int DataStart { get; }

    /// <summary>The bytes of data after the header.</summary>
    public int DataLength { get; }

    /// <summary>Reads the header of the file held in the first <paramref name="length"/> bytes of <paramref name="file"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message says what is wrong.</exception>
    public static SafeTensorsHeader Parse(byte[] file, int length)
    {
        if (length < 8)
            throw new InvalidDataException($"The file is {length} bytes long, shorter than the 8-byte header length that starts a safetensors file.");
        ulong headerLength = 0;
        for (int i = 7; i >= 0; i--)
            headerLength = (headerLength << 8) | file[i];
        if (headerLength > (ulong)(length - 8))
            throw new InvalidDataException($"The header length {headerLength} is beyond the end of the file: only {length - 8} bytes follow the length prefix.");

        string json;
        try
        {
            json = StrictUtf8.GetString(file, 8, (int)headerLength);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException("The header is not valid UTF-8.");
        }

        int dataStart = 8 + (int)headerLength;
        var header = new SafeTensorsHeader([], [], dataStart, length - dataStart);
        header.Read(new JsonReader(json).ReadDocument());
        return header;
    }

    /// <summary>The message for a model tensor the file lacks.</summary>
    public static string MissingTensorMessage(string tensor, IEnumerable<int> shape) =>
        $"The file has no tensor '{tensor}' (expected shape {FormatShape(shape)}).";

    /// <summary>The message for a tensor whose shape is not the model's.</summary>
    public static string WrongShapeMessage(string tensor, IEnumerable<int> shape, IEnumerable<int> expected) =>
        $"Tensor '{tensor}' has shape {FormatShape(shape)}, expected {FormatShape(expected)}.";

    /// <summary>The message for a tensor read as float32 whose dtype is another.</summary>
    public static string WrongDTypeMessage(string tensor, string dtype) =>
        $"Tensor '{tensor}' has dtype {dtype}, expected {Float32}.";

    /// <summary>
    /// The message for an <c>F32</c> value that is not finite: <paramref name="index"/> counts elements of
    /// tensor <paramref name="tensor"/> in row-major order, <paramref name="bits"/> are the value's bits.
    /// </summary>
    public static string NonFiniteMessage(string tensor, int index, int bits)
    {
        string value = (bits & 0x007FFFFF) != 0 ? "NaN" : bits < 0 ? "-Infinity" : "Infinity";
        return $"Tensor '{tensor}' holds {value} at index {index}.";
    }

    /// <summary>The index of the first NaN or infinity among <paramref name="count"/> little-endian float32 values at <paramref name="start"/>, or -1.</summary>
    public static int IndexOfNonFinite(byte[] bytes, int start, int count, out int bits)
    {
        for (int i = 0; i < count; i++)
        {
            int at = start + (4 * i);
            bits = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
            if ((bits & 0x7F800000) == 0x7F800000)
                return i;
        }

        bits = 0;
        return -1;
    }

    /// <summary>A shape written as <c>[a, b]</c>, for messages.</summary>
    public static string FormatShape(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>The size in bytes of one element of <paramref name="dtype"/>, or 0 for a dtype safetensors does not define.</summary>
    public static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "F8_E4M3" or "F8_E5M2" or "I8" or "U8" or "BOOL" => 1,
        _ => 0,
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private void Read(JsonValue root)
    {
        if (root.Kind != JsonKind.Object)
            throw new InvalidDataException($"The header is a JSON {root.Kind}, expected an object.");

        var names = new HashSet<string>(StringComparer.Ordinal);
        bool hasMetadata = false;
        foreach (KeyValuePair<string, JsonValue> member in root.Members!)
        {
            if (member.Key == MetadataKey)
            {
                if (hasMetadata)
                    throw new InvalidDataException($"The header has '{MetadataKey}' twice.");
                hasMetadata = true;
                ReadMetadata(member.Value);
                continue;
            }

            if (!names.Add(member.Key))
                throw new InvalidDataException($"The header names tensor '{member.Key}' twice.");
            Tensors.Add(ReadTensor(member.Key, member.Value));
        }

        CheckContiguous();
    }

    private void ReadMetadata(JsonValue metadata)
    {
        if (metadata.Kind != JsonKind.Object)
            throw new InvalidDataException($"'{MetadataKey}' is a JSON {metadata.Kind}, expected an object of strings.");
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, JsonValue> pair in metadata.Members!)
        {
            if (pair.Value.Kind != JsonKind.String)
                throw new InvalidDataException($"Metadata '{pair.Key}' is a JSON {pair.Value.Kind}; safetensors metadata values are strings.");
            if (!keys.Add(pair.Key))
                throw new InvalidDataException($"The metadata names '{pair.Key}' twice.");
            Metadata.Add(new KeyValuePair<string, string>(pair.Key, pair.Value.Text!));
        }
    }

    private TensorHeader ReadTensor(string name, JsonValue tensor)
    {
        if (tensor.Kind != JsonKind.Object)
            throw new InvalidDataException($"Tensor '{name}' is a JSON {tensor.Kind}, expected an object with dtype, shape and data_offsets.");
        JsonValue? dtypeValue = null, shapeValue = null, offsetsValue = null;
        foreach (KeyValuePair<string, JsonValue> field in tensor.Members!)
        {
            switch (field.Key)
            {
                case "dtype":
                    SetOnce(ref dtypeValue, name, field);
                    break;
                case "shape":
                    SetOnce(ref shapeValue, name, field);
                    break;
                case "data_offsets":
                    SetOnce(ref offsetsValue, name, field);
                    break;
            }
        }

        string dtype = Field(name, dtypeValue, "dtype", JsonKind.String).Text!;
        int elementSize = ElementSize(dtype);
        if (elementSize == 0)
            throw new InvalidDataException($"Tensor '{name}' has unknown dtype '{dtype}'.");

        List<JsonValue> shapeItems = Field(name, shapeValue, "shape", JsonKind.Array).Items!;
        var shape = new int[shapeItems.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (!TryReadInteger(shapeItems[i], int.MaxValue, out long dim))
                throw new InvalidDataException($"Tensor '{name}' has shape {shapeValue!}, expected an array of non-negative integers below 2^31.");
            shape[i] = (int)dim;
        }

        List<JsonValue> offsets = Field(name, offsetsValue, "data_offsets", JsonKind.Array).Items!;
        if (offsets.Count != 2
            || !TryReadInteger(offsets[0], long.MaxValue, out long begin) || !TryReadInteger(offsets[1], long.MaxValue, out long end)
            || end < begin)
            throw new InvalidDataException($"Tensor '{name}' has data_offsets {offsetsValue!}, expected [begin, end] with 0 <= begin <= end < 2^63.");

        if (!TryCountElements(shape, out int count))
            throw new InvalidDataException($"Tensor '{name}' has shape {FormatShape(shape)}, more than {int.MaxValue} elements.");
        // count < 2^31 and elementSize <= 8, 0 <= begin <= end < 2^63: neither side overflows.
        long bytes = (long)count * elementSize;
        if (bytes != end - begin)
            throw new InvalidDataException(
                $"Tensor '{name}' of dtype {dtype} and shape {FormatShape(shape)} needs {bytes} bytes, " +
                $"but its data_offsets [{begin}, {end}] span {end - begin}.");
        if (end > DataLength)
            throw new InvalidDataException($"The data is truncated: tensor '{name}' ends at byte {end} of the data, but only {DataLength} bytes follow the header.");
        return new TensorHeader(name, dtype, shape, count, (int)begin, (int)end);
    }

    private static void SetOnce(ref JsonValue? value, string tensor, KeyValuePair<string, JsonValue> field)
    {
        if (value is not null)
            throw new InvalidDataException($"Tensor '{tensor}' has '{field.Key}' twice.");
        value = field.Value;
    }

    private static JsonValue Field(string tensor, JsonValue? value, string field, JsonKind kind)
    {
        if (value is null)
            throw new InvalidDataException($"Tensor '{tensor}' has no '{field}'.");
        if (value.Kind != kind)
            throw new InvalidDataException($"Tensor '{tensor}' has a '{field}' that is a JSON {value.Kind}, expected {kind}.");
        return value;
    }

    /// <summary>A JSON number written as an integer in [0, <paramref name="max"/>]: digits only, no fraction or exponent.</summary>
    private static bool TryReadInteger(JsonValue value, long max, out long result)
    {
        result = 0;
        if (value.Kind != JsonKind.Number)
            return false;
        foreach (char digit in value.Text!)
        {
            // result * 10 + d <= max, without overflowing
            if (digit is < '0' or > '9' || result > (max - (digit - '0')) / 10)
                return false;
            result = (result * 10) + (digit - '0');
        }

        return true;
    }

    /// <summary>The product of the dimensions, if none is negative and it is at most <see cref="int.MaxValue"/>.</summary>
    public static bool TryCountElements(int[] shape, out int count)
    {
        long product = 1;
        foreach (int dim in shape)
        {
            // |product| <= int.MaxValue and |dim| <= 2^31: the product fits in a long.
            product *= dim;
            if (dim < 0 || product > int.MaxValue)
            {
                count = 0;
                return false;
            }
        }

        count = (int)product;
        return true;
    }

    // The format forbids holes and overlaps: sorted by begin, each tensor starts where the previous one ends,
    // and the last ends at the end of the file.
    private void CheckContiguous()
    {
        var sorted = new List<TensorHeader>(Tensors);
        sorted.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        int expected = 0;
        foreach (TensorHeader tensor in sorted)
        {
            if (tensor.Begin != expected)
                throw new InvalidDataException($"Tensor '{tensor.Name}' starts at byte {tensor.Begin} of the data, but the previous tensor ends at byte {expected}: tensors must follow each other without gaps or overlaps.");
            expected = tensor.End;
        }

        if (expected != DataLength)
            throw new InvalidDataException($"{DataLength - expected} bytes of data follow the last tensor, which ends at byte {expected}.");
    }

    private enum JsonKind
    {
        Object,
        Array,
        String,
        Number,
        True,
        False,
        Null,
    }

    /// <summary>A parsed JSON value: members of an object, items of an array, the text of a string or number.</summary>
    private sealed class JsonValue(JsonKind kind, string? text = null)
    {
        public JsonKind Kind { get; } = kind;

        public string? Text { get; } = text;

        public List<KeyValuePair<string, JsonValue>>? Members { get; } = kind == JsonKind.Object ? [] : null;

        public List<JsonValue>? Items { get; } = kind == JsonKind.Array ? [] : null;

        /// <summary>For messages: a number as written, a string quoted, an array of scalars in full, anything else by its kind.</summary>
        public override string ToString() => Kind switch
        {
            JsonKind.Number => Text!,
            JsonKind.String => "\"" + Text + "\"",
            JsonKind.Array when Items!.Count <= 8 && Items.TrueForAll(item => item.Kind is not (JsonKind.Array or JsonKind.Object)) =>
                "[" + string.Join(", ", Items) + "]",
            JsonKind.Array => "[...]",
            JsonKind.Object => "{...}",
            _ => Kind.ToString().ToLowerInvariant(),
        };
    }

    /// <summary>
    /// A strict JSON reader (RFC 8259) that keeps the containers it is inside on a stack of its own, so that
    /// nesting costs heap, not call stack, and stops at <see cref="MaxDepth"/>.
    /// </summary>
    private sealed class JsonReader(string json)
    {
        private int _position;

        public JsonValue ReadDocument()
        {
            var open = new Stack<JsonValue>();
            JsonValue root = ReadValue(open);
            while (open.Count > 0)
            {
                JsonValue container = open.Peek();
                // After '{' or '[' a value follows at once (an empty container was closed by ReadValue); after a value, ',' or the closer.
                int count = container.Members?.Count ?? container.Items!.Count;
                if (count > 0)
                {
                    if (TryConsume(container.Kind == JsonKind.Object ? '}' : ']'))
                    {
                        open.Pop();
                        continue;
                    }

                    Expect(',');
                }

                if (container.Kind == JsonKind.Object)
                {
                    SkipWhitespace();
                    string key = ReadString();
                    Expect(':');
                    container.Members!.Add(new KeyValuePair<string, JsonValue>(key, ReadValue(open)));
                }
                else
                {
                    container.Items!.Add(ReadValue(open));
                }
            }

            SkipWhitespace();
            if (_position < json.Length)
                throw Malformed("the end of the header");
            return root;
        }

        /// <summary>Reads a scalar, or opens a container and pushes it onto <paramref name="open"/> unless it is empty.</summary>
        private JsonValue ReadValue(Stack<JsonValue> open)
        {
            SkipWhitespace();
            if (_position >= json.Length)
                throw Malformed("a value");
            char c = json[_position];
            switch (c)
            {
                case '{':
                case '[':
                    if (open.Count >= MaxDepth)
                        throw new InvalidDataException($"The header nests JSON values more than {MaxDepth} levels deep (at character {_position}).");
                    _position++;
                    var container = new JsonValue(c == '{' ? JsonKind.Object : JsonKind.Array);
                    if (!TryConsume(c == '{' ? '}' : ']'))
                        open.Push(container);
                    return container;
                case '"':
                    return new JsonValue(JsonKind.String, ReadString());
                case 't':
                    return ReadLiteral("true", JsonKind.True);
                case 'f':
                    return ReadLiteral("false", JsonKind.False);
                case 'n':
                    return ReadLiteral("null", JsonKind.Null);
                default:
                    return ReadNumber();
            }
        }

        private JsonValue ReadLiteral(string literal, JsonKind kind)
        {
            if (string.CompareOrdinal(json, _position, literal, 0, literal.Length) != 0)
                throw Malformed("a value");
            _position += literal.Length;
            return new JsonValue(kind);
        }

        // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
        private JsonValue ReadNumber()
        {
            int start = _position;
            TryConsumeOne('-');
            if (!TryConsumeOne('0'))
                ExpectDigits();
            if (TryConsumeOne('.'))
                ExpectDigits();
            if (TryConsumeOne('e') || TryConsumeOne('E'))
            {
                if (!TryConsumeOne('+'))
                    TryConsumeOne('-');
                ExpectDigits();
            }

            return new JsonValue(JsonKind.Number, json.Substring(start, _position - start));
        }

        private void ExpectDigits()
        {
            int start = _position;
            while (_position < json.Length && json[_position] is >= '0' and <= '9')
                _position++;
            if (_position == start)
                throw Malformed("a digit");
        }

        private string ReadString()
        {
            if (!TryConsumeOne('"'))
                throw Malformed("'\"'");
            var text = new StringBuilder();
            while (true)
            {
                if (_position >= json.Length)
                    throw Malformed("'\"'");
                char c = json[_position++];
                if (c == '"')
                    return text.ToString();
                if (c < ' ')
                    throw Malformed("no control character in a string");
                if (c != '\\')
                {
                    text.Append(c);
                    continue;
                }

                if (_position >= json.Length)
                    throw Malformed("an escape");
                char escaped = json[_position++];
                switch (escaped)
                {
                    case '"' or '\\' or '/':
                        text.Append(escaped);
                        break;
                    case 'b':
                        text.Append('\b');
                        break;
                    case 'f':
                        text.Append('\f');
                        break;
                    case 'n':
                        text.Append('\n');
                        break;
                    case 'r':
                        text.Append('\r');
                        break;
                    case 't':
                        text.Append('\t');
                        break;
                    case 'u':
                        AppendUnicodeEscape(text);
                        break;
                    default:
                        _position--;
                        throw Malformed("an escape: one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
                }
            }
        }

        /// <summary>After <c>\u</c>: four hex digits, and a surrogate only as a high and low pair (<c>\uD83D\uDE00</c>).</summary>
        private void AppendUnicodeEscape(StringBuilder text)
        {
            char unit = ReadHex4();
            if (char.IsLowSurrogate(unit))
                throw LoneSurrogate(unit);
            if (char.IsHighSurrogate(unit))
            {
                if (!TryConsumeOne('\\') || !TryConsumeOne('u'))
                    throw LoneSurrogate(unit);
                char low = ReadHex4();
                if (!char.IsLowSurrogate(low))
                    throw LoneSurrogate(unit);
                text.Append(unit).Append(low);
                return;
            }

            text.Append(unit);
        }

        private char ReadHex4()
        {
            if (_position + 4 > json.Length
                || !ushort.TryParse(json.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort unit))
                throw Malformed("four hex digits after \\u");
            _position += 4;
            return (char)unit;
        }

        private InvalidDataException LoneSurrogate(char unit) =>
            new($"The header has a lone surrogate escape \\u{(int)unit:X4} before character {_position}: a string cannot hold half a UTF-16 pair.");

        private void Expect(char c)
        {
            if (!TryConsume(c))
                throw Malformed($"'{c}'");
        }

        private bool TryConsume(char c)
        {
            SkipWhitespace();
            return TryConsumeOne(c);
        }

        private bool TryConsumeOne(char c)
        {
            if (_position < json.Length && json[_position] == c)
            {
                _position++;
                return true;
            }

            return false;
        }

        private void SkipWhitespace()
        {
            while (_position < json.Length && json[_position] is ' ' or '\t' or '\n' or '\r')
                _position++;
        }

        private InvalidDataException Malformed(string expected)
        {
            string found = _position < json.Length ? $"'{json[_position]}'" : "the end of the header";
            return new($"The header is not valid JSON: expected {expected} at character {_position}, found {found}.");
        }
    }
}
