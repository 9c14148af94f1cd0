using Udpconf.Reference;
using Udpconf.Reference.Wire;

namespace Udpconf.Suite.Compare;

/// <summary>A packet field: its name in case files (null: case files cannot name it), its label in diffs, the
/// clause that sets it, and how it reads as text (the form case files write).</summary>
public sealed record PacketField(string? CaseName, string Label, Clause Clause, PacketLayer Layer, Func<Packet, string> Read);

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
