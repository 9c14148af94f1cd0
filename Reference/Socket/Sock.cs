using Udpconf.Reference.Host;
using Udpconf.Reference.Ip;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Socket;

/// <summary>An open descriptor of the modeled process: a UDP socket or some other file.</summary>
public abstract class FileObject
{
    public bool Nonblocking { get; set; }
}

/// <summary>A descriptor that is not a socket (ENOTSOCK on socket calls).</summary>
public sealed class PlainFile : FileObject;

/// <summary>
/// The state of one UDP socket (struct sock, inet_sock, udp_sock of the text), kept as plain fields: binding,
/// connection, options and the cork.
/// </summary>
public sealed class Sock : FileObject
{
    public Sock(int id, int family, HostConfig host)
    {
        Id = id;
        Family = family;
        PmtuMode = host.DefaultPmtuMode;
        SendBuffer = host.WmemDefault;
    }

    /// <summary>Creation order, used to name the socket's symbols.</summary>
    public int Id { get; }
    /// <summary>AF_INET, or AF_INET6 for a dual-stack socket.</summary>
    public int Family { get; }

    // Binding (inet->num, sport, rcv_saddr, saddr).
    public PortValue? LocalPort { get; set; }
    public bool PortLocked { get; set; }
    public Ipv4Address BoundAddress { get; set; }
    public Ipv4Address SourceAddress { get; set; }
    public bool AddressLocked { get; set; }
    public int Bindings { get; set; }

    // Connection (sk_state, daddr, dport, the cached route).
    public bool Connected { get; set; }
    public Ipv4Address PeerAddress { get; set; }
    public ushort PeerPort { get; set; }
    public RouteResult? CachedRoute { get; set; }
    public int CachedRouteGeneration { get; set; }
    public int Connections { get; set; }
    /// <summary>The per-socket identification counter (inet->id) of the current connection, and how many
    /// datagrams have used it.</summary>
    public Symbol? IdentCounter { get; set; }
    public int IdentUses { get; set; }

    // Options.
    public bool CorkFlag { get; set; }
    public int PmtuMode { get; set; }
    /// <summary>IP_TTL; -1: the route's or the host's default.</summary>
    public int UnicastTtl { get; set; } = -1;
    public byte Tos { get; set; }
    /// <summary>sk_err: an error an ICMP message left for the socket, reported (and cleared) by the next send's first
    /// buffer.</summary>
    public Errno? Error { get; set; }
    /// <summary>Why the model no longer says what this socket does (it met a path the model does not follow).</summary>
    public string? Unmodeled { get; set; }
    /// <summary>The cork's flow as current kernels keep it on the socket (inet->cork.fl), written by corked sends and
    /// connect and read by connected sends (Profile.SharedCorkFlow).</summary>
    public (Ipv4Address Destination, ushort Port, Ipv4Address Source) CorkFlow { get; set; }
    public IpOptions? Options { get; set; }
    public byte MulticastTtl { get; set; } = 1;
    public int MulticastIndex { get; set; }
    public Ipv4Address MulticastAddress { get; set; }
    public bool Broadcast { get; set; }
    public bool NoCheck { get; set; }
    public bool DontRoute { get; set; }
    public int SendBuffer { get; set; }
    public bool RecvErr { get; set; }

    /// <summary>up->pending: 0, AF_INET or AF_INET6.</summary>
    public int Pending { get; set; }
    /// <summary>up->len: the corked datagram's length counter (UDP header included).</summary>
    public int UdpLength { get; set; }
    public Cork Cork { get; } = new();

    public List<ErrorQueueEntry> ErrorQueue { get; } = [];
}

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
