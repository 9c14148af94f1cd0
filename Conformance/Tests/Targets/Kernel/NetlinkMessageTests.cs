using System.Net;
using Udpconf.Reference.Host;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>The netlink messages the kernel target sends, byte for byte against layouts worked out by hand from the
/// kernel's structs (struct nlmsghdr, rtmsg, nfgenmsg, nlattr; x86-64, so host order is little-endian), and the
/// way a refusal is reported.</summary>
public class NetlinkMessageTests
{
    /// <summary>The bytes of hex lines; on each line, what follows two spaces after the hex is a comment.</summary>
    private static byte[] Hex(string text) => Convert.FromHexString(string.Concat(text.Split('\n')
        .Select(line => line.TrimStart() is var t && t.IndexOf("  ", StringComparison.Ordinal) is var cut and >= 0 ? t[..cut] : line)
        .SelectMany(hex => hex.Where(Uri.IsHexDigit))));

    [Fact]
    public void An_appended_route_with_gateway_tos_source_free_metrics_has_the_layout_of_ip_route_append()
    {
        Assert.True(BitConverter.IsLittleEndian, "the expected bytes are worked out for a little-endian host");
        var route = new Route(Ipv4Address.Parse("198.51.100.0"), 24, RouteKind.Unicast, "tun1", Ipv4Address.Parse("203.0.113.254"),
            Mtu: 1300, MtuLocked: true, Tos: 0x10, HopLimit: 7);
        var spec = RouteSpec.From(route, name => name == "tun1" ? 3 : throw new ArgumentException(name));
        var message = RtNetlink.NewRoute(spec, RouteVerb.Append);
        Assert.Equal(Hex("""
            50000000 1800 050c 07000000 00000000   nlmsghdr: length 80, RTM_NEWROUTE (24), REQUEST|ACK|CREATE|APPEND, seq 7, pid 0
            02 18 00 10 fe 03 00 01 00000000        rtmsg: AF_INET, /24, src_len 0, tos 0x10, main (254), RTPROT_BOOT, universe (a gateway), RTN_UNICAST, flags 0
            0800 0100 c6336400                      RTA_DST 198.51.100.0
            0800 0500 cb0071fe                      RTA_GATEWAY 203.0.113.254
            0800 0400 03000000                      RTA_OIF 3
            1c00 0800                               RTA_METRICS, 28 bytes:
              0800 0200 14050000                      RTAX_MTU 1300
              0800 0a00 07000000                      RTAX_HOPLIMIT 7
              0800 0100 04000000                      RTAX_LOCK 1 << RTAX_MTU
            """), message.ToArray(7));
        Assert.Equal("RTM_NEWROUTE 198.51.100.0/24 via 203.0.113.254 dev tun1", message.What);
    }

    [Fact]
    public void Iproute2_scopes_tables_and_flags()
    {
        static byte[] Fixed(NetlinkMessage m) => m.ToArray(1)[NetlinkMessage.HeaderLength..(NetlinkMessage.HeaderLength + RtNetlink.RtMsgLength)];
        var any = Ipv4Address.Any;
        // dev only: link scope; a reject type: universe; broadcast: table local, link scope.
        Assert.Equal(Hex("02 00 00 00 fe 03 fd 01 00000000"), Fixed(RtNetlink.NewRoute(RouteSpec.From(new Route(any, 0, RouteKind.OnLink, "tun0"), _ => 2), RouteVerb.Add)));
        Assert.Equal(Hex("02 1a 00 00 fe 03 00 07 00000000"), Fixed(RtNetlink.NewRoute(RouteSpec.From(new Route(Ipv4Address.Parse("203.0.113.0"), 26, RouteKind.Unreachable, null), _ => 0), RouteVerb.Add)));
        Assert.Equal(Hex("02 20 00 00 ff 03 fd 03 00000000"), Fixed(RtNetlink.NewRoute(RouteSpec.From(new Route(Ipv4Address.Parse("192.0.2.255"), 32, RouteKind.Broadcast, "tun0"), _ => 2), RouteVerb.Add)));
        Assert.Equal(Hex("02 04 00 00 fe 03 fd 01 00000000"), Fixed(RtNetlink.NewRoute(RouteSpec.From(new Route(Ipv4Address.Parse("224.0.0.0"), 4, RouteKind.Multicast, "tun0"), _ => 2), RouteVerb.Add)));
        // A table id over 255: RT_TABLE_UNSPEC in the header, RTA_TABLE first.
        var marker = RtNetlink.NewRoute(new RouteSpec(RtNetlink.AfInet, new byte[4], 0, RtNetlink.RtnUnicast, 32001, RtNetlink.ScopeLink, 2, "tun0", Metric: 2), RouteVerb.Replace);
        Assert.Equal(Hex("""
            34000000 1800 0505 01000000 00000000   RTM_NEWROUTE (52 bytes), REQUEST|ACK|REPLACE|CREATE
            02 00 00 00 00 03 fd 01 00000000        default, table RT_TABLE_UNSPEC, link scope
            0800 0f00 017d0000                      RTA_TABLE 32001
            0800 0400 02000000                      RTA_OIF 2
            0800 0600 02000000                      RTA_PRIORITY 2
            """), marker.ToArray(1));
        Assert.Equal(Netlink.FRequest | Netlink.FAck | Netlink.FCreate | Netlink.FExcl,
            RtNetlink.NewRoute(RouteSpec.From(new Route(any, 0, RouteKind.OnLink, "tun0"), _ => 2), RouteVerb.Add).Flags);
    }

    [Fact]
    public void An_address_gets_the_broadcast_of_brd_plus_and_none_for_a_slash_31()
    {
        Assert.Equal(Hex("""
            30000000 1400 0506 01000000 00000000   RTM_NEWADDR (48 bytes), REQUEST|ACK|EXCL|CREATE
            02 18 00 00 02000000                    ifaddrmsg: AF_INET, /24, no flags, universe, index 2
            0800 0200 c0000201                      IFA_LOCAL 192.0.2.1
            0800 0100 c0000201                      IFA_ADDRESS 192.0.2.1
            0800 0400 c00002ff                      IFA_BROADCAST 192.0.2.255
            """), RtNetlink.AddAddress(2, "tun0", IPAddress.Parse("192.0.2.1"), 24).ToArray(1));
        Assert.Equal(16 + 8 + 8 + 8, RtNetlink.AddAddress(2, "tun0", IPAddress.Parse("192.0.2.1"), 31).Length);
        var v6 = RtNetlink.AddAddress(2, "tun0", IPAddress.Parse("2001:db8::1"), 64, noDad: true).ToArray(1);
        Assert.Equal(Hex("0a 40 02 00 02000000"), v6[16..24]); // AF_INET6, /64, IFA_F_NODAD
    }

    [Fact]
    public void A_drop_rule_for_a_slash_24_is_payload_bitwise_cmp_immediate()
    {
        var rule = NfTables.NewRule("udpconf", "out", NfTables.Drop(new OutputDropRule(Ipv4Address.Parse("198.51.100.0"), 24)));
        Assert.Equal(Hex("""
            00010000 060a 050c 01000000 00000000   nlmsghdr: 256 bytes, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE, REQUEST|ACK|CREATE|APPEND
            02 00 0000                              nfgenmsg: NFPROTO_IPV4, NFNETLINK_V0, res_id 0
            0c00 0100 7564706 36f6e6600             NFTA_RULE_TABLE "udpconf"
            0800 0200 6f757400                      NFTA_RULE_CHAIN "out"
            d800 0480                               NFTA_RULE_EXPRESSIONS (nested), 216 bytes
              3400 0180                               NFTA_LIST_ELEM
                0c00 0100 7061796c6f616400              NFTA_EXPR_NAME "payload"
                2400 0280                               NFTA_EXPR_DATA
                  0800 0100 00000001                      DREG 1
                  0800 0200 00000001                      BASE network header
                  0800 0300 00000010                      OFFSET 16 (iphdr.daddr)
                  0800 0400 00000004                      LEN 4
              4400 0180                               NFTA_LIST_ELEM
                0c00 0100 62697477697365 00             NFTA_EXPR_NAME "bitwise"
                3400 0280                               NFTA_EXPR_DATA
                  0800 0100 00000001                      SREG 1
                  0800 0200 00000001                      DREG 1
                  0800 0300 00000004                      LEN 4
                  0c00 0480 0800 0100 ffffff00            MASK 255.255.255.0
                  0c00 0580 0800 0100 00000000            XOR 0
              2c00 0180                               NFTA_LIST_ELEM
                0800 0100 636d7000                      NFTA_EXPR_NAME "cmp"
                2000 0280                               NFTA_EXPR_DATA
                  0800 0100 00000001                      SREG 1
                  0800 0200 00000000                      OP eq
                  0c00 0380 0800 0100 c6336400            DATA 198.51.100.0
              3000 0180                               NFTA_LIST_ELEM
                0e00 0100 696d6d656469617465 00 0000    NFTA_EXPR_NAME "immediate" (length 14, padded to 16)
                1c00 0280                               NFTA_EXPR_DATA
                  0800 0100 00000000                      DREG verdict
                  1000 0280 0c00 0280 0800 0100 00000000  DATA: VERDICT: CODE NF_DROP
            """), rule.ToArray(1));
        Assert.Equal("NFT_MSG_NEWRULE ip udpconf out: ip daddr 198.51.100.0/24 drop", rule.What);
    }

    [Fact]
    public void A_port_drop_matches_udp_first_and_a_host_route_needs_no_mask()
    {
        var names = NfTables.Drop(new OutputDropRule(Ipv4Address.Parse("198.51.100.7"), 32, 9)).Select(e => e.Name);
        Assert.Equal(["payload", "cmp", "meta", "cmp", "payload", "cmp", "immediate"], names);
    }

    [Fact]
    public void An_error_ack_names_the_errno_and_carries_the_kernels_message()
    {
        var ack = Hex("""
            38000000 0200 0003 05000000 00000000   NLMSG_ERROR (56 bytes), NLM_F_CAPPED|NLM_F_ACK_TLVS, seq 5
            efffffff                                error -17
            28000000 1400 050e 05000000 00000000    the request's header, capped
            1200 0100 41646472657373206578697374 00 0000   NLMSGERR_ATTR_MSG "Address exist" (length 18, padded to 20)
            """);
        var (sequence, errno, detail) = Assert.Single(Netlink.Acks(ack));
        Assert.Equal((5u, 17, "Address exist"), (sequence, errno, detail));
        var error = new NetlinkException("RTM_NEWADDR 192.0.2.1/24 dev tun0", errno, detail);
        Assert.Equal("RTM_NEWADDR 192.0.2.1/24 dev tun0: EEXIST (17): Address exist", error.Message);
        Assert.Equal("errno 1234", SystemError.Describe(1234));
        Assert.Equal("ENOTTY (25)", SystemError.Describe(25)); // a name the model's Errno lacks, from the C library
    }
}
