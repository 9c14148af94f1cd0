using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Udpconf.Reference;
using Outcome = Udpconf.Reference.Outcome;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Properties.Laws;

/// <summary>Bytes to sum and a 32-bit partial sum to start from.</summary>
public sealed record ChecksumInput(byte[] Data, uint Initial)
{
    public override string ToString() =>
        $"{Data.Length} bytes {Convert.ToHexString(Data.AsSpan(0, Math.Min(Data.Length, 48)))}{(Data.Length > 48 ? "…" : "")}, initial 0x{Initial:X8}";
}

/// <summary>Data cut into pieces of the given lengths (many of them odd), and a partial sum added first.</summary>
public sealed record PiecewiseInput(byte[] Data, int[] PieceLengths, uint Initial)
{
    public override string ToString() => $"{Data.Length} bytes in pieces [{string.Join(", ", PieceLengths)}], initial 0x{Initial:X8}";
}

/// <summary>A UDP segment: addresses for the pseudo-header, ports and data.</summary>
public sealed record SegmentInput(Ipv4Address Source, Ipv4Address Destination, ushort SourcePort, ushort DestinationPort, byte[] Data)
{
    public override string ToString() => $"{Source}:{SourcePort} -> {Destination}:{DestinationPort}, {Data.Length} bytes";
}

/// <summary>
/// One datagram sent through the model from a host with a random address: bound to <see cref="BindAny"/> ? 0.0.0.0 :
/// the host address, at <see cref="BindPort"/> (0: an ephemeral port), to a random unicast destination, in MSG_MORE
/// pieces cut at <see cref="Cuts"/>, over tun0 with <see cref="Mtu"/>, with SO_NO_CHECK when <see cref="NoCheck"/>.
/// </summary>
public sealed record ModelSend(
    Ipv4Address HostAddress, bool BindAny, ushort BindPort, Ipv4Address Destination, ushort DestinationPort,
    int Mtu, byte[] Data, int[] Cuts, bool NoCheck)
{
    public override string ToString() =>
        $"host {HostAddress}, bound {(BindAny ? "0.0.0.0" : HostAddress.ToString())}:{BindPort}, to {Destination}:{DestinationPort}, " +
        $"mtu {Mtu}, {Data.Length} bytes cut at [{string.Join(", ", Cuts)}]{(NoCheck ? ", SO_NO_CHECK" : "")}";
}

/// <summary>A payload whose last two bytes are still to be chosen so that the UDP checksum computes to 0, sent from
/// 192.0.2.1:5000 to <see cref="Destination"/>:<see cref="DestinationPort"/> in pieces cut at <see cref="Cuts"/>.</summary>
public sealed record ZeroSumInput(Ipv4Address Destination, ushort DestinationPort, byte[] Prefix, int[] Cuts)
{
    public override string ToString() =>
        $"to {Destination}:{DestinationPort}, {Prefix.Length + 2} bytes cut at [{string.Join(", ", Cuts)}]";
}

/// <summary>
/// The RFC 1071 checksum of Reference/Wire against a plain reference written here, piece by piece as
/// ip_generic_getfrag sums, and on every datagram the model sends: it verifies, and it is never 0 on the wire unless
/// SO_NO_CHECK turned checksums off (a computed 0 goes out as 0xFFFF).
/// </summary>
public class ChecksumLaws
{
    private static Profile[] Profiles => [Profile.Spec, Profile.Linux];

    // --- Wire-level laws -----------------------------------------------------------------------------------------

    [Property(MaxTest = 1000, Arbitrary = [typeof(ChecksumArbitraries)])]
    [Trait("clause", "udp_push.checksum")]
    [Trait("clause", "ip_push.header_checksum")]
    public Property The_checksum_equals_a_plain_RFC_1071_sum_for_any_bytes(ChecksumInput input)
    {
        var verdict = new Verdict();
        var computed = InternetChecksum.Compute(input.Data);
        var reference = Rfc1071.Checksum(input.Data);
        verdict.Require(computed == reference, () => $"Compute gave 0x{computed:X4}, RFC 1071 gives 0x{reference:X4}");
        var folded = InternetChecksum.Fold(InternetChecksum.Sum(input.Data, input.Initial));
        var referenceSum = Rfc1071.Sum(input.Data, input.Initial);
        verdict.Require(folded == referenceSum, () => $"Fold(Sum(data, initial)) gave 0x{folded:X4}, RFC 1071 gives 0x{referenceSum:X4}");
        return verdict.ToProperty();
    }

    [Property(MaxTest = 1000, Arbitrary = [typeof(ChecksumArbitraries)])]
    [Trait("clause", "ip_generic_getfrag.checksum")]
    public Property The_sum_of_data_arriving_in_pieces_of_any_lengths_equals_the_sum_of_the_whole(PiecewiseInput input)
    {
        var accumulator = new ChecksumAccumulator();
        accumulator.AddSum(input.Initial);
        var at = 0;
        foreach (var length in input.PieceLengths)
        {
            accumulator.Add(input.Data.AsSpan(at, length));
            at += length;
        }
        var folded = InternetChecksum.Fold(accumulator.Sum);
        var reference = Rfc1071.Sum(input.Data, input.Initial);
        return new Verdict()
            .Require(folded == reference, () => $"piecewise sum folds to 0x{folded:X4}, the whole data's RFC 1071 sum is 0x{reference:X4}")
            .Require(accumulator.BytesAdded == input.Data.Length, () => $"BytesAdded {accumulator.BytesAdded}, data {input.Data.Length}")
            .ToProperty();
    }

    [Property(MaxTest = 1000, Arbitrary = [typeof(ChecksumArbitraries)])]
    [Trait("clause", "udp_push.checksum")]
    [Trait("clause", "udp_push.checksum_zero")]
    public Property A_UDP_segment_with_its_computed_checksum_sums_to_0xFFFF_with_its_pseudo_header(SegmentInput input)
    {
        var length = (ushort)(UdpHeader.Length + input.Data.Length);
        var header = new UdpHeader(input.SourcePort, input.DestinationPort, length, 0);
        var checksum = UdpHeader.ComputeChecksum(input.Source, input.Destination, length, header, input.Data);
        var segment = new byte[length];
        (header with { Checksum = checksum }).Emit(segment);
        input.Data.CopyTo(segment, UdpHeader.Length);
        var received = Rfc1071.ReceiverSum(input.Source, input.Destination, length, segment);
        return new Verdict()
            .Require(received == 0xFFFF, () => $"checksum 0x{checksum:X4}: the receiver's sum is 0x{received:X4}, not 0xFFFF")
            .Require(checksum != 0, () => "a computed checksum of 0 must be sent as 0xFFFF")
            .ToProperty();
    }

    [Property(MaxTest = 1000, Arbitrary = [typeof(WireArbitraries)])]
    [Trait("clause", "ip_push.header_checksum")]
    public Property An_IPv4_header_with_its_computed_checksum_sums_to_0xFFFF(Ipv4Header header)
    {
        var withChecksum = header.WithComputedChecksum();
        var bytes = new byte[withChecksum.HeaderLength];
        withChecksum.Emit(bytes);
        var zeroed = (byte[])bytes.Clone();
        zeroed[10] = zeroed[11] = 0;
        var reference = Rfc1071.Checksum(zeroed);
        var sum = Rfc1071.Sum(bytes);
        return new Verdict()
            .Require(withChecksum.HeaderChecksum == reference, () => $"computed 0x{withChecksum.HeaderChecksum:X4}, RFC 1071 over the header gives 0x{reference:X4}")
            .Require(sum == 0xFFFF, () => $"the header sums to 0x{sum:X4}")
            .Require(Ipv4Header.ChecksumIsValid(bytes), () => "ChecksumIsValid refuses a header whose sum is 0xFFFF")
            .ToProperty();
    }

    // --- Laws of what the model sends ----------------------------------------------------------------------------

    [Property(MaxTest = 500, Arbitrary = [typeof(ChecksumArbitraries)])]
    [Trait("clause", "udp_push.checksum")]
    [Trait("clause", "ip_generic_getfrag.checksum")]
    [Trait("clause", "ip_push.header_checksum")]
    [Trait("clause", "udp_sendmsg.pending_append")]
    public Property Every_datagram_the_model_sends_sums_to_0xFFFF_with_its_pseudo_header(ModelSend send)
    {
        var verdict = new Verdict();
        foreach (var profile in Profiles)
        {
            if (SendThroughModel(send with { NoCheck = false }, profile, verdict) is not { } sent) continue;
            var (first, transport) = sent;
            var field = BinaryPrimitives.ReadUInt16BigEndian(transport.AsSpan(6));
            var received = Rfc1071.ReceiverSum(first.Source, first.Destination, transport.Length, transport);
            verdict.Require(received == 0xFFFF, () => $"{profile.Name}: checksum field 0x{field:X4}, the receiver's sum is 0x{received:X4}");
        }
        return verdict.ToProperty();
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(ChecksumArbitraries)])]
    [Trait("clause", "udp_push.no_check")]
    [Trait("clause", "udp_push.checksum_zero")]
    public Property The_UDP_checksum_field_is_0_on_the_wire_exactly_when_SO_NO_CHECK_is_set(ModelSend send)
    {
        var verdict = new Verdict();
        foreach (var profile in Profiles)
        {
            if (SendThroughModel(send, profile, verdict) is not { } sent) continue;
            var field = BinaryPrimitives.ReadUInt16BigEndian(sent.Transport.AsSpan(6));
            verdict.Require((field == 0) == send.NoCheck, () => $"{profile.Name}: checksum field 0x{field:X4} with SO_NO_CHECK {(send.NoCheck ? "on" : "off")}");
        }
        return verdict.ToProperty();
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(ChecksumArbitraries)])]
    [Trait("clause", "udp_push.checksum_zero")]
    [Trait("clause", "udp_push.checksum")]
    public Property A_checksum_that_computes_to_0_is_sent_as_0xFFFF(ZeroSumInput input)
    {
        var verdict = new Verdict();
        var data = ForcingZeroChecksum(input);
        // The construction is checked with the reference before the model is asked anything.
        var segment = Segment(Session.LocalPort, input.DestinationPort, data, checksum: 0);
        var computed = (ushort)~Rfc1071.ReceiverSum(Hosts.Local, input.Destination, segment.Length, segment);
        if (computed != 0) return false.Label($"test construction: the checksum of the chosen payload is 0x{computed:X4}, not 0");

        foreach (var profile in Profiles)
        {
            var session = Session.Open(Hosts.Tun0(1500), profile);
            var pieces = Payload.Split(data, input.Cuts);
            Outcome? last = null;
            for (var i = 0; i < pieces.Length; i++)
            {
                last = session.SendTo(pieces[i], i < pieces.Length - 1 ? MsgFlags.More : MsgFlags.None, input.Destination, input.DestinationPort);
                if (last.Kind != OutcomeKind.Value) { verdict.Fail($"{profile.Name}: piece {i}: {last}"); break; }
            }
            if (!verdict.Ok || last is null) continue;
            var packets = session.Packets(last).Select(RawPacket.Read).ToList();
            if (packets.Count == 0) { verdict.Fail($"{profile.Name}: nothing sent"); continue; }
            var transport = RawPacket.Reassemble(packets, out var problem);
            if (transport is null) { verdict.Fail($"{profile.Name}: {problem}"); continue; }
            var field = BinaryPrimitives.ReadUInt16BigEndian(transport.AsSpan(6));
            var received = Rfc1071.ReceiverSum(Hosts.Local, input.Destination, transport.Length, transport);
            verdict.Require(field == 0xFFFF, () => $"{profile.Name}: checksum field 0x{field:X4}, expected 0xFFFF ({packets.Count} fragments)");
            verdict.Require(received == 0xFFFF, () => $"{profile.Name}: the receiver's sum is 0x{received:X4}");
        }
        return verdict.ToProperty();
    }

    /// <summary>The payload: the prefix, then two bytes that bring the one's complement sum over pseudo-header,
    /// header (checksum 0) and data to 0xFFFF, so that its complement, the checksum, is 0.</summary>
    private static byte[] ForcingZeroChecksum(ZeroSumInput input)
    {
        var n = input.Prefix.Length + 2;
        var data = new byte[n];
        input.Prefix.CopyTo(data, 0);
        var segment = Segment(Session.LocalPort, input.DestinationPort, data, checksum: 0);
        var sum = Rfc1071.ReceiverSum(Hosts.Local, input.Destination, segment.Length, segment);
        var word = (ushort)(0xFFFF - sum);
        if (n % 2 == 0)
        {
            // The last two bytes are one 16-bit word of the segment (the 8-byte header keeps the data's parity).
            data[n - 2] = (byte)(word >> 8);
            data[n - 1] = (byte)word;
        }
        else
        {
            // Byte n-2 is the low half of a word, byte n-1 the high half of the padded last word.
            data[n - 2] = (byte)word;
            data[n - 1] = (byte)(word >> 8);
        }
        return data;
    }

    private static byte[] Segment(ushort sourcePort, ushort destinationPort, byte[] data, ushort checksum)
    {
        var segment = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(4), (ushort)segment.Length);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(6), checksum);
        data.CopyTo(segment, 8);
        return segment;
    }

    /// <summary>Sends <paramref name="send"/> under <paramref name="profile"/> and checks what every datagram must
    /// be whatever its checksum: every call succeeds, one datagram leaves, its fragments reassemble to the UDP header
    /// and the data, ports, length and addresses are the ones given, every IP header sums to 0xFFFF. Returns the
    /// first fragment and the reassembled UDP segment, or null after recording a problem.</summary>
    private static (RawPacket First, byte[] Transport)? SendThroughModel(ModelSend send, Profile profile, Verdict verdict)
    {
        var host = new HostConfig
        {
            Interfaces = [HostConfig.LoopbackInterface, new Interface("tun0", 2, send.HostAddress, 24, send.Mtu)],
            Routes = [new Route(Ipv4Address.Any, 0, RouteKind.Unicast, "tun0", new Ipv4Address((send.HostAddress.Value & 0xFFFFFF00) | 254))],
            WmemDefault = 1 << 24,
            WmemMax = 1 << 24,
        };
        var session = Session.Open(host, profile, send.BindAny ? Ipv4Address.Any : send.HostAddress, send.BindPort);
        if (send.NoCheck)
        {
            var set = session.SetInt(SocketOption.SolSocket, SocketOption.SoNoCheck, 1);
            if (set.Kind != OutcomeKind.Value) { verdict.Fail($"{profile.Name}: SO_NO_CHECK: {set}"); return null; }
        }
        var pieces = Payload.Split(send.Data, send.Cuts);
        Outcome? last = null;
        for (var i = 0; i < pieces.Length; i++)
        {
            last = session.SendTo(pieces[i], i < pieces.Length - 1 ? MsgFlags.More : MsgFlags.None, send.Destination, send.DestinationPort);
            if (last.Kind != OutcomeKind.Value || last.Value != pieces[i].Length)
            {
                verdict.Fail($"{profile.Name}: piece {i} of {pieces[i].Length} bytes: {last}");
                return null;
            }
        }
        if (last!.Datagrams.Count != 1) { verdict.Fail($"{profile.Name}: {last.Datagrams.Count} datagrams left"); return null; }
        var packets = session.Packets(last, seed: send.Data.Length).Select(RawPacket.Read).ToList();
        var transport = RawPacket.Reassemble(packets, out var problem);
        if (transport is null) { verdict.Fail($"{profile.Name}: {problem}"); return null; }
        var first = packets[0];
        var sourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
        verdict
            .Require(transport.Length == 8 + send.Data.Length, () => $"{profile.Name}: {transport.Length} bytes reassembled for {send.Data.Length} of data")
            .Require(send.BindPort == 0 || sourcePort == send.BindPort, () => $"{profile.Name}: source port {sourcePort}, bound {send.BindPort}")
            .Require(BinaryPrimitives.ReadUInt16BigEndian(transport.AsSpan(2)) == send.DestinationPort, () => $"{profile.Name}: destination port")
            .Require(BinaryPrimitives.ReadUInt16BigEndian(transport.AsSpan(4)) == transport.Length, () => $"{profile.Name}: UDP length field")
            .Require(transport.AsSpan(8).SequenceEqual(send.Data), () => $"{profile.Name}: the data differs")
            .Require(packets.All(p => p.Source == send.HostAddress && p.Destination == send.Destination), () => $"{profile.Name}: addresses {first.Source} -> {first.Destination}")
            .Require(packets.All(p => p.HeaderSumsToFfff), () => $"{profile.Name}: an IP header does not sum to 0xFFFF");
        return verdict.Ok ? (first, transport) : null;
    }
}

public static class ChecksumArbitraries
{
    private static Gen<byte[]> Bytes(int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n));

    /// <summary>Random bytes, runs of 0xFF and 0x00 (where end-around carries pile up, or nothing is summed), and
    /// tiny inputs.</summary>
    private static Gen<byte[]> Data() => Gen.Frequency(
        (6, Bytes(2000)),
        (1, Gen.Choose(0, 200).Select(n => Enumerable.Repeat((byte)0xFF, n).ToArray())),
        (1, Gen.Choose(0, 200).Select(n => new byte[n])),
        (1, Bytes(3)));

    private static Gen<uint> Initial() => Gen.Frequency(
        (3, ArbMap.Default.GeneratorFor<uint>()),
        (1, Gen.Elements(0u, 0xFFFFu, 0x10000u, 0xFFFFFFFFu, 0xFFFF0000u)));

    public static Arbitrary<ChecksumInput> Checksums() =>
        Arb.From(Gen.Zip(Data(), Initial()).Select(t => new ChecksumInput(t.Item1, t.Item2)));

    public static Arbitrary<PiecewiseInput> Piecewise() =>
        Arb.From(Gen.Zip(
                Gen.Choose(0, 30).SelectMany(count => Gen.ArrayOf(Gen.Frequency((4, Gen.Choose(0, 7)), (1, Gen.Choose(0, 600))), count)),
                Initial())
            .SelectMany(t => Gen.Frequency(
                    (3, Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), t.Item1.Sum())),
                    (1, Gen.Constant(Enumerable.Repeat((byte)0xFF, t.Item1.Sum()).ToArray())))
                .Select(data => new PiecewiseInput(data, t.Item1, t.Item2))));

    private static Gen<Ipv4Address> AnyAddress() => ArbMap.Default.GeneratorFor<uint>().Select(v => new Ipv4Address(v));

    public static Arbitrary<SegmentInput> Segments() =>
        Arb.From(
            from source in AnyAddress()
            from destination in AnyAddress()
            from sourcePort in ArbMap.Default.GeneratorFor<ushort>()
            from destinationPort in ArbMap.Default.GeneratorFor<ushort>()
            from data in Data()
            select new SegmentInput(source, destination, sourcePort, destinationPort, data));

    /// <summary>A unicast address outside 0/8, 127/8 and the multicast and class E ranges.</summary>
    public static Gen<Ipv4Address> Unicast() =>
        Gen.Zip(Gen.Choose(1, 223).Where(octet => octet != 127), Gen.Choose(0, 0xFFFFFF))
            .Select(t => new Ipv4Address(((uint)t.Item1 << 24) | (uint)t.Item2));

    private static Gen<int[]> Cuts(int length) =>
        Gen.Choose(0, 5).SelectMany(count => Gen.ArrayOf(Gen.Choose(0, length), count));

    private static Gen<ushort> Port() => Gen.Choose(1, 65535).Select(p => (ushort)p);

    public static Arbitrary<ModelSend> ModelSends()
    {
        // The host's address is not its subnet's network or broadcast address, nor the gateway (.254).
        var host = Unicast().Select(a => new Ipv4Address((a.Value & 0xFFFFFF00) | (1 + (a.Value & 0xFF) % 253)));
        var gen =
            from hostAddress in host
            from destination in Unicast().Where(d => d.Value != (hostAddress.Value | 0xFF))
            from bindAny in ArbMap.Default.GeneratorFor<bool>()
            from bindPort in Gen.Frequency((4, Port()), (1, Gen.Constant((ushort)0)))
            from destinationPort in Port()
            from mtu in Gen.Frequency((2, Gen.Elements(68, 576, 1500, 9000)), (1, Gen.Choose(68, 1600)))
            from data in Gen.Frequency((4, Bytes(1600)), (1, Bytes(9000)))
            from cuts in Cuts(data.Length)
            from noCheck in ArbMap.Default.GeneratorFor<bool>()
            select new ModelSend(hostAddress, bindAny, bindPort, destination, destinationPort, mtu, data, cuts, noCheck);
        return Arb.From(gen);
    }

    public static Arbitrary<ZeroSumInput> ZeroSums()
    {
        var gen =
            from destination in Unicast().Where(d => d.Value != 0xC00002FF && d.Value != Hosts.Local.Value)
            from port in Port()
            from prefix in Gen.Frequency((3, Bytes(200)), (1, Bytes(4000)))
            from cuts in Cuts(prefix.Length + 2)
            select new ZeroSumInput(destination, port, prefix, cuts);
        return Arb.From(gen);
    }
}
