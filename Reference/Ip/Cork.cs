using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Ip;

/// <summary>One buffer of the write queue: the bytes it holds (IP header space included) and what it costs.</summary>
public sealed class Skb
{
    public int Length { get; set; }
    public bool HardwareChecksum { get; init; }
    /// <summary>Holds a whole oversized datagram for UDP fragmentation offload.</summary>
    public bool Ufo { get; init; }
    public int PageFragments { get; set; }
    public int LastPage { get; set; } = -1;
    public int TrueSize { get; set; }
}

/// <summary>The cork (inet->cork plus the write queue): what the datagram being built will carry.</summary>
public sealed class Cork
{
    public RouteResult? Route { get; set; }
    public IpOptions? Options { get; set; }
    /// <summary>cork.addr: the final destination, written into a source route's last slot.</summary>
    public Ipv4Address Address { get; set; }
    public int FragSize { get; set; }
    /// <summary>cork.length: bytes appended so far, UDP header included.</summary>
    public int Length { get; set; }

    // cork.fl: the addresses and ports recorded when the datagram was set up.
    public Ipv4Address FlowDestination { get; set; }
    public ushort FlowDestinationPort { get; set; }
    public Ipv4Address FlowSource { get; set; }
    public PortValue FlowSourcePort { get; set; }
    /// <summary>Per-datagram IP_TTL / IP_TOS from control messages (current kernels).</summary>
    public int? Ttl { get; set; }
    public int? Tos { get; set; }
    /// <summary>Current kernels: the neighbour that MSG_CONFIRM on the datagram's first piece confirms once the
    /// datagram leaves (skb_set_dst_pending_confirm; neigh_confirm in ip_finish_output2).</summary>
    public Ipv4Address? ConfirmOnSend { get; set; }

    public List<Skb> Queue { get; } = [];
    /// <summary>The user data appended so far, in order (the UDP header is not in it).</summary>
    public List<byte> Data { get; } = [];
    /// <summary>The running checksum of the data, added piece by piece as ip_generic_getfrag does.</summary>
    public Wire.ChecksumAccumulator DataSum;
    public int CurrentPage { get; set; } = -1;
    public int PageOffset { get; set; }
    public int PagesAllocated { get; set; }

    public int WriteMemory => Queue.Sum(s => s.TrueSize);

    /// <summary>Empties the queue and forgets options and route (ip_flush_pending_frames / the end of a push).
    /// cork.length stays: it is reset when the next datagram is set up.</summary>
    public void Release()
    {
        Queue.Clear();
        Data.Clear();
        DataSum = default;
        Options = null;
        Route = null;
        Ttl = null;
        Tos = null;
        ConfirmOnSend = null;
        CurrentPage = -1;
        PageOffset = 0;
    }
}
