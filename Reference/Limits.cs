using System.Reflection;

namespace Udpconf.Reference;

/// <summary>Which side of a limit is past it: the first value the answer differs for.</summary>
public enum Past
{
    /// <summary>A maximum: <c>At + 1</c> is past it.</summary>
    Above,
    /// <summary>A minimum: <c>At - 1</c> is past it.</summary>
    Below,
}

/// <summary>A numeric limit of the model: the last value on one side (<see cref="At"/>), and the side past it, where
/// the call answers otherwise (an errno, a cap, another layout). The model's code compares against these; a test holds
/// the case library to a case at each limit and one past it (Conformance/Tests/Cases/LimitCaseTests.cs). A limit of one
/// profile only (<see cref="Profile"/>) is held to that profile's cases. A limit that is a setting of the host or of
/// a kernel line (wmem_max, optmem_max) is gathered at its default value, the one the cases run with.</summary>
/// <remarks>A value, not an object: <see cref="Limits"/> makes one at every access (README, "Static mutants"), and the
/// send path reads two per call (issue 17: a tenth of a plain send's allocation as records).</remarks>
public readonly record struct Limit(string Name, long At, Past Past, string Clause, string Meaning, string? Profile = null)
{
    public long Beyond => Past == Past.Above ? At + 1 : At - 1;
}

/// <summary>The numeric limits of the model gathered so far (see <see cref="Limit"/>).</summary>
public static class Limits
{
    /// <summary>UIO_MAXIOV: a gather list of more entries is EMSGSIZE.</summary>
    public static Limit IovCount => new("iov count", 1024, Past.Above, ClauseId.SendmsgIovLength,
        "sendmsg's msg_iovlen: UIO_MAXIOV entries at most, more is EMSGSIZE");

    /// <summary>UIO_MAXIOV again: sendmmsg sends at most this many messages, a larger vlen is cut to it.</summary>
    public static Limit MmsgVlen => new("sendmmsg vlen", 1024, Past.Above, ClauseId.SendmmsgVlenClamp,
        "sendmmsg's vlen: UIO_MAXIOV messages at most, a larger vlen is cut to it");

    /// <summary>sizeof(struct sockaddr_in): a shorter address is EINVAL for bind and connect.</summary>
    public static Limit AddressLength => new("sockaddr_in length", 16, Past.Below, ClauseId.Bind,
        "bind's and connect's addrlen: sizeof(struct sockaddr_in) at least, less is EINVAL");

    /// <summary>sizeof(struct sockaddr_storage): move_addr_to_kernel refuses a longer address.</summary>
    public static Limit AddressStorage => new("sockaddr_storage length", 128, Past.Above, ClauseId.Bind,
        "an address argument's length: 128 at most (move_addr_to_kernel), more is EINVAL");

    /// <summary>IP options: 40 bytes at most (setsockopt IP_OPTIONS).</summary>
    public static Limit IpOptionsLength => new("IP options length", 40, Past.Above, ClauseId.SetSockOpt,
        "IP_OPTIONS' optlen: 40 bytes at most, more is EINVAL");

    /// <summary>IP_TTL takes 1 to 255 (and -1, the default).</summary>
    public static Limit TtlLowest => new("IP_TTL lowest", 1, Past.Below, ClauseId.SetSockOpt, "IP_TTL: 0 is EINVAL");
    public static Limit TtlHighest => new("IP_TTL highest", 255, Past.Above, ClauseId.SetSockOpt, "IP_TTL: 256 is EINVAL");

    /// <summary>IP_MULTICAST_TTL takes 0 to 255 (and -1, the default 1).</summary>
    public static Limit MulticastTtlHighest => new("IP_MULTICAST_TTL highest", 255, Past.Above, ClauseId.SetSockOpt,
        "IP_MULTICAST_TTL: 256 is EINVAL");

    /// <summary>The IP_TTL control message takes 1 to 255.</summary>
    public static Limit CmsgTtlLowest => new("cmsg IP_TTL lowest", 1, Past.Below, ClauseId.Cmsg, "an IP_TTL control message of 0 is EINVAL");
    public static Limit CmsgTtlHighest => new("cmsg IP_TTL highest", 255, Past.Above, ClauseId.Cmsg, "an IP_TTL control message of 256 is EINVAL");

    /// <summary>The IP_TOS control message takes 0 to 255.</summary>
    public static Limit CmsgTosLowest => new("cmsg IP_TOS lowest", 0, Past.Below, ClauseId.Cmsg, "an IP_TOS control message of -1 is EINVAL");
    public static Limit CmsgTosHighest => new("cmsg IP_TOS highest", 255, Past.Above, ClauseId.Cmsg, "an IP_TOS control message of 256 is EINVAL");

    /// <summary>A link's MTU: 68 (IPv4's minimum) to 65535 (what a TUN device takes).</summary>
    public static Limit MtuLowest => new("link MTU lowest", 68, Past.Below, ClauseId.HostChange, "an MTU below 68 is EINVAL");
    public static Limit MtuHighest => new("link MTU highest", 65535, Past.Above, ClauseId.HostChange, "an MTU above 65535 is EINVAL");

    /// <summary>IP_MAX_MTU: an IPv4 datagram is 65535 bytes at most, a UDP payload 65507 without IP options.</summary>
    public static Limit DatagramLength => new("IPv4 datagram length", 65535, Past.Above, ClauseId.EmsgsizeTotal,
        "the datagram a send builds: 65535 bytes with its headers at most, more is EMSGSIZE");

    /// <summary>net.ipv4.igmp_max_memberships (the kernel's default, 20): the 21st group a socket joins is ENOBUFS.</summary>
    public static Limit Memberships => new("multicast memberships", 20, Past.Above, ClauseId.MulticastJoin,
        "IP_ADD_MEMBERSHIP: 20 groups per socket, the 21st is ENOBUFS");

    /// <summary>IFNAMSIZ: getsockopt SO_BINDTODEVICE needs room for a whole name.</summary>
    public static Limit DeviceNameBuffer => new("SO_BINDTODEVICE read length", 16, Past.Below, ClauseId.BindDeviceRead,
        "getsockopt SO_BINDTODEVICE: an optlen below IFNAMSIZ (16) is EINVAL");

    /// <summary>UDP_MAX_SEGMENTS: a GSO send makes 128 segments at most, on 6.18.44, 6.12.107 and 6.1.192 (1281 bytes at a
    /// size of 10 are EINVAL; Conformance/probes).</summary>
    public static Limit GsoSegments => new("GSO segments", 128, Past.Above, ClauseId.GsoMaxSegments,
        "a UDP_SEGMENT send: 128 segments at most, more is EINVAL");

    /// <summary>The ports below 1024 are privileged: bind without CAP_NET_BIND_SERVICE to 1023 is EACCES.</summary>
    public static Limit PrivilegedPort => new("unprivileged port lowest", 1024, Past.Below, ClauseId.Bind,
        "bind without CAP_NET_BIND_SERVICE: port 1024 or above (or 0), 1023 is EACCES");

    /// <summary>An int option of SOL_SOCKET is read from 4 bytes; a shorter optlen is EINVAL (sk_setsockopt's
    /// "optlen &lt; sizeof(int)"), except where <see cref="Socket.SocketOptions"/> says otherwise.</summary>
    public static Limit IntOptionLength => new("SOL_SOCKET int optlen", 4, Past.Below, ClauseId.SetSockOpt,
        "setsockopt of an int at SOL_SOCKET: 4 bytes at least, 3 is EINVAL");

    /// <summary>IP_MINTTL takes 0 to 255.</summary>
    public static Limit MinTtlHighest => new("IP_MINTTL highest", 255, Past.Above, ClauseId.OptionsValue,
        "IP_MINTTL: 256 is EINVAL", "linux");

    /// <summary>IP_MTU_DISCOVER's modes: DONT to DO (2) in 2.6's notes, to OMIT (5) on current kernels.</summary>
    public static Limit PmtuModeSpec => new("IP_MTU_DISCOVER highest (spec)", 2, Past.Above, ClauseId.SetSockOpt,
        "IP_MTU_DISCOVER in 2.6: IP_PMTUDISC_DO (2) at most, 3 is EINVAL", "spec");
    public static Limit PmtuModeLinux => new("IP_MTU_DISCOVER highest (linux)", 5, Past.Above, ClauseId.SetSockOpt,
        "IP_MTU_DISCOVER: IP_PMTUDISC_OMIT (5) at most, 6 is EINVAL", "linux");

    /// <summary>SO_SNDBUF is doubled, and never below SOCK_MIN_SNDBUF: 4608 on current x86-64 kernels (twice 2048 plus
    /// the cache-aligned sk_buff, so the build decides), so 2304 is the largest value the floor takes over.</summary>
    public static Limit SndbufFloorLinux => new("SO_SNDBUF floor (linux)", 2304, Past.Above, ClauseId.SetSockOpt,
        "SO_SNDBUF: 2304 and below give SOCK_MIN_SNDBUF (4608), 2305 gives 4610", "linux");

    /// <summary>UDP_SEGMENT (the option) takes a segment size of 0 to 65535.</summary>
    public static Limit GsoSizeHighest => new("UDP_SEGMENT highest", ushort.MaxValue, Past.Above, ClauseId.GsoOption,
        "setsockopt UDP_SEGMENT: 65535 at most, 65536 is EINVAL", "linux");

    /// <summary>A timeout's microseconds: below a second, else EDOM.</summary>
    public static Limit TimeoutMicros => new("timeout microseconds", 999_999, Past.Above, ClauseId.OptionsTimeout,
        "SO_SNDTIMEO and SO_RCVTIMEO: tv_usec 999999 at most, 1000000 is EDOM", "linux");

    /// <summary>cmsg_len covers at least its own struct cmsghdr (16 bytes on x86-64); less is malformed.</summary>
    public static Limit CmsgLength => new("cmsg_len lowest", 16, Past.Below, ClauseId.Cmsg,
        "a control message's cmsg_len: 16 at least, 15 is EINVAL");

    /// <summary>SO_BUF_LOCK takes its two lock bits, SNDBUF (1) and RCVBUF (2): 0 to 3.</summary>
    public static Limit BufLockHighest => new("SO_BUF_LOCK highest", 3, Past.Above, ClauseId.OptionsValue,
        "SO_BUF_LOCK: 3 (both locks) at most, 4 is EINVAL", "linux");

    /// <summary>udp_sendmsg's first check: a length above 0xFFFF is EMSGSIZE before the cork is looked at.</summary>
    public static Limit UdpLength => new("udp_sendmsg length", 0xFFFF, Past.Above, ClauseId.LenOver0xFFFF,
        "udp_sendmsg's len: 65535 at most, 65536 is EMSGSIZE before anything else");

    /// <summary>connect reads the family from the address's first two bytes: a shorter addrlen is EINVAL.</summary>
    public static Limit FamilyLength => new("connect addrlen lowest", 2, Past.Below, ClauseId.Connect,
        "connect's addrlen: 2 (sa_family) at least, 1 is EINVAL");

    /// <summary>IP_MULTICAST_IF reads a struct ip_mreqn (interface index and address) from 12 bytes or more; 11 bytes
    /// are read as a shorter layout.</summary>
    public static Limit MulticastIfMreqn => new("IP_MULTICAST_IF ip_mreqn length", 12, Past.Below, ClauseId.SetSockOpt,
        "IP_MULTICAST_IF: 12 bytes or more are an ip_mreqn (its index counts), 11 a shorter layout");

    /// <summary>Current kernels read a struct ip_mreq (its second field the interface address) from 8 to 11 bytes; 7
    /// bytes are an in_addr.</summary>
    public static Limit MulticastIfMreq => new("IP_MULTICAST_IF ip_mreq length", 8, Past.Below, ClauseId.SetSockOpt,
        "IP_MULTICAST_IF: 8 to 11 bytes are an ip_mreq (the interface address second), 7 an in_addr", "linux");

    /// <summary>IP_MULTICAST_IF reads an in_addr from 4 bytes; fewer are EINVAL on current kernels and reset the
    /// multicast interface in 2.6.</summary>
    public static Limit MulticastIfAddress => new("IP_MULTICAST_IF in_addr length", 4, Past.Below, ClauseId.SetSockOpt,
        "IP_MULTICAST_IF: 4 bytes or more name an interface address; 3 are EINVAL (2.6: a reset)");

    /// <summary>SO_SNDBUF takes at most net.core.wmem_max (212992, <see cref="Host.HostConfig.WmemMax"/>'s default),
    /// doubled: a larger value is taken as the cap.</summary>
    public static Limit SndbufCap => new("SO_SNDBUF cap (default wmem_max)", 212_992, Past.Above, ClauseId.SetSockOpt,
        "SO_SNDBUF: 212992 gives 425984, and so does 212993 (capped at wmem_max)");

    /// <summary>A control buffer above the on-stack one comes from sock_kmalloc, which refuses net.core.optmem_max
    /// (<see cref="Profile.OptmemMax"/>: 131072 on current kernels) or more, less the socket's option memory.</summary>
    public static Limit ControlAllocation => new("control buffer below optmem_max (linux)", 131_071, Past.Above, ClauseId.SendmsgControlAlloc,
        "sendmsg's msg_controllen: 131071 is read (EFAULT when unreadable), 131072 is ENOBUFS before", "linux");

    /// <summary>TASK_SIZE_MAX on x86-64 (4-level paging): access_ok passes a user range whose end, base + length, is at
    /// most 2^47 - 4096 (<see cref="Api.UserMemory"/>). The cases reach it with a NULL base in a gather list of two
    /// entries or more (one entry is clamped to MAX_RW_COUNT first).</summary>
    public static Limit UserRangeTop => new("user range end (NULL base)", (1L << 47) - 4096, Past.Above, ClauseId.SendmsgIovRange,
        "an iovec entry's base + length: 2^47 - 4096 passes access_ok, one more is EFAULT");

    /// <summary>IPV6_MAXPLEN: ip6_append_data refuses a corked IPv6 datagram whose UDP length (header and every part so
    /// far) would pass 0xFFFF. The cases reach it with the first part alone.</summary>
    public static Limit Ipv6UdpLength => new("IPv6 UDP length", 0xFFFF, Past.Above, ClauseId.Ipv6Length,
        "a native IPv6 datagram's UDP length: 65535 (a payload of 65527) is taken, 65536 is EMSGSIZE");

    /// <summary>offsetof(struct sockaddr, sa_data): udpv6_sendmsg refuses a name too short to hold its family.</summary>
    public static Limit Ipv6NameLength => new("IPv6 name length lowest", 2, Past.Below, ClauseId.Ipv6Address,
        "a dual-stack socket's msg_namelen: 2 reads the family (AF_UNSPEC: no name), 1 is EINVAL");

    /// <summary>SIN6_LEN_RFC2133: the sockaddr_in6 of RFC 2133, without sin6_scope_id, is the shortest udpv6_sendmsg takes.</summary>
    public static Limit Sockaddr6Length => new("sockaddr_in6 length lowest", 24, Past.Below, ClauseId.Ipv6Address,
        "an AF_INET6 name's length on a dual-stack socket: 24 is taken, 23 is EINVAL");

    /// <summary>Every limit above, in declaration order.</summary>
    public static IReadOnlyList<Limit> All => typeof(Limits).GetProperties(BindingFlags.Public | BindingFlags.Static)
        .Where(p => p.PropertyType == typeof(Limit)).Select(p => (Limit)p.GetValue(null)!).ToArray();
}
