namespace FastSeq.Kernels;

/// <summary>
/// How many vectors of C a kernel keeps in registers across k, as a type: one generic kernel serves
/// every width, and the JIT compiles each apart, dropping the accumulators a width does not use.
/// </summary>
internal interface IVectorCount
{
    static abstract int Vectors { get; }
}

internal readonly struct Vectors1 : IVectorCount { public static int Vectors => 1; }

internal readonly struct Vectors2 : IVectorCount { public static int Vectors => 2; }

internal readonly struct Vectors3 : IVectorCount { public static int Vectors => 3; }

internal readonly struct Vectors4 : IVectorCount { public static int Vectors => 4; }

internal readonly struct Vectors5 : IVectorCount { public static int Vectors => 5; }

internal readonly struct Vectors6 : IVectorCount { public static int Vectors => 6; }

internal readonly struct Vectors7 : IVectorCount { public static int Vectors => 7; }

internal readonly struct Vectors8 : IVectorCount { public static int Vectors => 8; }
