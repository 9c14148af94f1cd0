using Udpconf.Reference;
using Udpconf.Reference.Host;
using Xunit;

namespace Udpconf.Tests.Model.Host;

/// <summary>
/// The clauses a route lookup tells its caller (its trace): spec-map's coverage and the clause of a refused send are
/// read from them, so a lookup must name a policy clause only when that policy took part. The behaviour behind each
/// is measured by the cases named (Conformance/cases/policy_routing/, nonlocal/).
/// </summary>
public class RouteLookupTraceTests
{
    private static Ipv4Address Far => Ipv4Address.Parse("203.0.113.9");

    private static (Result<RouteResult> Route, List<string> Trace) Lookup(HostConfig host, FlowKey flow)
    {
        var trace = new List<string>();
        var route = RouteLookup.Lookup(host, flow, Profile.Linux, trace.Add);
        return (route, trace);
    }

    private static FlowKey To(Ipv4Address destination, Ipv4Address? source = null, bool anySource = false) =>
        new(destination, source ?? Ipv4Address.Any, 0, 0, false, AnySource: anySource);

    [Fact]
    [Trait("clause", "nonlocal.source")]
    public void A_transparent_flow_names_nonlocal_source_only_for_a_source_the_host_does_not_have()
    {
        var (own, ownTrace) = Lookup(HostConfig.Default, To(Far, Hosts.Local, anySource: true));
        Assert.Equal(Hosts.Local, own.Value.Source);
        Assert.DoesNotContain(ClauseId.NonlocalSource, ownTrace);

        var foreign = Ipv4Address.Parse("198.51.100.99");
        var (other, otherTrace) = Lookup(HostConfig.Default, To(Far, foreign, anySource: true));
        Assert.Equal(foreign, other.Value.Source);
        Assert.Equal([ClauseId.NonlocalSource], otherTrace);
    }

    [Fact]
    [Trait("clause", "policy_routing.rules")]
    [Trait("clause", "policy_routing.table")]
    public void Without_rules_of_the_case_a_lookup_names_no_policy_clause()
    {
        var (route, trace) = Lookup(HostConfig.Default, To(Far));
        Assert.Equal("tun0", route.Value.Device.Name);
        Assert.Empty(trace);
    }

    [Fact]
    [Trait("clause", "policy_routing.rules")]
    [Trait("clause", "policy_routing.table")]
    public void A_rule_that_sends_the_lookup_to_main_names_the_rules_but_not_another_table()
    {
        var host = HostConfig.Default with
        {
            Rules = [new PolicyRule(1000, RuleAction.Lookup, Route.MainTable, To: (Far, 32))],
        };
        var (viaMain, mainTrace) = Lookup(host, To(Far));
        Assert.Equal("tun0", viaMain.Value.Device.Name);
        Assert.Equal([ClauseId.PolicyRules], mainTrace);

        var other = HostConfig.Default with
        {
            Routes = [.. HostConfig.Default.Routes, new Route(Far, 32, RouteKind.Unicast, "tun0", Ipv4Address.Parse("192.0.2.253"), Table: 100)],
            Rules = [new PolicyRule(1000, RuleAction.Lookup, 100, To: (Far, 32))],
        };
        var (viaTable, tableTrace) = Lookup(other, To(Far));
        Assert.Equal(Ipv4Address.Parse("192.0.2.253"), viaTable.Value.NextHop);
        Assert.Equal([ClauseId.PolicyRules, ClauseId.PolicyTable], tableTrace);
    }
}
