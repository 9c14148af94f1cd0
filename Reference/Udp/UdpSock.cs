using Udpconf.Reference.Host;
using Udpconf.Reference.Ip;

namespace Udpconf.Reference.Udp;

/// <summary>
/// A UDP socket's own state (struct udp_sock): UDP_CORK and the pending datagram. The socket layer's
/// bookkeeping is <c>Sock</c>'s.
/// </summary>
public abstract class UdpSock : InetSock
{
    protected UdpSock(HostConfig host) : base(host)
    {
    }

    public bool CorkFlag { get; set; }

    /// <summary>up->pending: 0, AF_INET or AF_INET6.</summary>
    public int Pending { get; set; }
    /// <summary>up->len: the corked datagram's length counter (UDP header included).</summary>
    public int UdpLength { get; set; }
}
