using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace FastSeq.Models;

/// <summary>One line of a model summary: a layer, its Keras class, its output shape and parameter count. For generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct SummaryRow(string Name, string Type, string OutputShape, int Parameters);

/// <summary>Formats a model the way Keras' <c>model.summary()</c> does. For generated code, whose <c>Summary()</c> calls it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ModelSummary
{
    /// <summary>The table of layers with output shapes (<c>None</c> for the batch) and parameter counts, then the totals.</summary>
    public static string Format(string modelName, ReadOnlySpan<SummaryRow> rows)
    {
        const string LayerHeader = "Layer (type)", ShapeHeader = "Output Shape", ParamHeader = "Param #";
        int layerWidth = 31, shapeWidth = 22, paramWidth = 13;
        long total = 0;
        foreach (SummaryRow row in rows)
        {
            layerWidth = Math.Max(layerWidth, LayerCell(row).Length);
            shapeWidth = Math.Max(shapeWidth, row.OutputShape.Length);
            paramWidth = Math.Max(paramWidth, Count(row.Parameters).Length);
            total += row.Parameters;
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Model: \"{modelName}\"").Append('\n');
        Rule(text, '┏', '━', '┳', '┓', layerWidth, shapeWidth, paramWidth);
        text.Append("┃ ").Append(LayerHeader.PadRight(layerWidth)).Append(" ┃ ").Append(ShapeHeader.PadRight(shapeWidth))
            .Append(" ┃ ").Append(ParamHeader.PadLeft(paramWidth)).Append(" ┃\n");
        Rule(text, '┡', '━', '╇', '┩', layerWidth, shapeWidth, paramWidth);
        foreach (SummaryRow row in rows)
        {
            text.Append("│ ").Append(LayerCell(row).PadRight(layerWidth)).Append(" │ ").Append(row.OutputShape.PadRight(shapeWidth))
                .Append(" │ ").Append(Count(row.Parameters).PadLeft(paramWidth)).Append(" │\n");
        }
        Rule(text, '└', '─', '┴', '┘', layerWidth, shapeWidth, paramWidth);
        text.Append(" Total params: ").Append(Count(total)).Append(" (").Append(Bytes(total * sizeof(float))).Append(")\n");
        text.Append(" Trainable params: ").Append(Count(total)).Append(" (").Append(Bytes(total * sizeof(float))).Append(")\n");
        text.Append(" Non-trainable params: 0 (0.00 B)\n");
        return text.ToString();
    }

    private static string LayerCell(SummaryRow row) => $"{row.Name} ({row.Type})";

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Keras prints sizes in 1024-based units with two decimals: 12,804 bytes is "12.50 KB".</summary>
    private static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("0.00", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private static void Rule(StringBuilder text, char left, char line, char cross, char right, int a, int b, int c) =>
        text.Append(left).Append(line, a + 2).Append(cross).Append(line, b + 2).Append(cross).Append(line, c + 2).Append(right).Append('\n');
}
