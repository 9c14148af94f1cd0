using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Tests.Model.Wire;

public class Ipv4HeaderTests
{
    private static Ipv4Address Source => Ipv4Address.Parse("192.168.0.1");
    private static Ipv4Address Destination => Ipv4Address.Parse("192.168.0.199");

    private static Ipv4Header Plain(ReadOnlyMemory<byte> options = default) => new(
        Tos: 0, TotalLength: 0x73, Identification: 0,
        Reserved: false, DontFragment: true, MoreFragments: false, FragmentOffsetBytes: 0,
        Ttl: 64, Protocol: Ipv4Header.ProtocolUdp, HeaderChecksum: 0,
        Source: Source, Destination: Destination, Options: options);

    /// <summary>Equality is by every field, the option bytes by content (a comparison of observed with predicted headers
    /// must see a difference in any one of them).</summary>
    [Fact]
    public void Headers_differing_in_any_one_field_are_unequal_and_equal_option_bytes_are_equal()
    {
        var h = Plain(new byte[] { 1, 1, 1, 1 });
        Assert.Equal(h, Plain(new byte[] { 1, 1, 1, 1 }));
        Assert.Equal(h.GetHashCode(), Plain(new byte[] { 1, 1, 1, 1 }).GetHashCode());
        Ipv4Header[] others =
        [
            h with { Tos = 1 }, h with { TotalLength = 0x74 }, h with { Identification = 1 }, h with { Reserved = true },
            h with { DontFragment = false }, h with { MoreFragments = true }, h with { FragmentOffsetBytes = 8 }, h with { Ttl = 63 },
            h with { Protocol = 6 }, h with { HeaderChecksum = 1 }, h with { Source = Destination }, h with { Destination = Source },
            h with { Options = new byte[] { 1, 1, 1, 0 } },
        ];
        foreach (var other in others) Assert.NotEqual(h, other);
    }

    private static byte[] Emitted(Ipv4Header header)
    {
        var bytes = new byte[header.HeaderLength];
        header.Emit(bytes);
        return bytes;
    }

    [Fact]
    public void Offsets_follow_rfc791()
    {
        Assert.Equal(0, Ipv4Header.VersionIhlOffset);
        Assert.Equal(1, Ipv4Header.TosOffset);
        Assert.Equal(2, Ipv4Header.TotalLengthOffset);
        Assert.Equal(4, Ipv4Header.IdentificationOffset);
        Assert.Equal(6, Ipv4Header.FlagsFragmentOffset);
        Assert.Equal(8, Ipv4Header.TtlOffset);
        Assert.Equal(9, Ipv4Header.ProtocolOffset);
        Assert.Equal(10, Ipv4Header.ChecksumOffset);
        Assert.Equal(12, Ipv4Header.SourceOffset);
        Assert.Equal(16, Ipv4Header.DestinationOffset);
        Assert.Equal(20, Ipv4Header.MinimumLength);
        Assert.Equal(40, Ipv4Header.MaximumOptionsLength);
        Assert.Equal(17, Ipv4Header.ProtocolUdp);
    }

    [Fact]
    public void Known_real_header_emits_byte_for_byte_with_checksum_b861()
    {
        var header = Plain().WithComputedChecksum();
        Assert.Equal((ushort)0xb861, header.HeaderChecksum);
        Assert.Equal("45000073000040004011B861C0A80001C0A800C7", Convert.ToHexString(Emitted(header)));
    }

    [Fact]
    public void Known_real_header_parses_to_its_fields()
    {
        byte[] bytes = Convert.FromHexString("45000073000040004011b861c0a80001c0a800c7");
        Assert.True(Ipv4Header.TryParse(bytes, out var header, out var problem));
        Assert.Null(problem);
        Assert.Equal(Plain() with { HeaderChecksum = 0xb861 }, header);
        Assert.Equal(20, header.HeaderLength);
        Assert.Equal((ushort)0xb861, header.ComputeChecksum());
        Assert.True(Ipv4Header.ChecksumIsValid(bytes));
    }

    public static TheoryData<string, bool, bool, bool, ushort> FlagCases => new()
    {
        { "", false, false, false, 0 },
        { "", false, true, false, 0 },
        { "", false, false, true, 0 },
        { "", false, false, true, 1480 },
        { "", false, true, true, 8 },
        { "", true, false, false, 0 },
        { "", true, true, true, 65528 },
        { "94040000", false, true, false, 0 },
        { "8307040a000001000000", false, false, true, 2960 }, // not a multiple of 4: padded below
        { new string('0', 80), false, false, false, 0 },
    };

    [Theory]
    [MemberData(nameof(FlagCases))]
    public void Emit_then_TryParse_gives_back_an_equal_record(string optionsHex, bool reserved, bool df, bool mf, ushort offset)
    {
        byte[] options = Convert.FromHexString(optionsHex);
        Array.Resize(ref options, (options.Length + 3) / 4 * 4);
        var header = new Ipv4Header(
            Tos: 0xb8, TotalLength: (ushort)(20 + options.Length + 100), Identification: 0xbeef,
            Reserved: reserved, DontFragment: df, MoreFragments: mf, FragmentOffsetBytes: offset,
            Ttl: 1, Protocol: Ipv4Header.ProtocolUdp, HeaderChecksum: 0x1234,
            Source: Source, Destination: Destination, Options: options);

        byte[] bytes = Emitted(header);
        Assert.Equal(20 + options.Length, bytes.Length);
        Assert.Equal(0x40 | (bytes.Length / 4), bytes[0]);
        ushort flagsFragment = (ushort)((bytes[6] << 8) | bytes[7]);
        Assert.Equal((reserved ? 0x8000 : 0) | (df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | offset / 8, flagsFragment);
        // The checksum field goes out as held, even when wrong.
        Assert.Equal(0x12, bytes[10]);
        Assert.Equal(0x34, bytes[11]);

        Assert.True(Ipv4Header.TryParse(bytes, out var parsed, out var problem));
        Assert.Null(problem);
        Assert.Equal(header, parsed);
        Assert.Equal(header.GetHashCode(), parsed.GetHashCode());
    }

    [Fact]
    public void Equality_compares_options_by_content()
    {
        var a = Plain(new byte[] { 1, 1, 1, 0 });
        var b = Plain(new byte[] { 1, 1, 1, 0 });
        var c = Plain(new byte[] { 1, 1, 1, 1 });
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, Plain());
        Assert.NotEqual(a, a with { Ttl = 65 });
        Assert.Contains("Options = [01010100]", a.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_reads_as_every_field_in_order()
    {
        var header = Plain(new byte[] { 1, 1, 1, 0 }) with { Tos = 0x10, Identification = 7, DontFragment = true, HeaderChecksum = 0xBEEF };
        Assert.Equal(
            "Ipv4Header { Tos = 0x10, TotalLength = " + header.TotalLength + ", Identification = 7, Reserved = False, DontFragment = True, " +
            "MoreFragments = False, FragmentOffsetBytes = 0, Ttl = " + header.Ttl + ", Protocol = 17, HeaderChecksum = 0xBEEF, " +
            $"Source = {header.Source}, Destination = {header.Destination}, Options = [01010100] }}",
            header.ToString());
    }

    [Fact]
    public void Checksum_is_valid_on_emitted_bytes_with_computed_checksum_and_invalid_otherwise()
    {
        var header = Plain(new byte[] { 0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00 }) with { Identification = 0x4242, MoreFragments = true, FragmentOffsetBytes = 64 };
        var good = header.WithComputedChecksum();
        byte[] bytes = Emitted(good);
        Assert.Equal(28, bytes.Length);
        Assert.True(Ipv4Header.ChecksumIsValid(bytes));
        // Independent of the field: the complement of the folded sum over the zero-checksum bytes.
        Assert.Equal(InternetChecksum.Compute(Emitted(header with { HeaderChecksum = 0 })), good.HeaderChecksum);
        Assert.Equal(good.HeaderChecksum, header.ComputeChecksum());
        Assert.Equal(good.HeaderChecksum, good.ComputeChecksum());

        Assert.False(Ipv4Header.ChecksumIsValid(Emitted(good with { HeaderChecksum = (ushort)(good.HeaderChecksum ^ 1) })));
        Assert.False(Ipv4Header.ChecksumIsValid(Emitted(good with { Ttl = 63 })));
    }

    [Fact]
    public void Emit_writes_exactly_header_length_bytes_into_a_larger_buffer()
    {
        var buffer = new byte[64];
        Array.Fill(buffer, (byte)0xEE);
        Plain(new byte[] { 1, 1, 1, 1 }).Emit(buffer);
        Assert.Equal(0x46, buffer[0]);
        Assert.Equal(0x01, buffer[23]);
        Assert.Equal(0xEE, buffer[24]);
    }

    // The message names the values that cannot be encoded: the reader of a failing case sees what the record held.
    public static TheoryData<int, int, int, string, string> InvalidRecords => new()
    {
        { 3, 0, 60, "Options", "options are 3 bytes" },
        { 44, 0, 64, "Options", "options are 44 bytes" },
        { 0, 4, 60, "FragmentOffsetBytes", "fragment offset 4 is not a multiple of 8 in 0..65528" },
        { 0, 1, 60, "FragmentOffsetBytes", "fragment offset 1 is" },
        { 0, 65535, 60, "FragmentOffsetBytes", "fragment offset 65535 is" },
        { 0, 65536 - 8, 60, "", "" }, // 65528 is the largest encodable offset: no throw
        { 8, 0, 27, "destination", "destination holds 27 bytes, header needs 28" },
        { 0, 0, 19, "destination", "destination holds 19 bytes, header needs 20" },
    };

    [Theory]
    [MemberData(nameof(InvalidRecords))]
    public void Emit_throws_on_an_invalid_record(int optionsLength, int offset, int bufferLength, string parameter, string message)
    {
        var header = Plain(new byte[optionsLength]) with { FragmentOffsetBytes = (ushort)offset };
        var buffer = new byte[bufferLength];
        if (parameter.Length == 0)
        {
            header.Emit(buffer);
            Assert.Equal(0x1F, buffer[6] & 0x1F);
            Assert.Equal(0xFF, buffer[7]);
            return;
        }
        var thrown = Assert.Throws<ArgumentException>(() => header.Emit(buffer));
        Assert.Equal(parameter, thrown.ParamName);
        Assert.StartsWith(message, thrown.Message, StringComparison.Ordinal);
        if (parameter == "Options")
            Assert.Throws<ArgumentException>(() => header.ComputeChecksum());
    }

    public static TheoryData<string, string> MalformedPackets => new()
    {
        { "", "shorter than the 20-byte" },
        { "450000730000400040110000c0a80001c0a800", "packet is 19 bytes" },
        { "650000730000400040110000c0a80001c0a800c7", "version is 6" },
        { "050000730000400040110000c0a80001c0a800c7", "version is 0" },
        { "440000730000400040110000c0a80001c0a800c7", "IHL is 4" },
        { "400000730000400040110000c0a80001c0a800c7", "IHL is 0" },
        { "460000730000400040110000c0a80001c0a800c7", "IHL 6 claims 24 header bytes but only 20" },
        { "4f0000730000400040110000c0a80001c0a800c70000000000000000", "IHL 15 claims 60" },
        { "450000130000400040110000c0a80001c0a800c7", "total length 19 is less than the header length 20" },
        { "460000170000400040110000c0a80001c0a800c701010100", "total length 23 is less than the header length 24" },
    };

    [Theory]
    [MemberData(nameof(MalformedPackets))]
    public void TryParse_reports_a_one_line_problem_for_malformed_input(string hex, string expectedFragment)
    {
        Assert.False(Ipv4Header.TryParse(Convert.FromHexString(hex), out var header, out var problem));
        Assert.NotNull(problem);
        Assert.Contains(expectedFragment, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", problem, StringComparison.Ordinal);
        Assert.Equal(default(Ipv4Header), header);
    }

    [Fact]
    public void TryParse_leaves_total_length_versus_span_to_the_caller()
    {
        // Total length 0x73 = 115 but only the 20 header bytes present; and the reverse, padding after.
        byte[] shortBuffer = Convert.FromHexString("45000073000040004011b861c0a80001c0a800c7");
        Assert.True(Ipv4Header.TryParse(shortBuffer, out var header, out _));
        Assert.Equal((ushort)115, header.TotalLength);

        byte[] longBuffer = Convert.FromHexString("45000014000040004011b861c0a80001c0a800c7ffffffff");
        Assert.True(Ipv4Header.TryParse(longBuffer, out header, out _));
        Assert.Equal((ushort)20, header.TotalLength);
        Assert.Equal(0, header.Options.Length);
    }

    [Fact]
    public void TryParse_reads_the_wire_offset_in_8_byte_units()
    {
        byte[] bytes = Convert.FromHexString("45000073000020b940110000c0a80001c0a800c7");
        Assert.True(Ipv4Header.TryParse(bytes, out var header, out _));
        Assert.True(header.MoreFragments);
        Assert.False(header.DontFragment);
        Assert.False(header.Reserved);
        Assert.Equal((ushort)(0xb9 * 8), header.FragmentOffsetBytes);
    }
}
