using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;

namespace Udpconf.Tests.Model.Socket;

/// <summary>
/// shutdown() (inet_shutdown, net/ipv4/af_inet.c) and the send that meets the shutdown it records
/// (sock_alloc_send_pskb, net/core/sock.c): part 2 of the catalog, each behavior measured on 6.18.44
/// (Conformance/cases/shutdown/).
/// </summary>
public class InetShutdownTests
{
    private static Outcome Shutdown(Sim sim, string s, int how) => sim.Run(new ShutdownOp(Fd.Named(s), how));

    private static Sim Connected()
    {
        var sim = Sim.Linux();
        sim.Socket();
        Expect.Value(sim.Connect("s", Hosts.Remote, 9), 0, ClauseId.Connect);
        return sim;
    }

    [Theory]
    [Trait("clause", "inet_shutdown.how")]
    [InlineData(-1)]
    [InlineData(3)]
    [InlineData(100)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void A_how_other_than_SHUT_RD_WR_RDWR_is_EINVAL_and_records_nothing(int how)
    {
        var sim = Connected();
        Expect.Error(Shutdown(sim, "s", how), Errno.EINVAL, ClauseId.ShutdownHow);
        var sent = sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, null, 0));
        Expect.Value(sent, 10);
        Assert.Single(sent.Datagrams);
    }

    [Fact]
    [Trait("clause", "sockfd_lookup.descriptor")]
    public void The_descriptor_is_looked_up_before_how_is_read()
    {
        var sim = Sim.Linux();
        Expect.Error(Shutdown(sim, "nosuch", 99), Errno.EBADF, ClauseId.FdLookup);
        sim.Run(new OpenFileOp("f"));
        Expect.Error(Shutdown(sim, "f", 99), Errno.ENOTSOCK, ClauseId.FdLookup);
    }

    [Fact]
    [Trait("clause", "inet_shutdown.not_connected")]
    public void Shutdown_is_ENOTCONN_on_an_unconnected_socket_and_recorded_all_the_same()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Error(Shutdown(sim, "s", 1), Errno.ENOTCONN, ClauseId.ShutdownNotConnected);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote), Errno.EPIPE, ClauseId.SendShutdown);
        // Each how, again: ENOTCONN every time.
        Expect.Error(Shutdown(sim, "s", 0), Errno.ENOTCONN, ClauseId.ShutdownNotConnected);
        Expect.Error(Shutdown(sim, "s", 2), Errno.ENOTCONN, ClauseId.ShutdownNotConnected);
    }

    [Fact]
    [Trait("clause", "inet_shutdown.connected")]
    public void Shutdown_of_a_connected_socket_returns_0_and_SHUT_RD_leaves_sends_alone()
    {
        var sim = Connected();
        Expect.Value(Shutdown(sim, "s", 0), 0, ClauseId.ShutdownConnected);
        Expect.Value(Shutdown(sim, "s", 0), 0, ClauseId.ShutdownConnected);
        Assert.Single(sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, null, 0)).Datagrams);
        Expect.Value(Shutdown(sim, "s", 1), 0, ClauseId.ShutdownConnected);
        Expect.Error(sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, null, 0)), Errno.EPIPE, ClauseId.SendShutdown);
        Expect.Value(Shutdown(sim, "s", 2), 0, ClauseId.ShutdownConnected);
    }

    [Fact]
    [Trait("clause", "inet_shutdown.kept")]
    public void Neither_connect_nor_disconnect_clears_a_shutdown()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Error(Shutdown(sim, "s", 1), Errno.ENOTCONN, ClauseId.ShutdownNotConnected);
        var connect = sim.Connect("s", Hosts.Remote, 9);
        Expect.Value(connect, 0, ClauseId.Connect);
        Expect.Passed(connect, ClauseId.ShutdownKept);
        Expect.Error(sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, null, 0)), Errno.EPIPE, ClauseId.SendShutdown);
        var disconnect = sim.Disconnect("s");
        Expect.Value(disconnect, 0, ClauseId.Disconnect);
        Expect.Passed(disconnect, ClauseId.ShutdownKept);
        Expect.Error(Shutdown(sim, "s", 1), Errno.ENOTCONN, ClauseId.ShutdownNotConnected);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote), Errno.EPIPE, ClauseId.SendShutdown);
    }

    [Fact]
    public void Without_a_shutdown_connect_passes_no_shutdown_clause() =>
        Expect.NotPassed(Sim.WithSocket(Profile.Linux).Connect("s", Hosts.Remote, 9), ClauseId.ShutdownKept);

    [Fact]
    [Trait("clause", "sock_alloc_send_pskb.send_shutdown")]
    public void After_SHUT_WR_only_a_datagrams_first_buffer_fails_with_EPIPE()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.More), 10);
        Shutdown(sim, "s", 1);
        // Appends to the pending datagram, past the MTU into new buffers, and its push succeed.
        Expect.Value(sim.SendTo("s", 3000, Hosts.Remote, flags: MsgFlags.More), 3000);
        var push = sim.SendTo("s", 0, Hosts.Remote);
        Expect.Value(push, 0);
        Assert.Equal(3, push.Datagrams.Single().FragmentPayloads.Count);
        Assert.Equal(8 + 3010, push.Datagrams.Single().UdpLength);
        // A new datagram, zero-length too, fails; OutDiscards counts it.
        var refused = sim.SendTo("s", 0, Hosts.Remote);
        Expect.Error(refused, Errno.EPIPE, ClauseId.SendShutdown);
        Assert.Empty(refused.Datagrams);
        Assert.Equal(new CounterDelta(0, 1, 0, 0), refused.Counters);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.NoSignal), Errno.EPIPE, ClauseId.SendShutdown);
        // MSG_PROBE allocates nothing; udp_sendmsg's own checks come first.
        Expect.Value(sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Probe), 10);
        Expect.Error(sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, null, 0)), Errno.EDESTADDRREQ, ClauseId.NoDest);
    }

    [Fact]
    [Trait("clause", "sock_alloc_send_pskb.send_shutdown")]
    public void A_sendmsg_after_SHUT_RDWR_fails_alike()
    {
        var sim = Connected();
        Expect.Value(Shutdown(sim, "s", 2), 0, ClauseId.ShutdownConnected);
        Expect.Error(sim.SendMsg("s", null, [UserBuffer.Pattern(4), UserBuffer.Pattern(6)]), Errno.EPIPE, ClauseId.SendShutdown);
    }

    /// <summary>sock_alloc_send_pskb looks at sk_err before sk_shutdown (Conformance/cases/shutdown/socket_error_first).</summary>
    [Fact]
    [Trait("clause", "sock_alloc_send_pskb.send_shutdown")]
    [Trait("clause", "sock_alloc_send_skb.socket_error")]
    public void A_pending_socket_error_is_reported_before_the_shutdown()
    {
        var sim = Connected();
        Expect.Value(sim.SetInt("s", SocketOption.SolIp, SocketOption.IpMtuDiscover, 2), 0);
        Expect.Value(sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(1400), MsgFlags.More, null, 0)), 1400);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Mtu: 1006)), 0, ClauseId.HostChange);
        Expect.Error(sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, null, 0)), Errno.EMSGSIZE, ClauseId.LocalFragment);
        Expect.Value(Shutdown(sim, "s", 1), 0, ClauseId.ShutdownConnected);
        Expect.Error(sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, null, 0)), Errno.EMSGSIZE, ClauseId.SocketError);
        Expect.Error(sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, null, 0)), Errno.EPIPE, ClauseId.SendShutdown);
    }

    /// <summary>inet_shutdown's release_sock revalidates an obsolete cached route; the fresh one then carries the cork's
    /// stale flow (Conformance/cases/shutdown/release_revalidates_linux, fuzz seed 11).</summary>
    [Fact]
    [Trait("clause", "inet_shutdown.connected")]
    public void The_release_of_shutdowns_lock_revalidates_the_cached_route()
    {
        var group = Ipv4Address.Parse("239.1.2.3");
        var sim = Connected();
        Expect.Value(sim.SendTo("s", 75, group, flags: MsgFlags.More), 75);
        Expect.Value(sim.SendTo("s", 10, Hosts.Remote), 10);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Mtu: 576)), 0, ClauseId.HostChange);
        Expect.Value(Shutdown(sim, "s", 0), 0, ClauseId.ShutdownConnected);
        var sent = sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(20), MsgFlags.None, null, 0));
        Assert.Equal(group, Sim.Ip(Assert.Single(sim.Packets(sent))).Destination);
    }

    [Fact]
    public void The_notes_2_6_does_not_document_shutdown_so_spec_leaves_it_unmodeled()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var outcome = Shutdown(sim, "s", 1);
        Assert.Equal(OutcomeKind.Unmodeled, outcome.Kind);
        Assert.Equal(ClauseId.SocketUnsupported, outcome.Clause);
        Assert.Equal("shutdown is not documented for profile spec", outcome.Note);
    }

    [Fact]
    public void A_dual_stack_socket_is_unmodeled_once_shut()
    {
        var sim = Sim.Linux();
        sim.Socket("s", AddressFamily.Inet6);
        Assert.Equal(OutcomeKind.Unmodeled, Shutdown(sim, "s", 1).Kind);
        Assert.Equal(OutcomeKind.Unmodeled, sim.SendTo("s", 10, Hosts.Remote).Kind);
    }
}
