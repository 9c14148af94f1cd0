using Udpconf.Reference;
using Udpconf.Reference.Host;
using Xunit;

namespace Udpconf.Tests.Model.Host;

/// <summary>
/// A flow that names a source the host has keeps it, whatever the destination: ip_route_output_key_hash_rcu fills
/// fl4->saddr only when it is 0. Where the datagram leaves by a link the cases measure it (udp_sendmsg/source_from_route,
/// udp_sendmsg/connected_stale_flow_source_linux, nonlocal/); where it is looped back (to 0.0.0.0, 127.0.0.0/8, lo's
/// broadcast) the source shows only to a receiver, which the suite does not read, so this test states it.
/// </summary>
public class RouteLookupSourceTests
{
    public static TheoryData<string> Destinations =>
    [
        "198.51.100.7", "192.0.2.7", "192.0.2.1", "192.0.2.255", "255.255.255.255", "239.1.2.3", "224.0.0.1",
        "127.0.0.1", "127.0.0.9", "127.255.255.255", "0.0.0.0",
    ];

    [Theory]
    [MemberData(nameof(Destinations))]
    public void A_flow_with_a_source_of_this_host_keeps_it_on_either_profile(string destination)
    {
        foreach (var profile in Profile.All)
        {
            var route = RouteLookup.Lookup(HostConfig.Default, new FlowKey(Ipv4Address.Parse(destination), Hosts.Local, 0, 0, false), profile);
            Assert.False(route.IsError, $"{profile.Name}: {route.Error}");
            Assert.Equal(Hosts.Local, route.Value.Source);
        }
    }
}
