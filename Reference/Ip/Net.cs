using System.Runtime.CompilerServices;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Ip;

/// <summary>
/// The host as IP and UDP see it (struct net, and the kernel's shared generators): the configuration and profile,
/// the route generation, the symbols introduced so far and the path MTUs learned. <see cref="Model"/> adds the
/// process's descriptors and the dispatch of operations on top.
/// </summary>
public abstract class Net
{
    private readonly SymbolTable symbols = new();
    private readonly Dictionary<string, Symbol> symbolsByName = [];
    private readonly Dictionary<Ipv4Address, (Symbol Symbol, int Uses)> destinationCounters = new();
    private readonly HashSet<Ipv4Address> learnedPmtu = [];
    private readonly HashSet<Ipv4Address> stalePmtu = [];

    protected Net(HostConfig host, Profile profile)
    {
        Host = host;
        Profile = profile;
    }

    /// <summary>Every open socket of the host.</summary>
    protected abstract IEnumerable<InetSock> InetSockets { get; }

    /// <summary>ip_check_mc_rcu: the device is a member of <paramref name="group"/>: every device is of 224.0.0.1
    /// (IGMP_ALL_HOSTS, joined by ip_mc_up; found by the differential machine), any other group once some socket of
    /// this host joined it on the device.</summary>
    internal bool Joined(Ipv4Address group, int ifindex) =>
        group == AllHosts || InetSockets.Any(s => s.Memberships.Any(m => m.Group == group && m.Ifindex == ifindex));

    private static Ipv4Address AllHosts => Ipv4Address.Parse("224.0.0.1");

    public HostConfig Host { get; private set; }
    public Profile Profile { get; }
    /// <summary>A datagram reached LocalDelivery: some socket of this host may hold it in its receive queue, memory
    /// (SO_MEMINFO's receive side) the model does not count.</summary>
    public bool DeliveredLocally { get; internal set; }
    /// <summary>Bumped by every host change: cached routes of connected sockets are then looked up again.</summary>
    public int RouteGeneration { get; private set; }
    /// <summary>Every symbol the model has introduced so far, in order.</summary>
    public IReadOnlyList<Symbol> Symbols => symbols;

    /// <summary>The sockets of this host, each with whether it is an AF_INET6 one: what a datagram delivered locally
    /// may reach (Profile.LocalDelivery).</summary>
    internal abstract IEnumerable<(InetSock Sock, bool Inet6)> HostSockets { get; }

    /// <summary>ip_fragment's ICMP to this host taught the route to <paramref name="destination"/> a path MTU (a
    /// next-hop exception, equal to the MTU of the moment).</summary>
    internal void LearnPmtu(Ipv4Address destination) => learnedPmtu.Add(destination);

    /// <summary>Why the model cannot say what a datagram to <paramref name="destination"/> does: its learned path MTU
    /// outlived a change of the link MTU, and how such an exception and the routes cached from it follow the link is
    /// route-cache detail the model does not follow. Null when it can.</summary>
    internal string? UnmodeledPath(Ipv4Address destination) => stalePmtu.Contains(destination)
        ? $"the path MTU to {destination} was learned from this host's own ICMP \"fragmentation needed\" and the link MTU changed since"
        : null;

    /// <summary>The last lookup made through <see cref="Route"/> that passed no policy clause: the host it was made on
    /// (this object: every change makes a new one), its flow and its answer.</summary>
    private (HostConfig Host, FlowKey Flow, Result<RouteResult> Route)? lastLookup;

    /// <summary>ip_route_output_flow for a send (<see cref="RouteLookup.Lookup"/>), the answer of the last lookup kept:
    /// the lookup depends on the host, the flow and the profile alone, so the same flow on the same host has the same
    /// answer. Only a lookup that passed no policy clause is kept, so a kept answer has no clause to pass again; the
    /// ones a lookup passes go on <paramref name="call"/> at the caller's site, and the last of them is given back for
    /// <see cref="RouteLookup.Refusal"/>. A run of sends to one destination looks the route up once (issue 17: the
    /// lookup, its closure and delegate were 0.14 of a plain unconnected send's 1 us; a send to another destination
    /// pays them).</summary>
    internal (Result<RouteResult> Route, string? LastPolicy) Route(FlowKey flow, Call call,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        if (lastLookup is { } last && ReferenceEquals(last.Host, Host) && last.Flow == flow) return (last.Route, null);
        return LookUp(flow, call, new ClauseSite(file, line, member));
    }

    /// <summary>The lookup <see cref="Route"/> did not keep: a method of its own, so that its closure is made only here.</summary>
    private (Result<RouteResult> Route, string? LastPolicy) LookUp(FlowKey flow, Call call, ClauseSite site)
    {
        string? policy = null;
        var route = RouteLookup.Lookup(Host, flow, Profile, id => call.Pass(policy = id, site));
        if (policy is null) lastLookup = (Host, flow, route);
        return (route, policy);
    }

    /// <summary>release_sock's callback (Profile.ReleaseRevalidatesRoute): a connected socket whose cached route went
    /// obsolete gets it looked up again, from its peer, bound source and TOS, or none when that fails.</summary>
    internal void ReleaseSocket(InetSock sock)
    {
        if (!Profile.ReleaseRevalidatesRoute || !sock.Connected || sock.CachedRoute is null || sock.CachedRouteGeneration == RouteGeneration) return;
        var destination = sock.Options is { HasSourceRoute: true } options ? options.FirstHop!.Value : sock.PeerAddress;
        var route = RouteLookup.Lookup(Host, new FlowKey(destination, sock.SourceAddress, Profile.DeviceBinding ? sock.BoundDevice : 0, sock.Tos, false, sock.Mark, sock.Transparent), Profile);
        sock.CachedRoute = route.IsError ? null : route.Value;
        sock.CachedRouteGeneration = RouteGeneration;
    }

    /// <summary>A route's MTUs now: the path MTU (dst_mtu: the route's MTU metric, else its device's) and its device's,
    /// which follow the host's changes after the route was looked up.</summary>
    private const int IpMaxMtu = 0xFFFF;

    /// <summary>The MTU ip_finish_output fragments at (ip_skb_dst_mtu): the policy's choice, capped at IP_MAX_MTU
    /// (found by the differential machine: bound to lo under IP_PMTUDISC_PROBE, 65508 bytes pass ip_append_data against
    /// lo's 65536 and fail on output with EMSGSIZE and an OutDiscard).</summary>
    internal static int OutputMtu(int fragmentMtu) => Math.Min(fragmentMtu, IpMaxMtu);

    internal (int Path, int Device) Mtus(RouteResult route)
    {
        // dst_mtu (ipv4_mtu) caps the path MTU at IP_MAX_MTU (65535): through lo, whose MTU is 65536, a 65508-byte
        // datagram under IP_PMTUDISC_DO is EMSGSIZE (found by the differential machine). The device's own MTU, which
        // ip_setup_cork takes for PROBE and later modes, is not capped there; the output's is (OutputMtu).
        var device = Host.InterfaceByName(route.Device.Name) ?? route.Device;
        return (Math.Min(route.MetricMtu ?? device.Mtu, IpMaxMtu), device.Mtu);
    }

    /// <summary>The path MTU discovery rules for <paramref name="sock"/>'s IP_MTU_DISCOVER mode now.</summary>
    internal PmtuPolicy Pmtu(InetSock sock) => new(Profile, sock.PmtuMode);

    internal Symbol NewSymbol(string name, SymbolKind kind, ushort low = 0, ushort high = ushort.MaxValue)
    {
        var symbol = new Symbol(name, kind, low, high);
        symbols.Add(symbol);
        symbolsByName.Add(name, symbol);
        return symbol;
    }

    /// <summary>The symbol the model introduced as <paramref name="name"/>.</summary>
    internal Symbol SymbolNamed(string name) => symbolsByName[name];

    private Symbol? tickRate;

    /// <summary>The host's CONFIG_HZ, made the first time a reading depends on it.</summary>
    internal Symbol TickRate => tickRate ??= NewSymbol("HZ", SymbolKind.TickRate, Symbol.TickRates[0], Symbol.TickRates[^1]);

    /// <summary>A fresh identification for one datagram (current kernels' hashed generator): its symbol's name.</summary>
    /// <remarks>Not kept by name, nor as a symbol (<see cref="SymbolTable"/> makes it when read): only ports are looked
    /// up by name (<see cref="SymbolNamed"/>), and these names are unique by construction (issue 17).</remarks>
    internal string NewFreeIdent() => symbols.AddFreeIdent();

    /// <summary>2.6: the per-destination identification counter (inet_peer), and this datagram's step on it.</summary>
    internal (Symbol Symbol, int Step) NextDestinationIdent(Ipv4Address destination)
    {
        if (!destinationCounters.TryGetValue(destination, out var counter))
            counter = (NewSymbol($"ipid@{destination}", SymbolKind.IdentCounter), 0);
        destinationCounters[destination] = (counter.Symbol, counter.Uses + 1);
        return (counter.Symbol, counter.Uses);
    }

    /// <summary>A device's settings changed: cached routes go obsolete, and a path MTU learned before a change of the
    /// link MTU goes stale.</summary>
    internal void ChangeInterface(Interface device, Interface changed)
    {
        Host = Host.WithInterface(changed);
        if (changed.Mtu != device.Mtu) stalePmtu.UnionWith(learnedPmtu);
        RouteGeneration++;
    }
}

/// <summary>lock_sock ... release_sock around a part of a call: disposing it releases the socket (and runs
/// <see cref="Net.ReleaseSocket"/>) only if the lock was taken. The release follows the answer, so it changes nothing
/// the call already decided.</summary>
public sealed class SockLock(Net net, InetSock sock) : IDisposable
{
    private bool held;

    public void Take() => held = true;

    public void Dispose()
    {
        if (held) net.ReleaseSocket(sock);
    }
}
