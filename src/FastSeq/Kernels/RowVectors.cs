namespace FastSeq.Kernels;

/// <summary>How many vectors of C one block of the single-row kernel keeps in registers (a compile-time constant per type).</summary>
internal interface IRowVectors
{
    static abstract int Vectors { get; }
}

internal readonly struct RowVectors1 : IRowVectors { public static int Vectors => 1; }

internal readonly struct RowVectors2 : IRowVectors { public static int Vectors => 2; }

internal readonly struct RowVectors3 : IRowVectors { public static int Vectors => 3; }

internal readonly struct RowVectors4 : IRowVectors { public static int Vectors => 4; }

internal readonly struct RowVectors5 : IRowVectors { public static int Vectors => 5; }

internal readonly struct RowVectors6 : IRowVectors { public static int Vectors => 6; }

internal readonly struct RowVectors7 : IRowVectors { public static int Vectors => 7; }

internal readonly struct RowVectors8 : IRowVectors { public static int Vectors => 8; }
