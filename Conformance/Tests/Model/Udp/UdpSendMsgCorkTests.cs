using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Tests.Model.Udp;

/// <summary>udp_sendmsg from the cork on (pp. 23-37, L497, L511-526, L626-664) and UDP_CORK (p. 24).</summary>
public class UdpSendMsgCorkTests
{
    /// <summary>2001:db8::1, of IPv6's documentation range.</summary>
    private static readonly byte[] Documentation6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    private static Outcome Uncork(Sim sim, string s = "s") => sim.Cork(s, false);

    private static byte[] Concat(params byte[][] pieces) => pieces.SelectMany(p => p).ToArray();

    [Fact]
    [Trait("clause", "udp_sendmsg.corkreq")]
    public void Msg_more_holds_the_data_until_a_send_without_it()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var corked = sim.Send("s", Frames.Bytes(10, 1), MsgFlags.More);
        Expect.Value(corked, 10, ClauseId.UdpResult);
        Expect.Passed(corked, ClauseId.CorkReq);
        Assert.Empty(corked.Datagrams);

        // L497: corkreq is MSG_MORE of this call only; the next send without it pushes.
        var last = sim.Send("s", Frames.Bytes(20, 2));
        Expect.Value(last, 20, ClauseId.UdpResult);
        Expect.NotPassed(last, ClauseId.CorkReq);
        var packet = Assert.Single(sim.Packets(last));
        Assert.Equal(8 + 30, Sim.Udp(packet).DatagramLength);
        Assert.Equal(Concat(Frames.Bytes(10, 1), Frames.Bytes(20, 2)), Frames.IpPayload(packet)[8..]);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.corkreq")]
    [Trait("clause", "udp_setsockopt.cork_on")]
    public void Udp_cork_corks_every_send_without_msg_more()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.Cork("s", true), 0, ClauseId.CorkOn);
        var option = sim.Run(new GetSockOptOp(Fd.Named("s"), SocketOption.SolUdp, SocketOption.UdpCork, 4));
        Expect.Value(option, 4);
        Assert.Equal(1, BitConverter.ToInt32(option.OptionValue!.Value.Span));

        // L497: up->corkflag makes corkreq true for sends without MSG_MORE.
        foreach (var length in new[] { 10, 20, 30 })
        {
            var send = sim.SendTo("s", length, Hosts.Remote);
            Expect.Value(send, length, ClauseId.UdpResult);
            Expect.Passed(send, ClauseId.CorkReq);
            Assert.Empty(send.Datagrams);
        }
        var pushed = Uncork(sim);
        var packet = Assert.Single(sim.Packets(pushed));
        Assert.Equal(8 + 60, Sim.Udp(packet).DatagramLength);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.pending_append")]
    public void A_destination_given_while_corked_is_ignored()
    {
        var sim = Sim.Spec(Hosts.OnLinkOnly());
        sim.Socket();
        Expect.Value(sim.SendTo("s", UserBuffer.Of(Frames.Bytes(10, 1)), Hosts.Remote, 9, MsgFlags.More), 10);

        // L511-522: with data pending the call jumps to do_append_data: the address is never read, so another
        // destination, an unroutable one, even port 0 (otherwise EINVAL, L542) change nothing.
        var elsewhere = sim.SendTo("s", UserBuffer.Of(Frames.Bytes(20, 2)), Hosts.OnLinkPeer, 7777, MsgFlags.More);
        Expect.Value(elsewhere, 20, ClauseId.UdpResult);
        Expect.Passed(elsewhere, ClauseId.PendingAppend);
        Expect.NotPassed(elsewhere, ClauseId.HeaderLen);
        Expect.NotPassed(elsewhere, ClauseId.Route);
        Expect.Value(sim.SendTo("s", UserBuffer.Of(Frames.Bytes(5, 3)), Hosts.Unroutable, 9, MsgFlags.More), 5);
        var last = sim.SendTo("s", UserBuffer.Of(Frames.Bytes(7, 4)), Hosts.OnLinkPeer, 0);
        Expect.Value(last, 7, ClauseId.UdpResult);

        var packet = Assert.Single(sim.Packets(last));
        Assert.Equal(Hosts.Remote, Sim.Ip(packet).Destination);
        Assert.Equal(9, Sim.Udp(packet).DestinationPort);
        Assert.Equal(Concat(Frames.Bytes(10, 1), Frames.Bytes(20, 2), Frames.Bytes(5, 3), Frames.Bytes(7, 4)), Frames.IpPayload(packet)[8..]);
    }

    [Theory]
    [InlineData("spec")]
    [InlineData("linux")]
    [Trait("clause", "udp_sendmsg.pending_family")]
    public void An_ipv4_send_while_an_ipv6_datagram_is_pending_is_einval(string profile)
    {
        var sim = new Sim(Profile.Find(profile)!);
        Expect.Value(sim.Run(new SocketOp("s", AddressFamily.Inet6)), 3);
        var native = sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.More,
            UserBuffer.Of(SockAddr.In6(Documentation6, 9)), SockAddr.In6Length));
        Assert.Equal(OutcomeKind.Value, native.Kind);
        Assert.Equal(10, native.Value);

        // L518-520: up->pending is AF_INET6, not AF_INET.
        var mapped = sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(5), MsgFlags.None,
            UserBuffer.Of(SockAddr.In6Mapped(Hosts.Remote, 9)), SockAddr.In6Length));
        Expect.Error(mapped, Errno.EINVAL, ClauseId.PendingFamily);
        Assert.Empty(mapped.Datagrams);
        Assert.True(mapped.Counters.IsZero);
    }

    [Fact]
    public void Pushing_a_pending_ipv6_datagram_is_unmodeled_and_leaves_the_socket_clean()
    {
        var sim = new Sim(Profile.Linux);
        Expect.Value(sim.Run(new SocketOp("s", AddressFamily.Inet6)), 3);
        sim.Cork("s", true);
        Expect.Value(sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None,
            UserBuffer.Of(SockAddr.In6(Documentation6, 9)), SockAddr.In6Length)), 10);
        var push = sim.Cork("s", false);
        Assert.Equal(OutcomeKind.Unmodeled, push.Kind);
        Assert.Equal("the pending datagram is an IPv6 one", push.Note);
        // The pending datagram is gone: an IPv4-mapped send is no longer refused for the pending family.
        sim.Cork("s", true);
        var mapped = sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(5), MsgFlags.None,
            UserBuffer.Of(SockAddr.In6Mapped(Hosts.Remote, 9)), SockAddr.In6Length));
        Expect.Value(mapped, 5);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.header_len")]
    public void Only_the_first_piece_counts_the_udp_header()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var single = sim.SendTo("s", 100, Hosts.Remote);
        Expect.Passed(single, ClauseId.HeaderLen);
        Assert.Equal(108, Sim.Udp(Assert.Single(sim.Packets(single))).DatagramLength);

        // L526: ulen += 8 only on the path that sets a datagram up; appends jump past it.
        var first = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.More);
        Expect.Passed(first, ClauseId.HeaderLen);
        var second = sim.SendTo("s", 20, Hosts.Remote);
        Expect.NotPassed(second, ClauseId.HeaderLen);
        var packet = Assert.Single(sim.Packets(second));
        Assert.Equal(8 + 10 + 20, Sim.Udp(packet).DatagramLength);
        Assert.Equal(20 + 8 + 10 + 20, Sim.Ip(packet).TotalLength);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.probe_more_pending")]
    public void Spec_probe_with_more_leaves_a_routeless_datagram_pending_and_the_next_send_oopses()
    {
        var sim = Sim.Spec();
        sim.Socket();
        // L636-643: the cork is set up (pending = AF_INET); L791-792: nothing is queued.
        var probe = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Probe | MsgFlags.More);
        Expect.Value(probe, 10, ClauseId.UdpResult);
        Assert.Empty(probe.Datagrams);

        // L511-522 then L794-811: pending, so no route is looked up; the write queue is empty, so ip_append_data
        // sets the cork up from rt == NULL (CVE-2009-2698).
        var next = sim.SendTo("s", 5, Hosts.Remote);
        Assert.Equal(OutcomeKind.KernelFault, next.Kind);
        Assert.Equal(ClauseId.ProbeMorePending, next.Clause);
        Expect.Passed(next, ClauseId.PendingAppend);
        Assert.Empty(next.Datagrams);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.probe_more_pending")]
    public void Linux_probe_with_more_leaves_nothing_pending_and_the_next_send_works()
    {
        // Profile.Linux.ProbeMoreLeavesPending = false: the fix clears pending when nothing was queued.
        var sim = Sim.Linux();
        sim.Socket();
        Expect.Value(sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Probe | MsgFlags.More), 10, ClauseId.UdpResult);
        var next = sim.Send("s", Frames.Bytes(5, 9));
        Expect.Value(next, 5, ClauseId.UdpResult);
        Expect.Passed(next, ClauseId.HeaderLen);
        var packet = Assert.Single(sim.Packets(next));
        Assert.Equal(13, Sim.Udp(packet).DatagramLength);
        Assert.Equal(Frames.Bytes(5, 9), Frames.IpPayload(packet)[8..]);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.probe_length_counted")]
    public void Spec_a_corked_probe_inflates_the_udp_length_and_the_checksum_uses_it()
    {
        var sim = Sim.Spec();
        sim.Socket();
        sim.Cork("s", true);
        var data = Frames.Bytes(10, 5);
        Expect.Value(sim.Send("s", data), 10);
        // L645-646: up->len += 5 although L791-792 appends nothing.
        var probe = sim.SendTo("s", 5, Hosts.Remote, flags: MsgFlags.Probe);
        Expect.Value(probe, 5, ClauseId.UdpResult);
        Expect.Passed(probe, ClauseId.ProbeLengthCounted);
        // Nothing pending, nothing counted: a probe on its own is no datagram's part.
        var alone = Sim.Spec();
        alone.Socket();
        Expect.NotPassed(alone.SendTo("s", 5, Hosts.Remote, flags: MsgFlags.Probe), ClauseId.ProbeLengthCounted);
        Expect.NotPassed(alone.SendTo("s", 5, Hosts.Remote), ClauseId.ProbeLengthCounted);   // its push: lengths agree

        var pushed = Uncork(sim);
        Expect.Passed(pushed, ClauseId.ProbeLengthCounted);   // the push that sends the inflated length names it too
        var packet = Assert.Single(sim.Packets(pushed));
        var ip = Sim.Ip(packet);
        var udp = Sim.Udp(packet);
        Assert.Equal(20 + 8 + 10, ip.TotalLength);
        Assert.Equal(8 + 10 + 5, udp.DatagramLength);
        var transport = Frames.IpPayload(packet);
        Assert.Equal(data, transport[8..]);
        // L420, L439-440: the wrong length goes into the header and into the pseudo-header alike.
        Assert.Equal(Frames.UdpChecksum(ip.Source, ip.Destination, 23, transport), udp.Checksum);
        Assert.Equal(UdpHeader.ComputeChecksum(ip.Source, ip.Destination, 23, udp with { Checksum = 0 }, data), udp.Checksum);
        Assert.NotEqual(UdpHeader.ComputeChecksum(ip.Source, ip.Destination, 18, udp with { DatagramLength = 18, Checksum = 0 }, data), udp.Checksum);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.probe_length_counted")]
    [Trait("clause", "udp_push.header")]
    public void Linux_a_corked_probe_leaves_the_udp_length_alone()
    {
        // Profile.Linux.UdpLengthFromCounter = false: the length comes from the queued data.
        var sim = Sim.Linux();
        sim.Socket();
        sim.Cork("s", true);
        var data = Frames.Bytes(10, 5);
        sim.Send("s", data);
        var probe = sim.SendTo("s", 5, Hosts.Remote, flags: MsgFlags.Probe);
        Expect.Value(probe, 5);
        Expect.NotPassed(probe, ClauseId.ProbeLengthCounted);
        var packet = Assert.Single(sim.Packets(Uncork(sim)));
        var ip = Sim.Ip(packet);
        var udp = Sim.Udp(packet);
        Assert.Equal(18, udp.DatagramLength);
        Assert.Equal(Frames.UdpChecksum(ip.Source, ip.Destination, 18, Frames.IpPayload(packet)), udp.Checksum);
    }

    [Theory]
    [InlineData("spec")]
    [InlineData("linux")]
    [Trait("clause", "udp_sendmsg.cork_app_bug")]
    public void A_corked_sockets_next_send_appends_and_never_meets_the_cork_app_bug(string profile)
    {
        // L626-635 can only fire when another thread corks the socket between L511 (not pending) and L627: the model
        // is one thread, so a send on a corked socket always takes the L522 jump to do_append_data instead.
        var sim = new Sim(Profile.Find(profile)!);
        sim.Socket();
        sim.Cork("s", true);
        var first = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Passed(first, ClauseId.CorkSetup);
        for (var i = 0; i < 3; i++)
        {
            var next = sim.SendTo("s", 10, Hosts.Remote);
            Expect.Value(next, 10, ClauseId.UdpResult);
            Expect.Passed(next, ClauseId.PendingAppend);
            Expect.NotPassed(next, ClauseId.CorkAppBug);
            Expect.NotPassed(next, ClauseId.CorkSetup);
        }
        Assert.Equal(8 + 40, Sim.Udp(Assert.Single(sim.Packets(Uncork(sim)))).DatagramLength);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.cork_setup")]
    public void The_first_piece_records_destination_ports_and_source_for_the_whole_datagram()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.Bind("s", Ipv4Address.Any, 4000), 0);
        var first = sim.Send("s", Frames.Bytes(10, 1), MsgFlags.More, port: 4242);
        Expect.Passed(first, ClauseId.CorkSetup);
        // No address at all on an unconnected socket would be EDESTADDRREQ (L545-546); while pending, the cork's
        // flow (L639-642) supplies it.
        var last = sim.SendTo("s", UserBuffer.Of(Frames.Bytes(20, 2)), to: null);
        Expect.Value(last, 20, ClauseId.UdpResult);
        var packet = Assert.Single(sim.Packets(last));
        var ip = Sim.Ip(packet);
        var udp = Sim.Udp(packet);
        Assert.Equal(Hosts.Local, ip.Source);
        Assert.Equal(Hosts.Remote, ip.Destination);
        Assert.Equal(4000, udp.SourcePort);
        Assert.Equal(4242, udp.DestinationPort);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.length_accumulates")]
    public void The_udp_length_grows_with_every_corked_append()
    {
        var sim = Sim.Spec();
        sim.Socket();
        byte[][] pieces = [Frames.Bytes(100, 1), Frames.Bytes(200, 2), Frames.Bytes(300, 3)];
        sim.Send("s", pieces[0], MsgFlags.More);
        var middle = sim.Send("s", pieces[1], MsgFlags.More);
        Expect.Passed(middle, ClauseId.LengthAccumulates);
        var last = sim.Send("s", pieces[2]);
        var packet = Assert.Single(sim.Packets(last));
        // L526 + L646: 8 + 100, then + 200, then + 300.
        Assert.Equal(608, Sim.Udp(packet).DatagramLength);
        Assert.Equal(628, Sim.Ip(packet).TotalLength);
        Assert.Equal(Concat(pieces), Frames.IpPayload(packet)[8..]);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.append_error_flush")]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    public void An_append_over_the_total_limit_discards_every_pending_piece()
    {
        var sim = Sim.Spec();
        sim.Socket();
        sim.Cork("s", true);
        Expect.Value(sim.SendTo("s", 1000, Hosts.Remote), 1000);
        // L833: 1008 + 65000 > 65535 - 20.
        var over = sim.SendTo("s", 65000, Hosts.Remote);
        Expect.Error(over, Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        Expect.Passed(over, ClauseId.AppendErrorFlush);
        Assert.True(over.Counters.IsZero); // L833-836 returns before the error label: no OutDiscard.

        // L650-651: udp_flush_pending_frames: the 1000 bytes are gone.
        var pushed = Uncork(sim);
        Expect.Value(pushed, 0, ClauseId.CorkOffPush);
        Expect.Passed(pushed, ClauseId.PushEmpty);
        Assert.Empty(pushed.Datagrams);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.append_error_flush")]
    [Trait("clause", "ip_append_data.efault")]
    public void A_faulting_append_discards_every_pending_piece()
    {
        var sim = Sim.Spec();
        sim.Socket();
        sim.Cork("s", true);
        Expect.Value(sim.SendTo("s", 100, Hosts.Remote), 100);
        var fault = sim.SendTo("s", new UserBuffer(Frames.Bytes(10, 1), 100), Hosts.Remote);
        Expect.Error(fault, Errno.EFAULT, ClauseId.AppendEfault);
        Expect.Passed(fault, ClauseId.AppendErrorFlush);
        Assert.Equal(new CounterDelta(0, 1, 0, 0), fault.Counters);
        var pushed = Uncork(sim);
        Expect.Passed(pushed, ClauseId.PushEmpty);
        Assert.Empty(pushed.Datagrams);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.append_error_flush")]
    [Trait("clause", "udp_sendmsg.len_over_0xffff")]
    public void A_length_above_65535_fails_before_the_cork_and_keeps_the_pending_data()
    {
        var sim = Sim.Spec();
        sim.Socket();
        sim.Cork("s", true);
        var data = Frames.Bytes(100, 7);
        sim.Send("s", data);
        // L499-500 return before L511: nothing is appended, nothing flushed.
        var huge = sim.SendHuge("s", 70000, Hosts.Remote);
        Expect.Error(huge, Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
        Expect.NotPassed(huge, ClauseId.AppendErrorFlush);
        var packet = Assert.Single(sim.Packets(Uncork(sim)));
        Assert.Equal(data, Frames.IpPayload(packet)[8..]);
    }
}
