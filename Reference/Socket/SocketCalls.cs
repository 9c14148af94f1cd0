using System.Runtime.CompilerServices;
using Udpconf.Reference.Api;

namespace Udpconf.Reference.Socket;

/// <summary>socket(), open(), fcntl(O_NONBLOCK), close(), and the descriptor lookup every socket call starts with.</summary>
public static class SocketCalls
{
    private const int SockMax = 11;

    /// <summary>
    /// Outcome: a descriptor for a UDP socket (AF_INET, or AF_INET6 dual-stack); EAFNOSUPPORT for another family;
    /// EINVAL for a type out of range or unknown type flags; EPROTONOSUPPORT for a datagram protocol that is not UDP.
    /// Model details: stream, raw, ping and UDP-Lite sockets are outside the model (Unmodeled).
    /// </summary>
    public static Outcome Create(Process model, SocketOp op)
    {
        var call = new Call();
        if (op.Domain is not (AddressFamily.Inet or AddressFamily.Inet6)) return call.Fail(Errno.EAFNOSUPPORT, ClauseId.SocketCreate);
        var flags = op.Type & ~0xF;
        var type = op.Type & 0xF;
        if ((flags & ~(SocketType.NonblockFlag | SocketType.CloexecFlag)) != 0 || type < 0 || type >= SockMax)
            return call.Fail(Errno.EINVAL, ClauseId.SocketCreate);
        if (type != SocketType.Dgram)
            return call.Unmodeled(ClauseId.SocketUnsupported, $"socket type {type} is not a UDP socket");
        if (op.Protocol is 1 or 136)
            return call.Unmodeled(ClauseId.SocketUnsupported, $"datagram protocol {op.Protocol} is not UDP");
        if (op.Protocol is not (0 or SocketType.ProtocolUdp))
            return call.Fail(Errno.EPROTONOSUPPORT, ClauseId.SocketCreate);
        var sock = new Sock(model.NextSocketId(), op.Domain, model.Host) { Nonblocking = (flags & SocketType.NonblockFlag) != 0 };
        return call.Return(model.Open(op.Name, sock), ClauseId.SocketCreate);
    }

    /// <summary>Outcome: a descriptor that is not a socket.</summary>
    public static Outcome OpenFile(Process model, OpenFileOp op) => new Call().Return(model.Open(op.Name, new PlainFile()), ClauseId.OpenFile);

    /// <summary>Outcome: 0; EBADF for a descriptor that is not open. O_NONBLOCK later acts as MSG_DONTWAIT.</summary>
    public static Outcome SetNonblock(Process model, SetNonblockOp op)
    {
        var call = new Call();
        if (model.File(model.Resolve(op.Fd)) is not { } file) return call.Fail(Errno.EBADF, ClauseId.SetNonblock);
        file.Nonblocking = op.Nonblocking;
        return call.Return(0, ClauseId.SetNonblock);
    }

    /// <summary>
    /// Outcome: 0; EBADF for a descriptor that is not open. Closing a socket discards a pending corked datagram
    /// without sending it and frees its port.
    /// </summary>
    public static Outcome Close(Process model, CloseOp op)
    {
        var call = new Call();
        var number = model.Resolve(op.Fd);
        if (model.File(number) is not { } file) return call.Fail(Errno.EBADF, ClauseId.Close);
        if (file is Sock sock)
        {
            Udp.UdpPushPendingFrames.Flush(sock);
            sock.LocalPort = null;
        }
        model.Release(number);
        return call.Return(0, ClauseId.Close);
    }

    /// <summary>The socket behind a descriptor: EBADF when it is not open, ENOTSOCK when it is not a socket (both
    /// decided by <paramref name="line"/>'s caller, under the fd lookup's clause).</summary>
    public static Step<Sock> Lookup(Process model, Fd fd, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        var found = model.File(model.Resolve(fd));
        if (found is null) return Stop.Fail(Errno.EBADF, ClauseId.FdLookup, file, line, member);
        if (found is not Sock sock) return Stop.Fail(Errno.ENOTSOCK, ClauseId.FdLookup, file, line, member);
        return sock;
    }

    /// <summary>
    /// The start of bind and connect: the descriptor must be an open socket (EBADF, ENOTSOCK), the address must
    /// copy in (EINVAL, EFAULT, under <paramref name="clause"/>), and the socket must be AF_INET (a dual-stack
    /// socket's bind and connect are not modeled). Gives the socket and the address bytes.
    /// </summary>
    public static Step<(Sock Sock, byte[] Bytes)> SocketAndAddress(Process model, Fd fd, UserBuffer? address, int length, string clause)
    {
        var lookup = Lookup(model, fd);
        if (lookup.Stop is { } stop) return stop;
        var sock = lookup.Value;
        var copied = CopyAddressIn(address, length, clause);
        if (copied.Stop is { } failed) return failed;
        if (sock.Family != AddressFamily.Inet) return Stop.Unmodeled(ClauseId.Ipv6Unmodeled, $"{clause} of an AF_INET6 socket");
        return (sock, copied.Value!);
    }

    /// <summary>Copies an address argument in (move_addr_to_kernel): EINVAL for a length below 0 or above 128,
    /// EFAULT when the bytes cannot be read, under the caller's <paramref name="clause"/>. A NULL pointer or a length
    /// of 0 gives no bytes.</summary>
    public static Step<byte[]?> CopyAddressIn(UserBuffer? address, int length, string clause,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        if (length < 0 || length > Limits.AddressStorage.At) return Stop.Fail(Errno.EINVAL, clause, file, line, member);
        if (length == 0) return (byte[]?)Array.Empty<byte>();
        if (address is null || address.Readable.Length < length) return Stop.Fail(Errno.EFAULT, clause, file, line, member);
        return address.Readable[..length].ToArray();
    }
}
