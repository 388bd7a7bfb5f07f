namespace FastSeq.Tests.Kernels;

/// <summary>The LSTM and GRU cells in double precision, from the gates' pre-activations: what the kernels are checked against.</summary>
internal static class CellEquations
{
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// LSTM, gates i, f, g, o: the activated gates, <c>c = σ(f) c_prev + σ(i) tanh(g)</c> and <c>h = σ(o) tanh(c)</c>.
    /// </summary>
    public static (double I, double F, double G, double O, double Cell, double H) Lstm(double i, double f, double g, double o, double previousCell)
    {
        double si = Sigmoid(i), sf = Sigmoid(f), tg = Math.Tanh(g), so = Sigmoid(o);
        double cell = (sf * previousCell) + (si * tg);
        return (si, sf, tg, so, cell, so * Math.Tanh(cell));
    }

    /// <summary>
    /// GRU (reset after the recurrent product): the activated r and z, <c>n = tanh(n_in + σ(r) recurrentN)</c> and
    /// <c>h = (1 - σ(z)) n + σ(z) h_prev</c>.
    /// </summary>
    public static (double R, double Z, double N, double H) Gru(double r, double z, double inputN, double recurrentN, double previousH)
    {
        double sr = Sigmoid(r), sz = Sigmoid(z);
        double n = Math.Tanh(inputN + (sr * recurrentN));
        return (sr, sz, n, ((1 - sz) * n) + (sz * previousH));
    }
}
