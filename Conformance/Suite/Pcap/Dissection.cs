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
            string status;
            if (checksum == 0) status = "none";
            else if (ip.MoreFragments) status = "fragmented";
            else
            {
                var sum = InternetChecksum.Sum(payload, InternetChecksum.PseudoHeaderSum(ip.Source, ip.Destination, Ipv4Header.ProtocolUdp, (ushort)payload.Length));
                status = InternetChecksum.Fold(sum) == 0xFFFF ? "good" : "bad";
            }
            text.AppendLine($"  udp  {BinaryPrimitives.ReadUInt16BigEndian(payload)} > {BinaryPrimitives.ReadUInt16BigEndian(payload[2..])}" +
                            $" len={BinaryPrimitives.ReadUInt16BigEndian(payload[4..])} checksum=0x{checksum:x4} ({status})");
            payload = payload[UdpHeader.Length..];
        }
        text.AppendLine($"  data {payload.Length} bytes");
        Hex(text, payload);
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
