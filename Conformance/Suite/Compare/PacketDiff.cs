using Udpconf.Reference;
using Udpconf.Reference.Wire;

namespace Udpconf.Suite.Compare;

/// <summary>A field that differs between an expected and an observed packet, with the clause that sets it.</summary>
public sealed record FieldDifference(string Field, string Expected, string Observed, Clause Clause);

/// <summary>Decodes two IPv4 packets and names the fields in which they differ, so that a failure reads as
/// "ttl: expected 64, observed 1 [ip_push.ttl]" rather than as two hex dumps.</summary>
public static class PacketDiff
{
    private const string HeaderChecksumLabel = "header checksum";
    private const string UdpChecksumLabel = "UDP checksum";

    public static IReadOnlyList<FieldDifference> Differences(byte[] expected, byte[] observed)
    {
        var result = new List<FieldDifference>();
        if (expected.AsSpan().SequenceEqual(observed)) return result;
        var e = Packet.Parse(expected);
        var o = Packet.Parse(observed);
        if (!e.IsIpv4 || !o.IsIpv4)
        {
            var problem = e.IsIpv4 ? o.Problem : null;
            result.Add(new FieldDifference("bytes", Convert.ToHexString(expected), Convert.ToHexString(observed) + (problem is null ? "" : $" ({problem})"), ClauseId.IpHeader));
            return result;
        }
        var udp = e.Udp is not null && o.Udp is not null;
        foreach (var field in PacketFields.Table)
        {
            if (field.Layer == PacketLayer.Data || (field.Layer == PacketLayer.Udp && !udp)) continue;
            var (a, b) = (field.Read(e), field.Read(o));
            if (a != b) result.Add(new FieldDifference(field.Label, a, b, field.Clause));
        }
        var data = PacketFields.Table.Single(f => f.Layer == PacketLayer.Data);
        var ePayload = (udp ? e.Data : e.Payload).Span;
        var oPayload = (udp ? o.Data : o.Payload).Span;
        var first = FirstDifference(ePayload, oPayload);
        if (first >= 0)
            result.Add(new FieldDifference(udp ? data.Label : "fragment " + data.Label,
                $"{ePayload.Length} bytes, byte {first} = {Byte(ePayload, first)}",
                $"{oPayload.Length} bytes, byte {first} = {Byte(oPayload, first)}", data.Clause));
        // A checksum that differs only because fields it covers differ is not a difference of its own: it is left out
        // when each is right for its packet (both valid, or both the pseudo-header sum of checksum offload), since the
        // fields that made it differ are listed. A first fragment's UDP checksum covers bytes it does not carry: kept.
        if (result.Any(d => d.Field is not (HeaderChecksumLabel or UdpChecksumLabel)))
            result.RemoveAll(d =>
                d.Field == HeaderChecksumLabel && e.HeaderChecksumValid && o.HeaderChecksumValid ||
                d.Field == UdpChecksumLabel && e.UdpChecksum == o.UdpChecksum && o.UdpChecksum is UdpChecksumStatus.Valid or UdpChecksumStatus.PartialOffload);
        if (result.Count == 0)
            result.Add(new FieldDifference("bytes", Convert.ToHexString(expected), Convert.ToHexString(observed), ClauseId.IpHeader));
        return result;
    }

    private static int FirstDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var common = a.CommonPrefixLength(b);
        return common == a.Length && common == b.Length ? -1 : common;
    }

    private static string Byte(ReadOnlySpan<byte> data, int index) => index < data.Length ? $"0x{data[index]:x2}" : "(end)";
}
