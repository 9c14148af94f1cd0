using System.Buffers.Binary;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Ip;

/// <summary>The per-send choices of udp_sendmsg (struct ipcm_cookie), with what control messages add.</summary>
public sealed class IpcCookie
{
    /// <summary>First the source (bound or from IP_PKTINFO), later the destination: the text's double use.</summary>
    public Ipv4Address Addr { get; set; }
    public int OutputInterface { get; set; }
    public IpOptions? Options { get; set; }
    public int? Ttl { get; set; }
    public int? Tos { get; set; }
}

/// <summary>ip_cmsg_send: the control messages of a sendmsg call.</summary>
public static class IpCmsgSend
{
    private static readonly int[] AcceptedSocketLevelTypes = [1, 2, 12, 36, 37, 61, 65];

    /// <summary>
    /// Outcome: null when every message was understood, else the error. EINVAL for a message whose cmsg_len is
    /// below 16 or runs past msg_controllen, an IP_PKTINFO of the wrong size, malformed IP_RETOPTS options, or an
    /// unknown SOL_IP type.
    /// Variation: current kernels also take IP_TTL (1-255, an int) and IP_TOS (0-255, an int or a byte), and parse
    /// SOL_SOCKET messages (unknown types: EINVAL); 2.6 skips every level but SOL_IP.
    /// Model details: accepted SOL_SOCKET messages (SO_MARK, timestamping, SCM_TXTIME, SO_PRIORITY) change nothing
    /// the model emits.
    /// </summary>
    public static Errno? Parse(Net model, ReadOnlyMemory<byte> control, long controlLength, IpcCookie ipc)
    {
        foreach (var (message, malformed) in ControlMessages.Walk(control, controlLength))
        {
            if (malformed) return Errno.EINVAL;
            var m = message!;
            if (m.Level == SolSocket && model.Profile.CmsgSocketLevel)
            {
                if (!AcceptedSocketLevelTypes.Contains(m.Type)) return Errno.EINVAL;
                continue;
            }
            if (m.Level != SolIp) continue;
            switch (m.Type)
            {
                case IpRetOpts:
                {
                    var length = (int)Math.Min(m.DeclaredLength - ControlMessages.HeaderLength, IpOptions.MaxLength);
                    var compiled = IpOptions.Compile(m.Data.Span[..length], model.Host.Privileged);
                    if (compiled.IsError) return compiled.Error;
                    // Options of length 0 still replace the socket's own (an empty set is not "none").
                    ipc.Options = compiled.Value ?? IpOptions.Empty;
                    break;
                }
                case IpPktInfo:
                    if (m.DeclaredLength != ControlMessages.LengthFor(12)) return Errno.EINVAL;
                    ipc.OutputInterface = BinaryPrimitives.ReadInt32LittleEndian(m.Data.Span);
                    ipc.Addr = Ipv4Address.Read(m.Data.Span[4..]);
                    break;
                case IpTtl when model.Profile.CmsgTtlTos:
                {
                    if (m.DeclaredLength != ControlMessages.LengthFor(4)) return Errno.EINVAL;
                    var ttl = BinaryPrimitives.ReadInt32LittleEndian(m.Data.Span);
                    if (ttl < 1 || ttl > 255) return Errno.EINVAL;
                    ipc.Ttl = ttl;
                    break;
                }
                case IpTos when model.Profile.CmsgTtlTos:
                {
                    int tos;
                    if (m.DeclaredLength == ControlMessages.LengthFor(4)) tos = BinaryPrimitives.ReadInt32LittleEndian(m.Data.Span);
                    else if (m.DeclaredLength == ControlMessages.LengthFor(1)) tos = m.Data.Span[0];
                    else return Errno.EINVAL;
                    if (tos < 0 || tos > 255) return Errno.EINVAL;
                    ipc.Tos = tos;
                    break;
                }
                default:
                    return Errno.EINVAL;
            }
        }
        return null;
    }
}
