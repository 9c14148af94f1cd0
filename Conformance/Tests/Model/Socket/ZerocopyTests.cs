using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Socket;

/// <summary>SO_ZEROCOPY and MSG_ZEROCOPY (catalog part 2, zerocopy.*), as measured on kernel 6.18.44
/// (Conformance/cases/zerocopy/). Hosts.OnLink: tun0 192.0.2.1/24, 198.51.100.0/24 via 192.0.2.254.</summary>
public class ZerocopyTests
{
    private static Sim Linux(HostConfig? host = null, bool on = true)
    {
        var sim = Sim.Linux(host ?? Hosts.OnLink());
        sim.Socket();
        if (on) Expect.Value(sim.SetInt("s", SolSocket, SoZerocopy, 1), 0, ClauseId.ZerocopyOption);
        return sim;
    }

    private static Outcome Send(Sim sim, int length, MsgFlags flags = MsgFlags.Zerocopy, Ipv4Address? to = null, ushort port = 9, string s = "s") =>
        sim.SendTo(s, length, to ?? Hosts.Remote, port, flags);

    private static ErrorQueueEntry Done(uint first, uint last) => ErrorQueueEntry.Zerocopy(first, last, copied: true);

    [Fact]
    [Trait("clause", "zerocopy.option")]
    public void The_option_takes_zero_or_one_in_at_least_four_bytes_and_reads_back_as_an_int()
    {
        var sim = Linux(on: false);
        var get = new GetSockOptOp(Fd.Named("s"), SolSocket, SoZerocopy, 4);
        Assert.Equal([0, 0, 0, 0], sim.Run(get).OptionValue!.Value.ToArray());
        Expect.Value(sim.SetInt("s", SolSocket, SoZerocopy, 1), 0, ClauseId.ZerocopyOption);
        Assert.Equal([1, 0, 0, 0], sim.Run(get).OptionValue!.Value.ToArray());
        Expect.Error(sim.SetInt("s", SolSocket, SoZerocopy, 2), Errno.EINVAL, ClauseId.ZerocopyOption);
        Expect.Error(sim.SetInt("s", SolSocket, SoZerocopy, -1), Errno.EINVAL, ClauseId.ZerocopyOption);
        Expect.Error(sim.SetInt("s", SolSocket, SoZerocopy, 1, optlen: 3), Errno.EINVAL, ClauseId.ZerocopyOption);
        Expect.Error(sim.SetInt("s", SolSocket, SoZerocopy, 0, optlen: 0), Errno.EINVAL, ClauseId.ZerocopyOption);
        // A refused value leaves the flag as it was.
        Assert.True(sim.Model.Sockets.Single().Zerocopy);
        var one = sim.Run(new GetSockOptOp(Fd.Named("s"), SolSocket, SoZerocopy, 1));
        Expect.Value(one, 1, ClauseId.ZerocopyOption);
        Assert.Equal([1], one.OptionValue!.Value.ToArray());
        Expect.Value(sim.SetInt("s", SolSocket, SoZerocopy, 0), 0, ClauseId.ZerocopyOption);
        Assert.False(sim.Model.Sockets.Single().Zerocopy);
    }

    [Fact]
    [Trait("clause", "zerocopy.option")]
    public void The_notes_profile_does_not_follow_the_option()
    {
        var sim = Sim.Spec(Hosts.OnLink());
        sim.Socket();
        var set = sim.SetInt("s", SolSocket, SoZerocopy, 1);
        Assert.Equal(OutcomeKind.Unmodeled, set.Kind);
    }

    [Fact]
    [Trait("clause", "zerocopy.ignored")]
    public void Without_the_option_the_flag_is_ignored()
    {
        var sim = Linux(on: false);
        var sent = Send(sim, 10);
        Expect.Value(sent, 10);
        Assert.Single(sent.Datagrams);
        Assert.Empty(sent.ErrorQueue);
        Expect.Value(sim.SetInt("s", SolSocket, SoZerocopy, 1), 0);
        // The id counter did not move: the first followed send is id 0.
        Assert.Equal([Done(0, 0)], Send(sim, 10).ErrorQueue);
    }

    [Fact]
    [Trait("clause", "zerocopy.id")]
    public void Each_send_takes_the_next_id_and_a_refused_one_takes_none()
    {
        var sim = Linux();
        Assert.Equal([Done(0, 0)], Send(sim, 10).ErrorQueue);
        // A 0-byte datagram still appends its UDP header: it takes an id.
        Assert.Equal([Done(1, 1)], Send(sim, 0).ErrorQueue);
        var refused = Send(sim, 10, port: 0);
        Expect.Error(refused, Errno.EINVAL, ClauseId.DportZero);
        Assert.Empty(refused.ErrorQueue);
        Assert.Empty(Send(sim, 10, MsgFlags.Oob | MsgFlags.Zerocopy).ErrorQueue);
        var probe = Send(sim, 10, MsgFlags.Probe | MsgFlags.Zerocopy);
        Expect.Value(probe, 10);
        Assert.Empty(probe.ErrorQueue);
        Assert.Empty(Send(sim, 10, MsgFlags.None).ErrorQueue);
        Assert.Equal([Done(2, 2)], Send(sim, 10).ErrorQueue);
        // Off and on again: the ids go on.
        sim.SetInt("s", SolSocket, SoZerocopy, 0);
        Assert.Empty(Send(sim, 10).ErrorQueue);
        sim.SetInt("s", SolSocket, SoZerocopy, 1);
        Assert.Equal([Done(3, 3)], Send(sim, 10).ErrorQueue);
    }

    [Fact]
    [Trait("clause", "zerocopy.id")]
    public void Ids_count_per_socket()
    {
        var sim = Linux();
        Send(sim, 10);
        Send(sim, 10);
        sim.Socket("t");
        sim.SetInt("t", SolSocket, SoZerocopy, 1);
        Assert.Equal([Done(0, 0)], Send(sim, 10, s: "t").ErrorQueue);
        Assert.Equal([Done(2, 2)], Send(sim, 10).ErrorQueue);
    }

    [Fact]
    [Trait("clause", "zerocopy.corked")]
    public void The_pieces_of_a_corked_datagram_share_one_range_completed_by_the_push()
    {
        var sim = Linux();
        Assert.Empty(Send(sim, 10, MsgFlags.More | MsgFlags.Zerocopy).ErrorQueue);
        var second = Send(sim, 10, MsgFlags.More | MsgFlags.Zerocopy);
        Expect.Passed(second, ClauseId.ZerocopyCorked);
        Assert.Empty(second.ErrorQueue);
        // A 0-byte piece takes no id.
        Assert.Empty(Send(sim, 0, MsgFlags.More | MsgFlags.Zerocopy).ErrorQueue);
        var pushed = Send(sim, 10, MsgFlags.None);
        Assert.Single(pushed.Datagrams);
        Assert.Equal([Done(0, 1)], pushed.ErrorQueue);
        // UDP_CORK: the range completes at UDP_CORK 0; a refused piece (above 65535) takes no id.
        sim.Cork("s", true);
        Send(sim, 10);
        Expect.Error(sim.SendHuge("s", 70000, Hosts.Remote, MsgFlags.Zerocopy), Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
        Send(sim, 10);
        Assert.Equal([Done(2, 3)], sim.Cork("s", false).ErrorQueue);
    }

    [Fact]
    [Trait("clause", "zerocopy.corked")]
    public void A_datagram_begun_without_the_flag_gets_a_range_when_a_zerocopy_piece_joins()
    {
        var sim = Linux(on: false);
        Send(sim, 10, MsgFlags.More);
        sim.SetInt("s", SolSocket, SoZerocopy, 1);
        Send(sim, 10, MsgFlags.More | MsgFlags.Zerocopy);
        sim.SetInt("s", SolSocket, SoZerocopy, 0);
        Assert.Equal([Done(0, 0)], Send(sim, 10).ErrorQueue);
    }

    [Fact]
    [Trait("clause", "zerocopy.corked")]
    public void A_range_parted_by_a_buffer_without_it_is_not_answered_and_the_ids_go_on()
    {
        var sim = Linux();
        sim.Cork("s", true);
        // 1879 bytes over an MTU of 1500: two buffers; the piece without the flag begins a third.
        Send(sim, 1879);
        Send(sim, 1646, MsgFlags.More);
        Send(sim, 753);
        var pushed = sim.Cork("s", false);
        Assert.Equal(OutcomeKind.Unmodeled, pushed.Kind);
        Assert.Equal(ClauseId.ZerocopyCompletion, pushed.Clause.Id);
        Assert.Equal([Done(2, 2)], Send(sim, 10).ErrorQueue);
    }

    [Fact]
    [Trait("clause", "zerocopy.corked")]
    public void Pieces_that_meet_in_one_buffer_keep_one_range()
    {
        var sim = Linux();
        sim.Cork("s", true);
        Send(sim, 10);
        Send(sim, 10, MsgFlags.More);
        Send(sim, 10);
        Assert.Equal([Done(0, 1)], sim.Cork("s", false).ErrorQueue);
    }

    [Fact]
    [Trait("clause", "zerocopy.completion")]
    public void The_completion_comes_before_the_icmp_entry_of_a_local_port_unreachable()
    {
        var sim = Linux();
        sim.SetInt("s", SolIp, IpRecvErr, 1);
        var sent = Send(sim, 10, to: Ipv4Address.Parse("127.0.0.1"));
        Expect.Value(sent, 10);
        Assert.Equal(2, sent.ErrorQueue.Count);
        Assert.Equal(Done(0, 0), sent.ErrorQueue[0]);
        Assert.Equal(ErrorOrigin.Icmp, sent.ErrorQueue[1].Origin);
        Assert.Equal(Errno.ECONNREFUSED, sent.ErrorQueue[1].Errno);
    }

    [Fact]
    [Trait("clause", "zerocopy.completion")]
    public void A_datagram_dropped_by_netfilter_keeps_its_id_and_completes_copied_without_offload()
    {
        var sim = Linux(Hosts.OnLink(drops: [new OutputDropRule(Hosts.RemoteNet, 24)]));
        var dropped = Send(sim, 10);
        Expect.Error(dropped, Errno.EPERM, ClauseId.Netfilter);
        Assert.Empty(dropped.Datagrams);
        Assert.Equal([Done(0, 0)], dropped.ErrorQueue);
    }

    [Fact]
    [Trait("clause", "zerocopy.completion")]
    public void On_an_offloading_device_a_datagram_dropped_before_it_is_unmodeled_one_sent_is_copied()
    {
        var sim = Linux(Hosts.OnLink(offload: true, drops: [new OutputDropRule(Hosts.RemoteNet, 24, 7)]));
        Assert.Equal([Done(0, 0)], Send(sim, 10).ErrorQueue);
        var dropped = Send(sim, 10, port: 7);
        Assert.Equal(OutcomeKind.Unmodeled, dropped.Kind);
        Assert.Equal(ClauseId.ZerocopyCompletion, dropped.Clause.Id);
        Assert.Equal([Done(2, 2)], Send(sim, 10).ErrorQueue);
    }

    [Fact]
    [Trait("clause", "zerocopy.completion")]
    public void On_an_offloading_device_a_corked_datagram_discarded_by_a_failed_append_is_unmodeled()
    {
        // The pending range is freed by the flush, before any device saw it: whether its pages were pinned is not
        // modeled, as for a datagram dropped before the device.
        var sim = Linux(Hosts.OnLink(offload: true));
        Expect.Value(Send(sim, 10, MsgFlags.Zerocopy | MsgFlags.More), 10);
        var failed = sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Unreadable(10), MsgFlags.Zerocopy,
            Sim.Addr(Hosts.Remote, 9), SockAddr.InLength));
        Assert.Equal(OutcomeKind.Unmodeled, failed.Kind);
        Assert.Equal(ClauseId.ZerocopyCompletion, failed.Clause.Id);
    }

    [Fact]
    [Trait("clause", "zerocopy.coalesce")]
    public void A_sendmmsg_leaves_one_entry_for_its_ids()
    {
        var sim = Linux();
        var to = Sim.Addr(Hosts.Remote, 9);
        MmsgEntry Entry(int length) => new(to, SockAddr.InLength, [UserBuffer.Pattern(length)], null, 0);
        var sent = sim.Run(new SendMmsgOp(Fd.Named("s"), [Entry(10), Entry(20), Entry(30)], 3, MsgFlags.Zerocopy));
        Expect.Value(sent, 3);
        Assert.Equal(3, sent.Datagrams.Count);
        Assert.Equal([Done(0, 2)], sent.ErrorQueue);
        Expect.Passed(sent, ClauseId.ZerocopyCoalesce);
    }

    [Fact]
    [Trait("clause", "zerocopy.coalesce")]
    public void A_range_extends_the_tail_entry_only_when_it_follows_on()
    {
        var call = new Call();
        call.QueueZerocopy(0, 0, 0, copied: true);
        call.QueueZerocopy(1, 1, 3, copied: false);
        call.QueueZerocopy(1, 5, 5, copied: true);
        var outcome = call.Return(0, ClauseId.UdpResult);
        // The extended entry keeps the first completion's code.
        Assert.Equal([Done(0, 3), Done(5, 5)], outcome.ErrorQueue);
    }
}
