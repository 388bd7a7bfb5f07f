using System.Globalization;

namespace FastSeq;

/// <summary>
/// Writes <see cref="Trainer{TModel}.Fit"/>'s own progress, as Keras does. On a terminal, a bar with the batches done, an ETA and
/// the epoch's running loss is redrawn in place with <c>\r</c> (at most every 100 ms, and on the last batch), then overwritten by
/// the epoch's line; elsewhere (a file, a pipe, CI) only the epoch's line is written. A redraw formats into a buffer held here, so
/// neither mode allocates per batch.
/// </summary>
internal sealed class FitProgress
{
    private const int BarWidth = 20;
    // BarWidth '=', a '>' and BarWidth '.': the BarWidth characters from BarWidth - filled read filled '=', then '>' and dots
    // (all '=' when filled is BarWidth).
    private const string BarTrack = "====================>....................";
    private const string Spaces = "          ";
    private static readonly TimeSpan s_redrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _writer;
    private readonly bool _isTerminal;
    // Room for the longest bar: two pairs of int counts, an ETA of 22 characters and a float loss of 47.
    private readonly char[] _line = new char[192];
    private int _length;
    private TimeSpan _lastRedraw;
    private int _drawnLength;

    /// <summary>Writes to <paramref name="writer"/>; with <paramref name="isTerminal"/>, a bar redrawn in place within each epoch.</summary>
    public FitProgress(TextWriter writer, bool isTerminal)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _isTerminal = isTerminal;
    }

    /// <summary>The console's progress: a bar when standard output is a terminal, epoch lines when it is redirected.</summary>
    public static FitProgress ForConsole() => new(Console.Out, isTerminal: !Console.IsOutputRedirected);

    /// <summary>
    /// After <paramref name="batch"/> of <paramref name="batches"/> (from 1), <paramref name="elapsed"/> since the epoch began, with
    /// <paramref name="loss"/> the epoch's mean training loss so far: on a terminal, redraws the bar, e.g.
    /// <c>Epoch 3/30 12/31 [=======>............] - ETA: 0s - loss: 0.012300</c>.
    /// </summary>
    public void BatchEnd(int epoch, int epochs, int batch, int batches, float loss, TimeSpan elapsed)
    {
        if (!_isTerminal || (batch < batches && elapsed - _lastRedraw < s_redrawInterval))
            return;
        _lastRedraw = elapsed;

        // Formatted piece by piece with each type's own TryFormat: an interpolated string handler would box the numbers until the
        // JIT optimises it.
        _length = 0;
        Append("\rEpoch ");
        AppendCount(epoch, epochs);
        Append(" ");
        // The count is right-aligned to the total's width, so that the bar stays put.
        Append(Spaces.AsSpan(0, Digits(batches) - Digits(batch)));
        AppendCount(batch, batches);
        Append(" [");
        int filled = (int)((long)batch * BarWidth / batches);
        Append(BarTrack.AsSpan(BarWidth - filled, BarWidth));
        Append("] - ETA: ");
        // As Keras: the mean time per batch so far times the batches left, in whole seconds.
        AppendEta((long)(elapsed.TotalSeconds / batch * (batches - batch)));
        Append(" - loss: ");
        _length += loss.TryFormat(_line.AsSpan(_length), out int written, "0.000000", CultureInfo.InvariantCulture) ? written : 0;
        Draw();
    }

    /// <summary>Writes the epoch's line (<see cref="EpochResult.ToString"/>), over the bar on a terminal.</summary>
    public void EpochEnd(EpochResult result)
    {
        string text = result.ToString();
        if (_isTerminal)
        {
            _writer.Write('\r');
            _writer.Write(text);
            // Spaces over what is left of a longer bar (whose length counts its '\r').
            int pad = _drawnLength - 1 - text.Length;
            if (pad > 0)
            {
                _line.AsSpan(0, pad).Fill(' ');
                _writer.Write(_line, 0, pad);
            }
            _writer.WriteLine();
        }
        else
        {
            _writer.WriteLine(text);
        }
        _lastRedraw = TimeSpan.Zero;
        _drawnLength = 0;
    }

    /// <summary>Writes the line formatted in <see cref="_line"/> (<c>\r</c> first), padded with spaces over what is left of the previous one.</summary>
    private void Draw()
    {
        int drawn = _length;
        if (_drawnLength > _length)
        {
            _line.AsSpan(_length, _drawnLength - _length).Fill(' ');
            drawn = _drawnLength;
        }
        _writer.Write(_line, 0, drawn);
        _drawnLength = _length;
    }

    private void Append(ReadOnlySpan<char> text)
    {
        text.CopyTo(_line.AsSpan(_length));
        _length += text.Length;
    }

    private void Append(long value, string? format = null) =>
        _length += value.TryFormat(_line.AsSpan(_length), out int written, format, CultureInfo.InvariantCulture) ? written : 0;

    /// <summary>Appends <c>done/total</c>.</summary>
    private void AppendCount(int done, int total)
    {
        Append(done);
        Append("/");
        Append(total);
    }

    /// <summary>Appends seconds as Keras writes an ETA: <c>7s</c>, <c>1:05</c> or <c>2:03:04</c>.</summary>
    private void AppendEta(long seconds)
    {
        if (seconds < 60)
        {
            Append(seconds);
            Append("s");
            return;
        }
        if (seconds < 3600)
        {
            Append(seconds / 60);
        }
        else
        {
            Append(seconds / 3600);
            Append(":");
            Append(seconds % 3600 / 60, "00");
        }
        Append(":");
        Append(seconds % 60, "00");
    }

    private static int Digits(int value)
    {
        int digits = 1;
        for (; value >= 10; value /= 10)
            digits++;
        return digits;
    }
}
