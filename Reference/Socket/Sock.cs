using Udpconf.Reference.Host;
using Udpconf.Reference.Udp;

namespace Udpconf.Reference.Socket;

/// <summary>A descriptor that is not a socket (ENOTSOCK on socket calls).</summary>
public sealed class PlainFile : FileObject;

/// <summary>
/// One UDP socket: its IP state (<see cref="Ip.InetSock"/>), its UDP state (<see cref="UdpSock"/>) and what the
/// socket layer keeps of binding and connection.
/// </summary>
public sealed class Sock : UdpSock
{
    public Sock(int id, int family, HostConfig host) : base(host)
    {
        Id = id;
        Family = family;
        ReceiveBuffer = host.RmemDefault;
    }

    /// <summary>Creation order, used to name the socket's symbols.</summary>
    public int Id { get; }
    /// <summary>AF_INET, or AF_INET6 for a dual-stack socket.</summary>
    public int Family { get; }

    public bool PortLocked { get; set; }
    public bool AddressLocked { get; set; }
    public int Bindings { get; set; }
    public int Connections { get; set; }

    /// <summary>SO_RCVBUF (sk_rcvbuf), from net.core.rmem_default.</summary>
    public int ReceiveBuffer { get; set; }
    /// <summary>SO_LINGER: the flag, and the time kept: seconds, or for ever (MAX_SCHEDULE_TIMEOUT).</summary>
    public bool LingerOn { get; set; }
    public long LingerSeconds { get; set; }
    public bool LingerForever { get; set; }
}
