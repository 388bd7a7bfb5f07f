using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastSeq.Kernels;

namespace FastSeq.Tests.Kernels;

public class AlignedMemoryTests
{
    private static unsafe long Address(ReadOnlySpan<float> span) => (long)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Buffers_are_zeroed_and_start_on_a_cache_line(int length)
    {
        for (int i = 0; i < 20; i++) // several allocations, so not every one can be aligned by luck
        {
            ArraySegment<float> buffer = AlignedMemory.Allocate(length);
            Assert.Equal(length, buffer.Count);
            Assert.All(buffer, value => Assert.Equal(0f, value));
            if (length > 0)
                Assert.Equal(0, Address(buffer) % AlignedMemory.Alignment);
        }
    }

    [Fact]
    public void Alignment_survives_garbage_collections()
    {
        ArraySegment<float> buffer = AlignedMemory.Allocate(100);
        long before = Address(buffer);
        for (int i = 0; i < 3; i++)
        {
            _ = new byte[1 << 20];
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
        Assert.Equal(before, Address(buffer));
    }

    [Fact]
    public void A_negative_length_is_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => AlignedMemory.Allocate(-1));
        Assert.Equal("length", e.ParamName);
    }

    [Fact]
    public void Generated_models_keep_parameters_and_gradients_aligned()
    {
        ISequenceModel[] models = [new FastSeq.Tests.Models.SineForecaster(), new FastSeq.Tests.Models.LstmStackClassifierModel(), new FastSeq.Tests.Models.SmallGruStack()];
        foreach (ISequenceModel model in models)
        {
            Assert.Equal(0, Address(model.Parameters) % AlignedMemory.Alignment);
            Assert.Equal(0, Address(model.Gradients) % AlignedMemory.Alignment);
            Assert.Equal(0, Address(model.Outputs) % AlignedMemory.Alignment);
        }
    }
}
