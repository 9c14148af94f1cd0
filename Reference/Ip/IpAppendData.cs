using System.Runtime.CompilerServices;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Reference.Ip;

/// <summary>
/// ip_append_data: the datagram's data goes into the write queue, cut into buffers that are ready to leave as IP
/// fragments.
/// </summary>
public static class IpAppendData
{
    private const int IpHeaderLength = 20;
    private const int PageSize = 4096;
    private const int MaxSkbFrags = 18;
    private const int LinkReserve = 16;
    private const int IpMaxMtu = 0xFFFF;

    /// <summary>
    /// Outcome: nothing (the data is queued), or EMSGSIZE when the datagram would pass 65535 bytes with its IP
    /// header (65507 bytes of data without options), EAGAIN when the first buffer finds the send buffer full under
    /// MSG_DONTWAIT, ENOBUFS when a later buffer finds it twice over, EFAULT for unreadable data, EMSGSIZE for too
    /// many page fragments. The buffers' errors take their length back off the cork and count an OutDiscard; the
    /// 65535 check does neither.
    /// Description: MSG_PROBE appends nothing. The first append of a datagram records options, route and MTU. Data
    /// fills each buffer up to maxfraglen (the MTU when the rest fits), the overhang moving on to the next, so
    /// every fragment but the last carries a multiple of 8 bytes.
    /// Variation: current kernels refuse a datagram above the MTU here when DF may not be ignored (DO, PROBE,
    /// INTERFACE), and PROBE and later modes use the device MTU, not the path MTU. UFO exists only in 2.6. Current
    /// kernels count a SndbufError for a send-buffer ENOBUFS or EAGAIN (udp_sendmsg's exit, modeled here).
    /// Model details: buffer memory is alloclen plus a fixed overhead per buffer (the profile's SkbOverhead), an
    /// approximation of truesize; the device consumes transmitted datagrams at once, so the first buffer of a
    /// datagram always finds the send buffer empty and never waits (EAGAIN / Blocks are unreachable).
    /// </summary>
    public static Step<Nothing> Append(Net model, Call call, InetSock sock, IReadOnlyList<UserBuffer> iov, int length,
        int transhdrlen, IpcCookie ipc, RouteResult? route, MsgFlags flags)
    {
        // spec: ip_append_data.probe
        if (flags.HasFlag(MsgFlags.Probe))
        {
            call.Pass(ClauseId.AppendProbe);
            // spec: udp_sendmsg.probe — nothing is appended, so nothing will be sent for this call.
            call.Pass(ClauseId.Probe);
            // spec: udp_sendmsg.probe_length_counted — udp_sendmsg already added this length to the cork's counter.
            if (sock.Cork.Queue.Count > 0 && model.Profile.UdpLengthFromCounter) call.Pass(ClauseId.ProbeLengthCounted);
            return default(Nothing);
        }
        var profile = model.Profile;
        var cork = sock.Cork;
        if ((route ?? cork.Route) is { } path && model.UnmodeledPath(path.Destination) is { } why)
        {
            sock.Unmodeled = new NotModeled(ClauseId.PmtuLearnedFromSelf, why);
            return Stop.Unmodeled(ClauseId.PmtuLearnedFromSelf, why);
        }
        RouteResult rt;
        int mtu;
        if (cork.Queue.Count == 0)
        {
            // spec: udp_sendmsg.probe_more_pending — a datagram left pending by MSG_PROBE|MSG_MORE has no route.
            if (route is null)
                return Stop.Fault(ClauseId.ProbeMorePending,
                    "ip_append_data sets up the cork with the route that a pending MSG_PROBE|MSG_MORE send never looked up: a NULL dereference (CVE-2009-2698)");
            // spec: ip_append_data.cork_init
            rt = route;
            mtu = model.Pmtu(sock).FragmentMtu(model.Mtus(route));
            cork.Init(route, ipc.Options, ipc.Addr, mtu, ipc.GsoSize);
            // A group's route is local (RTCF_LOCAL, output ip_mc_output) when the host has joined the group on its
            // device as the route is made: a join after that leaves the corked datagram's route as it was.
            cork.GroupJoinedAtRoute = route.Type == RouteType.Multicast && model.Joined(route.Destination, route.Device.Index);
            call.Pass(ClauseId.CorkInit);
            // udp_gso.cork_size: the segment size is the one this first piece came with.
            if (ipc.GsoSize != 0) call.Pass(ClauseId.GsoCorkSize);
        }
        else
        {
            rt = cork.Route!;
            transhdrlen = 0;
            mtu = cork.FragSize;
        }

        if (cork.GsoSize != 0)
        {
            // udp_gso.length: a datagram to be segmented is laid out for IP_MAX_MTU (one buffer, no fragments), so its
            // bound is 65535 whatever the discovery mode; udp_send_skb checks the segments against the MTU.
            mtu = IpMaxMtu;
            call.Pass(ClauseId.GsoLength);
        }

        // spec: ip_append_data.fraglen
        var optionsLength = cork.Options?.Length ?? 0;
        var fragheaderlen = IpHeaderLength + optionsLength;
        var maxfraglen = ((mtu - fragheaderlen) & ~7) + fragheaderlen;
        call.Pass(ClauseId.FragLen);

        // spec: ip_append_data.emsgsize_total
        var bound = model.Pmtu(sock).AppendBound(mtu);
        if ((long)cork.Length + length > bound - fragheaderlen)
        {
            if (sock.RecvErr)
            {
                var entry = new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Local,
                    profile.LocalErrorInfoLessOptions ? mtu - optionsLength : mtu, profile.SharedCorkFlow ? cork.FlowDestination : rt.Destination, sock.PeerPort);
                call.QueueError(entry);
            }
            return Stop.Fail(Errno.EMSGSIZE, ClauseId.EmsgsizeTotal);
        }
        call.Pass(ClauseId.EmsgsizeTotal);

        // spec: ip_append_data.hw_checksum
        var hardwareChecksum = transhdrlen > 0 && length + fragheaderlen <= mtu && rt.Device.ChecksumOffload &&
                               !(profile.HardwareChecksumOnlyUncorked && flags.HasFlag(MsgFlags.More));
        if (hardwareChecksum) call.Pass(ClauseId.HwChecksum);
        cork.Grow(length);

        var data = new UserData(iov);
        long offset = 0;

        // spec: ip_append_data.ufo
        if (length > mtu && rt.Device.UdpFragmentationOffload && profile.SupportsUfo)
        {
            var count = length - transhdrlen;
            if (!data.IsReadable(0, count)) return Unwind(call, profile, cork, length, Errno.EFAULT, ClauseId.AppendEfault);
            var skb = cork.Queue.LastOrDefault();
            // A datagram over the MTU appended behind a buffer the normal path made (a short piece with MSG_MORE, then a
            // long one): ip_ufo_append_data adds to that buffer without setting it up for UFO, the memory corruption
            // fixed in 3.12 as CVE-2013-4470 ("do skb ufo init for peeked non ufo skb as well"). Not modeled.
            if (skb is { Ufo: false })
                return Stop.Unmodeled(ClauseId.Ufo, "a datagram over the MTU appended by UFO behind a buffer of the normal path (CVE-2013-4470) is not modeled");
            if (skb is null)
            {
                skb = new Skb { Length = fragheaderlen + transhdrlen, HardwareChecksum = true, Ufo = true, TrueSize = TrueSize(profile, fragheaderlen + transhdrlen + 20) };
                cork.Enqueue(skb);
            }
            skb.Length += count;
            skb.TrueSize += count;
            Copy(call, cork, data, 0, count);
            call.Pass(ClauseId.Ufo);
            return default(Nothing);
        }

        // spec: ip_append_data.fragment_layout
        var current = cork.Queue.LastOrDefault();
        // The other order, a piece the normal path appends behind a UFO buffer (a datagram over the MTU sent with
        // MSG_MORE, then a shorter one): 2.6 finds copy = maxfraglen - skb->len below 0 and takes fraggap, the UFO
        // buffer's length past maxfraglen, out of its page fragments into a new buffer (L882-885), where the notes give
        // up; later kernels hand such a piece to UFO too (for IPv6, CVE-2013-4387). Not modeled either.
        if (current is { Ufo: true })
            return Stop.Unmodeled(ClauseId.Ufo, "a piece appended by the normal path behind a UFO buffer is not modeled");
        while (length > 0)
        {
            var copy = current is null ? 0 : mtu - current.Length;
            if (current is not null && copy < length) copy = maxfraglen - current.Length;
            if (current is null || copy <= 0)
            {
                var previous = current;
                var fraggap = previous is null ? 0 : previous.Length - maxfraglen;
                var datalen = length + fraggap;
                if (datalen > mtu - fragheaderlen) datalen = maxfraglen - fragheaderlen;
                var fraglen = datalen + fragheaderlen;
                var alloclen = flags.HasFlag(MsgFlags.More) && !rt.Device.ScatterGather ? mtu : fraglen;

                // spec: ip_append_data.sndbuf
                call.Pass(ClauseId.Sndbuf);
                var memory = cork.WriteMemory;
                if (transhdrlen > 0)
                {
                    // sock_alloc_send_skb reports the socket's error first, and clears it.
                    if (sock.Error is { } pending)
                    {
                        sock.Error = null;
                        return Unwind(call, profile, cork, length, pending, ClauseId.SocketError);
                    }
                    // spec: sock_alloc_send_pskb.send_shutdown — only here, at a datagram's first buffer: appends to a
                    // pending datagram take their buffers elsewhere and succeed.
                    if ((sock.Shutdown & InetSock.SendShutdown) != 0) return Unwind(call, profile, cork, length, Errno.EPIPE, ClauseId.SendShutdown);
                    if (memory >= sock.SendBuffer)
                    {
                        if (!flags.HasFlag(MsgFlags.DontWait) && !sock.SendTimeout.Forever)
                            return Stop.Unmodeled(ClauseId.Sndbuf, "a send that waits for send-buffer space under SO_SNDTIMEO is not modeled");
                        if (!flags.HasFlag(MsgFlags.DontWait))
                            return Stop.Blocks(ClauseId.Sndbuf, "the first buffer waits for send-buffer space that nothing frees");
                        return Unwind(call, profile, cork, length, Errno.EAGAIN, ClauseId.Sndbuf);
                    }
                }
                // not a limit: twice the send buffer is sock_wmalloc's factor; the send buffer's own limits are SO_SNDBUF's
                else if (memory + (profile.SlabTruesize ? 1 : 0) > 2 * sock.SendBuffer)
                {
                    return Unwind(call, profile, cork, length, Errno.ENOBUFS, ClauseId.Sndbuf);
                }

                var fresh = new Skb { Length = fraglen, HardwareChecksum = hardwareChecksum, TrueSize = TrueSize(profile, alloclen) };
                if (fraggap > 0) previous!.Length = maxfraglen;
                var copied = datalen - transhdrlen - fraggap;
                // spec: ip_append_data.efault
                if (copied > 0 && !data.IsReadable(offset, copied)) return Unwind(call, profile, cork, length, Errno.EFAULT, ClauseId.AppendEfault);
                if (copied > 0) Copy(call, cork, data, offset, copied);
                offset += Math.Max(copied, 0);
                length -= datalen - fraggap;
                transhdrlen = 0;
                hardwareChecksum = false;
                cork.Enqueue(fresh);
                current = fresh;
                continue;
            }

            if (copy > length) copy = length;
            if (rt.Device.ScatterGather)
            {
                // Data beyond the linear part goes into page fragments; a page shared with the buffer before takes
                // a fragment slot of its own.
                var left = PageSize - cork.PageOffset;
                if (cork.CurrentPage >= 0 && left > 0)
                {
                    copy = Math.Min(copy, left);
                    if (current.LastPage != cork.CurrentPage)
                    {
                        // spec: ip_append_data.max_frags
                        if (current.PageFragments == MaxSkbFrags) return Unwind(call, profile, cork, length, Errno.EMSGSIZE, ClauseId.MaxFrags);
                        current.PageFragments++;
                        current.LastPage = cork.CurrentPage;
                    }
                }
                else if (current.PageFragments < MaxSkbFrags)
                {
                    copy = Math.Min(copy, PageSize);
                    cork.NewPage();
                    current.PageFragments++;
                    current.LastPage = cork.CurrentPage;
                    if (!profile.PageFragmentChargesCopy) current.TrueSize += PageSize;
                }
                else
                {
                    return Unwind(call, profile, cork, length, Errno.EMSGSIZE, ClauseId.MaxFrags);
                }
                if (!data.IsReadable(offset, copy)) return Unwind(call, profile, cork, length, Errno.EFAULT, ClauseId.AppendEfault);
                // Current kernels charge the bytes copied into the page fragment (wmem_alloc_delta += copy), 2.6 a
                // whole page when it takes a new one.
                if (profile.PageFragmentChargesCopy) current.TrueSize += copy;
                cork.FillPage(copy);
            }
            else if (!data.IsReadable(offset, copy))
            {
                return Unwind(call, profile, cork, length, Errno.EFAULT, ClauseId.AppendEfault);
            }
            Copy(call, cork, data, offset, copy);
            current.Length += copy;
            offset += copy;
            length -= copy;
        }
        call.Pass(ClauseId.FragmentLayout);
        return default(Nothing);
    }

    /// <summary>Copies user data into the cork, summing it as it goes (ip_generic_getfrag).</summary>
    private static void Copy(Call call, Cork cork, UserData data, long offset, int count)
    {
        var bytes = data.Copy(offset, count);
        // spec: ip_generic_getfrag.checksum — piece by piece, odd lengths included.
        cork.AddData(bytes);
        call.Pass(ClauseId.GetfragChecksum);
    }

    /// <summary>spec: ip_append_data.error_unwind — the failed append's remaining length comes off the cork and an
    /// OutDiscard is counted.</summary>
    private static Stop Unwind(Call call, Profile profile, Cork cork, int remaining, Errno errno, string clause,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        var stop = Stop.Fail(errno, clause, file, line, member);
        cork.Unwind(remaining);
        // Current kernels: udp_sendmsg counts a SndbufError for ENOBUFS, and for EAGAIN from a full send buffer
        // (SOCK_NOSPACE), on top of ip_append_data's OutDiscard.
        var sndbufError = profile.CountsSndbufErrors && (errno == Errno.ENOBUFS || (errno == Errno.EAGAIN && clause == ClauseId.Sndbuf));
        call.Count(new CounterDelta(0, 1, sndbufError ? 1 : 0, 0));
        call.Pass(ClauseId.ErrorUnwind);
        return stop;
    }

    private static int TrueSize(Profile profile, int alloclen)
    {
        var head = (alloclen + LinkReserve + 15 + 63) & ~63;
        if (!profile.SlabTruesize) return head + profile.SkbOverhead;
        // __alloc_skb: the head and skb_shared_info (320) come from the small-head cache (576) or the next kmalloc size
        // (a power of two), and struct sk_buff (256) is added. Measured on 6.18.44 through SO_MEMINFO.
        var size = head + SharedInfo;
        size = size <= profile.SmallHeadCache ? profile.SmallHeadCache : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size);
        return size + SkbStruct;
    }

    private const int SharedInfo = 320, SkbStruct = 256;
}
