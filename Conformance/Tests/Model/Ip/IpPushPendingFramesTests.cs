using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Ip;

/// <summary>ip_push_pending_frames: the IP header and the hand-over to netfilter (pp. 44-48, L1192-1289), and
/// ip_select_ident.</summary>
public class IpPushPendingFramesTests
{
    [Fact]
    [Trait("clause", "ip_push.coalesce")]
    public void Corked_pieces_become_one_ip_datagram()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.More);
        sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.More);
        var last = sim.SendTo("s", 100, Hosts.Remote);
        Expect.Passed(last, ClauseId.Coalesce);
        Assert.Equal(8 + 300, Assert.Single(last.Datagrams).TransportLength);
        var packet = Assert.Single(sim.Packets(last));
        Assert.Equal(20 + 8 + 300, Sim.Ip(packet).TotalLength);
        Assert.False(Sim.Ip(packet).MoreFragments);
    }

    [Fact]
    [Trait("clause", "ip_push.coalesce")]
    public void Corked_pieces_over_the_mtu_become_one_datagram_in_fragments()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var data = Frames.Bytes(3000, 4);
        sim.Send("s", data[..1000], MsgFlags.More);
        sim.Send("s", data[1000..2000], MsgFlags.More);
        var last = sim.Send("s", data[2000..]);
        var datagram = Assert.Single(last.Datagrams);
        Assert.Equal(new[] { 1480, 1480, 48 }, datagram.FragmentPayloads);
        var transport = Frames.Reassemble(sim.Packets(last));
        Assert.Equal(data, transport[8..]);
    }

    [Fact]
    [Trait("clause", "ip_push.local_fragment")]
    [Trait("clause", "ip_push.outdiscards")]
    public void Spec_pmtudisc_do_refuses_to_fragment_a_datagram_above_the_mtu()
    {
        var sim = Sim.WithSocket(Profile.Spec, pmtu: PmtuDo);
        // L1227-1228: local_df stays 0 under IP_PMTUDISC_DO; the datagram is built and cannot leave.
        var outcome = sim.SendTo("s", 2000, Hosts.Remote);
        Expect.Error(outcome, Errno.EMSGSIZE, ClauseId.LocalFragment);
        Assert.Empty(outcome.Datagrams);
        Assert.Equal(new CounterDelta(0, 1, 0, 0), outcome.Counters); // L1286-1288
        // At the MTU exactly it leaves whole.
        var fits = sim.SendTo("s", 1472, Hosts.Remote);
        Expect.Value(fits, 1472);
        Assert.Equal(1500, Sim.Ip(Assert.Single(sim.Packets(fits))).TotalLength);
    }

    [Theory]
    [InlineData(PmtuWant)]
    [InlineData(PmtuDont)]
    [Trait("clause", "ip_push.local_fragment")]
    public void Spec_other_modes_fragment_locally(int mode)
    {
        var sim = Sim.WithSocket(Profile.Spec, pmtu: mode);
        var outcome = sim.SendTo("s", 2000, Hosts.Remote);
        Expect.Value(outcome, 2000, ClauseId.UdpResult);
        Expect.Passed(outcome, ClauseId.LocalFragment);
        var packets = sim.Packets(outcome);
        Assert.Equal(new[] { 1500, 548 }, packets.Select(p => (int)Sim.Ip(p).TotalLength));
        Assert.All(packets, p => Assert.False(Sim.Ip(p).DontFragment));
    }

    [Fact]
    [Trait("clause", "ip_push.local_fragment")]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    public void Linux_pmtudisc_do_refuses_the_datagram_at_append_time()
    {
        // Profile.Linux.StrictPmtuAtAppend: the bound is the MTU, checked before anything is queued; no OutDiscard.
        var sim = Sim.WithSocket(Profile.Linux, pmtu: PmtuDo);
        var outcome = sim.SendTo("s", 1473, Hosts.Remote);
        Expect.Error(outcome, Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        Expect.NotPassed(outcome, ClauseId.LocalFragment);
        Assert.True(outcome.Counters.IsZero);
        Assert.True(Sim.Ip(Assert.Single(sim.Packets(sim.SendTo("s", 1472, Hosts.Remote)))).DontFragment);
    }

    [Theory]
    [InlineData(PmtuDo, false, 100, true)]
    [InlineData(PmtuDo, true, 100, true)]
    [InlineData(PmtuWant, false, 100, true)]
    [InlineData(PmtuWant, false, 1472, true)]
    [InlineData(PmtuWant, true, 100, false)]
    [InlineData(PmtuDont, false, 100, false)]
    [InlineData(PmtuWant, false, 1473, false)]
    [InlineData(PmtuDont, false, 3000, false)]
    [Trait("clause", "ip_push.df")]
    public void Spec_df_follows_the_discovery_mode_the_route_and_the_size(int mode, bool mtuLocked, int length, bool df)
    {
        // L1233-1236 with ip_dont_fragment: DO, or WANT on a route whose MTU is not locked when the datagram fits.
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(routeMtu: 1500, mtuLocked: mtuLocked), mode);
        var outcome = sim.SendTo("s", length, Hosts.Remote);
        Expect.Passed(outcome, ClauseId.Df);
        var packets = sim.Packets(outcome);
        Assert.Equal(length + 28 > 1500 ? (length + 8 + 1479) / 1480 : 1, packets.Count);
        Assert.All(packets, p => Assert.Equal(df, Sim.Ip(p).DontFragment));
    }

    [Theory]
    [InlineData(PmtuProbe, true)]
    [InlineData(PmtuInterface, false)]
    [Trait("clause", "ip_push.df")]
    public void Linux_probe_sets_df_even_on_a_locked_route_and_interface_never_does(int mode, bool df)
    {
        var sim = Sim.WithSocket(Profile.Linux, Hosts.OnLink(routeMtu: 1500, mtuLocked: true), mode);
        Assert.Equal(df, Sim.Ip(Assert.Single(sim.Packets(sim.SendTo("s", 100, Hosts.Remote)))).DontFragment);
    }

    [Fact]
    [Trait("clause", "ip_push.options")]
    [Trait("clause", "ip_push.header_checksum")]
    public void Options_lengthen_every_header_and_later_fragments_keep_only_copied_ones()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.SetIpOptions("s", Frames.RecordRouteAndRouterAlert), 0);
        var data = Frames.Bytes(3000, 5);
        var outcome = sim.Send("s", data);
        Expect.Passed(outcome, ClauseId.IpOptions);
        var packets = sim.Packets(outcome);
        // fragheaderlen 32: maxfraglen ((1500 - 32) & ~7) + 32 = 1496 (L830-831).
        Assert.Equal(new[] { 1496, 1496, 112 }, packets.Select(p => (int)Sim.Ip(p).TotalLength));
        Assert.All(packets, p => Assert.Equal(0x48, p[0])); // L1250: ihl 5 + 12/4
        // Record route (not copied) holds our address in its first slot, pointer advanced; router alert kept.
        Assert.Equal(new byte[] { 7, 7, 8, 192, 0, 2, 1, 148, 4, 0, 0, 0 }, Sim.Ip(packets[0]).Options.ToArray());
        foreach (var later in packets.Skip(1))
            Assert.Equal(new byte[] { 1, 1, 1, 1, 1, 1, 1, 148, 4, 0, 0, 0 }, Sim.Ip(later).Options.ToArray());
        Assert.All(packets, p => Assert.True(Frames.HeaderChecksumValid(p)));
        Assert.Equal(data, Frames.Reassemble(packets)[8..]);
    }

    [Theory]
    [InlineData(null, null, 64)]
    [InlineData(7, null, 7)]
    [InlineData(null, (byte)33, 33)]
    [InlineData(7, (byte)33, 7)]
    [Trait("clause", "ip_push.ttl")]
    public void Unicast_ttl_is_ip_ttl_else_the_routes_hop_limit_else_64(int? ipTtl, byte? hopLimit, int expected)
    {
        // L1244: ip_select_ttl: inet->uc_ttl, else the route's hoplimit metric (ip_default_ttl unless set).
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(hopLimit: hopLimit));
        if (ipTtl is { } ttl) Expect.Value(sim.SetInt("s", SolIp, IpTtl, ttl), 0);
        var outcome = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Passed(outcome, ClauseId.Ttl);
        Assert.Equal(expected, Sim.Ip(Assert.Single(sim.Packets(outcome))).Ttl);
    }

    [Theory]
    [InlineData(null, 1)]
    [InlineData(5, 5)]
    [Trait("clause", "ip_push.ttl")]
    public void Multicast_ttl_is_the_multicast_ttl_whatever_ip_ttl_says(int? multicastTtl, int expected)
    {
        var sim = Sim.WithSocket(Profile.Spec, HostConfig.Default);
        Expect.Value(sim.SetInt("s", SolIp, IpTtl, 9), 0);
        if (multicastTtl is { } ttl) Expect.Value(sim.SetInt("s", SolIp, IpMulticastTtl, ttl), 0);
        // L1241-1242: RTN_MULTICAST takes inet->mc_ttl (1 by default).
        var outcome = sim.SendTo("s", 10, Ipv4Address.Parse("239.1.2.3"));
        Assert.Equal(expected, Sim.Ip(Assert.Single(sim.Packets(outcome))).Ttl);
    }

    [Fact]
    [Trait("clause", "ip_push.header")]
    [Trait("clause", "ip_push.header_checksum")]
    public void The_header_fields_are_version_ihl_tos_length_protocol_and_route_addresses()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.SetInt("s", SolIp, IpTos, 0x10), 0);
        var outcome = sim.SendTo("s", 100, Hosts.Remote);
        Expect.Passed(outcome, ClauseId.IpHeader);
        Expect.Passed(outcome, ClauseId.HeaderChecksum);
        var packet = Assert.Single(sim.Packets(outcome));
        Assert.Equal(0x45, packet[0]);                       // L1247-1248
        Assert.Equal(0x10, packet[1]);                       // L1253
        Assert.Equal(new byte[] { 0, 128 }, packet[2..4]);   // L1254
        Assert.Equal(new byte[] { 0x40, 0 }, packet[6..8]);  // L1255: DF, offset 0
        Assert.Equal(64, packet[8]);                         // L1257
        Assert.Equal(17, packet[9]);                         // L1258
        Assert.Equal(new byte[] { 192, 0, 2, 1, 198, 51, 100, 7 }, packet[12..20]); // L1259-1260
        // L1261, L88-93: the header's words sum to 0xFFFF.
        Assert.True(Frames.HeaderChecksumValid(packet));
        Assert.Equal(Sim.Ip(packet).ComputeChecksum(), Sim.Ip(packet).HeaderChecksum);
    }

    [Theory]
    [InlineData("spec")]
    [InlineData("linux")]
    [Trait("clause", "ip_push.netfilter")]
    [Trait("clause", "ip_push.outdiscards")]
    public void A_netfilter_drop_fails_the_send_with_eperm(string profile)
    {
        var sim = Sim.WithSocket(Profile.Find(profile)!, Hosts.OnLink(drops: [new OutputDropRule(Hosts.Remote, 32, 9)]));
        var outcome = sim.SendTo("s", 100, Hosts.Remote, 9);
        Expect.Error(outcome, Errno.EPERM, ClauseId.Netfilter);
        Assert.Empty(outcome.Datagrams);
        Assert.Equal(new CounterDelta(0, 1, 0, 0), outcome.Counters);
        // The rule names port 9 only.
        Expect.Value(sim.SendTo("s", 100, Hosts.Remote, 10), 100);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [Trait("clause", "ip_push.netfilter")]
    [Trait("clause", "ip_push.outdiscards")]
    public void Spec_a_full_device_queue_is_an_error_only_with_ip_recverr(bool recverr)
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLink(queueFull: true));
        if (recverr) sim.SetInt("s", SolIp, IpRecvErr, 1);
        var outcome = sim.SendTo("s", 100, Hosts.Remote);
        Assert.Empty(outcome.Datagrams);
        // L1269-1273: a positive status becomes net_xmit_errno (ENOBUFS) only under inet->recverr.
        if (recverr)
        {
            Expect.Error(outcome, Errno.ENOBUFS, ClauseId.Netfilter);
            Assert.Equal(new CounterDelta(0, 1, 0, 0), outcome.Counters);
        }
        else
        {
            Expect.Value(outcome, 100, ClauseId.UdpResult);
            Assert.Equal(new CounterDelta(1, 0, 0, 0), outcome.Counters);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [Trait("clause", "ip_push.netfilter")]
    [Trait("clause", "ip_push.outdiscards")]
    public void Linux_a_full_device_queue_always_counts_a_discard_and_a_sndbuf_error(bool recverr)
    {
        // Profile.Linux.QueueDropAlwaysDiscards and CountsSndbufErrors; nothing was sent, so no OutDatagram.
        var sim = Sim.WithSocket(Profile.Linux, Hosts.OnLink(queueFull: true));
        if (recverr) sim.SetInt("s", SolIp, IpRecvErr, 1);
        var outcome = sim.SendTo("s", 100, Hosts.Remote);
        Assert.Empty(outcome.Datagrams);
        if (recverr) Expect.Error(outcome, Errno.ENOBUFS, ClauseId.Netfilter);
        else Expect.Value(outcome, 100, ClauseId.UdpResult);
        Assert.Equal(new CounterDelta(0, 1, 1, 0), outcome.Counters);
    }

    [Fact]
    [Trait("clause", "ip_push.outdiscards")]
    public void A_successful_push_counts_no_discard()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var outcome = sim.SendTo("s", 3000, Hosts.Remote);
        Expect.NotPassed(outcome, ClauseId.OutDiscards);
        Assert.Equal(new CounterDelta(1, 0, 0, 0), outcome.Counters);
    }

    // ip_select_ident (called at L1256; 2.6: a DF datagram takes the connected socket's counter, or 0 when
    // unconnected; any other datagram the destination's counter).

    [Fact]
    [Trait("clause", "ip_push.header")]
    public void Spec_an_unconnected_df_datagram_has_identification_0()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var a = sim.SendTo("s", 10, Hosts.Remote);
        var b = sim.SendTo("s", 10, Hosts.Remote);
        foreach (var seed in new[] { 1, 2 })
            foreach (var outcome in new[] { a, b })
            {
                var ip = Sim.Ip(Assert.Single(sim.Packets(outcome, seed)));
                Assert.True(ip.DontFragment);
                Assert.Equal(0, ip.Identification);
            }
    }

    [Theory]
    [InlineData("spec", PmtuWant)]
    [InlineData("spec", PmtuDont)]
    [InlineData("linux", PmtuWant)]
    [InlineData("linux", PmtuDont)]
    [Trait("clause", "ip_push.header")]
    public void A_connected_socket_numbers_its_datagrams_consecutively(string profile, int mode)
    {
        var sim = Sim.WithSocket(Profile.Find(profile)!, pmtu: mode);
        Expect.Value(sim.Connect("s", Hosts.Remote, 9), 0);
        var a = sim.SendTo("s", 10, to: null);
        var b = sim.SendTo("s", 10, to: null);
        Assert.NotNull(a.Datagrams[0].Ident.Symbol);
        foreach (var seed in new[] { 1, 2 })
        {
            var first = Sim.Ip(Assert.Single(sim.Packets(a, seed))).Identification;
            var second = Sim.Ip(Assert.Single(sim.Packets(b, seed))).Identification;
            Assert.Equal((ushort)(first + 1), second);
        }
    }

    [Theory]
    [InlineData("spec")]
    [InlineData("linux")]
    [Trait("clause", "ip_push.header")]
    [Trait("clause", "ip_append_data.fragment_layout")]
    public void The_fragments_of_a_datagram_share_one_identification(string profile)
    {
        var sim = Sim.WithSocket(Profile.Find(profile)!);
        var outcome = sim.SendTo("s", 5000, Hosts.Remote);
        foreach (var seed in new[] { 1, 2 })
        {
            var ids = sim.Packets(outcome, seed).Select(p => Sim.Ip(p).Identification).ToList();
            Assert.Equal(4, ids.Count);
            Assert.Single(ids.Distinct());
        }
    }

    [Fact]
    [Trait("clause", "ip_push.header")]
    public void Spec_fragmented_datagrams_to_one_destination_step_its_counter()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var a = sim.SendTo("s", 3000, Hosts.Remote);
        var b = sim.SendTo("s", 3000, Hosts.Remote);
        foreach (var seed in new[] { 1, 2 })
            Assert.Equal((ushort)(Sim.Ip(sim.Packets(a, seed)[0]).Identification + 1), Sim.Ip(sim.Packets(b, seed)[0]).Identification);
    }

    [Theory]
    [InlineData(PmtuDo, true)]
    [InlineData(PmtuProbe, true)]
    [InlineData(PmtuWant, false)]
    [Trait("clause", "ip_push.header")]
    public void Linux_an_unconnected_datagram_gets_0_only_when_df_may_not_be_ignored(int mode, bool zero)
    {
        // IdentPolicy.Modern: DF that local fragmentation may not ignore (DO, PROBE) gives 0; WANT sets DF but
        // ignores it, so the hashed generator chooses.
        var sim = Sim.WithSocket(Profile.Linux, pmtu: mode);
        var outcome = sim.SendTo("s", 10, Hosts.Remote);
        Assert.True(Sim.Ip(Assert.Single(sim.Packets(outcome))).DontFragment);
        var ident = outcome.Datagrams[0].Ident;
        if (zero)
        {
            Assert.Null(ident.Symbol);
            Assert.Equal(0, ident.Constant);
        }
        else
        {
            Assert.Equal(SymbolKind.IdentFree, sim.Model.Symbols.Single(s => s.Name == ident.Symbol).Kind);
        }
    }

    /// <summary>A DO datagram pending when the link MTU falls is EMSGSIZE at the push, with an ICMP "fragmentation
    /// needed" to this host. Whether udp_err heard it decides whether the route learned the MTU: if it did, the path is
    /// past what the model follows once the MTU changes again, and the next send to it is unmodeled.</summary>
    private static OutcomeKind AfterLocalFragment(Action<Sim> setup, Ipv4Address destination)
    {
        var sim = Sim.WithSocket(Profile.Linux);
        setup(sim);
        Expect.Value(sim.SetInt("s", SolIp, IpMtuDiscover, 2), 0);
        Expect.Value(sim.SendTo("s", 1400, destination, flags: MsgFlags.More), 1400);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Mtu: 1006)), 0);
        Expect.Error(sim.SendTo("s", 10, null), Errno.EMSGSIZE, ClauseId.LocalFragment);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Mtu: 1500)), 0);
        sim.Socket("c");
        return sim.SendTo("c", 100, destination).Kind;
    }

    [Fact]
    [Trait("clause", "ip_route.pmtu_learned_from_self")]
    public void The_route_learns_the_mtu_only_when_udp_err_hears_the_icmp()
    {
        var group = Ipv4Address.Parse("239.1.2.3");
        // Heard: unconnected, or under IP_RECVERR.
        Assert.Equal(OutcomeKind.Unmodeled, AfterLocalFragment(_ => { }, Hosts.Remote));
        Assert.Equal(OutcomeKind.Unmodeled, AfterLocalFragment(s => s.SetInt("s", SolIp, IpRecvErr, 1), Hosts.Remote));
        // Not heard: connected to another peer, bound to a device (the ICMP comes through lo), or about a group.
        Assert.Equal(OutcomeKind.Value, AfterLocalFragment(s => s.Connect("s", Ipv4Address.Parse("198.51.100.8"), 9), Hosts.Remote));
        Assert.Equal(OutcomeKind.Value, AfterLocalFragment(s => s.SetInt("s", SolSocket, SoBindToIfindex, 2), Hosts.Remote));
        Assert.Equal(OutcomeKind.Value, AfterLocalFragment(_ => { }, group));
    }

    [Fact]
    [Trait("clause", "udp_gso.single")]
    public void A_gso_datagram_of_one_segment_up_to_the_mtu_goes_as_one_and_a_plain_one_is_no_gso_datagram()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.SetInt("s", SolUdp, UdpSegment, 1472), 0);
        var single = sim.SendTo("s", 1472, Hosts.Remote);
        Expect.Passed(single, ClauseId.GsoSingle);
        Assert.Equal(1500, Sim.Ip(Assert.Single(sim.Packets(single))).TotalLength);
        sim.Socket("p");
        Expect.NotPassed(sim.SendTo("p", 1472, Hosts.Remote), ClauseId.GsoSingle);
    }

    [Fact]
    [Trait("clause", "udp_gso.segments")]
    public void Gso_segments_with_df_over_an_mtu_lowered_since_the_cork_are_unmodeled()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.SetInt("s", SolUdp, UdpSegment, 1000), 0);
        Expect.Value(sim.SetInt("s", SolIp, IpMtuDiscover, 2), 0);
        Expect.Value(sim.SendTo("s", 3000, Hosts.Remote, flags: MsgFlags.More), 3000);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Mtu: 900)), 0);
        var push = sim.SendTo("s", 0, null);
        Assert.Equal(OutcomeKind.Unmodeled, push.Kind);
        Assert.Contains("segments of 1000 bytes with DF over an output MTU of 900", push.Note);
        // Without DF (IP_PMTUDISC_DONT) each segment is fragmented.
        Expect.Value(sim.Run(new HostChangeOp("tun0", Mtu: 1500)), 0);
        sim.Socket("t");
        Expect.Value(sim.SetInt("t", SolUdp, UdpSegment, 1000), 0);
        Expect.Value(sim.SetInt("t", SolIp, IpMtuDiscover, 0), 0);
        Expect.Value(sim.SendTo("t", 3000, Hosts.Remote, flags: MsgFlags.More), 3000);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Mtu: 900)), 0);
        var fragmented = sim.SendTo("t", 0, null);
        Expect.Value(fragmented, 0);
        Assert.Equal(6, sim.Packets(fragmented).Count);
    }

    [Fact]
    [Trait("clause", "ip_push.options")]
    public void A_timestamp_option_is_unmodeled_at_the_push()
    {
        // RFC 791 internet timestamp (type 68), 8 bytes: one slot the sender would fill with the time of day.
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.Run(new SetSockOptOp(Fd.Named("s"), SolIp, IpOptions, UserBuffer.Of((byte[])[0x44, 8, 5, 0, 0, 0, 0, 0]), 8)), 0);
        var send = sim.SendTo("s", 10, Hosts.Remote);
        Assert.Equal(OutcomeKind.Unmodeled, send.Kind);
        Assert.Equal(ClauseId.IpOptions, send.Clause);
        Assert.Contains("timestamp option is filled with the current time", send.Note);
    }
}
