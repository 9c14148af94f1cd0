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
    /// <summary>Sized for a send's trace (a plain one passes 34 clauses), so that it does not grow step by step. The
    /// outcome takes it as it is (<see cref="HandOver"/>); a call that goes on after that
    /// (sendmmsg's entries) copies it first (<see cref="handedOver"/>).</summary>
    private List<Clause> trace = new(40);
    /// <summary>An outcome holds <see cref="trace"/>: the next clause kept goes into a copy.</summary>
    private bool handedOver;
    /// <summary>A bit per clause (<see cref="Clause.Index"/>): set once the trace holds it.</summary>
    private readonly ulong[] passed = new ulong[(Clause.Count + 63) / 64];
    private readonly List<Datagram> datagrams = [];
    private readonly List<ErrorQueueEntry> errors = [];
    private readonly List<Ipv4Address> confirmed = [];

    public CounterDelta Counters { get; set; }
    public IReadOnlyList<Clause> Trace => trace;
    public IReadOnlyList<Datagram> Datagrams => datagrams;

    /// <summary>Records that the call passed a clause (kept once, in first-passed order).</summary>
    public void Pass(Clause clause, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") => Pass(clause, new ClauseSite(file, line, member));

    /// <summary>Records that the call passed a clause decided at <paramref name="decidedAt"/> (the caller, when unknown).</summary>
    public void Pass(Clause clause, ClauseSite decidedAt)
    {
        ClauseRecorder.Record(clause, decidedAt);
        Keep(clause);
    }

    private void Keep(Clause clause)
    {
        ref var word = ref passed[clause.Index >> 6];
        var bit = 1UL << (clause.Index & 63);
        if ((word & bit) != 0) return;
        word |= bit;
        if (handedOver) (trace, handedOver) = (new List<Clause>(trace), false);
        trace.Add(clause);
    }

    private List<Clause> HandOver()
    {
        handedOver = true;
        return trace;
    }

    public void Emit(Datagram datagram) => datagrams.Add(datagram);
    public void QueueError(ErrorQueueEntry entry) => errors.Add(entry);
    /// <summary>How many error-queue entries the call has queued so far.</summary>
    public int ErrorCount => errors.Count;

    /// <summary>A MSG_ZEROCOPY completion queued at <paramref name="at"/> (an earlier <see cref="ErrorCount"/>: the
    /// buffer was freed before the entries queued since): it extends the zerocopy entry before it when its range goes
    /// on from that one's last id (skb_zerocopy_notify_extend; the code stays the first's), else it is a new entry.</summary>
    public void QueueZerocopy(int at, uint first, uint last, bool copied)
    {
        if (at > 0 && errors[at - 1] is { Origin: ErrorOrigin.Zerocopy } tail && tail.Data + 1 == first &&
            (ulong)(tail.Data - unchecked((uint)tail.Info)) + 1 + (last - first + 1) < (1UL << 32))
            errors[at - 1] = tail with { Data = last };
        else
            errors.Insert(at, ErrorQueueEntry.Zerocopy(first, last, copied));
    }
    public void Confirm(Ipv4Address neighbour) => confirmed.Add(neighbour);
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
            Datagrams = datagrams.ToArray(),
            Counters = Counters,
            ErrorQueue = errors.ToArray(),
            ConfirmedNeighbours = confirmed.ToArray(),
        };
    }
}
