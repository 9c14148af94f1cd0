// One IPv4 packet read once: the header of RFC 791 §3.1 (Ipv4Header.cs), its options, and, on a first fragment
// that carries UDP, the header of RFC 768 (UdpHeader.cs). Every reader of packet bytes outside the model — the
// case file's packet expectations, the model-versus-target diff, the dissection — reads through this view and
// names fields through PacketFields.Table.

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
            if (length < 2 || at + length > options.Length) break;
            if (type is LooseSourceRoute or StrictSourceRoute && length >= 7) return Ipv4Address.Read(options[(at + length - 4)..]);
            at += length;
        }
        return null;
    }
}

/// <summary>A packet field: its name in case files (null: case files cannot name it), its label in diffs, the
/// clause that sets it, and how it reads as text (the form case files write).</summary>
public sealed record PacketField(string? CaseName, string Label, string Clause, PacketLayer Layer, Func<Packet, string> Read);

/// <summary>Which part of a packet a field is in: the IP header, the UDP header (first fragments only), or the
/// data after the headers.</summary>
public enum PacketLayer { Ip, Udp, Data }

/// <summary>The one table of packet fields.</summary>
public static class PacketFields
{
    public const string NoUdpHeader = "(no UDP header)";

    /// <summary>IP fields, then UDP fields (read as <see cref="NoUdpHeader"/> on a packet without one), then the data.</summary>
    public static readonly IReadOnlyList<PacketField> Table =
    [
        new("src", "source", ClauseId.SourceFromRoute, PacketLayer.Ip, p => p.Ip.Source.ToString()),
        new("dst", "destination", ClauseId.IpHeader, PacketLayer.Ip, p => p.Ip.Destination.ToString()),
        new("tos", "tos", ClauseId.IpHeader, PacketLayer.Ip, p => p.Ip.Tos.ToString()),
        new("ttl", "ttl", ClauseId.Ttl, PacketLayer.Ip, p => p.Ip.Ttl.ToString()),
        new("df", "DF", ClauseId.Df, PacketLayer.Ip, p => p.Ip.DontFragment ? "1" : "0"),
        new("mf", "MF", ClauseId.FragmentLayout, PacketLayer.Ip, p => p.Ip.MoreFragments ? "1" : "0"),
        new("offset", "fragment offset", ClauseId.FragmentLayout, PacketLayer.Ip, p => p.Ip.FragmentOffsetBytes.ToString()),
        new("id", "identification", ClauseId.IpHeader, PacketLayer.Ip, p => p.Ip.Identification.ToString()),
        new("len", "total length", ClauseId.FragmentLayout, PacketLayer.Ip, p => p.Ip.TotalLength.ToString()),
        new("ihl", "ihl", ClauseId.IpOptions, PacketLayer.Ip, p => (p.Ip.HeaderLength / 4).ToString()),
        new("proto", "protocol", ClauseId.IpHeader, PacketLayer.Ip, p => p.Ip.Protocol.ToString()),
        new(null, "header checksum", ClauseId.HeaderChecksum, PacketLayer.Ip, p => $"0x{p.Ip.HeaderChecksum:x4}"),
        new("options", "options", ClauseId.IpOptions, PacketLayer.Ip, p => "hex:" + Convert.ToHexString(p.Ip.Options.Span).ToLowerInvariant()),
        new("sport", "UDP source port", ClauseId.UdpHeader, PacketLayer.Udp, p => p.Udp is { } u ? u.SourcePort.ToString() : NoUdpHeader),
        new("dport", "UDP destination port", ClauseId.UdpHeader, PacketLayer.Udp, p => p.Udp is { } u ? u.DestinationPort.ToString() : NoUdpHeader),
        new("ulen", "UDP length", ClauseId.UdpHeader, PacketLayer.Udp, p => p.Udp is { } u ? u.DatagramLength.ToString() : NoUdpHeader),
        new("csum", "UDP checksum", ClauseId.Checksum, PacketLayer.Udp, p => p.Udp is { } u ? $"0x{u.Checksum:x4}" : NoUdpHeader),
        new("payload", "data", ClauseId.FragmentLayout, PacketLayer.Data, p => $"{p.Data.Length} bytes"),
    ];

    private static readonly Dictionary<string, PacketField> ByCaseName =
        Table.Where(f => f.CaseName is not null).ToDictionary(f => f.CaseName!);

    /// <summary>The names case files may use, in table order.</summary>
    public static IEnumerable<string> CaseNames => Table.Select(f => f.CaseName).OfType<string>();

    public static PacketField? ByName(string caseName) => ByCaseName.GetValueOrDefault(caseName);
}
