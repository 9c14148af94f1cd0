// RFC 768, User Datagram Header Format:
//
//     0      7 8     15 16    23 24    31
//    +--------+--------+--------+--------+
//    |     Source      |   Destination   |
//    |      Port       |      Port       |
//    +--------+--------+--------+--------+
//    |                 |                 |
//    |     Length      |    Checksum     |
//    +--------+--------+--------+--------+
//    |
//    |          data octets ...
//    +---------------- ...
//
// Pseudo-header prefixed for the checksum only, never sent:
//
//    +--------+--------+--------+--------+
//    |          source address           |
//    +--------+--------+--------+--------+
//    |        destination address        |
//    +--------+--------+--------+--------+
//    |  zero  |protocol|   UDP length    |
//    +--------+--------+--------+--------+

using System.Buffers.Binary;
using Udpconf.Reference.Host;

namespace Udpconf.Reference.Wire;

/// <summary>The 8-byte UDP header as its field values, emitted exactly as held.</summary>
/// <remarks>
/// The Length field is the DatagramLength property: the name Length belongs to the constant
/// header size, which a type cannot share with an instance member.
/// </remarks>
public readonly record struct UdpHeader(ushort SourcePort, ushort DestinationPort, ushort DatagramLength, ushort Checksum)
{
    public const int SourcePortOffset = 0;
    public const int DestinationPortOffset = 2;
    public const int LengthOffset = 4;
    public const int ChecksumOffset = 6;
    /// <summary>Size of the header on the wire; also the least value a correct Length field can hold.</summary>
    public const int Length = 8;

    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 8 bytes.</exception>
    public void Emit(Span<byte> destination)
    {
        if (destination.Length < Length)
            throw new ArgumentException($"destination holds {destination.Length} bytes, UDP header needs {Length}", nameof(destination));
        BinaryPrimitives.WriteUInt16BigEndian(destination[SourcePortOffset..], SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[DestinationPortOffset..], DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[LengthOffset..], DatagramLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination[ChecksumOffset..], Checksum);
    }

    /// <summary>
    /// Reads the header at the start of <paramref name="segment"/>. DatagramLength is not
    /// checked against the span or against 8: that judgement belongs to the caller.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> segment, out UdpHeader header, out string? problem)
    {
        if (segment.Length < Length)
        {
            header = default;
            problem = $"segment is {segment.Length} bytes, shorter than the {Length}-byte UDP header";
            return false;
        }
        header = new UdpHeader(
            BinaryPrimitives.ReadUInt16BigEndian(segment[SourcePortOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(segment[DestinationPortOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(segment[LengthOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(segment[ChecksumOffset..]));
        problem = null;
        return true;
    }

    /// <summary>
    /// The checksum RFC 768 asks for over the pseudo-header, this header with its checksum field
    /// taken as zero, and <paramref name="data"/> (the payload after the 8 header bytes).
    /// <paramref name="pseudoLength"/> is the UDP length placed in the pseudo-header, normally
    /// <see cref="DatagramLength"/> of the header.
    /// </summary>
    /// <returns>Never 0: a computed 0 is sent as 0xFFFF, because 0 on the wire means "no checksum" (RFC 768 "Fields").</returns>
    public static ushort ComputeChecksum(Ipv4Address source, Ipv4Address destination, ushort pseudoLength, UdpHeader header, ReadOnlySpan<byte> data)
    {
        uint sum = InternetChecksum.PseudoHeaderSum(source, destination, Ipv4Header.ProtocolUdp, pseudoLength);
        // The header's own words, checksum field as zero: at most 3 × 0xFFFF on top of the
        // pseudo-header's 6, far from 32-bit overflow.
        sum += (uint)header.SourcePort + header.DestinationPort + header.DatagramLength;
        return ChecksumField(InternetChecksum.Sum(data, sum));
    }

    /// <summary>
    /// The checksum field for <paramref name="sum"/>, the partial sum of pseudo-header, header (checksum field as
    /// zero) and data however it was gathered: its complement, except that a computed 0 is sent as 0xFFFF, because
    /// 0 on the wire means "no checksum" (RFC 768 "Fields"). The one place that rule is written.
    /// </summary>
    public static ushort ChecksumField(uint sum)
    {
        ushort checksum = (ushort)~InternetChecksum.Fold(sum);
        return checksum == 0 ? (ushort)0xFFFF : checksum;
    }

    /// <summary>
    /// The checksum field under checksum offload: the folded pseudo-header sum, not complemented, which the device
    /// completes over header and data.
    /// </summary>
    public static ushort PartialChecksumField(Ipv4Address source, Ipv4Address destination, ushort pseudoLength) =>
        InternetChecksum.Fold(InternetChecksum.PseudoHeaderSum(source, destination, Ipv4Header.ProtocolUdp, pseudoLength));

    /// <summary>
    /// The receiver's judgement of a whole <paramref name="segment"/> (header, checksum field as sent, and data),
    /// whose length is the pseudo-header's: <see cref="UdpChecksumStatus.Zero"/> for a 0 field,
    /// <see cref="UdpChecksumStatus.Valid"/> when everything sums to 0xFFFF (RFC 1071 §1 (3)),
    /// <see cref="UdpChecksumStatus.PartialOffload"/> when the field is the pseudo-header sum alone, otherwise
    /// <see cref="UdpChecksumStatus.Invalid"/>.
    /// </summary>
    public static UdpChecksumStatus Verify(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> segment)
    {
        if (!TryParse(segment, out var header, out _)) return UdpChecksumStatus.NoUdpHeader;
        if (header.Checksum == 0) return UdpChecksumStatus.Zero;
        var length = (ushort)segment.Length;
        var sum = InternetChecksum.Sum(segment, InternetChecksum.PseudoHeaderSum(source, destination, Ipv4Header.ProtocolUdp, length));
        if (InternetChecksum.Fold(sum) == 0xFFFF) return UdpChecksumStatus.Valid;
        return header.Checksum == PartialChecksumField(source, destination, length) ? UdpChecksumStatus.PartialOffload : UdpChecksumStatus.Invalid;
    }
}

/// <summary>What a packet's UDP checksum field says, as far as the packet alone can tell.</summary>
public enum UdpChecksumStatus
{
    /// <summary>The packet carries no UDP header (not UDP, a later fragment, or fewer than 8 payload bytes).</summary>
    NoUdpHeader,
    /// <summary>The field is 0: no checksum was computed (SO_NO_CHECK).</summary>
    Zero,
    /// <summary>A first fragment with MF set: the checksum covers bytes this packet does not carry.</summary>
    Fragmented,
    /// <summary>The UDP length is not the IP payload length, so the segment the checksum covers is not known.</summary>
    LengthMismatch,
    /// <summary>Pseudo-header, header and data sum to 0xFFFF.</summary>
    Valid,
    /// <summary>The field holds the folded pseudo-header sum alone, for a device to finish (checksum offload).</summary>
    PartialOffload,
    /// <summary>Any other value.</summary>
    Invalid,
}
