using Udpconf.Reference.Api;
using Udpconf.Reference.Ip;

namespace Udpconf.Reference.Udp;

/// <summary>udp_send_skb's checks of a datagram with a UDP segment size (current kernels: UDP GSO).</summary>
public static class UdpGso
{

    private const int IpHeaderLength = 20;
    private const int UdpHeaderLength = 8;

    /// <summary>
    /// Outcome: null when the datagram may leave; EMSGSIZE when the headers and one segment (or all the data, when
    /// less) do not fit the MTU the datagram was corked with; EINVAL for more than 128 segments, or under SO_NO_CHECK.
    /// The refused datagram is discarded, and it has already taken its IP identification: a connected socket's counter
    /// moves on. Measured on kernel 6.18.44 (MTU 1500): 1473 bytes at a size of 1473 are EMSGSIZE, 1472 at 1473 leave
    /// as one datagram, 100 at 1500 too; with 4 bytes of IP options a size of 1468 leaves 1500-byte segments; 300
    /// bytes at 1000 under SO_NO_CHECK are EINVAL.
    /// </summary>
    public static Stop? Check(Net model, Call call, UdpSock sock)
    {
        var cork = sock.Cork;
        var size = cork.GsoSize;
        var datalen = cork.Data.Count;
        var hlen = IpHeaderLength + (cork.Options?.Length ?? 0) + UdpHeaderLength;
        Stop? refused = null;
        // spec: udp_gso.segment_fits_mtu
        if (hlen + Math.Min(datalen, size) > cork.FragSize) refused = Stop.Fail(Errno.EMSGSIZE, ClauseId.GsoSegmentFitsMtu);
        else
        {
            call.Pass(ClauseId.GsoSegmentFitsMtu);
            // spec: udp_gso.max_segments
            if (datalen > size * Limits.GsoSegments.At) refused = Stop.Fail(Errno.EINVAL, ClauseId.GsoMaxSegments);
            else
            {
                call.Pass(ClauseId.GsoMaxSegments);
                // spec: udp_gso.no_check
                if (sock.NoCheck) refused = Stop.Fail(Errno.EINVAL, ClauseId.GsoNoCheck);
                else
                {
                    call.Pass(ClauseId.GsoNoCheck);
                    // spec: udp_gso.needs_offload — before 6.11 (Profile.GsoWithoutChecksumOffload) the datagram had to be
                    // CHECKSUM_PARTIAL, which only a device offloading checksums (lo among them) gives.
                    if (!model.Profile.GsoWithoutChecksumOffload && cork.Route is { Device: var device } && !device.IsLoopback && !device.ChecksumOffload)
                        refused = Stop.Fail(Errno.EIO, ClauseId.GsoNeedsOffload);
                    else if (!model.Profile.GsoWithoutChecksumOffload) call.Pass(ClauseId.GsoNeedsOffload);
                }
            }
        }
        if (refused is null) return null;
        // spec: udp_gso.ident_spent — __ip_make_skb chose the identification before udp_send_skb refused the datagram.
        IpSelectIdent.Spend(sock);
        call.Pass(ClauseId.GsoIdentSpent);
        return refused;
    }
}
