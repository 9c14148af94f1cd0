using Udpconf.Reference.Host;
using Udpconf.Reference.Ip;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference;

/// <summary>What kind of answer an operation got.</summary>
public enum OutcomeKind
{
    /// <summary>The call returned a value (a descriptor, a byte count, 0).</summary>
    Value,
    /// <summary>The call failed with <see cref="Outcome.Error"/>.</summary>
    Error,
    /// <summary>The call sleeps and would not return by itself (a blocking send waiting for buffer space).</summary>
    Blocks,
    /// <summary>The documented code dereferences a null pointer here: the kernel oopses.</summary>
    KernelFault,
    /// <summary>The model does not say what happens (for instance an IPv6 datagram); a comparison reports "not
    /// applicable", never "pass".</summary>
    Unmodeled,
}

/// <summary>Changes to the host's SNMP counters (/proc/net/snmp) caused by one operation.</summary>
public readonly record struct CounterDelta(int OutDatagrams, int OutDiscards, int SndbufErrors, int OutNoRoutes)
{
    public static CounterDelta operator +(CounterDelta a, CounterDelta b) => new(
        a.OutDatagrams + b.OutDatagrams, a.OutDiscards + b.OutDiscards,
        a.SndbufErrors + b.SndbufErrors, a.OutNoRoutes + b.OutNoRoutes);
    public bool IsZero => this == default;
}

/// <summary>Where an error-queue entry came from (SO_EE_ORIGIN_*): SO_EE_ORIGIN_ZEROCOPY (5) is the completion of
/// MSG_ZEROCOPY sends, not an error.</summary>
public enum ErrorOrigin { Local = 1, Icmp = 2, Zerocopy = 5 }

/// <summary>An entry queued on the socket's error queue under IP_RECVERR (struct sock_extended_err).</summary>
/// <param name="Info">ee_info: the MTU for EMSGSIZE.</param>
/// <param name="Address">The destination the error is about.</param>
/// <param name="Port">The port recorded with it (the socket's connected port: 0 when unconnected).</param>
public sealed record ErrorQueueEntry(Errno Errno, ErrorOrigin Origin, int Info, Ipv4Address Address, ushort Port)
{
    /// <summary>ee_data: for a zerocopy completion, the last id of the range (ee_info is the first); 0 otherwise.</summary>
    public uint Data { get; init; }
    /// <summary>ee_code: for a zerocopy completion, SO_EE_CODE_ZEROCOPY_COPIED (1) when the data was copied; 0 otherwise.</summary>
    public byte Code { get; init; }

    /// <summary>SO_EE_CODE_ZEROCOPY_COPIED.</summary>
    public const byte ZerocopyCopied = 1;

    /// <summary>A MSG_ZEROCOPY completion (origin SO_EE_ORIGIN_ZEROCOPY, ee_errno 0): the ids <paramref name="first"/>
    /// to <paramref name="last"/> (ee_info, ee_data) are done, the data copied when <paramref name="copied"/>.</summary>
    public static ErrorQueueEntry Zerocopy(uint first, uint last, bool copied) =>
        new(0, ErrorOrigin.Zerocopy, unchecked((int)first), default, 0) { Data = last, Code = copied ? ZerocopyCopied : (byte)0 };

    /// <summary>The entry as a case file writes it after <c>errqueue:</c>.</summary>
    public string Describe() => Origin == ErrorOrigin.Zerocopy
        ? $"zerocopy {unchecked((uint)Info)}-{Data}{(Code == ZerocopyCopied ? " copied" : Code != 0 ? $" code={Code}" : "")}" +
          (Errno != 0 ? $" errno={Errno}" : "") + (Address != default || Port != 0 ? $" to {Address}:{Port}" : "")
        : $"{Errno} {Origin.ToString().ToLowerInvariant()} info={Info} to {Address}:{Port}" +
          (Code != 0 ? $" code={Code}" : "") + (Data != 0 ? $" data={Data}" : "");
}

/// <summary>Another answer a kernel may give to the same call, and what decides between it and the model's own: a
/// build option or a setting of the machine. The model predicts one answer; where kernels differ by build, never by
/// the call, it names the others here rather than holding one build's answer as the truth.</summary>
/// <param name="DependsOn">What decides it, as a reader can check it (e.g. "a kernel built without CONFIG_IP_MROUTE").</param>
public sealed record Alternative(Errno Error, string DependsOn);

/// <summary>
/// The answer to one operation: the return value or error, the clause that decided it, the datagrams emitted and
/// the observable side effects. <see cref="Trace"/> lists every clause the call passed through, in order.
/// </summary>
public sealed record Outcome
{
    public required OutcomeKind Kind { get; init; }
    public long Value { get; init; }
    public Errno? Error { get; init; }
    /// <summary>The clause id that decided the result.</summary>
    public required Clause Clause { get; init; }
    public IReadOnlyList<Clause> Trace { get; init; } = [];
    public IReadOnlyList<Datagram> Datagrams { get; init; } = [];
    public CounterDelta Counters { get; init; }
    /// <summary>The entries the call left on its socket's error queue (IP_RECVERR). They are read at once, as a target
    /// reads them after every operation: reading an ICMP entry clears the socket's error (sk_err).</summary>
    public IReadOnlyList<ErrorQueueEntry> ErrorQueue { get; init; } = [];
    /// <summary>Neighbours (next hops) confirmed reachable by MSG_CONFIRM.</summary>
    public IReadOnlyList<Ipv4Address> ConfirmedNeighbours { get; init; } = [];
    /// <summary>getsockopt: the bytes written to the option buffer.</summary>
    public ReadOnlyMemory<byte>? OptionValue { get; init; }
    /// <summary>getsockopt: the bytes written, when they depend on a symbol (a timeout read back in jiffies of the
    /// build's CONFIG_HZ); <see cref="OptionValue"/> is then null.</summary>
    public SymbolicBytes? SymbolicOption { get; init; }
    /// <summary>Errors other kernels give instead of <see cref="Error"/>, each with what decides it (see <see cref="Alternative"/>).</summary>
    public IReadOnlyList<Alternative> Alternatives { get; init; } = [];
    /// <summary>Why the outcome is what it is, when the clause alone does not say (Unmodeled, KernelFault, Blocks).</summary>
    public string? Note { get; init; }

    public bool IsError(Errno errno) => Kind == OutcomeKind.Error && Error == errno;

    /// <summary>The option bytes with every symbol bound.</summary>
    public ReadOnlyMemory<byte>? OptionBytes(Bindings bindings) =>
        SymbolicOption is { } symbolic ? symbolic.Render(bindings[symbolic.Symbol]) : OptionValue;

    /// <summary>The option bytes as a case file writes them after <c>value</c>: <c>hex:…</c>, or the symbolic form.</summary>
    public string? DescribeOption() =>
        SymbolicOption?.Describe() ?? (OptionValue is { } bytes ? $"hex:{Convert.ToHexString(bytes.Span).ToLowerInvariant()}" : null);

    public override string ToString() => Kind switch
    {
        OutcomeKind.Value => $"{Value} [{Clause}]",
        OutcomeKind.Error => $"{Error} [{Clause}]" + string.Concat(Alternatives.Select(a => $" (or {a.Error}: {a.DependsOn})")),
        _ => $"{Kind} [{Clause}]{(Note is null ? "" : ": " + Note)}",
    };
}
