using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets;

/// <summary>A packet an implementation handed to one of its links, IP header first.</summary>
/// <param name="Offload">On a link with checksum offload (a TUN device with IFF_VNET_HDR), what the virtio-net
/// header that came before the packet said; the header itself is not part of <paramref name="Bytes"/>.</param>
public sealed record ObservedPacket(string Interface, byte[] Bytes, VirtioNetHeader? Offload = null);

/// <summary>The fields of a struct virtio_net_hdr (little-endian as a TUN device writes it).</summary>
/// <param name="Flags">VIRTIO_NET_HDR_F_NEEDS_CSUM (1): the device is to finish the checksum.</param>
/// <param name="CsumStart">Where the checksummed range starts, from the IP header.</param>
/// <param name="CsumOffset">Where the checksum field is, from <paramref name="CsumStart"/>.</param>
public sealed record VirtioNetHeader(byte Flags, byte GsoType, ushort HdrLen, ushort GsoSize, ushort CsumStart, ushort CsumOffset)
{
    public const byte NeedsCsum = 1;
    /// <summary>The bytes of the header on the wire.</summary>
    public const int Size = 10;
    public bool NeedsChecksum => (Flags & NeedsCsum) != 0;

    public static VirtioNetHeader Read(ReadOnlySpan<byte> bytes) => new(bytes[0], bytes[1],
        System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(bytes[2..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]),
        System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]));

    /// <summary>The header as a TUN device writes it (the inverse of <see cref="Read"/>).</summary>
    public byte[] Bytes()
    {
        var bytes = new byte[Size];
        bytes[0] = Flags;
        bytes[1] = GsoType;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), HdrLen);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), GsoSize);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), CsumStart);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), CsumOffset);
        return bytes;
    }
}

/// <summary>What an implementation did for one operation. Targets report raw results: no clause ids, no
/// symbols, just values, errnos and bytes.</summary>
/// <param name="Counters">Changes of the SNMP counters, when the target can read them: over this step alone, or over
/// the last <paramref name="CounterSteps"/> steps when the target read them once for a run of steps (the live kernel,
/// unless asked for every step); null on a step whose changes are in a later step's.</param>
/// <param name="Note">Why the result is what it is when the target could not run the operation.</param>
/// <param name="ErrorQueue">The entries the operation left on its socket's error queue (IP_RECVERR), when the
/// target can read them.</param>
/// <param name="CounterSteps">How many steps, this one the last, <paramref name="Counters"/> covers.</param>
public sealed record Observation(
    OutcomeKind Kind,
    long Value,
    Errno? Error,
    IReadOnlyList<ObservedPacket> Packets,
    ReadOnlyMemory<byte>? OptionValue = null,
    CounterDelta? Counters = null,
    string? Note = null,
    IReadOnlyList<ErrorQueueEntry>? ErrorQueue = null,
    int CounterSteps = 1)
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
    /// <summary>The optional features this target can run (of Feature.Known, and any other its implementation announces); a case needing another is
    /// not applicable to it.</summary>
    IReadOnlySet<Cases.Feature> Features { get; }
    /// <summary>Runs a whole case: a fresh instance of the implementation on <paramref name="host"/>, the operations
    /// in order. A failure of the target itself is <see cref="TargetRun.Failure"/>, not an exception.</summary>
    TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default);
    /// <summary>As <see cref="Run(HostConfig, IReadOnlyList{Operation}, CancellationToken)"/>, handing each observation to
    /// <paramref name="observed"/> (on whatever thread the target runs) as soon as it has it, in order; by default after
    /// the whole run. A target that runs the operations one after the other overrides it, so that the caller can judge
    /// a step while the target runs the next. <paramref name="countersEveryStep"/>: each step's counters on their own
    /// (a case that states counters), where the target would otherwise read them once for a run of steps.</summary>
    TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, Action<Observation> observed, CancellationToken cancellation = default,
        bool countersEveryStep = false)
    {
        var run = Run(host, operations, cancellation);
        foreach (var observation in run.Observations) observed(observation);
        return run;
    }
    /// <summary>A fresh instance of the implementation on <paramref name="host"/> that takes one operation at a time
    /// (for the differential machine, which decides the next operation after seeing the last answer).
    /// <paramref name="ipv6"/>: AF_INET6 sockets may be opened. Throws when the instance cannot be set up.</summary>
    ITargetSession Open(HostConfig host, bool ipv6 = false);
    /// <summary>How many <see cref="Run"/>s may go at once (each on its own instance); 1, the default, for a target with
    /// one instance (a process it keeps, a VM).</summary>
    int Concurrency => 1;
}

/// <summary>One live instance of an implementation: operations go in one at a time, observations come out.
/// Disposing it tears the instance down (namespace, process, ...).</summary>
public interface ITargetSession : IDisposable
{
    /// <summary>Runs one operation. Throws when the target itself fails (crash, hang, garbage): the session is then
    /// unusable.</summary>
    Observation Run(Operation operation);

    /// <summary>Runs a sequence decided beforehand, handing each observation to <paramref name="observed"/> as soon as
    /// it is made (on whatever thread the target runs), so that a caller can judge one step while the target runs the
    /// next. Throws as <see cref="Run"/> does, after the observations made before. A target whose operations must cross
    /// to another thread overrides it to cross once.</summary>
    void RunAll(IReadOnlyList<Operation> operations, Action<Observation> observed)
    {
        foreach (var operation in operations) observed(Run(operation));
    }

    /// <summary>Puts the instance back into the state <see cref="ITarget.Open"/> left it in, to run another sequence on
    /// the same host, and says whether it did; false (the default) when the target cannot, and the caller opens a new
    /// session. Only a reset shown indistinguishable from a fresh instance may say true.</summary>
    bool Reset() => false;
}

/// <summary>An implementation failed the handshake the same way <see cref="Exec.ExecTarget.StopAfter"/> times in a row: the
/// run stops (the remaining cases are not run) and udpconf exits 2 with the message. A cancellation of the run, so that
/// the case runner lets it through as it does Ctrl-C.</summary>
public sealed class TargetStoppedException(string message) : OperationCanceledException(message);
