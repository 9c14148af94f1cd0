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
