using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Xunit;

namespace Udpconf.Tests.Model.Socket;

/// <summary>
/// The calls around the send path that the text assumes but does not print (the model's own clauses): socket(),
/// bind() (inet_bind), connect() (ip4_datagram_connect), AF_UNSPEC disconnect (udp_disconnect) and close().
/// Expectations follow the Linux 2.6 functions named in each comment.
/// </summary>
public class SocketCallsTests
{
    private static Outcome MtuOf(Sim sim, string s) =>
        sim.Run(new GetSockOptOp(Fd.Named(s), SocketOption.SolIp, SocketOption.IpMtu, 4));

    private static Outcome BindRaw(Sim sim, string s, byte[] address, int length) =>
        sim.Run(new BindOp(Fd.Named(s), UserBuffer.Of(address), length));

    // ---- socket.create (__sock_create, inet_create) ----

    [Fact]
    [Trait("clause", "socket.create")]
    public void A_UDP_socket_gets_the_lowest_free_descriptor_with_protocol_0_or_17()
    {
        var sim = Sim.Spec();
        Expect.Value(sim.Socket("a"), 3, ClauseId.SocketCreate);
        Expect.Value(sim.Socket("b", protocol: SocketType.ProtocolUdp), 4, ClauseId.SocketCreate);
    }

    [Theory]
    [Trait("clause", "socket.create")]
    [InlineData(200, SocketType.Dgram, 0, Errno.EAFNOSUPPORT)]       // family >= NPROTO
    [InlineData(-1, SocketType.Dgram, 0, Errno.EAFNOSUPPORT)]        // family < 0
    [InlineData(AddressFamily.Inet, 11, 0, Errno.EINVAL)]            // type >= SOCK_MAX
    [InlineData(AddressFamily.Inet, -1, 0, Errno.EINVAL)]            // type < 0
    [InlineData(AddressFamily.Inet, SocketType.Dgram | 0x100, 0, Errno.EINVAL)] // unknown type flag
    [InlineData(AddressFamily.Inet, SocketType.Dgram, 6, Errno.EPROTONOSUPPORT)] // TCP is no datagram protocol
    public void Bad_family_type_or_protocol_fail_socket_creation(int domain, int type, int protocol, Errno errno)
    {
        var sim = Sim.Spec();
        Expect.Error(sim.Socket("s", domain, type, protocol), errno, ClauseId.SocketCreate);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote), Errno.EBADF, ClauseId.BadFd); // no descriptor was made
    }

    /// <summary>Types 0 to 10 pass socket()'s range check (SOCK_MAX is 11); those that are not SOCK_DGRAM are another
    /// protocol's, which the model does not follow (6.18.44 answers ESOCKTNOSUPPORT for 0 and 4-9, and makes a
    /// SOCK_PACKET socket for 10).</summary>
    [Theory]
    [Trait("clause", "socket.create")]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(10)]
    public void A_type_in_range_but_not_a_datagram_one_is_unmodeled(int type)
    {
        var sim = Sim.Spec();
        Expect.Unmodeled(sim.Socket("s", AddressFamily.Inet, type, 0), ClauseId.SocketUnsupported, $"socket type {type} is not a UDP socket");
    }

    // ---- inet_bind.* (inet_bind, udp_v4_get_port) ----

    [Fact]
    [Trait("clause", "inet_bind.bind")]
    [Trait("clause", "udp_sendmsg.bound_source")]
    public void A_bound_address_and_port_are_the_source_of_the_datagram()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.Bind("s", Hosts.Local, 5000), 0, ClauseId.Bind);
        var sent = sim.SendTo("s", 10, Hosts.Remote);
        Assert.Equal(Hosts.Local, Assert.Single(sent.Datagrams).Source);
        Assert.Equal(5000, Sim.Udp(Assert.Single(sim.Packets(sent))).SourcePort);
    }

    [Fact]
    [Trait("clause", "inet_bind.address")]
    public void Binding_an_address_that_is_not_this_hosts_is_EADDRNOTAVAIL()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Error(sim.Bind("s", Hosts.Remote, 5000), Errno.EADDRNOTAVAIL, ClauseId.BindAddress);
        Expect.Value(sim.Bind("s", Ipv4Address.Parse("127.0.0.2"), 5000), 0, ClauseId.Bind); // 127/8 is local
    }

    [Fact]
    [Trait("clause", "inet_bind.in_use")]
    public void A_port_held_by_another_socket_on_an_overlapping_address_is_EADDRINUSE()
    {
        var host = HostConfig.Default with
        {
            Interfaces = [HostConfig.LoopbackInterface, new Interface("tun0", 2, Hosts.Local, 24, 1500, SecondaryAddresses: [(Ipv4Address.Parse("192.0.2.2"), 24)])],
        };
        var sim = Sim.Spec(host);
        sim.Socket("a");
        sim.Socket("b");
        sim.Socket("c");
        Expect.Value(sim.Bind("a", Hosts.Local, 5000), 0, ClauseId.Bind);
        Expect.Error(sim.Bind("b", Hosts.Local, 5000), Errno.EADDRINUSE, ClauseId.BindInUse);
        Expect.Error(sim.Bind("b", Ipv4Address.Any, 5000), Errno.EADDRINUSE, ClauseId.BindInUse); // wildcard overlaps
        Expect.Value(sim.Bind("c", Ipv4Address.Parse("192.0.2.2"), 5000), 0, ClauseId.Bind);  // distinct addresses
    }

    [Fact]
    [Trait("clause", "inet_bind.in_use")]
    public void Binding_port_0_when_the_local_range_is_exhausted_is_EADDRINUSE()
    {
        var sim = Sim.Spec(HostConfig.Default with { LocalPortLow = 40000, LocalPortHigh = 40000 });
        sim.Socket("a");
        sim.Socket("b");
        Expect.Value(sim.Bind("a", Ipv4Address.Any, 0), 0, ClauseId.Bind);
        Expect.Error(sim.Bind("b", Ipv4Address.Any, 0), Errno.EADDRINUSE, ClauseId.BindInUse);
    }

    [Fact]
    [Trait("clause", "inet_bind.bind")]
    public void Binding_twice_a_short_address_or_a_privileged_port_without_privilege_is_refused()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Error(BindRaw(sim, "s", SockAddr.In(Ipv4Address.Any, 5000), 15), Errno.EINVAL, ClauseId.Bind);
        Expect.Value(sim.Bind("s", Ipv4Address.Any, 5000), 0, ClauseId.Bind);
        Expect.Error(sim.Bind("s", Ipv4Address.Any, 5001), Errno.EINVAL, ClauseId.Bind); // inet->num already set

        var unprivileged = Sim.Spec(HostConfig.Default with { Privileged = false });
        unprivileged.Socket();
        Expect.Error(unprivileged.Bind("s", Ipv4Address.Any, 53), Errno.EACCES, ClauseId.Bind);
        Expect.Value(unprivileged.Bind("s", Ipv4Address.Any, 1024), 0, ClauseId.Bind);
    }

    [Fact]
    [Trait("clause", "inet_bind.bind")]
    public void Spec_bind_ignores_the_address_family()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(BindRaw(sim, "s", SockAddr.In(Ipv4Address.Any, 5000, AddressFamily.Inet6), 16), 0, ClauseId.Bind);
    }

    [Fact]
    [Trait("clause", "inet_bind.bind")]
    public void Linux_bind_refuses_a_foreign_family_but_accepts_AF_UNSPEC_with_INADDR_ANY()
    {
        // Profile.Linux.BindChecksFamily
        var sim = Sim.Linux();
        sim.Socket("a");
        Expect.Error(BindRaw(sim, "a", SockAddr.In(Ipv4Address.Any, 5000, AddressFamily.Inet6), 16), Errno.EAFNOSUPPORT, ClauseId.Bind);
        Expect.Error(BindRaw(sim, "a", SockAddr.In(Hosts.Local, 5000, AddressFamily.Unspec), 16), Errno.EAFNOSUPPORT, ClauseId.Bind);
        Expect.Value(BindRaw(sim, "a", SockAddr.In(Ipv4Address.Any, 5000, AddressFamily.Unspec), 16), 0, ClauseId.Bind);
    }

    // ---- ip4_datagram_connect.connect ----

    [Fact]
    [Trait("clause", "ip4_datagram_connect.connect")]
    [Trait("clause", "udp_sendmsg.connected_dest")]
    public void Connect_fixes_the_peer_and_caches_the_route()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Error(MtuOf(sim, "s"), Errno.ENOTCONN, ClauseId.GetSockOpt);
        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0, ClauseId.Connect);
        var mtu = MtuOf(sim, "s");
        Expect.Value(mtu, 4, ClauseId.GetSockOpt);
        Assert.Equal(1500, BitConverter.ToInt32(mtu.OptionValue!.Value.Span));
        var datagram = Assert.Single(sim.SendTo("s", 10, null).Datagrams);
        Assert.Equal((Hosts.Local, Hosts.Remote, (ushort)53), (datagram.Source, datagram.Destination, datagram.DestinationPort));
    }

    [Fact]
    [Trait("clause", "ip4_datagram_connect.connect")]
    public void Connect_fails_for_a_short_or_foreign_address_no_route_or_broadcast_without_SO_BROADCAST()
    {
        var sim = Sim.Spec(Hosts.OnLinkOnly());
        sim.Socket();
        Expect.Error(sim.Run(new ConnectOp(Fd.Named("s"), Sim.Addr(Hosts.Remote, 53), 8)), Errno.EINVAL, ClauseId.Connect);
        Expect.Error(sim.Run(new ConnectOp(Fd.Named("s"), Sim.Addr(Hosts.Remote, 53, AddressFamily.Inet6), 16)), Errno.EAFNOSUPPORT, ClauseId.Connect);
        Expect.Error(sim.Connect("s", Hosts.Unroutable, 53), Errno.ENETUNREACH, ClauseId.Connect);
        var broadcast = Ipv4Address.Parse("192.0.2.255");
        Expect.Error(sim.Connect("s", broadcast, 53), Errno.EACCES, ClauseId.Connect);
        Expect.Value(sim.SetInt("s", SocketOption.SolSocket, SocketOption.SoBroadcast, 1), 0, ClauseId.SetSockOpt);
        Expect.Value(sim.Connect("s", broadcast, 53), 0, ClauseId.Connect);
        Assert.Equal(broadcast, Assert.Single(sim.SendTo("s", 10, null).Datagrams).Destination);
    }

    // ---- udp_disconnect.disconnect ----

    [Fact]
    [Trait("clause", "udp_disconnect.disconnect")]
    [Trait("clause", "udp_sendmsg.no_dest")]
    public void AF_UNSPEC_disconnects_and_lets_an_autobound_port_go()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0, ClauseId.Connect); // autobinds
        Expect.Value(sim.Disconnect("s"), 0, ClauseId.Disconnect);
        Expect.Error(MtuOf(sim, "s"), Errno.ENOTCONN, ClauseId.GetSockOpt);
        // The port was not locked by the user: udp_disconnect unhashes it, so bind() is allowed again.
        Expect.Value(sim.Bind("s", Ipv4Address.Any, 6000), 0, ClauseId.Bind);
        // Without a peer a send without address has no destination (L545-546).
        Expect.Error(sim.SendTo("s", 10, null), Errno.EDESTADDRREQ, ClauseId.NoDest);
    }

    [Fact]
    [Trait("clause", "udp_disconnect.disconnect")]
    public void Disconnect_keeps_a_port_and_address_the_user_bound()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.Bind("s", Hosts.Local, 5000), 0, ClauseId.Bind);
        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0, ClauseId.Connect);
        Expect.Value(sim.Disconnect("s"), 0, ClauseId.Disconnect);
        Expect.Error(sim.Bind("s", Ipv4Address.Any, 0), Errno.EINVAL, ClauseId.Bind);
        var datagram = Assert.Single(sim.SendTo("s", 10, Hosts.OnLinkPeer).Datagrams);
        Assert.Equal(Hosts.Local, datagram.Source);
        Assert.Equal(PortValue.Of(5000), datagram.SourcePort);
    }

    // ---- close.release ----

    [Fact]
    [Trait("clause", "close.release")]
    [Trait("clause", "sys_sendto.bad_fd")]
    public void After_close_the_descriptor_is_EBADF_and_its_port_and_number_are_free()
    {
        var sim = Sim.Spec();
        sim.Socket("a");
        Expect.Value(sim.Bind("a", Ipv4Address.Any, 5000), 0, ClauseId.Bind);
        Expect.Value(sim.Run(new CloseOp(Fd.Named("a"))), 0, ClauseId.Close);
        Expect.Error(sim.SendTo("a", 10, Hosts.Remote), Errno.EBADF, ClauseId.BadFd);
        Expect.Error(sim.Run(new CloseOp(Fd.Named("a"))), Errno.EBADF, ClauseId.Close);
        Expect.Value(sim.Socket("b"), 3, ClauseId.SocketCreate);
        Expect.Value(sim.Bind("b", Ipv4Address.Any, 5000), 0, ClauseId.Bind);
    }

    [Fact]
    [Trait("clause", "close.release")]
    public void Close_discards_a_corked_datagram_without_sending_it()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.More), 10);
        var closed = sim.Run(new CloseOp(Fd.Named("s")));
        Expect.Value(closed, 0, ClauseId.Close);
        Assert.Empty(closed.Datagrams);
    }
}
