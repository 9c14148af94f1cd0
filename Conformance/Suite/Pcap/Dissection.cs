using System.Buffers.Binary;
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

    public static void Packet(StringBuilder text, byte[] packet)
    {
        if (!Ipv4Header.TryParse(packet, out var ip, out var problem))
        {
            text.AppendLine($"  not IPv4: {problem}");
            Hex(text, packet);
            return;
        }
        var checksumOk = Ipv4Header.ChecksumIsValid(packet.AsSpan(0, Math.Min(ip.HeaderLength, packet.Length)));
        text.AppendLine($"  ip   {ip.Source} > {ip.Destination} ihl={ip.HeaderLength / 4} tos=0x{ip.Tos:x2} len={ip.TotalLength} id=0x{ip.Identification:x4}" +
                        $" flags={(ip.Reserved ? "R" : "")}{(ip.DontFragment ? "DF" : "")}{(ip.MoreFragments ? "MF" : "")}{(!ip.Reserved && !ip.DontFragment && !ip.MoreFragments ? "-" : "")}" +
                        $" offset={ip.FragmentOffsetBytes} ttl={ip.Ttl} proto={ip.Protocol} checksum=0x{ip.HeaderChecksum:x4} ({(checksumOk ? "good" : "bad")})");
        if (ip.Options.Length > 0) text.AppendLine($"  opts {Convert.ToHexString(ip.Options.Span).ToLowerInvariant()}");
        var payload = packet.AsSpan(Math.Min(ip.HeaderLength, packet.Length));
        if (ip.Protocol == Ipv4Header.ProtocolUdp && ip.FragmentOffsetBytes == 0 && payload.Length >= UdpHeader.Length)
        {
            var checksum = BinaryPrimitives.ReadUInt16BigEndian(payload[6..]);
            var udpLength = BinaryPrimitives.ReadUInt16BigEndian(payload[4..]);
            string status;
            if (checksum == 0) status = "none";
            else if (ip.MoreFragments) status = "fragmented";
            else if (udpLength != payload.Length) status = "unverified: the UDP length is not the IP payload length";
            else
            {
                // RFC 791 §3.1, RFC 768: with a source route the pseudo-header holds the final destination, which
                // the option's last slot carries; the header's destination is the next hop.
                var destination = FinalDestination(ip.Options.Span) ?? ip.Destination;
                var sum = InternetChecksum.Sum(payload, InternetChecksum.PseudoHeaderSum(ip.Source, destination, Ipv4Header.ProtocolUdp, (ushort)payload.Length));
                status = InternetChecksum.Fold(sum) == 0xFFFF ? "good" : "bad";
            }
            text.AppendLine($"  udp  {BinaryPrimitives.ReadUInt16BigEndian(payload)} > {BinaryPrimitives.ReadUInt16BigEndian(payload[2..])}" +
                            $" len={BinaryPrimitives.ReadUInt16BigEndian(payload[4..])} checksum=0x{checksum:x4} ({status})");
            payload = payload[UdpHeader.Length..];
        }
        text.AppendLine($"  data {payload.Length} bytes");
        Hex(text, payload);
    }

    /// <summary>The last address of a loose or strict source route option, if there is one.</summary>
    private static Reference.Host.Ipv4Address? FinalDestination(ReadOnlySpan<byte> options)
    {
        var at = 0;
        while (at < options.Length)
        {
            var type = options[at];
            if (type == 0) break;
            if (type == 1) { at++; continue; }
            if (at + 1 >= options.Length) break;
            int length = options[at + 1];
            if (length < 2 || at + length > options.Length) break;
            if (type is 131 or 137 && length >= 7) return Reference.Host.Ipv4Address.Read(options[(at + length - 4)..]);
            at += length;
        }
        return null;
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
