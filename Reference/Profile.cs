namespace Udpconf.Reference;

/// <summary>A switch that a kernel line changed: since which release the newest value holds, and the change behind it
/// (a commit's title, or what is known of it). reports/linux-kernels.md lists them beside each line's values.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class KernelChangeAttribute(string since, string change) : Attribute
{
    public string Since => since;
    public string Change => change;
}

/// <summary>How the IP identification of a datagram is chosen (ip_select_ident).</summary>
public enum IdentPolicy
{
    /// <summary>2.6: DF set: a connected socket's counter (+1 per datagram), else 0; no DF: a per-destination counter.</summary>
    Linux26,
    /// <summary>Current kernels: a connected socket's counter for every datagram; unconnected with DF that may not be
    /// ignored (DO, PROBE, INTERFACE): 0; otherwise a hashed generator (unconstrained).</summary>
    Modern,
}

/// <summary>
/// A profile is a small set of named behavior switches over one model. <c>spec</c> is the documented Linux 2.6
/// behavior, bugs included; <c>linux</c> is what a current kernel does. Switches of <c>linux</c> stay marked
/// unverified until a run on the live kernel confirms them.
/// <para>
/// Build and environment audit (every switch of <c>linux</c> that was settled by measurement, checked for answers that
/// depend on how the kernel was built or on the machine rather than on the call):
/// <see cref="MulticastRoutingOptionsByBuild"/> depends on CONFIG_IP_MROUTE, and the model names both answers;
/// <see cref="MinSndbuf"/> is twice (2048 + the cache-aligned size of struct sk_buff), so it depends on the
/// architecture and on options that grow sk_buff: 4608 was measured on three x86-64 builds (Debian 6.1.192 and
/// 6.12.107 cloud, a 6.18.44 build);
/// <see cref="NonLocalSourceUnreachable"/> holds for a socket without IP_TRANSPARENT (nonlocal.source) while the
/// namespace's net.ipv4.ip_nonlocal_bind is its default 0, which the suite's hosts never change;
/// <see cref="PseudoHeaderUsesFirstHop"/>, <see cref="HardwareChecksumOnlyUncorked"/>,
/// <see cref="LocalErrorInfoLessOptions"/>, <see cref="CountsOutNoRoutes"/>, <see cref="SharedCorkFlow"/>,
/// <see cref="TosFixedAtCork"/>, <see cref="ReleaseRevalidatesRoute"/> and <see cref="PushUsesSocketPort"/> are
/// decided by code that no configuration option guards in the sources read; whole-suite runs on Debian's 6.1 and 6.12
/// (--target vm:6.1, vm:6.12) found only version differences among them, which the kernel-line profiles
/// <see cref="Linux612"/> and <see cref="Linux61"/> hold (TosFixedAtCork; LocklessIpOptions, which decides where
/// ReleaseRevalidatesRoute runs), none between builds. <see cref="SmallHeadCache"/> differs by build and version. <see cref="MulticastIfTakesIpMreq"/>, <see cref="CmsgUdpLevel"/>,
/// <see cref="UdpSegmentOption"/>, <see cref="DeviceBinding"/>, <see cref="MulticastMembership"/>, <see cref="ShutdownCall"/>,
/// <see cref="SendmmsgCall"/>, <see cref="LocalDelivery"/>, <see cref="SocketMark"/>, <see cref="Zerocopy"/> and <see cref="SendmsgFrontEnd"/> (its optmem_max of 131072 is a
/// sysctl default, not a build option) were measured on the 6.18.44 build only (no other build run yet).
/// </para>
/// </summary>
public sealed record Profile
{
    public required string Name { get; init; }

    /// <summary>The profile a kernel-line profile derives from (linux for linux-6.1), null for spec and linux. A case
    /// written for the family runs under the line too; its own expectations, written for the family, are checked where
    /// the line's model meets them (CaseRunner).</summary>
    public string? Family { get; init; }

    /// <summary>Kernel release against which the switches were last measured, or null while they are a reading of
    /// kernel sources and documentation only.</summary>
    public string? VerifiedAgainst { get; init; }

    /// <summary>MSG_PROBE|MSG_MORE leaves a datagram pending with nothing queued; the next send crashes
    /// (CVE-2009-2698). Fixed kernels clear the pending mark when nothing was queued.</summary>
    public bool ProbeMoreLeavesPending { get => Read(field); init; }

    /// <summary>The UDP length field comes from the cork's length counter, which a MSG_PROBE append increases
    /// (udp_sendmsg.probe_length_counted); current kernels take the length from the queued data.</summary>
    public bool UdpLengthFromCounter { get => Read(field); init; }

    /// <summary>Every successful sendmsg counts an OutDatagram, corked or not (2.6); otherwise one is counted per
    /// datagram handed to IP.</summary>
    public bool OutDatagramsPerCall { get => Read(field); init; }

    /// <summary>ENOBUFS and full-queue drops count UDP SndbufErrors (not in 2.6).</summary>
    public bool CountsSndbufErrors { get => Read(field); init; }

    /// <summary>A positive device status (queue drop) counts an OutDiscard even when it is not reported to the caller.</summary>
    public bool QueueDropAlwaysDiscards { get => Read(field); init; }

    /// <summary>Modes that keep DF (DO, PROBE, INTERFACE) refuse an oversized datagram in ip_append_data with the MTU
    /// as the bound; in 2.6 the datagram is built and refused when it cannot be fragmented.</summary>
    public bool StrictPmtuAtAppend { get => Read(field); init; }

    /// <summary>The highest IP_MTU_DISCOVER value accepted (2 in 2.6: DONT, WANT, DO; 5 now: PROBE, INTERFACE, OMIT).</summary>
    public int MaxPmtuMode { get => Read(field); init; }

    /// <summary>IP_TTL and IP_TOS control messages are understood (otherwise an unknown SOL_IP type: EINVAL).</summary>
    public bool CmsgTtlTos { get => Read(field); init; }

    /// <summary>SOL_SOCKET control messages are parsed (an unknown type fails with EINVAL); 2.6 skips every level but SOL_IP.</summary>
    public bool CmsgSocketLevel { get => Read(field); init; }

    /// <summary>bind() checks the address family (AF_INET, or AF_UNSPEC with INADDR_ANY).</summary>
    public bool BindChecksFamily { get => Read(field); init; }

    public IdentPolicy Ident { get => Read(field); init; }

    /// <summary>Devices may offer UDP fragmentation offload (removed from current kernels).</summary>
    public bool SupportsUfo { get => Read(field); init; }

    /// <summary>The TOS bits that take part in the route lookup (RT_TOS: 0x1E in 2.6; the DSCP bits 0xFC now).</summary>
    public byte RouteTosMask { get => Read(field); init; }

    /// <summary>The neighbour is confirmed when MSG_CONFIRM is seen (2.6), not only when a packet leaves.</summary>
    public bool ConfirmBeforeSend { get => Read(field); init; }

    /// <summary>An unroutable send counts IP OutNoRoutes.</summary>
    public bool CountsOutNoRoutes { get => Read(field); init; }

    /// <summary>The smallest send buffer SO_SNDBUF can set (SOCK_MIN_SNDBUF).</summary>
    public int MinSndbuf { get => Read(field); init; }

    /// <summary>Bytes charged per socket buffer beyond its data (sk_buff and shared info); an approximation.</summary>
    public int SkbOverhead { get => Read(field); init; }

    /// <summary>A route lookup from a source address the host does not own fails with ENETUNREACH (current
    /// kernels, measured); 2.6 gives EINVAL.</summary>
    public bool NonLocalSourceUnreachable { get => Read(field); init; }

    /// <summary>A unicast destination of class E (240.0.0.0/4 but the limited broadcast) or of 0.0.0.0/8 (but 0.0.0.0)
    /// has no route: EINVAL, from 2.6's __mkroute_output (BADCLASS or ZERONET); so has a flow from a source in 0.0.0.0/8
    /// (ip_route_output_slow's ZERONET). Current kernels route both destinations as any other unicast (measured on
    /// 6.1.192, 6.12.118 and 6.18.44: udp_sendmsg/unicast_classes_linux) and take such a source as any address the host
    /// may or may not have (ENETUNREACH when it has not: udp_sendmsg/pktinfo_source_class_linux).</summary>
    public bool ReservedDestinationInvalid { get => Read(field); init; }

    /// <summary>The UDP pseudo-header uses the flow's destination, the first hop of a source route (current kernels,
    /// measured); 2.6 uses the final destination, as RFC 768/1122 ask.</summary>
    public bool PseudoHeaderUsesFirstHop { get => Read(field); init; }

    /// <summary>
    /// The SOL_IP option numbers of multicast routing (MRT_INIT 200 to MRT_FLUSH 212) answer by the kernel's build:
    /// where it has multicast routing (CONFIG_IP_MROUTE=y, as Debian's kernels do) setsockopt and getsockopt hand them
    /// to the multicast router, which refuses anything but a raw IGMP socket with EOPNOTSUPP; without it they are
    /// unknown options, ENOPROTOOPT. The model predicts EOPNOTSUPP and allows ENOPROTOOPT, naming the build option.
    /// Measured: Debian 6.1.192 and 6.12.107 (cloud builds, CONFIG_IP_MROUTE=y) answer EOPNOTSUPP for 200..212 and
    /// ENOPROTOOPT for 199 and 213, on get and set alike; a 6.18.44 build without CONFIG_IP_MROUTE answers ENOPROTOOPT
    /// for all of them. 2.6 as documented: ENOPROTOOPT (the switch is off).
    /// </summary>
    public bool MulticastRoutingOptionsByBuild { get => Read(field); init; }

    /// <summary>IP_MULTICAST_IF with 8 to 11 bytes is a struct ip_mreq (group, interface address): the interface is
    /// its second field. Measured on 6.18.44 (socket/sockopt_multicast_mreq): (239.1.2.3, 192.0.2.1) sets 192.0.2.1,
    /// (192.0.2.1, 0.0.0.0) resets it, (192.0.2.1, 198.51.100.7) is EADDRNOTAVAIL. 2.6 read any length below 12 as
    /// a struct in_addr, its first 4 bytes (the switch is off).</summary>
    public bool MulticastIfTakesIpMreq { get => Read(field); init; }

    /// <summary>IP_MULTICAST_IF with fewer than 4 bytes (no whole in_addr) is EINVAL. Measured on 6.18.44
    /// (socket/sockopt_multicast_mreq: 3 bytes). 2.6 read nothing from so short a value and reset the multicast
    /// interface (the switch is off).</summary>
    public bool MulticastIfShortInvalid { get => Read(field); init; }

    /// <summary>SOL_UDP control messages are parsed (udp_cmsg_send, before ip_cmsg_send): UDP_SEGMENT with a u16, any
    /// other SOL_UDP type EINVAL. Measured on 6.18.44 (udp_sendmsg/cmsg_udp_level_linux). 2.6 skipped SOL_UDP
    /// messages like every level but SOL_IP (the switch is off).</summary>
    public bool CmsgUdpLevel { get => Read(field); init; }

    /// <summary>The UDP_SEGMENT socket option (SOL_UDP 103): an int 0 to 65535, read back as set, the segment size of
    /// every later send (UDP GSO, udp_gso.*). Measured on 6.18.44 (udp_gso/option_linux). 2.6 had no such option
    /// (the switch is off).</summary>
    public bool UdpSegmentOption { get => Read(field); init; }

    /// <summary>Device binding as current kernels do it (bind_device.*): SO_BINDTODEVICE, SO_BINDTOIFINDEX and
    /// IP_UNICAST_IF, the bound device as the route's output device, its reset by an AF_UNSPEC disconnect. Measured on
    /// 6.18.44 (bind_device/*_linux). The notes' 2.6 profile does not follow these options (off: unmodeled).</summary>
    public bool DeviceBinding { get => Read(field); init; }

    /// <summary>Multicast group membership as current kernels keep it (multicast.*): IP_ADD_MEMBERSHIP and
    /// IP_DROP_MEMBERSHIP in their ip_mreq and ip_mreqn forms, IP_MULTICAST_LOOP, IP_MULTICAST_ALL, and a TTL-0
    /// datagram to a group this host joined on the output device staying on the host. Measured on 6.18.44
    /// (multicast/*_linux). The notes do not document membership: under 2.6 the options are unmodeled (off).</summary>
    public bool MulticastMembership { get => Read(field); init; }
    /// <summary>shutdown() is modeled (inet_shutdown, and the EPIPE of a send after SHUT_WR): measured on 6.18.44
    /// (Conformance/cases/shutdown/). The lecture notes do not document shutdown: under 2.6 it is unmodeled (off).</summary>
    public bool ShutdownCall { get => Read(field); init; }

    /// <summary>sendmmsg() is modeled (__sys_sendmmsg, each entry through the sendmsg path): measured on 6.18.44
    /// (Conformance/cases/sys_sendmmsg/). It came with Linux 3.0, after the notes' 2.6: unmodeled there (off).</summary>
    public bool SendmmsgCall { get => Read(field); init; }

    /// <summary>sendmsg's front end as a current kernel checks it (Conformance/cases/sys_sendmsg/, measured on
    /// 6.18.44): MSG_CMSG_COMPAT refused before the descriptor, __copy_msghdr's name checks before msg_iovlen's (a
/// msg_namelen above 128 clamped to 128, where 2.6 failed with EINVAL),
    /// import_iovec's per-entry checks, the control buffer's allocation. The notes' 2.6 did not describe that order:
    /// off keeps the model's earlier, unmeasured reading (unmodeled rather than guessed).</summary>
    public bool SendmsgFrontEnd { get => Read(field); init; }

    /// <summary>Local delivery is modeled (local_delivery.*): a datagram to an address of this host reaches a socket
    /// bound to its port, or comes back as an ICMP port unreachable that udp_err gives the sender (ECONNREFUSED as a
    /// connected socket's error, an error-queue entry under IP_RECVERR); getsockopt SO_ERROR reads and clears the
    /// socket error; 127.255.255.255 is lo's broadcast. Measured on 6.18.44 (Conformance/cases/local_delivery/). The
    /// lecture notes model the send path only: under 2.6 a datagram delivered locally is unmodeled (off).</summary>
    public bool LocalDelivery { get => Read(field); init; }

    /// <summary>SO_MARK is followed (policy_routing.mark, policy_routing.mark_cmsg): the socket's mark, or a control
    /// message's, goes with its route lookups, and fwmark rules see it (measured on 6.18.44,
    /// Conformance/cases/policy_routing/). The notes do not describe it: under 2.6 the option is unmodeled (off). The
    /// rules themselves are the host's, followed under both profiles.</summary>
    public bool SocketMark { get => Read(field); init; }

    /// <summary>The options that change nothing the send path does (receive-side switches, kept values: SO_KEEPALIVE,
    /// SO_RCVLOWAT, IP_PKTINFO, IP_MINTTL, UDP_ENCAP, …) are answered with their checks and read back
    /// (<see cref="Socket.PlainOptions"/>, measured on 6.18.44, Conformance/cases/options/). The notes do not describe
    /// them: under 2.6 they are unmodeled (off).</summary>
    public bool PlainOptions { get => Read(field); init; }

    /// <summary>SO_SNDBUF and SO_RCVBUF cap the value at net.core.wmem_max/rmem_max as unsigned numbers
    /// (min_t(u32, ...)): a negative value takes the maximum (measured on 6.18.44: -1 reads back 2 * wmem_max). 2.6
    /// compares it as an int, and a negative value takes the minimum.</summary>
    public bool BufferSizesUnsigned { get => Read(field); init; }

    /// <summary>Data appended into a page fragment (scatter-gather) is charged to the send buffer by its length
    /// (__ip_append_data's wmem_alloc_delta += copy); 2.6 charges PAGE_SIZE for each new page. Found by the
    /// differential machine on 6.18.44: a corked datagram at MTU 576 under SO_SNDBUF 0 took 1368 more bytes where the
    /// model, charging a page, answered ENOBUFS.</summary>
    public bool PageFragmentChargesCopy { get => Read(field); init; }

    /// <summary>A buffer's truesize is what the slab gives (<see cref="SkbOverhead"/> is then unused): the head and
    /// skb_shared_info (320 bytes) from the small-head cache (576) or the next power of two, plus struct sk_buff (256);
    /// and the send-buffer count starts at 1 (sk_wmem_alloc is a reference count), so an append needs what is charged
    /// to stay below twice SO_SNDBUF. Measured on 6.18.44 with SO_MEMINFO (a pending datagram of 1 to 150 bytes is
    /// charged 832, 200 to 600 bytes 1280, 700 to 1472 bytes 2304; Conformance/cases/ip_append_data/truesize_linux).
    /// The sizes of the structures and of the small-head cache depend on the architecture and the build. 2.6 charges
    /// the aligned head and a fixed overhead.</summary>
    public bool SlabTruesize { get => Read(field); init; }

    /// <summary>The size of the small-head cache a small buffer's head and skb_shared_info come from (SlabTruesize), 0
    /// for none (a power of two). It depends on the build (SKB_SMALL_HEAD_CACHE_SIZE follows MAX_TCP_HEADER) and on
    /// the version (the cache is 6.3's, "net: add dedicated kmem_cache for typical/small skb->head"). Measured with
    /// SO_MEMINFO, a pending datagram of one byte: 832 charged on the 6.18.44 build (576), 960 on Debian's 6.12.118
    /// (704), 768 on Debian's 6.1.192 (no cache: 512).</summary>
    [KernelChange("6.3, and the build", "\"net: add dedicated kmem_cache for typical/small skb->head\" (Eric Dumazet, 2023); its size follows MAX_TCP_HEADER, a build choice")]
    public int SmallHeadCache { get => Read(field); init; }

    /// <summary>SO_ZEROCOPY and MSG_ZEROCOPY are modeled (zerocopy.*): the option, the id each MSG_ZEROCOPY send
    /// takes, and the completion queued on the error queue when the datagram's buffers are freed, ranges coalescing.
    /// Measured on 6.18.44 (Conformance/cases/zerocopy/). MSG_ZEROCOPY came with Linux 4.14, after the notes' 2.6:
    /// SO_ZEROCOPY is unmodeled there (off).</summary>
    public bool Zerocopy { get => Read(field); init; }

    /// <summary>Hardware checksum is chosen only for a first piece sent without MSG_MORE (current kernels); 2.6
    /// chooses it for any first piece that fits the MTU.</summary>
    public bool HardwareChecksumOnlyUncorked { get => Read(field); init; }

    /// <summary>The error queue entry of a local EMSGSIZE reports the MTU less the option length (else the MTU).</summary>
    public bool LocalErrorInfoLessOptions { get => Read(field); init; }

    /// <summary>The socket has one flow, the cork's (inet->cork.fl), shared by everything that reads or writes it
    /// (current kernels; measured, each effect found by the differential machine): a corked send fills it with its
    /// final destination, port and source; connect fills it with the peer, whatever the connect's result, which
    /// also redirects a datagram already pending; an uncorked send on a connected socket with a valid cached route
    /// takes its addresses and destination port from it, even when a corked send to another address left them
    /// there; the IP header's addresses and a local EMSGSIZE's error-queue address come from the datagram's flow.
    /// 2.6 keeps the cork's flow for the pending datagram only, connect looks its route up in a flow of its own, and
    /// the IP header's addresses come from the route.</summary>
    public bool SharedCorkFlow { get => Read(field); init; }

    /// <summary>The IP header's TOS is the socket's when the datagram was started, not when it is pushed (current
    /// kernels: ipcm_init_sk records it in the cork; measured, found by the differential machine). 2.6 writes
    /// inet->tos at push time, and so do kernel lines before 6.13-6.18 (measured: an IP_TOS set while a datagram is
    /// pending applies to it on 6.1.192 and 6.12.118, not on 6.18.44). The change is, as far as the sources read tell,
    /// Willem de Bruijn's "net: deduplicate cookie logic" series (2025), in which ipcm_init_sk takes the socket's TOS
    /// into the cookie that the cork keeps; the boundary the model knows is the measured one, after 6.12.</summary>
    [KernelChange("after 6.12 (measured)", "believed: Willem de Bruijn’s \"net: deduplicate cookie logic\" series (2025): ipcm_init_sk takes the socket TOS into the cookie the cork keeps")]
    public bool TosFixedAtCork { get => Read(field); init; }

    /// <summary>Releasing the socket lock (setsockopt, a corked or pending send) looks an obsolete cached route of a
    /// connected socket up again and caches it (ip4_datagram_release_cb, current kernels): the next connected send then
    /// finds a valid route, and with it the cork flow (found by the differential machine). 2.6 has no such callback:
    /// the next send looks the route up itself.</summary>
    public bool ReleaseRevalidatesRoute { get => Read(field); init; }

    /// <summary>The UDP header's source port is the socket's port when the datagram is pushed (0 after a disconnect
    /// released an automatic port; current kernels, udp_send_skb; measured, found by the differential machine). 2.6
    /// writes the port recorded in the cork when the datagram was started.</summary>
    public bool PushUsesSocketPort { get => Read(field); init; }

    /// <summary>IP_TTL, IP_MTU_DISCOVER, IP_RECVERR and IP_MULTICAST_TTL are set without the socket lock, so setting
    /// them does not run release_sock's callback (<see cref="ReleaseRevalidatesRoute"/>). Since 6.6: Eric Dumazet's
    /// series "inet: implement lockless IP_TTL" / "inet: implement lockless IP_MTU_DISCOVER" / "inet: implement
    /// lockless IP_MULTICAST_TTL" and "inet: move inet->recverr to inet->inet_flags" (net-next, August 2023, v6.6).
    /// Measured: 6.1.192 revalidates the cached route after IP_TTL; 6.12.118 and 6.18.44 do not.</summary>
    [KernelChange("6.6", "\"inet: implement lockless IP_TTL\", \"inet: implement lockless IP_MTU_DISCOVER\", \"inet: implement lockless IP_MULTICAST_TTL\", \"inet: move inet->recverr to inet->inet_flags\" (Eric Dumazet, 2023)")]
    public bool LocklessIpOptions { get => Read(field); init; }

    /// <summary>A UDP GSO datagram goes out on a device without checksum offload (the stack segments it and computes
    /// each checksum). Before, udp_send_skb refused it with EIO unless the skb was CHECKSUM_PARTIAL, which a device
    /// without NETIF_F_HW_CSUM never gives. Since 6.11: "udp: Allow GSO transmit from devices with no checksum
    /// offload" (Jakub Sitnicki, 2024). Measured: EIO on 6.1.192, sent on 6.12.118 and 6.18.44.</summary>
    [KernelChange("6.11", "\"udp: Allow GSO transmit from devices with no checksum offload\" (Jakub Sitnicki, 2024)")]
    public bool GsoWithoutChecksumOffload { get => Read(field); init; }

    /// <summary>net.core.optmem_max's default, the bound of a sendmsg control buffer beyond the stack's (sock_kmalloc).
    /// 20480 before 6.9, 131072 since "net: increase optmem_max default value" (Eric Dumazet, 2024, v6.9). Measured:
    /// a 131071-byte control buffer is ENOBUFS on 6.1.192, copied (EFAULT past its readable bytes) on 6.12.118 and
    /// 6.18.44. A sysctl: a machine may set another value.</summary>
    [KernelChange("6.9", "\"net: increase optmem_max default value\" (Eric Dumazet, 2024); a sysctl")]
    public int OptmemMax { get => Read(field); init; }

    /// <summary>SO_PASSCRED, SO_PASSSEC, SO_PASSPIDFD and SO_TXREHASH are refused on a UDP socket (EOPNOTSUPP) rather than
    /// kept as switches nothing reads. Since 6.16: "net: Restrict SO_PASS{CRED,PIDFD,SEC} to AF_{UNIX,NETLINK,BLUETOOTH}"
    /// and "net: Restrict SO_TXREHASH to TCP socket" (Kuniyuki Iwashima, 2025). Measured: switches on 6.1.192 and 6.12.118,
    /// EOPNOTSUPP on 6.18.44.</summary>
    [KernelChange("6.16", "\"net: Restrict SO_PASS{CRED,PIDFD,SEC} to AF_{UNIX,NETLINK,BLUETOOTH}\", \"net: Restrict SO_TXREHASH to TCP socket\" (Kuniyuki Iwashima, 2025)")]
    public bool PassOptionsRestricted { get => Read(field); init; }

    /// <summary>The kernel line (major × 100 + minor) whose socket options and control messages the model knows:
    /// each that appeared in a later release is unknown (ENOPROTOOPT for an option, EINVAL for a control message), as
    /// <see cref="Socket.PlainOptions"/>, <see cref="Socket.ReadOnlyOptions"/> and <see cref="Ip.IpCmsgSend"/> note with
    /// the release of each. 618 for the newest line.</summary>
    [KernelChange("6.5 to 6.16", "options and control messages that appeared: SO_PASSPIDFD/SO_PEERPIDFD 6.5, SO_DEVMEM_DONTNEED 6.12, SCM_TS_OPT_ID 6.13, SO_RCVPRIORITY and the SO_PRIORITY control message 6.14, SO_PASSRIGHTS 6.16; UDP_ENCAP_ESPINUDP_NON_IKE gone by 6.12")]
    public int OptionsRelease { get => Read(field); init; }


    /// <summary>A gather list of one entry is imported as a single user buffer (ITER_UBUF), its length clamped to
    /// MAX_RW_COUNT before access_ok, so that a huge length only makes the datagram too long (EMSGSIZE); before, every
    /// entry was checked unclamped (EFAULT beyond the user address space). Since 6.4: "iov_iter: import single vector
    /// iovecs as ITER_UBUF" (Jens Axboe). Measured: EFAULT on 6.1.192, EMSGSIZE on 6.12.118 and 6.18.44.</summary>
    [KernelChange("6.4", "\"iov_iter: import single vector iovecs as ITER_UBUF\" (Jens Axboe, 2023)")]
    public bool SingleIovAsUbuf { get => Read(field); init; }

    /// <summary>A MSG_ZEROCOPY datagram to a group, out of lo, is completed as copied (SO_EE_CODE_ZEROCOPY_COPIED): the
    /// loopback copies the pages for the local member before the completion. Measured: copied on 6.1.192 and
    /// 6.12.118; 6.18.44 reports code 0 (which the model leaves unmodeled: the commit is not identified).</summary>
    [KernelChange("after 6.12 (measured)", "not identified")]
    public bool LoopedGroupZerocopyCopied { get => Read(field); init; }

    // The profiles are made anew on each access (records, equal by value), not held in static fields: a value set in a
    // static initializer runs once per process, so Stryker cannot switch its mutants while the tests run (they
    // "survive" however the tests would judge them, and one switched at a test host's start stays in force for every
    // mutant after it).

    /// <summary>The documented Linux 2.6 behavior, bugs included.</summary>
    public static Profile Spec => new()
    {
        Name = "spec",
        VerifiedAgainst = "Reference/clauses.md",
        ProbeMoreLeavesPending = true,
        UdpLengthFromCounter = true,
        OutDatagramsPerCall = true,
        CountsSndbufErrors = false,
        QueueDropAlwaysDiscards = false,
        StrictPmtuAtAppend = false,
        MaxPmtuMode = (int)Limits.PmtuModeSpec.At,
        CmsgTtlTos = false,
        CmsgSocketLevel = false,
        BindChecksFamily = false,
        Ident = IdentPolicy.Linux26,
        SupportsUfo = true,
        RouteTosMask = 0x1E,
        ConfirmBeforeSend = true,
        CountsOutNoRoutes = false,
        MinSndbuf = 2048,
        SkbOverhead = 256,
        LocalErrorInfoLessOptions = false,
        SharedCorkFlow = false,
        TosFixedAtCork = false,
        ReleaseRevalidatesRoute = false,
        PushUsesSocketPort = false,
        LocklessIpOptions = false,
        GsoWithoutChecksumOffload = false,
        OptmemMax = 20480,
        PassOptionsRestricted = false,
        OptionsRelease = 206,
        LoopedGroupZerocopyCopied = false,
        SingleIovAsUbuf = false,
        HardwareChecksumOnlyUncorked = false,
        NonLocalSourceUnreachable = false,
        ReservedDestinationInvalid = true,
        PseudoHeaderUsesFirstHop = false,
        MulticastRoutingOptionsByBuild = false,
        MulticastIfTakesIpMreq = false,
        MulticastIfShortInvalid = false,
        CmsgUdpLevel = false,
        UdpSegmentOption = false,
        DeviceBinding = false,
        MulticastMembership = false,
        ShutdownCall = false,
        SendmmsgCall = false,
        SendmsgFrontEnd = false,
        LocalDelivery = false,
        SocketMark = false,
        PlainOptions = false,
        BufferSizesUnsigned = false,
        PageFragmentChargesCopy = false,
        SlabTruesize = false,
        SmallHeadCache = 0,
        Zerocopy = false,
    };

    /// <summary>A current kernel, as read from its sources: unverified until the live-kernel target measures it.</summary>
    public static Profile Linux => new()
    {
        Name = "linux",
        VerifiedAgainst = ProfileVerification.LinuxVerifiedAgainst,
        ProbeMoreLeavesPending = false,
        UdpLengthFromCounter = false,
        OutDatagramsPerCall = false,
        CountsSndbufErrors = true,
        QueueDropAlwaysDiscards = true,
        StrictPmtuAtAppend = true,
        MaxPmtuMode = (int)Limits.PmtuModeLinux.At,
        CmsgTtlTos = true,
        CmsgSocketLevel = true,
        BindChecksFamily = true,
        Ident = IdentPolicy.Modern,
        SupportsUfo = false,
        RouteTosMask = 0xFC,
        ConfirmBeforeSend = false,
        CountsOutNoRoutes = true,
        MinSndbuf = 2 * (int)Limits.SndbufFloorLinux.At,
        SkbOverhead = 576,
        LocalErrorInfoLessOptions = true,
        SharedCorkFlow = true,
        TosFixedAtCork = true,
        ReleaseRevalidatesRoute = true,
        PushUsesSocketPort = true,
        LocklessIpOptions = true,
        GsoWithoutChecksumOffload = true,
        OptmemMax = 131072,
        PassOptionsRestricted = true,
        OptionsRelease = 618,
        LoopedGroupZerocopyCopied = false,
        SingleIovAsUbuf = true,
        HardwareChecksumOnlyUncorked = true,
        NonLocalSourceUnreachable = true,
        ReservedDestinationInvalid = false,
        PseudoHeaderUsesFirstHop = true,
        MulticastRoutingOptionsByBuild = true,
        MulticastIfTakesIpMreq = true,
        MulticastIfShortInvalid = true,
        CmsgUdpLevel = true,
        UdpSegmentOption = true,
        DeviceBinding = true,
        MulticastMembership = true,
        ShutdownCall = true,
        SendmmsgCall = true,
        SendmsgFrontEnd = true,
        LocalDelivery = true,
        SocketMark = true,
        PlainOptions = true,
        BufferSizesUnsigned = true,
        PageFragmentChargesCopy = true,
        SlabTruesize = true,
        SmallHeadCache = 576,
        Zerocopy = true,
    };

    /// <summary>Linux 6.12, as measured on Debian's 6.12.118 under --target vm:6.12: what it does that the newest
    /// kernel does not. Each switch set here says in its own comment where the behavior changed.</summary>
    public static Profile Linux612 => Linux with
    {
        Name = "linux-6.12",
        Family = "linux",
        VerifiedAgainst = ProfileVerification.Linux612VerifiedAgainst,
        TosFixedAtCork = false,
        PassOptionsRestricted = false,
        OptionsRelease = 612,
        LoopedGroupZerocopyCopied = true,
        SmallHeadCache = 704,
    };

    /// <summary>Linux 6.1, as measured on Debian's 6.1.192 under --target vm:6.1: 6.12's differences and more.</summary>
    public static Profile Linux61 => Linux612 with
    {
        Name = "linux-6.1",
        VerifiedAgainst = ProfileVerification.Linux61VerifiedAgainst,
        LocklessIpOptions = false,
        GsoWithoutChecksumOffload = false,
        OptmemMax = 20480,
        OptionsRelease = 601,
        SmallHeadCache = 0,
        SingleIovAsUbuf = false,
    };

    /// <summary>The profiles "all" runs: the documented 2.6 behavior and the newest kernel.</summary>
    public static IReadOnlyList<Profile> All => [Spec, Linux];

    /// <summary>The older kernel lines, newest first, each a profile of the linux family.</summary>
    public static IReadOnlyList<Profile> KernelLines => [Linux612, Linux61];

    public static Profile? Find(string name) => All.Concat(KernelLines).FirstOrDefault(p => p.Name == name);

    /// <summary>The profile of the kernel line a release belongs to (6.1.0-57-amd64: linux-6.1, 6.12.118+deb12-amd64:
    /// linux-6.12), linux for any other (the newest line, and releases the model has no line for).</summary>
    public static Profile ForRelease(string release) =>
        System.Text.RegularExpressions.Regex.Match(release, @"^([0-9]+)\.([0-9]+)") is { Success: true } m
            ? KernelLines.FirstOrDefault(p => p.Name == $"linux-{m.Groups[1].Value}.{m.Groups[2].Value}") ?? Linux
            : Linux;

    public bool IsVerified => VerifiedAgainst is not null;

    /// <summary>The behavior switches, by name: every property but <see cref="Name"/> and <see cref="VerifiedAgainst"/>.
    /// spec-map flips each alone to measure which clauses it changes.</summary>
    public static IReadOnlyList<System.Reflection.PropertyInfo> Switches => typeof(Profile).GetProperties()
        .Where(p => p.CanWrite && p.Name is not nameof(Name) and not nameof(VerifiedAgainst) and not nameof(Family)).ToArray();

    /// <summary>A copy of this profile with one switch set to <paramref name="value"/> (a <c>with</c> by reflection).</summary>
    public Profile With(System.Reflection.PropertyInfo @switch, object? value)
    {
        var copy = this with { };
        @switch.SetValue(copy, value);
        return copy;
    }

    /// <summary>Reports a switch read to the thread's <see cref="ClauseRecorder"/>, if any.</summary>
    private static T Read<T>(T value, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        ClauseRecorder.SwitchRead(name);
        return value;
    }
}
