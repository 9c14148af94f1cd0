using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Ip;

namespace Udpconf.Reference.Udp;

/// <summary>udp_sendmsg: UDP's send, from the checks of the call to a datagram appended, pushed or left corked.</summary>
public static class UdpSendMsg
{
    private const int UdpHeaderLength = 8;

    /// <summary>
    /// Outcome: the user's length, or the first guard that fails, in this order: length above 65535 (EMSGSIZE),
    /// MSG_OOB (EOPNOTSUPP), pending data of another family (EINVAL), address shorter than sockaddr_in (EINVAL),
    /// family neither AF_INET nor AF_UNSPEC (EAFNOSUPPORT), port 0 (EINVAL), no address and not connected
    /// (EDESTADDRREQ), a bad control message, a source route to 0 (EINVAL), the route lookup's error, a broadcast
    /// route without SO_BROADCAST (EACCES), then ip_append_data's errors and the push's.
    /// Description: while a corked datagram is pending, a send only appends: its address, control messages and
    /// route are never looked at.
    /// Variation: see <see cref="Profile"/>: counting of OutDatagrams, the CVE-2009-2698 crash, the UDP length
    /// taken from the cork's counter.
    /// </summary>
    public static Outcome Send(Net model, Call call, UdpSock sock, KernelMsg msg)
    {
        var profile = model.Profile;
        var flags = msg.Flags;
        var len = msg.Length;

        // spec: udp_sendmsg.len_over_0xffff — first of all, before the cork is even looked at.
        // limit: udp_sendmsg length
        if (len > 0xFFFF) return call.Fail(Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
        call.Pass(ClauseId.LenOver0xFFFF);
        // spec: udp_sendmsg.oob
        if (flags.HasFlag(MsgFlags.Oob)) return call.Fail(Errno.EOPNOTSUPP, ClauseId.Oob);
        // spec: udp_sendmsg.corkreq
        var corkreq = sock.CorkFlag || flags.HasFlag(MsgFlags.More);
        if (corkreq) call.Pass(ClauseId.CorkReq);

        // Appending to a pending datagram, and a corked send once routed, run under the socket lock; its release may
        // look an obsolete cached route up again (Net.ReleaseSocket), after the answer is decided. (SockLock's work,
        // without its object: one a send; issue 17.)
        var locked = false;
        try
        {
            return Append(model, call, sock, msg, len, flags, corkreq, ref locked);
        }
        finally
        {
            if (locked) model.ReleaseSocket(sock);
        }
    }

    private static Outcome Append(Net model, Call call, UdpSock sock, KernelMsg msg, long len, MsgFlags flags, bool corkreq, ref bool locked)
    {
        var profile = model.Profile;
        var ipc = new IpcCookie();
        RouteResult? route = null;
        var ulen = (int)len;
        var appendsToPending = sock.Pending != 0;
        if (sock.Pending != 0)
        {
            locked = true;
            // spec: udp_sendmsg.pending_family
            if (sock.Pending != AddressFamily.Inet) return call.Fail(Errno.EINVAL, ClauseId.PendingFamily);
            // spec: udp_sendmsg.pending_append — address, control messages and routing are skipped.
            call.Pass(ClauseId.PendingAppend);
        }
        else
        {
            // spec: udp_sendmsg.header_len
            ulen += UdpHeaderLength;
            call.Pass(ClauseId.HeaderLen);
            var prepared = Prepare(model, call, sock, msg, ref ipc, len, corkreq);
            if (prepared.Stop is { } stop) return call.Finish(stop);
            route = prepared.Value;
            if (corkreq) locked = true;
        }

        // spec: udp_sendmsg.length_accumulates
        sock.AddLength(ulen);
        call.Pass(ClauseId.LengthAccumulates);
        var zerocopy = MsgZerocopy.Requested(profile, call, sock, flags, ulen);
        var buffersBefore = sock.Cork.Queue.Count;
        var appended = IpAppendData.Append(model, call, sock, msg.Iov, ulen, UdpHeaderLength, ipc, route,
            corkreq ? flags | MsgFlags.More : flags);
        if (appended.Stop is { IsError: true } error)
        {
            // spec: udp_sendmsg.append_error_flush — every pending piece goes, not just this call's; this call's
            // MSG_ZEROCOPY id was given back, the pending datagram's range completes as its buffers are freed.
            var pendingRange = sock.Cork.Zerocopy;
            UdpPushPendingFrames.Flush(sock);
            call.Pass(ClauseId.AppendErrorFlush);
            if (MsgZerocopy.Complete(call, pendingRange, call.ErrorCount, transmitted: false) is { } unknown) return call.Finish(unknown);
            return call.Finish(error);
        }
        if (zerocopy && appended.Stop is null) MsgZerocopy.Take(call, sock, appendsToPending, buffersBefore);
        // A kernel fault, a send that blocks, a path the model does not follow: the call ends there.
        if (appended.Stop is { } ended) return call.Finish(ended);
        var decidedBy = ClauseId.UdpResult;
        if (!corkreq)
        {
            // spec: udp_sendmsg.push_uncorked
            call.Pass(ClauseId.PushUncorked);
            if (PushPending(model, call, sock).Stop is { } stop) return call.Finish(stop);
        }
        else if (!profile.ProbeMoreLeavesPending)
        {
            sock.ForgetEmptyPending();
        }
        // spec: udp_sendmsg.result
        if (profile.OutDatagramsPerCall) call.Count(new CounterDelta(1, 0, 0, 0));
        return call.Return(len, decidedBy);
    }

    /// <summary>udp_push_pending_frames, and then, in current kernels, the confirmation a MSG_CONFIRM on the
    /// datagram's first piece asked for, given only if the datagram left (2.6 confirmed when the flag was seen).</summary>
    internal static Step<Nothing> PushPending(Net model, Call call, UdpSock sock)
    {
        var confirmOnSend = sock.Cork.ConfirmOnSend;
        var sentBefore = call.Datagrams.Count;
        var pushed = UdpPushPendingFrames.Push(model, call, sock);
        // spec: udp_sendmsg.confirm (current kernels: neigh_confirm as the packet goes out, ip_finish_output2)
        if (confirmOnSend is { } neighbour && call.Datagrams.Count > sentBefore) call.Confirm(neighbour);
        return pushed;
    }

    /// <summary>The part of udp_sendmsg that runs only for the first piece of a datagram: address, control
    /// messages, options, routing, confirmation and the cork's set-up.</summary>
    private static Step<RouteResult> Prepare(Net model, Call call, UdpSock sock, KernelMsg msg, ref IpcCookie ipc, long len, bool corkreq)
    {
        var profile = model.Profile;
        var flags = msg.Flags;
        Ipv4Address daddr;
        ushort dport;
        var connected = false;
        if (msg.Name is not null)
        {
            // spec: udp_sendmsg.addr_short
            if (msg.NameLength < SockAddr.InLength) return Stop.Fail(Errno.EINVAL, ClauseId.AddrShort);
            var family = SockAddr.Family(msg.Name);
            // spec: udp_sendmsg.addr_family — AF_UNSPEC is taken as AF_INET.
            if (family != AddressFamily.Inet && family != AddressFamily.Unspec) return Stop.Fail(Errno.EAFNOSUPPORT, ClauseId.AddrFamily);
            call.Pass(ClauseId.AddrFamily);
            daddr = SockAddr.Address(msg.Name);
            dport = SockAddr.Port(msg.Name);
            // spec: udp_sendmsg.dport_zero — a destination address of 0 is allowed.
            if (dport == 0) return Stop.Fail(Errno.EINVAL, ClauseId.DportZero);
        }
        else
        {
            // spec: udp_sendmsg.no_dest
            if (!sock.Connected) return Stop.Fail(Errno.EDESTADDRREQ, ClauseId.NoDest);
            // spec: udp_sendmsg.connected_dest
            daddr = sock.PeerAddress;
            dport = sock.PeerPort;
            connected = true;
            call.Pass(ClauseId.ConnectedDest);
        }

        // spec: udp_sendmsg.bound_source
        ipc.Addr = sock.SourceAddress;
        call.Pass(ClauseId.BoundSource);
        // ipcm_init_sk: the bound device is the output device unless a message names another (bind_device.route,
        // bind_device.pktinfo).
        var bound = profile.DeviceBinding ? sock.BoundDevice : 0;
        ipc.OutputInterface = bound;

        // ipc.gso_size: the socket's UDP_SEGMENT, which a UDP_SEGMENT message replaces for this send.
        var segmentSize = sock.GsoSize;
        if (msg.ControlLength != 0)
        {
            // spec: udp_sendmsg.cmsg
            var needIp = true;
            if (model.Profile.CmsgUdpLevel)
            {
                var udp = UdpCmsgSend.Parse(msg.Control, msg.ControlLength);
                if (udp.Stop is { } udpStop) return udpStop;
                if (udp.Value.GsoSize is { } size)
                {
                    // spec: udp_gso.cmsg — the message's size replaces the socket's for this send.
                    segmentSize = size;
                    call.Pass(ClauseId.GsoCmsg);
                }
                needIp = udp.Value.NeedIp;
            }
            if (needIp)
            {
                if (IpCmsgSend.Parse(model, msg.Control, msg.ControlLength, ref ipc) is { } cmsgStop) return cmsgStop;
                connected = false;
            }
            // spec: udp_gso.cmsg — only SOL_UDP messages: ip_cmsg_send is not called and a connected socket keeps
            // its cached route (found by the differential machine on the live kernel).
            else call.Pass(ClauseId.GsoCmsg);
            call.Pass(ClauseId.Cmsg);
        }
        ipc.GsoSize = segmentSize;
        if (ipc.Options is null && sock.Options is not null)
        {
            // spec: udp_sendmsg.sockopt_ip_options
            ipc.Options = sock.Options;
            call.Pass(ClauseId.SockoptIpOptions);
        }

        var saddr = ipc.Addr;
        var faddr = daddr;
        ipc.Addr = daddr;
        if (ipc.Options is { HasSourceRoute: true } sourceRoute)
        {
            // spec: udp_sendmsg.source_route
            if (daddr.IsZero) return Stop.Fail(Errno.EINVAL, ClauseId.SourceRoute);
            faddr = sourceRoute.FirstHop!.Value;
            connected = false;
            call.Pass(ClauseId.SourceRoute);
        }

        // spec: udp_sendmsg.route_tos
        var tos = (byte)(ipc.Tos ?? sock.Tos);
        call.Pass(ClauseId.RouteTos);
        // spec: udp_sendmsg.onlink
        var onlink = sock.DontRoute || flags.HasFlag(MsgFlags.DontRoute) || ipc.Options is { IsStrictRoute: true };
        if (onlink)
        {
            connected = false;
            call.Pass(ClauseId.OnLink);
        }
        if (bound != 0)
        {
            // spec: bind_device.pktinfo — an IP_PKTINFO interface replaces the bound device for this send.
            if (ipc.OutputInterface != bound) call.Pass(ClauseId.BindDevicePktinfo);
            else call.Pass(ClauseId.BindDeviceRoute);
        }
        if (daddr.IsMulticast)
        {
            // spec: udp_sendmsg.multicast
            if (ipc.OutputInterface == 0) ipc.OutputInterface = sock.MulticastIndex;
            if (saddr.IsZero) saddr = sock.MulticastAddress;
            connected = false;
            call.Pass(ClauseId.Multicast);
        }
        else if (profile.DeviceBinding && ipc.OutputInterface == 0 && sock.UnicastIndex != 0)
        {
            // spec: bind_device.unicast_if — a unicast send that names no device goes out of IP_UNICAST_IF's.
            ipc.OutputInterface = sock.UnicastIndex;
            call.Pass(ClauseId.UnicastIf);
        }
        // To 255.255.255.255 with a device named, IP_UNICAST_IF's replaces it only when the named one is its L3 master
        // (VRF), which the model's hosts do not have: the named device stays (measured: bound to tun0 with
        // IP_UNICAST_IF tun1, the broadcast leaves by tun0).

        RouteResult? route = null;
        var cached = false;
        if (connected && sock.CachedRoute is not null)
        {
            // spec: udp_sendmsg.connected_route_cache — the cached route is valid until the host changes; an obsolete
            // one is dropped (sk_dst_check resets sk_dst_cache) and looked up again below (L596, L614-615).
            call.Pass(ClauseId.ConnectedRouteCache);
            if (sock.CachedRouteGeneration == model.RouteGeneration) (route, cached) = (sock.CachedRoute, true);
            else sock.CachedRoute = null;
        }
        if (route is null)
        {
            // spec: udp_sendmsg.route
            // spec: policy_routing.mark_cmsg — an SO_MARK message's mark goes with this lookup instead of the socket's.
            if (ipc.Mark is not null) call.Pass(ClauseId.SocketMarkCmsg);
            var (lookup, policy) = model.Route(new FlowKey(faddr, saddr, ipc.OutputInterface, tos, onlink, ipc.Mark ?? sock.Mark, sock.Transparent), call);
            if (lookup.IsError)
            {
                if (lookup.Error == Errno.ENETUNREACH && profile.CountsOutNoRoutes) call.Count(new CounterDelta(0, 0, 0, 1));
                return Stop.Fail(lookup.Error!.Value, RouteLookup.Refusal(policy, ClauseId.Route));
            }
            call.Pass(ClauseId.Route);
            route = lookup.Value;
            // spec: local_delivery.loopback_broadcast
            if (profile.LocalDelivery && route.Destination == Ipv4Address.LoopbackBroadcast && route.IsBroadcast)
            {
                call.Pass(ClauseId.LoopbackBroadcast);
                if (!sock.Broadcast) return Stop.Fail(Errno.EACCES, ClauseId.LoopbackBroadcast);
            }
            // spec: udp_sendmsg.broadcast_eacces
            if (route.IsBroadcast && !sock.Broadcast) return Stop.Fail(Errno.EACCES, ClauseId.BroadcastEacces);
            if (connected)
            {
                sock.CachedRoute = route;
                sock.CachedRouteGeneration = model.RouteGeneration;
            }
        }

        Ipv4Address? confirmOnSend = null;
        if (msg.Flags.HasFlag(MsgFlags.Confirm))
        {
            // spec: udp_sendmsg.confirm — 2.6 confirms here (dst_confirm, L667), whatever happens to the send later;
            // current kernels confirm here only for MSG_PROBE, else when the datagram leaves (see PushPending).
            if (profile.ConfirmBeforeSend || flags.HasFlag(MsgFlags.Probe)) call.Confirm(route.NextHop);
            else confirmOnSend = route.NextHop;
            call.Pass(ClauseId.Confirm);
            // spec: udp_sendmsg.probe — a zero-length probe ends here.
            if (flags.HasFlag(MsgFlags.Probe) && len == 0)
            {
                if (profile.OutDatagramsPerCall) call.Count(new CounterDelta(1, 0, 0, 0));
                return Stop.Return(0, ClauseId.Probe);
            }
        }

        // spec: udp_sendmsg.source_from_route — current kernels: through a cached route, the cork's flow's source.
        saddr = cached && profile.SharedCorkFlow ? sock.CorkFlow.Source : route.Source;
        if (ipc.Addr.IsZero) daddr = ipc.Addr = route.Destination;
        call.Pass(ClauseId.SourceFromRoute);

        // spec: udp_sendmsg.cork_app_bug — only another thread could have corked the socket meanwhile; a model of
        // one thread never finds it so, but the guard stands where the text puts it.
        if (sock.Pending != 0) return Stop.Fail(Errno.EINVAL, ClauseId.CorkAppBug);

        // spec: udp_sendmsg.cork_setup
        // The pseudo-header's destination: the final one in 2.6. Current kernels sum the flow's: for a datagram sent
        // at once that is the route's flow, whose destination is the first hop of a source route; a corked one gets
        // the cork's flow, filled with the final destination (measured on the live kernel; the corked case found by
        // the differential machine). The same flow gives current kernels the IP header's addresses.
        var flow = (Destination: profile.PseudoHeaderUsesFirstHop && !corkreq ? faddr : daddr, Port: dport, Source: saddr);
        if (profile.SharedCorkFlow)
        {
            // A corked send fills the socket's cork flow; a connected one through its cached route reads it, whatever
            // an earlier corked send to another address left there.
            if (corkreq) sock.CorkFlow = flow;
            else if (cached) flow = sock.CorkFlow;
        }
        sock.SetUpPending(flow, ipc.Ttl, profile.TosFixedAtCork ? ipc.Tos ?? sock.Tos : ipc.Tos, confirmOnSend);
        call.Pass(ClauseId.CorkSetup);
        return route;
    }
}
