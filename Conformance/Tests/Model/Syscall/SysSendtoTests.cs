using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Xunit;

namespace Udpconf.Tests.Model.Syscall;

/// <summary>
/// The system call front end (sys_sendto, pp. 5-7) and the socket layer above UDP (sock_sendmsg, scm_send,
/// inet_sendmsg, pp. 12-18). "p. N" and "Lnnnn" cite the lecture notes as Reference/clauses.md does.
/// </summary>
public class SysSendtoTests
{
    private static Outcome SendToRaw(Sim sim, string s, UserBuffer? address, int addressLength, int length = 10,
        MsgFlags flags = MsgFlags.None) =>
        sim.Run(new SendToOp(Fd.Named(s), UserBuffer.Pattern(length), flags, address, addressLength));

    /// <summary>A bind to port 0 succeeds only on a socket that has no port yet (inet_bind: EINVAL if inet->num).</summary>
    private static void AssertUnbound(Sim sim, string s) => Expect.Value(sim.Bind(s, Ipv4Address.Any, 0), 0, ClauseId.Bind);

    private static void AssertBound(Sim sim, string s) => Expect.Error(sim.Bind(s, Ipv4Address.Any, 0), Errno.EINVAL, ClauseId.Bind);

    // ---- sys_sendto.bad_fd, sys_sendto.not_socket (L1575-1581) ----

    [Fact]
    [Trait("clause", "sys_sendto.bad_fd")]
    public void Sendto_and_sendmsg_on_a_descriptor_that_is_not_open_are_EBADF()
    {
        var sim = Sim.Spec();
        foreach (var fd in new[] { Fd.Raw(-1), Fd.Raw(9999), Fd.Named("never-opened") })
        {
            var outcome = sim.Run(new SendToOp(fd, UserBuffer.Pattern(10), MsgFlags.None, Sim.Addr(Hosts.Remote, 9), SockAddr.InLength));
            Expect.Error(outcome, Errno.EBADF, ClauseId.BadFd);
            Assert.Empty(outcome.Datagrams);
            var viaSendmsg = sim.Run(new SendMsgOp(fd, Sim.Addr(Hosts.Remote, 9), SockAddr.InLength, [UserBuffer.Pattern(10)], null, 0, MsgFlags.None));
            Expect.Error(viaSendmsg, Errno.EBADF, ClauseId.BadFd);
        }
    }

    [Fact]
    [Trait("clause", "sys_sendto.not_socket")]
    public void Sendto_on_an_open_file_that_is_not_a_socket_is_ENOTSOCK_before_the_address_is_read()
    {
        var sim = Sim.Spec();
        Expect.Value(sim.Run(new OpenFileOp("devnull")), 3, ClauseId.OpenFile);
        Expect.Error(sim.SendTo("devnull", 10, Hosts.Remote), Errno.ENOTSOCK, ClauseId.NotSocket);
        // The socket is found (L1579) before the address is copied (L1590): a bad address length does not matter.
        Expect.Error(SendToRaw(sim, "devnull", Sim.Addr(Hosts.Remote, 9), -1), Errno.ENOTSOCK, ClauseId.NotSocket);
    }

    // ---- sys_sendto.addr_copy (L1590-1593: move_addr_to_kernel) ----

    [Theory]
    [Trait("clause", "sys_sendto.addr_copy")]
    [InlineData(-1)]
    [InlineData(129)]
    [InlineData(int.MaxValue)]
    public void An_address_length_below_0_or_above_128_is_EINVAL_and_the_socket_stays_unbound(int length)
    {
        var sim = Sim.Spec();
        sim.Socket();
        var bytes = new byte[129];
        SockAddr.In(Hosts.Remote, 9).CopyTo(bytes, 0);
        var outcome = SendToRaw(sim, "s", UserBuffer.Of(bytes), length);
        Expect.Error(outcome, Errno.EINVAL, ClauseId.AddrCopy);
        Assert.Empty(outcome.Datagrams);
        Expect.NotPassed(outcome, ClauseId.Autobind);
        AssertUnbound(sim, "s"); // the front end failed before inet_sendmsg could autobind (L1593 vs L663)
    }

    [Fact]
    [Trait("clause", "sys_sendto.addr_copy")]
    public void An_address_length_of_128_is_copied_and_the_first_16_bytes_are_the_destination()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var bytes = new byte[SockAddr.MaxLength];
        SockAddr.In(Hosts.Remote, 4242).CopyTo(bytes, 0);
        var outcome = SendToRaw(sim, "s", UserBuffer.Of(bytes), SockAddr.MaxLength);
        Expect.Value(outcome, 10, ClauseId.UdpResult);
        Expect.Passed(outcome, ClauseId.AddrCopy);
        var datagram = Assert.Single(outcome.Datagrams);
        Assert.Equal(Hosts.Remote, datagram.Destination);
        Assert.Equal(4242, datagram.DestinationPort);
    }

    [Fact]
    [Trait("clause", "sys_sendto.addr_copy")]
    public void Address_bytes_that_cannot_be_read_are_EFAULT()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Error(SendToRaw(sim, "s", UserBuffer.Unreadable(16), 16), Errno.EFAULT, ClauseId.AddrCopy);
        var halfReadable = new UserBuffer(SockAddr.In(Hosts.Remote, 9).AsMemory(0, 8), 16);
        Expect.Error(SendToRaw(sim, "s", halfReadable, 16), Errno.EFAULT, ClauseId.AddrCopy);
        AssertUnbound(sim, "s");
    }

    // ---- sys_sendto.no_addr (L1584, L1589-1590) ----

    [Fact]
    [Trait("clause", "sys_sendto.no_addr")]
    [Trait("clause", "udp_sendmsg.no_dest")]
    public void A_NULL_address_passes_no_name_and_its_length_is_never_looked_at()
    {
        var sim = Sim.Spec();
        sim.Socket();
        // NULL with a length that would be EINVAL if copied: the length is only checked under if (addr).
        var unconnected = SendToRaw(sim, "s", null, 129);
        Expect.Error(unconnected, Errno.EDESTADDRREQ, ClauseId.NoDest);
        Expect.Passed(unconnected, ClauseId.NoAddr);
        Expect.NotPassed(unconnected, ClauseId.AddrCopy);

        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0, ClauseId.Connect);
        var connected = SendToRaw(sim, "s", null, 129);
        Expect.Value(connected, 10, ClauseId.UdpResult);
        Expect.Passed(connected, ClauseId.NoAddr);
        var datagram = Assert.Single(connected.Datagrams);
        Assert.Equal(Hosts.Remote, datagram.Destination);
        Assert.Equal(53, datagram.DestinationPort);
    }

    // ---- sys_sendto.single_iov (pp. 3-4, p. 6, L1582-1586) ----

    [Fact]
    [Trait("clause", "sys_sendto.single_iov")]
    public void A_sendmsg_gather_list_sends_the_same_bytes_as_one_sendto_block()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.Bind("s", Ipv4Address.Any, 5000), 0);
        var data = UserBuffer.Pattern(100, seed: 7).Readable;
        var single = sim.SendTo("s", UserBuffer.Of(data), Hosts.Remote);
        Expect.Value(single, 100, ClauseId.UdpResult);
        Expect.Passed(single, ClauseId.SingleIov);
        UserBuffer[] blocks = [UserBuffer.Of(data[..3]), UserBuffer.Of(ReadOnlyMemory<byte>.Empty), UserBuffer.Of(data[3..64]), UserBuffer.Of(data[64..])];
        var gathered = sim.SendMsg("s", Hosts.Remote, blocks);
        Expect.Value(gathered, 100, ClauseId.UdpResult);
        // Same socket, same destination, unconnected with DF (2.6 ident 0): the packets are identical byte for byte.
        Assert.Equal(Assert.Single(sim.Packets(single)), Assert.Single(sim.Packets(gathered)));
        Assert.Equal(data.ToArray(), gathered.Datagrams[0].Data.ToArray());
    }

    // ---- sys_sendto.no_control (L1587-1588) ----

    [Fact]
    [Trait("clause", "sys_sendto.no_control")]
    [Trait("clause", "udp_sendmsg.cmsg")]
    public void Sendto_passes_no_control_messages_so_a_connected_socket_keeps_its_cached_route()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0, ClauseId.Connect);
        var viaSendto = sim.SendTo("s", 10, null);
        Expect.Value(viaSendto, 10, ClauseId.UdpResult);
        Expect.Passed(viaSendto, ClauseId.NoControl);
        Expect.NotPassed(viaSendto, ClauseId.Cmsg);
        Expect.Passed(viaSendto, ClauseId.ConnectedRouteCache);
        // With a control message (here one 2.6 skips: not SOL_IP) L563 clears "connected": no cached route.
        var control = ControlMessages.Encode((SocketOption.SolSocket, 99, ControlMessages.Int(1)));
        var viaSendmsg = sim.SendMsg("s", null, [UserBuffer.Pattern(10)], control);
        Expect.Value(viaSendmsg, 10, ClauseId.UdpResult);
        Expect.NotPassed(viaSendmsg, ClauseId.NoControl);
        Expect.Passed(viaSendmsg, ClauseId.Cmsg);
        Expect.NotPassed(viaSendmsg, ClauseId.ConnectedRouteCache);
        Assert.Equal(Hosts.Remote, Assert.Single(viaSendmsg.Datagrams).Destination);
    }

    // ---- sys_sendto.nonblock (L1597-1598) ----

    [Fact]
    [Trait("clause", "sys_sendto.nonblock")]
    public void O_NONBLOCK_acts_exactly_as_MSG_DONTWAIT_on_every_send()
    {
        var blocking = Sim.Spec();
        blocking.Socket();
        var withFlag = blocking.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.DontWait);

        var nonblocking = Sim.Spec();
        nonblocking.Socket();
        Expect.Value(nonblocking.Run(new SetNonblockOp(Fd.Named("s"), true)), 0, ClauseId.SetNonblock);
        var withFile = nonblocking.SendTo("s", 100, Hosts.Remote);

        Expect.Passed(withFile, ClauseId.Nonblock);
        Expect.NotPassed(withFlag, ClauseId.Nonblock);
        Expect.Value(withFile, 100, ClauseId.UdpResult);
        Assert.Equal(withFlag.Trace, withFile.Trace.Where(c => c != ClauseId.Nonblock));
        Assert.Equal(Assert.Single(blocking.Packets(withFlag)), Assert.Single(nonblocking.Packets(withFile)));

        // sendmsg does the same; clearing O_NONBLOCK stops it; SOCK_NONBLOCK at socket() sets it.
        Expect.Passed(nonblocking.SendMsg("s", Hosts.Remote, [UserBuffer.Pattern(5)]), ClauseId.Nonblock);
        Expect.Value(nonblocking.Run(new SetNonblockOp(Fd.Named("s"), false)), 0, ClauseId.SetNonblock);
        Expect.NotPassed(nonblocking.SendTo("s", 5, Hosts.Remote), ClauseId.Nonblock);
        nonblocking.Socket("n", type: SocketType.Dgram | SocketType.NonblockFlag);
        Expect.Passed(nonblocking.SendTo("n", 5, Hosts.Remote), ClauseId.Nonblock);
    }

    // ---- sys_sendto.result (L1600-1604) ----

    [Fact]
    [Trait("clause", "sys_sendto.result")]
    public void The_call_returns_what_udp_sendmsg_returned_value_or_error()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var sent = sim.SendTo("s", 100, Hosts.Remote);
        Expect.Value(sent, 100, ClauseId.UdpResult); // the user's length, not counting the 28 header bytes
        Assert.Equal(ClauseId.SysResult, sent.Trace[^1]);
        var refused = sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.Oob);
        Expect.Error(refused, Errno.EOPNOTSUPP, ClauseId.Oob);
        Expect.Passed(refused, ClauseId.SysResult);
    }

    // ---- sock_sendmsg.security_hook (L592-594, pp. 13-16) ----

    [Fact]
    [Trait("clause", "sock_sendmsg.security_hook")]
    public void By_default_the_security_hook_allows_every_send()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var outcome = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Value(outcome, 10, ClauseId.UdpResult);
        Expect.Passed(outcome, ClauseId.SecurityHook);
        Assert.Single(outcome.Datagrams);
    }

    [Fact]
    [Trait("clause", "sock_sendmsg.security_hook")]
    [Trait("clause", "inet_sendmsg.autobind")]
    public void A_security_veto_fails_the_send_after_the_address_copy_and_before_autobind()
    {
        var sim = Sim.Spec(HostConfig.Default with { SecurityVeto = Errno.EPERM });
        sim.Socket();
        var vetoed = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Error(vetoed, Errno.EPERM, ClauseId.SecurityHook);
        Assert.Empty(vetoed.Datagrams);
        Assert.True(vetoed.Counters.IsZero);
        Expect.Error(sim.SendMsg("s", Hosts.Remote, [UserBuffer.Pattern(10)]), Errno.EPERM, ClauseId.SecurityHook);
        // sys_sendto copies the address (L1591) before sock_sendmsg runs the hook (L592).
        Expect.Error(SendToRaw(sim, "s", UserBuffer.Unreadable(16), 16), Errno.EFAULT, ClauseId.AddrCopy);
        AssertUnbound(sim, "s"); // the hook (L592) comes before inet_sendmsg's autobind (L664)
    }

    // ---- scm_send.credentials (p. 17) ----

    [Fact]
    [Trait("clause", "scm_send.credentials")]
    public void Credentials_are_recorded_between_the_hook_and_autobind_and_change_nothing_observable()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var outcome = sim.SendTo("s", 10, Hosts.Remote);
        var trace = outcome.Trace.ToList();
        Assert.True(trace.IndexOf(ClauseId.SecurityHook) < trace.IndexOf(ClauseId.Credentials));
        Assert.True(trace.IndexOf(ClauseId.Credentials) < trace.IndexOf(ClauseId.Autobind));
        // Nothing is derived from them: one ordinary datagram, no other side effect.
        Expect.Value(outcome, 10, ClauseId.UdpResult);
        var datagram = Assert.Single(outcome.Datagrams);
        Assert.Equal(10, datagram.Data.Length);
        Assert.Empty(outcome.ErrorQueue);
        Assert.Empty(outcome.ConfirmedNeighbours);
        Assert.Equal(new CounterDelta(1, 0, 0, 0), outcome.Counters);
    }

    // ---- inet_sendmsg.autobind (L663-665) ----

    private static HostConfig OnePortRange => HostConfig.Default with { LocalPortLow = 40000, LocalPortHigh = 40000 };

    [Fact]
    [Trait("clause", "inet_sendmsg.autobind")]
    public void An_unbound_socket_gets_an_ephemeral_port_from_the_local_range_once()
    {
        var sim = Sim.Spec(OnePortRange);
        sim.Socket();
        var first = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Passed(first, ClauseId.Autobind);
        var port = Assert.Single(first.Datagrams).SourcePort;
        Assert.True(port.IsSymbolic);
        var symbol = sim.Model.Symbols.Single(s => s.Name == port.Symbol);
        Assert.Equal((SymbolKind.EphemeralPort, (ushort)40000, (ushort)40000), (symbol.Kind, symbol.Low, symbol.High));
        Assert.Equal(40000, Sim.Udp(Assert.Single(sim.Packets(first))).SourcePort);
        // The second send finds the port bound (inet->num != 0) and keeps it.
        Assert.Equal(port, Assert.Single(sim.SendTo("s", 10, Hosts.Remote).Datagrams).SourcePort);
        AssertBound(sim, "s");
    }

    [Fact]
    [Trait("clause", "inet_sendmsg.autobind")]
    public void When_the_local_range_is_exhausted_the_send_is_EAGAIN()
    {
        var sim = Sim.Spec(OnePortRange);
        sim.Socket("a");
        Expect.Value(sim.Bind("a", Ipv4Address.Any, 40000), 0, ClauseId.Bind);
        sim.Socket("b");
        var outcome = sim.SendTo("b", 10, Hosts.Remote);
        Expect.Error(outcome, Errno.EAGAIN, ClauseId.Autobind);
        Assert.Empty(outcome.Datagrams);
        Assert.True(outcome.Counters.IsZero);

        // Taken by another socket's own autobind the same way.
        var other = Sim.Spec(OnePortRange);
        other.Socket("a");
        Expect.Value(other.SendTo("a", 10, Hosts.Remote), 10);
        other.Socket("b");
        Expect.Error(other.SendTo("b", 10, Hosts.Remote), Errno.EAGAIN, ClauseId.Autobind);
    }

    [Fact]
    [Trait("clause", "inet_sendmsg.autobind")]
    [Trait("clause", "udp_sendmsg.len_over_0xffff")]
    public void Autobind_happens_even_when_udp_then_refuses_the_send()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var outcome = sim.SendHuge("s", 65536, Hosts.Remote);
        Expect.Error(outcome, Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
        Expect.Passed(outcome, ClauseId.Autobind);
        AssertBound(sim, "s"); // inet_autobind (L664) ran before udp_sendmsg's first check (L499)
        sim.Socket("fresh");
        AssertUnbound(sim, "fresh");
    }
}
