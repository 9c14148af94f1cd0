using Udpconf.Reference.Api;
using Udpconf.Reference.Socket;
using Udpconf.Reference.Udp;

namespace Udpconf.Reference.Syscall;

/// <summary>sys_sendto and sys_sendmsg: from a descriptor and raw user arguments to sock_sendmsg.</summary>
public static class SysSendto
{

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
        return Finish(model, call, sock, msg);
    }

    /// <summary>
    /// Outcome: as <see cref="SendTo"/>, for a msghdr. EMSGSIZE for more than 1024 blocks; a msg_namelen of 0 passes
    /// no name; EINVAL for a negative one; above 128: EINVAL in 2.6, clamped to 128 now; ENOBUFS for a
    /// msg_controllen above INT_MAX; EFAULT for control bytes that cannot be read.
    /// </summary>
    public static Outcome SendMsg(Process model, SendMsgOp op)
    {
        var call = new Call();
        // spec: sys_sendmsg.compat_flag
        if (CompatFlag(model, call, op.Flags) is { } refused) return refused;
        var file = model.File(model.Resolve(op.Fd));
        if (file is null) return call.Fail(Errno.EBADF, ClauseId.BadFd);
        if (file is not Sock sock) return call.Fail(Errno.ENOTSOCK, ClauseId.NotSocket);
        return SendHeader(model, call, sock, new MmsgEntry(op.Name, op.NameLength, op.Iov, op.Control, op.ControlLength), op.Flags);
    }

    /// <summary>The msghdr part of sendmsg (___sys_sendmsg after the descriptor lookup), for sendmsg and each entry of
    /// sendmmsg: the header's checks, then sock_sendmsg, recorded on <paramref name="call"/>.</summary>
    internal static Outcome SendHeader(Process model, Call call, Sock sock, MmsgEntry op, MsgFlags flags)
    {
        if (model.Profile.SendmsgFrontEnd) return SendHeaderNow(model, call, sock, op, flags);
        if (op.Iov.Count > Limits.IovCount.At) return call.Fail(Errno.EMSGSIZE, ClauseId.SendmsgHeader);
        call.Pass(ClauseId.SingleIov);

        // 2.6 copies msg_namelen as it is (move_addr_to_kernel: EINVAL above 128); current kernels clamp it in
        // SendHeaderNow.
        var nameLength = op.NameLength;
        if (CopyName(call, op.Name, nameLength, out var name) is { } stop) return call.Finish(stop);

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
        return Finish(model, call, sock, msg);
    }

    /// <summary>MSG_CMSG_COMPAT (bit 31) among a 64-bit caller's flags: EINVAL before the descriptor is looked up
    /// (__sys_sendmsg and __sys_sendmmsg with forbid_cmsg_compat); null when the call goes on.</summary>
    internal static Outcome? CompatFlag(Process model, Call call, MsgFlags flags)
    {
        if (!model.Profile.SendmsgFrontEnd) return null;
        if (((uint)flags & CmsgCompat) != 0) return call.Fail(Errno.EINVAL, ClauseId.SendmsgCompatFlag);
        call.Pass(ClauseId.SendmsgCompatFlag);
        return null;
    }

    private const uint CmsgCompat = 0x80000000;
    /// <summary>MAX_RW_COUNT: INT_MAX rounded down to a page.</summary>
    private const long MaxRwCount = 0x7ffff000;
    /// <summary>The msghdr's name copied in (move_addr_to_kernel): none for a length of 0.</summary>
    private static Stop? CopyName(Call call, UserBuffer? buffer, int nameLength, out byte[]? name)
    {
        name = null;
        if (nameLength == 0)
        {
            call.Pass(ClauseId.NoAddr);
            return null;
        }
        var copied = SocketCalls.CopyAddressIn(buffer, nameLength, ClauseId.AddrCopy);
        if (copied.Stop is { } stop) return stop;
        name = copied.Value;
        return null;
    }

    /// <summary>The on-stack control buffer of ____sys_sendmsg: sizeof(struct cmsghdr) + 20 (x86-64: 36 bytes).</summary>
    private const long StackControl = 16 + 20;
    /// <summary>More than a pending MSG_ZEROCOPY range's notification buffer (an empty skb's truesize) holds of the
    /// option memory.</summary>
    private const long ZerocopyOptionMemoryBound = 4096;

    /// <summary>The msghdr checks of a current kernel, in its order: __copy_msghdr (msg_namelen, the name,
    /// msg_iovlen), import_iovec (the array, each length, access_ok, the MAX_RW_COUNT clamp), ____sys_sendmsg (the
    /// control buffer), then sock_sendmsg. Model details: the socket's sk_omem_alloc is what its multicast memberships
    /// hold (<see cref="MulticastMembership.OptionMemory"/>; the other holders, source filters and socket filters, are
    /// not modeled), so a control buffer of 131072 bytes less that, or more, is refused.</summary>
    private static Outcome SendHeaderNow(Process model, Call call, Sock sock, MmsgEntry op, MsgFlags flags)
    {
        call.Pass(ClauseId.SingleIov);
        // spec: sys_sendmsg.namelen
        var nameLength = op.Name is null ? 0 : op.NameLength;
        if (nameLength < 0) return call.Fail(Errno.EINVAL, ClauseId.SendmsgNameLength);
        nameLength = Math.Min(nameLength, Api.SockAddr.MaxLength);
        call.Pass(ClauseId.SendmsgNameLength);
        if (CopyName(call, op.Name, nameLength, out var name) is { } stop) return call.Finish(stop);

        // spec: sys_sendmsg.iovlen
        if (op.Iov.Count > Limits.IovCount.At) return call.Fail(Errno.EMSGSIZE, ClauseId.SendmsgIovLength);
        call.Pass(ClauseId.SendmsgIovLength);

        // spec: sys_sendmsg.iov_read — the array is copied entry by entry; a length negative as ssize_t stops it
        foreach (var block in op.Iov)
            if (block.Length < 0) return call.Fail(Errno.EINVAL, ClauseId.SendmsgIovRead);
        if (op.Iov.Count > 0) call.Pass(ClauseId.SendmsgIovRead);

        // spec: sys_sendmsg.iov_range — one entry is clamped before access_ok, several are checked unclamped: base +
        // length past the top of user space is EFAULT (UserMemory). Every failure is the same EFAULT, so any entry
        // that surely fails decides; one that depends on where the target mapped it leaves the call unmodeled.
        // A single entry is clamped first since 6.4 (Profile.SingleIovAsUbuf).
        if (op.Iov.Count > 1 || !model.Profile.SingleIovAsUbuf)
        {
            var undecided = false;
            foreach (var block in op.Iov)
            {
                var passes = UserMemory.AccessOk(block);
                if (passes == false) return call.Fail(Errno.EFAULT, ClauseId.SendmsgIovRange);
                undecided |= passes is null;
            }
            if (undecided)
                return call.Unmodeled(ClauseId.SendmsgIovRange, "an entry whose end may be past the top of user space or not, by where the target mapped it");
        }
        long total = 0;
        foreach (var block in op.Iov) total += Math.Min(block.Length, MaxRwCount - total);
        if (op.Iov.Count > 0) call.Pass(ClauseId.SendmsgIovRange);

        // spec: sys_sendmsg.control_length
        if (op.ControlLength > int.MaxValue || op.ControlLength < 0) return call.Fail(Errno.ENOBUFS, ClauseId.SendmsgControlLength);
        var control = ReadOnlyMemory<byte>.Empty;
        if (op.ControlLength > 0)
        {
            call.Pass(ClauseId.SendmsgControlLength);
            // spec: sys_sendmsg.control_alloc
            if (op.ControlLength > StackControl)
            {
                // A pending MSG_ZEROCOPY range holds its notification buffer (sock_omalloc) in the option memory too:
                // how much is not modeled, so a length near the limit is not answered then.
                if (sock.Cork.Zerocopy is not null && op.ControlLength + MulticastMembership.OptionMemory(sock) >= model.Profile.OptmemMax - ZerocopyOptionMemoryBound)
                    return call.Unmodeled(ClauseId.SendmsgControlAlloc, "a control buffer near optmem_max while a MSG_ZEROCOPY range is pending: the option memory its notification buffer holds is not modeled");
                if (op.ControlLength + MulticastMembership.OptionMemory(sock) >= model.Profile.OptmemMax) return call.Fail(Errno.ENOBUFS, ClauseId.SendmsgControlAlloc);
                call.Pass(ClauseId.SendmsgControlAlloc);
            }
            // spec: sys_sendmsg.control_copy
            if (op.Control is null || op.Control.Readable.Length < op.ControlLength) return call.Fail(Errno.EFAULT, ClauseId.SendmsgControlCopy);
            call.Pass(ClauseId.SendmsgControlCopy);
            control = op.Control.Readable[..(int)op.ControlLength];
        }
        var msg = new KernelMsg(name, nameLength, op.Iov, control, op.ControlLength, WithNonblock(call, sock, flags), total);
        return Finish(model, call, sock, msg);
    }

    private static MsgFlags WithNonblock(Call call, Sock sock, MsgFlags flags)
    {
        if (!sock.Nonblocking) return flags;
        // spec: sys_sendto.nonblock
        call.Pass(ClauseId.Nonblock);
        return flags | MsgFlags.DontWait;
    }

    // spec: sys_sendto.result — the call returns what the protocol's send returned; the deciding clause stays.
    private static Outcome Finish(Process model, Call call, Sock sock, KernelMsg msg)
    {
        call.CloseWith(ClauseId.SysResult);
        var outcome = SockSendmsg.Send(model, call, sock, msg);
        ClauseSite.Decided(ClauseId.SysResult);
        return outcome;
    }
}
