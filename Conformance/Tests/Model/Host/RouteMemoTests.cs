using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;

namespace Udpconf.Tests.Model.Host;

/// <summary>
/// A send's route lookup keeps its last answer (Net.Route, issue 17): the same flow on the same host has the same
/// answer, so a run of sends to one destination looks the route up once. What the memo must never change: a lookup
/// that passed policy clauses passes them again, a host change is looked up anew, and another flow is another lookup.
/// </summary>
public class RouteMemoTests
{
    private static Ipv4Address Far => Ipv4Address.Parse("203.0.113.9");

    [Fact]
    [Trait("clause", "policy_routing.rules")]
    [Trait("clause", "policy_routing.refuse")]
    public void A_lookup_that_passed_policy_clauses_passes_them_at_every_send()
    {
        var host = HostConfig.Default with { Rules = [new PolicyRule(1000, RuleAction.Prohibit, To: (Far, 32))] };
        var sim = Sim.Linux(host);
        sim.Socket();
        // Twice in a row each: the second of a pair is the flow of the lookup just made.
        for (var i = 0; i < 2; i++)
        {
            var sent = sim.SendTo("s", 10, Hosts.Remote);
            Expect.Value(sent, 10);
            Expect.Passed(sent, ClauseId.PolicyRules);
        }
        for (var i = 0; i < 2; i++) Expect.Error(sim.SendTo("s", 10, Far), Errno.EACCES, ClauseId.PolicyRefuse);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.route")]
    public void A_host_change_between_two_sends_to_one_destination_is_looked_up_anew()
    {
        var sim = Sim.Linux();
        sim.Socket();
        Assert.Equal("tun0", Assert.Single(sim.SendTo("s", 10, Hosts.Remote).Datagrams).Interface);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Up: false)), 0);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote), Errno.ENETUNREACH, ClauseId.Route);
        Expect.Error(sim.SendTo("s", 10, Hosts.Remote), Errno.ENETUNREACH, ClauseId.Route);
        Expect.Value(sim.Run(new HostChangeOp("tun0", Up: true)), 0);
        Assert.Equal("tun0", Assert.Single(sim.SendTo("s", 10, Hosts.Remote).Datagrams).Interface);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.route")]
    public void Sends_that_alternate_between_flows_each_take_their_own_route()
    {
        var sim = Sim.Linux();
        sim.Socket();
        for (var i = 0; i < 3; i++)
        {
            var remote = Assert.Single(sim.SendTo("s", 10, Hosts.Remote).Datagrams);
            Assert.Equal(("tun0", Hosts.Remote), (remote.Interface, remote.Destination));
            var local = Assert.Single(sim.SendTo("s", 10, Hosts.Local).Datagrams);
            Assert.Equal(("lo", Hosts.Local), (local.Interface, local.Destination));
        }
    }
}
