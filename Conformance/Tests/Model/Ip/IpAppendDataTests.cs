using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Ip;

/// <summary>ip_append_data: cork set-up, fragment sizes, offloads and layout (pp. 51-61, L771-1044, L677-692).</summary>
public class IpAppendDataTests
{
    private static int[] Payloads(Sim sim, Outcome outcome) =>
        sim.Packets(outcome).Select(p => Frames.IpPayload(p).Length).ToArray();

    [Theory]
    [InlineData("spec")]
    [InlineData("linux")]
    [Trait("clause", "ip_generic_getfrag.checksum")]
    public void An_empty_datagram_copies_nothing_so_getfrag_is_never_called(string profile)
    {
        // L1003-1005: "if (copy > 0 && getfrag(...) < 0)": the header alone fills the buffer, nothing is copied.
        var sim = Sim.WithSocket(Profile.Find(profile)!);
        var empty = sim.SendTo("s", 0, Hosts.Remote);
        Expect.Value(empty, 0, ClauseId.UdpResult);
        Expect.NotPassed(empty, ClauseId.GetfragChecksum);
        Assert.Equal(8, Frames.IpPayload(Assert.Single(sim.Packets(empty))).Length);
        Expect.Passed(sim.SendTo("s", 1, Hosts.Remote), ClauseId.GetfragChecksum);
    }

    [Fact]
    [Trait("clause", "ip_append_data.probe")]
    public void Msg_probe_appends_nothing()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var probe = sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.Probe);
        Expect.Value(probe, 100, ClauseId.UdpResult);
        Expect.Passed(probe, ClauseId.AppendProbe);
        Expect.Passed(probe, ClauseId.PushEmpty); // L791-792: the queue stays empty, so the push finds nothing
        Assert.Empty(probe.Datagrams);

        // In the middle of a corked datagram the probe's bytes are not part of it.
        var a = Frames.Bytes(10, 1);
        var b = Frames.Bytes(5, 2);
        sim.Send("s", a, MsgFlags.More);
        Expect.Passed(sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.Probe | MsgFlags.More), ClauseId.AppendProbe);
        var packet = Assert.Single(sim.Packets(sim.Send("s", b)));
        Assert.Equal(20 + 8 + 15, Sim.Ip(packet).TotalLength);
        Assert.Equal([.. a, .. b], Frames.IpPayload(packet)[8..]);
    }

    [Fact]
    [Trait("clause", "ip_append_data.cork_init")]
    public void Options_are_taken_from_the_first_append_for_the_whole_datagram()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.SetIpOptions("s", Frames.RouterAlert), 0);
        var first = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.More);
        Expect.Passed(first, ClauseId.CorkInit);
        // L799-807 copies the options into the cork; L821-822 uses the cork's for later appends.
        Expect.Value(sim.Run(new SetSockOptOp(Fd.Named("s"), SolIp, IpOptions, null, 0)), 0);
        var last = sim.SendTo("s", 10, Hosts.Remote);
        Expect.NotPassed(last, ClauseId.CorkInit);
        var packet = Assert.Single(sim.Packets(last));
        Assert.Equal(0x46, packet[0]);
        Assert.Equal(Frames.RouterAlert, Sim.Ip(packet).Options.ToArray());

        // And the other way round: options set mid-datagram do not apply to it.
        sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.More);
        sim.SetIpOptions("s", Frames.RouterAlert);
        Assert.Equal(0x45, Assert.Single(sim.Packets(sim.SendTo("s", 10, Hosts.Remote)))[0]);
    }

    [Fact]
    [Trait("clause", "ip_append_data.cork_init")]
    [Trait("clause", "ip_append_data.fraglen")]
    public void The_route_mtu_not_the_device_mtu_sizes_the_fragments()
    {
        // L810: cork.fragsize = dst_mtu(path): a route MTU of 1006 on a 1500-byte device.
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(mtu: 1500, routeMtu: 1006));
        Assert.Equal([984, 984, 40], Payloads(sim, sim.SendTo("s", 2000, Hosts.Remote)));
    }

    [Theory]
    [InlineData(978, new[] { 986 })]
    [InlineData(979, new[] { 984, 3 })]
    [InlineData(2000, new[] { 984, 984, 40 })]
    [Trait("clause", "ip_append_data.fraglen")]
    public void Mtu_1006_gives_maxfraglen_1004(int length, int[] payloads)
    {
        // L830-831: fragheaderlen 20, maxfraglen ((1006 - 20) & ~7) + 20 = 1004: 984 bytes of payload per fragment;
        // a datagram of exactly 1006 bytes is not fragmented (L872-874: the MTU bounds the last piece).
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(mtu: 1006));
        var outcome = sim.SendTo("s", length, Hosts.Remote);
        Expect.Passed(outcome, ClauseId.FragLen);
        Assert.Equal(payloads, Payloads(sim, outcome));
    }

    [Fact]
    [Trait("clause", "ip_append_data.fraglen")]
    [Trait("clause", "ip_push.options")]
    public void Four_bytes_of_options_give_maxfraglen_1000_at_mtu_1006()
    {
        // fragheaderlen 24, maxfraglen ((1006 - 24) & ~7) + 24 = 1000: 976 bytes of payload per fragment.
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(mtu: 1006));
        sim.SetIpOptions("s", Frames.RouterAlert);
        var outcome = sim.SendTo("s", 2000, Hosts.Remote);
        Assert.Equal([976, 976, 56], Payloads(sim, outcome));
        Assert.Equal([1000, 1000, 80], sim.Packets(outcome).Select(p => (int)Sim.Ip(p).TotalLength));
        Assert.All(sim.Packets(outcome), p => Assert.Equal(0x46, p[0]));
    }

    [Fact]
    [Trait("clause", "ip_append_data.hw_checksum")]
    [Trait("clause", "udp_push.checksum_offload")]
    public void Hardware_checksum_needs_the_first_piece_to_fit_the_mtu()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(offload: true));
        // L842-846: 1472 + 8 + 20 = 1500 <= mtu: CHECKSUM_HW, the field keeps the pseudo-header sum.
        var fits = sim.SendTo("s", 1472, Hosts.Remote);
        Expect.Passed(fits, ClauseId.HwChecksum);
        Assert.Equal(Frames.PseudoHeaderSum(Hosts.Local, Hosts.Remote, 1480), Sim.Udp(Assert.Single(sim.Packets(fits))).Checksum);

        // One byte more: no hardware checksum, the full sum over both fragments.
        var over = sim.SendTo("s", 1473, Hosts.Remote);
        Expect.NotPassed(over, ClauseId.HwChecksum);
        var packets = sim.Packets(over);
        Assert.Equal(2, packets.Count);
        Assert.Equal(Frames.UdpChecksum(Hosts.Local, Hosts.Remote, 1481, Frames.Reassemble(packets)), Sim.Udp(packets[0]).Checksum);
    }

    [Fact]
    [Trait("clause", "ip_append_data.hw_checksum")]
    public void Without_offload_the_checksum_is_always_computed()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(offload: false));
        var outcome = sim.SendTo("s", 100, Hosts.Remote);
        Expect.NotPassed(outcome, ClauseId.HwChecksum);
        var packet = Assert.Single(sim.Packets(outcome));
        Assert.Equal(Frames.UdpChecksum(Hosts.Local, Hosts.Remote, 108, Frames.IpPayload(packet)), Sim.Udp(packet).Checksum);
    }

    [Fact]
    [Trait("clause", "ip_append_data.ufo")]
    public void Spec_ufo_hands_a_datagram_above_the_mtu_over_whole()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(offload: true, ufo: true));
        var data = Frames.Bytes(3000, 6);
        var outcome = sim.Send("s", data);
        Expect.Passed(outcome, ClauseId.Ufo);
        var datagram = Assert.Single(outcome.Datagrams);
        // L848-858: one skb for the device to cut; gso_size = mtu - fragheaderlen (L852-854 pass the MTU).
        Assert.Equal(1480, datagram.GsoSize);
        Assert.Equal([3008], datagram.FragmentPayloads);
        var packet = Assert.Single(sim.Packets(outcome));
        Assert.Equal(3028, Sim.Ip(packet).TotalLength);
        Assert.False(Sim.Ip(packet).DontFragment); // L1234: larger than the route MTU
        Assert.Equal(data, Frames.IpPayload(packet)[8..]);
    }

    [Fact]
    [Trait("clause", "ip_append_data.ufo")]
    public void Spec_ufo_gso_size_is_the_mtu_less_the_header_even_off_a_multiple_of_8()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(mtu: 1006, offload: true, ufo: true));
        var outcome = sim.SendTo("s", 3000, Hosts.Remote);
        Assert.Equal(986, Assert.Single(outcome.Datagrams).GsoSize);
    }

    [Fact]
    [Trait("clause", "ip_append_data.ufo")]
    public void Spec_ufo_compares_the_udp_length_not_the_ip_length_with_the_mtu()
    {
        // L849: length is the UDP length (1488 <= 1500), so UFO is not used although 1508 bytes of IP datagram
        // exceed the MTU: software fragments.
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(offload: true, ufo: true));
        var outcome = sim.SendTo("s", 1480, Hosts.Remote);
        Expect.NotPassed(outcome, ClauseId.Ufo);
        Assert.Null(Assert.Single(outcome.Datagrams).GsoSize);
        Assert.Equal([1480, 8], Payloads(sim, outcome));
    }

    [Fact]
    [Trait("clause", "ip_append_data.ufo")]
    public void Spec_ufo_two_pieces_over_the_mtu_join_one_buffer_handed_over_whole()
    {
        // UFO mixed with the normal path in one datagram is not modeled (UnmodeledReasonTests).
        var twoLong = Sim.WithSocket(Profile.Spec, Hosts.OnLink(offload: true, ufo: true));
        Expect.Passed(twoLong.SendTo("s", 3000, Hosts.Remote, flags: MsgFlags.More), ClauseId.Ufo);
        var second = twoLong.SendTo("s", 2000, Hosts.Remote);
        Expect.Passed(second, ClauseId.Ufo);
        Assert.Equal([5008], Assert.Single(second.Datagrams).FragmentPayloads);
        Assert.Equal(5028, Sim.Ip(Assert.Single(twoLong.Packets(second))).TotalLength);
    }

    [Fact]
    [Trait("clause", "ip_append_data.ufo")]
    public void Linux_ignores_ufo_and_fragments_in_software()
    {
        // Profile.Linux.SupportsUfo = false.
        var sim = Sim.WithSocket(Profile.Linux, Hosts.OnLink(offload: true, ufo: true));
        var outcome = sim.SendTo("s", 3000, Hosts.Remote);
        Expect.NotPassed(outcome, ClauseId.Ufo);
        Assert.Equal([1480, 1480, 48], Payloads(sim, outcome));
    }

    [Fact]
    [Trait("clause", "ip_append_data.fragment_layout")]
    public void Fragments_carry_multiples_of_8_and_reassemble_to_the_datagram()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var data = Frames.Bytes(5000, 7);
        var outcome = sim.Send("s", data);
        Expect.Passed(outcome, ClauseId.FragmentLayout);
        var packets = sim.Packets(outcome);
        Assert.Equal([1480, 1480, 1480, 568], packets.Select(p => Frames.IpPayload(p).Length));
        Assert.Equal([0, 1480, 2960, 4440], packets.Select(p => (int)Sim.Ip(p).FragmentOffsetBytes));
        var transport = Frames.Reassemble(packets);
        Assert.Equal(data, transport[8..]);
        Assert.Equal(5008, Sim.Udp(packets[0]).DatagramLength);
        Assert.Equal(Frames.UdpChecksum(Hosts.Local, Hosts.Remote, 5008, transport), Sim.Udp(packets[0]).Checksum);
        Assert.All(packets, p => Assert.True(Frames.HeaderChecksumValid(p)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [Trait("clause", "ip_append_data.fragment_layout")]
    public void A_corked_append_past_maxfraglen_moves_the_overhang_to_a_new_fragment(bool sg)
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(mtu: 1006, sg: sg));
        var a = Frames.Bytes(977, 8);
        // 20 + 8 + 977 = 1005: fits the MTU (L872-873), one byte past maxfraglen 1004.
        sim.Send("s", a, MsgFlags.More);
        var alone = sim.Send("s", []);
        Assert.Equal([985], Payloads(sim, alone));

        // The next append does not fit: L885 fraggap = 1005 - 1004 = 1 byte moves on (L944-952), so the first
        // fragment carries 984 bytes, a multiple of 8.
        var b = Frames.Bytes(100, 9);
        sim.Send("s", a, MsgFlags.More);
        var outcome = sim.Send("s", b);
        var packets = sim.Packets(outcome);
        Assert.Equal([984, 101], packets.Select(p => Frames.IpPayload(p).Length));
        var transport = Frames.Reassemble(packets);
        Assert.Equal([.. a, .. b], transport[8..]);
        Assert.Equal(Frames.UdpChecksum(Hosts.Local, Hosts.Remote, 1085, transport), Sim.Udp(packets[0]).Checksum);
    }

    [Theory]
    [InlineData(new[] { 977, 100 })]
    [InlineData(new[] { 1, 983, 2, 5000 })]
    [InlineData(new[] { 500, 500, 500, 500, 500 })]
    [InlineData(new[] { 7, 13, 2021, 3, 999, 1, 1 })]
    [Trait("clause", "ip_append_data.fragment_layout")]
    [Trait("clause", "ip_generic_getfrag.checksum")]
    public void Every_fragment_but_the_last_carries_a_multiple_of_8(int[] pieces)
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(mtu: 1006));
        var data = Frames.Bytes(pieces.Sum(), pieces.Length);
        var at = 0;
        Outcome last = null!;
        foreach (var piece in pieces)
        {
            last = sim.Send("s", data[at..(at + piece)], at + piece < data.Length ? MsgFlags.More : MsgFlags.None);
            at += piece;
        }
        var packets = sim.Packets(last);
        var payloads = packets.Select(p => Frames.IpPayload(p).Length).ToArray();
        Assert.All(payloads[..^1], n => Assert.Equal(984, n)); // maxfraglen 1004 less 20
        Assert.InRange(payloads[^1], 1, 986);
        var transport = Frames.Reassemble(packets);
        Assert.Equal(data, transport[8..]);
        Assert.Equal(Frames.UdpChecksum(Hosts.Local, Hosts.Remote, 8 + data.Length, transport), Sim.Udp(packets[0]).Checksum);
    }

    [Fact]
    [Trait("clause", "ip_generic_getfrag.checksum")]
    public void Gathered_blocks_of_odd_length_sum_as_one_block()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(mtu: 1006));
        var data = Frames.Bytes(3 + 5 + 7 + 1001 + 2, 10);
        int[] sizes = [3, 5, 7, 1001, 2];
        var iov = new List<UserBuffer>();
        var at = 0;
        foreach (var size in sizes)
        {
            iov.Add(UserBuffer.Of(data[at..(at + size)]));
            at += size;
        }
        var outcome = sim.SendMsg("s", Hosts.Remote, iov);
        Expect.Value(outcome, data.Length, ClauseId.UdpResult);
        Expect.Passed(outcome, ClauseId.GetfragChecksum);
        var packets = sim.Packets(outcome);
        Assert.Equal(2, packets.Count);
        // L687-689: csum_block_add with the odd offset keeps byte order right across block and fragment edges.
        var transport = Frames.Reassemble(packets);
        Assert.Equal(data, transport[8..]);
        Assert.Equal(Frames.UdpChecksum(Hosts.Local, Hosts.Remote, 8 + data.Length, transport), Sim.Udp(packets[0]).Checksum);
        // The same data in one block: the same UDP bytes (the IP identification differs: fragments take the
        // destination's counter).
        Assert.Equal(transport, Frames.Reassemble(sim.Packets(sim.Send("s", data))));
    }

    /// <summary>Conformance/cases/ip_append_data/sndbuf_fragment_charge_linux (found by the differential machine): a
    /// page fragment is charged by the bytes copied now, by a whole page in 2.6, so the same append succeeds under the
    /// minimum send buffer only in the current profile.</summary>
    [Fact]
    [Trait("clause", "ip_append_data.sndbuf")]
    public void A_page_fragment_is_charged_by_its_bytes_now_and_by_a_page_in_2_6()
    {
        Outcome Append(Profile profile)
        {
            var sim = Sim.WithSocket(profile);
            Expect.Value(sim.Connect("s", Hosts.OnLinkPeer, 53), 0);
            sim.Run(new HostChangeOp("tun0", Mtu: 576));
            Expect.Value(sim.SendTo("s", 2078, null, flags: MsgFlags.More), 2078);
            sim.SetInt("s", SolSocket, 7, 0);
            return sim.SendMsg("s", null, [UserBuffer.Of(new byte[456]), UserBuffer.Of(new byte[456]), UserBuffer.Of(new byte[456])]);
        }
        var current = Append(Profile.Linux);
        Expect.Value(current, 1368);
        Assert.Equal(7, current.Datagrams.Sum(d => d.PacketCount));
        Expect.Error(Append(Profile.Spec), Errno.ENOBUFS, ClauseId.Sndbuf);
    }

    [Fact]
    [Trait("clause", "ip_route.pmtu_learned_from_self")]
    public void A_piece_for_a_pending_datagram_whose_path_went_stale_is_unmodeled_at_once()
    {
        // The route of a pending datagram is the cork's (udp_sendmsg looks none up for it): when the path MTU this
        // host taught itself outlives a change of the link MTU, the next piece is where the model stops following.
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.SetInt("s", SolIp, IpMtuDiscover, 2), 0);
        Expect.Value(sim.SendTo("s", 1400, Hosts.Remote, flags: MsgFlags.More), 1400);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Mtu: 1006)), 0);
        Expect.Error(sim.SendTo("s", 10, null), Errno.EMSGSIZE, ClauseId.LocalFragment);
        sim.Socket("c");
        Expect.Value(sim.SendTo("c", 100, Hosts.Remote, flags: MsgFlags.More), 100);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Mtu: 1500)), 0);
        var piece = sim.SendTo("c", 10, null, flags: MsgFlags.More);
        Assert.Equal(OutcomeKind.Unmodeled, piece.Kind);
        Assert.Equal(ClauseId.PmtuLearnedFromSelf, piece.Clause);
    }
}
