// RFC 791 §3.1, Internet Header Format:
//
//     0                   1                   2                   3
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |Version|  IHL  |Type of Service|          Total Length         |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |         Identification        |Flags|      Fragment Offset    |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |  Time to Live |    Protocol   |         Header Checksum       |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |                       Source Address                          |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |                    Destination Address                        |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |                    Options                    |    Padding    |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Flags (3 bits): bit 0 reserved (must be zero), bit 1 DF, bit 2 MF.
// Fragment Offset (13 bits): in units of 8 octets.

using System.Buffers.Binary;
using Udpconf.Reference.Host;

namespace Udpconf.Reference.Wire;

/// <summary>
/// An IPv4 header as its field values. <see cref="Emit"/> writes the fields exactly as held, so a
/// record may carry a wrong checksum or total length on purpose; <see cref="WithComputedChecksum"/>
/// gives the consistent one.
/// </summary>
/// <remarks>
/// FragmentOffsetBytes is in bytes (the wire field times 8). Options are the option bytes
/// already padded: length a multiple of 4, at most 40.
/// </remarks>
public readonly record struct Ipv4Header(
    byte Tos, ushort TotalLength, ushort Identification,
    bool Reserved, bool DontFragment, bool MoreFragments, ushort FragmentOffsetBytes,
    byte Ttl, byte Protocol, ushort HeaderChecksum,
    Ipv4Address Source, Ipv4Address Destination, ReadOnlyMemory<byte> Options)
{
    public const int VersionIhlOffset = 0;
    public const int TosOffset = 1;
    public const int TotalLengthOffset = 2;
    public const int IdentificationOffset = 4;
    public const int FlagsFragmentOffset = 6;
    public const int TtlOffset = 8;
    public const int ProtocolOffset = 9;
    public const int ChecksumOffset = 10;
    public const int SourceOffset = 12;
    public const int DestinationOffset = 16;
    public const int MinimumLength = 20;
    /// <summary>IHL is 4 bits of 32-bit words: at most 60 bytes, 20 of them fixed (RFC 791 §3.1).</summary>
    public const int MaximumOptionsLength = 40;
    /// <summary>Largest byte offset the 13-bit field can express: 8191 × 8.</summary>
    public const int MaximumFragmentOffsetBytes = 0x1FFF * 8;

    /// <summary>Assigned Internet protocol number of UDP (RFC 768).</summary>
    public const byte ProtocolUdp = 17;

    public const byte Version = 4;

    private const ushort ReservedFlag = 0x8000;
    private const ushort DontFragmentFlag = 0x4000;
    private const ushort MoreFragmentsFlag = 0x2000;
    private const ushort FragmentOffsetMask = 0x1FFF;

    public int HeaderLength => MinimumLength + Options.Length;

    /// <summary>
    /// The header checksum these fields call for, computed with the checksum field taken as zero
    /// (RFC 791 §3.1 "Header Checksum").
    /// </summary>
    /// <exception cref="ArgumentException">The record cannot be emitted (see <see cref="Emit"/>).</exception>
    public ushort ComputeChecksum()
    {
        Span<byte> buffer = stackalloc byte[MinimumLength + MaximumOptionsLength];
        var header = buffer[..HeaderLengthChecked()];
        (this with { HeaderChecksum = 0 }).Emit(header);
        return InternetChecksum.Compute(header);
    }

    public Ipv4Header WithComputedChecksum() => this with { HeaderChecksum = ComputeChecksum() };

    /// <summary>Writes exactly <see cref="HeaderLength"/> bytes, every field as held.</summary>
    /// <exception cref="ArgumentException">
    /// Options not a multiple of 4 or longer than 40; fragment offset not a multiple of 8 or
    /// beyond 65528; <paramref name="destination"/> shorter than <see cref="HeaderLength"/>.
    /// </exception>
    public void Emit(Span<byte> destination)
    {
        int length = HeaderLengthChecked();
        // The wire field counts 8-octet units (RFC 791 §3.1 "Fragment Offset"); a byte offset
        // that is not a multiple of 8 has no encoding.
        if (FragmentOffsetBytes % 8 != 0 || FragmentOffsetBytes > MaximumFragmentOffsetBytes)
            throw new ArgumentException(
                $"fragment offset {FragmentOffsetBytes} is not a multiple of 8 in 0..{MaximumFragmentOffsetBytes}", nameof(FragmentOffsetBytes));
        if (destination.Length < length)
            throw new ArgumentException($"destination holds {destination.Length} bytes, header needs {length}", nameof(destination));

        destination[VersionIhlOffset] = (byte)((Version << 4) | (length / 4));
        destination[TosOffset] = Tos;
        BinaryPrimitives.WriteUInt16BigEndian(destination[TotalLengthOffset..], TotalLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination[IdentificationOffset..], Identification);
        ushort flagsFragment = (ushort)(FragmentOffsetBytes / 8);
        if (Reserved) flagsFragment |= ReservedFlag;
        if (DontFragment) flagsFragment |= DontFragmentFlag;
        if (MoreFragments) flagsFragment |= MoreFragmentsFlag;
        BinaryPrimitives.WriteUInt16BigEndian(destination[FlagsFragmentOffset..], flagsFragment);
        destination[TtlOffset] = Ttl;
        destination[ProtocolOffset] = Protocol;
        BinaryPrimitives.WriteUInt16BigEndian(destination[ChecksumOffset..], HeaderChecksum);
        Source.Write(destination[SourceOffset..]);
        Destination.Write(destination[DestinationOffset..]);
        Options.Span.CopyTo(destination[MinimumLength..]);
    }

    /// <summary>
    /// Reads the header at the start of <paramref name="packet"/>. Total Length is checked only
    /// against the header length, not against the span: whether a short or padded buffer is
    /// acceptable is the caller's decision. On failure, problem is a one-line description; on
    /// success it is null.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out Ipv4Header header, out string? problem)
    {
        header = default;
        if (packet.Length < MinimumLength)
            return Fail($"packet is {packet.Length} bytes, shorter than the {MinimumLength}-byte minimum header", out problem);
        int version = packet[VersionIhlOffset] >> 4;
        if (version != Version)
            return Fail($"version is {version}, not 4", out problem);
        int ihl = packet[VersionIhlOffset] & 0x0F;
        // RFC 791 §3.1 "IHL": "the minimum value for a correct header is 5".
        // not a limit: RFC 791's header, judged on packets a target sent
        if (ihl < 5)
            return Fail($"IHL is {ihl}, below the minimum of 5", out problem);
        int headerLength = ihl * 4;
        if (headerLength > packet.Length)
            return Fail($"IHL {ihl} claims {headerLength} header bytes but only {packet.Length} are present", out problem);
        ushort totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[TotalLengthOffset..]);
        if (totalLength < headerLength)
            return Fail($"total length {totalLength} is less than the header length {headerLength}", out problem);

        ushort flagsFragment = BinaryPrimitives.ReadUInt16BigEndian(packet[FlagsFragmentOffset..]);
        header = new Ipv4Header(
            Tos: packet[TosOffset],
            TotalLength: totalLength,
            Identification: BinaryPrimitives.ReadUInt16BigEndian(packet[IdentificationOffset..]),
            Reserved: (flagsFragment & ReservedFlag) != 0,
            DontFragment: (flagsFragment & DontFragmentFlag) != 0,
            MoreFragments: (flagsFragment & MoreFragmentsFlag) != 0,
            FragmentOffsetBytes: (ushort)((flagsFragment & FragmentOffsetMask) * 8),
            Ttl: packet[TtlOffset],
            Protocol: packet[ProtocolOffset],
            HeaderChecksum: BinaryPrimitives.ReadUInt16BigEndian(packet[ChecksumOffset..]),
            Source: Ipv4Address.Read(packet[SourceOffset..]),
            Destination: Ipv4Address.Read(packet[DestinationOffset..]),
            Options: packet[MinimumLength..headerLength].ToArray());
        problem = null;
        return true;
    }

    /// <summary>
    /// True when <paramref name="headerBytes"/> — exactly the header, options included, checksum
    /// field as sent — sum to 0xFFFF, the receiver's test of RFC 1071 §1 step (3).
    /// </summary>
    public static bool ChecksumIsValid(ReadOnlySpan<byte> headerBytes) =>
        InternetChecksum.Fold(InternetChecksum.Sum(headerBytes)) == 0xFFFF;

    // Options is a ReadOnlyMemory, whose own equality is by reference to the backing store;
    // two headers with the same option bytes must be equal.
    public bool Equals(Ipv4Header other) =>
        Tos == other.Tos && TotalLength == other.TotalLength && Identification == other.Identification
        && Reserved == other.Reserved && DontFragment == other.DontFragment && MoreFragments == other.MoreFragments
        && FragmentOffsetBytes == other.FragmentOffsetBytes && Ttl == other.Ttl && Protocol == other.Protocol
        && HeaderChecksum == other.HeaderChecksum && Source == other.Source && Destination == other.Destination
        && Options.Span.SequenceEqual(other.Options.Span);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Tos);
        hash.Add(TotalLength);
        hash.Add(Identification);
        hash.Add(Reserved);
        hash.Add(DontFragment);
        hash.Add(MoreFragments);
        hash.Add(FragmentOffsetBytes);
        hash.Add(Ttl);
        hash.Add(Protocol);
        hash.Add(HeaderChecksum);
        hash.Add(Source);
        hash.Add(Destination);
        hash.AddBytes(Options.Span);
        return hash.ToHashCode();
    }

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        // Failure messages must show the option bytes, not "System.ReadOnlyMemory<Byte>[4]".
        builder.Append($"Tos = 0x{Tos:X2}, TotalLength = {TotalLength}, Identification = {Identification}, ");
        builder.Append($"Reserved = {Reserved}, DontFragment = {DontFragment}, MoreFragments = {MoreFragments}, ");
        builder.Append($"FragmentOffsetBytes = {FragmentOffsetBytes}, Ttl = {Ttl}, Protocol = {Protocol}, ");
        builder.Append($"HeaderChecksum = 0x{HeaderChecksum:X4}, Source = {Source}, Destination = {Destination}, ");
        builder.Append($"Options = [{Convert.ToHexString(Options.Span)}]");
        return true;
    }

    private int HeaderLengthChecked()
    {
        // RFC 791 §3.1 "Padding": the header always ends on a 32-bit boundary, and IHL caps it at 60.
        if (Options.Length % 4 != 0 || Options.Length > MaximumOptionsLength)
            throw new ArgumentException(
                $"options are {Options.Length} bytes; need a multiple of 4 no greater than {MaximumOptionsLength}", nameof(Options));
        return HeaderLength;
    }

    private static bool Fail(string message, out string? problem)
    {
        problem = message;
        return false;
    }
}
