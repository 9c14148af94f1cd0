using System.Runtime.CompilerServices;
using Udpconf.Reference.Host;
using Udpconf.Reference.Ip;

namespace Udpconf.Reference;

/// <summary>
/// What one operation has done so far: the clauses it passed, the datagrams it emitted and its side effects.
/// The model's functions add to it and finish it with <see cref="Return"/>, <c>Fail</c> and friends, or with the
/// <see cref="Stop"/> a step gave (<see cref="Finish(Stop)"/>).
/// </summary>
public sealed class Call
{
    /// <summary>The clauses kept, in order. The outcome takes it as it is (<see cref="HandOver"/>); a call that goes on
    /// after that (sendmmsg's entries) copies it first (<see cref="handedOver"/>).</summary>
    private ClauseTrace trace = new();
    /// <summary>An outcome holds <see cref="trace"/>: the next clause kept goes into a copy.</summary>
    private bool handedOver;
    /// <summary>A bit per clause (<see cref="Clause.Index"/>): set once the trace holds it. Held in the call, not in an
    /// array of its own: one object fewer per call (issue 17).</summary>
    private ClauseBits passed;
    // Made at the first entry: most calls emit one datagram or none, queue no error and confirm no neighbour, and three
    // empty lists were a tenth of a plain send's allocation (issue 17). A first datagram goes into an array of one,
    // which the outcome takes as it is; a second one starts a list.
    private Datagram[]? single;
    private List<Datagram>? datagrams;
    private List<ErrorQueueEntry>? errors;
    private List<Ipv4Address>? confirmed;

    public CounterDelta Counters { get; set; }
    public IReadOnlyList<Clause> Trace => trace;
    public IReadOnlyList<Datagram> Datagrams => (IReadOnlyList<Datagram>?)datagrams ?? single ?? [];

    /// <summary>Records that the call passed a clause (kept once, in first-passed order).</summary>
    public void Pass(Clause clause, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") => Pass(clause, new ClauseSite(file, line, member));

    /// <summary>Records that the call passed a clause decided at <paramref name="decidedAt"/> (the caller, when unknown).</summary>
    public void Pass(Clause clause, ClauseSite decidedAt)
    {
        ClauseRecorder.Record(clause, decidedAt);
        Keep(clause);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Keep(Clause clause)
    {
        ref var word = ref passed[clause.Index >> 6];
        var bit = 1UL << (clause.Index & 63);
        if ((word & bit) != 0) return;
        word |= bit;
        if (handedOver) (trace, handedOver) = (trace.Copy(), false);
        trace.Add(clause);
    }

    private ClauseTrace HandOver()
    {
        handedOver = true;
        return trace;
    }

    public void Emit(Datagram datagram)
    {
        if (single is null) single = [datagram];
        else (datagrams ??= [.. single]).Add(datagram);
    }
    public void QueueError(ErrorQueueEntry entry) => (errors ??= []).Add(entry);
    /// <summary>How many error-queue entries the call has queued so far.</summary>
    public int ErrorCount => errors?.Count ?? 0;

    /// <summary>A MSG_ZEROCOPY completion queued at <paramref name="at"/> (an earlier <see cref="ErrorCount"/>: the
    /// buffer was freed before the entries queued since): it extends the zerocopy entry before it when its range goes
    /// on from that one's last id (skb_zerocopy_notify_extend; the code stays the first's), else it is a new entry.</summary>
    public void QueueZerocopy(int at, uint first, uint last, bool copied)
    {
        errors ??= [];
        if (at > 0 && errors[at - 1] is { Origin: ErrorOrigin.Zerocopy } tail && tail.Data + 1 == first &&
            (ulong)(tail.Data - unchecked((uint)tail.Info)) + 1 + (last - first + 1) < (1UL << 32))
            errors[at - 1] = tail with { Data = last };
        else
            errors.Insert(at, ErrorQueueEntry.Zerocopy(first, last, copied));
    }
    public void Confirm(Ipv4Address neighbour) => (confirmed ??= []).Add(neighbour);
    public void Count(CounterDelta delta) => Counters += delta;

    public Outcome Return(long value, Clause clause, ReadOnlyMemory<byte>? option = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") =>
        Finish(OutcomeKind.Value, clause, new(file, line, member), value: value, option: option);

    public Outcome Fail(Errno errno, Clause clause, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") =>
        Finish(OutcomeKind.Error, clause, new(file, line, member), error: errno);

    public Outcome Fault(Clause clause, string note, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") => Finish(OutcomeKind.KernelFault, clause, new(file, line, member), note: note);

    public Outcome Blocks(Clause clause, string note, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") => Finish(OutcomeKind.Blocks, clause, new(file, line, member), note: note);

    public Outcome Unmodeled(Clause clause, string note, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") =>
        Finish(OutcomeKind.Unmodeled, clause, new(file, line, member), note: note);

    /// <summary>Ends the call where a step stopped it, with the clause and site the stop carries.</summary>
    public Outcome Finish(Stop stop) => Finish(stop.Kind, stop.Clause, stop.Site, stop.Value, stop.Error, stop.Note);

    /// <summary>The clause the call's trace ends with, after the one that decides its answer: a system call's own
    /// (sys_sendto.result), set before the protocol's send runs (<see cref="CloseWith"/>).</summary>
    private Clause? closing;

    /// <summary>From here on, the call's answer is passed on as it is, its trace ending with <paramref name="clause"/>
    /// (kept once). Its site is the caller's to record (<see cref="ClauseSite.Decided"/>) once the answer is back, so
    /// that switches read meanwhile (a socket's release) are credited to it, as they are to a clause passed then.</summary>
    public void CloseWith(Clause clause) => closing = clause;

    /// <summary>The outcome, made once (not copied with <c>with</c> for its value: a copy was a second outcome per call).</summary>
    private Outcome Finish(OutcomeKind kind, Clause clause, ClauseSite site, long value = 0, Errno? error = null, string? note = null, ReadOnlyMemory<byte>? option = null)
    {
        Pass(clause, site);
        if (closing is { } last) Keep(last);
        return new Outcome
        {
            Kind = kind,
            Value = value,
            Error = error,
            Note = note,
            OptionValue = option,
            Clause = clause,
            Trace = HandOver(),
            Datagrams = datagrams?.ToArray() ?? (IReadOnlyList<Datagram>?)single ?? [],
            Counters = Counters,
            ErrorQueue = errors is null ? [] : errors.ToArray(),
            ConfirmedNeighbours = confirmed is null ? [] : confirmed.ToArray(),
        };
    }
}

/// <summary>The bits of <see cref="Call"/>'s kept clauses, inside the call: room for 256 clauses. An index past it
/// throws, so a catalog grown past 256 fails the test that passes every id in one call (CallAndOutcomeTests).</summary>
[InlineArray(4)]
internal struct ClauseBits
{
    private ulong word;
}

/// <summary>A call's trace: the clauses it kept, in order, by number (<see cref="Clause.Index"/>), a byte each (the 256
/// clauses <see cref="ClauseBits"/> holds). A plain send keeps 34, so it starts with room for 48 and doubles past that.</summary>
internal sealed class ClauseTrace : IReadOnlyList<Clause>
{
    private byte[] items;
    public int Count { get; private set; }

    public ClauseTrace() => items = new byte[48];

    private ClauseTrace(byte[] items, int count) => (this.items, Count) = (items, count);

    public Clause this[int index] => (uint)index < (uint)Count ? Clause.At(items[index]) : throw new ArgumentOutOfRangeException(nameof(index));

    public void Add(Clause clause)
    {
        if (Count == items.Length) Array.Resize(ref items, 2 * items.Length);
        items[Count++] = checked((byte)clause.Index);
    }

    /// <summary>A trace of its own with the same clauses, for a call that goes on after handing this one over.</summary>
    public ClauseTrace Copy() => new((byte[])items.Clone(), Count);

    public IEnumerator<Clause> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return Clause.At(items[i]);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
