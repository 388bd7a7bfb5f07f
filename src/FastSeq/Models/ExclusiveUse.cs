using System.ComponentModel;

namespace FastSeq.Models;

/// <summary>
/// Catches two threads in a model's members that change it (Forward, Backward, LoadWeights) at the same time, which
/// would mix their buffers silently: the second throws <see cref="InvalidOperationException"/> naming both members.
/// One interlocked exchange per call. For generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ExclusiveUse
{
    private string? _holder;

    /// <summary>Marks <paramref name="member"/> as running until the returned scope is disposed.</summary>
    /// <exception cref="InvalidOperationException">Another member holds the model.</exception>
    public Scope Enter(string member)
    {
        string? holder = Interlocked.CompareExchange(ref _holder, member, null);
        if (holder is not null)
        {
            throw new InvalidOperationException(
                $"{member} was called while {holder} was still running on this model: training members and LoadWeights are not for concurrent use. " +
                "Predict and Step with caller-owned states are; for training on several threads, give each thread its own model.");
        }
        return new Scope(this);
    }

    /// <summary>Releases the model when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly ExclusiveUse _owner;

        internal Scope(ExclusiveUse owner) => _owner = owner;

        /// <summary>Releases the model.</summary>
        public void Dispose() => Volatile.Write(ref _owner._holder, null);
    }
}
