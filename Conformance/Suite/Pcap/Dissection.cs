using System.Text;
using Udpconf.Reference.Wire;

namespace Udpconf.Suite.Pcap;

/// <summary>A readable, stable text dissection of IPv4/UDP packets: the golden files' companion and the
/// reports' decoded view.</summary>
public static class Dissection
{
    public static string Describe(IReadOnlyList<byte[]> packets, Func<int, string?>? label = null)
    {
        var text = new StringBuilder();
        for (var i = 0; i < packets.Count; i++)
        {
            text.Append($"packet {i + 1}");
            if (label?.Invoke(i) is { } name) text.Append($" ({name})");
            text.AppendLine($": {packets[i].Length} bytes");
            Packet(text, packets[i]);
        }
        if (packets.Count == 0) text.AppendLine("no packets");
        return text.ToString();
    }

    public static void Packet(StringBuilder text, byte[] bytes)
    {
        var packet = Reference.Wire.Packet.Parse(bytes);
        if (!packet.IsIpv4)
        {
            text.AppendLine($"  not IPv4: {packet.Problem}");
            Hex(text, bytes);
            return;
        }
        var ip = packet.Ip;
        text.AppendLine($"  ip   {ip.Source} > {ip.Destination} ihl={ip.HeaderLength / 4} tos=0x{ip.Tos:x2} len={ip.TotalLength} id=0x{ip.Identification:x4}" +
                        $" flags={(ip.Reserved ? "R" : "")}{(ip.DontFragment ? "DF" : "")}{(ip.MoreFragments ? "MF" : "")}{(!ip.Reserved && !ip.DontFragment && !ip.MoreFragments ? "-" : "")}" +
                        $" offset={ip.FragmentOffsetBytes} ttl={ip.Ttl} proto={ip.Protocol} checksum=0x{ip.HeaderChecksum:x4} ({(packet.HeaderChecksumValid ? "good" : "bad")})");
        if (ip.Options.Length > 0) text.AppendLine($"  opts {Convert.ToHexString(ip.Options.Span).ToLowerInvariant()}");
        if (packet.Udp is { } udp)
        {
            // RFC 791 §3.1, RFC 768: with a source route the pseudo-header holds the final destination, which the
            // view takes from the option's last slot; the header's destination is the next hop.
            var status = packet.UdpChecksum switch
            {
                UdpChecksumStatus.Zero => "none",
                UdpChecksumStatus.Fragmented => "fragmented",
                UdpChecksumStatus.LengthMismatch => "unverified: the UDP length is not the IP payload length",
                UdpChecksumStatus.Valid => "good",
                // The golden dissections have always called a pseudo-header-only field bad: it does not verify.
                _ => "bad",
            };
            text.AppendLine($"  udp  {udp.SourcePort} > {udp.DestinationPort} len={udp.DatagramLength} checksum=0x{udp.Checksum:x4} ({status})");
        }
        text.AppendLine($"  data {packet.Data.Length} bytes");
        Hex(text, packet.Data.Span);
    }

    private static void Hex(StringBuilder text, ReadOnlySpan<byte> bytes)
    {
        const int Shown = 64;
        for (var offset = 0; offset < Math.Min(bytes.Length, Shown); offset += 16)
        {
            var row = bytes.Slice(offset, Math.Min(16, bytes.Length - offset));
            text.AppendLine($"    {offset:x4}  {string.Join(' ', row.ToArray().Select(b => b.ToString("x2")))}");
        }
        if (bytes.Length > Shown) text.AppendLine($"    … {bytes.Length - Shown} more bytes");
    }
}
