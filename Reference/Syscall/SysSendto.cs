using Udpconf.Reference.Api;
using Udpconf.Reference.Socket;
using Udpconf.Reference.Udp;

namespace Udpconf.Reference.Syscall;

/// <summary>sys_sendto and sys_sendmsg: from a descriptor and raw user arguments to sock_sendmsg.</summary>
public static class SysSendto
{
    private const int UioMaxIov = 1024;

    /// <summary>
    /// Outcome: what the protocol's send returns. EBADF for a descriptor that is not open, ENOTSOCK for one that is
    /// not a socket, EINVAL for an address length below 0 or above 128, EFAULT for an address that cannot be read.
    /// Description: one data block, no control messages; a NULL address passes no name down (a non-NULL one of
    /// length 0 passes an empty name); O_NONBLOCK adds MSG_DONTWAIT.
    /// </summary>
    public static Outcome SendTo(Process model, SendToOp op)
    {
        var call = new Call();
        var file = model.File(model.Resolve(op.Fd));
        // spec: sys_sendto.bad_fd
        if (file is null) return call.Fail(Errno.EBADF, ClauseId.BadFd);
        // spec: sys_sendto.not_socket
        if (file is not Sock sock) return call.Fail(Errno.ENOTSOCK, ClauseId.NotSocket);
        // spec: sys_sendto.single_iov, sys_sendto.no_control
        call.Pass(ClauseId.SingleIov);
        call.Pass(ClauseId.NoControl);
        byte[]? name = null;
        var nameLength = 0;
        if (op.Address is not null)
        {
            // spec: sys_sendto.addr_copy
            var copied = SocketCalls.CopyAddressIn(op.Address, op.AddressLength, ClauseId.AddrCopy);
            if (copied.Stop is { } stop) return call.Finish(stop);
            call.Pass(ClauseId.AddrCopy);
            name = copied.Value;
            nameLength = op.AddressLength;
        }
        else
        {
            // spec: sys_sendto.no_addr
            call.Pass(ClauseId.NoAddr);
        }
        var msg = new KernelMsg(name, nameLength, [op.Data], ReadOnlyMemory<byte>.Empty, 0, WithNonblock(call, sock, op.Flags), op.Data.Length);
        return Finish(call, SockSendmsg.Send(model, call, sock, msg));
    }

    /// <summary>
    /// Outcome: as <see cref="SendTo"/>, for a msghdr. EMSGSIZE for more than 1024 blocks; a msg_namelen of 0 passes
    /// no name; EINVAL for a negative one; above 128: EINVAL in 2.6, clamped to 128 now; ENOBUFS for a
    /// msg_controllen above INT_MAX; EFAULT for control bytes that cannot be read.
    /// </summary>
    public static Outcome SendMsg(Process model, SendMsgOp op)
    {
        var call = new Call();
        var file = model.File(model.Resolve(op.Fd));
        if (file is null) return call.Fail(Errno.EBADF, ClauseId.BadFd);
        if (file is not Sock sock) return call.Fail(Errno.ENOTSOCK, ClauseId.NotSocket);
        return SendHeader(model, call, sock, new MmsgEntry(op.Name, op.NameLength, op.Iov, op.Control, op.ControlLength), op.Flags);
    }

    /// <summary>The msghdr part of sendmsg (___sys_sendmsg after the descriptor lookup), for sendmsg and each entry of
    /// sendmmsg: the header's checks, then sock_sendmsg, recorded on <paramref name="call"/>.</summary>
    internal static Outcome SendHeader(Process model, Call call, Sock sock, MmsgEntry op, MsgFlags flags)
    {
        if (op.Iov.Count > UioMaxIov) return call.Fail(Errno.EMSGSIZE, ClauseId.SendmsgHeader);
        call.Pass(ClauseId.SingleIov);

        var nameLength = op.NameLength;
        if (model.Profile.SendmsgClampsNameLength)
        {
            if (op.Name is null) nameLength = 0;
            if (nameLength < 0) return call.Fail(Errno.EINVAL, ClauseId.SendmsgHeader);
            nameLength = Math.Min(nameLength, Api.SockAddr.MaxLength);
        }
        byte[]? name = null;
        if (nameLength != 0)
        {
            var copied = SocketCalls.CopyAddressIn(op.Name, nameLength, ClauseId.AddrCopy);
            if (copied.Stop is { } stop) return call.Finish(stop);
            name = copied.Value;
        }
        else
        {
            call.Pass(ClauseId.NoAddr);
        }

        long total = 0;
        foreach (var block in op.Iov)
        {
            if (block.Length < 0) return call.Fail(Errno.EINVAL, ClauseId.SendmsgHeader);
            total += block.Length;
        }
        if (total > int.MaxValue) return call.Fail(Errno.EMSGSIZE, ClauseId.SendmsgHeader);

        if (op.ControlLength > int.MaxValue || op.ControlLength < 0) return call.Fail(Errno.ENOBUFS, ClauseId.SendmsgHeader);
        var control = ReadOnlyMemory<byte>.Empty;
        if (op.ControlLength > 0)
        {
            if (op.Control is null || op.Control.Readable.Length < op.ControlLength) return call.Fail(Errno.EFAULT, ClauseId.SendmsgHeader);
            control = op.Control.Readable[..(int)op.ControlLength];
        }
        var msg = new KernelMsg(name, nameLength, op.Iov, control, op.ControlLength, WithNonblock(call, sock, flags), total);
        return Finish(call, SockSendmsg.Send(model, call, sock, msg));
    }

    private static MsgFlags WithNonblock(Call call, Sock sock, MsgFlags flags)
    {
        if (!sock.Nonblocking) return flags;
        // spec: sys_sendto.nonblock
        call.Pass(ClauseId.Nonblock);
        return flags | MsgFlags.DontWait;
    }

    // spec: sys_sendto.result — the call returns what the protocol's send returned; the deciding clause stays.
    private static Outcome Finish(Call call, Outcome outcome)
    {
        ClauseSite.Decided(ClauseId.SysResult);
        return outcome with { Trace = outcome.Trace.Contains(ClauseId.SysResult) ? outcome.Trace : [.. outcome.Trace, ClauseId.SysResult] };
    }
}
