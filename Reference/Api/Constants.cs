namespace Udpconf.Reference.Api;

/// <summary>Address families (socket.h).</summary>
public static class AddressFamily
{
    public const int Unspec = 0;
    public const int Inet = 2;
    public const int Inet6 = 10;
}

/// <summary>Socket types and protocols (socket.h, in.h).</summary>
public static class SocketType
{
    public const int Stream = 1;
    public const int Dgram = 2;
    public const int Raw = 3;
    public const int NonblockFlag = 0x800;
    public const int CloexecFlag = 0x80000;
    public const int ProtocolUdp = 17;
}

/// <summary>The MSG_ flags of the send path, with Linux's values.</summary>
[Flags]
public enum MsgFlags : uint
{
    None = 0,
    Oob = 0x1,
    DontRoute = 0x4,
    Probe = 0x10,
    DontWait = 0x40,
    Confirm = 0x800,
    NoSignal = 0x4000,
    More = 0x8000,
    /// <summary>MSG_ZEROCOPY: followed only on a socket with SO_ZEROCOPY set (current kernels).</summary>
    Zerocopy = 0x4000000,
}

/// <summary>Option levels and names (socket.h, in.h, udp.h).</summary>
public static class SocketOption
{
    public const int SolIp = 0;
    public const int SolSocket = 1;
    public const int SolUdp = 17;

    public const int SoError = 4;
    public const int SoDontRoute = 5;
    public const int SoBroadcast = 6;
    public const int SoSndbuf = 7;
    public const int SoNoCheck = 11;
    /// <summary>SO_ZEROCOPY: MSG_ZEROCOPY sends are followed and their completions queued (current kernels).</summary>
    public const int SoZerocopy = 60;
    /// <summary>SO_MARK: the fwmark of a socket's packets (the kernel target marks its marker datagrams with it).</summary>
    public const int SoMark = 36;
    public const int SoBindToDevice = 25;
    public const int SoBindToIfindex = 62;
    public const int IpUnicastIf = 50;
    /// <summary>IP_FREEBIND and IP_TRANSPARENT: bind (and, for the second, send from) an address the host does not have.</summary>
    public const int IpFreeBind = 15, IpTransparent = 19;
    /// <summary>IP_BIND_ADDRESS_NO_PORT: bind(port 0) leaves the port to the first send or connect; IP_LOCAL_PORT_RANGE:
    /// the socket's own ephemeral range, low | high &lt;&lt; 16.</summary>
    public const int IpBindAddressNoPort = 24, IpLocalPortRange = 51;

    public const int IpTos = 1;
    public const int IpTtl = 2;
    public const int IpOptions = 4;
    public const int IpRetOpts = 7;
    public const int IpPktInfo = 8;
    public const int IpMtuDiscover = 10;
    public const int IpRecvErr = 11;
    public const int IpMtu = 14;
    public const int IpMulticastIf = 32;
    public const int IpMulticastTtl = 33;
    public const int IpMulticastLoop = 34;
    public const int IpAddMembership = 35;
    public const int IpDropMembership = 36;
    public const int IpMulticastAll = 49;
    /// <summary>IP_MINTTL: packets received with a lower TTL are dropped (0 to 255).</summary>
    public const int IpMinTtl = 21;

    /// <summary>SO_BUF_LOCK: SO_SNDBUF and SO_RCVBUF locked against the kernel's autotuning (bits 1 and 2).</summary>
    public const int SoBufLock = 72;
    /// <summary>SO_RCVTIMEO and SO_SNDTIMEO: the old numbers (a struct timeval) and the _NEW ones (64-bit times).</summary>
    public const int SoRcvTimeoOld = 20, SoSndTimeoOld = 21, SoRcvTimeoNew = 66, SoSndTimeoNew = 67;

    public const int UdpCork = 1;
    /// <summary>UDP_SEGMENT: the GSO segment size, as an option and (a u16) as a SOL_UDP control message.</summary>
    public const int UdpSegment = 103;

    public const int PmtuDont = 0;
    public const int PmtuWant = 1;
    public const int PmtuDo = 2;
    public const int PmtuProbe = 3;
    public const int PmtuInterface = 4;
    public const int PmtuOmit = 5;
}
