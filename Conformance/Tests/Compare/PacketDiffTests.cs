using System.Buffers.Binary;
using Udpconf.Reference;
using Udpconf.Reference.Host;
using Udpconf.Suite.Compare;
using Udpconf.TestSupport;
using Xunit;

namespace Udpconf.Tests.Compare;

/// <summary>A checksum that differs only because the fields it covers differ is not listed as a difference of its
/// own; a wrong one, or one that differs alone, is.</summary>
public class PacketDiffTests
{
    private static byte[] Sent()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        return sim.Packets(sim.SendTo("s", 10, Ipv4Address.Parse("198.51.100.7")))[0].ToArray();
    }

    private static byte[] FixHeader(byte[] packet)
    {
        packet[10] = packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Rfc1071.Checksum(packet.AsSpan(0, 20)));
        return packet;
    }

    private static string[] Fields(byte[] expected, byte[] observed) => PacketDiff.Differences(expected, observed).Select(d => d.Field).ToArray();

    [Fact]
    public void A_header_checksum_right_for_its_own_header_is_not_a_difference_beside_the_field_that_made_it_differ()
    {
        var expected = Sent();
        var observed = (byte[])expected.Clone();
        observed[8] = 1; // TTL
        Assert.Equal(["ttl"], Fields(expected, FixHeader(observed)));
        observed[11] ^= 1; // another checksum, wrong for its header
        Assert.Equal(["ttl", "header checksum"], Fields(expected, observed));
    }

    [Fact]
    public void A_UDP_checksum_right_for_its_own_datagram_is_not_a_difference_beside_the_data_that_made_it_differ()
    {
        var expected = Sent();
        var observed = (byte[])expected.Clone();
        observed[^1] ^= 0xFF;
        observed[27] ^= 1; // another checksum, still wrong for its data
        Assert.Equal(["UDP checksum", "data"], Fields(expected, observed));
        var sum = Rfc1071.UdpChecksumField(Sim.Ip(observed).Source, Sim.Ip(observed).Destination, observed.Length - 20,
            observed.AsSpan(20).ToArray().Select((b, i) => i is 6 or 7 ? (byte)0 : b).ToArray());
        BinaryPrimitives.WriteUInt16BigEndian(observed.AsSpan(26), sum);
        Assert.Equal(["data"], Fields(expected, observed));
    }

    [Fact]
    public void A_checksum_that_differs_alone_is_a_difference()
    {
        var expected = Sent();
        var observed = (byte[])expected.Clone();
        observed[26] = observed[27] = 0; // no checksum where one was computed
        Assert.Equal(["UDP checksum"], Fields(expected, observed));
    }
}
