using Udpconf.Reference.Api;

namespace Udpconf.Reference.Ip;

/// <summary>
/// MSG_ZEROCOPY on a UDP socket with SO_ZEROCOPY (current kernels, <see cref="Profile.Zerocopy"/>): the id each send
/// takes (msg_zerocopy_realloc, in __ip_append_data) and the completion queued on the error queue when the datagram's
/// buffers are freed (__msg_zerocopy_callback). Measured on 6.18.44 (Conformance/cases/zerocopy/).
/// </summary>
public static class MsgZerocopy
{
    /// <summary>Whether this append follows MSG_ZEROCOPY: the flag, on a socket with SO_ZEROCOPY, with something to
    /// append (<paramref name="length"/>, the UDP header counted for a datagram's first piece), not MSG_PROBE.</summary>
    public static bool Requested(Profile profile, Call call, InetSock sock, MsgFlags flags, int length)
    {
        if (!profile.Zerocopy || !flags.HasFlag(MsgFlags.Zerocopy)) return false;
        // spec: zerocopy.ignored — without SO_ZEROCOPY the flag is ignored; MSG_PROBE appends nothing (ip_append_data,
        // ip_make_skb return first), nor does a 0-byte piece appended to a pending datagram (length 0).
        call.Pass(ClauseId.ZerocopyIgnored);
        return sock.Zerocopy && !flags.HasFlag(MsgFlags.Probe) && length > 0;
    }

    /// <summary>
    /// The append succeeded: it holds the socket's next id. The pending datagram's range is extended, else a new
    /// range begins (a datagram pending from sends without the flag gets one too). An append that failed gave its id
    /// back (msg_zerocopy_put_abort): callers call this only after a successful one.
    /// </summary>
    public static void Take(Call call, InetSock sock, bool appendedToPending, int buffersBefore)
    {
        var cork = sock.Cork;
        var device = cork.Route?.Device;
        // lo finishes checksums and takes scatter-gather too (NETIF_F_HW_CSUM, NETIF_F_SG).
        var mayPin = device is { IsLoopback: true } or { ChecksumOffload: true, ScatterGather: true };
        var id = sock.ZerocopyKey;
        sock.ZerocopyKey = unchecked(id + 1);
        // spec: zerocopy.id — sk_zckey counts per socket from 0, one id per send that appended data.
        call.Pass(ClauseId.ZerocopyId);
        // spec: zerocopy.corked — pieces of one pending datagram extend one range; the first MSG_ZEROCOPY piece of a
        // datagram pending from sends without the flag begins it.
        if (appendedToPending) call.Pass(ClauseId.ZerocopyCorked);
        // msg_zerocopy_realloc extends the ubuf_info of the buffer at the queue's tail; a piece without the flag that
        // began a new buffer since leaves none there, and a second one begins (found by the differential machine, seed
        // 3): not followed.
        cork.Zerocopy = cork.Zerocopy is { } range && range.Last + 1 == id
            ? range with
            {
                Count = range.Count + 1, MayBeZerocopy = range.MayBeZerocopy || mayPin, Buffers = cork.Queue.Count,
                Split = range.Split || range.Buffers != buffersBefore,
            }
            : new ZerocopyRange(id, 1, mayPin, cork.Queue.Count);
    }

    /// <summary>
    /// The pending datagram's buffers are freed (pushed, or flushed): its range, if any, is completed, queued at
    /// <paramref name="at"/> (the error-queue position when the buffers were freed, before what local delivery of the
    /// datagram queued). <paramref name="transmitted"/>: it reached a device or lo, which copy the pages of a
    /// zerocopy buffer (skb_orphan_frags_rx) before the completion. Null, or the unmodeled stop when whether the data
    /// was copied is not known: a buffer that may hold pinned pages freed without reaching a device.
    /// </summary>
    public static Stop? Complete(Call call, ZerocopyRange? range, int at, bool transmitted)
    {
        if (range is null) return null;
        // spec: zerocopy.completion
        call.Pass(ClauseId.ZerocopyCompletion);
        if (range.Split)
            return Stop.Unmodeled(ClauseId.ZerocopyCompletion,
                "a corked datagram whose MSG_ZEROCOPY pieces were parted by a buffer without one: two ubuf_info, completed in an order not modeled");
        if (range.MayBeZerocopy && !transmitted)
            return Stop.Unmodeled(ClauseId.ZerocopyCompletion,
                "a MSG_ZEROCOPY datagram on a device that takes checksums, freed before any device: whether its pages were pinned (SO_EE_CODE_ZEROCOPY_COPIED unset) is not modeled");
        // spec: zerocopy.coalesce — applied by Call.QueueZerocopy.
        call.Pass(ClauseId.ZerocopyCoalesce);
        call.QueueZerocopy(at, range.First, range.Last, copied: true);
        return null;
    }
}
