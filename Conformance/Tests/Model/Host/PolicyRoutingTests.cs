using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Host;

/// <summary>
/// Policy rules, tables and marks (catalog part 2, policy_routing.*), each behavior measured on 6.18.44
/// (Conformance/cases/policy_routing/): two links, table 100 out of tun1 by default, table 101 with 203.0.113.0/24
/// out of tun1.
/// </summary>
public class PolicyRoutingTests
{
    private static Ipv4Address Tun1 => Ipv4Address.Parse("198.51.100.1");
    private static Ipv4Address Far => Ipv4Address.Parse("203.0.113.9");

    private static HostConfig Routed(params PolicyRule[] rules) => HostConfig.Default with
    {
        Interfaces = [.. HostConfig.Default.Interfaces, new Interface("tun1", 3, Tun1, 24, 1500)],
        Routes =
        [
            .. HostConfig.Default.Routes,
            new Route(Ipv4Address.Any, 0, RouteKind.Unicast, "tun1", Ipv4Address.Parse("198.51.100.254"), Table: 100),
            new Route(Ipv4Address.Parse("203.0.113.0"), 24, RouteKind.Unicast, "tun1", Ipv4Address.Parse("198.51.100.254"), Table: 101),
        ],
        Rules = rules,
    };

    private static string Link(Outcome outcome) => Assert.Single(outcome.Datagrams).Interface;

    private static Sim Linux(params PolicyRule[] rules)
    {
        var sim = Sim.Linux(Routed(rules));
        sim.Socket();
        return sim;
    }

    [Fact]
    [Trait("clause", "policy_routing.rules")]
    [Trait("clause", "policy_routing.table")]
    public void A_matching_rule_chooses_the_table_and_a_table_without_a_route_falls_through()
    {
        var sim = Linux(
            new PolicyRule(1001, RuleAction.Lookup, 101, To: (Ipv4Address.Parse("203.0.113.5"), 32)),
            new PolicyRule(1002, RuleAction.Lookup, 102, To: (Ipv4Address.Parse("203.0.113.70"), 32)));
        Assert.Equal("tun0", Link(sim.SendTo("s", 10, Far)));
        var chosen = sim.SendTo("s", 10, Ipv4Address.Parse("203.0.113.5"));
        Assert.Equal("tun1", Link(chosen));
        Assert.Equal(Tun1, Sim.Ip(Assert.Single(sim.Packets(chosen))).Source);
        Assert.Equal("tun0", Link(sim.SendTo("s", 10, Ipv4Address.Parse("203.0.113.70"))));
    }

    [Fact]
    [Trait("clause", "policy_routing.rules")]
    public void Rules_are_tried_by_priority_whatever_their_order()
    {
        var sim = Linux(
            new PolicyRule(2000, RuleAction.Prohibit),
            new PolicyRule(1000, RuleAction.Lookup, 100, To: (Far, 32)));
        Assert.Equal("tun1", Link(sim.SendTo("s", 10, Far)));
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote), Errno.EACCES, ClauseId.PolicyRefuse);
    }

    [Theory]
    [Trait("clause", "policy_routing.refuse")]
    [InlineData(RuleAction.Unreachable, Errno.ENETUNREACH)]
    [InlineData(RuleAction.Prohibit, Errno.EACCES)]
    [InlineData(RuleAction.Blackhole, Errno.EINVAL)]
    public void A_refusing_rule_refuses_with_its_own_error(RuleAction action, Errno errno)
    {
        var sim = Linux(new PolicyRule(1000, action, To: (Far, 32)));
        Expect.Error(sim.SendTo("s", 10, Far), errno, ClauseId.PolicyRefuse);
        Expect.Error(sim.Connect("s", Far, 9), errno, ClauseId.PolicyRefuse);
        Expect.Value(sim.SendTo("s", 10, Hosts.Remote), 10);
    }

    [Fact]
    [Trait("clause", "policy_routing.rules")]
    public void Each_selector_must_hold()
    {
        var sim = Linux(
            new PolicyRule(1000, RuleAction.Unreachable, From: (Hosts.Local, 32), To: (Far, 32)),
            new PolicyRule(1001, RuleAction.Prohibit, Tos: 0x10),
            new PolicyRule(1002, RuleAction.Blackhole, Oif: "tun1", To: (Hosts.Remote, 32)));
        // Unbound: the lookup's source is 0, which "from 192.0.2.1" does not match.
        Expect.Value(sim.SendTo("s", 10, Far), 10);
        sim.Socket("b");
        Expect.Value(sim.Bind("b", Hosts.Local, 0), 0);
        Expect.Error(sim.SendTo("b", 10, Far), Errno.ENETUNREACH, ClauseId.PolicyRefuse);
        // DSCP: 0x11 is 0x10 with an ECN bit; 0x18 another class.
        sim.SetInt("s", SolIp, IpTos, 0x11);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote), Errno.EACCES, ClauseId.PolicyRefuse);
        sim.SetInt("s", SolIp, IpTos, 0x18);
        Expect.Value(sim.SendTo("s", 10, Hosts.Remote), 10);
    }

    [Fact]
    [Trait("clause", "policy_routing.oif_fallback")]
    public void A_device_bound_flow_assumes_its_destination_on_link_when_a_rule_refuses()
    {
        var sim = Linux(new PolicyRule(1000, RuleAction.Unreachable, To: (Far, 32)));
        Expect.Value(sim.SetInt("s", SolSocket, SoBindToIfindex, 3), 0);
        var sent = sim.SendTo("s", 10, Far);
        Expect.Value(sent, 10);
        Assert.Equal("tun1", Link(sent));
        Assert.Equal(Tun1, Sim.Ip(Assert.Single(sim.Packets(sent))).Source);
    }

    [Fact]
    [Trait("clause", "policy_routing.mark")]
    public void SO_MARK_takes_an_int_marks_the_lookups_and_reads_back()
    {
        var sim = Linux(new PolicyRule(1000, RuleAction.Lookup, 100, FwMark: (7, uint.MaxValue)));
        Expect.Error(sim.Run(new SetSockOptOp(Fd.Named("s"), SolSocket, SoMark, UserBuffer.Of(new byte[] { 7, 0 }), 2)), Errno.EINVAL, ClauseId.SocketMark);
        Assert.Equal("tun0", Link(sim.SendTo("s", 10, Far)));
        Expect.Value(sim.SetInt("s", SolSocket, SoMark, 7), 0, ClauseId.SocketMark);
        Assert.Equal("07000000", Convert.ToHexString(sim.Run(new GetSockOptOp(Fd.Named("s"), SolSocket, SoMark, 4)).OptionValue!.Value.Span));
        Assert.Equal("tun1", Link(sim.SendTo("s", 10, Far)));
    }

    [Fact]
    [Trait("clause", "policy_routing.mark")]
    public void A_new_mark_routes_a_connected_socket_afresh_from_its_source()
    {
        var sim = Linux(new PolicyRule(1000, RuleAction.Lookup, 100, FwMark: (7, uint.MaxValue)));
        Expect.Value(sim.Connect("s", Far, 9), 0);
        Assert.Equal("tun0", Link(sim.SendTo("s", 10, null)));
        sim.SetInt("s", SolSocket, SoMark, 7);
        var sent = sim.SendTo("s", 10, null);
        Assert.Equal("tun1", Link(sent));
        Assert.Equal(Hosts.Local, Sim.Ip(Assert.Single(sim.Packets(sent))).Source);
    }

    [Fact]
    [Trait("clause", "policy_routing.mark")]
    public void SO_MARK_needs_CAP_NET_ADMIN_which_an_unprivileged_host_keeps()
    {
        var sim = Sim.Linux(Routed(new PolicyRule(1000, RuleAction.Lookup, 100, FwMark: (7, uint.MaxValue))) with { Privileged = false });
        sim.Socket();
        Expect.Value(sim.SetInt("s", SolSocket, SoMark, 7), 0, ClauseId.SocketMark);
        Assert.Equal("tun1", Link(sim.SendMsg("s", Far, [UserBuffer.Pattern(10)], ControlMessages.Encode((SolSocket, SoMark, BitConverter.GetBytes(7u))))));
    }

    [Fact]
    [Trait("clause", "policy_routing.mark_cmsg")]
    public void An_SO_MARK_message_marks_one_send_instead_of_the_socket()
    {
        var sim = Linux(new PolicyRule(1000, RuleAction.Lookup, 100, FwMark: (7, uint.MaxValue)));
        sim.SetInt("s", SolSocket, SoMark, 8);
        byte[] Mark(uint mark) => ControlMessages.Encode((SolSocket, SoMark, BitConverter.GetBytes(mark)));
        var marked = sim.SendMsg("s", Far, [UserBuffer.Pattern(10)], Mark(7));
        Assert.Equal("tun1", Link(marked));
        Expect.Passed(marked, ClauseId.SocketMarkCmsg);
        var plain = sim.SendTo("s", 10, Far);
        Assert.Equal("tun0", Link(plain));
        Expect.NotPassed(plain, ClauseId.SocketMarkCmsg);   // the trace spec-map's coverage reads: no message, no clause
        sim.SetInt("s", SolSocket, SoMark, 7);
        Assert.Equal("tun0", Link(sim.SendMsg("s", Far, [UserBuffer.Pattern(10)], Mark(0))));
    }

    [Fact]
    [Trait("clause", "policy_routing.connect_source")]
    public void Connect_looks_up_again_from_the_source_it_chose()
    {
        var sim = Linux(new PolicyRule(1005, RuleAction.Lookup, 101, From: (Hosts.Local, 32), To: (Far, 32)));
        Assert.Equal("tun0", Link(sim.SendTo("s", 10, Far)));
        var connect = sim.Connect("s", Far, 9);
        Expect.Value(connect, 0);
        Expect.Passed(connect, ClauseId.PolicyConnectSource);
        var sent = sim.SendTo("s", 10, null);
        Assert.Equal("tun1", Link(sent));
        Assert.Equal(Hosts.Local, Sim.Ip(Assert.Single(sim.Packets(sent))).Source);
    }

    [Fact]
    public void The_spec_profile_follows_the_hosts_rules_but_not_SO_MARK()
    {
        var sim = Sim.Spec(Routed(new PolicyRule(1000, RuleAction.Lookup, 100, To: (Far, 32))));
        sim.Socket();
        Assert.Equal("tun1", Link(sim.SendTo("s", 10, Far)));
        Assert.Equal(OutcomeKind.Unmodeled, sim.SetInt("s", SolSocket, SoMark, 7).Kind);
    }
}
