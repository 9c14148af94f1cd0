using System.Buffers.Binary;
using Udpconf.Reference.Api;
using Udpconf.Reference.Symbols;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Socket;

/// <summary>
/// Values getsockopt reads that no setsockopt sets (options.readonly, <see cref="Profile.PlainOptions"/>), measured on
/// 6.18.44 (Conformance/cases/options/readonly_linux): the socket's type, protocol and domain, the peer's name and
/// credentials (none: the peer of a UDP socket sends no credentials), the local port as IP_PROTOCOL (inet_num), and
/// constants of features a UDP socket does not use. Of a dual-stack AF_INET6 socket only the type, protocol, domain and
/// the constants are modeled.
/// </summary>
public static class ReadOnlyOptions
{
    private const int SoType = 3, SoPeerCred = 17, SoSndLowat = 19, SoGetFilter = 26, SoPeerName = 28, SoAcceptConn = 30,
        SoProtocol = 38, SoDomain = 39, SoMeminfo = 55, SoIncomingNapiId = 56, SoPeerGroups = 59, SoPeerPidFd = 77;
    /// <summary>SK_MEMINFO_VARS: SO_MEMINFO's u32 values (rmem_alloc, rcvbuf, wmem_alloc, sndbuf, fwd_alloc,
    /// wmem_queued, optmem, backlog, drops).</summary>
    private const int MeminfoVars = 9;
    private const int IpRouterAlert = 5, IpProtocol = 52, UdpliteSendCscov = 10, UdpliteRecvCscov = 11;

    /// <summary>IP_ROUTER_ALERT on a UDP socket: ip_ra_control takes raw sockets only (EINVAL, whatever the value).</summary>
    public static bool RefusesSet(Profile profile, int level, int name) => profile.PlainOptions && level == SolIp && name == IpRouterAlert;

    /// <summary>The answer to getsockopt, or null for an option this class does not answer.</summary>
    public static Outcome? Get(Process model, Call call, Sock sock, GetSockOptOp op)
    {
        if (!model.Profile.PlainOptions || !LinuxOptions.LineKnowsGet(model.Profile, op.Level, op.OptName)) return null;
        var inet = sock.Family == AddressFamily.Inet;
        int? value = (op.Level, op.OptName) switch
        {
            (SolSocket, SoType) => SocketType.Dgram,
            (SolSocket, SoProtocol) => 17,
            (SolSocket, SoDomain) => sock.Family,
            (SolSocket, SoAcceptConn) or (SolSocket, SoIncomingNapiId) => 0,
            (SolSocket, SoSndLowat) => 1,
            (SolUdp, UdpliteSendCscov or UdpliteRecvCscov) => 0,
            (SolIp, IpRouterAlert) when inet => 0,
            _ => null,
        };
        // spec: options.readonly
        if (value is { } plain) return SocketOptions.IntReply(call, op, plain, ClauseId.OptionsReadOnly);
        switch (op.Level, op.OptName)
        {
            case (SolSocket, SoPeerGroups) or (SolSocket, SoPeerPidFd):
                return call.Fail(Errno.ENODATA, ClauseId.OptionsReadOnly);
            case (SolSocket, SoGetFilter):
                return call.Return(0, ClauseId.OptionsReadOnly, ReadOnlyMemory<byte>.Empty);
            case (SolSocket, SoPeerCred):
            {
                byte[] credentials = [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
                var length = Math.Min(op.OptLen, credentials.Length);
                return call.Return(length, ClauseId.OptionsReadOnly, credentials.AsMemory(0, length));
            }
            case (SolSocket, SoMeminfo) when inet:
                return Meminfo(model, call, sock, op);
            case (SolSocket, SoPeerName) when inet:
            {
                if (!sock.Connected || sock.PeerPort == 0) return call.Fail(Errno.ENOTCONN, ClauseId.OptionsReadOnly);
                if (op.OptLen > SockAddr.InLength) return call.Fail(Errno.EINVAL, ClauseId.OptionsReadOnly);
                var name = SockAddr.In(sock.PeerAddress, sock.PeerPort);
                return call.Return(op.OptLen, ClauseId.OptionsReadOnly, name.AsMemory(0, op.OptLen));
            }
            case (SolIp, IpProtocol) when inet:
            {
                var port = sock.LocalPort ?? Symbols.PortValue.Of(0);
                if (!port.IsSymbolic) return SocketOptions.IntReply(call, op, port.Concrete, ClauseId.OptionsReadOnly);
                var reading = new PortReading(port.Symbol!, op.OptLen);
                return call.Return(reading.Length, ClauseId.OptionsReadOnly) with { SymbolicOption = reading };
            }
            default:
                return null;
        }
    }

    /// <summary>
    /// SO_MEMINFO (sk_get_meminfo), min(optlen, 36) bytes: the send buffer's memory is the truesize of the buffers of
    /// the pending datagram (sk_wmem_alloc less its initial 1: a datagram that left was orphaned by its device, TUN or
    /// lo, as it was handed over; measured on 6.18.44), next to SO_RCVBUF and SO_SNDBUF; the rest is 0 for a socket
    /// that has received nothing, joined no group and queued no notification. Unmodeled where the receive side or
    /// option memory could be other than 0: after a datagram was delivered on this host (a receive queue), with a
    /// group joined (sock_kmalloc'd memberships) or with SO_ZEROCOPY (notifications charged to option memory).
    /// </summary>
    private static Outcome Meminfo(Process model, Call call, Sock sock, GetSockOptOp op)
    {
        if (model.DeliveredLocally || sock.Memberships.Count > 0 || sock.Zerocopy)
            return call.Unmodeled(ClauseId.OptionsReadOnly, "SO_MEMINFO of a socket that may hold received data, group memberships or zerocopy notifications: memory the model does not count");
        var values = new byte[MeminfoVars * 4];
        BinaryPrimitives.WriteInt32LittleEndian(values.AsSpan(4), sock.ReceiveBuffer);
        BinaryPrimitives.WriteInt32LittleEndian(values.AsSpan(8), sock.Cork.WriteMemory);
        BinaryPrimitives.WriteInt32LittleEndian(values.AsSpan(12), sock.SendBuffer);
        var length = Math.Min(op.OptLen, values.Length);
        return call.Return(length, ClauseId.OptionsReadOnly, values.AsMemory(0, length));
    }
}

/// <summary>IP_PROTOCOL of a socket whose port is an ephemeral symbol: the port as an IP-level int (min(optlen, 4)
/// bytes; never one byte, since an ephemeral port is above 255).</summary>
public sealed record PortReading(string Port, int OptLen) : SymbolicBytes(Port)
{
    public int Length => Math.Clamp(OptLen, 0, 4);

    public override byte[] Render(ushort value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes[..Length];
    }

    /// <summary>The port a target's bytes say, when they hold all of its two bytes.</summary>
    public override ushort? Solve(ReadOnlySpan<byte> observed) =>
        // not a limit: a port's two bytes as a target answered them
        observed.Length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(observed) : null;

    public override string Describe() => $"port:{Port}";
}
