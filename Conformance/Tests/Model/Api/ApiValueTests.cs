using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;

namespace Udpconf.Tests.Model.Api;

/// <summary>The argument values of the socket API and their readings: descriptors, user buffers, socket addresses,
/// errno names and IPv4 addresses, as cases, reports and failure messages write them.</summary>
public class ApiValueTests
{
    [Fact]
    public void An_in_pktinfo_is_the_interface_then_the_spec_dst_then_the_address_as_the_kernel_lays_them_out()
    {
        // struct in_pktinfo: an exec target's stack reads these bytes; the kernel ignores ipi_addr on a send, a
        // stack under test may not.
        var bytes = ControlMessages.PktInfo(0x01020304, Ipv4Address.Parse("192.0.2.1"), Ipv4Address.Parse("198.51.100.7"));
        Assert.Equal([0x04, 0x03, 0x02, 0x01, 192, 0, 2, 1, 198, 51, 100, 7], bytes);
        Assert.Equal(new byte[4], ControlMessages.PktInfo(0, Ipv4Address.Any)[8..]);
    }

    [Fact]
    public void A_descriptor_is_written_by_its_name_or_else_its_number()
    {
        Assert.Equal("s", Fd.Named("s").ToString());
        Assert.Equal("9999", Fd.Raw(9999).ToString());
    }

    [Fact]
    public void A_user_buffer_says_its_length_and_what_of_it_can_be_read()
    {
        Assert.Equal("10 bytes", UserBuffer.Pattern(10).ToString());
        Assert.Equal("NULL, 4096 bytes", UserBuffer.Null(4096).ToString());
        Assert.Equal("100 bytes, 0 readable", UserBuffer.Unreadable(100).ToString());
    }

    [Fact]
    public void A_sockaddr_in6_holds_an_ipv4_address_only_as_ffff_mapped()
    {
        byte[] Six(params (int At, byte Value)[] bytes)
        {
            var address = new byte[SockAddr.In6Length];
            address[0] = 10;
            foreach (var (at, value) in bytes) address[at] = value;
            return address;
        }
        (int, byte)[] mapped = [(18, 0xFF), (19, 0xFF), (20, 198), (21, 51), (22, 100), (23, 7)];
        Assert.Equal(Ipv4Address.Parse("198.51.100.7"), SockAddr.MappedAddress(Six(mapped)));
        Assert.Null(SockAddr.MappedAddress(Six([.. mapped, (8, 1)])));          // a byte before ::ffff is not 0
        Assert.Null(SockAddr.MappedAddress(Six([.. mapped, (17, 1)])));
        Assert.Null(SockAddr.MappedAddress(Six((18, 0xFF), (20, 198))));        // ::ff00:..., not ::ffff:...
        Assert.Null(SockAddr.MappedAddress(Six((19, 0xFF), (20, 198))));
        Assert.Null(SockAddr.MappedAddress(Six((20, 198))));                     // ::198.51.x.x, IPv4-compatible
        // The builders lay a sockaddr_in6 out as the kernel reads it: family (host order), port, flow info, address, scope.
        var native = Convert.FromHexString("20010db8000000000000000000000001");
        Assert.Equal(Convert.FromHexString("0a00" + "0009" + "00000000" + "20010db8000000000000000000000001" + "00000000"),
            SockAddr.In6(native, 9));
        Assert.Equal(Convert.FromHexString("0a00" + "1f90" + "00000000" + "00000000000000000000ffffc6336407" + "00000000"),
            SockAddr.In6Mapped(Ipv4Address.Parse("198.51.100.7"), 8080));
    }

    [Fact]
    public void An_errno_is_read_by_name_alias_or_number()
    {
        Assert.True(ErrnoNames.TryParse("EINVAL", out var byName));
        Assert.Equal(Errno.EINVAL, byName);
        Assert.True(ErrnoNames.TryParse("22", out var byNumber));
        Assert.Equal(Errno.EINVAL, byNumber);
        Assert.False(ErrnoNames.TryParse("99999", out _));
        Assert.True(ErrnoNames.TryParse("ENOTSUP", out var alias));
        Assert.Equal(Errno.EOPNOTSUPP, alias);
        Assert.False(ErrnoNames.TryParse("ENOSUCH", out _));
        Assert.False(ErrnoNames.TryParse("einval", out _));
        // A comma list is no name (Enum.TryParse would OR the values: 22 | 1 is ENFILE).
        Assert.False(ErrnoNames.TryParse("EINVAL,EPERM", out _));
        Assert.False(ErrnoNames.TryParse("ENOTSOCK,EINVAL", out _));
    }

    [Fact]
    public void Ipv4_addresses_parse_strictly_and_classify()
    {
        Assert.False(Ipv4Address.TryParse(null, out _));
        var bad = Assert.Throws<FormatException>(() => Ipv4Address.Parse("198.51.100"));
        Assert.Equal("not an IPv4 address: '198.51.100'", bad.Message);
        Assert.False(Ipv4Address.TryParse("0001.2.3.4", out _));   // four digits, though 1 is an octet
        Assert.False(Ipv4Address.TryParse("1..3.4", out _));
        Assert.False(Ipv4Address.TryParse("1a.2.3.4", out _));
        Assert.False(Ipv4Address.TryParse("256.2.3.4", out _));
        Assert.True(Ipv4Address.TryParse("001.2.3.255", out var padded));
        Assert.Equal("1.2.3.255", padded.ToString());
        Assert.True(Ipv4Address.Parse("0.1.2.3").IsZeroNet);
        Assert.False(Ipv4Address.Any.IsZeroNet);
        Assert.False(Ipv4Address.Parse("1.0.0.0").IsZeroNet);
        // 224.0.0.0/24, never routed: a link-local group, not any group.
        Assert.True(Ipv4Address.Parse("224.0.0.1").IsLocalMulticast);
        Assert.True(Ipv4Address.Parse("224.0.0.255").IsLocalMulticast);
        Assert.False(Ipv4Address.Parse("224.0.1.1").IsLocalMulticast);
        Assert.False(Ipv4Address.Parse("239.1.2.3").IsLocalMulticast);
        // Masks of the host's prefixes: none for /0 (and below), all ones for /32 (and above).
        Assert.Equal(0u, Ipv4Address.Mask(0));
        Assert.Equal(0u, Ipv4Address.Mask(-1));
        Assert.Equal(0x80000000u, Ipv4Address.Mask(1));
        Assert.Equal(0xFFFFFF00u, Ipv4Address.Mask(24));
        Assert.Equal(0xFFFFFFFEu, Ipv4Address.Mask(31));
        Assert.Equal(0xFFFFFFFFu, Ipv4Address.Mask(32));
        Assert.Equal(0xFFFFFFFFu, Ipv4Address.Mask(33));
    }
}
