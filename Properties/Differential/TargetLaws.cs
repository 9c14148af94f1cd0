using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Fuzz;
using Udpconf.Suite.Targets;

namespace Udpconf.Properties.Differential;

/// <summary>
/// Laws stated over what any implementation puts on the wire, so that they can be run against the model, the live
/// kernel and the mutants alike. Each returns the FsCheck property for one target.
/// </summary>
public static class TargetLaws
{
    private static HostConfig Host => FuzzGenerators.Host;
    private static Ipv4Address Destination => Ipv4Address.Parse("198.51.100.7");
    private const ushort SourcePort = 5000, DestinationPort = 9;

    private static Operation SendTo(UserBuffer data, MsgFlags flags = MsgFlags.None) =>
        new SendToOp(Fd.Named("s"), data, flags, UserBuffer.Of(SockAddr.In(Destination, DestinationPort)), 16);

    private static readonly Operation[] Opening =
    [
        new SocketOp("s"),
        new BindOp(Fd.Named("s"), UserBuffer.Of(SockAddr.In(FuzzGenerators.Local, SourcePort)), 16),
    ];

    /// <summary>udp_push.checksum_zero: a datagram whose checksum computes to 0 carries 0xFFFF.</summary>
    public static Property A_checksum_that_computes_to_zero_goes_out_as_0xFFFF(ITarget target) =>
        Prop.ForAll(Gen.Zip(Gen.Choose(1, 700), Gen.Choose(0, 255)).ToArbitrary(), t =>
        {
            var payload = FuzzGenerators.ZeroChecksumPayload(FuzzGenerators.Local, SourcePort, Destination, DestinationPort, 2 * t.Item1, (byte)t.Item2);
            var run = target.Run(Host, [.. Opening, SendTo(UserBuffer.Of(payload))]);
            var packet = run.Observations.Count == 3 ? run.Observations[2].Packets.SingleOrDefault() : null;
            if (packet is null) return false.Label($"{target.Name}: no single packet ({run.Failure})");
            var field = BinaryPrimitives.ReadUInt16BigEndian(packet.Bytes.AsSpan((packet.Bytes[0] & 0xF) * 4 + 6));
            return (field == 0xFFFF).Label($"{target.Name}: checksum field 0x{field:x4} for a {payload.Length}-byte payload that sums to 0");
        });

    /// <summary>udp_sendmsg.len_over_0xffff returns before anything else: a send refused by it leaves the pending
    /// data alone, so the next send completes the datagram with every byte given before.</summary>
    public static Property A_send_refused_by_the_length_check_leaves_the_cork_alone(ITarget target) =>
        Prop.ForAll(Gen.Zip(Gen.Zip(Gen.Choose(0, 700), Gen.Choose(0, 700)), Gen.Choose(65536, 70000)).Select(t => (t.Item1.Item1, t.Item1.Item2, t.Item2)).ToArbitrary(), t =>
        {
            var (first, last, oversized) = t;
            var run = target.Run(Host,
            [
                .. Opening,
                SendTo(UserBuffer.Pattern(first, 1), MsgFlags.More),
                SendTo(UserBuffer.Pattern(oversized)),
                SendTo(UserBuffer.Pattern(last, 2)),
            ]);
            if (run.Observations.Count != 5) return false.Label($"{target.Name}: {run.Failure}");
            if (run.Observations[3].Error != Errno.EMSGSIZE) return false.Label($"{target.Name}: the {oversized}-byte send gave {run.Observations[3].Describe()}");
            var packet = run.Observations[4].Packets.SingleOrDefault();
            if (packet is null) return false.Label($"{target.Name}: {run.Observations[4].Packets.Count} packets after the refused send");
            var data = packet.Bytes.AsSpan((packet.Bytes[0] & 0xF) * 4 + 8).ToArray();
            var expected = UserBuffer.Pattern(first, 1).Readable.ToArray().Concat(UserBuffer.Pattern(last, 2).Readable.ToArray()).ToArray();
            return data.SequenceEqual(expected).Label($"{target.Name}: {data.Length} data bytes, expected {expected.Length} ({first} pending + {last})");
        });
}
