using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets;

/// <summary>A packet an implementation handed to one of its links, IP header first.</summary>
public sealed record ObservedPacket(string Interface, byte[] Bytes);

/// <summary>What an implementation did for one operation. Targets report raw results: no clause ids, no
/// symbols, just values, errnos and bytes.</summary>
/// <param name="Counters">Changes of the SNMP counters, when the target can read them.</param>
/// <param name="Note">Why the result is what it is when the target could not run the operation.</param>
public sealed record Observation(
    OutcomeKind Kind,
    long Value,
    Errno? Error,
    IReadOnlyList<ObservedPacket> Packets,
    ReadOnlyMemory<byte>? OptionValue = null,
    CounterDelta? Counters = null,
    string? Note = null)
{
    public string Describe() => Kind switch
    {
        OutcomeKind.Value => Value.ToString(),
        OutcomeKind.Error => Error.ToString()!,
        OutcomeKind.KernelFault => "fault",
        OutcomeKind.Blocks => "blocks",
        _ => Kind + (Note is null ? "" : $" ({Note})"),
    };
}

/// <summary>The observations of one run, one per operation in order, or why the run could not happen.</summary>
public sealed record TargetRun(IReadOnlyList<Observation> Observations, string? Failure = null);

/// <summary>
/// An implementation under test: it takes a host description and a stream of operations and reports what it did.
/// It knows nothing of cases, clauses or expectations.
/// </summary>
public interface ITarget
{
    string Name { get; }
    /// <summary>The optional features of CaseParser.Features this target can run; a case needing another is
    /// not applicable to it.</summary>
    IReadOnlySet<string> Features { get; }
    TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default);
}
