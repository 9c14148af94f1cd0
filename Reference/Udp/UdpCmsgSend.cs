using System.Buffers.Binary;
using Udpconf.Reference.Api;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Udp;

/// <summary>udp_cmsg_send (current kernels, Profile.CmsgUdpLevel): the SOL_UDP control messages, read before
/// ip_cmsg_send sees the others.</summary>
public static class UdpCmsgSend
{
    /// <summary>
    /// Outcome: the GSO segment size a UDP_SEGMENT message sets (null: none; 0 turns the socket's off for this send). EINVAL for a malformed message, a SOL_UDP message of
    /// another type than UDP_SEGMENT, or a UDP_SEGMENT whose data is not a u16. Measured on kernel 6.18.44: a 4-byte
    /// UDP_SEGMENT and SOL_UDP types 0-127 with 4 bytes are EINVAL; a 2-byte UDP_SEGMENT of 0 or 500 sends 10 bytes
    /// as one datagram, and 1200 bytes at 500 as three.
    /// </summary>
    /// <returns>The segment size, and whether a message of another level is there for ip_cmsg_send (udp_cmsg_send's
    /// need_ip: without one, ip_cmsg_send is not called and a connected socket stays connected for the route).</returns>
    public static Step<(int? GsoSize, bool NeedIp)> Parse(ReadOnlyMemory<byte> control, long controlLength)
    {
        int? gso = null;
        var needIp = false;
        foreach (var (message, malformed) in ControlMessages.Walk(control, controlLength))
        {
            if (malformed) return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
            if (message!.Level != SolUdp)
            {
                needIp = true;
                continue;
            }
            // spec: udp_gso.cmsg
            if (message.Type != UdpSegment || message.DeclaredLength != ControlMessages.LengthFor(2)) return Stop.Fail(Errno.EINVAL, ClauseId.GsoCmsg);
            gso = BinaryPrimitives.ReadUInt16LittleEndian(message.Data.Span);
        }
        return (gso, needIp);
    }
}
