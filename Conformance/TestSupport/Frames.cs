using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;

namespace Udpconf.TestSupport;

/// <summary>
/// Wire arithmetic for the send-path tests, through the tests' one independent checksum oracle (<see cref="Rfc1071"/>),
/// so that the tests judge the model's bytes rather than repeat them.
/// </summary>
public static class Frames
{
    /// <summary>Deterministic pseudo-random bytes.</summary>
    public static byte[] Bytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The IP payload of one packet: after the header (options included), up to the total length.</summary>
    public static byte[] IpPayload(byte[] packet)
    {
        var ip = Sim.Ip(packet);
        Assert.Equal(packet.Length, ip.TotalLength);
        return packet[ip.HeaderLength..ip.TotalLength];
    }

    /// <summary>Puts the fragments of one datagram back together, checking what RFC 791 requires of them: one
    /// identification, contiguous offsets from 0, MF on every fragment but the last.</summary>
    public static byte[] Reassemble(IReadOnlyList<byte[]> packets)
    {
        var headers = packets.Select(Sim.Ip).ToList();
        var whole = new List<byte>();
        for (var i = 0; i < packets.Count; i++)
        {
            Assert.Equal(headers[0].Identification, headers[i].Identification);
            Assert.Equal(whole.Count, headers[i].FragmentOffsetBytes);
            Assert.Equal(i < packets.Count - 1, headers[i].MoreFragments);
            whole.AddRange(IpPayload(packets[i]));
        }
        return whole.ToArray();
    }

    /// <summary>The folded sum of the RFC 768 pseudo-header: what the stack leaves in the checksum field for a device
    /// that finishes the checksum (offload).</summary>
    public static ushort PseudoHeaderSum(Ipv4Address source, Ipv4Address destination, int udpLength) =>
        Rfc1071.Sum(Rfc1071.PseudoHeader(source, destination, udpLength));

    /// <summary>The raw UDP checksum (complemented sum, before 0 is replaced); see <see cref="Rfc1071.RawUdpChecksum"/>.</summary>
    public static ushort RawUdpChecksum(Ipv4Address source, Ipv4Address destination, int pseudoLength, byte[] transport) =>
        Rfc1071.RawUdpChecksum(source, destination, pseudoLength, transport);

    /// <summary>The checksum field udp_push_pending_frames writes (L439-442); see <see cref="Rfc1071.UdpChecksumField"/>.</summary>
    public static ushort UdpChecksum(Ipv4Address source, Ipv4Address destination, int pseudoLength, byte[] transport) =>
        Rfc1071.UdpChecksumField(source, destination, pseudoLength, transport);

    /// <summary>The receiver's test of an IP header checksum: the header's words sum to 0xFFFF.</summary>
    public static bool HeaderChecksumValid(byte[] packet) => Rfc1071.HeaderChecksumValid(packet);

    /// <summary>The UDP checksum field of a datagram's bytes (its first fragment).</summary>
    public static ushort ChecksumField(byte[] firstPacket) => Sim.Udp(firstPacket).Checksum;

    /// <summary>setsockopt(IP_OPTIONS) with the given option bytes.</summary>
    public static Outcome SetIpOptions(this Sim sim, string s, byte[] options) =>
        sim.Run(new SetSockOptOp(Fd.Named(s), SocketOption.SolIp, SocketOption.IpOptions, UserBuffer.Of(options), options.Length));

    /// <summary>sendto of explicit bytes to <see cref="Hosts.Remote"/>.</summary>
    public static Outcome Send(this Sim sim, string s, byte[] data, MsgFlags flags = MsgFlags.None, ushort port = 9) =>
        sim.SendTo(s, UserBuffer.Of(data), Hosts.Remote, port, flags);

    /// <summary>The UDP checksum of a packet is right for the given pseudo-header addresses, by the tests' own oracle.</summary>
    public static void AssertUdpChecksum(byte[] packet, Ipv4Address source, Ipv4Address destination)
    {
        var udp = Sim.Udp(packet);
        Assert.Equal(UdpChecksum(source, destination, udp.DatagramLength, IpPayload(packet)), udp.Checksum);
    }

    /// <summary>A source route option (LSRR 131 / SSRR 137) through the given hops, padded with END.</summary>
    public static byte[] SourceRoute(byte type, params Ipv4Address[] hops)
    {
        var length = 3 + 4 * hops.Length;
        var bytes = new byte[(length + 3) & ~3];
        (bytes[0], bytes[1], bytes[2]) = (type, (byte)length, 4);
        for (var i = 0; i < hops.Length; i++) hops[i].Write(bytes.AsSpan(3 + 4 * i));
        return bytes;
    }

    /// <summary>Record route with one slot (copied bit clear), then router alert (copied bit set), END-padded: 12
    /// bytes.</summary>
    public static readonly byte[] RecordRouteAndRouterAlert = [7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0];

    /// <summary>Router alert alone: 4 bytes.</summary>
    public static readonly byte[] RouterAlert = [148, 4, 0, 0];

    /// <summary>Record route with nine slots: 39 bytes, END-padded to the 40-byte maximum.</summary>
    public static readonly byte[] FortyBytesOfOptions = [7, 39, 4, .. new byte[36]];
}
