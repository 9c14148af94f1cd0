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
    private readonly List<Clause> trace = [];
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
        if (!trace.Contains(clause)) trace.Add(clause);
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
        Finish(OutcomeKind.Value, clause, new(file, line, member)) with { Value = value, OptionValue = option };

    public Outcome Fail(Errno errno, Clause clause, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") =>
        Finish(OutcomeKind.Error, clause, new(file, line, member)) with { Error = errno };

    public Outcome Fault(Clause clause, string note, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") => Finish(OutcomeKind.KernelFault, clause, new(file, line, member)) with { Note = note };

    public Outcome Blocks(Clause clause, string note, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") => Finish(OutcomeKind.Blocks, clause, new(file, line, member)) with { Note = note };

    public Outcome Unmodeled(Clause clause, string note, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") =>
        Finish(OutcomeKind.Unmodeled, clause, new(file, line, member)) with { Note = note };

    /// <summary>Ends the call where a step stopped it, with the clause and site the stop carries.</summary>
    public Outcome Finish(Stop stop) => Finish(stop.Kind, stop.Clause, stop.Site) with { Error = stop.Error, Value = stop.Value, Note = stop.Note };

    private Outcome Finish(OutcomeKind kind, Clause clause, ClauseSite site)
    {
        Pass(clause, site);
        return new Outcome
        {
            Kind = kind,
            Clause = clause,
            Trace = trace.ToArray(),
            Datagrams = datagrams.ToArray(),
            Counters = Counters,
            ErrorQueue = errors.ToArray(),
            ConfirmedNeighbours = confirmed.ToArray(),
        };
    }
}
