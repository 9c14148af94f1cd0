using Udpconf.Reference.Ip;
using System.Buffers.Binary;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Udp;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Socket;

/// <summary>setsockopt and getsockopt for the options that change the send path.</summary>
public static class SocketOptions
{
    /// <summary>
    /// Outcome: 0. EINVAL for a value of the wrong size or out of range; EFAULT for an unreadable value;
    /// ENOPROTOOPT for an option current kernels do not know either (<see cref="LinuxOptions"/>); one they know and the
    /// model does not follow is unmodeled, and so is the socket from then on. UDP_CORK 0 pushes what is pending and
    /// still returns 0 whatever the push gave.
    /// Variation: IP_MTU_DISCOVER accepts 0-2 in 2.6 and 0-5 now.
    /// </summary>
    /// <summary>Whether setsockopt takes the socket lock (whose release may revalidate a cached route): SOL_SOCKET
    /// options, IP_OPTIONS, IP_TOS and the other SOL_IP options, and UDP_CORK 0 (which pushes); current kernels set
    /// UDP_CORK 1, IP_TTL, IP_MTU_DISCOVER, IP_RECVERR and IP_MULTICAST_TTL without it (measured on the live kernel; a
    /// new IP_TOS also drops the cached route, so only an unchanged one shows the revalidation).</summary>
    private static bool TakesSocketLock(Profile profile, SetSockOptOp op) => (op.Level, op.OptName) switch
    {
        // not a limit: UDP_CORK's int, read to tell whether the call takes the socket lock
        (SolUdp, UdpCork) => op.Value is not { } v || v.Readable.Length < 4 || BitConverter.ToInt32(v.Readable.Span) == 0,
        (SolUdp, _) => false,
        (SolIp, IpTtl or IpMtuDiscover or IpRecvErr or IpMulticastTtl) => !profile.LocklessIpOptions,
        _ => true,
    };

    public static Outcome Set(Process model, SetSockOptOp op)
    {
        var call = new Call();
        var lookup = SocketCalls.Lookup(model, op.Fd);
        if (lookup.Stop is { } stop) return call.Finish(stop);
        var sock = lookup.Value;
        var outcome = DeviceBinding.Handles(model.Profile, op.Level, op.OptName) ? DeviceBinding.Set(model, call, sock, op)
            : MulticastMembership.Handles(model.Profile, op.Level, op.OptName) ? MulticastMembership.Set(model, call, sock, op)
            : PlainOptions.Handles(model.Profile, op.Level, op.OptName) ? PlainOptions.Set(model.Profile, call, sock, op)
            : TimeoutOptions.Handles(model.Profile, op.Level, op.OptName) ? TimeoutOptions.Set(call, sock, op)
            : ZerocopyOption.Handles(model.Profile, op.Level, op.OptName) ? ZerocopyOption.Set(call, sock, op)
            : BufferOptions.Handles(model.Profile, op.Level, op.OptName) ? BufferOptions.Set(model, call, sock, op)
            : ReadOnlyOptions.RefusesSet(model.Profile, op.Level, op.OptName) ? RouterAlert(call, op)
            : op.Level switch
        {
            SolSocket => SetSocketLevel(model, call, sock, op),
            SolUdp => SetUdpLevel(model, call, sock, op),
            SolIp => SetIpLevel(model, call, sock, op),
            _ => call.Fail(Errno.ENOPROTOOPT, ClauseId.SetSockOpt),
        };
        if (outcome.IsError(Errno.ENOPROTOOPT) && LinuxOptions.KnowsSet(model.Profile, op.Level, op.OptName) && !PlainOptions.Handles(model.Profile, op.Level, op.OptName))
        {
            // Current kernels know the option: what it does to this socket is outside the model from here on.
            var why = LinuxOptions.Why("setsockopt", op.Level, op.OptName);
            sock.Unmodeled = new NotModeled(ClauseId.SetSockOpt, why);
            outcome = new Call().Unmodeled(ClauseId.SetSockOpt, why);
        }
        if (TakesSocketLock(model.Profile, op)) model.ReleaseSocket(sock);
        return outcome;
    }

    /// <summary>IP_ROUTER_ALERT: the value is read as any SOL_IP value (EFAULT unreadable), then refused on a UDP
    /// socket.</summary>
    private static Outcome RouterAlert(Call call, SetSockOptOp op)
    {
        // spec: options.readonly
        if (ReadIpValue(op, out _) is { } bad) return call.Fail(bad, ClauseId.OptionsReadOnly);
        return call.Fail(Errno.EINVAL, ClauseId.OptionsReadOnly);
    }

    private static Outcome SetSocketLevel(Process model, Call call, Sock sock, SetSockOptOp op)
    {
        if (op.OptName == SoMark && model.Profile.SocketMark)
        {
            // spec: policy_routing.mark — sk_setsockopt reads an int (EINVAL below 4 bytes) and a new mark drops the
            // cached route (sk_dst_reset). It needs CAP_NET_RAW or CAP_NET_ADMIN, and every modeled host keeps
            // CAP_NET_ADMIN (an unprivileged one lacks CAP_NET_RAW and CAP_NET_BIND_SERVICE only; measured: SO_MARK
            // is accepted there on 6.18.44), so no EPERM.
            if (ReadSocketInt(op, out var mark) is { } refused) return call.Fail(refused, ClauseId.SocketMark);
            if (sock.Mark != (uint)mark) sock.CachedRoute = null;
            sock.Mark = (uint)mark;
            return call.Return(0, ClauseId.SocketMark);
        }
        // sk_setsockopt reads an int before it looks at the name: a shorter value is EINVAL, known option or not
        // (measured on 6.1.192 for the options it does not know yet).
        if (model.Profile.PlainOptions && op.OptLen < Limits.IntOptionLength.At && op.OptName is not (SoDontRoute or SoBroadcast or SoSndbuf or SoNoCheck))
            return call.Fail(Errno.EINVAL, ClauseId.SetSockOpt);
        if (op.OptName is not (SoDontRoute or SoBroadcast or SoSndbuf or SoNoCheck)) return call.Fail(Errno.ENOPROTOOPT, ClauseId.SetSockOpt);
        if (ReadSocketInt(op, out var value) is { } bad) return call.Fail(bad, ClauseId.SetSockOpt);
        switch (op.OptName)
        {
            case SoDontRoute: sock.DontRoute = value != 0; break;
            case SoBroadcast: sock.Broadcast = value != 0; break;
            case SoNoCheck: sock.NoCheck = value != 0; break;
            case SoSndbuf:
                sock.SendBuffer = BufferOptions.SendBuffer(model.Profile, BufferOptions.Capped(model.Profile, value, model.Host.WmemMax));
                break;
        }
        return call.Return(0, ClauseId.SetSockOpt);
    }

    private static Outcome SetUdpLevel(Process model, Call call, Sock sock, SetSockOptOp op)
    {
        var segment = op.OptName == UdpSegment && model.Profile.UdpSegmentOption;
        if (op.OptName != UdpCork && !segment) return call.Fail(Errno.ENOPROTOOPT, ClauseId.SetSockOpt);
        // not a limit: SOL_UDP options read an int (4 bytes); a shorter one is in udp_gso/option_linux
        if (op.OptLen < 4) return call.Fail(Errno.EINVAL, segment ? ClauseId.GsoOption : ClauseId.SetSockOpt);
        if (ReadInt(op.Value, 4) is not { } value) return call.Fail(Errno.EFAULT, ClauseId.SetSockOpt);
        if (segment)
        {
            // spec: udp_gso.option — udp_lib_setsockopt: a segment size is 0 to USHRT_MAX.
            if (value < 0 || value > Limits.GsoSizeHighest.At) return call.Fail(Errno.EINVAL, ClauseId.GsoOption);
            sock.GsoSize = value;
            return call.Return(0, ClauseId.GsoOption);
        }
        if (value != 0)
        {
            // spec: udp_setsockopt.cork_on
            sock.CorkFlag = true;
            return call.Return(0, ClauseId.CorkOn);
        }
        // spec: udp_setsockopt.cork_off_push — the push's own result is not returned.
        sock.CorkFlag = false;
        // A push the model does not follow leaves the call, and what went out, unpredicted.
        if (UdpSendMsg.PushPending(model, call, sock).Stop is { Kind: OutcomeKind.Unmodeled } unmodeled) return call.Finish(unmodeled);
        return call.Return(0, ClauseId.CorkOffPush);
    }

    private static Outcome SetIpLevel(Process model, Call call, Sock sock, SetSockOptOp op)
    {
        if (op.OptName == SocketOption.IpOptions)
        {
            if (op.OptLen < 0 || op.OptLen > Limits.IpOptionsLength.At) return call.Fail(Errno.EINVAL, ClauseId.SetSockOpt);
            if (op.OptLen > 0 && (op.Value is null || op.Value.Readable.Length < op.OptLen)) return call.Fail(Errno.EFAULT, ClauseId.SetSockOpt);
            var compiled = Ip.IpOptions.Compile(op.OptLen == 0 ? [] : op.Value!.Readable.Span[..op.OptLen], model.Host.Privileged,
                model.Host.IsRemoteUnicast);
            if (compiled.IsError) return call.Fail(compiled.Error!.Value, ClauseId.SetSockOpt);
            sock.Options = compiled.Value;
            return call.Return(0, ClauseId.SetSockOpt);
        }
        if (op.OptName is not (IpTos or IpTtl or IpMtuDiscover or IpRecvErr or IpMulticastTtl or IpMulticastIf))
            return UnknownIpOption(model, call, op.OptName, ClauseId.SetSockOpt);
        if (op.OptName == IpMulticastIf) return SetMulticastInterface(model, call, sock, op);

        // ip_setsockopt reads an int when there are 4 bytes, else one byte, else leaves 0.
        if (ReadIpValue(op, out var value) is { } bad) return call.Fail(bad, ClauseId.SetSockOpt);
        switch (op.OptName)
        {
            case IpTos:
                // ip_setsockopt: a new TOS resets the connected socket's cached route (sk_dst_reset), so the next
                // send looks the route up again with it (udp_sendmsg.route_tos, udp_sendmsg.connected_route_cache).
                if (sock.Tos != (byte)value)
                {
                    sock.CachedRoute = null;
                    // __ip_sock_set_tos: a new TOS also sets sk_priority (SO_PRIORITY reads it: options.value).
                    sock.Priority = PlainOptions.TosPriority((byte)value);
                }
                sock.Tos = (byte)value;
                break;
            case IpTtl:
                if (op.OptLen < 1 || (value != -1 && (value < Limits.TtlLowest.At || value > Limits.TtlHighest.At))) return call.Fail(Errno.EINVAL, ClauseId.SetSockOpt);
                sock.UnicastTtl = value;
                break;
            case IpMtuDiscover:
                if (value < 0 || value > model.Profile.MaxPmtuMode) return call.Fail(Errno.EINVAL, ClauseId.SetSockOpt);
                sock.PmtuMode = value;
                break;
            case IpRecvErr:
                sock.RecvErr = value != 0;
                break;
            case IpMulticastTtl:
                if (op.OptLen < 1) return call.Fail(Errno.EINVAL, ClauseId.SetSockOpt);
                if (value == -1) value = 1;
                if (value < 0 || value > Limits.MulticastTtlHighest.At) return call.Fail(Errno.EINVAL, ClauseId.SetSockOpt);
                sock.MulticastTtl = (byte)value;
                break;
        }
        return call.Return(0, ClauseId.SetSockOpt);
    }

    /// <summary>IP_MULTICAST_IF with struct ip_mreqn (12 bytes), an ip_mreq (8 to 11, current kernels) or an in_addr (4
    /// to 11); less: EINVAL on current kernels, a reset in 2.6.</summary>
    private static Outcome SetMulticastInterface(Process model, Call call, Sock sock, SetSockOptOp op)
    {
        var address = Ipv4Address.Any;
        var index = 0;
        // limit: IP_MULTICAST_IF ip_mreqn length
        if (op.OptLen >= Limits.MulticastIfMreqn.At)
        {
            if (op.Value is null || op.Value.Readable.Length < 12) return call.Fail(Errno.EFAULT, ClauseId.SetSockOpt);
            address = Ipv4Address.Read(op.Value.Readable.Span[4..]);
            index = BinaryPrimitives.ReadInt32LittleEndian(op.Value.Readable.Span[8..]);
        }
        // limit: IP_MULTICAST_IF ip_mreq length
        else if (op.OptLen >= Limits.MulticastIfMreq.At && model.Profile.MulticastIfTakesIpMreq)
        {
            // struct ip_mreq { imr_multiaddr; imr_interface }: the interface address is the second field.
            if (op.Value is null || op.Value.Readable.Length < 8) return call.Fail(Errno.EFAULT, ClauseId.SetSockOpt);
            address = Ipv4Address.Read(op.Value.Readable.Span[4..]);
        }
        // limit: IP_MULTICAST_IF in_addr length
        else if (op.OptLen >= Limits.MulticastIfAddress.At)
        {
            if (op.Value is null || op.Value.Readable.Length < 4) return call.Fail(Errno.EFAULT, ClauseId.SetSockOpt);
            address = Ipv4Address.Read(op.Value.Readable.Span);
        }
        else if (model.Profile.MulticastIfShortInvalid)
        {
            return call.Fail(Errno.EINVAL, ClauseId.SetSockOpt);
        }
        Interface? device;
        if (index == 0)
        {
            if (address.IsZero)
            {
                sock.MulticastIndex = 0;
                sock.MulticastAddress = Ipv4Address.Any;
                return call.Return(0, ClauseId.SetSockOpt);
            }
            device = model.Host.Interfaces.FirstOrDefault(i => i.Addresses.Any(a => a.Address == address));
        }
        else
        {
            device = model.Host.InterfaceByIndex(index);
        }
        if (device is null) return call.Fail(Errno.EADDRNOTAVAIL, ClauseId.SetSockOpt);
        // A socket bound to a device takes no other multicast device (no VRF master here). Measured on 6.18.44
        // (bind_device/unicast_if_linux).
        if (sock.BoundDevice != 0 && device.Index != sock.BoundDevice) return call.Fail(Errno.EINVAL, ClauseId.SetSockOpt);
        sock.MulticastIndex = device.Index;
        sock.MulticastAddress = address;
        return call.Return(0, ClauseId.SetSockOpt);
    }

    /// <summary>
    /// Outcome: the length written, with the bytes in <see cref="Outcome.OptionValue"/>. EINVAL for a negative
    /// length; ENOTCONN for IP_MTU on an unconnected socket; ENOPROTOOPT for an option current kernels do not know
    /// either, unmodeled for one they know and the model does not follow (<see cref="LinuxOptions"/>).
    /// An IP-level value from 0 to 255 asked with fewer than 4 bytes is returned as one byte.
    /// </summary>
    public static Outcome Get(Process model, GetSockOptOp op)
    {
        var outcome = GetOption(model, op);
        // An option current kernels know and the model does not follow: the model does not say what it reads.
        return outcome.IsError(Errno.ENOPROTOOPT) && LinuxOptions.KnowsGet(model.Profile, op.Level, op.OptName)
            ? new Call().Unmodeled(ClauseId.GetSockOpt, LinuxOptions.Why("getsockopt", op.Level, op.OptName))
            : outcome;
    }

    private static Outcome GetOption(Process model, GetSockOptOp op)
    {
        var call = new Call();
        var lookup = SocketCalls.Lookup(model, op.Fd);
        if (lookup.Stop is { } stop) return call.Finish(stop);
        var sock = lookup.Value;
        if (op.OptLen < 0) return call.Fail(Errno.EINVAL, ClauseId.GetSockOpt);
        if (DeviceBinding.Handles(model.Profile, op.Level, op.OptName) && DeviceBinding.Get(model, call, sock, op) is { } bound) return bound;
        if (TimeoutOptions.Handles(model.Profile, op.Level, op.OptName)) return TimeoutOptions.Get(model, call, sock, op);
        if (PlainOptions.HandlesGet(model.Profile, op.Level, op.OptName))
        {
            var clause = PlainOptions.Clause(model.Profile, op.Level, op.OptName);
            if (PlainOptions.Get(model.Profile, sock, op.Level, op.OptName, op.OptLen) is not { } plain) return call.Fail(Errno.EOPNOTSUPP, clause);
            if (plain.Length == 4) return IntReply(call, op, BitConverter.ToInt32(plain), clause);
            var length = Math.Min(op.OptLen, plain.Length);
            return call.Return(length, clause, plain.AsMemory(0, length));
        }
        if (ZerocopyOption.Handles(model.Profile, op.Level, op.OptName)) return ZerocopyOption.Get(call, sock, op);
        if (BufferOptions.HandlesGet(model.Profile, op.Level, op.OptName)) return BufferOptions.Get(model, call, sock, op);
        if (ReadOnlyOptions.Get(model, call, sock, op) is { } readOnly) return readOnly;
        int value;
        switch (op.Level, op.OptName)
        {
            case (SolSocket, SoBindToIfindex) or (SolIp, IpUnicastIf) when model.Profile.DeviceBinding:
                value = DeviceBinding.IntValue(sock, op.Level);
                break;
            case (SolIp, IpMulticastLoop or IpMulticastAll) when model.Profile.MulticastMembership:
                value = MulticastMembership.IntValue(sock, op.OptName)!.Value;
                break;
            case (SolSocket, SoError) when model.Profile.LocalDelivery:
            {
                // spec: local_delivery.so_error — sock_error: read and cleared.
                var error = (int?)sock.Error ?? 0;
                sock.Error = null;
                return IntReply(call, op, error, ClauseId.LocalSoError);
            }
            case (SolSocket, SoDontRoute): value = sock.DontRoute ? 1 : 0; break;
            case (SolSocket, SoBroadcast): value = sock.Broadcast ? 1 : 0; break;
            case (SolSocket, SoMark) when model.Profile.SocketMark: value = (int)sock.Mark; break;
            case (SolSocket, SoNoCheck): value = sock.NoCheck ? 1 : 0; break;
            case (SolSocket, SoSndbuf): value = sock.SendBuffer; break;
            case (SolUdp, UdpCork): value = sock.CorkFlag ? 1 : 0; break;
            case (SolUdp, UdpSegment) when model.Profile.UdpSegmentOption: value = sock.GsoSize; break;
            case (SolIp, IpTos): value = sock.Tos; break;
            case (SolIp, IpTtl): value = sock.UnicastTtl == -1 ? model.Host.DefaultTtl : sock.UnicastTtl; break;
            case (SolIp, IpMtuDiscover): value = sock.PmtuMode; break;
            case (SolIp, IpRecvErr): value = sock.RecvErr ? 1 : 0; break;
            case (SolIp, IpMulticastTtl): value = sock.MulticastTtl; break;
            case (SolIp, IpMtu):
                if (!sock.Connected || sock.CachedRoute is null) return call.Fail(Errno.ENOTCONN, ClauseId.GetSockOpt);
                value = model.Mtus(sock.CachedRoute).Path;
                break;
            case (SolIp, IpMulticastIf):
            {
                var bytes = new byte[4];
                sock.MulticastAddress.Write(bytes);
                var length = Math.Min(op.OptLen, 4);
                return call.Return(length, ClauseId.GetSockOpt, bytes.AsMemory(0, length));
            }
            case (SolIp, SocketOption.IpOptions):
            {
                var bytes = sock.Options?.Original ?? [];
                var length = Math.Min(op.OptLen, bytes.Length);
                return call.Return(length, ClauseId.GetSockOpt, bytes.AsMemory(0, length));
            }
            case (SolIp, _):
                // Numbers 64-67 and 96-99 belong to netfilter modules (iptables, arptables) and answer otherwise:
                // cases avoid them.
                return UnknownIpOption(model, call, op.OptName, ClauseId.GetSockOpt);
            default:
                return call.Fail(Errno.ENOPROTOOPT, ClauseId.GetSockOpt);
        }
        return IntReply(call, op, value, ClauseId.GetSockOpt);
    }

    /// <summary>An int read back: min(optlen, 4) bytes of it; an IP-level value from 0 to 255 asked with fewer than 4
    /// bytes is one byte.</summary>
    internal static Outcome IntReply(Call call, GetSockOptOp op, int value, string clause)
    {
        var intBytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(intBytes, value);
        // not a limit: do_ip_getsockopt answers a short buffer with one byte when the value fits one
        if (op.Level == SolIp && op.OptLen is > 0 and < 4 && value is >= 0 and <= 255)
            return call.Return(1, clause, intBytes.AsMemory(0, 1));
        var written = Math.Min(op.OptLen, 4);
        return call.Return(written, clause, intBytes.AsMemory(0, written));
    }

    /// <summary>The multicast-routing option numbers (MRT_INIT .. MRT_FLUSH).</summary>
    public const int MulticastRoutingFirst = 200, MulticastRoutingLast = 212;

    /// <summary>
    /// Outcome: ENOPROTOOPT for a SOL_IP option the model does not know; under
    /// <see cref="Profile.MulticastRoutingOptionsByBuild"/> EOPNOTSUPP for a multicast-routing number, with ENOPROTOOPT
    /// allowed as the answer of a kernel built without multicast routing.
    /// </summary>
    private static Outcome UnknownIpOption(Process model, Call call, int optName, string clause)
    {
        if (!model.Profile.MulticastRoutingOptionsByBuild || optName is < MulticastRoutingFirst or > MulticastRoutingLast)
            return call.Fail(Errno.ENOPROTOOPT, clause);
        return call.Fail(Errno.EOPNOTSUPP, clause) with
        {
            Alternatives = [new Alternative(Errno.ENOPROTOOPT, "a kernel built without multicast routing (CONFIG_IP_MROUTE not set)")],
        };
    }

    /// <summary>sk_setsockopt's int (udp_lib_setsockopt's too): EINVAL below 4 bytes, EFAULT when they cannot be read;
    /// null when <paramref name="value"/> was read. The caller fails with the errno under its own clause.</summary>
    internal static Errno? ReadSocketInt(SetSockOptOp op, out int value)
    {
        value = 0;
        if (op.OptLen < Limits.IntOptionLength.At) return Errno.EINVAL;
        if (ReadInt(op.Value) is not { } read) return Errno.EFAULT;
        value = read;
        return null;
    }

    /// <summary>do_ip_setsockopt's value: an int from 4 bytes, else one byte, else 0; EFAULT when they cannot be read;
    /// null when <paramref name="value"/> was read.</summary>
    internal static Errno? ReadIpValue(SetSockOptOp op, out int value)
    {
        value = 0;
        // not a limit: do_ip_setsockopt's value, an int from 4 bytes or else one byte
        if (op.OptLen >= 4)
        {
            if (ReadInt(op.Value) is not { } read) return Errno.EFAULT;
            value = read;
        }
        else if (op.OptLen >= 1)
        {
            if (op.Value is null || op.Value.Readable.Length < 1) return Errno.EFAULT;
            value = op.Value.Readable.Span[0];
        }
        return null;
    }

    /// <summary>The int at the start of an option's value, or null when the buffer does not hold
    /// <paramref name="length"/> readable bytes (EFAULT).</summary>
    internal static int? ReadInt(UserBuffer? value, int length = 4) =>
        value is null || value.Readable.Length < length ? null : BinaryPrimitives.ReadInt32LittleEndian(value.Readable.Span);
}
