using Udpconf.Reference.Api;
using Udpconf.Reference.Ip;

namespace Udpconf.Reference.Udp;

/// <summary>udp_push_pending_frames: the UDP header and checksum of the corked datagram, then IP's push.</summary>
public static class UdpPushPendingFrames
{
    /// <summary>
    /// Outcome: what ip_push_pending_frames gives; nothing when nothing is queued.
    /// Description: the header takes its ports from the cork and its length from the cork's counter; the
    /// checksum covers the pseudo-header, the header and every piece (0 goes out as 0xFFFF), is 0 under
    /// SO_NO_CHECK, and is left as the pseudo-header sum for a checksum-offloading device when the datagram is one
    /// buffer. Length and pending state are reset afterwards, whatever happened.
    /// Variation: current kernels take the UDP length from the queued data, so a corked MSG_PROBE does not change
    /// it, and count the OutDatagram here.
    /// </summary>
    public static Step<Nothing> Push(Net model, Call call, UdpSock sock)
    {
        // The datagram's buffers are freed by the push, whatever it gives: a MSG_ZEROCOPY range completes, queued
        // before what local delivery of the datagram queues (the loopback copies the pages first).
        // Measured as copied: a datagram handed to the TUN device, or to lo for a unicast or local destination; a group's
        // or a broadcast datagram out of lo was reported not copied (fuzz seed 1): the model does not say why, and
        // treats it as one freed before any device.
        var range = sock.Cork.Zerocopy;
        var at = call.ErrorCount;
        var emitted = call.Datagrams.Count;
        var loopedGroup = sock.Cork.Route is { Device.IsLoopback: true, Type: Host.RouteType.Multicast or Host.RouteType.Broadcast };
        var pushed = PushFrames(model, call, sock);
        if (MsgZerocopy.Complete(call, range, at, transmitted: call.Datagrams.Count > emitted && (!loopedGroup || model.Profile.LoopedGroupZerocopyCopied)) is { } unknown) return unknown;
        return pushed;
    }

    private static Step<Nothing> PushFrames(Net model, Call call, UdpSock sock)
    {
        var cork = sock.Cork;
        if (cork.Queue.Count == 0)
        {
            // spec: udp_push.empty
            call.Pass(ClauseId.PushEmpty);
            Reset(call, sock);
            return default(Nothing);
        }
        if (sock.Pending == AddressFamily.Inet6)
        {
            Reset(call, sock);
            return Stop.Unmodeled(ClauseId.Ipv6Unmodeled, "the pending datagram is an IPv6 one");
        }

        // spec: udp_push.header
        var dataLength = UdpHeaderLength + cork.Data.Count;
        var udpLength = model.Profile.UdpLengthFromCounter ? (ushort)sock.UdpLength : (ushort)dataLength;
        call.Pass(ClauseId.UdpHeader);
        if (udpLength != dataLength) call.Pass(ClauseId.ProbeLengthCounted);

        UdpChecksumMode mode;
        if (cork.GsoSize != 0)
        {
            // udp_send_skb's segmentation checks come before the checksum's choice, once the IP header (and its
            // identification) is made.
            if (UdpGso.Check(model, call, sock) is { } refused)
            {
                Reset(call, sock);
                return refused;
            }
            // spec: udp_gso.checksum — udp_send_skb leaves the checksum partial; the device, or the stack for a device
            // that does not offload checksums, finishes each segment's.
            mode = cork.Route!.Device.ChecksumOffload ? UdpChecksumMode.PseudoHeaderOnly : UdpChecksumMode.Computed;
            call.Pass(ClauseId.GsoChecksum);
        }
        else if (sock.NoCheck)
        {
            // spec: udp_push.no_check
            mode = UdpChecksumMode.Disabled;
            call.Pass(ClauseId.NoCheck);
        }
        else if (cork.Queue.Count == 1 && cork.Queue[0].HardwareChecksum)
        {
            // spec: udp_push.checksum_offload
            mode = UdpChecksumMode.PseudoHeaderOnly;
            call.Pass(ClauseId.ChecksumOffload);
        }
        else
        {
            // spec: udp_push.checksum, udp_push.checksum_zero (applied when the bytes are rendered)
            mode = UdpChecksumMode.Computed;
            call.Pass(ClauseId.Checksum);
            call.Pass(ClauseId.ChecksumZero);
        }

        var sent = IpPushPendingFrames.Push(model, call, sock, udpLength, mode);
        if (!model.Profile.OutDatagramsPerCall && sent.Stop is null && sent.Value)
            call.Count(new CounterDelta(1, 0, 0, 0));
        Reset(call, sock);
        return sent.Stop is { } stop ? stop : default(Nothing);
    }

    /// <summary>udp_flush_pending_frames: drop everything pending without sending it.</summary>
    public static void Flush(UdpSock sock)
    {
        sock.Flush();
    }

    private const int UdpHeaderLength = 8;

    // spec: udp_push.reset
    private static void Reset(Call call, UdpSock sock)
    {
        Flush(sock);
        call.Pass(ClauseId.PushReset);
    }
}
