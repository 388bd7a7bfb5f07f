using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace FastSeq.Generators.Parsing;

/// <summary>One tensor named in a safetensors header: dtype, shape and byte range within the data section.</summary>
internal sealed record TensorHeader(string DType, int[] Shape, long Begin, long End);

/// <summary>
/// Reads the header of a safetensors file (8-byte little-endian length, then JSON) with a small
/// JSON reader of its own: the generator runs on netstandard2.0 and takes no dependencies.
/// </summary>
internal sealed class SafeTensorsHeader
{
    private readonly string _json;
    private int _position;

    private SafeTensorsHeader(string json) => _json = json;

    /// <summary>The tensors of <paramref name="file"/>, and where its data section starts; throws FormatException naming the problem.</summary>
    public static (Dictionary<string, TensorHeader> Tensors, long DataStart) Parse(byte[] file)
    {
        if (file.Length < 8)
            throw new FormatException($"the file is {file.Length} bytes long, shorter than the 8-byte header length");
        long length = BitConverter.ToInt64(file, 0);
        if (length <= 0 || length > file.Length - 8)
            throw new FormatException($"its header length {length} does not fit in a file of {file.Length} bytes");

        var reader = new SafeTensorsHeader(Encoding.UTF8.GetString(file, 8, (int)length));
        var tensors = new Dictionary<string, TensorHeader>(StringComparer.Ordinal);
        reader.Expect('{');
        if (!reader.TryConsume('}'))
        {
            do
            {
                string name = reader.ReadString();
                reader.Expect(':');
                if (name == "__metadata__")
                    reader.SkipValue();
                else if (tensors.ContainsKey(name))
                    throw new FormatException($"its header names tensor '{name}' twice"); // as the runtime's SafeTensorsFile does
                else
                    tensors.Add(name, reader.ReadTensor(name));
            }
            while (reader.TryConsume(','));
            reader.Expect('}');
        }

        long dataStart = 8 + length;
        foreach (KeyValuePair<string, TensorHeader> tensor in tensors)
        {
            if (tensor.Value.Begin < 0 || tensor.Value.End < tensor.Value.Begin || dataStart + tensor.Value.End > file.Length)
                throw new FormatException($"the data of tensor '{tensor.Key}' lies outside the file (it may be truncated)");
        }
        return (tensors, dataStart);
    }

    private TensorHeader ReadTensor(string name)
    {
        string? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        Expect('{');
        do
        {
            string key = ReadString();
            Expect(':');
            switch (key)
            {
                case "dtype":
                    dtype = ReadString();
                    break;
                case "shape":
                    shape = Array.ConvertAll(ReadIntegers(), value => checked((int)value));
                    break;
                case "data_offsets":
                    offsets = ReadIntegers();
                    break;
                default:
                    SkipValue();
                    break;
            }
        }
        while (TryConsume(','));
        Expect('}');
        if (dtype is null || shape is null || offsets is not { Length: 2 })
            throw new FormatException($"tensor '{name}' lacks its dtype, shape or data_offsets");
        return new TensorHeader(dtype, shape, offsets[0], offsets[1]);
    }

    private long[] ReadIntegers()
    {
        var values = new List<long>();
        Expect('[');
        if (!TryConsume(']'))
        {
            do
            {
                SkipWhitespace();
                int start = _position;
                while (_position < _json.Length && (char.IsDigit(_json[_position]) || _json[_position] == '-'))
                    _position++;
                if (!long.TryParse(_json.Substring(start, _position - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
                    throw Malformed("an integer");
                values.Add(value);
            }
            while (TryConsume(','));
            Expect(']');
        }
        return values.ToArray();
    }

    private string ReadString()
    {
        Expect('"');
        var text = new StringBuilder();
        while (_position < _json.Length && _json[_position] != '"')
        {
            char c = _json[_position++];
            if (c == '\\' && _position < _json.Length)
            {
                char escaped = _json[_position++];
                if (escaped == 'u' && _position + 4 <= _json.Length)
                {
                    text.Append((char)int.Parse(_json.Substring(_position, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    _position += 4;
                }
                else
                {
                    text.Append(escaped switch { 'n' => '\n', 't' => '\t', 'r' => '\r', 'b' => '\b', 'f' => '\f', _ => escaped });
                }
            }
            else
            {
                text.Append(c);
            }
        }
        Expect('"');
        return text.ToString();
    }

    /// <summary>Skips any JSON value (the metadata object, unknown fields).</summary>
    private void SkipValue()
    {
        SkipWhitespace();
        if (_position >= _json.Length)
            throw Malformed("a value");
        char c = _json[_position];
        if (c == '"')
        {
            ReadString();
        }
        else if (c is '{' or '[')
        {
            char close = c == '{' ? '}' : ']';
            _position++;
            if (TryConsume(close))
                return;
            do
            {
                if (c == '{')
                {
                    ReadString();
                    Expect(':');
                }
                SkipValue();
            }
            while (TryConsume(','));
            Expect(close);
        }
        else
        {
            while (_position < _json.Length && _json[_position] is not (',' or '}' or ']') && !char.IsWhiteSpace(_json[_position]))
                _position++;
        }
    }

    private void Expect(char c)
    {
        if (!TryConsume(c))
            throw Malformed($"'{c}'");
    }

    private bool TryConsume(char c)
    {
        SkipWhitespace();
        if (_position < _json.Length && _json[_position] == c)
        {
            _position++;
            return true;
        }
        return false;
    }

    private void SkipWhitespace()
    {
        while (_position < _json.Length && char.IsWhiteSpace(_json[_position]))
            _position++;
    }

    private FormatException Malformed(string expected) =>
        new($"its JSON header is malformed: expected {expected} at character {_position}");
}
