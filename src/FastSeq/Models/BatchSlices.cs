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
    /// Runs rows <c>[start, end)</c> of a model's call; the spans are the whole call's (<paramref name="lengths"/> and
    /// <paramref name="states"/> may be empty), of which it reads and writes those rows only.
    /// </summary>
    public delegate void Body<TModel, TInput>(TModel model, ReadOnlySpan<TInput> inputs, ReadOnlySpan<int> lengths, Span<float> outputs, Span<float> states, int start, int end);

    /// <summary>
    /// Runs <paramref name="body"/> over slices of <paramref name="sliceRows"/> of the <paramref name="rows"/> rows on up to
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
            work.Set(model, body, x, inputs.Length, l, lengths.Length, y, outputs.Length, s, states.Length, rows, sliceRows);
            try
            {
                ParallelWorkers.Shared.Run(work, slices, degree);
            }
            finally
            {
                work.Set(null, null, null, 0, null, 0, null, 0, null, 0, 0, 0);
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
        private int _inputCount, _lengthCount, _outputCount, _stateCount, _rows, _sliceRows;

        internal void Set(TModel? model, Body<TModel, TInput>? body, TInput* inputs, int inputCount, int* lengths, int lengthCount,
                          float* outputs, int outputCount, float* states, int stateCount, int rows, int sliceRows)
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
        }

        public void Run(int index)
        {
            int start = index * _sliceRows;
            _body!(
                _model!,
                new ReadOnlySpan<TInput>(_inputs, _inputCount),
                new ReadOnlySpan<int>(_lengths, _lengthCount),
                new Span<float>(_outputs, _outputCount),
                new Span<float>(_states, _stateCount),
                start,
                Math.Min(start + _sliceRows, _rows));
        }
    }
}
