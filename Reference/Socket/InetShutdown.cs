using Udpconf.Reference.Api;
using Udpconf.Reference.Ip;

namespace Udpconf.Reference.Socket;

/// <summary>shutdown() of a UDP socket (inet_shutdown): it records in sk_shutdown what the socket may no longer do; a
/// send that starts a datagram afterwards meets it in sock_alloc_send_pskb (<see cref="IpAppendData"/>).</summary>
public static class InetShutdown
{
    /// <summary>
    /// Outcome: 0 on a connected socket; ENOTCONN on one that is not connected, the shutdown recorded all the same;
    /// EINVAL for a <c>how</c> other than 0, 1, 2; EBADF, ENOTSOCK for the descriptor.
    /// Description: SHUT_WR and SHUT_RDWR make every later datagram's first buffer fail with EPIPE; nothing clears it.
    /// Model details: unmodeled under a profile without <see cref="Profile.ShutdownCall"/> (the notes' 2.6); an
    /// AF_INET6 socket's shutdown leaves the socket unmodeled (its IPv6 sends are not modeled).
    /// </summary>
    public static Outcome Shutdown(Process model, ShutdownOp op)
    {
        var call = new Call();
        if (!model.Profile.ShutdownCall)
            return call.Unmodeled(ClauseId.SocketUnsupported, $"shutdown is not documented for profile {model.Profile.Name}");
        var lookup = SocketCalls.Lookup(model, op.Fd);
        if (lookup.Stop is { } stop) return call.Finish(stop);
        var sock = lookup.Value;
        // spec: inet_shutdown.how — maps SHUT_RD/WR/RDWR to 1/2/3 (how + 1), refusing anything else.
        var how = unchecked(op.How + 1);
        if ((how & ~(InetSock.RcvShutdown | InetSock.SendShutdown)) != 0 || how == 0) return call.Fail(Errno.EINVAL, ClauseId.ShutdownHow);
        call.Pass(ClauseId.ShutdownHow);
        // lock_sock ... release_sock after the check of how: the release revalidates an obsolete cached route (a
        // connected socket's next send then takes the fresh route with the cork's flow; found by the differential
        // machine, seed 11: after an MTU change and shutdown(SHUT_RD), the send went to the stale corked destination).
        using var socketLock = new Ip.SockLock(model, sock);
        socketLock.Take();
        if (sock.Family != AddressFamily.Inet)
        {
            const string why = "shutdown of an AF_INET6 socket: what its IPv6 sends then do is not modeled";
            sock.Unmodeled = new NotModeled(ClauseId.Ipv6Unmodeled, why);
            return call.Unmodeled(ClauseId.Ipv6Unmodeled, why);
        }
        sock.Shutdown |= how;
        // spec: inet_shutdown.not_connected — TCP_CLOSE: -ENOTCONN, and on into the default case that records it.
        if (!sock.Connected) return call.Fail(Errno.ENOTCONN, ClauseId.ShutdownNotConnected);
        // spec: inet_shutdown.connected
        return call.Return(0, ClauseId.ShutdownConnected);
    }
}
