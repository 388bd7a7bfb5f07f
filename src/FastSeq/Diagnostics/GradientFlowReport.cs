using System.Globalization;
using System.Text;

namespace FastSeq.Diagnostics;

/// <summary>How gradients flowed back through one layer of a model, averaged over the batches a <see cref="GradientFlowRecorder"/> recorded.</summary>
/// <param name="Model">The model's label.</param>
/// <param name="Layer">The layer's name.</param>
/// <param name="KerasClass">The layer's class in a Keras summary (<c>LSTM</c>, <c>Dense</c>, ...).</param>
/// <param name="HiddenStateNorms">
/// The mean norm of the total d loss / d h_t at each timestep (over the batch and the units); empty for a layer that is not recurrent.
/// </param>
/// <param name="ParameterGradientNorm">The mean norm of the gradient of the layer's parameters.</param>
/// <param name="Batches">The batches averaged.</param>
public sealed record LayerGradientFlow(string Model, string Layer, string KerasClass, IReadOnlyList<float> HiddenStateNorms, float ParameterGradientNorm, int Batches);

/// <summary>
/// Gradient norms per layer, and per timestep for the recurrent ones, of one model or several (<see cref="Combine"/>), drawn
/// as a picture (<see cref="ToSvg"/>: d loss / d h_t against t, log scale) or as text (<see cref="ToConsole"/>).
/// </summary>
public sealed class GradientFlowReport
{
    /// <summary>A report of the given layers' flows.</summary>
    public GradientFlowReport(IEnumerable<LayerGradientFlow> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layers = [.. layers];
        foreach (LayerGradientFlow layer in Layers)
            ArgumentNullException.ThrowIfNull(layer, nameof(layers));
    }

    /// <summary>Every layer's flow, model after model, in the models' layer order.</summary>
    public IReadOnlyList<LayerGradientFlow> Layers { get; }

    /// <summary>The recurrent layers: those with a norm per timestep, one line each in the picture.</summary>
    public IEnumerable<LayerGradientFlow> RecurrentLayers => Layers.Where(layer => layer.HiddenStateNorms.Count > 0);

    /// <summary>One report of several, e.g. of models compared on the same task, drawn on the same axes.</summary>
    public static GradientFlowReport Combine(params IEnumerable<GradientFlowReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        return new GradientFlowReport(reports.SelectMany(report => report.Layers));
    }

    /// <summary>
    /// A compact text view: a line per recurrent layer with its norms along t as a sparkline on a log scale shared by every line
    /// (▁ the smallest norm in the report, █ the largest; at most 60 columns, each the mean of its steps), the norms at the first
    /// and last step and the first's share of the last; then every layer's parameter gradient norm.
    /// </summary>
    public string ToConsole()
    {
        const string Blocks = "▁▂▃▄▅▆▇█";
        const int MaxColumns = 60;
        var text = new StringBuilder();
        (double low, double high) = LogRange();
        int nameWidth = Layers.Count == 0 ? 0 : Layers.Max(layer => Name(layer).Length);
        int steps = RecurrentLayers.Select(layer => layer.HiddenStateNorms.Count).DefaultIfEmpty(0).Max();
        if (steps > 0)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"‖d loss / d h_t‖ from t = 0 (left) to t = {steps - 1} (right), log scale {Math.Pow(10, low):0.0e+0} (▁) .. {Math.Pow(10, high):0.0e+0} (█):\n");
        }
        foreach (LayerGradientFlow layer in RecurrentLayers)
        {
            IReadOnlyList<float> norms = layer.HiddenStateNorms;
            int columns = Math.Min(MaxColumns, norms.Count);
            text.Append(Name(layer).PadRight(nameWidth)).Append("  ");
            for (int c = 0; c < columns; c++)
            {
                int from = c * norms.Count / columns, to = (c + 1) * norms.Count / columns;
                double mean = 0;
                for (int t = from; t < to; t++)
                    mean += norms[t];
                double level = (Log(mean / (to - from), low) - low) / Math.Max(high - low, 1e-12);
                text.Append(Blocks[Math.Clamp((int)(level * Blocks.Length), 0, Blocks.Length - 1)]);
            }
            float first = norms[0], last = norms[^1];
            text.Append(CultureInfo.InvariantCulture, $"  t=0 {first:0.00e+0}, t={norms.Count - 1} {last:0.00e+0}, first/last {Ratio(first, last)}\n");
        }
        text.Append("‖d loss / d parameters‖ per layer:\n");
        foreach (LayerGradientFlow layer in Layers)
            text.Append(Name(layer).PadRight(nameWidth)).Append(CultureInfo.InvariantCulture, $"  {layer.ParameterGradientNorm:0.00e+0}\n");
        return text.ToString();
    }

    /// <summary>
    /// A self-contained SVG picture: ‖d loss / d h_t‖ against the timestep t, on a log scale, one line per recurrent layer
    /// (labelled model / layer), with a legend that also gives each layer's parameter gradient norm.
    /// </summary>
    /// <param name="title">The heading above the plot.</param>
    public string ToSvg(string title = "Gradient flow: ‖d loss / d h_t‖ at each timestep")
    {
        ArgumentNullException.ThrowIfNull(title);
        LayerGradientFlow[] series = [.. RecurrentLayers];
        const double Width = 760, Left = 78, Right = 20, Top = 44, PlotHeight = 330, LegendLine = 18;
        double plotWidth = Width - Left - Right, bottom = Top + PlotHeight;
        double height = bottom + 50 + (series.Length * LegendLine);
        (double low, double high) = LogRange();
        int steps = series.Select(layer => layer.HiddenStateNorms.Count).DefaultIfEmpty(1).Max();
        double X(int t) => Left + (steps == 1 ? 0 : plotWidth * t / (steps - 1));
        double Y(double norm) => bottom - (PlotHeight * (Log(norm, low) - low) / Math.Max(high - low, 1e-12));

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width:0}\" height=\"{height:0}\" viewBox=\"0 0 {Width:0} {height:0}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width:0}\" height=\"{height:0}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2:0}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");

        // One grid line and label per power of ten; the y axis spans whole decades.
        for (int decade = (int)low; decade <= (int)high; decade++)
        {
            double y = Y(Math.Pow(10, decade));
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left:0}\" y1=\"{y:0.#}\" x2=\"{Left + plotWidth:0}\" y2=\"{y:0.#}\" stroke=\"#ddd\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6:0}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">1e{decade}</text>\n");
        }
        foreach (int t in XTicks(steps))
        {
            double x = X(t);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{bottom:0}\" x2=\"{x:0.#}\" y2=\"{bottom + 5:0}\" stroke=\"#333\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{bottom + 18:0}\" text-anchor=\"middle\">{t}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left:0}\" y=\"{Top:0}\" width=\"{plotWidth:0}\" height=\"{PlotHeight:0}\" fill=\"none\" stroke=\"#333\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotWidth / 2):0}\" y=\"{bottom + 36:0}\" text-anchor=\"middle\">timestep t</text>\n");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text transform=\"translate(18 {Top + (PlotHeight / 2):0}) rotate(-90)\" text-anchor=\"middle\">‖d loss / d h_t‖ (log scale)</text>\n");

        for (int i = 0; i < series.Length; i++)
        {
            LayerGradientFlow layer = series[i];
            string color = s_palette[i % s_palette.Length];
            svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"series\" data-model=\"{Escape(layer.Model)}\" data-layer=\"{Escape(layer.Layer)}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"");
            for (int t = 0; t < layer.HiddenStateNorms.Count; t++)
                svg.Append(CultureInfo.InvariantCulture, $"{(t == 0 ? "" : " ")}{X(t):0.#},{Y(layer.HiddenStateNorms[t]):0.#}");
            svg.Append("\"/>\n");
            double y = bottom + 50 + (i * LegendLine);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left:0}\" y1=\"{y - 4:0}\" x2=\"{Left + 24:0}\" y2=\"{y - 4:0}\" stroke=\"{color}\" stroke-width=\"2\"/>\n");
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{Left + 32:0}\" y=\"{y:0}\">{Escape(Name(layer))}: ‖d loss / d parameters‖ {layer.ParameterGradientNorm:0.00e+0}, mean of {layer.Batches} batches</text>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static readonly string[] s_palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    private static string Name(LayerGradientFlow layer) => $"{layer.Model} / {layer.Layer} ({layer.KerasClass})";

    /// <summary>The log10 range of the axis: whole decades around every positive finite norm in the report.</summary>
    private (double Low, double High) LogRange()
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (LayerGradientFlow layer in RecurrentLayers)
        {
            foreach (float norm in layer.HiddenStateNorms)
            {
                if (norm > 0 && float.IsFinite(norm))
                {
                    min = Math.Min(min, norm);
                    max = Math.Max(max, norm);
                }
            }
        }
        if (double.IsInfinity(min))
            return (-1, 0);
        double low = Math.Floor(Math.Log10(min)), high = Math.Ceiling(Math.Log10(max));
        return (low, Math.Max(high, low + 1));
    }

    /// <summary>log10 of a norm, at the axis' floor for zero, negative or non-finite ones.</summary>
    private static double Log(double norm, double floor) => norm > 0 && double.IsFinite(norm) ? Math.Max(Math.Log10(norm), floor) : floor;

    private static string Ratio(float first, float last) =>
        first > 0 && last > 0 ? (first / last).ToString("0.0e+0", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>About six round timesteps from 0 to the last.</summary>
    private static IEnumerable<int> XTicks(int steps)
    {
        int stride = Math.Max(1, (int)Math.Ceiling((steps - 1) / 6.0));
        stride = stride <= 2 ? stride : stride <= 5 ? 5 : (int)(Math.Ceiling(stride / 10.0) * 10);
        for (int t = 0; t < steps; t += stride)
            yield return t;
    }

    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
}
