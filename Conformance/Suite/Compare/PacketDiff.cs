using System.Buffers.Binary;
using Udpconf.Reference;
using Udpconf.Reference.Wire;

namespace Udpconf.Suite.Compare;

/// <summary>A field that differs between an expected and an observed packet, with the clause that sets it.</summary>
public sealed record FieldDifference(string Field, string Expected, string Observed, string Clause);

/// <summary>Decodes two IPv4 packets and names the fields in which they differ, so that a failure reads as
/// "ttl: expected 64, observed 1 [ip_push.ttl]" rather than as two hex dumps.</summary>
public static class PacketDiff
{
    public static IReadOnlyList<FieldDifference> Differences(byte[] expected, byte[] observed)
    {
        var result = new List<FieldDifference>();
        if (expected.AsSpan().SequenceEqual(observed)) return result;
        string? problem = null;
        if (!Ipv4Header.TryParse(expected, out var e, out _) || !Ipv4Header.TryParse(observed, out var o, out problem))
        {
            result.Add(new FieldDifference("bytes", Convert.ToHexString(expected), Convert.ToHexString(observed) + (problem is null ? "" : $" ({problem})"), ClauseId.IpHeader));
            return result;
        }
        void Check<T>(string field, T a, T b, string clause)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b)) result.Add(new FieldDifference(field, $"{a}", $"{b}", clause));
        }
        Check("ihl", e.HeaderLength, o.HeaderLength, ClauseId.IpOptions);
        Check("tos", e.Tos, o.Tos, ClauseId.IpHeader);
        Check("total length", e.TotalLength, o.TotalLength, ClauseId.FragmentLayout);
        Check("identification", e.Identification, o.Identification, ClauseId.IpHeader);
        Check("DF", e.DontFragment, o.DontFragment, ClauseId.Df);
        Check("MF", e.MoreFragments, o.MoreFragments, ClauseId.FragmentLayout);
        Check("fragment offset", e.FragmentOffsetBytes, o.FragmentOffsetBytes, ClauseId.FragmentLayout);
        Check("ttl", e.Ttl, o.Ttl, ClauseId.Ttl);
        Check("protocol", e.Protocol, o.Protocol, ClauseId.IpHeader);
        Check("header checksum", $"0x{e.HeaderChecksum:x4}", $"0x{o.HeaderChecksum:x4}", ClauseId.HeaderChecksum);
        Check("source", e.Source, o.Source, ClauseId.SourceFromRoute);
        Check("destination", e.Destination, o.Destination, ClauseId.IpHeader);
        Check("options", Convert.ToHexString(e.Options.Span), Convert.ToHexString(o.Options.Span), ClauseId.IpOptions);

        var ePayload = expected.AsSpan(Math.Min(e.HeaderLength, expected.Length));
        var oPayload = observed.AsSpan(Math.Min(o.HeaderLength, observed.Length));
        var udp = e.FragmentOffsetBytes == 0 && o.FragmentOffsetBytes == 0 && ePayload.Length >= 8 && oPayload.Length >= 8;
        if (udp)
        {
            Check("UDP source port", Port(ePayload, 0), Port(oPayload, 0), ClauseId.UdpHeader);
            Check("UDP destination port", Port(ePayload, 2), Port(oPayload, 2), ClauseId.UdpHeader);
            Check("UDP length", Port(ePayload, 4), Port(oPayload, 4), ClauseId.UdpHeader);
            Check("UDP checksum", $"0x{Port(ePayload, 6):x4}", $"0x{Port(oPayload, 6):x4}", ClauseId.Checksum);
            ePayload = ePayload[8..];
            oPayload = oPayload[8..];
        }
        var first = FirstDifference(ePayload, oPayload);
        if (first >= 0)
            result.Add(new FieldDifference(udp ? "data" : "fragment data",
                $"{ePayload.Length} bytes, byte {first} = {Byte(ePayload, first)}",
                $"{oPayload.Length} bytes, byte {first} = {Byte(oPayload, first)}", ClauseId.FragmentLayout));
        if (result.Count == 0)
            result.Add(new FieldDifference("bytes", Convert.ToHexString(expected), Convert.ToHexString(observed), ClauseId.IpHeader));
        return result;
    }

    private static ushort Port(ReadOnlySpan<byte> udp, int offset) => BinaryPrimitives.ReadUInt16BigEndian(udp[offset..]);

    private static int FirstDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var common = a.CommonPrefixLength(b);
        return common == a.Length && common == b.Length ? -1 : common;
    }

    private static string Byte(ReadOnlySpan<byte> data, int index) => index < data.Length ? $"0x{data[index]:x2}" : "(end)";
}
