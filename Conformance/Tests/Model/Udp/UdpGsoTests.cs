using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Ip;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Udp;

/// <summary>UDP GSO (catalog part 2, udp_gso.*): udp_lib_setsockopt, udp_cmsg_send, ip_setup_cork, __ip_append_data,
/// udp_send_skb and the segmentation on output, as measured on kernel 6.18.44.</summary>
public class UdpGsoTests
{
    private static Sim Linux(bool offload = false)
    {
        var sim = Sim.Linux(Hosts.OnLink(offload: offload));
        sim.Socket();
        return sim;
    }

    private static byte[] Segment(int size) => ControlMessages.Encode((SolUdp, UdpSegment, [(byte)size, (byte)(size >> 8)]));

    private static Outcome Send(Sim sim, int length, int? size, MsgFlags flags = MsgFlags.None, bool connected = false) =>
        sim.SendMsg("s", connected ? null : Hosts.Remote, [UserBuffer.Of(Frames.Bytes(length, 7))], size is { } s ? Segment(s) : null, flags);

    [Fact]
    public void The_option_takes_an_int_from_0_to_65535_and_reads_back()
    {
        var sim = Linux();
        Expect.Error(sim.SetInt("s", SolUdp, UdpSegment, 65536), Errno.EINVAL, ClauseId.GsoOption);
        Expect.Error(sim.SetInt("s", SolUdp, UdpSegment, -1), Errno.EINVAL, ClauseId.GsoOption);
        Expect.Error(sim.SetInt("s", SolUdp, UdpSegment, 500, optlen: 2), Errno.EINVAL, ClauseId.GsoOption);
        Expect.Value(sim.SetInt("s", SolUdp, UdpSegment, 500), 0, ClauseId.GsoOption);
        var read = sim.Run(new GetSockOptOp(Fd.Named("s"), SolUdp, UdpSegment, 4));
        Assert.Equal(ControlMessages.Int(500), read.OptionValue!.Value.ToArray());
        // The option alone segments a later send.
        Assert.Equal(3, sim.Packets(sim.SendTo("s", 1200, Hosts.Remote)).Count);
    }

    [Fact]
    public void The_spec_profile_has_no_segment_size()
    {
        var sim = Sim.Spec(Hosts.OnLink());
        sim.Socket();
        // The option is one the model knows current kernels accept: under spec it answers "unmodeled", not a guess.
        Assert.Equal(OutcomeKind.Unmodeled, sim.SetInt("s", SolUdp, UdpSegment, 500).Kind);
        sim.Socket("t");
        // 2.6 skips a SOL_UDP message: the datagram leaves whole (fragmented at the MTU).
        var outcome = sim.SendMsg("t", Hosts.Remote, [UserBuffer.Of(new byte[1200])], Segment(500));
        Expect.Value(outcome, 1200);
        Expect.NotPassed(outcome, ClauseId.GsoCmsg);
        Assert.Single(sim.Packets(outcome));
    }

    [Fact]
    public void A_message_replaces_the_sockets_size_for_one_send_and_must_be_a_u16_udp_segment()
    {
        var sim = Linux();
        sim.SetInt("s", SolUdp, UdpSegment, 500);
        var whole = Send(sim, 1200, 0);
        Expect.Passed(whole, ClauseId.GsoCmsg);
        Assert.Single(sim.Packets(whole));
        Assert.Equal(3, sim.Packets(sim.SendTo("s", 1200, Hosts.Remote)).Count);
        Expect.Error(sim.SendMsg("s", Hosts.Remote, [UserBuffer.Of(new byte[10])], ControlMessages.Encode((SolUdp, UdpSegment, ControlMessages.Int(500)))),
            Errno.EINVAL, ClauseId.GsoCmsg);
        Expect.Error(sim.SendMsg("s", Hosts.Remote, [UserBuffer.Of(new byte[10])], ControlMessages.Encode((SolUdp, UdpCork, [1, 0]))),
            Errno.EINVAL, ClauseId.GsoCmsg);
    }

    [Fact]
    public void Longer_data_leaves_as_segments_each_a_datagram_with_its_own_header_checksum_and_next_identification()
    {
        var sim = Linux();
        var data = Frames.Bytes(3000, 7);
        var outcome = Send(sim, 3000, 1000);
        Expect.Value(outcome, 3000, ClauseId.UdpResult);
        Expect.Passed(outcome, ClauseId.GsoSegments);
        var packets = sim.Packets(outcome);
        Assert.Equal(3, packets.Count);
        var first = Sim.Ip(packets[0]);
        for (var k = 0; k < 3; k++)
        {
            var ip = Sim.Ip(packets[k]);
            Assert.Equal(1028, ip.TotalLength);
            Assert.Equal(1008, Sim.Udp(packets[k]).DatagramLength);
            Assert.False(ip.MoreFragments);
            Assert.Equal(0, ip.FragmentOffsetBytes);
            // 3028 bytes in all pass the MTU: under IP_PMTUDISC_WANT no segment carries DF.
            Assert.False(ip.DontFragment);
            Assert.Equal(unchecked((ushort)(first.Identification + k)), ip.Identification);
            Assert.Equal(data[(k * 1000)..((k + 1) * 1000)], packets[k][28..]);
            Frames.AssertUdpChecksum(packets[k], Hosts.Local, Hosts.Remote);
        }
    }

    [Fact]
    public void The_last_segment_holds_the_rest_and_a_datagram_within_the_mtu_keeps_df()
    {
        var sim = Linux();
        var packets = sim.Packets(Send(sim, 1001, 1000));
        Assert.Equal([1028, 29], packets.Select(p => (int)Sim.Ip(p).TotalLength));
        Assert.All(packets, p => Assert.True(Sim.Ip(p).DontFragment));
    }

    [Fact]
    public void Every_segment_carries_the_whole_ip_header_with_its_options()
    {
        var sim = Linux();
        sim.SetIpOptions("s", [1, 1, 1, 1]);
        var packets = sim.Packets(Send(sim, 3000, 1468));
        Assert.Equal([1500, 1500, 96], packets.Select(p => (int)Sim.Ip(p).TotalLength));
        Assert.All(packets, p => Assert.Equal(new byte[] { 1, 1, 1, 1 }, Sim.Ip(p).Options.ToArray()));
        Assert.All(packets, p => Frames.AssertUdpChecksum(p, Hosts.Local, Hosts.Remote));
    }

    [Fact]
    public void Data_no_longer_than_the_size_is_one_plain_datagram()
    {
        var sim = Linux();
        foreach (var (length, size) in new[] { (1000, 1000), (100, 1500), (0, 100) })
        {
            var outcome = Send(sim, length, size);
            Expect.Value(outcome, length);
            Expect.Passed(outcome, ClauseId.GsoSingle);
            Expect.NotPassed(outcome, ClauseId.GsoSegments);
            var datagram = Assert.Single(outcome.Datagrams);
            Assert.Null(datagram.SegmentSize);
            Assert.Equal(28 + length, Sim.Ip(Assert.Single(sim.Packets(outcome))).TotalLength);
        }
    }

    [Fact]
    public void The_headers_and_one_segment_must_fit_the_mtu_or_the_data_when_it_is_less()
    {
        var sim = Linux();
        Expect.Value(Send(sim, 1472, 1473), 1472);
        Expect.Error(Send(sim, 1473, 1473), Errno.EMSGSIZE, ClauseId.GsoSegmentFitsMtu);
        Expect.Error(Send(sim, 3000, 1473), Errno.EMSGSIZE, ClauseId.GsoSegmentFitsMtu);
        sim.SetIpOptions("s", [1, 1, 1, 1]);
        Expect.Value(Send(sim, 3000, 1468), 3000);
        var refused = Send(sim, 3000, 1469);
        Expect.Error(refused, Errno.EMSGSIZE, ClauseId.GsoSegmentFitsMtu);
        Assert.Empty(refused.Datagrams);
    }

    [Fact]
    public void At_most_128_segments()
    {
        var sim = Linux();
        var most = Send(sim, 1280, 10);
        Expect.Passed(most, ClauseId.GsoMaxSegments);
        Assert.Equal(UdpGsoMaxSegments, sim.Packets(most).Count);
        Expect.Error(Send(sim, 1281, 10), Errno.EINVAL, ClauseId.GsoMaxSegments);
    }

    private const int UdpGsoMaxSegments = 128;

    [Fact]
    public void Before_6_11_a_segment_size_needs_a_device_that_offloads_checksums()
    {
        // udp_gso.needs_offload (linux-6.1): EIO on a plain link, even for one segment; sent where the device offloads.
        var sim = new Sim(Profile.Linux61, Hosts.OnLink());
        sim.Socket();
        Expect.Error(Send(sim, 3000, 1000), Errno.EIO, ClauseId.GsoNeedsOffload);
        Expect.Error(Send(sim, 300, 1000), Errno.EIO, ClauseId.GsoNeedsOffload);
        Assert.Empty(sim.Packets(Send(sim, 300, 1000)));
        Expect.Value(Send(sim, 300, null), 300);
        var offloaded = new Sim(Profile.Linux61, Hosts.OnLink(offload: true));
        offloaded.Socket();
        Expect.Value(Send(offloaded, 3000, 1000), 3000);
        Expect.Passed(Send(offloaded, 300, 1000), ClauseId.GsoNeedsOffload);
        // The newest line segments and checksums itself.
        Expect.Value(Send(Linux(), 3000, 1000), 3000);
    }

    [Fact]
    public void No_segmentation_under_so_no_check_even_for_one_segment()
    {
        var sim = Linux();
        sim.SetInt("s", SolSocket, SoNoCheck, 1);
        Expect.Error(Send(sim, 3000, 1000), Errno.EINVAL, ClauseId.GsoNoCheck);
        Expect.Error(Send(sim, 300, 1000), Errno.EINVAL, ClauseId.GsoNoCheck);
        var plain = Send(sim, 300, null);
        Expect.Value(plain, 300);
        Assert.Equal(0, Sim.Udp(Assert.Single(sim.Packets(plain))).Checksum);
    }

    [Fact]
    public void The_datagram_is_bounded_by_65535_not_by_the_mtu_even_under_pmtudisc_do()
    {
        var sim = Linux();
        sim.SetInt("s", SolIp, IpMtuDiscover, PmtuDo);
        Expect.Error(Send(sim, 1473, null), Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        var largest = Send(sim, 65507, 1472);
        Expect.Value(largest, 65507);
        Expect.Passed(largest, ClauseId.GsoLength);
        var packets = sim.Packets(largest);
        Assert.Equal(45, packets.Count);
        Assert.Equal(767, Sim.Ip(packets[^1]).TotalLength);
        // Unconnected, DF and not to be fragmented: identification 0, and the segments count on from it.
        Assert.Equal(Enumerable.Range(0, 45).Select(i => (ushort)i), packets.Select(p => Sim.Ip(p).Identification));
        Assert.All(packets, p => Assert.True(Sim.Ip(p).DontFragment));
        Expect.Error(Send(sim, 65508, 1472), Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
    }

    [Fact]
    public void A_refused_datagram_has_spent_a_connected_sockets_identification()
    {
        var sim = Linux();
        sim.Connect("s", Hosts.Remote, 9);
        var before = Sim.Ip(Assert.Single(sim.Packets(Send(sim, 100, null, connected: true)))).Identification;
        var segmented = sim.Packets(Send(sim, 3000, 1000, connected: true));
        Assert.Equal(Enumerable.Range(1, 3).Select(i => (ushort)(before + i)), segmented.Select(p => Sim.Ip(p).Identification));
        var refused = Send(sim, 3000, 10, connected: true);
        Expect.Error(refused, Errno.EINVAL, ClauseId.GsoMaxSegments);
        Expect.Passed(refused, ClauseId.GsoIdentSpent);
        // The segmented datagram took before+1 (its segments the next two, unreserved); the refused one before+2.
        Assert.Equal((ushort)(before + 3), Sim.Ip(Assert.Single(sim.Packets(Send(sim, 100, null, connected: true)))).Identification);
    }

    [Fact]
    public void A_corked_datagram_keeps_the_size_of_its_first_piece()
    {
        var sim = Linux();
        var first = Send(sim, 1000, 300, MsgFlags.More);
        Expect.Passed(first, ClauseId.GsoCorkSize);
        Send(sim, 1000, 100, MsgFlags.More);
        var packets = sim.Packets(Send(sim, 1000, null));
        Assert.Equal(10, packets.Count);
        Assert.All(packets, p => Assert.Equal(308, Sim.Udp(p).DatagramLength));
        // Corked without a size: a size on the last piece is not read, and the datagram is fragmented.
        Send(sim, 1000, null, MsgFlags.More);
        var fragments = sim.Packets(Send(sim, 1000, 300));
        Assert.Equal([1500, 548], fragments.Select(p => (int)Sim.Ip(p).TotalLength));
        // The option when the first piece came, not when the datagram leaves.
        sim.SetInt("s", SolUdp, UdpSegment, 400);
        Send(sim, 1000, null, MsgFlags.More);
        sim.SetInt("s", SolUdp, UdpSegment, 0);
        Assert.Equal(5, sim.Packets(Send(sim, 1000, null)).Count);
    }

    [Fact]
    public void On_a_device_that_offloads_checksums_every_segment_holds_the_pseudo_header_sum()
    {
        var sim = Linux(offload: true);
        var outcome = Send(sim, 3000, 1000);
        Expect.Passed(outcome, ClauseId.GsoChecksum);
        Assert.Equal(UdpChecksumMode.PseudoHeaderOnly, Assert.Single(outcome.Datagrams).ChecksumMode);
        var packets = sim.Packets(outcome);
        Assert.All(packets, p => Assert.Equal(Frames.PseudoHeaderSum(Hosts.Local, Hosts.Remote, 1008), Sim.Udp(p).Checksum));
        // Even one segment, and even corked (without a size the corked datagram's would be computed).
        Assert.Equal(UdpChecksumMode.PseudoHeaderOnly, Assert.Single(Send(sim, 99, 100).Datagrams).ChecksumMode);
        Send(sim, 50, 100, MsgFlags.More);
        Assert.Equal(UdpChecksumMode.PseudoHeaderOnly, Assert.Single(Send(sim, 50, null).Datagrams).ChecksumMode);
    }

    [Fact]
    public void Without_the_offload_each_segments_checksum_is_computed()
    {
        var sim = Linux();
        var outcome = Send(sim, 99, 100);
        Expect.Passed(outcome, ClauseId.GsoChecksum);
        Assert.Equal(UdpChecksumMode.Computed, Assert.Single(outcome.Datagrams).ChecksumMode);
    }

    /// <summary>Conformance/cases/udp_gso/segment_fragment_last_room_linux (found by the differential machine, seed 26):
    /// a segment fragmented on output ends with a fragment that may fill the whole room after the header.</summary>
    [Fact]
    [Trait("clause", "udp_gso.segments")]
    public void The_last_fragment_of_a_segment_may_fill_the_whole_room()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        sim.SetInt("s", SolUdp, UdpSegment, 1472);
        Expect.Value(sim.SendTo("s", 2563, Hosts.Remote, flags: MsgFlags.More), 2563);
        sim.Run(new HostChangeOp("tun0", Mtu: 576));
        var send = sim.SendTo("s", 8, Hosts.Remote);
        Assert.Equal(new[] { 572, 572, 396, 572, 575 }, sim.Packets(send).Select(p => p.Length).ToArray());
    }
}
