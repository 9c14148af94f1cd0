using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Ip;

/// <summary>
/// The IP-level state of a socket (struct sock and inet_sock of the text): addresses, options, the cached route, the
/// error queue and the cork. IP's functions see a socket only through this; UDP's state is <c>UdpSock</c>'s, the
/// descriptor's bookkeeping <c>Sock</c>'s.
/// </summary>
public abstract class InetSock : FileObject
{
    protected InetSock(HostConfig host)
    {
        PmtuMode = host.DefaultPmtuMode;
        SendBuffer = host.WmemDefault;
    }

    // Binding (inet->num, sport, rcv_saddr, saddr).
    public PortValue? LocalPort { get; set; }
    public Ipv4Address BoundAddress { get; set; }
    public Ipv4Address SourceAddress { get; set; }

    // Connection (sk_state, daddr, dport, the cached route).
    public bool Connected { get; set; }
    public Ipv4Address PeerAddress { get; set; }
    public ushort PeerPort { get; set; }
    public RouteResult? CachedRoute { get; set; }
    /// <summary>sk_shutdown: what shutdown() recorded, RCV_SHUTDOWN (1) and SEND_SHUTDOWN (2); nothing clears it.</summary>
    public int Shutdown { get; set; }
    public const int RcvShutdown = 1, SendShutdown = 2;
    public int CachedRouteGeneration { get; set; }
    /// <summary>The per-socket identification counter (inet->id) of the current connection, and how many
    /// datagrams have used it.</summary>
    public Symbol? IdentCounter { get; set; }
    public int IdentUses { get; set; }

    // Options.
    public int PmtuMode { get; set; }
    /// <summary>IP_TTL; -1: the route's or the host's default.</summary>
    public int UnicastTtl { get; set; } = -1;
    public byte Tos { get; set; }
    /// <summary>SO_MARK (sk_mark): the mark of the socket's route lookups, which fwmark rules read.</summary>
    public uint Mark { get; set; }
    /// <summary>The options the socket only keeps (<see cref="Socket.PlainOptions"/>), by level and name.</summary>
    public Dictionary<(int Level, int Name), int> PlainValues { get; } = [];
    /// <summary>IP_FREEBIND: bind may take an address the host does not have (nonlocal.bind).</summary>
    public bool FreeBind => IpValue(Api.SocketOption.IpFreeBind) != 0;
    /// <summary>IP_TRANSPARENT: bind may take an address the host does not have, and route lookups any source
    /// (FLOWI_FLAG_ANYSRC, nonlocal.source).</summary>
    public bool Transparent => IpValue(Api.SocketOption.IpTransparent) != 0;
    /// <summary>IP_BIND_ADDRESS_NO_PORT: bind to port 0 takes no port (ephemeral.no_port).</summary>
    public bool BindAddressNoPort => IpValue(Api.SocketOption.IpBindAddressNoPort) != 0;
    /// <summary>IP_LOCAL_PORT_RANGE: low | high &lt;&lt; 16, 0 for none (ephemeral.range).</summary>
    public uint LocalPortRange => unchecked((uint)IpValue(Api.SocketOption.IpLocalPortRange));

    private int IpValue(int name) => PlainValues.GetValueOrDefault((Api.SocketOption.SolIp, name));
    /// <summary>SO_TIMESTAMP_OLD (29) or SO_TIMESTAMPNS_OLD (35) when receive timestamps are on, else 0.</summary>
    public int Timestamping { get; set; }
    /// <summary>sk_priority: SO_PRIORITY's, or what the last new IP_TOS gave.</summary>
    public int Priority { get; set; }
    /// <summary>sk_max_pacing_rate (SO_MAX_PACING_RATE): none (~0UL) at first.</summary>
    public ulong PacingRate { get; set; } = ulong.MaxValue;
    /// <summary>SO_SNDTIMEO and SO_RCVTIMEO (sk_sndtimeo, sk_rcvtimeo).</summary>
    public SocketTimeout SendTimeout { get; set; } = SocketTimeout.None;
    public SocketTimeout ReceiveTimeout { get; set; } = SocketTimeout.None;
    /// <summary>sk_err: an error an ICMP message left for the socket, reported (and cleared) by the next send's first
    /// buffer.</summary>
    public Errno? Error { get; set; }
    /// <summary>Why the model no longer says what this socket does (it met a path or an option the model does not
    /// follow), and the clause that met it: every later call on the socket but close is unmodeled under that clause.</summary>
    public NotModeled? Unmodeled { get; set; }
    /// <summary>The cork's flow as current kernels keep it on the socket (inet->cork.fl), written by corked sends and
    /// connect and read by connected sends (Profile.SharedCorkFlow).</summary>
    public (Ipv4Address Destination, ushort Port, Ipv4Address Source) CorkFlow { get; set; }
    public IpOptions? Options { get; set; }
    public byte MulticastTtl { get; set; } = 1;
    public int MulticastIndex { get; set; }
    /// <summary>sk_bound_dev_if: the device the socket is bound to (SO_BINDTODEVICE, SO_BINDTOIFINDEX); 0: none.</summary>
    public int BoundDevice { get; set; }
    /// <summary>inet->uc_index: IP_UNICAST_IF, the output device of unicast sends that name none; 0: none.</summary>
    public int UnicastIndex { get; set; }
    /// <summary>inet->mc_list: the groups joined, each on a device (as resolved when joined) and with the interface
    /// address the join named (0 when none).</summary>
    public List<(Ipv4Address Group, int Ifindex, Ipv4Address Address)> Memberships { get; } = [];
    /// <summary>IP_MULTICAST_LOOP (on by default) and IP_MULTICAST_ALL (on by default).</summary>
    public bool MulticastLoop { get; set; } = true;
    public bool MulticastAll { get; set; } = true;
    public Ipv4Address MulticastAddress { get; set; }
    public bool Broadcast { get; set; }
    public bool NoCheck { get; set; }
    public bool DontRoute { get; set; }
    public int SendBuffer { get; set; }
    /// <summary>IP_RECVERR. The queue itself is not kept here: the model reads it after every operation, as an
    /// application under test does, so an entry lives only in its operation's outcome (<see cref="Call.QueueError"/>).</summary>
    public bool RecvErr { get; set; }
    /// <summary>SO_ZEROCOPY (SOCK_ZEROCOPY): MSG_ZEROCOPY is followed (current kernels, <see cref="Profile.Zerocopy"/>).</summary>
    public bool Zerocopy { get; set; }
    /// <summary>sk_zckey: the next MSG_ZEROCOPY id, counting from 0 for each socket.</summary>
    public uint ZerocopyKey { get; set; }

    public Cork Cork { get; } = new();
}

/// <summary>A socket the model stopped following: the clause where it happened and why.</summary>
public sealed record NotModeled(Clause Clause, string Why);
