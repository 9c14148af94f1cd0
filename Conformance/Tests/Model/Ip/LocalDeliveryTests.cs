using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Ip;

/// <summary>
/// Local delivery (catalog part 2, local_delivery.*): a datagram to this host reaches a socket bound to its port, or
/// its ICMP port unreachable comes back to the sender (__udp4_lib_err). Each behavior measured on 6.18.44
/// (Conformance/cases/local_delivery/).
/// </summary>
public class LocalDeliveryTests
{
    private static Ipv4Address Loopback => Ipv4Address.Loopback;

    private static Outcome SoError(Sim sim, string s) => sim.Run(new GetSockOptOp(Fd.Named(s), SolSocket, SocketOption.SoError, 4));

    [Fact]
    [Trait("clause", "local_delivery.listener")]
    public void A_socket_bound_to_the_port_takes_the_datagram_and_nothing_comes_back()
    {
        var sim = Sim.Linux();
        sim.Socket("l");
        Expect.Value(sim.Bind("l", Ipv4Address.Any, 5000), 0, ClauseId.Bind);
        sim.Socket("a");
        Expect.Value(sim.Connect("a", Loopback, 5000), 0, ClauseId.Connect);
        var first = sim.SendTo("a", 10);
        Expect.Value(first, 10);
        Expect.Passed(first, ClauseId.LocalListener);
        Expect.NotPassed(first, ClauseId.LocalPortUnreachable);
        Expect.Value(sim.SendTo("a", 10), 10);
        // Bound to 0.0.0.0 it takes the host's other addresses too.
        sim.Socket("b");
        Expect.Value(sim.SetInt("b", SolIp, IpRecvErr, 1), 0);
        var other = sim.SendTo("b", 10, Hosts.Local, 5000);
        Expect.Value(other, 10);
        Assert.Empty(other.ErrorQueue);
    }

    [Fact]
    [Trait("clause", "local_delivery.listener")]
    public void A_socket_bound_to_127_0_0_1_does_not_take_datagrams_to_another_local_address()
    {
        var sim = Sim.Linux();
        sim.Socket("m");
        Expect.Value(sim.Bind("m", Loopback, 5001), 0, ClauseId.Bind);
        sim.Socket("b");
        Expect.Value(sim.SetInt("b", SolIp, IpRecvErr, 1), 0);
        Assert.Empty(sim.SendTo("b", 10, Loopback, 5001).ErrorQueue);
        var refused = sim.SendTo("b", 10, Hosts.Local, 5001);
        Expect.Passed(refused, ClauseId.LocalRecvErr);
        Assert.Equal(new ErrorQueueEntry(Errno.ECONNREFUSED, ErrorOrigin.Icmp, 0, Hosts.Local, 5001), Assert.Single(refused.ErrorQueue));
    }

    [Fact]
    [Trait("clause", "local_delivery.connected_error")]
    public void A_connected_sender_gets_ECONNREFUSED_on_its_next_send_that_allocates()
    {
        var sim = Sim.Linux();
        sim.Socket("a");
        Expect.Value(sim.Connect("a", Loopback, 5000), 0, ClauseId.Connect);
        var sent = sim.SendTo("a", 10);
        Expect.Value(sent, 10);
        Expect.Passed(sent, ClauseId.LocalPortUnreachable);
        Expect.Passed(sent, ClauseId.LocalConnectedError);
        Expect.Error(sim.SendTo("a", 10), Errno.ECONNREFUSED, ClauseId.SocketError);
        Expect.Value(sim.SendTo("a", 10), 10);
        Expect.Value(sim.SendTo("a", 10, flags: MsgFlags.Probe), 10);
        Expect.Error(sim.SendTo("a", 10, flags: MsgFlags.More), Errno.ECONNREFUSED, ClauseId.SocketError);
        // connect neither reports nor clears it.
        Expect.Value(sim.SendTo("a", 10), 10);
        Expect.Value(sim.Connect("a", Loopback, 5001), 0, ClauseId.Connect);
        Expect.Error(sim.SendTo("a", 10), Errno.ECONNREFUSED, ClauseId.SocketError);
    }

    [Fact]
    [Trait("clause", "local_delivery.port_unreachable")]
    public void Udp_err_does_not_find_a_socket_connected_to_another_port_nor_keep_it_for_an_unconnected_one()
    {
        var sim = Sim.Linux();
        sim.Socket("a");
        Expect.Value(sim.Connect("a", Loopback, 5001), 0, ClauseId.Connect);
        Expect.Value(sim.SendTo("a", 10, Loopback, 5002), 10);
        Expect.Value(sim.SendTo("a", 10), 10);
        sim.Socket("u");
        Expect.Passed(sim.SendTo("u", 10, Loopback, 5000), ClauseId.LocalConnectedError);
        Expect.Value(sim.SendTo("u", 10, Loopback, 5000), 10);
    }

    [Fact]
    [Trait("clause", "local_delivery.recverr")]
    public void Under_IP_RECVERR_the_error_is_queued_with_the_destination_connected_or_not()
    {
        var sim = Sim.Linux();
        sim.Socket("b");
        Expect.Value(sim.SetInt("b", SolIp, IpRecvErr, 1), 0);
        var unconnected = sim.SendTo("b", 10, Ipv4Address.Any, 5001);
        Expect.Passed(unconnected, ClauseId.LocalRecvErr);
        Assert.Equal(new ErrorQueueEntry(Errno.ECONNREFUSED, ErrorOrigin.Icmp, 0, Loopback, 5001), Assert.Single(unconnected.ErrorQueue));
        Expect.Value(sim.Connect("b", Loopback, 5001), 0, ClauseId.Connect);
        Assert.Single(sim.SendTo("b", 10).ErrorQueue);
        // Read with the entry, the socket error is not left pending.
        Expect.Value(sim.SendTo("b", 10), 10);
        Assert.Empty(sim.SendTo("b", 10, Loopback, 5002).ErrorQueue);
    }

    [Fact]
    [Trait("clause", "local_delivery.so_error")]
    public void SO_ERROR_reads_the_socket_error_and_clears_it()
    {
        var sim = Sim.Linux();
        sim.Socket("a");
        Expect.Value(sim.Connect("a", Loopback, 5000), 0, ClauseId.Connect);
        Expect.Value(sim.SendTo("a", 10), 10);
        var read = SoError(sim, "a");
        Expect.Value(read, 4, ClauseId.LocalSoError);
        Assert.Equal(new byte[] { 111, 0, 0, 0 }, read.OptionValue!.Value.ToArray());
        Assert.Equal(new byte[4], SoError(sim, "a").OptionValue!.Value.ToArray());
        Expect.Value(sim.SendTo("a", 10), 10);
    }

    [Fact]
    [Trait("clause", "local_delivery.loopback_broadcast")]
    public void Lo_s_broadcast_needs_SO_BROADCAST_and_is_never_answered()
    {
        var sim = Sim.Linux();
        sim.Socket("b");
        Expect.Value(sim.SetInt("b", SolIp, IpRecvErr, 1), 0);
        var broadcast = Ipv4Address.Parse("127.255.255.255");
        Expect.Error(sim.SendTo("b", 10, broadcast, 5001), Errno.EACCES, ClauseId.LoopbackBroadcast);
        Expect.Value(sim.SetInt("b", SolSocket, SoBroadcast, 1), 0);
        var sent = sim.SendTo("b", 10, broadcast, 5001);
        Expect.Value(sent, 10);
        Assert.Empty(sent.ErrorQueue);
    }

    [Fact]
    [Trait("clause", "local_delivery.listener")]
    public void The_2_6_profile_does_not_say_what_a_local_datagram_does()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        // Unconnected, without IP_RECVERR: 2.6's udp_err kept nothing for it either, whoever listens.
        Expect.Value(sim.SendTo("s", 10, Loopback, 5000), 10);
        Expect.Value(sim.Connect("s", Loopback, 5000), 0, ClauseId.Connect);
        var sent = sim.SendTo("s", 10);
        Assert.Equal(OutcomeKind.Unmodeled, sent.Kind);
        Assert.Equal(ClauseId.LocalListener, sent.Clause.Id);
    }

    [Fact]
    [Trait("clause", "local_delivery.listener")]
    public void A_source_routed_datagram_out_of_a_device_is_not_a_local_delivery()
    {
        // Only what lo hands back is delivered (or dropped for its source route): one that leaves through tun0 is not.
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.Run(new SetSockOptOp(Fd.Named("s"), SolIp, IpOptions,
            UserBuffer.Of((byte[])[0x83, 0x07, 0x04, 192, 0, 2, 7, 0x01]), 8)), 0);
        var sent = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Value(sent, 10);
        Expect.NotPassed(sent, ClauseId.LocalListener);
    }

    [Fact]
    [Trait("clause", "local_delivery.port_unreachable")]
    public void A_datagram_that_reaches_lo_in_fragments_for_no_listener_is_unmodeled()
    {
        // One ICMP port unreachable per fragment or per reassembled datagram: not modeled, so not answered.
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.SetInt("s", SolIp, IpRecvErr, 1), 0);
        Expect.Value(sim.Run(new HostChangeOp("lo", Mtu: 1000)), 0);
        var sent = sim.SendTo("s", 2000, Loopback, port: 5999);
        Assert.Equal(OutcomeKind.Unmodeled, sent.Kind);
        Assert.Equal(ClauseId.LocalPortUnreachable, sent.Clause);
        // One datagram, one ICMP: modeled (on another host: the socket above is no longer followed, and could be the
        // listener).
        var other = Sim.WithSocket(Profile.Linux);
        Expect.Value(other.SetInt("s", SolIp, IpRecvErr, 1), 0);
        Expect.Value(other.Run(new HostChangeOp("lo", Mtu: 1000)), 0);
        Assert.Equal(OutcomeKind.Value, other.SendTo("s", 100, Loopback, port: 5999).Kind);
    }
}
