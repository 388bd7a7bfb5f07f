using System.Globalization;
using System.Text;

namespace FastSeq.Generators.Helpers;

/// <summary>Writes C# source line by line with indentation; numbers always in the invariant culture.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public void Line(string text = "")
    {
        if (text.Length > 0)
            _builder.Append(' ', _indent * 4).Append(text);
        _builder.Append('\n');
    }

    public void Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
    }

    public void Close()
    {
        _indent--;
        Line("}");
    }

    /// <summary>Indents the lines that follow one more level, without braces (a collection's elements).</summary>
    public void Indent() => _indent++;

    public void Outdent() => _indent--;

    public override string ToString() => _builder.ToString();

    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A C# string literal of <paramref name="value"/>: quotes, backslashes, control and line-break characters and surrogates (a lone one cannot be written as UTF-8) escaped.</summary>
    public static string Literal(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            if (c is '"' or '\\')
                text.Append('\\').Append(c);
            else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
                text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            else
                text.Append(c);
        }
        return text.Append('"').ToString();
    }

    /// <summary>
    /// Text for one line of a <c>//</c> comment: line breaks (which would end the comment and leave the
    /// rest as code) and other control characters become spaces; surrogates, which a lone one would make unwritable
    /// as UTF-8, become '?'.
    /// </summary>
    public static string CommentText(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (char c in value)
            text.Append(char.IsControl(c) || c is '\u2028' or '\u2029' ? ' ' : char.IsSurrogate(c) ? '?' : c);
        return text.ToString();
    }

    /// <summary>Text for one line of an XML doc comment: as <see cref="CommentText"/>, with &amp;, &lt;, &gt; and " escaped.</summary>
    public static string XmlText(string value) =>
        CommentText(value).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
