using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Tests.Model.Wire;

public class UdpHeaderTests
{
    private static Ipv4Address Source => Ipv4Address.Parse("10.0.0.1");
    private static Ipv4Address Destination => Ipv4Address.Parse("10.0.0.2");

    [Fact]
    public void Offsets_follow_rfc768()
    {
        Assert.Equal(0, UdpHeader.SourcePortOffset);
        Assert.Equal(2, UdpHeader.DestinationPortOffset);
        Assert.Equal(4, UdpHeader.LengthOffset);
        Assert.Equal(6, UdpHeader.ChecksumOffset);
        Assert.Equal(8, UdpHeader.Length);
    }

    [Theory]
    [InlineData(0, 0, 0, 0, "0000000000000000")]
    [InlineData(1234, 53, 13, 0xddc4, "04D20035000DDDC4")]
    [InlineData(65535, 1, 65535, 0xFFFF, "FFFF0001FFFFFFFF")]
    [InlineData(0x8001, 0x7ffe, 8, 0x0102, "80017FFE00080102")]
    public void Emit_then_TryParse_round_trips(int sourcePort, int destinationPort, int length, int checksum, string wire)
    {
        var header = new UdpHeader((ushort)sourcePort, (ushort)destinationPort, (ushort)length, (ushort)checksum);
        var bytes = new byte[UdpHeader.Length];
        header.Emit(bytes);
        Assert.Equal(wire, Convert.ToHexString(bytes));

        Assert.True(UdpHeader.TryParse(bytes, out var parsed, out var problem));
        Assert.Null(problem);
        Assert.Equal(header, parsed);
    }

    [Fact]
    public void TryParse_reads_only_the_first_8_bytes_of_a_longer_segment()
    {
        byte[] segment = Convert.FromHexString("04D20035000DDDC40102030405");
        Assert.True(UdpHeader.TryParse(segment, out var parsed, out _));
        Assert.Equal(new UdpHeader(1234, 53, 13, 0xddc4), parsed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void TryParse_refuses_a_segment_shorter_than_8_bytes(int length)
    {
        Assert.False(UdpHeader.TryParse(new byte[length], out var header, out var problem));
        Assert.Equal(default(UdpHeader), header);
        Assert.Equal($"segment is {length} bytes, shorter than the 8-byte UDP header", problem);
    }

    [Fact]
    public void Emit_throws_when_destination_is_shorter_than_8_bytes()
    {
        var thrown = Assert.Throws<ArgumentException>(() => new UdpHeader(1, 2, 8, 0).Emit(new byte[7]));
        Assert.Equal("destination", thrown.ParamName);
        Assert.StartsWith("destination holds 7 bytes, UDP header needs 8", thrown.Message);
    }

    [Fact]
    public void Checksum_of_a_small_datagram_matches_a_hand_sum()
    {
        byte[] payload = [1, 2, 3, 4, 5];
        var header = new UdpHeader(1234, 53, 13, 0);
        // 0a00+0001 + 0a00+0002 + 0011 + 000d (pseudo) + 04d2+0035+000d (header) + 0102+0304+0500 (data)
        uint sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x000d + 0x04d2 + 0x0035 + 0x000d + 0x0102 + 0x0304 + 0x0500;
        Assert.Equal(0x223bu, sum);
        Assert.Equal((ushort)0xddc4, UdpHeader.ComputeChecksum(Source, Destination, 13, header, payload));
    }

    [Fact]
    public void Checksum_field_of_the_header_argument_is_ignored()
    {
        byte[] payload = [1, 2, 3, 4, 5];
        Assert.Equal(
            UdpHeader.ComputeChecksum(Source, Destination, 13, new UdpHeader(1234, 53, 13, 0), payload),
            UdpHeader.ComputeChecksum(Source, Destination, 13, new UdpHeader(1234, 53, 13, 0xBEEF), payload));
    }

    [Fact]
    public void Pseudo_length_is_used_in_the_pseudo_header_independently_of_the_header_length()
    {
        byte[] payload = [1, 2, 3, 4, 5];
        var header = new UdpHeader(1234, 53, 13, 0);
        // Raising the pseudo-header length by 1 adds 1 to the sum, so the complement drops by 1.
        Assert.Equal((ushort)0xddc3, UdpHeader.ComputeChecksum(Source, Destination, 14, header, payload));
    }

    [Fact]
    public void Computed_zero_is_sent_as_ffff()
    {
        // Pseudo-header 0a00+0001+0a00+0002+0011+000a = 141e; header 04d2+0035+000a = 0511;
        // together 192f. Data word e6d0 brings the sum to exactly ffff, whose complement is 0.
        byte[] payload = [0xe6, 0xd0];
        var header = new UdpHeader(1234, 53, 10, 0);
        uint sum = InternetChecksum.PseudoHeaderSum(Source, Destination, Ipv4Header.ProtocolUdp, 10);
        Assert.Equal(0x141eu, sum);
        Assert.Equal((ushort)0xFFFF, InternetChecksum.Fold(InternetChecksum.Sum([0x04, 0xd2, 0x00, 0x35, 0x00, 0x0a, 0x00, 0x00, 0xe6, 0xd0], sum)));

        Assert.Equal((ushort)0xFFFF, UdpHeader.ComputeChecksum(Source, Destination, 10, header, payload));

        // A receiver summing everything with 0xFFFF in the checksum field still gets all ones.
        byte[] segment = new byte[10];
        (header with { Checksum = 0xFFFF }).Emit(segment);
        payload.CopyTo(segment, 8);
        Assert.Equal((ushort)0xFFFF, InternetChecksum.Fold(InternetChecksum.Sum(segment, sum)));
    }

    [Fact]
    public void Emitted_checksum_verifies_over_pseudo_header_and_segment()
    {
        var random = new Random(768);
        foreach (int payloadLength in new[] { 0, 1, 2, 3, 17, 1472, 1473 })
        {
            var payload = new byte[payloadLength];
            random.NextBytes(payload);
            ushort length = (ushort)(UdpHeader.Length + payloadLength);
            var header = new UdpHeader((ushort)random.Next(65536), (ushort)random.Next(65536), length, 0);
            header = header with { Checksum = UdpHeader.ComputeChecksum(Source, Destination, length, header, payload) };

            var segment = new byte[length];
            header.Emit(segment);
            payload.CopyTo(segment, UdpHeader.Length);
            uint pseudo = InternetChecksum.PseudoHeaderSum(Source, Destination, Ipv4Header.ProtocolUdp, length);
            Assert.Equal((ushort)0xFFFF, InternetChecksum.Fold(InternetChecksum.Sum(segment, pseudo)));
            Assert.NotEqual((ushort)0, header.Checksum);
        }
    }
}
