using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Properties.Laws;

/// <summary>Bytes offered to the IPv4 parser: some well-formed, some with a bad version, IHL or total length.</summary>
public sealed record RawHeaderBytes(byte[] Bytes)
{
    public override string ToString() => $"{Bytes.Length} bytes {Convert.ToHexString(Bytes)}";
}

/// <summary>Field values for Ipv4Header.Emit, some of which the wire cannot hold.</summary>
public sealed record EmitInput(int OptionsLength, int FragmentOffsetBytes)
{
    public override string ToString() => $"{OptionsLength} option bytes, fragment offset {FragmentOffsetBytes}";
}

/// <summary>
/// The headers of Reference/Wire: parse(emit(header)) is the header and emit(parse(bytes)) the bytes, for any IPv4
/// header (any options, flags, offsets) and any UDP header; every field sits where RFC 791 and RFC 768 put it; the
/// parser and the emitter refuse exactly what the wire format cannot express.
/// </summary>
public class WireLaws
{
    [Property(MaxTest = 1000, Arbitrary = [typeof(WireArbitraries)])]
    [Trait("clause", "ip_push.header")]
    [Trait("clause", "ip_push.options")]
    public Property Parsing_an_emitted_IPv4_header_gives_back_the_header(Ipv4Header header)
    {
        var bytes = new byte[header.HeaderLength];
        header.Emit(bytes);
        if (!Ipv4Header.TryParse(bytes, out var parsed, out var problem)) return false.Label($"refused: {problem}");
        return (parsed == header).Label($"parsed back as {parsed}");
    }

    [Property(MaxTest = 1000, Arbitrary = [typeof(WireArbitraries)])]
    [Trait("clause", "ip_push.header")]
    [Trait("clause", "ip_push.options")]
    public Property Emitting_writes_every_IPv4_field_where_RFC_791_puts_it(Ipv4Header header)
    {
        var bytes = new byte[header.HeaderLength];
        header.Emit(bytes);
        // RFC 791 §3.1, written out by hand.
        var expected = new byte[20 + header.Options.Length];
        expected[0] = (byte)(0x40 | (expected.Length / 4));
        expected[1] = header.Tos;
        expected[2] = (byte)(header.TotalLength >> 8);
        expected[3] = (byte)header.TotalLength;
        expected[4] = (byte)(header.Identification >> 8);
        expected[5] = (byte)header.Identification;
        var flags = (header.Reserved ? 4 : 0) | (header.DontFragment ? 2 : 0) | (header.MoreFragments ? 1 : 0);
        var units = header.FragmentOffsetBytes / 8;
        expected[6] = (byte)((flags << 5) | (units >> 8));
        expected[7] = (byte)units;
        expected[8] = header.Ttl;
        expected[9] = header.Protocol;
        expected[10] = (byte)(header.HeaderChecksum >> 8);
        expected[11] = (byte)header.HeaderChecksum;
        for (var i = 0; i < 4; i++)
        {
            expected[12 + i] = (byte)(header.Source.Value >> (24 - 8 * i));
            expected[16 + i] = (byte)(header.Destination.Value >> (24 - 8 * i));
        }
        header.Options.Span.CopyTo(expected.AsSpan(20));
        return bytes.AsSpan().SequenceEqual(expected).Label($"emitted {Convert.ToHexString(bytes)}, RFC 791 layout {Convert.ToHexString(expected)}");
    }

    [Property(MaxTest = 1000, Arbitrary = [typeof(WireArbitraries)])]
    [Trait("clause", "ip_push.header")]
    [Trait("clause", "ip_push.options")]
    public Property Emitting_a_parsed_IPv4_header_gives_back_its_bytes_and_parsing_refuses_exactly_what_RFC_791_cannot_read(RawHeaderBytes raw)
    {
        var b = raw.Bytes;
        var readable = b.Length >= 20 && b[0] >> 4 == 4 && (b[0] & 0xF) >= 5 && (b[0] & 0xF) * 4 <= b.Length
                       && ((b[2] << 8) | b[3]) >= (b[0] & 0xF) * 4;
        var parses = Ipv4Header.TryParse(b, out var header, out var problem);
        if (parses != readable) return false.Label(parses ? "parsed bytes RFC 791 cannot read" : $"refused readable bytes: {problem}");
        if (!parses) return (problem is not null).Label("a refusal must say why");
        var again = new byte[header.HeaderLength];
        header.Emit(again);
        return again.AsSpan().SequenceEqual(b.AsSpan(0, (b[0] & 0xF) * 4)).Label($"emitted back as {Convert.ToHexString(again)}");
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(WireArbitraries)])]
    [Trait("clause", "ip_push.header")]
    [Trait("clause", "ip_push.options")]
    public Property Emitting_refuses_exactly_options_and_offsets_the_IPv4_header_cannot_hold(EmitInput input)
    {
        var header = new Ipv4Header(0, 60, 0, false, false, false, (ushort)input.FragmentOffsetBytes, 64, 17, 0,
            Ipv4Address.Any, Ipv4Address.Any, new byte[input.OptionsLength]);
        // IHL counts 32-bit words up to 15 (RFC 791 §3.1 "IHL", "Padding"); the offset counts 8-octet units in 13 bits.
        var holdable = input.OptionsLength % 4 == 0 && input.OptionsLength <= 40
                       && input.FragmentOffsetBytes % 8 == 0 && input.FragmentOffsetBytes <= 8191 * 8;
        bool refused;
        try
        {
            header.Emit(new byte[64]);
            refused = false;
        }
        catch (ArgumentException)
        {
            refused = true;
        }
        return (refused == !holdable).Label(refused ? "refused a header the wire can hold" : "emitted a header the wire cannot hold");
    }

    [Property(MaxTest = 500)]
    [Trait("clause", "udp_push.header")]
    public Property Parsing_an_emitted_UDP_header_gives_back_the_header(ushort sourcePort, ushort destinationPort, ushort length, ushort checksum)
    {
        var header = new UdpHeader(sourcePort, destinationPort, length, checksum);
        var bytes = new byte[UdpHeader.Length];
        header.Emit(bytes);
        if (!UdpHeader.TryParse(bytes, out var parsed, out var problem)) return false.Label($"refused: {problem}");
        return (parsed == header).Label($"parsed back as {parsed}");
    }

    [Property(MaxTest = 500)]
    [Trait("clause", "udp_push.header")]
    public Property Emitting_a_UDP_header_writes_its_four_fields_big_endian_in_RFC_768_order(ushort sourcePort, ushort destinationPort, ushort length, ushort checksum)
    {
        var bytes = new byte[UdpHeader.Length];
        new UdpHeader(sourcePort, destinationPort, length, checksum).Emit(bytes);
        byte[] expected =
        [
            (byte)(sourcePort >> 8), (byte)sourcePort, (byte)(destinationPort >> 8), (byte)destinationPort,
            (byte)(length >> 8), (byte)length, (byte)(checksum >> 8), (byte)checksum,
        ];
        return bytes.AsSpan().SequenceEqual(expected).Label($"emitted {Convert.ToHexString(bytes)}");
    }

    [Property(MaxTest = 500)]
    [Trait("clause", "udp_push.header")]
    public Property Emitting_a_parsed_UDP_header_gives_back_its_8_bytes(byte[] bytes)
    {
        var parses = UdpHeader.TryParse(bytes, out var header, out _);
        if (parses != (bytes.Length >= 8)) return false.Label(parses ? "parsed fewer than 8 bytes" : "refused 8 bytes or more");
        if (!parses) return true.ToProperty();
        var again = new byte[UdpHeader.Length];
        header.Emit(again);
        return again.AsSpan().SequenceEqual(bytes.AsSpan(0, 8)).Label($"emitted back as {Convert.ToHexString(again)}");
    }
}

public static class WireArbitraries
{
    private static Gen<byte> Byte() => ArbMap.Default.GeneratorFor<byte>();
    private static Gen<ushort> UShort() => ArbMap.Default.GeneratorFor<ushort>();
    private static Gen<bool> Bool() => ArbMap.Default.GeneratorFor<bool>();

    /// <summary>Any header Emit accepts: 0 to 40 option bytes in words of 4, any flags (the reserved bit too), any
    /// offset the 13-bit field holds, a total length from the header length up, any other field.</summary>
    public static Arbitrary<Ipv4Header> Headers()
    {
        var gen =
            from words in Gen.Choose(0, 10)
            from options in Gen.ArrayOf(Byte(), words * 4)
            from total in Gen.Frequency((3, Gen.Choose(20 + words * 4, 65535)), (1, Gen.Elements(20 + words * 4, 65535)))
            from tos in Byte()
            from ident in UShort()
            from reserved in Bool()
            from df in Bool()
            from mf in Bool()
            from units in Gen.Frequency((3, Gen.Choose(0, 8191)), (1, Gen.Elements(0, 1, 8191)))
            from ttl in Byte()
            from protocol in Byte()
            from checksum in UShort()
            from source in ArbMap.Default.GeneratorFor<uint>()
            from destination in ArbMap.Default.GeneratorFor<uint>()
            select new Ipv4Header(tos, (ushort)total, ident, reserved, df, mf, (ushort)(units * 8), ttl, protocol, checksum,
                new Ipv4Address(source), new Ipv4Address(destination), options);
        return Arb.From(gen);
    }

    /// <summary>Header bytes, mostly with version 4 and an IHL the bytes hold, sometimes with a wrong version, an IHL
    /// below 5 or beyond the bytes, or a total length below the header length; sometimes with data after the header.</summary>
    public static Arbitrary<RawHeaderBytes> RawHeaders()
    {
        var gen =
            from ihl in Gen.Frequency((6, Gen.Choose(5, 15)), (1, Gen.Choose(0, 4)))
            from version in Gen.Frequency((6, Gen.Constant(4)), (1, Gen.Choose(0, 15)))
            from length in Gen.Frequency((6, Gen.Constant(Math.Max(ihl * 4, 20))), (1, Gen.Choose(0, 70)))
            from body in Gen.ArrayOf(Byte(), length)
            from total in Gen.Frequency((4, Gen.Choose(ihl * 4, 65535)), (1, Gen.Choose(0, 65535)), (1, Gen.Elements(ihl * 4, ihl * 4 - 1)))
            select Raw(body, version, ihl, total);
        return Arb.From(gen);
    }

    private static RawHeaderBytes Raw(byte[] body, int version, int ihl, int total)
    {
        if (body.Length >= 1) body[0] = (byte)((version << 4) | ihl);
        if (body.Length >= 4) BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2), (ushort)Math.Max(total, 0));
        return new RawHeaderBytes(body);
    }

    public static Arbitrary<EmitInput> EmitInputs() =>
        Arb.From(Gen.Zip(
                Gen.Frequency((3, Gen.Choose(0, 10).Select(w => w * 4)), (2, Gen.Choose(0, 48))),
                Gen.Frequency((3, Gen.Choose(0, 8191).Select(u => u * 8)), (2, Gen.Choose(0, 65535)), (1, Gen.Elements(65528, 65529, 65535))))
            .Select(t => new EmitInput(t.Item1, t.Item2)));
}
