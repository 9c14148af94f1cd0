using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Socket;

namespace Udpconf.Reference.Ip;

/// <summary>What the IP push gave: an error or none, the deciding clause, whether a datagram left, and why the model
/// cannot say what left when it cannot.</summary>
public readonly record struct IpPushResult(Errno? Error, string Clause, bool Sent, string? Unmodeled = null);

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
    /// come from the route. A datagram larger than the MTU leaves as the fragments ip_append_data laid out.
    /// Variation: current kernels also set DF under IP_PMTUDISC_PROBE, take TTL and TOS from control messages, and
    /// count a queue drop as an OutDiscard (and a SndbufError) even when the send reports success.
    /// Model details: broadcast and multicast copies looped back to the host are not modeled.
    /// </summary>
    public static IpPushResult Push(Model model, Call call, Sock sock, ushort udpLength, UdpChecksumMode checksumMode)
    {
        var profile = model.Profile;
        var cork = sock.Cork;
        var route = cork.Route!;
        var options = cork.Options;

        // spec: ip_push.coalesce
        var fragheaderlen = IpHeaderLength + (options?.Length ?? 0);
        var transportLength = 8 + cork.Data.Count;
        var total = fragheaderlen + transportLength;
        call.Pass(ClauseId.Coalesce);

        // spec: ip_push.local_fragment, ip_push.df
        var mode = sock.PmtuMode;
        var ignoresDf = profile.StrictPmtuAtAppend
            ? mode < SocketOption.PmtuDo || mode == SocketOption.PmtuOmit
            : mode != SocketOption.PmtuDo;
        var wantsDf = mode == SocketOption.PmtuDo || (mode == SocketOption.PmtuWant && !route.MtuLocked);
        var dontFragment = mode == SocketOption.PmtuDo
                           || (profile.StrictPmtuAtAppend && mode == SocketOption.PmtuProbe)
                           || (total <= route.Mtu && wantsDf);
        call.Pass(ClauseId.Df);

        // spec: ip_push.ttl
        var ttl = (byte)(cork.Ttl
                         ?? (route.Type == RouteType.Multicast ? sock.MulticastTtl
                             : sock.UnicastTtl >= 0 ? sock.UnicastTtl
                             : route.HopLimit ?? model.Host.DefaultTtl));
        call.Pass(ClauseId.Ttl);

        // spec: ip_push.options
        byte[] first = [], later = [];
        if (options is not null)
        {
            first = options.Build(cork.Address, route.Source);
            later = IpOptions.ForLaterFragments(first);
            call.Pass(ClauseId.IpOptions);
            if (options.NeedsTimestamp)
                return new IpPushResult(null, ClauseId.IpOptions, false, "a timestamp option is filled with the current time");
        }

        // spec: ip_push.header, ip_push.header_checksum (computed when the bytes are rendered)
        var ident = IpSelectIdent.Select(model, sock, route, dontFragment, ignoresDf);
        var tos = (byte)(cork.Tos ?? sock.Tos);
        call.Pass(ClauseId.IpHeader);
        call.Pass(ClauseId.HeaderChecksum);

        // spec: ip_push.netfilter — LOCAL_OUT sees the whole datagram, before any fragmentation.
        var dropped = model.Host.OutputDrops.Any(rule =>
            route.Destination.InPrefix(rule.Destination, rule.PrefixLength) &&
            (rule.DestinationPort is null || rule.DestinationPort == cork.FlowDestinationPort));
        call.Pass(ClauseId.Netfilter);
        if (dropped) return Fail(call, Errno.EPERM, ClauseId.Netfilter);

        IReadOnlyList<int> payloads = [transportLength];
        int? gsoSize = null;
        if (cork.Queue.Count == 1 && cork.Queue[0].Ufo)
        {
            // spec: ip_append_data.ufo — ip_ufo_append_data is given the MTU itself (L852-854), not maxfraglen, and
            // hands the device fragments of MTU less the header: not necessarily a multiple of 8.
            gsoSize = cork.FragSize - fragheaderlen;
        }
        else if (total > cork.FragSize)
        {
            // The datagram is fragmented against the MTU ip_append_data laid it out for: the path MTU (2.6, and
            // current kernels below IP_PMTUDISC_PROBE), the device MTU for PROBE and later modes (ip_skb_dst_mtu).
            // spec: ip_push.local_fragment — under IP_PMTUDISC_DO the datagram may not be fragmented here.
            call.Pass(ClauseId.LocalFragment);
            if (dontFragment && !ignoresDf)
            {
                return Fail(call, Errno.EMSGSIZE, ClauseId.LocalFragment);
            }
            payloads = cork.Queue.Select((skb, i) => skb.Length - fragheaderlen).ToArray();
        }

        if (route.Device.QueueFull && !route.Device.IsLoopback)
        {
            // A positive device status (NET_XMIT_DROP): an error only with IP_RECVERR.
            if (profile.QueueDropAlwaysDiscards)
            {
                call.Count(new CounterDelta(0, 1, 1, 0));
                call.Pass(ClauseId.OutDiscards);
                return sock.RecvErr ? new IpPushResult(Errno.ENOBUFS, ClauseId.Netfilter, false) : new IpPushResult(null, ClauseId.Netfilter, false);
            }
            return sock.RecvErr ? Fail(call, Errno.ENOBUFS, ClauseId.Netfilter) : new IpPushResult(null, ClauseId.Netfilter, false);
        }

        call.Emit(new Datagram(
            route.Device.Name, route.Source, route.Destination, tos, ttl, dontFragment, ident, first, later,
            cork.FlowSourcePort, cork.FlowDestinationPort, udpLength, checksumMode, cork.Data.ToArray(), payloads, gsoSize)
        {
            PseudoSource = cork.FlowSource,
            PseudoDestination = cork.FlowDestination,
            DataSum = cork.DataSum.Sum,
        });
        return new IpPushResult(null, ClauseId.IpHeader, true);
    }

    // spec: ip_push.outdiscards
    private static IpPushResult Fail(Call call, Errno errno, string clause)
    {
        call.Count(new CounterDelta(0, 1, 0, 0));
        call.Pass(ClauseId.OutDiscards);
        return new IpPushResult(errno, clause, false);
    }
}
