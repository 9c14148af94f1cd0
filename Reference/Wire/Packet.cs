// One IPv4 packet read once: the header of RFC 791 §3.1 (Ipv4Header.cs), its options, and, on a first fragment
// that carries UDP, the header of RFC 768 (UdpHeader.cs). Every reader of packet bytes outside the model — the
// case file's packet expectations, the model-versus-target diff, the symbol binding, the dissection — reads through
// this view. Fields are named once, in PacketFields.Table (Conformance/Suite/Compare/PacketFields.cs: the table names
// the model's clauses, and a clause named under Reference/ would count in spec-map.md as implemented there).

using Udpconf.Reference.Host;

namespace Udpconf.Reference.Wire;

/// <summary>An IPv4 packet parsed once. <see cref="Ip"/> is default and <see cref="Problem"/> says why when the
/// bytes are not an IPv4 packet.</summary>
public sealed class Packet
{
    /// <summary>IP option types of the source routes (RFC 791 §3.1): loose and strict.</summary>
    public const byte LooseSourceRoute = 131;
    public const byte StrictSourceRoute = 137;

    private Packet(byte[] bytes, Ipv4Header ip, string? problem)
    {
        Bytes = bytes;
        Ip = ip;
        Problem = problem;
        if (problem is not null) return;
        Payload = bytes.AsMemory(Math.Min(ip.HeaderLength, bytes.Length));
        FinalDestination = SourceRouteDestination(ip.Options.Span) ?? ip.Destination;
        if (ip.Protocol == Ipv4Header.ProtocolUdp && ip.FragmentOffsetBytes == 0 &&
            UdpHeader.TryParse(Payload.Span, out var udp, out _))
            Udp = udp;
    }

    public static Packet Parse(byte[] bytes) =>
        Ipv4Header.TryParse(bytes, out var ip, out var problem) ? new Packet(bytes, ip, null) : new Packet(bytes, default, problem);

    public byte[] Bytes { get; }
    public bool IsIpv4 => Problem is null;
    /// <summary>Why the bytes are not an IPv4 packet; null when they are.</summary>
    public string? Problem { get; }
    public Ipv4Header Ip { get; }
    /// <summary>Everything after the IP header (options included), to the end of the bytes.</summary>
    public ReadOnlyMemory<byte> Payload { get; }
    /// <summary>The destination of the UDP pseudo-header: the last address of a loose or strict source route, whose
    /// header destination is only the next hop; otherwise the header's destination.</summary>
    public Ipv4Address FinalDestination { get; }
    /// <summary>The UDP header of a first fragment that carries one.</summary>
    public UdpHeader? Udp { get; }
    /// <summary>The data after the UDP header, or the whole IP payload when there is none.</summary>
    public ReadOnlyMemory<byte> Data => Udp is null ? Payload : Payload[UdpHeader.Length..];

    public bool HeaderChecksumValid => Ipv4Header.ChecksumIsValid(Bytes.AsSpan(0, Math.Min(Ip.HeaderLength, Bytes.Length)));

    public UdpChecksumStatus UdpChecksum
    {
        get
        {
            if (Udp is not { } udp) return UdpChecksumStatus.NoUdpHeader;
            if (udp.Checksum == 0) return UdpChecksumStatus.Zero;
            if (Ip.MoreFragments) return UdpChecksumStatus.Fragmented;
            if (udp.DatagramLength != Payload.Length) return UdpChecksumStatus.LengthMismatch;
            return UdpHeader.Verify(Ip.Source, FinalDestination, Payload.Span);
        }
    }

    /// <summary>The last address of a loose or strict source route option, if there is one.</summary>
    public static Ipv4Address? SourceRouteDestination(ReadOnlySpan<byte> options)
    {
        var at = 0;
        while (at < options.Length)
        {
            var type = options[at];
            if (type == 0) break;           // end of option list
            if (type == 1) { at++; continue; } // no operation
            if (at + 1 >= options.Length) break;
            int length = options[at + 1];
            // not a limit: RFC 791's option syntax, walked over a packet a target sent
            if (length < 2 || at + length > options.Length) break;
            if (type is LooseSourceRoute or StrictSourceRoute && length >= 7) return Ipv4Address.Read(options[(at + length - 4)..]);
            at += length;
        }
        return null;
    }
}
