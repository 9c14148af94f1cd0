using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Ip;

/// <summary>
/// A datagram routed to this host (RouteType.Local, through lo) as the receiving side of the same host treats it
/// (Profile.LocalDelivery, catalog part 2 local_delivery.*): __udp4_lib_rcv delivers it to a socket bound to its port,
/// or icmp_send answers it with an ICMP port unreachable to this host, which __udp4_lib_err hands to the socket the
/// datagram came from. Everything happens before the send returns (loopback's softirq runs when the send leaves the
/// device layer), so the next call on the socket sees it.
/// </summary>
public static class LocalDelivery
{
    /// <summary>
    /// After a datagram to a local address left: null when the model follows what happened (delivered, or the sender
    /// told), else why not (the answer, and the sending socket from then on, are unmodeled).
    /// </summary>
    internal static Stop? Deliver(Net model, Call call, InetSock sock, RouteResult route, Ipv4Address source, PortValue sourcePort,
        Ipv4Address destination, ushort port, bool oneDatagram)
    {
        // A flow to 0.0.0.0 was given the source as its destination by the route lookup (ip_route_output_key).
        if (destination.IsZero) destination = route.Destination;
        // What lo delivers follows the header's destination: a datagram sent out of lo on a route that is not local
        // (a device binding or IP_UNICAST_IF to lo takes any destination on lo's link) to an address not of this host
        // is lost without an answer (measured: 192.0.2.7, 192.0.2.255, 198.51.100.7 under IP_UNICAST_IF lo); one whose
        // header a connect redirected to 127.0.0.1 while it was pending is delivered there (found by the differential
        // machine, seed 2, case local_delivery/redirected_to_loopback_linux).
        var local = model.Host.IsLocalAddress(destination) && destination != Ipv4Address.LoopbackBroadcast;
        if (route.Type != RouteType.Local && !local) return null;
        model.DeliveredLocally = true;
        if (route.Type is RouteType.Broadcast or RouteType.Multicast)
            return Unmodeled(sock, ClauseId.LocalListener, $"a datagram on a {route.Type} route out of lo whose header a connect redirected to {destination}");
        // A pending datagram a connect redirected (the shared cork flow) keeps the local route it was started with but
        // carries the peer's address: delivered through lo to an address that may not be this host's, whose ICMP (if
        // any) would come from there. Found by the differential machine (seed 1): no error reached the socket.
        if (!local)
            return Unmodeled(sock, ClauseId.LocalListener, $"a datagram routed to {route.Destination}, this host, whose header a connect redirected to {destination}");

        // Whether udp_err would find the sender (looked up as a receiver of the reverse datagram, through lo) and keep
        // the error: connected, or under IP_RECVERR. When it would not, the send's answer and the socket's state are the
        // same whoever listens, and the model need not know (2.6's udp_err kept it under the same conditions).
        var heard = !(sock.BoundDevice != 0 && model.Host.InterfaceByIndex(sock.BoundDevice) is not { IsLoopback: true })
                    && (sock.BoundAddress.IsZero || sock.BoundAddress == source)
                    && (!sock.Connected || (sock.PeerAddress == destination && sock.PeerPort == port));
        var matters = heard && (sock.Connected || sock.RecvErr);
        if (!model.Profile.LocalDelivery)
            return matters ? Unmodeled(sock, ClauseId.LocalListener, $"a datagram to {destination}, an address of this host, is delivered locally and the sender would hear of a port unreachable: the 2.6 profile does not follow the receiving side") : null;

        // spec: local_delivery.listener — the receiver lookup (__udp4_lib_lookup) over every socket of this host.
        call.Pass(ClauseId.LocalListener);
        var receiver = Receiver(model, source, sourcePort, destination, port);
        // A source that is not this host's (IP_TRANSPARENT or IP_FREEBIND with an IP_PKTINFO source) gets the ICMP port
        // unreachable out of the host, through the route back to it: a packet on the wire the model does not build.
        // Found by the differential machine (seed 2, 6.18.44: an ICMP from 192.0.2.1 to 192.0.2.99 left through tun0).
        if (!receiver.Found && !model.Host.IsLocalAddress(source))
            return Unmodeled(sock, ClauseId.LocalPortUnreachable, $"the datagram's source {source} is not an address of this host: the ICMP port unreachable for it leaves the host, which is not modeled");
        if (!matters)
        {
            if (receiver is { Found: false, Unknown: null })
            {
                call.Pass(ClauseId.LocalPortUnreachable);
                call.Pass(ClauseId.LocalConnectedError);
            }
            return null;
        }
        if (receiver.Unknown is { } why) return Unmodeled(sock, ClauseId.LocalListener, why);
        if (receiver.Found) return null;

        // spec: local_delivery.port_unreachable — icmp_send, then udp_err's lookup of the sender as a receiver of the
        // reverse datagram.
        call.Pass(ClauseId.LocalPortUnreachable);
        if (!oneDatagram)
            return Unmodeled(sock, ClauseId.LocalPortUnreachable, "a datagram to a local port nobody listens on that reached lo as several (GSO segments or fragments): one ICMP each is not modeled");
        if (sourcePort is { IsSymbolic: false, Concrete: 0 })
            return Unmodeled(sock, ClauseId.LocalPortUnreachable, "the datagram left from port 0 (its automatic port released by a disconnect): whom the ICMP reaches is not modeled");

        if (sock.RecvErr)
        {
            // spec: local_delivery.recverr — ip_icmp_error queues it and sk_err is set too, pending until the entry is
            // read at the end of the operation (Model.Run).
            var entry = new ErrorQueueEntry(Errno.ECONNREFUSED, ErrorOrigin.Icmp, 0, destination, port);
            call.QueueError(entry);
            call.Pass(ClauseId.LocalRecvErr);
            sock.Error = Errno.ECONNREFUSED;
            return null;
        }

        // spec: local_delivery.connected_error — a hard error, kept only by a connected socket (TCP_ESTABLISHED).
        call.Pass(ClauseId.LocalConnectedError);
        if (sock.Connected) sock.Error = Errno.ECONNREFUSED;
        return null;
    }

    private readonly record struct Lookup(bool Found, string? Unknown);

    /// <summary>Whether a socket of this host takes a datagram from source:sourcePort to destination:port arriving
    /// through lo, or why the model cannot tell.</summary>
    private static Lookup Receiver(Net model, Ipv4Address source, PortValue sourcePort, Ipv4Address destination, ushort port)
    {
        foreach (var (other, inet6) in model.HostSockets)
        {
            if (inet6)
                return new(false, "an AF_INET6 socket of this host, which the model does not follow, may take a datagram delivered locally");
            if (other.Unmodeled is not null)
                return new(false, "a socket of this host the model no longer follows may be bound to the port a datagram is delivered to");
            if (other.LocalPort is not { } bound) continue;
            if (bound.IsSymbolic)
            {
                var symbol = model.Symbols.First(s => s.Name == bound.Symbol);
                if (symbol.Admits(port))
                    return new(false, $"a socket's automatic port ({symbol.Name}) may be {port}, the port a datagram is delivered to");
                continue;
            }
            if (bound.Concrete != port) continue;
            if (!other.BoundAddress.IsZero && other.BoundAddress != destination) continue;
            if (other.Connected)
            {
                if (other.PeerAddress != source) continue;
                if (sourcePort.IsSymbolic)
                {
                    if (!model.Symbols.First(s => s.Name == sourcePort.Symbol).Admits(other.PeerPort)) continue;
                    return new(false, $"a socket bound to port {port} is connected to port {other.PeerPort}, which the sender's automatic port may be");
                }
                if (other.PeerPort != sourcePort.Concrete) continue;
            }
            if (other.BoundDevice != 0)
                return new(false, $"a socket bound to port {port} is bound to a device: which device a datagram through lo arrives on for it is not modeled");
            return new(true, null);
        }
        return new(false, null);
    }

    private static Stop Unmodeled(InetSock sock, string clause, string why)
    {
        sock.Unmodeled = new NotModeled(clause, why);
        return Stop.Unmodeled(clause, why);
    }
}
