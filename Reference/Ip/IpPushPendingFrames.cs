using System.Runtime.CompilerServices;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Ip;

/// <summary>ip_push_pending_frames: the queued buffers become one IP datagram, get their header and leave.</summary>
public static class IpPushPendingFrames
{
    private const int IpHeaderLength = 20;

    /// <summary>
    /// Outcome: sent; EPERM when an output netfilter rule drops it; ENOBUFS for a full device queue, only under
    /// IP_RECVERR (otherwise the drop is silent); in 2.6, EMSGSIZE for a datagram above the MTU under
    /// IP_PMTUDISC_DO, which may not be fragmented. Every failure counts an OutDiscard.
    /// Description: DF is set under IP_PMTUDISC_DO, or when the datagram fits the route MTU and discovery wants DF
    /// (WANT on a route whose MTU is not locked). TTL: the multicast TTL for multicast routes, else IP_TTL, else
    /// the route's hop limit, else the host default. TOS is the socket's; options lengthen the header; addresses
    /// come from the route. The MTUs are those of the route and device now: a datagram that fits leaves whole, one
    /// larger leaves as the fragments ip_append_data laid out when they fit, else cut again at the MTU.
    /// Variation: current kernels also set DF under IP_PMTUDISC_PROBE, take TTL and TOS from control messages, and
    /// count a queue drop as an OutDiscard (and a SndbufError) even when the send reports success.
    /// Model details: broadcast and multicast copies looped back to the host are not modeled.
    /// </summary>
    /// <returns>Whether a datagram left (a full device queue drops it silently without IP_RECVERR).</returns>
    public static Step<bool> Push(Net model, Call call, InetSock sock, ushort udpLength, UdpChecksumMode checksumMode)
    {
        var profile = model.Profile;
        var cork = sock.Cork;
        var route = cork.Route!;
        var options = cork.Options;
        if (model.UnmodeledPath(route.Destination) is { } why)
        {
            sock.Unmodeled = new NotModeled(ClauseId.PmtuLearnedFromSelf, why);
            return Stop.Unmodeled(ClauseId.PmtuLearnedFromSelf, why);
        }

        // spec: ip_push.coalesce
        var fragheaderlen = IpHeaderLength + (options?.Length ?? 0);
        var transportLength = 8 + cork.Data.Count;
        var total = fragheaderlen + transportLength;
        call.Pass(ClauseId.Coalesce);

        // The MTUs now, which may differ from those the datagram was laid out for when the host changed meanwhile:
        // the route's (dst_mtu: its MTU metric, else the device's) decides DF; the one ip_skb_dst_mtu gives (the
        // device's for IP_PMTUDISC_PROBE and later modes in current kernels) decides fragmentation on output.
        var pmtu = model.Pmtu(sock);
        var mtus = model.Mtus(route);
        var outputMtu = Net.OutputMtu(pmtu.FragmentMtu(mtus));

        // spec: ip_push.local_fragment, ip_push.df
        var ignoresDf = pmtu.IgnoresDf;
        var dontFragment = pmtu.DontFragment(total, mtus.Path, route.MtuLocked);
        call.Pass(ClauseId.Df);

        // spec: ip_push.ttl
        var ttl = (byte)(cork.Ttl
                         ?? (route.Type == RouteType.Multicast ? sock.MulticastTtl
                             : sock.UnicastTtl >= 0 ? sock.UnicastTtl
                             : route.HopLimit ?? model.Host.DefaultTtl));
        call.Pass(ClauseId.Ttl);

        // The header's addresses: the route's in 2.6; the cork's flow now (the same, unless a connect rewrote it).
        var (source, destination) = profile.SharedCorkFlow ? (cork.FlowSource, cork.FlowDestination) : (route.Source, route.Destination);

        // spec: ip_push.options — record route writes the header's source (ip_rt_get_source reads ip_hdr(skb)->saddr
        // on an output route): 127.0.0.1 when a connect to lo redirected a pending datagram routed elsewhere (found by
        // the differential machine, seed 1).
        byte[] first = [], later = [];
        if (options is not null)
        {
            first = options.Build(cork.Address, source);
            later = IpOptions.ForLaterFragments(first);
            call.Pass(ClauseId.IpOptions);
            if (options.NeedsTimestamp)
                return Stop.Unmodeled(ClauseId.IpOptions, "a timestamp option is filled with the current time");
        }

        // spec: ip_push.header, ip_push.header_checksum (computed when the bytes are rendered)
        var ident = IpSelectIdent.Select(model, sock, route, dontFragment, ignoresDf);
        var tos = (byte)(cork.Tos ?? sock.Tos);
        call.Pass(ClauseId.IpHeader);
        call.Pass(ClauseId.HeaderChecksum);

        // spec: ip_push.netfilter — LOCAL_OUT sees the whole datagram, before any fragmentation.
        var dropped = model.Host.OutputDrops.Any(rule =>
            destination.InPrefix(rule.Destination, rule.PrefixLength) &&
            (rule.DestinationPort is null || rule.DestinationPort == cork.FlowDestinationPort));
        call.Pass(ClauseId.Netfilter);
        if (dropped) return Fail(call, Errno.EPERM, ClauseId.Netfilter);

        if (profile.MulticastMembership && ttl == 0 && route.Type == RouteType.Multicast)
        {
            // spec: multicast.ttl_zero — the route to a group this host joined on the device is local, its output
            // ip_mc_output, which loops a copy back (not modeled) and drops a TTL-0 datagram before the device and
            // before any fragmentation: the send succeeds and nothing leaves. Not joined: it leaves with TTL 0. The
            // cork's route decides, not the header: a connect that rewrote the pending datagram's destination to a
            // unicast address leaves it on the group's route, dropped (found by the differential machine, seed 8).
            // The membership counts as it was when the datagram's route was made (__mkroute_output sets RTCF_LOCAL): a
            // group joined while the datagram was corked does not drop it (found by the differential machine, seed 2,
            // case multicast/ttl_zero_joined_while_corked_linux).
            call.Pass(ClauseId.MulticastTtlZero);
            if (cork.GroupJoinedAtRoute) return true;
        }

        IReadOnlyList<int> payloads = [transportLength];
        int? gsoSize = null;
        int? segmentSize = null;
        int? segmentRoom = null;
        if (cork.GsoSize != 0 && cork.Data.Count > cork.GsoSize)
        {
            // spec: udp_gso.segments — the datagram goes down whole and is segmented on output (ip_finish_output_gso).
            segmentSize = cork.GsoSize;
            call.Pass(ClauseId.GsoSegments);
            if (fragheaderlen + 8 + cork.GsoSize > outputMtu)
            {
                // The output MTU fell since the datagram was corked: ip_finish_output_gso fragments each segment
                // (found by the differential machine on the live kernel). A segment that may not be fragmented would be
                // answered with an ICMP to this host, per segment: not modeled.
                if (dontFragment && !ignoresDf)
                    return Stop.Unmodeled(ClauseId.GsoSegments, $"segments of {cork.GsoSize} bytes with DF over an output MTU of {outputMtu}, lowered since the datagram was corked");
                call.Pass(ClauseId.LocalFragment);
                segmentRoom = outputMtu - fragheaderlen;
                payloads = Datagram.Cut(8 + cork.GsoSize, segmentRoom.Value);
            }
        }
        else if (cork.GsoSize != 0 && total <= outputMtu)
        {
            // spec: udp_gso.single
            call.Pass(ClauseId.GsoSingle);
        }
        else if (cork.Queue.Count == 1 && cork.Queue[0].Ufo)
        {
            // spec: ip_append_data.ufo — ip_ufo_append_data is given the MTU itself (L852-854), not maxfraglen, and
            // hands the device fragments of MTU less the header: not necessarily a multiple of 8.
            gsoSize = cork.FragSize - fragheaderlen;
        }
        else if (total > outputMtu)
        {
            // spec: ip_push.local_fragment — under IP_PMTUDISC_DO the datagram may not be fragmented here.
            call.Pass(ClauseId.LocalFragment);
            if (dontFragment && !ignoresDf)
            {
                // udp_err also teaches the route the MTU of the ICMP (ipv4_sk_update_pmtu), unless its MTU is locked.
                var boundElsewhere = profile.DeviceBinding && sock.BoundDevice != 0 && model.Host.InterfaceByIndex(sock.BoundDevice) is not { IsLoopback: true };
                if (FragmentationNeededToSelf(call, sock, route, outputMtu, destination, cork.FlowDestinationPort, boundElsewhere) && !route.MtuLocked)
                    model.LearnPmtu(route.Destination);
                return Fail(call, Errno.EMSGSIZE, ClauseId.LocalFragment);
            }
            // The buffers ip_append_data laid out become the fragments when they fit the output MTU (the MTU did not
            // shrink since); otherwise the datagram is cut again into pieces of that MTU, 8-byte aligned.
            payloads = cork.Queue.All(skb => skb.Length <= outputMtu)
                ? cork.Queue.Select(skb => skb.Length - fragheaderlen).ToArray()
                : Datagram.Cut(transportLength, outputMtu - fragheaderlen);
        }

        if (route.Device.QueueFull && !route.Device.IsLoopback)
        {
            // A positive device status (NET_XMIT_DROP): an error only with IP_RECVERR.
            if (profile.QueueDropAlwaysDiscards)
            {
                call.Count(new CounterDelta(0, 1, 1, 0));
                call.Pass(ClauseId.OutDiscards);
                return sock.RecvErr ? Stop.Fail(Errno.ENOBUFS, ClauseId.Netfilter) : false;
            }
            return sock.RecvErr ? Fail(call, Errno.ENOBUFS, ClauseId.Netfilter) : false;
        }

        var sourcePort = profile.PushUsesSocketPort ? sock.LocalPort ?? PortValue.Of(0) : cork.FlowSourcePort;
        call.Emit(new Datagram(
            route.Device.Name, source, destination, tos, ttl, dontFragment, ident, first, later,
            sourcePort, cork.FlowDestinationPort, udpLength, checksumMode, cork.Data.ToArray(), payloads, gsoSize, segmentSize)
        {
            FragmentRoom = segmentRoom,
            PseudoSource = cork.FlowSource,
            PseudoDestination = cork.FlowDestination,
            DataSum = cork.DataSum,
        });

        // A datagram to this host comes back through lo: delivered to a socket bound to its port, or answered with an
        // ICMP port unreachable that udp_err gives the sender.
        if ((route.Type == RouteType.Local || route.Device.IsLoopback) && profile.LocalDelivery && options is { HasSourceRoute: true })
        {
            // spec: local_delivery.listener — one carrying a source route is dropped as lo hands it back (ip_rcv_options:
            // accept_source_route is off by default), neither delivered nor answered (found by the differential
            // machine, seed 1, case local_delivery/source_route_linux).
            call.Pass(ClauseId.LocalListener);
            return true;
        }
        if ((route.Type == RouteType.Local || route.Device.IsLoopback) &&
            LocalDelivery.Deliver(model, call, sock, route, source, sourcePort, destination, cork.FlowDestinationPort,
                segmentSize is null && payloads.Count == 1) is { } unmodeled)
            return unmodeled;
        return true;
    }

    /// <summary>
    /// ip_fragment answers the datagram with an ICMP "fragmentation needed" (the MTU in it) to its source: this host,
    /// through lo, at once. udp_err finds the sending socket: under IP_RECVERR it queues the error (origin ICMP, the
    /// datagram's destination and port) and sets sk_err; otherwise only a connected socket gets sk_err, and its next
    /// send's first buffer fails with EMSGSIZE (found by the differential machine on the live kernel). An outcome's
    /// error-queue entries are read from the queue (Outcome.ErrorQueue), and reading an ICMP entry clears sk_err
    /// (sock_dequeue_err_skb): under IP_RECVERR nothing is left pending. No ICMP error is sent about a broadcast or
    /// multicast datagram (RFC 1122 3.2.2), and udp_err finds a connected socket only when the datagram went to its
    /// peer (both found by the differential machine). True when the socket received the error.
    /// </summary>
    private static bool FragmentationNeededToSelf(Call call, InetSock sock, RouteResult route, int mtu, Ipv4Address destination, ushort port, bool boundElsewhere)
    {
        call.Pass(ClauseId.FragNeededToSelf);
        if (route.Type is RouteType.Broadcast or RouteType.Multicast) return false;
        // The ICMP arrives through lo: udp_err's lookup (udp_sk_bound_dev_eq) skips a socket bound to another device,
        // which so never hears of it (found by the differential machine on the live kernel).
        if (boundElsewhere) return false;
        if (sock.Connected && (sock.PeerAddress != destination || sock.PeerPort != port)) return false;
        if (sock.RecvErr)
        {
            var entry = new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Icmp, mtu, destination, port);
            call.QueueError(entry);
            // sk_err too, until the entry is read at the end of the operation (Model.Run).
            sock.Error = Errno.EMSGSIZE;
            return true;
        }
        if (sock.Connected) sock.Error = Errno.EMSGSIZE;
        return true;
    }

    // spec: ip_push.outdiscards
    private static Stop Fail(Call call, Errno errno, string clause, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        var stop = Stop.Fail(errno, clause, file, line, member);
        call.Count(new CounterDelta(0, 1, 0, 0));
        call.Pass(ClauseId.OutDiscards);
        return stop;
    }
}
