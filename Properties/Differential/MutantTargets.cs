using Udpconf.Suite.Cases;
using System.Buffers.Binary;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;

namespace Udpconf.Properties.Differential;

/// <summary>
/// Deliberately broken implementations: the model with one documented behavior taken out, seen from outside as any
/// target is. The properties and the differential machine must catch each one.
/// </summary>
public abstract class MutantTarget(Profile profile, string mutation) : ITarget
{
    public string Name => $"mutant:{mutation}";
    public IReadOnlySet<Feature> Features { get; } = new ModelTarget(profile).Features;

    public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default)
    {
        using var session = Open(host);
        return new TargetRun(operations.Select(session.Run).ToArray());
    }

    public ITargetSession Open(HostConfig host, bool ipv6 = false) => new Session(this, new Model(host, profile));

    /// <summary>The mutation: what the broken implementation reports for <paramref name="operation"/>.</summary>
    protected abstract Observation Answer(Model model, Operation operation, Func<Outcome, Observation> observe);

    private sealed class Session(MutantTarget mutant, Model model) : ITargetSession
    {
        public Observation Run(Operation operation) =>
            mutant.Answer(model, operation, outcome => ModelTarget.Observe(outcome, Bindings.FromSeed(1, model.Symbols)));

        public void Dispose() { }
    }
}

/// <summary>Forgets udp_push.checksum_zero: a UDP checksum that computes to 0 goes out as 0 ("no checksum")
/// instead of 0xFFFF.</summary>
public sealed class ZeroChecksumForgotten(Profile profile) : MutantTarget(profile, "zero-checksum-sent-as-0")
{
    protected override Observation Answer(Model model, Operation operation, Func<Outcome, Observation> observe)
    {
        var observed = observe(model.Run(operation));
        return observed with { Packets = observed.Packets.Select(Forget).ToArray() };
    }

    private static ObservedPacket Forget(ObservedPacket packet)
    {
        var bytes = packet.Bytes;
        if (bytes.Length < 20 || bytes[9] != 17 || (BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(6)) & 0x1FFF) != 0) return packet;
        var checksum = (bytes[0] & 0xF) * 4 + 6;
        if (bytes.Length < checksum + 2 || BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(checksum)) != 0xFFFF) return packet;
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(checksum), 0);
        return packet with { Bytes = copy };
    }
}

/// <summary>Discards the pending (corked) data when a send fails the 65535-byte length check
/// (udp_sendmsg.len_over_0xffff), which returns before anything else and must leave the cork alone. The discard is
/// made with the model's own behavior: a 65535-byte append to the pending datagram fails the total-size check, and
/// that failure flushes it (udp_sendmsg.append_error_flush); the extra call is not reported.</summary>
public sealed class CorkFlushedOnLengthCheck(Profile profile) : MutantTarget(profile, "cork-flushed-on-length-check")
{
    protected override Observation Answer(Model model, Operation operation, Func<Outcome, Observation> observe)
    {
        var outcome = model.Run(operation);
        var observed = observe(outcome);
        Fd? fd = operation switch { SendToOp op => op.Fd, SendMsgOp op => op.Fd, _ => null };
        if (outcome.Clause == ClauseId.LenOver0xFFFF && fd is { } socket)
            model.Run(new SendToOp(socket, UserBuffer.Pattern(65535), MsgFlags.None, null, 0));
        return observed;
    }
}

/// <summary>
/// A mutant of the model the suite once let through (a Stryker or hand-made survivor, now killed by a case), made here
/// as a target that hands the model a slightly different call or reports a slightly different answer, so that the
/// differential machine's power over it is measured too.
/// </summary>
public sealed class SurvivorMutant(Profile profile, string name, Func<Operation, Operation>? rewrite = null,
    Func<Operation, Outcome, Outcome>? answer = null) : MutantTarget(profile, name)
{
    protected override Observation Answer(Model model, Operation operation, Func<Outcome, Observation> observe)
    {
        var outcome = model.Run(rewrite?.Invoke(operation) ?? operation);
        return observe(answer?.Invoke(operation, outcome) ?? outcome);
    }

    private static Operation IntOption(Operation operation, int level, int name, Func<int, int> change) =>
        operation is SetSockOptOp { Value.Readable.Length: >= 4 } op && op.Level == level && op.OptName == name && op.OptLen >= 4
            ? op with { Value = UserBuffer.Of(BitConverter.GetBytes(change(BinaryPrimitives.ReadInt32LittleEndian(op.Value!.Readable.Span)))) }
            : operation;

    /// <summary>The sample: each a survivor of issue 16, with the case that kills it now.</summary>
    public static IReadOnlyDictionary<string, Func<Profile, ITarget>> Sample { get; } = new Dictionary<string, Func<Profile, ITarget>>
    {
        // udp_cork/udp_cork_any_value: only UDP_CORK 1 corks.
        ["udp-cork-only-one"] = p => new SurvivorMutant(p, "udp-cork-only-one",
            rewrite: op => IntOption(op, SocketOption.SolUdp, SocketOption.UdpCork, v => v == 1 ? 1 : 0)),
        // udp_sendmsg/cmsg_ttl_tos_bounds_linux: an IP_TTL control message of 256 taken as 255.
        ["cmsg-ttl-256-taken"] = p => new SurvivorMutant(p, "cmsg-ttl-256-taken", rewrite: op => op is SendMsgOp { Control: not null } send
            ? send with { Control = UserBuffer.Of(Retyped(send.Control!.Readable, send.ControlLength, SocketOption.SolIp, SocketOption.IpTtl, v => v == 256 ? 255 : v)) } : op),
        // multicast/ttl_bounds_linux: IP_MULTICAST_TTL 256 taken as 255.
        ["multicast-ttl-256-taken"] = p => new SurvivorMutant(p, "multicast-ttl-256-taken",
            rewrite: op => IntOption(op, SocketOption.SolIp, SocketOption.IpMulticastTtl, v => v == 256 ? 255 : v)),
        // boundaries/link_mtu_limits_linux: a link MTU of 67 taken as 68.
        ["link-mtu-67-taken"] = p => new SurvivorMutant(p, "link-mtu-67-taken",
            rewrite: op => op is HostChangeOp { Mtu: 67 } change ? change with { Mtu = 68 } : op),
        // sys_sendmsg/iovlen: exactly UIO_MAXIOV entries refused.
        ["iov-1024-refused"] = p => new SurvivorMutant(p, "iov-1024-refused",
            answer: (op, outcome) => op is SendMsgOp { Iov.Count: 1024 } ? new Call().Fail(Errno.EMSGSIZE, ClauseId.SendmsgIovLength) : outcome),
    };

    /// <summary>The control messages with each int of (level, type) changed, encoded anew; malformed ones as they were.</summary>
    private static byte[] Retyped(ReadOnlyMemory<byte> control, long length, int level, int type, Func<int, int> change)
    {
        var messages = ControlMessages.Walk(control, length).ToArray();
        if (messages.Any(m => m.Malformed || m.Message!.DeclaredLength != ControlMessages.LengthFor(m.Message.Data.Length)))
            return control.ToArray();
        return ControlMessages.Encode(messages.Select(m => m.Message!).Select(m => (m.Level, m.Type,
            m.Level == level && m.Type == type && m.Data.Length == 4
                ? ControlMessages.Int(change(BinaryPrimitives.ReadInt32LittleEndian(m.Data.Span))) : m.Data.ToArray())).ToArray());
    }
}
