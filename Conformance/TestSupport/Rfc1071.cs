using Udpconf.Reference.Host;

namespace Udpconf.TestSupport;

// The tests' one independent oracle of RFC 1071 and RFC 768, shared by Conformance.Tests and Properties (linked into
// the latter). It uses nothing of Reference/Wire, so that the tests judge the production checksum rather than repeat it.

/// <summary>
/// The Internet checksum written out plainly from RFC 1071 §1 and §4.1, independent of Reference/Wire: the data as
/// 16-bit big-endian words, an odd last byte padded with a zero low byte, added with end-around carry.
/// </summary>
public static class Rfc1071
{
    /// <summary>The one's complement sum of the words, folded to 16 bits, not complemented.</summary>
    public static ushort Sum(ReadOnlySpan<byte> data, ulong initial = 0)
    {
        var sum = initial;
        for (var i = 0; i < data.Length; i += 2)
        {
            var high = data[i];
            var low = i + 1 < data.Length ? data[i + 1] : 0;
            sum += (ulong)((high << 8) | low);
        }
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum as RFC 1071 defines it: the complement of the sum.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data) => (ushort)~Sum(data);

    /// <summary>The 12 bytes of the RFC 768 pseudo-header: source, destination, zero, protocol 17, UDP length.</summary>
    public static byte[] PseudoHeader(Ipv4Address source, Ipv4Address destination, int udpLength)
    {
        var bytes = new byte[12];
        source.Write(bytes);
        destination.Write(bytes.AsSpan(4));
        bytes[9] = 17;
        bytes[10] = (byte)(udpLength >> 8);
        bytes[11] = (byte)udpLength;
        return bytes;
    }

    /// <summary>The one's complement sum a receiver computes over pseudo-header and UDP segment, checksum field as
    /// sent: 0xFFFF when the checksum is right (RFC 768, RFC 1071 §1 (3)).</summary>
    public static ushort ReceiverSum(Ipv4Address source, Ipv4Address destination, int pseudoLength, ReadOnlySpan<byte> segment)
    {
        var pseudo = PseudoHeader(source, destination, pseudoLength);
        return Sum(segment, Sum(pseudo));
    }

    /// <summary>The raw UDP checksum (complemented sum, before 0 is replaced) of a UDP header plus data, its
    /// checksum field taken as 0, with <paramref name="pseudoLength"/> in the pseudo-header.</summary>
    public static ushort RawUdpChecksum(Ipv4Address source, Ipv4Address destination, int pseudoLength, ReadOnlySpan<byte> segment)
    {
        var zeroed = segment.ToArray();
        zeroed[6] = zeroed[7] = 0;
        return (ushort)~ReceiverSum(source, destination, pseudoLength, zeroed);
    }

    /// <summary>The checksum field a sender writes (RFC 768 "Fields"; udp_push_pending_frames L439-442): a computed
    /// 0 goes out as 0xFFFF, because 0 means "no checksum". The tests' one statement of that rule.</summary>
    public static ushort UdpChecksumField(Ipv4Address source, Ipv4Address destination, int pseudoLength, ReadOnlySpan<byte> segment)
    {
        var raw = RawUdpChecksum(source, destination, pseudoLength, segment);
        return raw == 0 ? (ushort)0xFFFF : raw;
    }

    /// <summary>The receiver's test of an IP header checksum: the header's words, options included, sum to 0xFFFF.</summary>
    public static bool HeaderChecksumValid(ReadOnlySpan<byte> packet) => Sum(packet[..((packet[0] & 0x0F) * 4)]) == 0xFFFF;
}
