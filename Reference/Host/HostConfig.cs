namespace Udpconf.Reference.Host;

/// <summary>A network interface of the modeled host.</summary>
/// <param name="Name">Interface name (tun0, lo).</param>
/// <param name="Index">ifindex, as IP_PKTINFO and IP_MULTICAST_IF name it.</param>
/// <param name="Address">Primary IPv4 address.</param>
/// <param name="PrefixLength">Prefix of the connected network.</param>
/// <param name="Mtu">Device MTU.</param>
/// <param name="Up">Administratively up; routes over a down interface are not used.</param>
/// <param name="ChecksumOffload">The device finishes UDP checksums (NETIF_F_HW_CSUM): the stack leaves the
/// pseudo-header sum in the field.</param>
/// <param name="UdpFragmentationOffload">NETIF_F_UFO: the device takes whole oversized UDP datagrams (2.6 only).</param>
/// <param name="ScatterGather">NETIF_F_SG: appended data goes into page fragments.</param>
/// <param name="QueueFull">The device queue refuses packets (NET_XMIT_DROP), to model a full transmit queue.</param>
/// <param name="SecondaryAddresses">Further addresses on the same interface, with their prefixes.</param>
public sealed record Interface(
    string Name,
    int Index,
    Ipv4Address Address,
    int PrefixLength,
    int Mtu,
    bool Up = true,
    bool ChecksumOffload = false,
    bool UdpFragmentationOffload = false,
    bool ScatterGather = true,
    bool QueueFull = false,
    IReadOnlyList<(Ipv4Address Address, int PrefixLength)>? SecondaryAddresses = null)
{
    /// <summary>The loopback device's name: every host has it, index 1.</summary>
    public const string LoopbackName = "lo";

    public bool IsLoopback => Name == LoopbackName;

    public IEnumerable<(Ipv4Address Address, int PrefixLength)> Addresses =>
        SecondaryAddresses is null ? [(Address, PrefixLength)] : SecondaryAddresses.Prepend((Address, PrefixLength));

    /// <summary>How many <see cref="Addresses"/> there are; <see cref="AddressAt"/> reads them in that order without
    /// making a list (the route lookup's loops, issue 17).</summary>
    public int AddressCount => 1 + (SecondaryAddresses?.Count ?? 0);

    public (Ipv4Address Address, int PrefixLength) AddressAt(int index) => index == 0 ? (Address, PrefixLength) : SecondaryAddresses![index - 1];

    /// <summary>One of <see cref="Addresses"/> is <paramref name="address"/>.</summary>
    public bool Has(Ipv4Address address)
    {
        for (var i = 0; i < AddressCount; i++)
            if (AddressAt(i).Address == address) return true;
        return false;
    }

    /// <summary>The directed broadcast address of an address's subnet (none for /31 and /32).</summary>
    public static Ipv4Address? SubnetBroadcast(Ipv4Address address, int prefixLength) =>
        // not a limit: a /31 or /32 has no broadcast address (RFC 3021); the host's setup, not a call's value
        prefixLength >= 31 ? null : new Ipv4Address(address.Value | ~Ipv4Address.Mask(prefixLength));
}

/// <summary>The kinds of route a host description can name.</summary>
public enum RouteKind
{
    /// <summary>Via a gateway (universe scope).</summary>
    Unicast,
    /// <summary>Directly connected (link scope): the destination is the next hop.</summary>
    OnLink,
    /// <summary>A multicast range out of a device.</summary>
    Multicast,
    /// <summary>A broadcast address of a device.</summary>
    Broadcast,
    /// <summary><c>unreachable</c>: EHOSTUNREACH.</summary>
    Unreachable,
    /// <summary><c>prohibit</c>: EACCES.</summary>
    Prohibit,
    /// <summary><c>blackhole</c>: EINVAL.</summary>
    Blackhole,
}

/// <summary>A route of the host's table.</summary>
/// <param name="Destination">Network of the route.</param>
/// <param name="PrefixLength">0 for a default route.</param>
/// <param name="Kind">What the route does.</param>
/// <param name="Device">Output interface name (null for unreachable, prohibit and blackhole).</param>
/// <param name="Gateway">Next hop for <see cref="RouteKind.Unicast"/>.</param>
/// <param name="Mtu">Route MTU metric (path MTU); null: the device MTU.</param>
/// <param name="MtuLocked">The MTU metric is locked: IP_PMTUDISC_WANT then does not set DF.</param>
/// <param name="Tos">TOS selector: the route matches only that TOS (0: any).</param>
/// <param name="PreferredSource">src attribute of the route.</param>
/// <param name="HopLimit">hoplimit metric: the TTL of unicast packets on a socket without IP_TTL.</param>
/// <param name="Table">The routing table it is in: main (254) unless a case names another, which only a policy rule
/// reaches (<see cref="PolicyRule"/>).</param>
public sealed record Route(
    Ipv4Address Destination,
    int PrefixLength,
    RouteKind Kind,
    string? Device,
    Ipv4Address? Gateway = null,
    int? Mtu = null,
    bool MtuLocked = false,
    byte Tos = 0,
    Ipv4Address? PreferredSource = null,
    byte? HopLimit = null,
    uint Table = Route.MainTable)
{
    /// <summary>RT_TABLE_MAIN: the table of routes given without one, and of the connected routes.</summary>
    public const uint MainTable = 254;
    /// <summary>RT_TABLE_DEFAULT, which the last of the default rules looks in.</summary>
    public const uint DefaultTable = 253;
}

/// <summary>What a policy rule does when it matches: look in a table, or refuse (fib4_rule_action).</summary>
public enum RuleAction
{
    /// <summary>lookup TABLE: the table's best route, or on to the next rule when the table has none.</summary>
    Lookup,
    /// <summary>unreachable: ENETUNREACH.</summary>
    Unreachable,
    /// <summary>prohibit: EACCES.</summary>
    Prohibit,
    /// <summary>blackhole: EINVAL.</summary>
    Blackhole,
}

/// <summary>A policy rule (ip rule): the selectors a flow must match and the action. Rules are tried by priority
/// after the local table's rule (0) and before the default rules (main at 32766, default at 32767).</summary>
/// <param name="Priority">pref: lower first.</param>
/// <param name="From">from PREFIX: the flow's source (an unbound sender's lookup has source 0, which only /0 matches).</param>
/// <param name="To">to PREFIX: the destination.</param>
/// <param name="FwMark">fwmark MARK/MASK: (the flow's mark &amp; mask) == mark; the mark is SO_MARK's or an SO_MARK
/// control message's.</param>
/// <param name="Tos">tos: the flow's DSCP bits must equal it (0: any).</param>
/// <param name="Oif">oif NAME: the flow's output device (a bound or named one) must be it.</param>
public sealed record PolicyRule(
    int Priority,
    RuleAction Action,
    uint Table = Route.MainTable,
    (Ipv4Address Address, int PrefixLength)? From = null,
    (Ipv4Address Address, int PrefixLength)? To = null,
    (uint Mark, uint Mask)? FwMark = null,
    byte Tos = 0,
    string? Oif = null);

/// <summary>A LOCAL_OUT netfilter rule that drops matching packets (nftables output chain).</summary>
/// <param name="Destination">Destination network matched.</param>
/// <param name="PrefixLength">Prefix of the destination network.</param>
/// <param name="DestinationPort">UDP destination port matched (null: any).</param>
public sealed record OutputDropRule(Ipv4Address Destination, int PrefixLength, ushort? DestinationPort = null);

/// <summary>
/// The host the socket lives on: interfaces, routes, output filter and the settings that change the send path.
/// The same description configures the model and a live target's TUN device.
/// </summary>
public sealed record HostConfig
{
    public IReadOnlyList<Interface> Interfaces { get; init; } = [];
    public IReadOnlyList<Route> Routes { get; init; } = [];
    public IReadOnlyList<OutputDropRule> OutputDrops { get; init; } = [];
    /// <summary>Policy rules besides the default ones (ip rule), in any order: tried by priority.</summary>
    public IReadOnlyList<PolicyRule> Rules { get; init; } = [];

    /// <summary>net.ipv4.ip_default_ttl.</summary>
    public byte DefaultTtl { get; init; } = 64;
    /// <summary>net.ipv4.ip_local_port_range.</summary>
    public ushort LocalPortLow { get; init; } = 32768;
    public ushort LocalPortHigh { get; init; } = 60999;
    /// <summary>Default IP_MTU_DISCOVER mode of new sockets (net.ipv4.ip_no_pmtu_disc = 0 gives WANT).</summary>
    public int DefaultPmtuMode { get; init; } = 1;
    /// <summary>net.core.wmem_default and wmem_max.</summary>
    public int WmemDefault { get; init; } = 212992;
    public int WmemMax { get; init; } = 212992;
    /// <summary>The case states wmem_default and wmem_max (its steps depend on them): a target whose host has other
    /// values, which it cannot change, does not run it.</summary>
    public bool WmemStated { get; init; }
    /// <summary>net.core.rmem_default and rmem_max: SO_RCVBUF's start and cap (no case line sets them: the kernel target
    /// cannot, they are global).</summary>
    public int RmemDefault { get; init; } = 212992;
    public int RmemMax { get; init; } = 212992;
    /// <summary>The caller has CAP_NET_RAW / CAP_NET_BIND_SERVICE (true when the suite runs as root).</summary>
    public bool Privileged { get; init; } = true;
    /// <summary>A security module that vetoes every send with this error (none by default: the hook allows all).</summary>
    public Errno? SecurityVeto { get; init; }

    /// <summary>The loopback interface every host has, index 1.</summary>
    public static Interface LoopbackInterface => new(Interface.LoopbackName, 1, Ipv4Address.Loopback, 8, 65536);

    /// <summary>The documentation host: tun0 192.0.2.1/24, MTU 1500, a default route via 192.0.2.254.</summary>
    public static HostConfig Default => new()
    {
        Interfaces = [LoopbackInterface, new Interface("tun0", 2, Ipv4Address.Parse("192.0.2.1"), 24, 1500)],
        Routes = [new Route(Ipv4Address.Any, 0, RouteKind.Unicast, "tun0", Ipv4Address.Parse("192.0.2.254"))],
    };

    // Loops by index, not LINQ or foreach over the interface (an enumerator each): these run several times in every
    // route lookup (issue 17, the model's step).
    public Interface? InterfaceByIndex(int index)
    {
        for (var i = 0; i < Interfaces.Count; i++)
            if (Interfaces[i].Index == index) return Interfaces[i];
        return null;
    }

    public Interface? InterfaceByName(string name)
    {
        for (var i = 0; i < Interfaces.Count; i++)
            if (Interfaces[i].Name == name) return Interfaces[i];
        return null;
    }

    /// <summary>The interface that owns a local address, if any.</summary>
    public Interface? OwnerOf(Ipv4Address address)
    {
        for (var i = 0; i < Interfaces.Count; i++)
            if (Interfaces[i].Has(address)) return Interfaces[i];
        return address.IsLoopback ? InterfaceByName(Interface.LoopbackName) : null;
    }

    public bool IsLocalAddress(Ipv4Address address) => OwnerOf(address) is not null;

    public bool IsBroadcastAddress(Ipv4Address address) =>
        address.IsLimitedBroadcast ||
        Interfaces.Any(i => i.Addresses.Any(a => Interface.SubnetBroadcast(a.Address, a.PrefixLength) == address)) ||
        // inet_addr_type looks the address up in the local table, where a broadcast route covers its whole prefix:
        // with 198.51.100.64/26 there, bind takes 198.51.100.70 (measured on 6.18.44, socket/bind_broadcast_route).
        Routes.Any(r => r.Kind == RouteKind.Broadcast && address.InPrefix(r.Destination, r.PrefixLength));

    /// <summary>inet_addr_type's RTN_UNICAST: an address that is not 0, not a broadcast, not multicast and not one of
    /// this host's (the local table's).</summary>
    public bool IsRemoteUnicast(Ipv4Address address) =>
        !address.IsZero && !address.IsMulticast && !IsLocalAddress(address) && !IsBroadcastAddress(address);

    public HostConfig WithInterface(Interface changed) => this with
    {
        Interfaces = Interfaces.Select(i => i.Name == changed.Name ? changed : i).ToArray(),
    };
}
