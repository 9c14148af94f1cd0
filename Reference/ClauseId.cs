using System.Reflection;

namespace Udpconf.Reference;

/// <summary>
/// The stable clause ids of the catalog <c>Reference/clauses.md</c> (in its order), and the model's own additions
/// (marked <c>+</c> in spec-map.md). Every <see cref="Outcome"/> names the clause that decided it.
/// </summary>
public static class ClauseId
{
    // sys_sendto: system call front end (pp. 5-7; "p. N" is a page of the lecture notes, as cited in clauses.md)
    public const string BadFd = "sys_sendto.bad_fd";
    public const string NotSocket = "sys_sendto.not_socket";
    public const string AddrCopy = "sys_sendto.addr_copy";
    public const string NoAddr = "sys_sendto.no_addr";
    public const string SingleIov = "sys_sendto.single_iov";
    public const string NoControl = "sys_sendto.no_control";
    public const string Nonblock = "sys_sendto.nonblock";
    public const string SysResult = "sys_sendto.result";

    // socket layer (pp. 12-18)
    public const string SecurityHook = "sock_sendmsg.security_hook";
    public const string Credentials = "scm_send.credentials";
    public const string Autobind = "inet_sendmsg.autobind";

    // udp_sendmsg (pp. 23-38)
    public const string LenOver0xFFFF = "udp_sendmsg.len_over_0xffff";
    public const string Oob = "udp_sendmsg.oob";
    public const string CorkReq = "udp_sendmsg.corkreq";
    public const string PendingAppend = "udp_sendmsg.pending_append";
    public const string PendingFamily = "udp_sendmsg.pending_family";
    public const string HeaderLen = "udp_sendmsg.header_len";
    public const string AddrShort = "udp_sendmsg.addr_short";
    public const string AddrFamily = "udp_sendmsg.addr_family";
    public const string DportZero = "udp_sendmsg.dport_zero";
    public const string NoDest = "udp_sendmsg.no_dest";
    public const string ConnectedDest = "udp_sendmsg.connected_dest";
    public const string BoundSource = "udp_sendmsg.bound_source";
    public const string Cmsg = "udp_sendmsg.cmsg";
    public const string SockoptIpOptions = "udp_sendmsg.sockopt_ip_options";
    public const string SourceRoute = "udp_sendmsg.source_route";
    public const string RouteTos = "udp_sendmsg.route_tos";
    public const string OnLink = "udp_sendmsg.onlink";
    public const string Multicast = "udp_sendmsg.multicast";
    public const string Route = "udp_sendmsg.route";
    public const string BroadcastEacces = "udp_sendmsg.broadcast_eacces";
    public const string ConnectedRouteCache = "udp_sendmsg.connected_route_cache";
    public const string Confirm = "udp_sendmsg.confirm";
    public const string Probe = "udp_sendmsg.probe";
    public const string SourceFromRoute = "udp_sendmsg.source_from_route";
    public const string ProbeMorePending = "udp_sendmsg.probe_more_pending";
    public const string ProbeLengthCounted = "udp_sendmsg.probe_length_counted";
    public const string CorkAppBug = "udp_sendmsg.cork_app_bug";
    public const string CorkSetup = "udp_sendmsg.cork_setup";
    public const string LengthAccumulates = "udp_sendmsg.length_accumulates";
    public const string AppendErrorFlush = "udp_sendmsg.append_error_flush";
    public const string PushUncorked = "udp_sendmsg.push_uncorked";
    public const string UdpResult = "udp_sendmsg.result";

    // setsockopt UDP_CORK (p. 24)
    public const string CorkOn = "udp_setsockopt.cork_on";
    public const string CorkOffPush = "udp_setsockopt.cork_off_push";

    // udp_push_pending_frames (pp. 39-43)
    public const string PushEmpty = "udp_push.empty";
    public const string UdpHeader = "udp_push.header";
    public const string NoCheck = "udp_push.no_check";
    public const string Checksum = "udp_push.checksum";
    public const string ChecksumZero = "udp_push.checksum_zero";
    public const string ChecksumOffload = "udp_push.checksum_offload";
    public const string PushReset = "udp_push.reset";

    // ip_push_pending_frames (pp. 44-48)
    public const string Coalesce = "ip_push.coalesce";
    public const string LocalFragment = "ip_push.local_fragment";
    public const string Df = "ip_push.df";
    public const string IpOptions = "ip_push.options";
    public const string Ttl = "ip_push.ttl";
    public const string IpHeader = "ip_push.header";
    public const string HeaderChecksum = "ip_push.header_checksum";
    public const string Netfilter = "ip_push.netfilter";
    public const string OutDiscards = "ip_push.outdiscards";

    // ip_append_data (pp. 51-61)
    public const string AppendProbe = "ip_append_data.probe";
    public const string CorkInit = "ip_append_data.cork_init";
    public const string FragLen = "ip_append_data.fraglen";
    public const string EmsgsizeTotal = "ip_append_data.emsgsize_total";
    public const string HwChecksum = "ip_append_data.hw_checksum";
    public const string Ufo = "ip_append_data.ufo";
    public const string FragmentLayout = "ip_append_data.fragment_layout";
    public const string Sndbuf = "ip_append_data.sndbuf";
    public const string AppendEfault = "ip_append_data.efault";
    public const string MaxFrags = "ip_append_data.max_frags";
    public const string ErrorUnwind = "ip_append_data.error_unwind";
    public const string GetfragChecksum = "ip_generic_getfrag.checksum";

    // Part 2 of the catalog: current Linux beyond the lecture notes (each row names the kernel function that decides it).
    // The first id of this part must stay first: BeyondNotes starts at it.

    // udp_gso: UDP segmentation offload (net/ipv4/udp.c, net/ipv4/udp_offload.c)
    public const string GsoOption = "udp_gso.option";
    public const string GsoCmsg = "udp_gso.cmsg";
    public const string GsoCorkSize = "udp_gso.cork_size";
    public const string GsoLength = "udp_gso.length";
    public const string GsoSegmentFitsMtu = "udp_gso.segment_fits_mtu";
    public const string GsoMaxSegments = "udp_gso.max_segments";
    public const string GsoNoCheck = "udp_gso.no_check";
    public const string GsoNeedsOffload = "udp_gso.needs_offload";
    public const string GsoIdentSpent = "udp_gso.ident_spent";
    public const string GsoSingle = "udp_gso.single";
    public const string GsoSegments = "udp_gso.segments";
    public const string GsoChecksum = "udp_gso.checksum";

    // bind_device: device binding (net/core/sock.c, net/ipv4/ip_sockglue.c, net/ipv4/udp.c, net/ipv4/datagram.c)
    public const string BindDeviceByName = "bind_device.by_name";
    public const string BindDeviceByIndex = "bind_device.by_index";
    public const string BindDeviceRead = "bind_device.read";
    public const string BindDeviceRoute = "bind_device.route";
    public const string BindDeviceConnect = "bind_device.connect";
    public const string BindDeviceDisconnect = "bind_device.disconnect";
    public const string BindDevicePktinfo = "bind_device.pktinfo";
    public const string UnicastIf = "bind_device.unicast_if";
    // multicast: group membership and the multicast options (net/ipv4/igmp.c, net/ipv4/ip_sockglue.c)
    public const string MulticastJoin = "multicast.join";
    public const string MulticastLeave = "multicast.leave";
    public const string MulticastLoop = "multicast.loop";
    public const string MulticastAll = "multicast.all";
    public const string MulticastTtlZero = "multicast.ttl_zero";

    // shutdown: inet_shutdown (net/ipv4/af_inet.c) and the send that meets it (sock_alloc_send_pskb, net/core/sock.c)
    public const string ShutdownHow = "inet_shutdown.how";
    public const string ShutdownNotConnected = "inet_shutdown.not_connected";
    public const string ShutdownConnected = "inet_shutdown.connected";
    public const string ShutdownKept = "inet_shutdown.kept";
    public const string SendShutdown = "sock_alloc_send_pskb.send_shutdown";

    // sendmmsg: __sys_sendmmsg (net/socket.c)
    public const string SendmmsgDescriptor = "sys_sendmmsg.descriptor";
    public const string SendmmsgVlenClamp = "sys_sendmmsg.vlen_clamp";
    public const string SendmmsgVlenZero = "sys_sendmmsg.vlen_zero";
    public const string SendmmsgEntry = "sys_sendmmsg.entry";
    public const string SendmmsgCount = "sys_sendmmsg.count";
    public const string SendmmsgDataLeft = "sys_sendmmsg.data_left";
    public const string SendmmsgFirstError = "sys_sendmmsg.first_error";
    public const string SendmmsgPartial = "sys_sendmmsg.partial";
    public const string SendmmsgFault = "sys_sendmmsg.efault";

    // sendmsg's front end: __sys_sendmsg, ___sys_sendmsg, __copy_msghdr, ____sys_sendmsg (net/socket.c), import_iovec (lib/iov_iter.c)
    public const string SendmsgCompatFlag = "sys_sendmsg.compat_flag";
    public const string SendmsgNameLength = "sys_sendmsg.namelen";
    public const string SendmsgIovLength = "sys_sendmsg.iovlen";
    public const string SendmsgIovRead = "sys_sendmsg.iov_read";
    public const string SendmsgIovRange = "sys_sendmsg.iov_range";
    public const string SendmsgControlLength = "sys_sendmsg.control_length";
    public const string SendmsgControlAlloc = "sys_sendmsg.control_alloc";
    public const string SendmsgControlCopy = "sys_sendmsg.control_copy";
    // Local delivery: __udp4_lib_rcv, udp_err (net/ipv4/udp.c), icmp_send (net/ipv4/icmp.c)
    public const string LocalListener = "local_delivery.listener";
    public const string LocalPortUnreachable = "local_delivery.port_unreachable";
    public const string LocalConnectedError = "local_delivery.connected_error";
    public const string LocalRecvErr = "local_delivery.recverr";
    public const string LocalSoError = "local_delivery.so_error";
    public const string LoopbackBroadcast = "local_delivery.loopback_broadcast";
    // Policy routing: fib_rules_lookup (net/core/fib_rules.c), fib4_rule_action (net/ipv4/fib_rules.c), SO_MARK
    public const string PolicyRules = "policy_routing.rules";
    public const string PolicyTable = "policy_routing.table";
    public const string PolicyRefuse = "policy_routing.refuse";
    public const string PolicyOifFallback = "policy_routing.oif_fallback";
    public const string SocketMark = "policy_routing.mark";
    public const string SocketMarkCmsg = "policy_routing.mark_cmsg";
    public const string PolicyConnectSource = "policy_routing.connect_source";
    // Options the send path does not read: sk_setsockopt (net/core/sock.c), do_ip_setsockopt, udp_lib_setsockopt
    public const string OptionsFlag = "options.flag";
    public const string OptionsValue = "options.value";
    public const string OptionsTimestamp = "options.timestamp";
    public const string OptionsUnsupported = "options.unsupported";
    public const string OptionsTimeout = "options.timeout";
    public const string OptionsReuse = "options.reuse";
    public const string OptionsBuffer = "options.buffer";
    public const string OptionsLinger = "options.linger";
    public const string OptionsReadOnly = "options.readonly";
    // MSG_ZEROCOPY: __ip_append_data, msg_zerocopy_realloc, __msg_zerocopy_callback (net/core/skbuff.c)
    public const string ZerocopyOption = "zerocopy.option";
    public const string ZerocopyIgnored = "zerocopy.ignored";
    public const string ZerocopyId = "zerocopy.id";
    public const string ZerocopyCorked = "zerocopy.corked";
    public const string ZerocopyCompletion = "zerocopy.completion";
    public const string ZerocopyCoalesce = "zerocopy.coalesce";
    // Addresses the host does not have: inet_bind (net/ipv4/af_inet.c), ip_route_output_key_hash_rcu (net/ipv4/route.c)
    public const string NonlocalBind = "nonlocal.bind";
    public const string NonlocalSource = "nonlocal.source";
    // Ephemeral ports: __inet_bind, inet_autobind (net/ipv4/af_inet.c), inet_sk_get_local_port_range (net/ipv4/inet_connection_sock.c)
    public const string EphemeralRange = "ephemeral.range";
    public const string EphemeralNoPort = "ephemeral.no_port";

    // The model's own clauses (+): calls around the send path that the text assumes but does not print.
    public const string SocketCreate = "socket.create";
    public const string SocketUnsupported = "socket.unsupported";
    public const string Bind = "inet_bind.bind";
    public const string BindAddress = "inet_bind.address";
    public const string BindInUse = "inet_bind.in_use";
    public const string Connect = "ip4_datagram_connect.connect";
    public const string Disconnect = "udp_disconnect.disconnect";
    public const string SetSockOpt = "setsockopt.option";
    public const string GetSockOpt = "getsockopt.option";
    public const string SetNonblock = "fcntl.nonblock";
    public const string Close = "close.release";
    public const string FdLookup = "sockfd_lookup.descriptor";
    public const string OpenFile = "open.file";
    public const string HostChange = "host.change";
    public const string SendmsgHeader = "sys_sendmsg.msghdr";
    public const string Ipv6Unmodeled = "udpv6_sendmsg.unmodeled";
    /// <summary>A native IPv6 datagram's UDP length, its header and every corked part, is at most IPV6_MAXPLEN
    /// (ip6_append_data): past it the send is EMSGSIZE and the pending datagram is flushed.</summary>
    public const string Ipv6Length = "udpv6_sendmsg.length";
    /// <summary>udpv6_sendmsg's address checks: a name shorter than its family field, an AF_INET6 name shorter than
    /// SIN6_LEN_RFC2133 (24), or a family other than AF_INET, AF_INET6 and AF_UNSPEC is EINVAL; AF_UNSPEC is no name.</summary>
    public const string Ipv6Address = "udpv6_sendmsg.address";
    /// <summary>A datagram ip_fragment may not fragment is answered with an ICMP "fragmentation needed" to its source,
    /// this host: udp_err records EMSGSIZE as the socket's error (sk_err).</summary>
    public const string FragNeededToSelf = "ip_fragment.frag_needed_to_self";
    /// <summary>The first buffer of a datagram (sock_alloc_send_skb) first reports and clears the socket's error.</summary>
    public const string SocketError = "sock_alloc_send_skb.socket_error";
    /// <summary>A route whose path MTU this host taught itself, after the link MTU changed: not modeled; the socket
    /// that met it is not modeled from then on.</summary>
    public const string PmtuLearnedFromSelf = "ip_route.pmtu_learned_from_self";

    /// <summary>The catalog's ids, in the order of Reference/clauses.md.</summary>
    public static IReadOnlyList<string> Catalog => typeof(ClauseId)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .TakeWhile(id => id != SocketCreate)
        .ToArray();

    /// <summary>The catalog's second part, current Linux beyond the lecture notes, in its order: the ids from the first
    /// one declared after <see cref="GetfragChecksum"/>.</summary>
    public static IReadOnlyList<string> BeyondNotes => Catalog.SkipWhile(id => id != GetfragChecksum).Skip(1).ToArray();

    /// <summary>The model's own ids, beyond the catalog.</summary>
    public static IReadOnlyList<string> Additions => typeof(ClauseId)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .SkipWhile(id => id != SocketCreate)
        .ToArray();
}
