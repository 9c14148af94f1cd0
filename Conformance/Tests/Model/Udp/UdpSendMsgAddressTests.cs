using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Udp;

/// <summary>udp_sendmsg from its first checks to the options (pp. 25-30, L499-576).</summary>
public class UdpSendMsgAddressTests
{
    private static Outcome SendToAddress(Sim sim, UserBuffer address, int length, MsgFlags flags = MsgFlags.None) =>
        sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), flags, address, length));

    private static Outcome SendControl(Sim sim, byte[] control, Ipv4Address? to = null, ushort port = 9) =>
        sim.SendMsg("s", to ?? Hosts.Remote, [UserBuffer.Pattern(10)], control, port: port);

    // ---- udp_sendmsg.len_over_0xffff (L499-500) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.len_over_0xffff")]
    public void A_length_above_65535_is_EMSGSIZE_before_flags_and_address_are_looked_at()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Error(sim.SendHuge("s", 65536, Hosts.Remote), Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
        Expect.Error(sim.SendHuge("s", 65536, Hosts.Remote, MsgFlags.Oob), Errno.EMSGSIZE, ClauseId.LenOver0xFFFF); // before L506
        var portZero = sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Unreadable(1 << 20), MsgFlags.None, Sim.Addr(Hosts.Remote, 0), 16));
        Expect.Error(portZero, Errno.EMSGSIZE, ClauseId.LenOver0xFFFF); // before L542; no data is read
        // 65535 passes this check and fails later, in ip_append_data (65535 + 8 > 0xFFFF - 20).
        var atLimit = sim.SendHuge("s", 65535, Hosts.Remote);
        Expect.Error(atLimit, Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        Expect.Passed(atLimit, ClauseId.LenOver0xFFFF);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.len_over_0xffff")]
    public void The_length_check_leaves_a_pending_corked_datagram_alone()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.More), 10);
        Expect.Error(sim.SendHuge("s", 65536, Hosts.Remote), Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
        var last = sim.SendTo("s", 5, Hosts.Remote);
        var datagram = Assert.Single(last.Datagrams);
        Assert.Equal(15, datagram.Data.Length);
        Assert.Equal(23, datagram.UdpLength);
    }

    // ---- udp_sendmsg.oob (L506-507) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.oob")]
    public void MSG_OOB_is_EOPNOTSUPP_before_the_address_is_checked_and_nothing_is_queued()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var outcome = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Oob);
        Expect.Error(outcome, Errno.EOPNOTSUPP, ClauseId.Oob);
        Assert.Empty(outcome.Datagrams);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote, port: 0, flags: MsgFlags.Oob), Errno.EOPNOTSUPP, ClauseId.Oob);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Oob | MsgFlags.More), Errno.EOPNOTSUPP, ClauseId.Oob);
        Assert.Equal(7, Assert.Single(sim.SendTo("s", 7, Hosts.Remote).Datagrams).Data.Length);
    }

    // ---- udp_sendmsg.addr_short (L533-534) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.addr_short")]
    public void An_address_shorter_than_sockaddr_in_is_EINVAL()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Error(SendToAddress(sim, Sim.Addr(Hosts.Remote, 9), 15), Errno.EINVAL, ClauseId.AddrShort);
        // A non-NULL address of length 0 is still passed down as msg_name (L1594-1595).
        Expect.Error(SendToAddress(sim, Sim.Addr(Hosts.Remote, 9), 0), Errno.EINVAL, ClauseId.AddrShort);
        var viaSendmsg = sim.Run(new SendMsgOp(Fd.Named("s"), Sim.Addr(Hosts.Remote, 9), 8, [UserBuffer.Pattern(10)], null, 0, MsgFlags.None));
        Expect.Error(viaSendmsg, Errno.EINVAL, ClauseId.AddrShort);
        // The length is checked before the family (L533 before L535).
        Expect.Error(SendToAddress(sim, Sim.Addr(Hosts.Remote, 9, AddressFamily.Inet6), 15), Errno.EINVAL, ClauseId.AddrShort);
        Expect.Value(SendToAddress(sim, Sim.Addr(Hosts.Remote, 9), 16), 10, ClauseId.UdpResult);
    }

    [Fact]
    [Trait("clause", "sys_sendto.addr_copy")]
    public void Spec_sendmsg_name_length_above_128_is_EINVAL_and_linux_clamps_it_to_128()
    {
        var name = new byte[200];
        SockAddr.In(Hosts.Remote, 9).CopyTo(name, 0);
        var op = new SendMsgOp(Fd.Named("s"), UserBuffer.Of(name), 200, [UserBuffer.Pattern(10)], null, 0, MsgFlags.None);
        Expect.Error(Sim.WithSocket(Profile.Spec).Run(op), Errno.EINVAL, ClauseId.AddrCopy);
        // Linux clamps it (Profile.SendmsgFrontEnd).
        var linux = Sim.WithSocket(Profile.Linux);
        var clamped = linux.Run(op);
        Expect.Value(clamped, 10, ClauseId.UdpResult);
        Assert.Equal(Hosts.Remote, Assert.Single(clamped.Datagrams).Destination);
    }

    // ---- udp_sendmsg.addr_family (L535-537) ----

    [Theory]
    [Trait("clause", "udp_sendmsg.addr_family")]
    [InlineData(AddressFamily.Inet6)]
    [InlineData(1)]
    [InlineData(0xFFFF)]
    public void A_family_other_than_AF_INET_or_AF_UNSPEC_is_EAFNOSUPPORT_before_the_port(int family)
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Error(SendToAddress(sim, Sim.Addr(Hosts.Remote, 9, (ushort)family), 16), Errno.EAFNOSUPPORT, ClauseId.AddrFamily);
        Expect.Error(SendToAddress(sim, Sim.Addr(Hosts.Remote, 0, (ushort)family), 16), Errno.EAFNOSUPPORT, ClauseId.AddrFamily);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.addr_family")]
    public void AF_UNSPEC_is_taken_as_AF_INET()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var outcome = SendToAddress(sim, Sim.Addr(Hosts.Remote, 4242, AddressFamily.Unspec), 16);
        Expect.Value(outcome, 10, ClauseId.UdpResult);
        var datagram = Assert.Single(outcome.Datagrams);
        Assert.Equal((Hosts.Remote, (ushort)4242), (datagram.Destination, datagram.DestinationPort));
    }

    // ---- udp_sendmsg.dport_zero (L540-543) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.dport_zero")]
    [Trait("clause", "udp_sendmsg.source_from_route")]
    public void Port_zero_is_EINVAL_but_address_zero_is_allowed()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var refused = sim.SendTo("s", 10, Hosts.Remote, port: 0);
        Expect.Error(refused, Errno.EINVAL, ClauseId.DportZero);
        Assert.Empty(refused.Datagrams);
        var toZero = sim.SendTo("s", 10, Ipv4Address.Any, port: 9);
        Expect.Value(toZero, 10, ClauseId.UdpResult);
        var datagram = Assert.Single(toZero.Datagrams);
        Assert.Equal(("lo", Ipv4Address.Loopback), (datagram.Interface, datagram.Destination));
    }

    // ---- udp_sendmsg.no_dest, udp_sendmsg.connected_dest (L544-552) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.no_dest")]
    public void No_address_on_an_unconnected_socket_is_EDESTADDRREQ_for_sendto_and_sendmsg()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Error(sim.SendTo("s", 10, null), Errno.EDESTADDRREQ, ClauseId.NoDest);
        var viaSendmsg = sim.SendMsg("s", null, [UserBuffer.Pattern(10)]);
        Expect.Error(viaSendmsg, Errno.EDESTADDRREQ, ClauseId.NoDest);
        Assert.Empty(viaSendmsg.Datagrams);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.connected_dest")]
    public void A_connected_socket_without_address_sends_to_its_peer_and_an_address_overrides_it()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0, ClauseId.Connect);
        var toPeer = sim.SendTo("s", 10, null);
        Expect.Passed(toPeer, ClauseId.ConnectedDest);
        var datagram = Assert.Single(toPeer.Datagrams);
        Assert.Equal((Hosts.Remote, (ushort)53), (datagram.Destination, datagram.DestinationPort));
        // msg_name given: daddr and dport come from it (L540-541), even on a connected socket.
        var explicitly = sim.SendTo("s", 10, Hosts.OnLinkPeer, port: 7);
        Expect.NotPassed(explicitly, ClauseId.ConnectedDest);
        datagram = Assert.Single(explicitly.Datagrams);
        Assert.Equal((Hosts.OnLinkPeer, (ushort)7), (datagram.Destination, datagram.DestinationPort));
    }

    // ---- udp_sendmsg.bound_source (L554-556) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.bound_source")]
    public void A_socket_bound_to_a_secondary_address_sends_from_it()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.TwoLinks());
        Expect.Value(sim.Bind("s", Hosts.Secondary, 0), 0, ClauseId.Bind);
        var outcome = sim.SendTo("s", 10, Hosts.Remote);
        var datagram = Assert.Single(outcome.Datagrams);
        Assert.Equal(("tun0", Hosts.Secondary), (datagram.Interface, datagram.Source));
        var packet = Assert.Single(sim.Packets(outcome));
        Assert.Equal(Hosts.Secondary, Sim.Ip(packet).Source);
        Frames.AssertUdpChecksum(packet, Hosts.Secondary, Hosts.Remote);
    }

    // ---- udp_sendmsg.cmsg (L557-564; ip_cmsg_send) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.cmsg")]
    public void IP_PKTINFO_chooses_the_source_address_and_the_output_interface()
    {
        var sim = Sim.WithSocket(Profile.Spec, Hosts.TwoLinks());
        var bySource = SendControl(sim, ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(0, Hosts.Secondary))));
        Expect.Passed(bySource, ClauseId.Cmsg);
        Assert.Equal(Hosts.Secondary, Assert.Single(bySource.Datagrams).Source);

        var byInterface = SendControl(sim, ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(3, Ipv4Address.Any))));
        var datagram = Assert.Single(byInterface.Datagrams);
        Assert.Equal(("tun1", Hosts.Tun1Address, Hosts.Remote), (datagram.Interface, datagram.Source, datagram.Destination));
        Assert.Equal("tun0", Assert.Single(sim.SendTo("s", 10, Hosts.Remote).Datagrams).Interface); // without it

        // ipi_spec_dst replaces even a bound source (ipc.addr is set at L554, then by ip_cmsg_send at L558).
        var bound = Sim.WithSocket(Profile.Spec, Hosts.TwoLinks());
        Expect.Value(bound.Bind("s", Hosts.Local, 0), 0, ClauseId.Bind);
        var replaced = SendControl(bound, ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(0, Hosts.Secondary))));
        Assert.Equal(Hosts.Secondary, Assert.Single(replaced.Datagrams).Source);
        // A source that is not ours fails in the route lookup (L606-608).
        var foreign = SendControl(sim, ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(0, Hosts.Remote))));
        Expect.Error(foreign, Errno.EINVAL, ClauseId.Route);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.cmsg")]
    public void A_malformed_or_unknown_SOL_IP_control_message_fails_the_send_with_EINVAL()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var tooShort = new byte[24];
        ControlMessages.WriteHeader(tooShort, 8, SolIp, IpPktInfo); // cmsg_len below sizeof(struct cmsghdr)
        var pastEnd = new byte[32];
        ControlMessages.WriteHeader(pastEnd, 40, SolIp, IpPktInfo); // cmsg_len beyond msg_controllen
        byte[][] bad =
        [
            tooShort,
            pastEnd,
            ControlMessages.Encode((SolIp, IpPktInfo, new byte[8])),                          // wrong size
            ControlMessages.Encode((SolIp, 99, ControlMessages.Int(1))),                      // unknown type
            ControlMessages.Encode((SolSocket, 1, []), (SolIp, 99, ControlMessages.Int(1))), // a bad one after a good one
        ];
        foreach (var control in bad)
        {
            var outcome = SendControl(sim, control);
            Expect.Error(outcome, Errno.EINVAL, ClauseId.Cmsg);
            Assert.Empty(outcome.Datagrams);
        }
        // The address is checked first (L542 before L558); a failed send leaves nothing pending.
        Expect.Error(SendControl(sim, tooShort, port: 0), Errno.EINVAL, ClauseId.DportZero);
        Assert.Equal(10, Assert.Single(sim.SendTo("s", 10, Hosts.Remote).Datagrams).Data.Length);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.cmsg")]
    public void Spec_knows_no_IP_TTL_or_IP_TOS_message_and_skips_other_levels()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Error(SendControl(sim, ControlMessages.Encode((SolIp, IpTtl, ControlMessages.Int(7)))), Errno.EINVAL, ClauseId.Cmsg);
        Expect.Error(SendControl(sim, ControlMessages.Encode((SolIp, IpTos, ControlMessages.Int(0x10)))), Errno.EINVAL, ClauseId.Cmsg);
        var otherLevel = SendControl(sim, ControlMessages.Encode((SolSocket, 99, ControlMessages.Int(1))));
        Expect.Value(otherLevel, 10, ClauseId.UdpResult);
        Assert.Single(otherLevel.Datagrams);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.cmsg")]
    public void Linux_takes_IP_TTL_and_IP_TOS_messages_for_one_datagram()
    {
        // Profile.Linux.CmsgTtlTos.
        var sim = Sim.WithSocket(Profile.Linux);
        var ttl = Assert.Single(SendControl(sim, ControlMessages.Encode((SolIp, IpTtl, ControlMessages.Int(7)))).Datagrams);
        Assert.Equal(7, ttl.Ttl);
        var tos = Assert.Single(SendControl(sim, ControlMessages.Encode((SolIp, IpTos, ControlMessages.Int(0x10)))).Datagrams);
        Assert.Equal(0x10, tos.Tos);
        Assert.Equal(0x20, Assert.Single(SendControl(sim, ControlMessages.Encode((SolIp, IpTos, new byte[] { 0x20 }))).Datagrams).Tos);
        Expect.Error(SendControl(sim, ControlMessages.Encode((SolIp, IpTtl, ControlMessages.Int(0)))), Errno.EINVAL, ClauseId.Cmsg);
        var plain = Assert.Single(sim.SendTo("s", 10, Hosts.Remote).Datagrams); // only that datagram
        Assert.Equal((64, 0), (plain.Ttl, plain.Tos));
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.cmsg")]
    public void Linux_parses_SOL_SOCKET_messages_and_refuses_unknown_ones()
    {
        // Profile.Linux.CmsgSocketLevel.
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Error(SendControl(sim, ControlMessages.Encode((SolSocket, 99, ControlMessages.Int(1)))), Errno.EINVAL, ClauseId.Cmsg);
        Expect.Value(SendControl(sim, ControlMessages.Encode((SolSocket, 36, ControlMessages.Int(1)))), 10, ClauseId.UdpResult); // SO_MARK
    }

    // ---- udp_sendmsg.sockopt_ip_options (L565-566) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.sockopt_ip_options")]
    public void IP_OPTIONS_go_into_the_header_unless_an_IP_RETOPTS_message_overrides_them()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        byte[] routerAlert = [148, 4, 0, 0];
        Expect.Value(sim.SetIpOptions("s", routerAlert), 0, ClauseId.SetSockOpt);
        var withSocketOptions = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Passed(withSocketOptions, ClauseId.SockoptIpOptions);
        var ip = Sim.Ip(Assert.Single(sim.Packets(withSocketOptions)));
        Assert.Equal(24, ip.HeaderLength); // ihl 6 (L1250)
        Assert.Equal(routerAlert, ip.Options.ToArray());
        Assert.Equal(24 + 8 + 10, ip.TotalLength);
        Assert.Equal(ip.ComputeChecksum(), ip.HeaderChecksum);

        byte[] nops = [1, 1, 1, 1];
        var overridden = SendControl(sim, ControlMessages.Encode((SolIp, IpRetOpts, nops)));
        Expect.NotPassed(overridden, ClauseId.SockoptIpOptions);
        Assert.Equal(nops, Sim.Ip(Assert.Single(sim.Packets(overridden))).Options.ToArray());
        // The message was for that send only.
        Assert.Equal(routerAlert, Sim.Ip(Assert.Single(sim.Packets(sim.SendTo("s", 10, Hosts.Remote)))).Options.ToArray());
    }

    // ---- udp_sendmsg.source_route (L571-576) ----

    [Fact]
    [Trait("clause", "udp_sendmsg.source_route")]
    public void A_loose_source_route_sends_to_the_first_hop_with_the_final_destination_in_the_last_slot()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        var secondHop = Ipv4Address.Parse("198.51.100.1");
        Expect.Value(sim.SetIpOptions("s", Frames.SourceRoute(131, Hosts.OnLinkPeer, secondHop)), 0, ClauseId.SetSockOpt);
        var outcome = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Passed(outcome, ClauseId.SourceRoute);
        var datagram = Assert.Single(outcome.Datagrams);
        Assert.Equal(("tun0", Hosts.OnLinkPeer), (datagram.Interface, datagram.Destination)); // faddr = first hop
        var packet = Assert.Single(sim.Packets(outcome));
        var ip = Sim.Ip(packet);
        Assert.Equal(Hosts.OnLinkPeer, ip.Destination);
        byte[] expected = [131, 11, 4, .. secondHop.ToBytes(), .. Hosts.Remote.ToBytes(), 0];
        Assert.Equal(expected, ip.Options.ToArray());
        // The UDP pseudo-header holds the final destination (cork.fl4_dst = daddr, L639).
        Frames.AssertUdpChecksum(packet, Hosts.Local, Hosts.Remote);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.source_route")]
    public void A_source_route_to_address_zero_is_EINVAL()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Expect.Value(sim.SetIpOptions("s", Frames.SourceRoute(131, Hosts.OnLinkPeer)), 0, ClauseId.SetSockOpt);
        var outcome = sim.SendTo("s", 10, Ipv4Address.Any);
        Expect.Error(outcome, Errno.EINVAL, ClauseId.SourceRoute);
        Assert.Empty(outcome.Datagrams);
        // The same source route given as a control message.
        var plain = Sim.WithSocket(Profile.Spec);
        var viaControl = SendControl(plain, ControlMessages.Encode((SolIp, IpRetOpts, Frames.SourceRoute(131, Hosts.OnLinkPeer))), Ipv4Address.Any);
        Expect.Error(viaControl, Errno.EINVAL, ClauseId.SourceRoute);
    }
}
