using System.Collections.Immutable;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Fuzz;

/// <summary>What the generator knows of a socket, from the operations alone (it never sees a result): enough to
/// aim the next operation at interesting states (corked, pending data, a known source port), not to predict.</summary>
/// <param name="Port">The port of an explicit bind made before anything else used the socket (0: none known); the
/// generator then knows the UDP pseudo-header and can craft a payload whose checksum computes to 0.</param>
/// <param name="MaybePending">A MSG_MORE or corked send may have left data pending.</param>
/// <param name="ShutWrite">A shutdown with SHUT_WR or SHUT_RDWR was made: every datagram it starts fails (EPIPE).</param>
public sealed record FuzzSocket(ushort Port = 0, bool Used = false, bool Corked = false, bool MaybePending = false, bool Connected = false, bool Options = false,
    bool ShutWrite = false);

/// <summary>The generation state of the differential machine: the open sockets by name and the link MTU. Immutable:
/// FsCheck keeps the state after every operation to shrink.</summary>
public sealed record FuzzState(ImmutableSortedDictionary<string, FuzzSocket> Sockets, int Mtu)
{
    /// <summary>Sockets by name in ordinal order: the culture-aware default comparer took a sixth of the generation's time.</summary>
    public static readonly FuzzState Initial = new(ImmutableSortedDictionary.Create<string, FuzzSocket>(StringComparer.Ordinal), 1500);

    /// <summary>The state after <paramref name="operation"/>, whatever its result.</summary>
    public FuzzState After(Operation operation)
    {
        FuzzState With(Fd fd, Func<FuzzSocket, FuzzSocket> change) =>
            fd.Name is { } name && Sockets.TryGetValue(name, out var socket) ? this with { Sockets = Sockets.SetItem(name, change(socket)) } : this;

        switch (operation)
        {
            case SocketOp op: return this with { Sockets = Sockets.SetItem(op.Name, new FuzzSocket()) };
            case CloseOp op: return op.Fd.Name is { } closed ? this with { Sockets = Sockets.Remove(closed) } : this;
            case BindOp op:
                return With(op.Fd, s => s.Used ? s : s with
                {
                    Used = true,
                    Port = op.Address is { } a && op.AddressLength == 16 && a.FullyReadable && SockAddr.Family(a.Readable.Span) == AddressFamily.Inet &&
                           SockAddr.Address(a.Readable.Span) == FuzzGenerators.Local ? SockAddr.Port(a.Readable.Span) : (ushort)0,
                });
            case ConnectOp op:
                return With(op.Fd, s => s with
                {
                    Used = true,
                    Connected = op.Address is { } a && a.Readable.Length >= 2 && SockAddr.Family(a.Readable.Span) == AddressFamily.Inet,
                });
            case SetSockOptOp { Level: SocketOption.SolUdp, OptName: SocketOption.UdpCork } op:
                var on = op.Value is { } v && v.Readable.Length >= 4 && BitConverter.ToInt32(v.Readable.Span) != 0;
                return With(op.Fd, s => s with { Corked = on, MaybePending = on && s.MaybePending });
            case SetSockOptOp { Level: SocketOption.SolIp, OptName: SocketOption.IpOptions } op:
                return With(op.Fd, s => s with { Options = op.OptLen > 0 });
            case SendToOp op: return With(op.Fd, s => Sent(s, op.Flags));
            case SendMsgOp op: return With(op.Fd, s => Sent(s, op.Flags));
            case SendMmsgOp op: return op.Messages.Count == 0 || op.Vlen == 0 ? this : With(op.Fd, s => Sent(s, op.Flags));
            // Recorded even when the answer is ENOTCONN or EINVAL would leave it out: how 1 and 2 shut sends.
            case ShutdownOp { How: 1 or 2 } op: return With(op.Fd, s => s with { ShutWrite = true });
            case HostChangeOp { Mtu: { } mtu } when mtu >= Limits.MtuLowest.At && mtu <= Limits.MtuHighest.At: return this with { Mtu = mtu };
            default: return this;
        }
    }

    private static FuzzSocket Sent(FuzzSocket socket, MsgFlags flags) =>
        socket with { Used = true, MaybePending = socket.Corked || flags.HasFlag(MsgFlags.More) };
}
