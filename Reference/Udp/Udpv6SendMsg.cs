using Udpconf.Reference.Ip;
using Udpconf.Reference.Api;

namespace Udpconf.Reference.Udp;

/// <summary>udpv6_sendmsg, as far as a dual-stack socket reaches the IPv4 path: IPv4-mapped and AF_INET
/// destinations go to udp_sendmsg; native IPv6 datagrams are not modeled beyond their pending mark.</summary>
public static class Udpv6SendMsg
{
    /// <summary>
    /// Outcome: what udp_sendmsg gives for an IPv4-mapped or AF_INET destination (so an IPv6 datagram pending
    /// there is EINVAL: udp_sendmsg.pending_family); EINVAL for an address too short or of an unknown family.
    /// Model details: a corked native IPv6 send returns its length and leaves an AF_INET6 datagram pending, as a
    /// kernel with an IPv6 route does; any IPv6 datagram that would leave is Unmodeled.
    /// </summary>
    public static Outcome Send(Net model, Call call, UdpSock sock, KernelMsg msg)
    {
        if (msg.Name is not null)
        {
            // limit: IPv6 name length lowest
            if (msg.NameLength < 2) return call.Fail(Errno.EINVAL, ClauseId.Ipv6Address);
            switch (SockAddr.Family(msg.Name))
            {
                case AddressFamily.Inet:
                    return UdpSendMsg.Send(model, call, sock, msg);
                case AddressFamily.Inet6:
                    // limit: sockaddr_in6 length lowest
                    if (msg.NameLength < 24) return call.Fail(Errno.EINVAL, ClauseId.Ipv6Address);
                    if (SockAddr.MappedAddress(msg.Name) is { } v4)
                    {
                        var sin = SockAddr.In(v4, SockAddr.Port(msg.Name));
                        return UdpSendMsg.Send(model, call, sock, msg with { Name = sin, NameLength = sin.Length });
                    }
                    break;
                case AddressFamily.Unspec:
                    msg = msg with { Name = null, NameLength = 0 };
                    break;
                default:
                    return call.Fail(Errno.EINVAL, ClauseId.Ipv6Address);
            }
        }
        if (msg.Name is null && sock.Pending == 0)
            return call.Unmodeled(ClauseId.Ipv6Unmodeled, "a send without address on a dual-stack socket");
        if (sock.Pending == AddressFamily.Inet) return UdpSendMsg.Send(model, call, sock, msg);
        // limit: IPv6 UDP length
        if (sock.Ipv6Length(msg.Length) > Limits.Ipv6UdpLength.At)
        {
            sock.Flush();
            return call.Fail(Errno.EMSGSIZE, ClauseId.Ipv6Length);
        }
        var corked = sock.CorkFlag || msg.Flags.HasFlag(MsgFlags.More);
        if (!corked) return call.Unmodeled(ClauseId.Ipv6Unmodeled, "an IPv6 datagram would leave");
        sock.PendIpv6((int)msg.Length);
        return call.Return(msg.Length, ClauseId.Ipv6Unmodeled) with { Note = "an IPv6 datagram is pending; its bytes are not modeled" };
    }
}
