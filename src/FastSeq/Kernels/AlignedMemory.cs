using System.ComponentModel;
using System.Runtime.InteropServices;

namespace FastSeq.Kernels;

/// <summary>
/// Float buffers that start on a cache-line boundary. A 256-bit load that straddles two cache lines
/// costs two; a matrix whose rows start unaligned pays that on every other load, which made the
/// batch-1 product of a streaming step about a third slower. Generated models take every buffer
/// from here. For generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class AlignedMemory
{
    /// <summary>Bytes to which the first element of every buffer is aligned: one cache line.</summary>
    public const int Alignment = 64;

    /// <summary>
    /// <paramref name="length"/> zeroed floats whose first element sits on an <see cref="Alignment"/>-byte
    /// boundary. The backing array lives on the pinned object heap, which never moves it, so the
    /// alignment holds for the buffer's lifetime.
    /// </summary>
    public static ArraySegment<float> Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        const int slack = (Alignment / sizeof(float)) - 1;
        float[] array = GC.AllocateArray<float>(length + slack, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        int offset = (int)((-address & (Alignment - 1)) / sizeof(float));
        return new ArraySegment<float>(array, offset, length);
    }
}
