using System.Net;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// The network namespace configured as a case's host: a TUN device per link, the sysctls, and through one rtnetlink
/// socket the links, addresses, routes, queues and the policy route of the markers (<see cref="LinkCapture"/>); the
/// case's output drops through nf_tables. Made on the namespace's thread (a socket belongs to the namespace of the
/// thread that opened it); <see cref="Change"/> applies a HostChangeOp later.
/// </summary>
internal sealed class HostSetup : IDisposable
{
    /// <summary>Markers carry <see cref="LinkCapture.MarkerMark"/>; a policy rule on it sends them through a table of
    /// their own, so the case's routes (unreachable, blackhole, ...) never stop them.</summary>
    private const uint MarkerTable = 32001, MarkerRulePriority = 10;
    /// <summary>The nf_tables table and output chain of a case's drops.</summary>
    private const string NftTable = "udpconf", NftChain = "out";
    /// <summary>The packets a link holds for the capture: more than the fragments of any datagram.</summary>
    private const int TunQueueLength = 10000;

    /// <summary>Where a case's IPv6 traffic may go, on the first link when IPv6 is asked for: this address on the
    /// link, and 2001:db8::/32 routed out of it.</summary>
    public const string Ipv6Address = "2001:db8::1/64", Ipv6Route = "2001:db8::/32";

    private readonly Dictionary<string, (int Fd, int Index)> tuns = [];
    private readonly HostConfig host;
    private readonly bool ipv6;
    private readonly HashSet<string> down = [];
    private readonly HashSet<string> vnet = [];
    /// <summary>Queue-full links: every packet is dropped before the device, the marker too.</summary>
    private readonly HashSet<string> silent = [];
    private RtNetlink? rtnetlink;

    public HostSetup(HostConfig host, bool ipv6)
    {
        this.host = host;
        this.ipv6 = ipv6;
    }

    /// <summary>The links of the namespace: name, TUN descriptor, ifindex.</summary>
    public IReadOnlyDictionary<string, (int Fd, int Index)> Links => tuns;

    /// <summary>The link hands out packets with a virtio-net header before them (checksum offload).</summary>
    public bool HasVnetHeader(string link) => vnet.Contains(link);

    /// <summary>A marker can go out of the link and come back: it is up, and its queue is not the one that drops all.</summary>
    public bool PassesMarkers(string link) => !down.Contains(link) && !silent.Contains(link);

    public unsafe void Configure()
    {
        // IPv6 off before any device exists, so that no link ever sends a router solicitation or DAD probe.
        WriteSysctl("net/ipv6/conf/all/disable_ipv6", "1", optional: true);
        WriteSysctl("net/ipv6/conf/default/disable_ipv6", "1", optional: true);
        foreach (var link in host.Interfaces.Where(i => !i.IsLoopback).OrderBy(i => i.Index))
        {
            var fd = Native.open("/dev/net/tun", Native.ORdwr | Native.ONonblock | Native.OCloexec);
            if (fd < 0) throw new InvalidOperationException($"open /dev/net/tun: {SystemError.Describe(Native.Errno)}");
            // A link with checksum offload gets a virtio-net header before every packet it hands out, and
            // TUN_F_CSUM so that the kernel leaves UDP checksums for the device to finish (NETIF_F_HW_CSUM).
            var ifr = Native.IfReq(link.Name, Native.IffTun | Native.IffNoPi | (link.ChecksumOffload ? Native.IffVnetHdr : 0));
            fixed (byte* p = ifr)
                if (Native.ioctl(fd, Native.TunSetIff, p) != 0)
                {
                    var errno = Native.Errno;
                    Native.close(fd);
                    throw new InvalidOperationException($"TUNSETIFF {link.Name}: {SystemError.Describe(errno)}");
                }
            tuns[link.Name] = (fd, IfIndex(link.Name));
            if (link.ChecksumOffload)
            {
                vnet.Add(link.Name);
                if (Native.ioctl(fd, Native.TunSetOffload, (void*)Native.TunFCsum) != 0)
                    throw new InvalidOperationException($"TUNSETOFFLOAD {link.Name}: {SystemError.Describe(Native.Errno)}");
            }
            // nosg: NETIF_F_SG off (a TUN device offers it to ethtool), so appended data is copied into the linear
            // buffer instead of page fragments.
            if (!link.ScatterGather) SwitchScatterGatherOff(link.Name);
            WriteSysctl($"net/ipv6/conf/{link.Name}/disable_ipv6", "1", optional: true);
        }
        WriteSysctl("net/ipv4/ip_default_ttl", host.DefaultTtl.ToString());
        WriteSysctl("net/ipv4/ip_local_port_range", $"{host.LocalPortLow} {host.LocalPortHigh}");
        if (host.DefaultPmtuMode is 0 or 1) WriteSysctl("net/ipv4/ip_no_pmtu_disc", host.DefaultPmtuMode == 1 ? "0" : "1");
        // Everything below goes through one rtnetlink socket opened on this thread, so in this namespace. Every
        // link is configured up (the kernel refuses routes over a down device), the routes are added, and only then
        // are the links described as down taken down: the kernel then drops their routes, as it would.
        rtnetlink = new RtNetlink();
        rtnetlink.Request(RtNetlink.SetLink(IfIndex("lo"), "lo", up: true));
        rtnetlink.Request(RtNetlink.AddRule(LinkCapture.MarkerMark, MarkerTable, MarkerRulePriority));
        foreach (var link in host.Interfaces.Where(i => !i.IsLoopback))
        {
            var index = tuns[link.Name].Index;
            // A TUN device queues at most txqueuelen packets for its reader (500 by default) and drops the rest: a
            // datagram cut at MTU 68 has up to ~8000 fragments, and the marker must still come after them.
            rtnetlink.Request(RtNetlink.SetLink(index, link.Name, link.Mtu, TunQueueLength, up: true));
            foreach (var (address, prefix) in link.Addresses)
                rtnetlink.Request(RtNetlink.AddAddress(index, link.Name, new IPAddress(address.ToBytes()), prefix));
            rtnetlink.Request(RtNetlink.NewRoute(MarkerRoute(link), RouteVerb.Add));
        }
        // append, not add: a second route to the same prefix (two defaults over two links) is kept after the first,
        // which stays the one used, as the host description lists them.
        foreach (var route in host.Routes) rtnetlink.Request(RtNetlink.NewRoute(RouteSpec.From(route, LinkIndex), RouteVerb.Append));
        // The case's rules: every one after the marker's (10), each with its priority given (the kernel would pick
        // one below the lowest there is, ahead of the marker's).
        foreach (var rule in host.Rules) rtnetlink.Request(RtNetlink.AddRule(rule));
        // pfifo keeps one FIFO per link: the default pfifo_fast has priority bands by TOS and could hand the marker
        // out before a packet sent earlier. A link described queue-full gets a pfifo of limit 0: it never bypasses
        // the queue, and enqueueing into it drops with NET_XMIT_DROP, which is what the cases need. No marker goes
        // there (nothing can reach that device), so capture reads what is readable and stops, as for a down link.
        foreach (var link in host.Interfaces.Where(i => !i.IsLoopback))
            rtnetlink.Request(RtNetlink.RootPfifo(tuns[link.Name].Index, link.Name, link.QueueFull ? 0u : (uint)TunQueueLength));
        foreach (var link in host.Interfaces.Where(i => !i.IsLoopback && i.QueueFull)) silent.Add(link.Name);
        if (ipv6 && host.Interfaces.Where(i => !i.IsLoopback && i.Up).OrderBy(i => i.Index).FirstOrDefault() is { } v6)
        {
            foreach (var (key, value) in new[] { ("addr_gen_mode", "1"), ("accept_ra", "0"), ("router_solicitations", "0"), ("dad_transmits", "0"), ("disable_ipv6", "0") })
                WriteSysctl($"net/ipv6/conf/{v6.Name}/{key}", value);
            var index = tuns[v6.Name].Index;
            rtnetlink.Request(RtNetlink.AddAddress(index, v6.Name, IPAddress.Parse(Ipv6Address.Split('/')[0]), int.Parse(Ipv6Address.Split('/')[1]), noDad: true));
            var network = Ipv6Route.Split('/');
            rtnetlink.Request(RtNetlink.NewRoute(new RouteSpec(RtNetlink.AfInet6, IPAddress.Parse(network[0]).GetAddressBytes(), int.Parse(network[1]),
                RtNetlink.RtnUnicast, RtNetlink.TableMain, RtNetlink.ScopeUniverse, index, v6.Name), RouteVerb.Add));
        }
        if (host.OutputDrops.Count > 0) NfTables.ApplyOutputFilter(NftTable, NftChain, LinkCapture.MarkerMark, host.OutputDrops);
        foreach (var link in host.Interfaces.Where(i => !i.IsLoopback && !i.Up))
        {
            rtnetlink.Request(RtNetlink.SetLink(tuns[link.Name].Index, link.Name, up: false));
            down.Add(link.Name);
        }
    }

    /// <summary>The marker's route out of a link: a default route in the marker table, metric the link's index.</summary>
    private RouteSpec MarkerRoute(Interface link) =>
        new(RtNetlink.AfInet, new byte[4], 0, RtNetlink.RtnUnicast, MarkerTable, RtNetlink.ScopeLink, tuns[link.Name].Index, link.Name, Metric: (uint)link.Index);

    /// <summary>The ifindex of one of the sandbox's links; 0 for another name, which rtnetlink then looks up by
    /// name (and refuses with ENODEV when there is none).</summary>
    private int LinkIndex(string name) => tuns.TryGetValue(name, out var link) ? link.Index : 0;

    /// <summary>The links a HostChangeOp changed since the configuration or the last <see cref="Restore"/>.</summary>
    private readonly HashSet<string> changed = [];

    /// <summary>
    /// The host as <see cref="Configure"/> left it, after a run, when that can be done: the links set back to their
    /// MTUs and states with their routes (as <see cref="Change"/> does): those the run changed, or with
    /// <paramref name="bounceLinks"/> every link (lo too), each taken down first; then the IPv4 route cache flushed.
    /// Taking a link down deletes the routes over it, and with them the route exceptions of their nexthops (path MTUs
    /// learned from an ICMP fragmentation needed, the host's own answer to a refused DF datagram among them;
    /// redirects). The flush alone does not remove those, and a dump no longer shows them after it (it skips an
    /// exception of an older generation, or one no route is bound to yet), but the next lookup of that address binds
    /// its route to the exception, and a later lookup replaces that route and discards what still holds it. Measured
    /// on 6.18.44: `fuzz --seed 5 --count 500` lost a corked datagram in a namespace reset by the flush alone (its
    /// cork's route discarded when another socket sent to the same address after an MTU change; traced to
    /// dst_discard_out), never in a new one; with the links taken down and up it ran clean. The caller bounces the links
    /// when an ICMP error came in since the last reset (<see cref="SnmpCounters.IcmpErrorsIn"/>).
    /// False, not to be used again: a namespace with IPv6 (its route exceptions, from an ICMPv6 Packet Too Big, have no
    /// flush or count here, and taking its link down would drop its IPv6 address; four cases open IPv6 sockets), or one
    /// that still shows an exception (dumped before the flush).
    /// What a reset cannot give back (the counters, the IP identification and port generators' positions) the
    /// comparison treats as values a target chooses.
    /// </summary>
    public bool Restore(bool bounceLinks)
    {
        if (ipv6) return false;
        foreach (var link in host.Interfaces.Where(i => bounceLinks || changed.Contains(i.Name)))
        {
            if (bounceLinks) Change(link.Name, null, up: false);
            Change(link.Name, link.Mtu, up: true);
            if (!link.Up) Change(link.Name, null, up: false);
        }
        changed.Clear();
        var clean = rtnetlink!.RouteExceptions() == 0;
        WriteSysctl("net/ipv4/route/flush", "1");
        return clean;
    }

    /// <summary>A HostChangeOp: the link's MTU, or up or down. Bringing a link back up re-adds its marker route and
    /// the case's routes over it (the kernel dropped them when it went down), replacing any the kernel kept: the
    /// host description stays what the case says.</summary>
    public void Change(string link, int? mtu, bool? up)
    {
        var sandboxLink = host.InterfaceByName(link);
        changed.Add(link);
        rtnetlink!.Request(RtNetlink.SetLink(LinkIndex(link), link, mtu, up: up));
        if (up == true && sandboxLink is not null)
        {
            if (!sandboxLink.IsLoopback) rtnetlink.Request(RtNetlink.NewRoute(MarkerRoute(sandboxLink), RouteVerb.Replace));
            foreach (var r in host.Routes.Where(r => r.Device == link))
                rtnetlink.Request(RtNetlink.NewRoute(RouteSpec.From(r, LinkIndex), RouteVerb.Replace));
        }
        if (up == true) down.Remove(link);
        if (up == false) down.Add(link);
    }

    private static void WriteSysctl(string key, string value, bool optional = false)
    {
        var path = "/proc/sys/" + key;
        if (optional && !File.Exists(path)) return;
        File.WriteAllText(path, value);
    }

    private static int IfIndex(string name)
    {
        var ifr = Native.IfReq(name, 0);
        InterfaceIoctl(name, Native.SiocGifIndex, ifr, "SIOCGIFINDEX");
        return BitConverter.ToInt32(ifr, 16);
    }

    /// <summary>NETIF_F_SG off through ETHTOOL_SSG: its struct ethtool_value {cmd, data 0} is pointed to by ifr_data.</summary>
    private static unsafe void SwitchScatterGatherOff(string name)
    {
        var value = stackalloc uint[2];
        value[0] = Native.EthtoolSsg;
        value[1] = 0;
        var ifr = Native.IfReq(name, 0);
        BitConverter.GetBytes((long)(nint)value).CopyTo(ifr, 16);
        InterfaceIoctl(name, Native.SiocEthtool, ifr, "ETHTOOL_SSG");
    }

    /// <summary>An ioctl about interface <paramref name="name"/> through a throwaway AF_INET socket of this namespace.</summary>
    private static unsafe void InterfaceIoctl(string name, uint request, byte[] ifr, string what)
    {
        var s = Native.socket(AddressFamily.Inet, SocketType.Dgram | SocketType.CloexecFlag, 0);
        try
        {
            fixed (byte* p = ifr)
                if (Native.ioctl(s, request, p) != 0) throw new InvalidOperationException($"{what} {name}: {SystemError.Describe(Native.Errno)}");
        }
        finally { Native.close(s); }
    }

    public void Dispose()
    {
        rtnetlink?.Dispose();
        foreach (var (fd, _) in tuns.Values) Native.close(fd);
        tuns.Clear();
    }
}
