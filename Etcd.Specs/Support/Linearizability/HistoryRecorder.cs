using System.Diagnostics;

namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Records a client history from many concurrent tasks: <c>var h = rec.Invoke(client, op)</c> just before
/// the request is sent, then exactly one of <see cref="Complete"/> (a reply arrived), <see cref="Ambiguous"/>
/// (timeout, unavailable, connection lost: it may or may not have happened) or <see cref="Failed"/> (it
/// definitely did not happen). An operation never completed counts as ambiguous.
/// <para>Lock-free: a slot index comes from one interlocked increment, so recording costs far less than the
/// request it brackets. Bounded: <see cref="Invoke"/> throws once <see cref="Capacity"/> operations exist,
/// so a runaway workload fails loudly instead of growing a history no checker could finish.</para>
/// </summary>
public sealed class HistoryRecorder
{
    public const int DefaultCapacity = 200_000;

    private readonly RecorderSlot?[] _slots;
    private readonly Func<long> _clock;
    private int _reserved;

    /// <param name="capacity">How many operations may be invoked in total.</param>
    /// <param name="clock">A monotonic clock; <see cref="Stopwatch.GetTimestamp"/> unless a spec injects one.</param>
    public HistoryRecorder(int capacity = DefaultCapacity, Func<long>? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _slots = new RecorderSlot?[capacity];
        _clock = clock ?? Stopwatch.GetTimestamp;
    }

    public int Capacity => _slots.Length;

    /// <summary>Operations invoked so far (at most <see cref="Capacity"/>).</summary>
    public int Count => Math.Min(Volatile.Read(ref _reserved), _slots.Length);

    /// <summary>Records an invocation; call it before the request leaves the client.</summary>
    /// <exception cref="InvalidOperationException">The recorder is full.</exception>
    public OpHandle Invoke(int client, KvOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        // Checked before reserving too, so callers hammering a full recorder cannot wrap the counter.
        if (Volatile.Read(ref _reserved) >= _slots.Length) throw Full();
        var now = _clock();
        var index = Interlocked.Increment(ref _reserved) - 1;
        if (index >= _slots.Length) throw Full();
        Volatile.Write(ref _slots[index], new RecorderSlot(client, op, now));
        return new OpHandle(index);
    }

    /// <summary>The reply arrived with this output (its kind must match the operation's).</summary>
    public void Complete(OpHandle handle, OpOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var now = _clock();
        var slot = Find(handle);
        if (output.Kind != slot.Op.Kind)
            throw new ArgumentException($"op #{handle.Index} is a {slot.Op.Kind}; it cannot return a {output.Kind} output", nameof(output));
        Claim(handle, slot);
        slot.Return = now;
        slot.Output = output;
        Volatile.Write(ref slot.State, RecorderSlot.CompletedOk);
    }

    /// <summary>The client cannot tell whether the operation took effect.</summary>
    public void Ambiguous(OpHandle handle)
    {
        var slot = Find(handle);
        Claim(handle, slot);
        Volatile.Write(ref slot.State, RecorderSlot.CompletedAmbiguous);
    }

    /// <summary>The operation definitely did not take effect (e.g. the server rejected it as invalid).</summary>
    public void Failed(OpHandle handle)
    {
        var now = _clock();
        var slot = Find(handle);
        Claim(handle, slot);
        slot.Return = now;
        Volatile.Write(ref slot.State, RecorderSlot.CompletedFailed);
    }

    /// <summary>
    /// A snapshot of the history so far, in invocation order. Operations still in flight are ambiguous;
    /// one whose <see cref="Invoke"/> has not returned yet is left out (its request has not been sent).
    /// </summary>
    public IReadOnlyList<Operation> History()
    {
        var n = Count;
        var ops = new List<Operation>(n);
        for (var i = 0; i < n; i++)
        {
            var slot = Volatile.Read(ref _slots[i]);
            if (slot is null) continue;
            ops.Add(Volatile.Read(ref slot.State) switch
            {
                RecorderSlot.CompletedOk => Operation.Ok(i, slot.Client, slot.Op, slot.Invoke, slot.Return, slot.Output!),
                RecorderSlot.CompletedFailed => Operation.Failed(i, slot.Client, slot.Op, slot.Invoke, slot.Return),
                _ => Operation.Ambiguous(i, slot.Client, slot.Op, slot.Invoke),
            });
        }
        return ops;
    }

    private InvalidOperationException Full() =>
        new($"history recorder is full ({_slots.Length} operations); raise its capacity or run a shorter workload");

    private RecorderSlot Find(OpHandle handle) =>
        (uint)handle.Index < (uint)Count && Volatile.Read(ref _slots[handle.Index]) is { } slot
            ? slot
            : throw new ArgumentException($"op #{handle.Index} was not invoked on this recorder", nameof(handle));

    /// <summary>Only one completion wins; the loser learns it completed twice (a bug in the workload driver).</summary>
    private static void Claim(OpHandle handle, RecorderSlot slot)
    {
        if (Interlocked.CompareExchange(ref slot.State, RecorderSlot.Completing, RecorderSlot.Invoked) != RecorderSlot.Invoked)
            throw new InvalidOperationException($"op #{handle.Index} ({slot.Op.Key} {slot.Op}) was already completed");
    }
}
