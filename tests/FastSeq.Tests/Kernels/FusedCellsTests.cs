using System.Numerics;
using System.Runtime.Intrinsics;
using FastSeq.Kernels;
using FastSeq.Tests.Layers;

namespace FastSeq.Tests.Kernels;

/// <summary>The fused product-and-cell kernels against the equations, in double precision, at every block split.</summary>
public class FusedCellsTests
{
    /// <summary>
    /// Vectors of units 1 to 7 (blocks 1, 2, 3, 2+2, 3+2, 2+2+2, 3+2+2), 11 and 13, with and without an input and a previous
    /// state. Where 512-bit vectors are native and <see cref="Vector{T}"/> narrower, the kernels take 512-bit blocks and a
    /// last <see cref="Vector{T}"/>: 11 and 13 vectors of 8 make one block of 5 and two of 3, each with a vector of 8 after.
    /// </summary>
    public static TheoryData<int, int, bool> Shapes
    {
        get
        {
            var data = new TheoryData<int, int, bool>();
            foreach (int vectors in new[] { 1, 2, 3, 4, 5, 6, 7, 11, 13 })
            {
                data.Add(vectors, 3, true);
                data.Add(vectors, 0, true);
                data.Add(vectors, 1, false);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Lstm_matches_the_equations(int vectors, int inputs, bool hasPrevious)
    {
        int H = vectors * Vector<float>.Count, I = inputs, G = 4 * H;
        var random = new Random((vectors * 10) + inputs);
        float[] start = Uniform(random, G, 1f), x = Uniform(random, I, 1f), h = hasPrevious ? Uniform(random, H, 1f) : [];
        float[] weights = Uniform(random, (I + h.Length) * G, 0.5f), previousCell = hasPrevious ? Uniform(random, H, 2f) : [];
        start[0] = 90f;      // saturated gates stay finite
        start[^1] = -90f;
        float[] cell = new float[H], y = new float[H], activated = new float[G];

        FusedCells.Lstm(start, x, h, weights, previousCell, cell, y, activated);

        double gates = SumTolerance(1e-6, I + h.Length), outputs = SumTolerance(1e-5, I + h.Length);
        for (int j = 0; j < H; j++)
        {
            double PreActivation(int column) => start[column] + Product(x, h, weights, G, column);
            var (i, f, g, o, c, expectedY) = CellEquations.Lstm(PreActivation(j), PreActivation(H + j), PreActivation((2 * H) + j), PreActivation((3 * H) + j),
                                                                hasPrevious ? previousCell[j] : 0);
            Assert.Equal(i, activated[j], gates);
            Assert.Equal(f, activated[H + j], gates);
            Assert.Equal(g, activated[(2 * H) + j], gates);
            Assert.Equal(o, activated[(3 * H) + j], gates);
            Assert.Equal(c, cell[j], outputs);
            Assert.Equal(expectedY, y[j], outputs);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Lstm_may_update_the_cell_and_the_gates_in_place(int vectors, int inputs, bool hasPrevious)
    {
        int H = vectors * Vector<float>.Count, I = inputs, G = 4 * H;
        var random = new Random(vectors + inputs);
        float[] start = Uniform(random, G, 1f), x = Uniform(random, I, 1f), h = hasPrevious ? Uniform(random, H, 1f) : [];
        float[] weights = Uniform(random, (I + h.Length) * G, 0.5f), cell = hasPrevious ? Uniform(random, H, 2f) : [];
        float[] expectedCell = new float[H], expectedY = new float[H], expectedGates = new float[G], y = new float[H];
        FusedCells.Lstm(start, x, h, weights, cell, expectedCell, expectedY, expectedGates);

        float[] inPlaceCell = hasPrevious ? cell : new float[H];
        FusedCells.Lstm(start, x, h, weights, hasPrevious ? inPlaceCell : [], inPlaceCell, y, start);

        Assert.Equal(expectedCell, inPlaceCell);
        Assert.Equal(expectedY, y);
        Assert.Equal(expectedGates, start);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gru_matches_the_equations(int vectors, int inputs, bool hasPrevious)
    {
        int H = vectors * Vector<float>.Count, I = inputs, G = 3 * H;
        var random = new Random((vectors * 10) + inputs + 5);
        float[] biases = Uniform(random, 2 * G, 1f), x = Uniform(random, I, 1f);
        float[] h = hasPrevious ? Uniform(random, H, 1f) : [], weights = Uniform(random, (I + h.Length) * G, 0.5f);
        biases[0] = -90f;
        float[] y = new float[H], activated = new float[G], recurrentN = new float[H];

        FusedCells.Gru(biases, x, h, weights, y, activated, recurrentN);

        for (int j = 0; j < H; j++)
        {
            double inputN = biases[(2 * H) + j] + Product(x, [], weights, G, (2 * H) + j);
            double hiddenN = biases[G + (2 * H) + j] + Product([], h, weights.AsSpan(I * G), G, (2 * H) + j);
            double startR = biases[j] + biases[G + j], startZ = biases[H + j] + biases[G + H + j];
            var (r, z, n, expectedY) = CellEquations.Gru(startR + Product(x, h, weights, G, j), startZ + Product(x, h, weights, G, H + j),
                                                         inputN, hiddenN, hasPrevious ? h[j] : 0);
            Assert.Equal(r, activated[j], SumTolerance(1e-6, I + h.Length));
            Assert.Equal(z, activated[H + j], SumTolerance(1e-6, I + h.Length));
            Assert.Equal(n, activated[(2 * H) + j], SumTolerance(1e-5, I + h.Length));
            Assert.Equal(hiddenN, recurrentN[j], SumTolerance(1e-5, I + h.Length));
            Assert.Equal(expectedY, y[j], SumTolerance(1e-5, I + h.Length));
        }
    }

    [Fact]
    public void Gru_without_outputs_to_keep_writes_only_y()
    {
        int H = 2 * Vector<float>.Count, G = 3 * H;
        var random = new Random(3);
        float[] biases = Uniform(random, 2 * G, 1f), x = Uniform(random, 2, 1f), h = Uniform(random, H, 1f);
        float[] weights = Uniform(random, (2 + H) * G, 0.5f), kept = new float[G], recurrentN = new float[H], y = new float[H], alone = new float[H];
        FusedCells.Gru(biases, x, h, weights, y, kept, recurrentN);

        float[] biasesBefore = (float[])biases.Clone();
        FusedCells.Gru(biases, x, h, weights, alone, default, default);

        Assert.Equal(y, alone);
        Assert.Equal(biasesBefore, biases);
    }

    /// <summary>
    /// The order of the sums over h, to the bit: two chains at 8 and 16 units (rows [0, H/2) onto the start and x's rows, rows
    /// [H/2, H) from zero, then added), one chain at 24 and 32. Read through the kept i gates (the gate sigmoid of each sum,
    /// lane by lane) and a GRU's recurrent part of n (the sum itself). The sizes that fill whole vectors of this run.
    /// </summary>
    public static TheoryData<int> OrderSizes => [.. new[] { 8, 16, 24, 32 }.Where(units => units % Vector<float>.Count == 0)];

    [Theory]
    [MemberData(nameof(OrderSizes))]
    public void Sums_h_in_two_chains_at_8_and_16_units_and_in_one_otherwise(int units)
    {
        int H = units, I = 2, first = units is 8 or 16 ? H / 2 : H;
        var random = new Random(units);
        float[] x = Uniform(random, I, 1f), h = Uniform(random, H, 1f);

        // LSTM: the kept i gate against σ of the sum in that order.
        int G = 4 * H;
        float[] start = Uniform(random, G, 1f), weights = Uniform(random, (I + H) * G, 0.5f);
        float[] activated = new float[G];
        FusedCells.Lstm(start, x, h, weights, Uniform(random, H, 1f), new float[H], new float[H], activated);
        float[] expected = new float[H];
        for (int j = 0; j < H; j++)
        {
            // The kernels' own vector sigmoid: each lane is its own, whatever the width (the span function is scalar on the Scalar path).
            var sum = new Vector<float>(OrderedSum(start[j], x, h, weights, G, j, first));
            expected[j] = GateActivations.GateSigmoid<GateActivations.VectorLanes, Vector<float>>(sum)[0];
        }
        Assert.Equal(expected, activated.AsSpan(0, H).ToArray());

        // GRU: the recurrent part of n, b_hn + h·Wh_n, is kept as summed.
        G = 3 * H;
        float[] biases = Uniform(random, 2 * G, 1f), gruWeights = Uniform(random, (I + H) * G, 0.5f), recurrentN = new float[H];
        FusedCells.Gru(biases, x, h, gruWeights, new float[H], new float[G], recurrentN);
        for (int j = 0; j < H; j++)
            expected[j] = OrderedSum(biases[G + (2 * H) + j], [], h, gruWeights.AsSpan(I * G), G, (2 * H) + j, first);
        Assert.Equal(expected, recurrentN);
    }

    // start + [x | h]·weights at one column in float, one multiply-add at a time as the kernels do: x's rows and h's first
    // rows onto the start, the rest of h's rows from zero, then the two added.
    private static float OrderedSum(float start, ReadOnlySpan<float> x, ReadOnlySpan<float> h, ReadOnlySpan<float> weights, int columns, int column, int first)
    {
        float sum = start, second = 0f;
        for (int p = 0; p < x.Length; p++)
            sum = MultiplyAdd(x[p], weights[(p * columns) + column], sum);
        for (int p = 0; p < h.Length; p++)
        {
            float w = weights[((x.Length + p) * columns) + column];
            if (p < first)
                sum = MultiplyAdd(h[p], w, sum);
            else
                second = MultiplyAdd(h[p], w, second);
        }
        return first < h.Length ? sum + second : sum;
    }

    // The kernels' multiply-add: fused where the hardware has it, as Vector.MultiplyAddEstimate is.
    private static float MultiplyAdd(float a, float b, float c) =>
        Vector128.MultiplyAddEstimate(Vector128.Create(a), Vector128.Create(b), Vector128.Create(c)).ToScalar();

    /// <summary>
    /// A tolerance for values summed in float over <paramref name="rows"/> rows: <paramref name="tolerance"/> up to 64 rows,
    /// growing with them past that (13 vectors of 16 units sum over 200 rows).
    /// </summary>
    private static double SumTolerance(double tolerance, int rows) => tolerance * Math.Max(1.0, rows / 64.0);

    private static float[] Uniform(Random random, int length, float scale) => RandomTensors.Uniform(random, length, -scale, scale);

    /// <summary><c>[x | h]·weights</c> at one column of a row-major <c>[I + H, columns]</c>, in double precision.</summary>
    private static double Product(ReadOnlySpan<float> x, ReadOnlySpan<float> h, ReadOnlySpan<float> weights, int columns, int column)
    {
        double sum = 0;
        for (int p = 0; p < x.Length; p++)
            sum += (double)x[p] * weights[(p * columns) + column];
        for (int p = 0; p < h.Length; p++)
            sum += (double)h[p] * weights[((x.Length + p) * columns) + column];
        return sum;
    }
}
