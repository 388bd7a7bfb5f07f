using System.ComponentModel;
using System.Runtime.InteropServices;

namespace FastSeq.Models;

/// <summary>
/// Spreads a Predict or Step call over the cores: its rows (samples or streams) are cut into slices of a fixed number, which
/// run on <see cref="ParallelWorkers"/>. A row's result does not depend on the rows beside it, so every degree gives the bits
/// of the call run in one piece. For generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BatchSlices
{
    /// <summary>
    /// Items per thread a call is cut into: each takes whole slices, so that slices of a few rows (a model with a small
    /// MaxBatchSize) do not cost a hand-over each, while a thread that finishes early still finds items left.
    /// </summary>
    private const int ItemsPerThread = 8;

    /// <summary>
    /// Runs rows <c>[start, end)</c> of a model's call; the spans are the whole call's (<paramref name="lengths"/> and
    /// <paramref name="states"/> may be empty), of which it reads and writes those rows only.
    /// </summary>
    public delegate void Body<TModel, TInput>(TModel model, ReadOnlySpan<TInput> inputs, ReadOnlySpan<int> lengths, Span<float> outputs, Span<float> states, int start, int end);

    /// <summary>
    /// Runs <paramref name="body"/> over slices of <paramref name="sliceRows"/> of the <paramref name="rows"/> rows (each
    /// <paramref name="body"/> call takes a run of whole slices) on up to
    /// <paramref name="degree"/> threads, or once over every row when there is one slice, one thread, or outputs that share
    /// memory with the inputs (a row's outputs could then be another row's inputs). The spans are pinned while slices run.
    /// </summary>
    public static unsafe void Run<TModel, TInput>(
        TModel model, ReadOnlySpan<TInput> inputs, ReadOnlySpan<int> lengths, Span<float> outputs, Span<float> states,
        int rows, int sliceRows, int degree, Body<TModel, TInput> body)
        where TModel : class
        where TInput : unmanaged
    {
        int slices = (int)(((long)rows + sliceRows - 1) / sliceRows);
        if (slices < 2 || degree < 2 || (typeof(TInput) == typeof(float) && MemoryMarshal.Cast<TInput, float>(inputs).Overlaps(outputs)))
        {
            body(model, inputs, lengths, outputs, states, 0, rows);
            return;
        }
        fixed (TInput* x = inputs)
        fixed (int* l = lengths)
        fixed (float* y = outputs)
        fixed (float* s = states)
        {
            Slices<TModel, TInput> work = Slices<TModel, TInput>.ForThisThread ??= new();
            int items = (int)Math.Min(slices, (long)degree * ItemsPerThread);
            work.Set(model, body, x, inputs.Length, l, lengths.Length, y, outputs.Length, s, states.Length, rows, sliceRows, slices, items);
            try
            {
                ParallelWorkers.Shared.Run(work, items, degree);
            }
            finally
            {
                work.Set(null, null, null, 0, null, 0, null, 0, null, 0, 0, 0, 0, 0);
            }
        }
    }

    /// <summary>One call's pinned spans and body, reused by the calls of one thread.</summary>
    private sealed unsafe class Slices<TModel, TInput> : IParallelWork
        where TModel : class
        where TInput : unmanaged
    {
        [ThreadStatic] internal static Slices<TModel, TInput>? ForThisThread;

        private TModel? _model;
        private Body<TModel, TInput>? _body;
        private TInput* _inputs;
        private int* _lengths;
        private float* _outputs;
        private float* _states;
        private int _inputCount, _lengthCount, _outputCount, _stateCount, _rows, _sliceRows, _slices, _items;

        internal void Set(TModel? model, Body<TModel, TInput>? body, TInput* inputs, int inputCount, int* lengths, int lengthCount,
                          float* outputs, int outputCount, float* states, int stateCount, int rows, int sliceRows, int slices, int items)
        {
            _model = model;
            _body = body;
            _inputs = inputs;
            _inputCount = inputCount;
            _lengths = lengths;
            _lengthCount = lengthCount;
            _outputs = outputs;
            _outputCount = outputCount;
            _states = states;
            _stateCount = stateCount;
            _rows = rows;
            _sliceRows = sliceRows;
            _slices = slices;
            _items = items;
        }

        /// <summary>Item <paramref name="index"/>: its share of whole slices, each starting where it starts in the serial call.</summary>
        public void Run(int index)
        {
            long firstSlice = (long)index * _slices / _items, endSlice = (long)(index + 1) * _slices / _items;
            _body!(
                _model!,
                new ReadOnlySpan<TInput>(_inputs, _inputCount),
                new ReadOnlySpan<int>(_lengths, _lengthCount),
                new Span<float>(_outputs, _outputCount),
                new Span<float>(_states, _stateCount),
                (int)(firstSlice * _sliceRows),
                (int)Math.Min(endSlice * _sliceRows, _rows));
        }
    }
}
