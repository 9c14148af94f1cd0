using System.Net;
using PacketDotNet;
using PacketDotNet.Utils;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Tests.Model.Wire;

/// <summary>
/// Checks our wire code against PacketDotNet 1.4.8, an implementation written without reference
/// to ours. Its conventions: HeaderLength in 32-bit words; FragmentFlags is the top 3 bits of the
/// flags/offset word read as a signed short (so the reserved bit makes it negative);
/// FragmentOffset in 8-byte units; TypeOfService and DifferentiatedServices both give the whole
/// second byte.
/// </summary>
public class PacketDotNetCrossCheckTests
{
    public static TheoryData<string, string, byte, ushort, int, ushort, byte, string, int, ushort, ushort> OurPackets => new()
    {
        // source, destination, TOS, id, flags (R=4 DF=2 MF=1), offset bytes, TTL, options hex, payload length, ports
        { "10.0.0.1", "10.0.0.2", 0x00, 0, 2, 0, 64, "", 5, 1234, 53 },
        // Not port 9: PacketDotNet 1.4.8 tries Wake-on-LAN there and indexes past an empty payload.
        { "192.168.0.1", "192.168.0.199", 0xb8, 0xbeef, 0, 0, 1, "", 0, 40000, 1024 },
        { "172.16.5.4", "8.8.8.8", 0x2e, 0x0102, 1, 0, 255, "", 1473, 5353, 5353 },
        { "203.0.113.7", "198.51.100.200", 0x10, 0xffff, 2, 0, 32, "01010100", 17, 65535, 1 },
        { "127.0.0.1", "224.0.0.251", 0x04, 7, 0, 0, 1, "94040000", 2, 5353, 5353 },
        { "10.9.8.7", "10.7.8.9", 0xfc, 0x8000, 0, 0, 128, "830b04c0a80001c0a8010200", 99, 7, 7 },
        { "1.2.3.4", "5.6.7.8", 0x00, 0x4242, 1, 1480, 64, "", 31, 1000, 2000 },
        { "1.2.3.4", "5.6.7.8", 0x00, 0x4243, 0, 65528, 64, "0101010101010101", 3, 1000, 2000 },
        { "255.255.255.255", "0.0.0.0", 0xff, 1, 4, 0, 0, "", 4, 0, 0 },
        { "100.64.0.1", "100.64.0.2", 0x00, 2, 7, 8, 64, new string('1', 80), 1, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(OurPackets))]
    public void PacketDotNet_reads_our_packets_field_for_field(
        string source, string destination, byte tos, ushort id, int flags, ushort offsetBytes, byte ttl,
        string optionsHex, int payloadLength, ushort sourcePort, ushort destinationPort)
    {
        byte[] options = Convert.FromHexString(optionsHex);
        Array.Resize(ref options, (options.Length + 3) / 4 * 4);
        var payload = new byte[payloadLength];
        new Random(payloadLength * 31 + id).NextBytes(payload);
        var src = Ipv4Address.Parse(source);
        var dst = Ipv4Address.Parse(destination);

        ushort udpLength = (ushort)(UdpHeader.Length + payloadLength);
        var udp = new UdpHeader(sourcePort, destinationPort, udpLength, 0);
        udp = udp with { Checksum = UdpHeader.ComputeChecksum(src, dst, udpLength, udp, payload) };
        var ip = new Ipv4Header(
            tos, (ushort)(Ipv4Header.MinimumLength + options.Length + udpLength), id,
            Reserved: (flags & 4) != 0, DontFragment: (flags & 2) != 0, MoreFragments: (flags & 1) != 0, offsetBytes,
            ttl, Ipv4Header.ProtocolUdp, 0, src, dst, options).WithComputedChecksum();

        var bytes = new byte[ip.TotalLength];
        ip.Emit(bytes);
        udp.Emit(bytes.AsSpan(ip.HeaderLength));
        payload.CopyTo(bytes, ip.HeaderLength + UdpHeader.Length);

        var theirs = new IPv4Packet(new ByteArraySegment(bytes));
        Assert.Equal(IPVersion.IPv4, theirs.Version);
        Assert.Equal(ip.HeaderLength / 4, theirs.HeaderLength);
        Assert.Equal(tos, theirs.TypeOfService);
        Assert.Equal(tos, theirs.DifferentiatedServices);
        Assert.Equal(ip.TotalLength, theirs.TotalLength);
        Assert.Equal(id, theirs.Id);
        Assert.Equal((flags << 29) >> 29, theirs.FragmentFlags);
        Assert.Equal(offsetBytes / 8, theirs.FragmentOffset);
        Assert.Equal(ttl, theirs.TimeToLive);
        Assert.Equal(PacketDotNet.ProtocolType.Udp, theirs.Protocol);
        Assert.Equal(ip.HeaderChecksum, theirs.Checksum);
        Assert.Equal(ip.HeaderChecksum, theirs.CalculateIPChecksum());
        Assert.True(theirs.ValidIPChecksum);
        Assert.Equal(ToIpAddress(src), theirs.SourceAddress);
        Assert.Equal(ToIpAddress(dst), theirs.DestinationAddress);
        Assert.Equal(options, theirs.HeaderData[Ipv4Header.MinimumLength..]);

        // PacketDotNet hands the payload to its UDP parser only for a first fragment.
        var theirUdp = theirs.Extract<UdpPacket>();
        if (offsetBytes != 0)
        {
            Assert.Null(theirUdp);
            return;
        }
        Assert.NotNull(theirUdp);
        Assert.Equal(sourcePort, theirUdp.SourcePort);
        Assert.Equal(destinationPort, theirUdp.DestinationPort);
        Assert.Equal(udpLength, theirUdp.Length);
        Assert.Equal(udp.Checksum, theirUdp.Checksum);
        Assert.Equal(udp.Checksum, theirUdp.CalculateUdpChecksum());
        Assert.True(theirUdp.ValidUdpChecksum);
        Assert.Equal(payload, theirUdp.PayloadData);
    }

    public static TheoryData<string, string, byte, ushort, int, ushort, byte, int, ushort, ushort> TheirPackets => new()
    {
        // source, destination, TOS, id, flags, offset in 8-byte units, TTL, payload length, ports
        { "10.0.0.1", "10.0.0.2", 0x00, 0, 0, 0, 64, 5, 1234, 53 },
        { "192.0.2.1", "198.51.100.2", 0xb8, 0xabcd, 2, 0, 1, 0, 68, 67 },
        { "203.0.113.9", "224.0.0.1", 0x2e, 0x1357, 1, 0, 255, 1, 65535, 65534 },
        { "172.31.255.254", "10.255.0.1", 0x01, 0xffff, 2, 0, 17, 1472, 5000, 6000 },
        { "8.8.4.4", "9.9.9.9", 0x00, 42, 1, 185, 64, 333, 123, 123 },
    };

    [Theory]
    [MemberData(nameof(TheirPackets))]
    public void Our_parsers_and_checksums_agree_with_packets_PacketDotNet_builds(
        string source, string destination, byte tos, ushort id, int flags, ushort offsetUnits, byte ttl,
        int payloadLength, ushort sourcePort, ushort destinationPort)
    {
        var payload = new byte[payloadLength];
        new Random(payloadLength * 17 + id).NextBytes(payload);
        var theirs = new IPv4Packet(IPAddress.Parse(source), IPAddress.Parse(destination));
        var theirUdp = new UdpPacket(sourcePort, destinationPort) { PayloadData = payload };
        theirs.PayloadPacket = theirUdp;
        theirs.TypeOfService = tos;
        theirs.Id = id;
        theirs.FragmentFlags = flags;
        theirs.FragmentOffset = offsetUnits;
        theirs.TimeToLive = ttl;
        // PacketDotNet sets lengths here but leaves both checksums to be asked for explicitly.
        theirs.UpdateCalculatedValues();
        theirUdp.UpdateUdpChecksum();
        theirs.UpdateIPChecksum();
        byte[] bytes = theirs.Bytes;

        Assert.True(Ipv4Header.TryParse(bytes, out var ip, out var problem), problem);
        var src = Ipv4Address.Parse(source);
        var dst = Ipv4Address.Parse(destination);
        var expected = new Ipv4Header(
            tos, (ushort)bytes.Length, id,
            Reserved: false, DontFragment: (flags & 2) != 0, MoreFragments: (flags & 1) != 0, (ushort)(offsetUnits * 8),
            ttl, Ipv4Header.ProtocolUdp, theirs.Checksum, src, dst, ReadOnlyMemory<byte>.Empty);
        Assert.Equal(expected, ip);
        Assert.Equal(theirs.Checksum, ip.ComputeChecksum());
        Assert.Equal(theirs.Checksum, ip.WithComputedChecksum().HeaderChecksum);
        Assert.True(Ipv4Header.ChecksumIsValid(bytes.AsSpan(0, ip.HeaderLength)));

        var segment = bytes.AsSpan(ip.HeaderLength);
        Assert.True(UdpHeader.TryParse(segment, out var udp, out problem), problem);
        Assert.Equal(new UdpHeader(sourcePort, destinationPort, (ushort)segment.Length, theirUdp.Checksum), udp);
        Assert.Equal(UdpHeader.Length + payloadLength, udp.DatagramLength);
        Assert.Equal(theirUdp.Checksum, UdpHeader.ComputeChecksum(src, dst, udp.DatagramLength, udp, segment[UdpHeader.Length..]));
        Assert.Equal(payload, segment[UdpHeader.Length..].ToArray());
    }

    [Fact]
    public void A_computed_zero_udp_checksum_is_ffff_from_us_and_0000_from_PacketDotNet()
    {
        // Data e6d0 makes the one's complement sum exactly ffff (see UdpHeaderTests).
        byte[] payload = [0xe6, 0xd0];
        var theirs = new IPv4Packet(IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2"));
        var theirUdp = new UdpPacket(1234, 53) { PayloadData = payload };
        theirs.PayloadPacket = theirUdp;
        theirs.UpdateCalculatedValues();
        theirUdp.UpdateUdpChecksum();
        theirs.UpdateIPChecksum();

        // PacketDotNet writes the raw complement, 0, which RFC 768 reserves for "no checksum".
        Assert.Equal((ushort)0x0000, theirUdp.Checksum);
        Assert.True(UdpHeader.TryParse(theirs.Bytes.AsSpan(Ipv4Header.MinimumLength), out var udp, out _));
        ushort ours = UdpHeader.ComputeChecksum(Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), udp.DatagramLength, udp, payload);
        Assert.Equal((ushort)0xFFFF, ours);

        // Its verifier still accepts our 0xFFFF: the sum over everything is all ones either way.
        byte[] bytes = theirs.Bytes;
        bytes[Ipv4Header.MinimumLength + UdpHeader.ChecksumOffset] = 0xFF;
        bytes[Ipv4Header.MinimumLength + UdpHeader.ChecksumOffset + 1] = 0xFF;
        var reparsed = new IPv4Packet(new ByteArraySegment(bytes)).Extract<UdpPacket>();
        Assert.NotNull(reparsed);
        Assert.Equal((ushort)0xFFFF, reparsed.Checksum);
        Assert.True(reparsed.ValidUdpChecksum);
    }

    private static IPAddress ToIpAddress(Ipv4Address address)
    {
        var bytes = new byte[4];
        address.Write(bytes);
        return new IPAddress(bytes);
    }
}
