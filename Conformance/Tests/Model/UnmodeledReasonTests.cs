using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model;

/// <summary>
/// Where the model does not follow the kernel it says so and why: reports show the reason beside every step left
/// unmodeled, so each path that gives up is reached here and its reason read.
/// </summary>
public class UnmodeledReasonTests
{
    private static Ipv4Address Loopback => Ipv4Address.Loopback;

    [Fact]
    [Trait("clause", "local_delivery.listener")]
    public void A_broadcast_datagram_a_connect_redirected_to_this_host()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.SetInt("s", SolSocket, SoBroadcast, 1), 0);
        Expect.Value(sim.SendTo("s", 10, Ipv4Address.LoopbackBroadcast, 9, MsgFlags.More), 10);
        Expect.Value(sim.Connect("s", Loopback, 5000), 0);
        Expect.Unmodeled(sim.SendTo("s", 0, null), ClauseId.LocalListener,
            "a datagram on a Broadcast route out of lo whose header a connect redirected to 127.0.0.1");
    }

    [Fact]
    [Trait("clause", "local_delivery.port_unreachable")]
    public void A_datagram_to_a_local_port_nobody_holds_from_a_source_not_of_this_host()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.SetInt("s", SolIp, IpTransparent, 1), 0);
        var pktinfo = ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(0, Hosts.Unroutable)));
        Expect.Unmodeled(sim.SendMsg("s", Loopback, [UserBuffer.Of(new byte[4])], pktinfo, port: 5000), ClauseId.LocalPortUnreachable,
            $"the datagram's source {Hosts.Unroutable} is not an address of this host: the ICMP port unreachable for it leaves the host, which is not modeled");
    }

    [Fact]
    [Trait("clause", "local_delivery.port_unreachable")]
    public void A_pending_datagram_whose_automatic_port_a_disconnect_released()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.SetInt("s", SolIp, IpRecvErr, 1), 0);
        Expect.Value(sim.Cork("s", true), 0);
        Expect.Value(sim.SendTo("s", 10, Loopback, 5000), 10);
        Expect.Value(sim.Disconnect("s"), 0);
        Expect.Unmodeled(sim.Cork("s", false), ClauseId.LocalPortUnreachable,
            "the datagram left from port 0 (its automatic port released by a disconnect): whom the ICMP reaches is not modeled");
    }

    [Fact]
    [Trait("clause", "local_delivery.listener")]
    public void A_datagram_on_a_local_route_a_connect_redirected_elsewhere()
    {
        var sim = Sim.WithSocket(Profile.Linux, Hosts.OnLink());
        Expect.Value(sim.SendTo("s", 10, Loopback, 5000, MsgFlags.More), 10);
        Expect.Value(sim.Connect("s", Hosts.Remote, 9), 0);
        Expect.Unmodeled(sim.SendTo("s", 0, null), ClauseId.LocalListener,
            $"a datagram routed to 127.0.0.1, this host, whose header a connect redirected to {Hosts.Remote}");
    }

    [Fact]
    [Trait("clause", "local_delivery.listener")]
    public void A_connected_spec_socket_sending_to_this_host()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.Connect("s", Loopback, 5000), 0);
        Expect.Unmodeled(sim.SendTo("s", 10, null), ClauseId.LocalListener,
            "a datagram to 127.0.0.1, an address of this host, is delivered locally and the sender would hear of a port unreachable: the 2.6 profile does not follow the receiving side");
    }

    [Fact]
    [Trait("clause", "local_delivery.port_unreachable")]
    public void GSO_segments_to_a_local_port_nobody_holds()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.SetInt("s", SolIp, IpRecvErr, 1), 0);
        Expect.Value(sim.SetInt("s", SolUdp, UdpSegment, 1000), 0);
        Expect.Unmodeled(sim.SendTo("s", 3000, Loopback, 5000), ClauseId.LocalPortUnreachable,
            "a datagram to a local port nobody listens on that reached lo as several (GSO segments or fragments): one ICMP each is not modeled");
    }

    [Fact]
    [Trait("clause", "ip_append_data.ufo")]
    public void UFO_and_the_normal_path_in_one_datagram()
    {
        var shortFirst = Sim.WithSocket(Profile.Spec, Hosts.OnLink(offload: true, ufo: true));
        Expect.Value(shortFirst.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.More), 100);
        Expect.Unmodeled(shortFirst.SendTo("s", 3000, Hosts.Remote), ClauseId.Ufo,
            "a datagram over the MTU appended by UFO behind a buffer of the normal path (CVE-2013-4470) is not modeled");
        var longFirst = Sim.WithSocket(Profile.Spec, Hosts.OnLink(offload: true, ufo: true));
        Expect.Value(longFirst.SendTo("s", 3000, Hosts.Remote, flags: MsgFlags.More), 3000);
        Expect.Unmodeled(longFirst.SendTo("s", 100, Hosts.Remote), ClauseId.Ufo,
            "a piece appended by the normal path behind a UFO buffer is not modeled");
    }

    private sealed record Unknown : Operation;

    [Fact]
    [Trait("clause", "socket.unsupported")]
    public void An_operation_the_model_does_not_know()
    {
        Expect.Unmodeled(Sim.Linux().Run(new Unknown()), ClauseId.SocketUnsupported, "operation Unknown is not modeled");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(136)]
    [Trait("clause", "socket.unsupported")]
    public void A_datagram_socket_of_another_protocol(int protocol)
    {
        Expect.Unmodeled(Sim.Linux().Socket(protocol: protocol), ClauseId.SocketUnsupported, $"datagram protocol {protocol} is not UDP");
    }

    [Fact]
    [Trait("clause", "udpv6_sendmsg.unmodeled")]
    public void Bind_and_send_without_an_address_on_a_dual_stack_socket()
    {
        var sim = Sim.Linux();
        sim.Socket(domain: AddressFamily.Inet6);
        byte[] in6 = [10, 0, 0x13, 0x88, .. new byte[24]];
        Expect.Unmodeled(sim.Run(new BindOp(Fd.Named("s"), UserBuffer.Of(in6), in6.Length)), ClauseId.Ipv6Unmodeled, $"{ClauseId.Bind} of an AF_INET6 socket");
        Expect.Unmodeled(sim.SendTo("s", 10, null), ClauseId.Ipv6Unmodeled, "a send without address on a dual-stack socket");
    }

    [Fact]
    [Trait("clause", "udpv6_sendmsg.unmodeled")]
    public void A_native_IPv6_datagram_that_would_leave_and_one_left_pending()
    {
        var sim = Sim.Linux();
        sim.Socket(domain: AddressFamily.Inet6);
        var to = SockAddr.In6([0x20, 0x01, 0x0d, 0xb8, .. new byte[11], 1], 9);
        Expect.Unmodeled(sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Of(new byte[10]), MsgFlags.None, UserBuffer.Of(to), to.Length)),
            ClauseId.Ipv6Unmodeled, "an IPv6 datagram would leave");
        var pending = sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Of(new byte[10]), MsgFlags.More, UserBuffer.Of(to), to.Length));
        Expect.Value(pending, 10, ClauseId.Ipv6Unmodeled);
        Assert.Equal("an IPv6 datagram is pending; its bytes are not modeled", pending.Note);
    }
}
