using System.Buffers.Binary;
using Udpconf.Reference.Api;
using Udpconf.Reference.Socket;

namespace Udpconf.Reference.Syscall;

/// <summary>sys_sendmmsg (__sys_sendmmsg): a vector of msghdrs, each sent as sendmsg sends one.</summary>
public static class SysSendmmsg
{

    /// <summary>
    /// Outcome: the number of entries sent; the first entry's error when it fails; EBADF, ENOTSOCK for the descriptor
    /// (before anything else); EFAULT for an entry that cannot be read, when it is the first.
    /// Description: vlen is clamped to 1024 and 0 sends nothing. Each entry goes through sendmsg's path with the
    /// call's flags; once an entry after the first fails, the call returns how many were sent and the error is lost;
    /// an entry that leaves data untaken (MSG_PROBE) ends the call after it.
    /// The msg_len of each entry sent is written back: <see cref="Outcome.OptionValue"/> holds those fields, 4 bytes
    /// (little-endian) each, in order.
    /// Model details: unmodeled under a profile without <see cref="Profile.SendmmsgCall"/> (the notes' 2.6). The kernel
    /// adds MSG_BATCH to every entry but the last; UDP over IPv4 does not read it, and the model leaves it out.
    /// </summary>
    public static Outcome SendMmsg(Process model, SendMmsgOp op)
    {
        var call = new Call();
        if (!model.Profile.SendmmsgCall)
            return call.Unmodeled(ClauseId.SocketUnsupported, $"sendmmsg is not documented for profile {model.Profile.Name}");
        // spec: sys_sendmsg.compat_flag
        if (SysSendto.CompatFlag(model, call, op.Flags) is { } refused) return refused;
        // spec: sys_sendmmsg.descriptor
        var file = model.File(model.Resolve(op.Fd));
        if (file is null) return call.Fail(Errno.EBADF, ClauseId.SendmmsgDescriptor);
        if (file is not Sock sock) return call.Fail(Errno.ENOTSOCK, ClauseId.SendmmsgDescriptor);
        call.Pass(ClauseId.SendmmsgDescriptor);
        var vlen = op.Vlen;
        // spec: sys_sendmmsg.vlen_clamp
        if (vlen > Limits.MmsgVlen.At)
        {
            vlen = (uint)Limits.MmsgVlen.At;
            call.Pass(ClauseId.SendmmsgVlenClamp);
        }
        // spec: sys_sendmmsg.vlen_zero
        if (vlen == 0) return call.Return(0, ClauseId.SendmmsgVlenZero);

        var lengths = new List<byte>();
        var sent = 0;
        for (var i = 0; i < vlen; i++)
        {
            if (sock.Unmodeled is { } unmodeled) return call.Unmodeled(unmodeled.Clause, unmodeled.Why);
            Outcome entry;
            // spec: sys_sendmmsg.efault
            if (i >= op.Messages.Count) entry = call.Fail(Errno.EFAULT, ClauseId.SendmmsgFault);
            else
            {
                // spec: sys_sendmmsg.entry
                call.Pass(ClauseId.SendmmsgEntry);
                entry = SysSendto.SendHeader(model, call, sock, op.Messages[i], op.Flags);
            }
            switch (entry.Kind)
            {
                case OutcomeKind.Value:
                    sent++;
                    var field = new byte[4];
                    BinaryPrimitives.WriteUInt32LittleEndian(field, unchecked((uint)entry.Value));
                    lengths.AddRange(field);
                    // spec: sys_sendmmsg.data_left — msg_data_left(): MSG_PROBE returns the length without taking the
                    // data, and an entry that leaves data ends the call.
                    if (op.Flags.HasFlag(MsgFlags.Probe) && op.Messages[i].Iov.Sum(block => block.Length) > 0)
                        return call.Return(sent, ClauseId.SendmmsgDataLeft, lengths.ToArray());
                    continue;
                case OutcomeKind.Error when sent == 0:
                    // spec: sys_sendmmsg.first_error — the entry's own clause decides; this one is passed.
                    call.Pass(ClauseId.SendmmsgFirstError);
                    return entry with { Trace = call.Trace.ToArray() };
                case OutcomeKind.Error:
                    // spec: sys_sendmmsg.partial
                    return call.Return(sent, ClauseId.SendmmsgPartial, lengths.ToArray());
                default:
                    // Blocks, a kernel fault or an unmodeled entry: the call ends there the same way.
                    return entry;
            }
        }
        // spec: sys_sendmmsg.count
        return call.Return(sent, ClauseId.SendmmsgCount, lengths.ToArray());
    }
}
