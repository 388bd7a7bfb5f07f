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

    public static string Literal(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>
    /// Text for one line of a <c>//</c> comment: line breaks (which would end the comment and leave the
    /// rest as code) and other control characters become spaces.
    /// </summary>
    public static string CommentText(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (char c in value)
            text.Append(char.IsControl(c) || c is '\u2028' or '\u2029' ? ' ' : c);
        return text.ToString();
    }

    /// <summary>Text for one line of an XML doc comment: as <see cref="CommentText"/>, with &amp;, &lt;, &gt; and " escaped.</summary>
    public static string XmlText(string value) =>
        CommentText(value).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
