using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Ip;

/// <summary>ip_append_data's failures: the 64 KiB limit, the send buffer, unreadable memory, page fragments, the
/// unwind (L833-836, L912-927, L954-1000, L1040-1043), and the current kernels' strict path MTU.</summary>
public class IpAppendDataLimitsTests
{
    [Fact]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    public void A_datagram_holds_at_most_65507_bytes_of_data()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        // L833: 0 + 65507 + 8 = 65515 = 0xFFFF - 20 is allowed.
        var largest = sim.SendTo("s", 65507, Hosts.Remote);
        Expect.Value(largest, 65507, ClauseId.UdpResult);
        Expect.Passed(largest, ClauseId.EmsgsizeTotal);
        var packets = sim.Packets(largest);
        Assert.Equal(45, packets.Count);
        Assert.Equal(65515, Frames.Reassemble(packets).Length);

        var over = sim.SendTo("s", 65508, Hosts.Remote);
        Expect.Error(over, Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        Assert.Empty(over.Datagrams);
        Assert.True(over.Counters.IsZero); // returns before the error label: no OutDiscard
        Assert.Empty(over.ErrorQueue);     // no IP_RECVERR: ip_local_error queues nothing
    }

    [Fact]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    [Trait("clause", "ip_append_data.fraglen")]
    public void Forty_bytes_of_options_lower_the_limit_to_65467()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.SetIpOptions("s", Frames.FortyBytesOfOptions), 0);
        // fragheaderlen = 60: 65467 + 8 = 65475 = 0xFFFF - 60.
        var largest = sim.SendTo("s", 65467, Hosts.Remote);
        Expect.Value(largest, 65467);
        var packets = sim.Packets(largest);
        Assert.All(packets, p => Assert.Equal(0x4F, p[0]));
        Assert.Equal(65475, Frames.Reassemble(packets).Length);
        Expect.Error(sim.SendTo("s", 65468, Hosts.Remote), Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
    }

    [Fact]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    [Trait("clause", "udp_sendmsg.length_accumulates")]
    public void Corked_appends_are_summed_against_the_limit()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        sim.Cork("s", true);
        Expect.Value(sim.SendTo("s", 30000, Hosts.Remote), 30000);
        Expect.Value(sim.SendTo("s", 35507, Hosts.Remote), 35507); // cork.length 30008 + 35507 = 65515
        var pushed = sim.Cork("s", false);
        Assert.Equal(65515, Frames.Reassemble(sim.Packets(pushed)).Length);

        sim.Cork("s", true);
        Expect.Value(sim.SendTo("s", 30000, Hosts.Remote), 30000);
        Expect.Error(sim.SendTo("s", 35508, Hosts.Remote), Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
    }

    [Fact]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    public void With_ip_recverr_the_limit_queues_a_local_emsgsize_error()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.SetInt("s", SolIp, IpRecvErr, 1), 0);
        var over = sim.SendTo("s", 65508, Hosts.Remote);
        Expect.Error(over, Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        // L834: ip_local_error(sk, EMSGSIZE, rt->rt_dst, inet->dport, mtu - exthdrlen); unconnected: port 0.
        var entry = Assert.Single(over.ErrorQueue);
        Assert.Equal(new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Local, 1500, Hosts.Remote, 0), entry);
    }

    [Fact]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    public void Linux_the_local_error_reports_the_mtu_less_the_options()
    {
        // Profile.Linux.LocalErrorInfoLessOptions.
        var sim = Sim.WithSocket(Profile.Linux);
        sim.SetInt("s", SolIp, IpRecvErr, 1);
        sim.SetIpOptions("s", Frames.FortyBytesOfOptions);
        var over = sim.SendTo("s", 65468, Hosts.Remote);
        Expect.Error(over, Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        Assert.Equal(new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Local, 1460, Hosts.Remote, 0), Assert.Single(over.ErrorQueue));
    }

    [Theory]
    [InlineData(PmtuDo)]
    [InlineData(PmtuProbe)]
    [InlineData(PmtuInterface)]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    public void Linux_modes_that_keep_df_refuse_more_than_the_mtu_at_append(int mode)
    {
        // Profile.Linux.StrictPmtuAtAppend: the bound is the MTU (1500 - 20 - 8 = 1472 bytes of data).
        var sim = Sim.WithSocket(Profile.Linux, pmtu: mode);
        sim.SetInt("s", SolIp, IpRecvErr, 1);
        Assert.Single(sim.Packets(sim.SendTo("s", 1472, Hosts.Remote)));
        var over = sim.SendTo("s", 1473, Hosts.Remote);
        Expect.Error(over, Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        Assert.True(over.Counters.IsZero);
        Assert.Equal(new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Local, 1500, Hosts.Remote, 0), Assert.Single(over.ErrorQueue));
    }

    [Theory]
    [InlineData(PmtuWant)]
    [InlineData(PmtuDont)]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    public void Linux_modes_that_ignore_df_still_allow_65507(int mode)
    {
        var sim = Sim.WithSocket(Profile.Linux, pmtu: mode);
        Expect.Value(sim.SendTo("s", 65507, Hosts.Remote), 65507);
        Expect.Error(sim.SendTo("s", 65508, Hosts.Remote), Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
    }

    [Theory]
    [InlineData(PmtuProbe, true, true)]
    [InlineData(PmtuInterface, true, false)]
    [InlineData(PmtuDo, false, true)]
    [InlineData(PmtuWant, false, false)]
    [Trait("clause", "ip_append_data.cork_init")]
    [Trait("clause", "ip_push.local_fragment")]
    public void Linux_probe_and_interface_use_the_device_mtu_not_the_route_mtu(int mode, bool whole, bool df)
    {
        // Route MTU 1000 on a 1500-byte device; 1400 bytes of data make a 1428-byte datagram.
        var sim = Sim.WithSocket(Profile.Linux, Hosts.OnLink(mtu: 1500, routeMtu: 1000), mode);
        var outcome = sim.SendTo("s", 1400, Hosts.Remote);
        if (mode == PmtuDo)
        {
            Expect.Error(outcome, Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
            return;
        }
        Expect.Value(outcome, 1400);
        var packets = sim.Packets(outcome);
        if (whole) Assert.Equal(1428, Sim.Ip(Assert.Single(packets)).TotalLength);
        else Assert.Equal([976, 432], packets.Select(p => Frames.IpPayload(p).Length)); // maxfraglen 996 at MTU 1000
        Assert.All(packets, p => Assert.Equal(df, Sim.Ip(p).DontFragment));
    }

    [Fact]
    [Trait("clause", "ip_append_data.sndbuf")]
    [Trait("clause", "ip_append_data.error_unwind")]
    public void Spec_the_smallest_send_buffer_cannot_hold_a_65507_byte_datagram()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.SetInt("s", SolSocket, SoSndbuf, 0), 0);
        var size = sim.Run(new GetSockOptOp(Fd.Named("s"), SolSocket, SoSndbuf, 4));
        Assert.Equal(Profile.Spec.MinSndbuf, BitConverter.ToInt32(size.OptionValue!.Value.Span));
        // L918-924: later fragments are refused once the socket holds more than twice its 2048-byte buffer; each
        // fragment holds about 1500 bytes, so this happens long before the 45th.
        var outcome = sim.SendTo("s", 65507, Hosts.Remote);
        Expect.Error(outcome, Errno.ENOBUFS, ClauseId.Sndbuf);
        Expect.Passed(outcome, ClauseId.ErrorUnwind);
        Assert.Empty(outcome.Datagrams);
        Assert.Equal(new CounterDelta(0, 1, 0, 0), outcome.Counters); // L1042
        // A small datagram still fits.
        Expect.Value(sim.SendTo("s", 100, Hosts.Remote), 100);
    }

    [Fact]
    [Trait("clause", "ip_append_data.sndbuf")]
    public void The_default_send_buffer_holds_a_65507_byte_datagram()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var outcome = sim.SendTo("s", 65507, Hosts.Remote);
        Expect.Value(outcome, 65507, ClauseId.UdpResult);
        Assert.Equal(45, sim.Packets(outcome).Count);
    }

    [Fact]
    [Trait("clause", "ip_append_data.sndbuf")]
    public void Linux_a_send_buffer_enobufs_also_counts_a_sndbuf_error()
    {
        // Profile.Linux.CountsSndbufErrors: udp_sendmsg counts ENOBUFS as a SndbufError on top of the OutDiscard.
        var sim = Sim.WithSocket(Profile.Linux);
        sim.SetInt("s", SolSocket, SoSndbuf, 0);
        var outcome = sim.SendTo("s", 65507, Hosts.Remote);
        Expect.Error(outcome, Errno.ENOBUFS, ClauseId.Sndbuf);
        Assert.Equal(new CounterDelta(0, 1, 1, 0), outcome.Counters);
    }

    [Fact]
    [Trait("clause", "ip_append_data.efault")]
    [Trait("clause", "ip_append_data.error_unwind")]
    public void Unreadable_user_memory_is_efault_and_a_discard()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var outcome = sim.SendTo("s", new UserBuffer(Frames.Bytes(10, 1), 100), Hosts.Remote);
        Expect.Error(outcome, Errno.EFAULT, ClauseId.AppendEfault);
        Expect.Passed(outcome, ClauseId.ErrorUnwind);
        Assert.Empty(outcome.Datagrams);
        Assert.Equal(new CounterDelta(0, 1, 0, 0), outcome.Counters);
    }

    [Fact]
    [Trait("clause", "ip_append_data.efault")]
    public void A_fault_in_a_later_block_or_fragment_sends_nothing()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var gathered = sim.SendMsg("s", Hosts.Remote, [UserBuffer.Of(Frames.Bytes(50, 1)), UserBuffer.Unreadable(50)]);
        Expect.Error(gathered, Errno.EFAULT, ClauseId.AppendEfault);
        Assert.Empty(gathered.Datagrams);

        // The fault is in the second fragment's data; the first fragment, already queued, is flushed with it.
        var late = sim.SendTo("s", new UserBuffer(Frames.Bytes(2000, 2), 3000), Hosts.Remote);
        Expect.Error(late, Errno.EFAULT, ClauseId.AppendEfault);
        Assert.Empty(late.Datagrams);
        Assert.Equal(new CounterDelta(0, 1, 0, 0), late.Counters);
    }

    [Fact]
    [Trait("clause", "ip_append_data.error_unwind")]
    public void Only_the_buffer_errors_unwind_and_count_a_discard()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        sim.Cork("s", true);
        sim.SendTo("s", 30000, Hosts.Remote);
        var fault = sim.SendTo("s", new UserBuffer(Frames.Bytes(10, 3), 20000), Hosts.Remote);
        Expect.Error(fault, Errno.EFAULT, ClauseId.AppendEfault);
        Expect.Passed(fault, ClauseId.ErrorUnwind);
        Assert.Equal(new CounterDelta(0, 1, 0, 0), fault.Counters);

        // L1041 and the flush leave no length behind: the next datagram may again be 65507 bytes.
        Expect.Value(sim.SendTo("s", 65507, Hosts.Remote), 65507);
        Assert.Equal(65515, Frames.Reassemble(sim.Packets(sim.Cork("s", false))).Length);

        // The 64 KiB check (L833-836) returns directly: no unwind, no discard.
        var over = sim.SendTo("s", 65508, Hosts.Remote);
        Expect.Error(over, Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        Expect.NotPassed(over, ClauseId.ErrorUnwind);
        Assert.True(over.Counters.IsZero);
    }

    [Fact]
    [Trait("clause", "ip_append_data.max_frags")]
    public void A_page_shared_with_the_buffer_before_takes_a_fragment_slot_of_its_own()
    {
        // L973-996: pieces after a buffer's linear part go into the socket's page while it has room, the page the
        // buffer before filled first included; each buffer counts that page in its own nr_frags.
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(sg: true));
        while (sim.Model.Sockets.Single().Cork.Queue.Count < 2)
            Assert.Equal(OutcomeKind.Value, sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.More).Kind);
        Assert.Equal(OutcomeKind.Value, sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.More).Kind);
        Assert.Equal([1, 1], sim.Model.Sockets.Single().Cork.Queue.Select(skb => skb.PageFragments));
    }

    [Fact]
    [Trait("clause", "ip_append_data.max_frags")]
    public void Max_frags_is_not_reached_by_the_largest_datagram_built_from_tiny_appends()
    {
        // Not reachable within IPv4: MAX_SKB_FRAGS is 65536 / 4096 + 2 = 18. One skb is at most one fragment of
        // at most 65535 bytes; its first piece is linear (L939-955), later pieces go into page fragments, and a page
        // is only left when full (L994-996), a fresh datagram starting without a page (L813). So an skb holds at most
        // ceil(65507 / 4096) = 16 page fragments, 17 if its first page were shared with an earlier skb: never 18.
        // The tightest case: the whole datagram in one skb on a 65535-byte MTU, from 3-byte MSG_MORE appends.
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(mtu: 65535, sg: true));
        var data = Frames.Bytes(65507, 14);
        for (var at = 0; at < 65505; at += 3)
        {
            var piece = sim.Send("s", data[at..(at + 3)], MsgFlags.More);
            Assert.Equal(OutcomeKind.Value, piece.Kind);
        }
        var skb = Assert.Single(sim.Model.Sockets.Single().Cork.Queue);
        Assert.Equal(16, skb.PageFragments); // the first 3 bytes are linear: ceil(65502 / 4096) pages
        var last = sim.Send("s", data[65505..]);
        Expect.Value(last, 2, ClauseId.UdpResult);
        Expect.NotPassed(last, ClauseId.MaxFrags);
        var packet = Assert.Single(sim.Packets(last));
        Assert.Equal(65535, Sim.Ip(packet).TotalLength);
        Assert.Equal(data, Frames.IpPayload(packet)[8..]);
    }
}
