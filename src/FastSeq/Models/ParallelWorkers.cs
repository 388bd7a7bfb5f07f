using System.ComponentModel;
using System.Runtime.ExceptionServices;

namespace FastSeq.Models;

/// <summary>Work cut into items <c>0 .. count - 1</c> that may run on different threads in any order. For generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IParallelWork
{
    /// <summary>Runs item <paramref name="index"/>; it must touch nothing another item touches.</summary>
    void Run(int index);
}

/// <summary>
/// The worker threads that spread a training batch's shards and a large Predict's or Step's slices over the cores. The calling
/// thread takes items too, so a call never waits for a worker it does not need; the workers are made on first need (up to the
/// largest degree asked for) and then block until the next call: nothing is allocated per call. One call uses them at a time:
/// a call that finds them busy (another thread's, or one nested in an item) runs its items on its own thread. Which thread
/// runs an item never changes its result, so the bits do not depend on the degree or on who else is running. For generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ParallelWorkers
{
    /// <summary>More helpers than this are not made, whatever degree is asked for.</summary>
    private const int MaxHelpers = 63;

    private readonly object _growing = new();
    private ManualResetEventSlim[] _wake = [];
    private readonly ManualResetEventSlim _done = new(initialState: false);
    private int _busy;
    private IParallelWork? _work;
    private int _count;
    private int _next;
    private int _helpersRunning;
    private ExceptionDispatchInfo? _failure;

    private ParallelWorkers()
    {
    }

    /// <summary>The process's workers.</summary>
    public static ParallelWorkers Shared { get; } = new();

    /// <summary>
    /// Runs items <c>0 .. count - 1</c> of <paramref name="work"/> on the calling thread and up to <c>degree - 1</c> workers, and
    /// returns when all are done; the first exception an item threw is rethrown here (the items not yet started then do not run).
    /// </summary>
    public void Run(IParallelWork work, int count, int degree)
    {
        int helpers = Math.Min(Math.Min(degree, count) - 1, MaxHelpers);
        if (helpers < 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++)
                work.Run(i);
            return;
        }
        try
        {
            EnsureHelpers(helpers);
            _work = work;
            _count = count;
            _failure = null;
            _helpersRunning = helpers;
            _done.Reset();
            Volatile.Write(ref _next, 0);
            for (int i = 0; i < helpers; i++)
                _wake[i].Set();
            RunItems();
            _done.Wait();
            _work = null;
            _failure?.Throw();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Takes items until none is left (or one failed).</summary>
    private void RunItems()
    {
        IParallelWork work = _work!;
        int index;
        while ((index = Interlocked.Increment(ref _next) - 1) < _count)
        {
            try
            {
                work.Run(index);
            }
            catch (Exception exception)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(exception), null);
                Volatile.Write(ref _next, _count);
            }
        }
    }

    private void EnsureHelpers(int helpers)
    {
        if (_wake.Length >= helpers)
            return;
        lock (_growing)
        {
            var wake = new ManualResetEventSlim[helpers];
            _wake.CopyTo(wake, 0);
            for (int i = _wake.Length; i < helpers; i++)
            {
                var signal = new ManualResetEventSlim(initialState: false);
                wake[i] = signal;
                new Thread(() => Help(signal)) { IsBackground = true, Name = $"FastSeq worker {i + 1}" }.Start();
            }
            _wake = wake;
        }
    }

    /// <summary>A worker's life: wait to be woken, take items with the caller, report when none is left.</summary>
    private void Help(ManualResetEventSlim wake)
    {
        while (true)
        {
            wake.Wait();
            wake.Reset();
            RunItems();
            if (Interlocked.Decrement(ref _helpersRunning) == 0)
                _done.Set();
        }
    }
}
