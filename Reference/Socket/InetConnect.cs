using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Socket;

/// <summary>connect() of a UDP socket (inet_dgram_connect, ip4_datagram_connect) and AF_UNSPEC disconnect
/// (udp_disconnect).</summary>
public static class InetConnect
{
    /// <summary>
    /// Outcome: 0. EINVAL for an address too short to hold a family; AF_UNSPEC disconnects; EAGAIN when the socket
    /// cannot be bound; EINVAL below sockaddr_in; EAFNOSUPPORT for a family other than AF_INET; the route lookup's
    /// error; EACCES for a broadcast route without SO_BROADCAST.
    /// Description: a connected socket keeps the peer, takes the route's source as its own and caches the route;
    /// its identification counter starts afresh.
    /// </summary>
    public static Outcome Connect(Process model, ConnectOp op)
    {
        var call = new Call();
        var found = SocketCalls.SocketAndAddress(model, op.Fd, op.Address, op.AddressLength, ClauseId.Connect);
        if (found.Stop is { } ended) return call.Finish(ended);
        var (sock, bytes) = found.Value;
        // limit: connect addrlen lowest
        if (bytes.Length < 2) return call.Fail(Errno.EINVAL, ClauseId.Connect);
        if (SockAddr.Family(bytes) == AddressFamily.Unspec) return Disconnect(model, call, sock);
        if (InetBind.Autobind(model, call, sock) is { } refused) return refused;
        // ip4_datagram_connect holds the socket lock from here: its release looks an obsolete cached route up again,
        // so even a connect refused for its address's length or family revalidates the old peer's route (found by the
        // differential machine on the live kernel). After sk_dst_reset below there is no route left to revalidate.
        using var socketLock = new Ip.SockLock(model, sock);
        socketLock.Take();
        if (bytes.Length < Limits.AddressLength.At) return call.Fail(Errno.EINVAL, ClauseId.Connect);
        if (SockAddr.Family(bytes) != AddressFamily.Inet) return call.Fail(Errno.EAFNOSUPPORT, ClauseId.Connect);

        // sk_dst_reset: whatever happens next, the route cached by an earlier connect is gone, so a failed connect
        // leaves the old peer to be routed afresh on the next send (found by the differential machine).
        sock.CachedRoute = null;
        var destination = SockAddr.Address(bytes);
        var source = sock.SourceAddress;
        // spec: bind_device.connect — the bound device is the route's output device; else a multicast peer takes
        // IP_MULTICAST_IF's, a unicast one IP_UNICAST_IF's.
        var binding = model.Profile.DeviceBinding;
        var oif = binding ? sock.BoundDevice : 0;
        if (oif != 0) call.Pass(ClauseId.BindDeviceConnect);
        if (destination.IsMulticast)
        {
            if (oif == 0) oif = sock.MulticastIndex;
            if (source.IsZero) source = sock.MulticastAddress;
        }
        else if (oif == 0 && binding && sock.UnicastIndex != 0)
        {
            oif = sock.UnicastIndex;
            call.Pass(ClauseId.UnicastIf);
        }
        // Current kernels look the route up in the cork's own flow (Profile.SharedCorkFlow): it holds the peer from
        // now on, from the source the lookup picks (the bound one, 0 when unbound, if the lookup fails), and a
        // pending datagram goes there.
        var shared = model.Profile.SharedCorkFlow;
        if (shared) WriteCorkFlow(sock, (destination, SockAddr.Port(bytes), source));
        var flow = new FlowKey(destination, source, oif, sock.Tos, sock.DontRoute, sock.Mark, sock.Transparent);
        string? policy = null;
        var route = RouteLookup.Lookup(model.Host, flow, model.Profile, id => call.Pass(policy = id));
        // spec: policy_routing.connect_source — ip_route_connect looks the route up again from the source the first
        // lookup chose: only a rule "from" that source can make the second differ (the model does it for hosts with
        // rules only).
        if (source.IsZero && !route.IsError && model.Host.Rules.Count > 0)
        {
            route = RouteLookup.Lookup(model.Host, flow with { Source = route.Value.Source }, model.Profile, id => call.Pass(policy = id));
            call.Pass(ClauseId.PolicyConnectSource);
        }
        if (shared && !route.IsError) WriteCorkFlow(sock, (route.Value.Destination, SockAddr.Port(bytes), route.Value.Source));
        if (route.IsError)
        {
            // Current kernels count an unroutable connect as IP OutNoRoutes, as they do for a send (measured).
            if (route.Error == Errno.ENETUNREACH && model.Profile.CountsOutNoRoutes) call.Count(new CounterDelta(0, 0, 0, 1));
            return call.Fail(route.Error!.Value, RouteLookup.Refusal(policy, ClauseId.Connect));
        }
        if (route.Value.IsBroadcast && !sock.Broadcast) return call.Fail(Errno.EACCES, ClauseId.Connect);

        if (sock.SourceAddress.IsZero) sock.SourceAddress = route.Value.Source;
        if (sock.BoundAddress.IsZero) sock.BoundAddress = route.Value.Source;
        sock.PeerAddress = route.Value.Destination;
        sock.PeerPort = SockAddr.Port(bytes);
        sock.Connected = true;
        sock.CachedRoute = route.Value;
        sock.CachedRouteGeneration = model.RouteGeneration;
        sock.Connections++;
        sock.IdentCounter = model.NewSymbol($"ipid#s{sock.Id}.c{sock.Connections}", SymbolKind.IdentCounter);
        sock.IdentUses = 0;
        // spec: inet_shutdown.kept — connect leaves sk_shutdown as it was.
        if (sock.Shutdown != 0) call.Pass(ClauseId.ShutdownKept);
        return call.Return(0, ClauseId.Connect);
    }

    /// <summary>Forgets the peer and the cached route; a source address or port the user did not bind is let go.</summary>
    private static void WriteCorkFlow(Sock sock, (Ipv4Address Destination, ushort Port, Ipv4Address Source) flow)
    {
        sock.CorkFlow = flow;
        if (sock.Pending != AddressFamily.Inet) return;
        sock.Cork.SetFlow(flow);
    }

    private static Outcome Disconnect(Process model, Call call, Sock sock)
    {
        if (model.Profile.DeviceBinding && sock.BoundDevice != 0)
        {
            // spec: bind_device.disconnect — __udp_disconnect unbinds the device too.
            sock.BoundDevice = 0;
            call.Pass(ClauseId.BindDeviceDisconnect);
        }
        sock.Connected = false;
        sock.PeerAddress = Ipv4Address.Any;
        sock.PeerPort = 0;
        sock.CachedRoute = null;
        if (!sock.AddressLocked)
        {
            sock.BoundAddress = Ipv4Address.Any;
            sock.SourceAddress = Ipv4Address.Any;
        }
        if (!sock.PortLocked) sock.LocalPort = null;
        // spec: inet_shutdown.kept — so does the disconnect.
        if (sock.Shutdown != 0) call.Pass(ClauseId.ShutdownKept);
        return call.Return(0, ClauseId.Disconnect);
    }
}
