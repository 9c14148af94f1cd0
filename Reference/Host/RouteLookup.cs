namespace Udpconf.Reference.Host;

/// <summary>What a route lookup found (the rtable of the text).</summary>
public enum RouteType { Unicast, Local, Broadcast, Multicast }

/// <summary>The key of a route lookup (struct flowi): where to, from where, out of which device, with which TOS.</summary>
/// <param name="OnLink">RTO_ONLINK: only routes of link scope or narrower (no gateway) may match.</param>
/// <param name="Mark">The flow's mark (flowi4_mark): SO_MARK's, or an SO_MARK control message's; fwmark rules read it.</param>
/// <param name="AnySource">FLOWI_FLAG_ANYSRC (IP_TRANSPARENT): the source need not be the host's.</param>
public readonly record struct FlowKey(Ipv4Address Destination, Ipv4Address Source, int OutputInterface, byte Tos, bool OnLink, uint Mark = 0, bool AnySource = false);

/// <summary>The route chosen for a flow.</summary>
/// <param name="Destination">rt_dst: the address the IP header carries.</param>
/// <param name="NextHop">The neighbour that MSG_CONFIRM confirms: the gateway, or the destination itself.</param>
/// <param name="MtuLocked">The MTU metric is locked (no DF under IP_PMTUDISC_WANT).</param>
/// <param name="MetricMtu">The route's MTU metric, when it has one. There is no MTU of the route as a whole here: the
/// device's MTU is read when it is needed (Model.Mtus), since a cached copy went stale when the link MTU changed.</param>
public sealed record RouteResult(
    RouteType Type,
    Interface Device,
    Ipv4Address Source,
    Ipv4Address Destination,
    Ipv4Address NextHop,
    bool MtuLocked,
    byte? HopLimit,
    int? MetricMtu = null)
{
    public bool IsBroadcast => Type == RouteType.Broadcast;
}

/// <summary>
/// Outcome: the route for a flow, or the lookup's error (ENETUNREACH when nothing matches).
/// Description: the model of ip_route_output_flow that udp_sendmsg and connect consult. A given source must be a
/// local unicast address (EINVAL; now ENETUNREACH) unless the flow takes any source (IP_TRANSPARENT: nonlocal.source,
/// where a multicast or broadcast destination without an output interface still needs a local one); a given output interface must exist (ENODEV) and be up (ENETUNREACH); link-local
/// multicast and the limited broadcast go straight out of that interface; destination 0 means this host; a local
/// address is delivered through lo; otherwise the longest matching route of the host wins; a loopback source with
/// any other output device than lo is EINVAL.
/// Variation: the TOS bits compared with a route's selector come from the profile (RT_TOS in 2.6, DSCP now); a
/// source that is not this host's is EINVAL in 2.6 and ENETUNREACH now (measured); a class E or 0/8 unicast
/// destination is EINVAL in 2.6 and routed now (measured).
/// Policy rules (current kernels and 2.6 alike, <see cref="PolicyRule"/>) choose among tables after the local ones.
/// Model details: no route cache expiry; a gateway route uses the primary address of its device as source.
/// </summary>
public static class RouteLookup
{
    /// <summary>The clause that decided a failed lookup, from the last clause it passed: a refusing rule, else
    /// <paramref name="otherwise"/> (the caller's route clause; a source the host does not have is in the trace,
    /// nonlocal.source, but the lookup's refusal is the route's, as 2.6's was).</summary>
    public static string Refusal(string? lastPassed, string otherwise) =>
        lastPassed == ClauseId.PolicyRefuse ? ClauseId.PolicyRefuse : otherwise;

    /// <param name="pass">Told each policy clause the lookup went through (policy_routing.*, nonlocal.source), in
    /// order: a caller's trace, whose last entry says whether a rule refused (<see cref="Refusal"/>).</param>
    public static Result<RouteResult> Lookup(HostConfig host, FlowKey flow, Profile profile, Action<string>? pass = null)
    {
        var route = Find(host, flow, profile, pass ?? (_ => { }));
        // A loopback source (127/8) leaves through lo only: any other output device is EINVAL (found by the
        // differential machine: connect to 127.0.0.1 binds that source, and a later sendto elsewhere is refused).
        if (!route.IsError && route.Value.Source.IsLoopback && !route.Value.Device.IsLoopback) return Errno.EINVAL;
        return route;
    }

    private static Result<RouteResult> Find(HostConfig host, FlowKey flow, Profile profile, Action<string> pass)
    {
        var destination = flow.Destination;
        var source = flow.Source;

        if (!source.IsZero)
        {
            // A multicast or limited-broadcast source is EINVAL; one in 0.0.0.0/8 too in 2.6 (ZERONET), not on current
            // kernels, which then ask whether the host has it (measured: udp_sendmsg/pktinfo_source_class_linux).
            if (source.IsMulticast || source.IsLimitedBroadcast || profile.ReservedDestinationInvalid && source.IsZeroNet) return Errno.EINVAL;
            // spec: nonlocal.source — a source the host does not have: ENETUNREACH (2.6: EINVAL), unless the flow may
            // take any source (IP_TRANSPARENT); to a multicast or broadcast destination without a device the source
            // finds the device, so it must be the host's.
            var sourceDevice = host.OwnerOf(source);
            if (sourceDevice is null && (!flow.AnySource || flow.OutputInterface == 0 && (destination.IsMulticast || destination.IsLimitedBroadcast)))
            {
                if (profile.NonLocalSourceUnreachable) pass(ClauseId.NonlocalSource);
                return profile.NonLocalSourceUnreachable ? Errno.ENETUNREACH : Errno.EINVAL;
            }
            if (flow.AnySource && sourceDevice is null) pass(ClauseId.NonlocalSource);
            if (flow.OutputInterface == 0 && (destination.IsMulticast || destination.IsLimitedBroadcast))
                return Make(destination.IsMulticast ? RouteType.Multicast : RouteType.Broadcast, sourceDevice!, source, destination, destination, null);
        }

        Interface? outputDevice = null;
        if (flow.OutputInterface != 0)
        {
            outputDevice = host.InterfaceByIndex(flow.OutputInterface);
            if (outputDevice is null) return Errno.ENODEV;
            if (!outputDevice.Up) return Errno.ENETUNREACH;
            if (destination.IsLocalMulticast || destination.IsLimitedBroadcast)
            {
                var type = destination.IsMulticast ? RouteType.Multicast : RouteType.Broadcast;
                return Make(type, outputDevice, source.IsZero ? SelectAddress(host, outputDevice) : source, destination, destination, null);
            }
            if (source.IsZero && destination.IsMulticast) source = SelectAddress(host, outputDevice);
        }

        if (destination.IsZero)
        {
            var self = source.IsZero ? Ipv4Address.Loopback : source;
            return Make(RouteType.Local, Loopback(host), self, self, self, null);
        }

        // 127.255.255.255 is lo's broadcast (a broadcast route of the local table), not a local address; a socket
        // bound to another device does not see lo's routes (local_delivery.loopback_broadcast, measured on 6.18.44).
        if (profile.LocalDelivery && destination == Ipv4Address.LoopbackBroadcast && (outputDevice is null || outputDevice.IsLoopback))
            return Make(RouteType.Broadcast, Loopback(host), source.IsZero ? Ipv4Address.Loopback : source, destination, destination, null);

        // A flow bound to a device (not lo) sees only the local routes of that device's own addresses: 127.0.0.0/8 is
        // then a destination of its link, sent out of it (measured on 6.18.44, local_delivery/bound_device_loopback).
        if (host.IsLocalAddress(destination) &&
            !(profile.LocalDelivery && outputDevice is { IsLoopback: false } && host.OwnerOf(destination) != outputDevice))
            return Make(RouteType.Local, Loopback(host), source.IsZero ? destination : source, destination, destination, null);

        for (var d = 0; d < host.Interfaces.Count; d++)
        {
            var device = host.Interfaces[d];
            if (!device.Up || outputDevice is not null && device != outputDevice) continue;
            for (var a = 0; a < device.AddressCount; a++)
            {
                var (address, prefix) = device.AddressAt(a);
                if (Interface.SubnetBroadcast(address, prefix) == destination)
                    return Make(RouteType.Broadcast, device, source.IsZero ? address : source, destination, destination, null);
            }
        }

        // A broadcast route is in the local table (as `ip route add broadcast` puts it), whose rule 0 comes before
        // every other: it covers its whole prefix, over a longer route of main (198.51.100.90 under a broadcast /26 and
        // a unicast /28: EACCES without SO_BROADCAST; measured on 6.18.44, socket/bind_broadcast_route). The longest
        // one wins, the first listed among equals. (Loops, not LINQ, here and below: a lookup is part of every
        // unconnected send, and LINQ made it 0.8-1.0 us and 2.9 KB of a 4-6 us send; issue 17. By index: a foreach
        // over the interface makes an enumerator.)
        Route? broadcastRoute = null;
        Interface? broadcastDevice = null;
        for (var r = 0; r < host.Routes.Count; r++)
        {
            var route = host.Routes[r];
            if (route.Kind != RouteKind.Broadcast || !destination.InPrefix(route.Destination, route.PrefixLength)) continue;
            var device = host.InterfaceByName(route.Device!);
            if (device is not { Up: true } || outputDevice is not null && device != outputDevice) continue;
            if (broadcastRoute is null || route.PrefixLength > broadcastRoute.PrefixLength) (broadcastRoute, broadcastDevice) = (route, device);
        }
        if (broadcastDevice is not null) return Classify(broadcastRoute!, broadcastDevice, source, destination, profile);

        // spec: policy_routing.rules — the rules in priority order: the first whose table has a route for the flow
        // decides, a refusing rule refuses; without rules of the case's, main's routes (the model's one table before).
        var (match, refusal) = PolicyLookup(host, flow, profile, outputDevice, pass);
        if (refusal is { } refused)
        {
            // spec: policy_routing.oif_fallback — a lookup that fails for a flow with an output device assumes the
            // destination on that link (ip_route_output_key_hash_rcu: "routing tables are wrong").
            if (outputDevice is null) return refused;
            pass(ClauseId.PolicyOifFallback);
            match = null;
        }

        if (match is null)
        {
            // With an output interface but no route, the destination is assumed to be on that link, from an address of
            // link scope (inet_select_addr): lo's 127.0.0.1 is of host scope, so through lo the source is the first
            // other device's address (found by the differential machine: IP_UNICAST_IF lo, connect, then a
            // multicast send leaves tun0 from 192.0.2.1).
            if (outputDevice is not null)
                return Classify(new Route(destination, 32, RouteKind.OnLink, outputDevice.Name, PreferredSource: SelectAddress(host, outputDevice)), outputDevice, source, destination, profile);
            return Errno.ENETUNREACH;
        }

        switch (match.Kind)
        {
            case RouteKind.Unreachable: return Errno.EHOSTUNREACH;
            case RouteKind.Prohibit: return Errno.EACCES;
            case RouteKind.Blackhole: return Errno.EINVAL;
        }
        return Classify(match, host.InterfaceByName(match.Device!)!, source, destination, profile);
    }

    private static Result<RouteResult> Classify(Route route, Interface device, Ipv4Address source, Ipv4Address destination, Profile profile)
    {
        var type = destination.IsLimitedBroadcast || route.Kind == RouteKind.Broadcast ? RouteType.Broadcast
            : destination.IsMulticast ? RouteType.Multicast
            : RouteType.Unicast;
        // 2.6 refuses a class E or 0/8 unicast destination; current kernels send to it (udp_sendmsg/unicast_classes_*).
        if (profile.ReservedDestinationInvalid && type == RouteType.Unicast && (destination.IsClassE || destination.IsZeroNet)) return Errno.EINVAL;
        var chosenSource = !source.IsZero ? source : route.PreferredSource ?? device.Address;
        var nextHop = route.Kind == RouteKind.Unicast && route.Gateway is { } gateway ? gateway : destination;
        return Make(type, device, chosenSource, destination, nextHop, route);
    }

    private static RouteResult Make(RouteType type, Interface device, Ipv4Address source, Ipv4Address destination, Ipv4Address nextHop, Route? route) =>
        new(type, device, source, destination, nextHop, route?.MtuLocked ?? false, route?.HopLimit, route?.Mtu);

    /// <summary>inet_select_addr for a flow out of <paramref name="device"/> (link or universe scope): the device's
    /// address; lo's 127.0.0.1 is of host scope, so through lo it is the first other device's (found by the
    /// differential machine: bound to lo, a connect to 224.0.0.1 takes 192.0.2.1).</summary>
    private static Ipv4Address SelectAddress(HostConfig host, Interface device) =>
        device.IsLoopback ? host.Interfaces.FirstOrDefault(i => i.Up && !i.IsLoopback)?.Address ?? device.Address : device.Address;

    private static Interface Loopback(HostConfig host) => host.InterfaceByName(Interface.LoopbackName) ?? HostConfig.LoopbackInterface;

    private static readonly PolicyRule MainRule = new(32766, RuleAction.Lookup, Route.MainTable);
    private static readonly PolicyRule DefaultRule = new(32767, RuleAction.Lookup, Route.DefaultTable);
    private static readonly PolicyRule[] DefaultRules = [MainRule, DefaultRule];

    /// <summary>fib_rules_lookup over the case's rules and the default ones (the local table's rule 0 is the
    /// local-address and broadcast checks before): the best route of the first matching rule's table that has one,
    /// or the first matching refusing rule's error; neither: no route (null, null).</summary>
    private static (Route? Route, Errno? Refusal) PolicyLookup(HostConfig host, FlowKey flow, Profile profile, Interface? outputDevice, Action<string> pass)
    {
        if (host.Rules.Count > 0) pass(ClauseId.PolicyRules);
        IReadOnlyList<PolicyRule> rules = host.Rules.Count == 0 ? DefaultRules : [.. host.Rules.OrderBy(r => r.Priority), MainRule, DefaultRule];
        for (var r = 0; r < rules.Count; r++)
        {
            var rule = rules[r];
            if (!Matches(host, rule, flow, profile)) continue;
            // spec: policy_routing.refuse
            if (rule.Action != RuleAction.Lookup) pass(ClauseId.PolicyRefuse);
            switch (rule.Action)
            {
                case RuleAction.Unreachable: return (null, Errno.ENETUNREACH);
                case RuleAction.Prohibit: return (null, Errno.EACCES);
                case RuleAction.Blackhole: return (null, Errno.EINVAL);
            }
            if (rule.Table != Route.MainTable) pass(ClauseId.PolicyTable);
            var best = Best(host, flow, profile, outputDevice, rule.Table);
            // spec: policy_routing.table — a table without a route for the flow sends the lookup on to the next rule.
            if (best is not null) return (best, null);
        }
        return (null, null);
    }

    /// <summary>fib_rule_match and fib4_rule_match: every selector the rule has must hold.</summary>
    private static bool Matches(HostConfig host, PolicyRule rule, FlowKey flow, Profile profile)
    {
        if (rule.From is { } from && !flow.Source.InPrefix(from.Address, from.PrefixLength)) return false;
        if (rule.To is { } to && !flow.Destination.InPrefix(to.Address, to.PrefixLength)) return false;
        if (rule.FwMark is { } mark && (flow.Mark & mark.Mask) != mark.Mark) return false;
        if (rule.Tos != 0 && (flow.Tos & profile.RouteTosMask) != rule.Tos) return false;
        if (rule.Oif is { } oif && host.InterfaceByName(oif)?.Index != flow.OutputInterface) return false;
        return true;
    }

    /// <summary>The route of <paramref name="table"/> for the flow: the longest prefix, then one with a TOS selector
    /// over one without, the first among equals; the explicit routes come before the connected (link-scope) route of
    /// every up address, which is main's.</summary>
    private static Route? Best(HostConfig host, FlowKey flow, Profile profile, Interface? outputDevice, uint table)
    {
        Route? best = null;
        for (var r = 0; r < host.Routes.Count; r++)
        {
            var route = host.Routes[r];
            if (route.Table == table && Better(route, best, flow) && Usable(host, route, flow, profile, outputDevice)) best = route;
        }
        if (table != Route.MainTable) return best;
        for (var d = 0; d < host.Interfaces.Count; d++)
        {
            var device = host.Interfaces[d];
            if (!device.Up || device.IsLoopback) continue;
            for (var a = 0; a < device.AddressCount; a++)
            {
                var (address, prefix) = device.AddressAt(a);
                var connected = new Route(new Ipv4Address(address.Value & Ipv4Address.Mask(prefix)), prefix, RouteKind.OnLink, device.Name, PreferredSource: address);
                if (Better(connected, best, flow) && Usable(host, connected, flow, profile, outputDevice)) best = connected;
            }
        }
        return best;
    }

    /// <summary>The route covers the destination and ranks above <paramref name="best"/> (longer prefix, or as long and
    /// with a TOS selector where best has none).</summary>
    private static bool Better(Route route, Route? best, FlowKey flow) =>
        flow.Destination.InPrefix(route.Destination, route.PrefixLength) &&
        (best is null || route.PrefixLength > best.PrefixLength || route.PrefixLength == best.PrefixLength && route.Tos != 0 && best.Tos == 0);

    /// <summary>A route the flow may take: not a broadcast route (the local table's, looked at before the rules), its
    /// device up (a rejecting route needs none), the flow's output device, no gateway for RTO_ONLINK, and the flow's TOS
    /// where the route selects one.</summary>
    private static bool Usable(HostConfig host, Route route, FlowKey flow, Profile profile, Interface? outputDevice)
    {
        if (route.Kind == RouteKind.Broadcast) return false;
        var device = route.Device is null ? null : host.InterfaceByName(route.Device);
        var rejects = route.Kind is RouteKind.Unreachable or RouteKind.Prohibit or RouteKind.Blackhole;
        if (!rejects && (device is null || !device.Up)) return false;
        if (outputDevice is not null && device != outputDevice) return false;
        if (flow.OnLink && route.Kind == RouteKind.Unicast && route.Gateway is not null) return false;
        if (route.Tos != 0 && (route.Tos & profile.RouteTosMask) != (byte)(flow.Tos & profile.RouteTosMask)) return false;
        return true;
    }
}
