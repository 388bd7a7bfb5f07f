using System.Numerics;
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
