using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Udp;

/// <summary>udp_sendmsg from the route key to the cork (pp. 30-38, L577-671): TOS, on-link, multicast, the route
/// lookup and its errors, broadcast, the connected socket's cached route, MSG_CONFIRM, MSG_PROBE and the source.</summary>
public class UdpSendMsgRouteTests
{
    private static void Tos(Sim sim, int tos) => Expect.Value(sim.SetInt("s", SolIp, IpTos, tos), 0, ClauseId.SetSockOpt);

    private static void SetOptions(Sim sim, byte[] options) =>
        Expect.Value(sim.SetIpOptions("s", options), 0, ClauseId.SetSockOpt);

    private static Outcome Send(Sim sim, int length = 10) => sim.SendTo("s", length, Hosts.Remote);

    // ---- udp_sendmsg.route_tos (L577; RT_TOS = tos & 0x1E) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.route_tos")]
    public void A_route_with_a_TOS_selector_is_chosen_only_for_a_socket_with_that_TOS()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.TwoLinks());
        var plain = Assert.Single(Send(sim).Datagrams);
        Assert.Equal(("tun0", Hosts.Local), (plain.Interface, plain.Source));
        Tos(sim, Hosts.TosSelector);
        var selected = Assert.Single(Send(sim).Datagrams);
        Assert.Equal(("tun1", Hosts.Tun1Address, (byte)0x10), (selected.Interface, selected.Source, selected.Tos));
        // 0x12 & 0x1E = 0x12 is not the selector 0x10: the default route again.
        Tos(sim, 0x12);
        Assert.Equal("tun0", Assert.Single(Send(sim).Datagrams).Interface);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.route_tos")]
    public void Linux_compares_the_DSCP_bits_so_TOS_0x12_matches_a_0x10_selector()
    {
        // Profile.Linux.RouteTosMask = 0xFC: 0x12 & 0xFC = 0x10.
        var sim = Sim.WithSocket(Profile.Linux, Hosts.TwoLinks());
        Tos(sim, 0x12);
        var datagram = Assert.Single(Send(sim).Datagrams);
        Assert.Equal(("tun1", (byte)0x12), (datagram.Interface, datagram.Tos));
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.route_tos")]
    [Trait("clause", "udp_sendmsg.connected_route_cache")]
    public void Changing_IP_TOS_makes_a_connected_socket_look_its_route_up_again()
    {
        // ip_setsockopt(IP_TOS) resets the cached route (sk_dst_reset), so sk_dst_check finds none (L593-596).
        var sim = Sim.WithSocket(Profile.Spec, Hosts.TwoLinks());
        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0, ClauseId.Connect);
        Assert.Equal("tun0", Assert.Single(sim.SendTo("s", 10, null).Datagrams).Interface);
        Tos(sim, Hosts.TosSelector);
        var rerouted = sim.SendTo("s", 10, null);
        var datagram = Assert.Single(rerouted.Datagrams);
        Assert.Equal(("tun1", Hosts.Local), (datagram.Interface, datagram.Source)); // the source connect chose stays (L554)
        Assert.Equal("tun1", Assert.Single(sim.SendTo("s", 10, null).Datagrams).Interface); // and is cached again
    }

    // ---- udp_sendmsg.onlink (L578-583) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.onlink")]
    [Trait("clause", "udp_sendmsg.route")]
    public void SO_DONTROUTE_reaches_on_link_peers_only()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.SetInt("s", SolSocket, SoDontRoute, 1), 0, ClauseId.SetSockOpt);
        var viaGateway = Send(sim);
        Expect.Error(viaGateway, Errno.ENETUNREACH, ClauseId.Route);
        Expect.Passed(viaGateway, ClauseId.OnLink);
        var onLink = Assert.Single(sim.SendTo("s", 10, Hosts.OnLinkPeer).Datagrams);
        Assert.Equal(("tun0", Hosts.OnLinkPeer), (onLink.Interface, onLink.Destination));
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.onlink")]
    public void MSG_DONTROUTE_reaches_on_link_peers_only_and_bypasses_a_connected_route()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.DontRoute), Errno.ENETUNREACH, ClauseId.Route);
        Assert.Equal(Hosts.OnLinkPeer, Assert.Single(sim.SendTo("s", 10, Hosts.OnLinkPeer, flags: MsgFlags.DontRoute).Datagrams).Destination);
        Assert.Equal(Hosts.Remote, Assert.Single(Send(sim).Datagrams).Destination); // without the flag: via the gateway
        // On a connected socket the flag clears "connected" (L582): the cached gateway route is not used.
        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0, ClauseId.Connect);
        var connected = sim.SendTo("s", 10, null, flags: MsgFlags.DontRoute);
        Expect.Error(connected, Errno.ENETUNREACH, ClauseId.Route);
        Expect.NotPassed(connected, ClauseId.ConnectedRouteCache);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.onlink")]
    [Trait("clause", "udp_sendmsg.source_route")]
    public void A_strict_source_route_needs_an_on_link_first_hop_and_a_loose_one_does_not()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var remoteHop = Ipv4Address.Parse("198.51.100.1");
        SetOptions(sim, Frames.SourceRoute(137, remoteHop));
        var strictRemote = Send(sim);
        Expect.Error(strictRemote, Errno.ENETUNREACH, ClauseId.Route);
        Expect.Passed(strictRemote, ClauseId.OnLink);
        SetOptions(sim, Frames.SourceRoute(137, Hosts.OnLinkPeer));
        Assert.Equal(Hosts.OnLinkPeer, Assert.Single(Send(sim).Datagrams).Destination);
        SetOptions(sim, Frames.SourceRoute(131, remoteHop));
        var loose = Send(sim);
        Expect.NotPassed(loose, ClauseId.OnLink);
        Assert.Equal(remoteHop, Assert.Single(loose.Datagrams).Destination);
    }

    // ---- udp_sendmsg.multicast (L585-591; TTL: L1241-1242) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.multicast")]
    public void Multicast_uses_the_IP_MULTICAST_IF_interface_and_address_and_the_multicast_TTL()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.TwoLinks());
        Expect.Value(sim.SetInt("s", SolIp, IpTtl, 200), 0, ClauseId.SetSockOpt); // the unicast TTL does not apply to multicast
        var byDefault = sim.SendTo("s", 10, Hosts.Group);
        Expect.Passed(byDefault, ClauseId.Multicast);
        var datagram = Assert.Single(byDefault.Datagrams);
        Assert.Equal(("tun0", Hosts.Local, (byte)1), (datagram.Interface, datagram.Source, datagram.Ttl));

        var tun1 = Hosts.Tun1Address.ToBytes();
        Expect.Value(sim.Run(new SetSockOptOp(Fd.Named("s"), SolIp, IpMulticastIf, UserBuffer.Of(tun1), 4)), 0, ClauseId.SetSockOpt);
        datagram = Assert.Single(sim.SendTo("s", 10, Hosts.Group).Datagrams);
        Assert.Equal(("tun1", Hosts.Tun1Address, Hosts.Group, (byte)1), (datagram.Interface, datagram.Source, datagram.Destination, datagram.Ttl));
        Assert.Equal(1, Sim.Ip(Assert.Single(sim.Packets(sim.SendTo("s", 10, Hosts.Group)))).Ttl);

        Expect.Value(sim.SetInt("s", SolIp, IpMulticastTtl, 5), 0, ClauseId.SetSockOpt);
        Assert.Equal(5, Assert.Single(sim.SendTo("s", 10, Hosts.Group).Datagrams).Ttl);
        Assert.Equal(200, Assert.Single(Send(sim).Datagrams).Ttl); // unicast keeps IP_TTL
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.multicast")]
    public void The_multicast_defaults_apply_only_where_no_source_or_interface_was_given()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.TwoLinks());
        // struct ip_mreqn { multiaddr, address 0, ifindex 3 }: mc_index 3, mc_addr 0.
        var mreqn = new byte[12];
        BitConverter.GetBytes(3).CopyTo(mreqn, 8);
        var setInterface = new SetSockOptOp(Fd.Named("s"), SolIp, IpMulticastIf, UserBuffer.Of(mreqn), 12);
        Expect.Value(sim.Run(setInterface), 0, ClauseId.SetSockOpt);
        Assert.Equal(("tun1", Hosts.Tun1Address), Pick(Assert.Single(sim.SendTo("s", 10, Hosts.Group).Datagrams)));
        // ipc.oif from IP_PKTINFO wins over mc_index (L586 "if (!ipc.oif)").
        var control = ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(2, Ipv4Address.Any)));
        Assert.Equal(("tun0", Hosts.Local), Pick(Assert.Single(sim.SendMsg("s", Hosts.Group, [UserBuffer.Pattern(10)], control).Datagrams)));
        // A bound source wins over mc_addr (L588 "if (!saddr)"), here with mc_addr 10.0.0.1 on tun1.
        var bound = Sim.WithSocket(Profile.Spec, Hosts.TwoLinks());
        Expect.Value(bound.Bind("s", Hosts.Secondary, 0), 0, ClauseId.Bind);
        var tun1 = Hosts.Tun1Address.ToBytes();
        Expect.Value(bound.Run(new SetSockOptOp(Fd.Named("s"), SolIp, IpMulticastIf, UserBuffer.Of(tun1), 4)), 0, ClauseId.SetSockOpt);
        Assert.Equal(("tun1", Hosts.Secondary), Pick(Assert.Single(bound.SendTo("s", 10, Hosts.Group).Datagrams)));

        static (string, Ipv4Address) Pick(Reference.Ip.Datagram d) => (d.Interface, d.Source);
    }

    // ---- udp_sendmsg.route (L596-609) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.route")]
    public void No_route_is_ENETUNREACH_and_nothing_is_counted_in_spec()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.OnLinkOnly());
        var outcome = sim.SendTo("s", 10, Hosts.Unroutable);
        Expect.Error(outcome, Errno.ENETUNREACH, ClauseId.Route);
        Assert.Empty(outcome.Datagrams);
        Assert.Equal(default, outcome.Counters); // L607-608 goto out; only a send without error counts (L660-661)
        Assert.Equal(Hosts.Remote, Assert.Single(Send(sim).Datagrams).Destination); // routed destinations still work
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.route")]
    public void Linux_counts_an_unroutable_send_as_OutNoRoutes()
    {
        // Profile.Linux.CountsOutNoRoutes.
        var sim = Sim.WithSocket(Profile.Linux, Hosts.OnLinkOnly());
        var outcome = sim.SendTo("s", 10, Hosts.Unroutable);
        Expect.Error(outcome, Errno.ENETUNREACH, ClauseId.Route);
        Assert.Equal(new CounterDelta(0, 0, 0, 1), outcome.Counters);
    }

    [Theory]
    [Trait("clause", "udp_sendmsg.route")]
    [InlineData(RouteKind.Unreachable, Errno.EHOSTUNREACH)]
    [InlineData(RouteKind.Prohibit, Errno.EACCES)]
    [InlineData(RouteKind.Blackhole, Errno.EINVAL)]
    public void Reject_routes_fail_with_their_own_error(RouteKind kind, Errno errno)
    {
        // The lookup's error is returned as is (L606-608); 2.6 fib_props gives these kinds these errors.
        var host = HostConfig.Default with { Routes = [.. HostConfig.Default.Routes, new Route(Ipv4Address.Parse("203.0.113.0"), 24, kind, null)] };
        var sim = Sim.WithSocket(Profile.Spec, host);
        var outcome = sim.SendTo("s", 10, Hosts.Unroutable);
        Expect.Error(outcome, errno, ClauseId.Route);
        Assert.Empty(outcome.Datagrams);
        Assert.Equal(Hosts.Remote, Assert.Single(Send(sim).Datagrams).Destination);
    }

    // ---- udp_sendmsg.broadcast_eacces (L610-613) ----

    [Theory]
    [Trait("clause", "udp_sendmsg.broadcast_eacces")]
    [InlineData("192.0.2.255")]
    [InlineData("255.255.255.255")]
    public void Broadcast_without_SO_BROADCAST_is_EACCES_and_is_sent_with_it(string address)
    {
        var broadcast = Ipv4Address.Parse(address);
        var sim = Sim.WithSocket(Profile.Spec);
        var refused = sim.SendTo("s", 10, broadcast);
        Expect.Error(refused, Errno.EACCES, ClauseId.BroadcastEacces);
        Assert.Empty(refused.Datagrams);
        Assert.Equal(default, refused.Counters);
        Expect.Value(sim.SetInt("s", SolSocket, SoBroadcast, 1), 0, ClauseId.SetSockOpt);
        var sent = sim.SendTo("s", 10, broadcast);
        Expect.Value(sent, 10, ClauseId.UdpResult);
        var datagram = Assert.Single(sent.Datagrams);
        Assert.Equal(("tun0", Hosts.Local, broadcast), (datagram.Interface, datagram.Source, datagram.Destination));
    }

    // ---- udp_sendmsg.connected_route_cache (L593-594, L614-615) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.connected_route_cache")]
    public void A_connected_socket_rechecks_its_cached_route_on_every_send()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0, ClauseId.Connect);
        var first = sim.SendTo("s", 1200, null);
        Expect.Passed(first, ClauseId.ConnectedRouteCache);
        var whole = Sim.Ip(Assert.Single(sim.Packets(first)));
        Assert.Equal((1228, true), (whole.TotalLength, whole.DontFragment));

        Expect.Value(sim.Run(new HostChangeOp("tun0", Mtu: 1000)), 0, ClauseId.HostChange);
        var smaller = sim.Packets(sim.SendTo("s", 1200, null));
        Assert.Equal(2, smaller.Count); // the new MTU: ((1000 - 20) & ~7) = 976 bytes in the first fragment
        Assert.Equal((996, true), (Sim.Ip(smaller[0]).TotalLength, Sim.Ip(smaller[0]).MoreFragments));
        Assert.Equal(1000, BitConverter.ToInt32(sim.Run(new GetSockOptOp(Fd.Named("s"), SolIp, IpMtu, 4)).OptionValue!.Value.Span));

        Expect.Value(sim.Run(new HostChangeOp("tun0", Up: false)), 0, ClauseId.HostChange);
        var down = sim.SendTo("s", 10, null);
        Expect.Error(down, Errno.ENETUNREACH, ClauseId.Route);
        Expect.Passed(down, ClauseId.ConnectedRouteCache);
        // sk_dst_check dropped the obsolete route and none replaced it: IP_MTU finds no route.
        Expect.Error(sim.Run(new GetSockOptOp(Fd.Named("s"), SolIp, IpMtu, 4)), Errno.ENOTCONN, ClauseId.GetSockOpt);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Up: true)), 0, ClauseId.HostChange);
        Assert.Equal(Hosts.Remote, Assert.Single(sim.SendTo("s", 10, null).Datagrams).Destination);
    }

    /// <summary>An uncorked send never takes the socket lock, so one refused before the route is looked at (a bad
    /// control message) releases nothing: an obsolete cached route stays cached until the next send checks it (current
    /// kernels revalidate at release_sock, Profile.ReleaseRevalidatesRoute, only where the lock was taken).</summary>
    [Fact]
    [Trait("clause", "udp_sendmsg.connected_route_cache")]
    public void An_uncorked_send_refused_before_its_route_leaves_an_obsolete_cached_route_to_the_next_send()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0, ClauseId.Connect);
        Expect.Value(sim.SendTo("s", 10, null), 10);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Up: false)), 0, ClauseId.HostChange);
        var ttlZero = ControlMessages.Encode((SolIp, IpTtl, ControlMessages.Int(0)));
        Expect.Error(sim.SendMsg("s", null, [UserBuffer.Pattern(10)], ttlZero), Errno.EINVAL, ClauseId.Cmsg);
        // Still cached (obsolete): this send finds it, drops it, and its own lookup fails.
        var next = sim.SendTo("s", 10, null);
        Expect.Error(next, Errno.ENETUNREACH, ClauseId.Route);
        Expect.Passed(next, ClauseId.ConnectedRouteCache);
    }

    // ---- udp_sendmsg.confirm (L618-619, L666-669) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.confirm")]
    public void MSG_CONFIRM_confirms_the_next_hop_the_gateway_for_a_remote_destination()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Assert.Empty(Send(sim).ConfirmedNeighbours);
        var remote = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Confirm);
        Expect.Value(remote, 10, ClauseId.UdpResult);
        Assert.Equal([Hosts.Gateway], remote.ConfirmedNeighbours);
        Assert.Equal([Hosts.OnLinkPeer], sim.SendTo("s", 10, Hosts.OnLinkPeer, flags: MsgFlags.Confirm).ConfirmedNeighbours);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.confirm")]
    public void Spec_confirms_when_the_flag_is_seen_even_if_the_send_then_fails()
    {
        var sim = Sim.WithSocket(Profile.Spec, HostConfig.Default with { OutputDrops = [new OutputDropRule(Hosts.Remote, 32)] });
        var tooLong = sim.SendTo("s", 65510, Hosts.Remote, flags: MsgFlags.Confirm); // 65518 > 0xFFFF - 20 in ip_append_data
        Expect.Error(tooLong, Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        Assert.Equal([Hosts.Gateway], tooLong.ConfirmedNeighbours);
        var dropped = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Confirm);
        Expect.Error(dropped, Errno.EPERM, ClauseId.Netfilter);
        Assert.Equal([Hosts.Gateway], dropped.ConfirmedNeighbours);
        // Corked: the first piece confirms at once; a pending append jumps over L618 (L522).
        Assert.Equal([Hosts.OnLinkPeer], sim.SendTo("s", 10, Hosts.OnLinkPeer, flags: MsgFlags.Confirm | MsgFlags.More).ConfirmedNeighbours);
        var appended = sim.SendTo("s", 10, Hosts.OnLinkPeer, flags: MsgFlags.Confirm);
        Assert.Single(appended.Datagrams);
        Assert.Empty(appended.ConfirmedNeighbours);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.confirm")]
    public void Linux_confirms_only_when_the_datagram_leaves()
    {
        // Profile.Linux.ConfirmBeforeSend = false.
        var sim = Sim.WithSocket(Profile.Linux, HostConfig.Default with { OutputDrops = [new OutputDropRule(Hosts.Remote, 32)] });
        Assert.Equal([Hosts.OnLinkPeer], sim.SendTo("s", 10, Hosts.OnLinkPeer, flags: MsgFlags.Confirm).ConfirmedNeighbours);
        var dropped = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Confirm);
        Expect.Error(dropped, Errno.EPERM, ClauseId.Netfilter);
        Assert.Empty(dropped.ConfirmedNeighbours);
        // Corked: nothing while pending, the first piece's flag when the datagram goes.
        Assert.Empty(sim.SendTo("s", 10, Hosts.OnLinkPeer, flags: MsgFlags.Confirm | MsgFlags.More).ConfirmedNeighbours);
        var last = sim.SendTo("s", 10, Hosts.OnLinkPeer);
        Assert.Single(last.Datagrams);
        Assert.Equal([Hosts.OnLinkPeer], last.ConfirmedNeighbours);
    }

    // ---- udp_sendmsg.probe (L668-671, L791-792) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.probe")]
    [Trait("clause", "ip_append_data.probe")]
    public void MSG_PROBE_sends_nothing_but_returns_the_length_and_counts_an_OutDatagram_in_spec()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var probe = sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.Probe);
        Expect.Value(probe, 100, ClauseId.UdpResult);
        Expect.Passed(probe, ClauseId.AppendProbe);
        Assert.Empty(probe.Datagrams);
        Assert.Equal(new CounterDelta(1, 0, 0, 0), probe.Counters); // L660-662: no error, so counted
        // Without MSG_CONFIRM a zero-length probe goes the whole way (L668 is on the confirm path only).
        var empty = sim.SendTo("s", 0, Hosts.Remote, flags: MsgFlags.Probe);
        Expect.Value(empty, 0, ClauseId.UdpResult);
        Expect.Passed(empty, ClauseId.CorkSetup);
        Assert.Equal(7, Assert.Single(sim.SendTo("s", 7, Hosts.Remote).Datagrams).Data.Length); // nothing was left queued
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.probe")]
    [Trait("clause", "udp_sendmsg.confirm")]
    public void MSG_PROBE_with_MSG_CONFIRM_and_length_0_returns_0_at_once()
    {
        foreach (var sim in new[] { Sim.Spec(), Sim.Linux() })
        {
            sim.Socket();
            var outcome = sim.SendTo("s", 0, Hosts.Remote, flags: MsgFlags.Probe | MsgFlags.Confirm);
            Expect.Value(outcome, 0, ClauseId.Probe);
            Expect.NotPassed(outcome, ClauseId.CorkSetup);
            Assert.Empty(outcome.Datagrams);
            Assert.Equal([Hosts.Gateway], outcome.ConfirmedNeighbours); // both confirm a probe (dst_confirm)
            // 2.6 counts it (goto out with err 0, L670-671 then L660-661); Profile.Linux.OutDatagramsPerCall is false.
            Assert.Equal(sim.Model.Profile == Profile.Spec ? new CounterDelta(1, 0, 0, 0) : default, outcome.Counters);
            Assert.Single(Send(sim).Datagrams);
        }
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.probe")]
    public void Linux_counts_no_OutDatagram_for_a_probe()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var probe = sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.Probe);
        Expect.Value(probe, 100, ClauseId.UdpResult);
        Assert.Empty(probe.Datagrams);
        Assert.Equal(default, probe.Counters);
    }

    // ---- udp_sendmsg.source_from_route (L622-624) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.source_from_route")]
    public void An_unbound_socket_takes_its_source_from_the_route()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Assert.Equal(Hosts.Local, Assert.Single(Send(sim).Datagrams).Source);
        var preferred = Sim.WithSocket(Profile.Spec, Hosts.TwoLinks(preferredSource: Hosts.Secondary));
        var outcome = Send(preferred);
        Assert.Equal(Hosts.Secondary, Assert.Single(outcome.Datagrams).Source); // the route's src attribute
        Frames.AssertUdpChecksum(Assert.Single(preferred.Packets(outcome)), Hosts.Secondary, Hosts.Remote);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.source_from_route")]
    public void Destination_zero_is_this_host_through_lo()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var outcome = sim.SendTo("s", 10, Ipv4Address.Any);
        var datagram = Assert.Single(outcome.Datagrams);
        Assert.Equal(("lo", Ipv4Address.Loopback, Ipv4Address.Loopback), (datagram.Interface, datagram.Source, datagram.Destination));
        var packet = Assert.Single(sim.Packets(outcome));
        Frames.AssertUdpChecksum(packet, Ipv4Address.Loopback, Ipv4Address.Loopback); // daddr = rt_dst (L624)

        var bound = Sim.WithSocket(Profile.Spec);
        Expect.Value(bound.Bind("s", Hosts.Local, 0), 0, ClauseId.Bind);
        datagram = Assert.Single(bound.SendTo("s", 10, Ipv4Address.Any).Datagrams);
        Assert.Equal(("lo", Hosts.Local, Hosts.Local), (datagram.Interface, datagram.Source, datagram.Destination));
    }
}
