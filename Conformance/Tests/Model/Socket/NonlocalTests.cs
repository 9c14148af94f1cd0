using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Socket;

/// <summary>Addresses the host does not have (catalog part 2, nonlocal.*), as measured on 6.18.44
/// (Conformance/cases/nonlocal/freebind_linux): IP_FREEBIND and IP_TRANSPARENT let bind take one, and only
/// IP_TRANSPARENT lets a datagram leave from it. The default host has 192.0.2.1 on tun0; 203.0.113.9 is no one's.</summary>
public class NonlocalTests
{
    private static Ipv4Address Foreign => Hosts.Unroutable;

    private static Sim Linux() => Sim.WithSocket(Profile.Linux);

    [Theory]
    [Trait("clause", "nonlocal.bind")]
    [InlineData(IpFreeBind)]
    [InlineData(IpTransparent)]
    public void Either_switch_lets_bind_take_a_foreign_address(int option)
    {
        var sim = Linux();
        Expect.Error(sim.Bind("s", Foreign, 5000), Errno.EADDRNOTAVAIL, ClauseId.BindAddress);
        Expect.Value(sim.SetInt("s", SolIp, option, 2), 0);
        var bind = sim.Bind("s", Foreign, 5000);
        Expect.Value(bind, 0);
        Expect.Passed(bind, ClauseId.NonlocalBind);
    }

    [Fact]
    [Trait("clause", "nonlocal.source")]
    public void Without_ip_transparent_a_foreign_source_is_unreachable_and_counted()
    {
        var sim = Linux();
        sim.SetInt("s", SolIp, IpFreeBind, 1);
        Expect.Value(sim.Bind("s", Foreign, 5000), 0);
        var send = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Error(send, Errno.ENETUNREACH, ClauseId.Route);
        Expect.Passed(send, ClauseId.NonlocalSource);
        Assert.Equal(new CounterDelta(0, 0, 0, 1), send.Counters);
        var connect = sim.Connect("s", Hosts.Remote, 9);
        Expect.Error(connect, Errno.ENETUNREACH, ClauseId.Connect);
        Expect.Passed(connect, ClauseId.NonlocalSource);
        // Turning IP_FREEBIND off keeps the address.
        sim.SetInt("s", SolIp, IpFreeBind, 0);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote), Errno.ENETUNREACH, ClauseId.Route);
    }

    [Fact]
    [Trait("clause", "nonlocal.source")]
    public void With_ip_transparent_the_datagram_leaves_from_the_foreign_address()
    {
        var sim = Linux();
        sim.SetInt("s", SolIp, IpTransparent, 1);
        Expect.Value(sim.Bind("s", Foreign, 5000), 0);
        var send = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Value(send, 10);
        Expect.Passed(send, ClauseId.NonlocalSource);
        var datagram = Assert.Single(send.Datagrams);
        Assert.Equal("tun0", datagram.Interface);
        Assert.Equal(Foreign, Sim.Ip(sim.Packets(send)[0]).Source);
        Expect.Value(sim.Connect("s", Hosts.Remote, 9), 0);
        Assert.Equal(Foreign, Sim.Ip(sim.Packets(sim.SendTo("s", 5, null))[0]).Source);
    }

    [Theory]
    [Trait("clause", "nonlocal.source")]
    [InlineData("239.1.2.3")]
    [InlineData("255.255.255.255")]
    public void A_multicast_or_broadcast_destination_still_needs_the_hosts_source(string destination)
    {
        var sim = Linux();
        sim.SetInt("s", SolIp, IpTransparent, 1);
        sim.SetInt("s", SolSocket, 6, 1); // SO_BROADCAST, so that only the source decides
        Expect.Value(sim.Bind("s", Foreign, 5000), 0);
        var send = sim.SendTo("s", 10, Ipv4Address.Parse(destination));
        Expect.Error(send, Errno.ENETUNREACH, ClauseId.Route);
        Expect.Passed(send, ClauseId.NonlocalSource);
    }

    [Fact]
    [Trait("clause", "nonlocal.source")]
    public void The_2_6_profile_keeps_its_einval_for_a_foreign_source()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var pktinfo = ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(0, Foreign)));
        var send = sim.SendMsg("s", Hosts.Remote, [UserBuffer.Of(new byte[4])], pktinfo);
        Expect.Error(send, Errno.EINVAL, ClauseId.Route);
        Expect.NotPassed(send, ClauseId.NonlocalSource);
    }
}
