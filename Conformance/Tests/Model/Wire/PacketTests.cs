using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Xunit;

namespace Udpconf.Tests.Model.Wire;

/// <summary>The one packet view: fields, the final destination under a source route, and the checksum status,
/// judged against the tests' own RFC 1071 oracle.</summary>
public class PacketTests
{
    private static Ipv4Address Source => Ipv4Address.Parse("192.0.2.1");
    private static Ipv4Address FirstHop => Ipv4Address.Parse("192.0.2.254");
    private static Ipv4Address Final => Ipv4Address.Parse("198.51.100.7");
    private static readonly byte[] Data = [1, 2, 3, 4, 5];

    /// <summary>A UDP packet whose checksum field is <paramref name="checksum"/> (null: the oracle's checksum over the
    /// pseudo-header of <paramref name="pseudoDestination"/>).</summary>
    private static byte[] Udp(byte[] options, Ipv4Address destination, Ipv4Address pseudoDestination, ushort? checksum = null)
    {
        var segment = new byte[UdpHeader.Length + Data.Length];
        new UdpHeader(4000, 9, (ushort)segment.Length, 0).Emit(segment);
        Data.CopyTo(segment, UdpHeader.Length);
        var field = checksum ?? Rfc1071.UdpChecksumField(Source, pseudoDestination, segment.Length, segment);
        new UdpHeader(4000, 9, (ushort)segment.Length, field).Emit(segment);
        var ip = new Ipv4Header(0, (ushort)(Ipv4Header.MinimumLength + options.Length + segment.Length), 7, false, true, false, 0,
            64, Ipv4Header.ProtocolUdp, 0, Source, destination, options).WithComputedChecksum();
        var packet = new byte[ip.TotalLength];
        ip.Emit(packet);
        segment.CopyTo(packet, ip.HeaderLength);
        return packet;
    }

    /// <summary>A target's options may be malformed: the walk stops at a lone type byte, a length below 2 or one past
    /// the end, and finds no destination, without reading past the bytes or looping.</summary>
    [Theory]
    [InlineData("01")]
    [InlineData("0101010183")]
    [InlineData("8301c6336407")]
    [InlineData("8300c6336407")]
    [InlineData("8320c63364070000")]
    [InlineData("0000000083070800000000")]
    [InlineData("0002830704c6336407000000")]   // END, then bytes that would read as a length and a source route
    public void A_malformed_option_list_has_no_source_route_destination(string hex)
    {
        Assert.Null(Packet.SourceRouteDestination(Convert.FromHexString(hex)));
    }

    /// <summary>Well-formed lists: the walk steps over a NOP and over an option of length 2, and takes a source route
    /// that ends exactly at the end of the options.</summary>
    [Theory]
    [InlineData("01830704c6336407")]                 // NOP, then LSRR to the last byte
    [InlineData("99028307" + "04c63364" + "07000000")]  // an option of length 2, then LSRR, END
    [InlineData("0101" + "0101" + "890704c6" + "33640700")]  // NOPs, then SSRR
    public void A_source_route_after_NOPs_or_a_short_option_gives_its_last_address(string hex)
    {
        Assert.Equal(Ipv4Address.Parse("198.51.100.7"), Packet.SourceRouteDestination(Convert.FromHexString(hex)));
    }

    /// <summary>LSRR (131) with one slot, pointer past it, then END: the final destination in the last slot.</summary>
    private static byte[] LooseSourceRoute(Ipv4Address final)
    {
        var options = new byte[8];
        options[0] = 131;
        options[1] = 7;
        options[2] = 8;
        final.Write(options.AsSpan(3));
        return options;
    }

    [Fact]
    public void A_plain_packet_reads_its_headers_and_a_valid_checksum()
    {
        var packet = Packet.Parse(Udp([], Final, Final));
        Assert.True(packet.IsIpv4);
        Assert.Equal(Final, packet.FinalDestination);
        Assert.Equal((ushort)4000, packet.Udp!.Value.SourcePort);
        Assert.Equal(Data, packet.Data.ToArray());
        Assert.True(packet.HeaderChecksumValid);
        Assert.Equal(UdpChecksumStatus.Valid, packet.UdpChecksum);
    }

    [Fact]
    public void Under_a_source_route_the_checksum_is_judged_against_the_final_destination()
    {
        var bytes = Udp(LooseSourceRoute(Final), FirstHop, Final);
        var packet = Packet.Parse(bytes);
        Assert.Equal(FirstHop, packet.Ip.Destination);
        Assert.Equal(Final, packet.FinalDestination);
        Assert.Equal(UdpChecksumStatus.Valid, packet.UdpChecksum);
        // csum=valid in a case file reads the same view (it used the next hop before).
        Assert.True(CaseExpectations.ChecksumOf([new ObservedPacket("tun0", bytes)], 0).Valid);
        // A checksum over the first hop's pseudo-header is wrong under the source route.
        Assert.Equal(UdpChecksumStatus.Invalid, Packet.Parse(Udp(LooseSourceRoute(Final), FirstHop, FirstHop)).UdpChecksum);
    }

    [Fact]
    public void Zero_and_pseudo_header_only_fields_have_their_own_status()
    {
        Assert.Equal(UdpChecksumStatus.Zero, Packet.Parse(Udp([], Final, Final, checksum: 0)).UdpChecksum);
        var partial = Rfc1071.Sum(Rfc1071.PseudoHeader(Source, Final, UdpHeader.Length + Data.Length));
        Assert.Equal(UdpChecksumStatus.PartialOffload, Packet.Parse(Udp([], Final, Final, partial)).UdpChecksum);
    }

    [Fact]
    public void Bytes_that_are_not_IPv4_say_why_and_have_no_UDP_header()
    {
        var packet = Packet.Parse([0x60, 0, 0, 0]);
        Assert.False(packet.IsIpv4);
        Assert.NotNull(packet.Problem);
        Assert.Null(packet.Udp);
    }

    [Fact]
    public void Every_case_file_field_has_one_row_and_reads_as_case_files_write_it()
    {
        var names = PacketFields.CaseNames.ToArray();
        Assert.Equal(names.Distinct().Count(), names.Length);
        var packet = Packet.Parse(Udp([], Final, Final));
        Assert.Equal("5", PacketFields.ByName("ihl")!.Read(packet));
        Assert.Equal("1", PacketFields.ByName("df")!.Read(packet));
        Assert.Equal($"{Data.Length} bytes", PacketFields.ByName("payload")!.Read(packet));
        Assert.Equal("total length", PacketFields.ByName("len")!.Label);
    }
}
