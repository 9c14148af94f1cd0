using Udpconf.Reference.Api;
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
    /// <summary>up->gso_size: UDP_SEGMENT's segment size for every send (0: none), current kernels only.</summary>
    public int GsoSize { get; set; }

    /// <summary>up->pending: 0, AF_INET or AF_INET6.</summary>
    public int Pending { get; private set; }
    /// <summary>up->len: the corked datagram's length counter (UDP header included). Only a flush resets it: a
    /// corked send that queued nothing leaves it counted (<see cref="ForgetEmptyPending"/>), as the text does.</summary>
    public int UdpLength { get; private set; }

    /// <summary>udp_sendmsg's cork set-up: the cork records the datagram's flow and choices, and an AF_INET datagram
    /// is pending from now on.</summary>
    internal void SetUpPending((Ipv4Address Destination, ushort Port, Ipv4Address Source) flow, int? ttl, int? tos, Ipv4Address? confirmOnSend)
    {
        Cork.SetUp(flow, LocalPort!.Value, ttl, tos, confirmOnSend);
        Pending = AddressFamily.Inet;
    }

    /// <summary>up->len += ulen.</summary>
    internal void AddLength(int ulen) => UdpLength += ulen;

    /// <summary>The CVE-2009-2698 fix: a corked send that queued nothing leaves nothing pending.</summary>
    internal void ForgetEmptyPending()
    {
        if (Cork.Queue.Count == 0) Pending = 0;
    }

    /// <summary>A corked native IPv6 datagram is pending: one buffer of its length with its headers, bytes not modeled.</summary>
    internal void PendIpv6(int length)
    {
        pendingIpv6Length = Ipv6Length(length);
        Pending = AddressFamily.Inet6;
        Cork.Enqueue(new Skb { Length = 48 + length });
    }

    private long pendingIpv6Length;

    /// <summary>The UDP length of the native IPv6 datagram a send of <paramref name="length"/> bytes makes or adds to:
    /// ip6_append_data's cork length, the UDP header counted once.</summary>
    internal long Ipv6Length(long length) => (Pending == AddressFamily.Inet6 ? pendingIpv6Length : 8) + length;

    /// <summary>udp_flush_pending_frames: nothing is pending, the counter is 0 and the cork released.</summary>
    internal void Flush()
    {
        UdpLength = 0;
        Pending = 0;
        Cork.Release();
    }
}
