using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Tests.Model.Wire;

public class InternetChecksumTests
{
    // RFC 1071 §3 "Numerical Examples": 0001 + f203 + f4f5 + f6f7 = 2ddf0, folded ddf2.
    private static readonly byte[] Rfc1071Example = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];

    [Fact]
    public void Rfc1071_worked_example_sums_and_folds_as_published()
    {
        Assert.Equal(0x2ddf0u, InternetChecksum.Sum(Rfc1071Example));
        Assert.Equal((ushort)0xddf2, InternetChecksum.Fold(InternetChecksum.Sum(Rfc1071Example)));
        Assert.Equal((ushort)0x220d, InternetChecksum.Compute(Rfc1071Example));
    }

    [Fact]
    public void Rfc1071_example_is_byte_order_independent_when_swapped()
    {
        // RFC 1071 §2(B): summing byte-swapped words gives the byte-swapped result.
        byte[] swapped = [0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6];
        Assert.Equal((ushort)0xf2dd, InternetChecksum.Fold(InternetChecksum.Sum(swapped)));
    }

    [Theory]
    [InlineData(new byte[] { }, 0x0000u)]
    [InlineData(new byte[] { 0xAB }, 0xAB00u)]
    [InlineData(new byte[] { 0x12, 0x34, 0x56 }, 0x1234u + 0x5600u)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF }, 0xFFFFu + 0xFF00u)]
    [InlineData(new byte[] { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0x80 }, 0x2ddf0u + 0x8000u)]
    public void Odd_trailing_byte_is_the_high_byte_of_a_zero_padded_word(byte[] data, uint expected)
    {
        Assert.Equal(expected, InternetChecksum.Sum(data));
        var padded = new byte[data.Length + 1];
        data.CopyTo(padded, 0);
        Assert.Equal(InternetChecksum.Sum(padded), InternetChecksum.Sum(data));
    }

    [Theory]
    [InlineData(0x0000u, 0x0000)]
    [InlineData(0xFFFFu, 0xFFFF)]
    [InlineData(0x10000u, 0x0001)]
    [InlineData(0x2ddf0u, 0xddf2)]
    [InlineData(0x1FFFEu, 0xFFFF)]
    [InlineData(0xFFFFFFFFu, 0xFFFF)]
    [InlineData(0xFFFF0000u, 0xFFFF)]
    [InlineData(0x8000FFFFu, 0x8000)]
    public void Fold_adds_carries_back_until_16_bits_remain(uint sum, int expected)
    {
        Assert.Equal((ushort)expected, InternetChecksum.Fold(sum));
    }

    [Fact]
    public void Initial_value_is_added_to_the_data_sum()
    {
        Assert.Equal(0x2ddf0u + 0x1234u, InternetChecksum.Sum(Rfc1071Example, 0x1234));
    }

    [Fact]
    public void Known_ipv4_header_has_checksum_b861()
    {
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        Assert.Equal((ushort)0xb861, InternetChecksum.Compute(header));

        header[10] = 0xb8;
        header[11] = 0x61;
        // A receiver's check: the whole header, checksum included, complements to zero.
        Assert.Equal((ushort)0x0000, InternetChecksum.Compute(header));
        Assert.Equal((ushort)0xFFFF, InternetChecksum.Fold(InternetChecksum.Sum(header)));
    }

    [Fact]
    public void Large_input_of_all_ones_keeps_every_carry()
    {
        var data = new byte[65535];
        Array.Fill(data, (byte)0xFF);
        // 32767 words of 0xFFFF plus a trailing 0xFF00: exact, no 32-bit overflow yet.
        Assert.Equal(32767u * 0xFFFFu + 0xFF00u, InternetChecksum.Sum(data));
        Assert.Equal(0x7FFF7F01u, InternetChecksum.Sum(data));
        // 0xFFFF is one's complement zero, so only the trailing 0xFF00 survives the fold.
        Assert.Equal((ushort)0xFF00, InternetChecksum.Fold(InternetChecksum.Sum(data)));
        Assert.Equal((ushort)0x00FF, InternetChecksum.Compute(data));
    }

    [Fact]
    public void Repeated_calls_past_32_bits_stay_correct()
    {
        var data = new byte[65535];
        Array.Fill(data, (byte)0xFF);
        uint once = InternetChecksum.Sum(data);
        uint twice = InternetChecksum.Sum(data, once);
        uint thrice = InternetChecksum.Sum(data, twice);
        Assert.Equal(0xFFFEFE02u, twice);
        // The third call overflows 32 bits; 3 × 0xFF00 mod 0xFFFF is 0xFD02.
        Assert.Equal((ushort)0xFE01, InternetChecksum.Fold(twice));
        Assert.Equal((ushort)0xFD02, InternetChecksum.Fold(thrice));
        Assert.Equal((ushort)0xFFFF, InternetChecksum.Fold(InternetChecksum.Sum([0xFF, 0xFF], 0xFFFFFFFF)));
        // 0xFFFFFFFF = 0xFFFF × 0x10001 is one's complement zero, so only the data word remains.
        Assert.Equal((ushort)0x0002, InternetChecksum.Fold(InternetChecksum.Sum([0x00, 0x02], 0xFFFFFFFF)));
    }

    [Fact]
    public void Pseudo_header_sum_matches_summing_the_materialised_pseudo_header()
    {
        var source = Ipv4Address.Parse("192.168.0.1");
        var destination = Ipv4Address.Parse("255.254.253.252");
        // RFC 768: source, destination, zero, protocol, UDP length.
        byte[] pseudo = Convert.FromHexString("c0a80001fffefdfc0011abcd");
        uint materialised = InternetChecksum.Sum(pseudo);
        uint direct = InternetChecksum.PseudoHeaderSum(source, destination, 17, 0xabcd);
        Assert.Equal(0xc0a8u + 0x0001u + 0xfffeu + 0xfdfcu + 0x0011u + 0xabcdu, direct);
        Assert.Equal(materialised, direct);
    }

    [Fact]
    public void Accumulator_of_odd_pieces_equals_one_sum_over_the_whole()
    {
        var random = new Random(1071);
        var data = new byte[1000];
        random.NextBytes(data);
        int[] pieceLengths = [1, 3, 2, 7, 0, 1, 1, 64, 5, 9, 13, 100, 1, 2, 3, 333];
        var accumulator = new ChecksumAccumulator();
        int offset = 0;
        foreach (int length in pieceLengths)
        {
            accumulator.Add(data.AsSpan(offset, length));
            offset += length;
        }
        accumulator.Add(data.AsSpan(offset));

        Assert.Equal(1000L, accumulator.BytesAdded);
        Assert.Equal(InternetChecksum.Fold(InternetChecksum.Sum(data)), InternetChecksum.Fold(accumulator.Sum));
    }

    [Fact]
    public void Accumulator_matches_single_sum_for_every_split_of_a_short_buffer()
    {
        byte[] data = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0xff, 0x01, 0x80];
        ushort whole = InternetChecksum.Fold(InternetChecksum.Sum(data));
        for (int first = 0; first <= data.Length; first++)
        for (int second = first; second <= data.Length; second++)
        {
            var accumulator = new ChecksumAccumulator();
            accumulator.Add(data.AsSpan(0, first));
            accumulator.Add(data.AsSpan(first, second - first));
            accumulator.Add(data.AsSpan(second));
            Assert.Equal(whole, InternetChecksum.Fold(accumulator.Sum));
            Assert.Equal(data.Length, accumulator.BytesAdded);
        }
    }

    [Fact]
    public void Accumulator_with_one_byte_pieces_of_the_rfc_example_gives_ddf2()
    {
        var accumulator = new ChecksumAccumulator();
        foreach (byte b in Rfc1071Example)
            accumulator.Add([b]);
        Assert.Equal((ushort)0xddf2, InternetChecksum.Fold(accumulator.Sum));
        Assert.Equal(8L, accumulator.BytesAdded);
    }

    [Fact]
    public void Accumulator_survives_many_large_pieces_without_losing_carries()
    {
        var data = new byte[65535];
        Array.Fill(data, (byte)0xFF);
        var accumulator = new ChecksumAccumulator();
        for (int i = 0; i < 5; i++)
            accumulator.Add(data);
        // 5 × 65535 bytes of 0xFF is 163837 whole words of 0xFFFF plus one trailing 0xFF00.
        Assert.Equal(5L * 65535, accumulator.BytesAdded);
        Assert.Equal((ushort)0xFF00, InternetChecksum.Fold(accumulator.Sum));
    }

    [Fact]
    public void AddSum_of_pseudo_header_plus_pieces_gives_the_udp_checksum()
    {
        var source = Ipv4Address.Parse("10.1.2.3");
        var destination = Ipv4Address.Parse("10.4.5.6");
        byte[] payload = "an odd payload!"u8.ToArray();
        ushort length = (ushort)(UdpHeader.Length + payload.Length);
        var header = new UdpHeader(40000, 9, length, 0);
        var headerBytes = new byte[UdpHeader.Length];
        header.Emit(headerBytes);

        var accumulator = new ChecksumAccumulator();
        accumulator.AddSum(InternetChecksum.PseudoHeaderSum(source, destination, Ipv4Header.ProtocolUdp, length));
        accumulator.Add(headerBytes);
        accumulator.Add(payload.AsSpan(0, 5));
        accumulator.Add(payload.AsSpan(5));

        Assert.Equal(8L + 15, accumulator.BytesAdded);
        ushort fromAccumulator = (ushort)~InternetChecksum.Fold(accumulator.Sum);
        Assert.Equal(UdpHeader.ComputeChecksum(source, destination, length, header, payload), fromAccumulator);
    }

    [Fact]
    public void AddSum_carries_out_of_32_bits()
    {
        var accumulator = new ChecksumAccumulator();
        accumulator.AddSum(0xFFFFFFFF);
        accumulator.AddSum(0x00000002);
        Assert.Equal(0x00000002u, accumulator.Sum);
        Assert.Equal(0L, accumulator.BytesAdded);
    }
}
