using System.Buffers.Binary;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Ip;

/// <summary>The per-send choices of udp_sendmsg (struct ipcm_cookie), with what control messages add.</summary>
public struct IpcCookie
{
    /// <summary>First the source (bound or from IP_PKTINFO), later the destination: the text's double use.</summary>
    public Ipv4Address Addr { get; set; }
    public int OutputInterface { get; set; }
    public IpOptions? Options { get; set; }
    public int? Ttl { get; set; }
    public int? Tos { get; set; }
    /// <summary>ipc.gso_size: the UDP segment size of this send (the socket's UDP_SEGMENT or a message's); 0: none.</summary>
    public int GsoSize { get; set; }
    /// <summary>ipc.sockc.mark: an SO_MARK control message's mark for this send; null: the socket's.</summary>
    public uint? Mark { get; set; }
}

/// <summary>ip_cmsg_send: the control messages of a sendmsg call.</summary>
public static class IpCmsgSend
{
    /// <summary>
    /// Outcome: null when every message was understood, else the stop. EINVAL for a message whose cmsg_len is
    /// below 16 or runs past msg_controllen, an IP_PKTINFO of the wrong size, malformed IP_RETOPTS options, or an
    /// unknown SOL_IP type.
    /// Variation: current kernels also take IP_TTL (1-255, an int) and IP_TOS (0-255, an int or a byte), and parse
    /// SOL_SOCKET messages (<see cref="SocketLevel"/>); 2.6 skips every level but SOL_IP.
    /// </summary>
    public static Stop? Parse(Net model, ReadOnlyMemory<byte> control, long controlLength, ref IpcCookie ipc)
    {
        foreach (var (message, malformed) in ControlMessages.Walk(control, controlLength))
        {
            if (malformed) return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
            var m = message!;
            if (m.Level == SolSocket && model.Profile.CmsgSocketLevel)
            {
                if (SocketLevel(model, m, ref ipc) is { } stop) return stop;
                continue;
            }
            if (m.Level != SolIp) continue;
            switch (m.Type)
            {
                case IpRetOpts:
                {
                    var length = (int)Math.Min(m.DeclaredLength - ControlMessages.HeaderLength, IpOptions.MaxLength);
                    var compiled = IpOptions.Compile(m.Data.Span[..length], model.Host.Privileged, model.Host.IsRemoteUnicast);
                    if (compiled.IsError) return Stop.Fail(compiled.Error!.Value, ClauseId.Cmsg);
                    // Options of length 0 still replace the socket's own (an empty set is not "none").
                    ipc.Options = compiled.Value ?? IpOptions.Empty;
                    break;
                }
                case IpPktInfo:
                    if (m.DeclaredLength != ControlMessages.LengthFor(12)) return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
                    // An interface index of 0 leaves the output device as it was: the bound one, if any (found by the
                    // differential machine on the live kernel: bound to a missing index, the send is still ENODEV).
                    var index = BinaryPrimitives.ReadInt32LittleEndian(m.Data.Span);
                    if (index != 0) ipc.OutputInterface = index;
                    ipc.Addr = Ipv4Address.Read(m.Data.Span[4..]);
                    break;
                case IpTtl when model.Profile.CmsgTtlTos:
                {
                    if (m.DeclaredLength != ControlMessages.LengthFor(4)) return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
                    var ttl = BinaryPrimitives.ReadInt32LittleEndian(m.Data.Span);
                    if (ttl < Limits.CmsgTtlLowest.At || ttl > Limits.CmsgTtlHighest.At) return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
                    ipc.Ttl = ttl;
                    break;
                }
                case IpTos when model.Profile.CmsgTtlTos:
                {
                    int tos;
                    if (m.DeclaredLength == ControlMessages.LengthFor(4)) tos = BinaryPrimitives.ReadInt32LittleEndian(m.Data.Span);
                    else if (m.DeclaredLength == ControlMessages.LengthFor(1)) tos = m.Data.Span[0];
                    else return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
                    if (tos < Limits.CmsgTosLowest.At || tos > Limits.CmsgTosHighest.At) return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
                    ipc.Tos = tos;
                    break;
                }
                default:
                    return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
            }
        }
        return null;
    }

    /// <summary>SOL_SOCKET control messages (__sock_cmsg_send), as measured on kernel 6.18.44 with a privileged
    /// sender: SCM_RIGHTS and SCM_CREDENTIALS are skipped whatever their length; SO_PRIORITY, SO_MARK, SO_TIMESTAMPING
    /// (old and new) and SCM_TS_OPT_ID take exactly a u32, else EINVAL; timestamping flags 0 are accepted, 0xffffffff
    /// refused; SCM_TXTIME is EINVAL (it needs SO_TXTIME, and a socket with that option is not modeled); another type
    /// is EINVAL. What the model does not follow is unmodeled: nonzero timestamping flags. SO_MARK marks this send's route lookup (policy_routing.mark_cmsg); it needs
    /// CAP_NET_RAW or CAP_NET_ADMIN, which every modeled host keeps. The other accepted messages change nothing the
    /// model emits. Version: the same probe on Debian's 6.1.192 and 6.12.107 refuses SO_PRIORITY and SCM_TS_OPT_ID
    /// messages (EINVAL) that 6.18.44 accepts: the linux profile is the newest kernel's (issue: a profile per kernel
    /// line).</summary>
    private static Stop? SocketLevel(Net model, ControlMessage m, ref IpcCookie ipc)
    {
        const int ScmRights = 1, ScmCredentials = 2, SoPriority = 12, TimestampingOld = 37, TimestampingNew = 65,
            ScmTsOptId = 79;
        var u32 = m.DeclaredLength == ControlMessages.LengthFor(4);
        var value = u32 ? BinaryPrimitives.ReadInt32LittleEndian(m.Data.Span) : 0;
        // Control messages of later kernel lines (Profile.OptionsRelease) are unknown to older ones: EINVAL. SO_PRIORITY:
        // 6.14 ("sock: support SO_PRIORITY cmsg", Anna Emese Nyiri); SCM_TS_OPT_ID: 6.13 ("net: add SCM_TS_OPT_ID for
        // individual sockets", Vadim Fedorenko). Measured: both EINVAL on 6.1.192 and 6.12.118.
        // not a limit: kernel releases (6.14, 6.13), not a call's value
        if (m.Type == SoPriority && model.Profile.OptionsRelease < 614 || m.Type == ScmTsOptId && model.Profile.OptionsRelease < 613)
            return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
        switch (m.Type)
        {
            case ScmRights or ScmCredentials:
                return null;
            case SoPriority or SoMark or TimestampingOld or TimestampingNew or ScmTsOptId when !u32:
                return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
            case SoPriority:
                // Above 6 needs CAP_NET_RAW or CAP_NET_ADMIN, which every modeled host keeps (measured: 7 from an
                // "unprivileged" host is taken on 6.18.44).
                return null;
            case SoMark:
                // CAP_NET_RAW or CAP_NET_ADMIN: every modeled host keeps CAP_NET_ADMIN (measured under "unprivileged").
                // This send's route lookup carries the message's mark (policy_routing.mark_cmsg, traced by udp_sendmsg).
                if (model.Profile.SocketMark) ipc.Mark = (uint)value;
                return null;
            case TimestampingOld or TimestampingNew:
                return value == 0 ? null : Stop.Unmodeled(ClauseId.Cmsg, "timestamping flags in a control message are not modeled");
            case ScmTsOptId:
                return null;
            default: // SCM_TXTIME (61) among them
                return Stop.Fail(Errno.EINVAL, ClauseId.Cmsg);
        }
    }
}
