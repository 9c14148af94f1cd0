using Udpconf.Reference.Host;

namespace Udpconf.TestSupport;

/// <summary>The tests' one set of hosts and addresses (documentation ranges only): the model tests, the laws and the
/// case tests all build on these.</summary>
public static class Hosts
{
    public static Ipv4Address Local => Ipv4Address.Parse("192.0.2.1");
    public static Ipv4Address Secondary => Ipv4Address.Parse("192.0.2.2");
    public static Ipv4Address OnLinkPeer => Ipv4Address.Parse("192.0.2.7");
    public static Ipv4Address Gateway => Ipv4Address.Parse("192.0.2.254");
    public static Ipv4Address RemoteNet => Ipv4Address.Parse("198.51.100.0");
    public static Ipv4Address Remote => Ipv4Address.Parse("198.51.100.7");
    public static Ipv4Address Unroutable => Ipv4Address.Parse("203.0.113.9");
    public static Ipv4Address Tun1Address => Ipv4Address.Parse("10.0.0.1");
    public static Ipv4Address Tun1Gateway => Ipv4Address.Parse("10.0.0.254");
    public static Ipv4Address Group => Ipv4Address.Parse("239.1.2.3");
    public const byte TosSelector = 0x10;

    /// <summary>tun0 192.0.2.1/24 with the given MTU and no default route (203.0.113.0/24 is then unroutable).</summary>
    public static HostConfig OnLinkOnly(int mtu = 1500, bool offload = false, bool ufo = false, bool sg = true) => new()
    {
        Interfaces = [HostConfig.LoopbackInterface, new Interface("tun0", 2, Local, 24, mtu, ChecksumOffload: offload, UdpFragmentationOffload: ufo, ScatterGather: sg)],
        Routes = [new Route(RemoteNet, 24, RouteKind.Unicast, "tun0", Gateway)],
    };

    /// <summary>tun0 192.0.2.1/24 with a route to 198.51.100.0/24 via 192.0.2.254 carrying the given metrics.</summary>
    public static HostConfig OnLink(int mtu = 1500, int? routeMtu = null, bool mtuLocked = false, byte? hopLimit = null,
        bool offload = false, bool ufo = false, bool sg = true, bool queueFull = false,
        IReadOnlyList<OutputDropRule>? drops = null)
    {
        var host = OnLinkOnly(mtu, offload, ufo, sg) with
        {
            Routes = [new Route(RemoteNet, 24, RouteKind.Unicast, "tun0", Gateway, routeMtu, mtuLocked, HopLimit: hopLimit)],
            OutputDrops = drops ?? [],
        };
        if (queueFull) host = host.WithInterface(host.InterfaceByName("tun0")! with { QueueFull = true });
        return host;
    }

    /// <summary>tun0 192.0.2.1/24 with the given device MTU and a default route via 192.0.2.254, which may carry an
    /// MTU metric (the path MTU), locked or not. The send buffer is 16 MiB, so that no datagram of at most 64 KiB runs
    /// into ENOBUFS even when an MTU of 68 cuts it into thousands of fragments.</summary>
    public static HostConfig Tun0(int mtu, int? routeMtu = null, bool scatterGather = true, bool mtuLocked = false) => new()
    {
        Interfaces = [HostConfig.LoopbackInterface, new Interface("tun0", 2, Local, 24, mtu, ScatterGather: scatterGather)],
        Routes = [new Route(Ipv4Address.Any, 0, RouteKind.Unicast, "tun0", Gateway, Mtu: routeMtu, MtuLocked: mtuLocked)],
        WmemDefault = 1 << 24,
        WmemMax = 1 << 24,
    };

    /// <summary>tun0 (index 2) 192.0.2.1/24 with secondary 192.0.2.2/24, tun1 (index 3) 10.0.0.1/24. Default route
    /// via 192.0.2.254 on tun0, a second one via 10.0.0.254 on tun1 (used only when tun1 is asked for), and
    /// 198.51.100.0/24 via tun1 for TOS 0x10 only.</summary>
    public static HostConfig TwoLinks(Ipv4Address? preferredSource = null) => new()
    {
        Interfaces =
        [
            HostConfig.LoopbackInterface,
            new Interface("tun0", 2, Local, 24, 1500, SecondaryAddresses: [(Secondary, 24)]),
            new Interface("tun1", 3, Tun1Address, 24, 1400),
        ],
        Routes =
        [
            new Route(Ipv4Address.Any, 0, RouteKind.Unicast, "tun0", Gateway, PreferredSource: preferredSource),
            new Route(Ipv4Address.Any, 0, RouteKind.Unicast, "tun1", Tun1Gateway),
            new Route(RemoteNet, 24, RouteKind.Unicast, "tun1", Tun1Gateway, Tos: TosSelector),
        ],
    };
}
