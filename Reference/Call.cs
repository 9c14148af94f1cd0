using Udpconf.Reference.Host;
using Udpconf.Reference.Ip;

namespace Udpconf.Reference;

/// <summary>
/// What one operation has done so far: the clauses it passed, the datagrams it emitted and its side effects.
/// The model's functions add to it and finish it with <see cref="Return"/>, <see cref="Fail"/> and friends.
/// </summary>
public sealed class Call
{
    private readonly List<string> trace = [];
    private readonly List<Datagram> datagrams = [];
    private readonly List<ErrorQueueEntry> errors = [];
    private readonly List<Ipv4Address> confirmed = [];

    public CounterDelta Counters { get; set; }
    public IReadOnlyList<string> Trace => trace;
    public IReadOnlyList<Datagram> Datagrams => datagrams;

    /// <summary>Records that the call passed a clause (kept once, in first-passed order).</summary>
    public void Pass(string clause)
    {
        if (!trace.Contains(clause)) trace.Add(clause);
    }

    public void Emit(Datagram datagram) => datagrams.Add(datagram);
    public void QueueError(ErrorQueueEntry entry) => errors.Add(entry);
    public void Confirm(Ipv4Address neighbour) => confirmed.Add(neighbour);
    public void Count(CounterDelta delta) => Counters += delta;

    public Outcome Return(long value, string clause, ReadOnlyMemory<byte>? option = null) =>
        Finish(OutcomeKind.Value, clause) with { Value = value, OptionValue = option };

    public Outcome Fail(Errno errno, string clause) => Finish(OutcomeKind.Error, clause) with { Error = errno };

    public Outcome Fault(string clause, string note) => Finish(OutcomeKind.KernelFault, clause) with { Note = note };

    public Outcome Blocks(string clause, string note) => Finish(OutcomeKind.Blocks, clause) with { Note = note };

    public Outcome Unmodeled(string clause, string note) => Finish(OutcomeKind.Unmodeled, clause) with { Note = note };

    private Outcome Finish(OutcomeKind kind, string clause)
    {
        Pass(clause);
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
