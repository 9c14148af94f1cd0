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
        if (bytes.Length < 2) return call.Fail(Errno.EINVAL, ClauseId.Connect);
        if (SockAddr.Family(bytes) == AddressFamily.Unspec) return Disconnect(call, sock);
        if (!InetBind.Autobind(model, sock)) return call.Fail(Errno.EAGAIN, ClauseId.Autobind);
        if (bytes.Length < SockAddr.InLength) return call.Fail(Errno.EINVAL, ClauseId.Connect);
        if (SockAddr.Family(bytes) != AddressFamily.Inet) return call.Fail(Errno.EAFNOSUPPORT, ClauseId.Connect);

        // sk_dst_reset: whatever happens next, the route cached by an earlier connect is gone, so a failed connect
        // leaves the old peer to be routed afresh on the next send (found by the differential machine).
        sock.CachedRoute = null;
        var destination = SockAddr.Address(bytes);
        var source = sock.SourceAddress;
        var oif = 0;
        if (destination.IsMulticast)
        {
            oif = sock.MulticastIndex;
            if (source.IsZero) source = sock.MulticastAddress;
        }
        // Current kernels look the route up in the cork's own flow (Profile.SharedCorkFlow): it holds the peer from
        // now on, from the source the lookup picks (the bound one, 0 when unbound, if the lookup fails), and a
        // pending datagram goes there.
        var shared = model.Profile.SharedCorkFlow;
        if (shared) WriteCorkFlow(sock, (destination, SockAddr.Port(bytes), source));
        var route = RouteLookup.Lookup(model.Host, new FlowKey(destination, source, oif, sock.Tos, sock.DontRoute), model.Profile);
        if (shared && !route.IsError) WriteCorkFlow(sock, (route.Value.Destination, SockAddr.Port(bytes), route.Value.Source));
        if (route.IsError)
        {
            // Current kernels count an unroutable connect as IP OutNoRoutes, as they do for a send (measured).
            if (route.Error == Errno.ENETUNREACH && model.Profile.CountsOutNoRoutes) call.Count(new CounterDelta(0, 0, 0, 1));
            return call.Fail(route.Error!.Value, ClauseId.Connect);
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

    private static Outcome Disconnect(Call call, Sock sock)
    {
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
