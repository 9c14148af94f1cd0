using System.Buffers.Binary;
using Udpconf.Reference.Api;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Socket;

/// <summary>
/// Options of a current kernel that change nothing the send path does: receive-side switches and values the socket
/// only keeps (<see cref="Profile.PlainOptions"/>). What is modeled is what a caller sees: the length and value checks,
/// and what getsockopt reads back. Measured on 6.18.44 (Conformance/cases/options/), every option set to 1, 0, 2, -1,
/// 300, one and two bytes and 8 bytes and read back with 0, 1, 4 and 8 bytes.
/// </summary>
public static class PlainOptions
{
    private enum Kind
    {
        /// <summary>Any int sets it on (1) or off (0).</summary>
        Flag,
        /// <summary>A value kept as <see cref="Entry.Accept"/> says (null: refused with <see cref="Entry.Refusal"/>).</summary>
        Value,
        /// <summary>Not for an AF_INET socket: EOPNOTSUPP for set and get.</summary>
        Unsupported,
        /// <summary>SO_TIMESTAMP_OLD / SO_TIMESTAMPNS_OLD: one switch with two resolutions.</summary>
        Timestamp,
    }

    private sealed record Entry(Kind Kind, string Clause, int Initial = 0, Func<int, int?>? Accept = null, Errno Refusal = Errno.EINVAL, bool NeedsByte = false);

    private const int SoDebug = 1, SoKeepAlive = 9, SoOobInline = 10, SoPassCred = 16, SoRcvLowat = 18, SoTimestampOld = 29,
        SoPassSec = 34, SoTimestampNsOld = 35, SoRxqOvfl = 40, SoWifiStatus = 41, SoPeekOff = 42, SoSelectErrQueue = 45,
        SoIncomingCpu = 49;
    private const int IpRecvOpts = 6, IpPktInfoOption = 8, IpRecvTtl = 12, IpRecvTos = 13, IpPassSec = 18, IpMinTtl = 21,
        IpChecksum = 23, IpRecvFragSize = 25, IpRecvErrRfc4884 = 26;
    private const int UdpEncap = 100, UdpNoCheck6Tx = 101, UdpNoCheck6Rx = 102, UdpGro = 104;

    private static readonly Entry Flag = new(Kind.Flag, ClauseId.OptionsFlag);

    private static readonly Dictionary<(int Level, int Name), Entry> Table = new()
    {
        [(SolSocket, SoDebug)] = Flag, [(SolSocket, SoKeepAlive)] = Flag, [(SolSocket, SoOobInline)] = Flag,
        [(SolSocket, SoRxqOvfl)] = Flag, [(SolSocket, SoWifiStatus)] = Flag, [(SolSocket, SoSelectErrQueue)] = Flag,
        [(SolSocket, SoPassCred)] = new(Kind.Unsupported, ClauseId.OptionsUnsupported),
        [(SolSocket, SoPassSec)] = new(Kind.Unsupported, ClauseId.OptionsUnsupported),
        [(SolSocket, SoTimestampOld)] = new(Kind.Timestamp, ClauseId.OptionsTimestamp),
        [(SolSocket, SoTimestampNsOld)] = new(Kind.Timestamp, ClauseId.OptionsTimestamp),
        // sk_rcvlowat: a negative value is INT_MAX, 0 is 1.
        [(SolSocket, SoRcvLowat)] = new(Kind.Value, ClauseId.OptionsValue, 1, v => v < 0 ? int.MaxValue : v == 0 ? 1 : v),
        [(SolSocket, SoPeekOff)] = new(Kind.Value, ClauseId.OptionsValue, -1, v => v),
        [(SolSocket, SoIncomingCpu)] = new(Kind.Value, ClauseId.OptionsValue, -1, v => v),
        [(SolIp, IpRecvOpts)] = Flag, [(SolIp, IpPktInfoOption)] = Flag, [(SolIp, IpRecvTtl)] = Flag, [(SolIp, IpRecvTos)] = Flag,
        [(SolIp, IpPassSec)] = Flag, [(SolIp, IpChecksum)] = Flag, [(SolIp, IpRecvFragSize)] = Flag,
        [(SolIp, IpMinTtl)] = new(Kind.Value, ClauseId.OptionsValue, 0, v => v is >= 0 and <= 255 ? v : null, NeedsByte: true),
        [(SolIp, IpRecvErrRfc4884)] = new(Kind.Value, ClauseId.OptionsValue, 0, v => v is 0 or 1 ? v : null),
        [(SolUdp, UdpNoCheck6Tx)] = Flag, [(SolUdp, UdpNoCheck6Rx)] = Flag, [(SolUdp, UdpGro)] = Flag,
        // UDP_ENCAP: none, ESP in UDP (2, a build with XFRM) and L2TP (3); another type is ENOPROTOOPT.
        [(SolUdp, UdpEncap)] = new(Kind.Value, ClauseId.OptionsValue, 0, v => v is 0 or 2 or 3 ? v : null, Errno.ENOPROTOOPT),
    };

    public static bool Handles(Profile profile, int level, int name) => profile.PlainOptions && Table.ContainsKey((level, name));

    /// <summary>Outcome: 0, EINVAL for a SOL_SOCKET or SOL_UDP value under 4 bytes (and IP_MINTTL without a byte) or a
    /// value out of range, ENOPROTOOPT for a UDP_ENCAP type the kernel does not know, EOPNOTSUPP for SO_PASSCRED and
    /// SO_PASSSEC. SOL_IP reads an int from 4 bytes, else a byte, else 0.</summary>
    public static Outcome Set(Call call, Sock sock, SetSockOptOp op)
    {
        var entry = Table[(op.Level, op.OptName)];
        int value;
        if (op.Level == SolIp)
        {
            if (entry.NeedsByte && op.OptLen < 1) return call.Fail(Errno.EINVAL, entry.Clause);
            if (op.OptLen >= 4)
            {
                if (SocketOptions.ReadInt(op.Value) is not { } read) return call.Fail(Errno.EFAULT, entry.Clause);
                value = read;
            }
            else if (op.OptLen >= 1)
            {
                if (op.Value is null || op.Value.Readable.Length < 1) return call.Fail(Errno.EFAULT, entry.Clause);
                value = op.Value.Readable.Span[0];
            }
            else value = 0;
        }
        else
        {
            if (op.OptLen < 4) return call.Fail(Errno.EINVAL, entry.Clause);
            if (SocketOptions.ReadInt(op.Value) is not { } read) return call.Fail(Errno.EFAULT, entry.Clause);
            value = read;
        }
        switch (entry.Kind)
        {
            case Kind.Unsupported:
                // spec: options.unsupported
                return call.Fail(Errno.EOPNOTSUPP, entry.Clause);
            case Kind.Timestamp:
                // spec: options.timestamp — on: this resolution (the other is off); off: both off.
                sock.Timestamping = value == 0 ? 0 : op.OptName;
                break;
            case Kind.Flag:
                // spec: options.flag
                sock.PlainValues[(op.Level, op.OptName)] = value != 0 ? 1 : 0;
                break;
            default:
                // spec: options.value
                if (entry.Accept!(value) is not { } kept) return call.Fail(entry.Refusal, entry.Clause);
                sock.PlainValues[(op.Level, op.OptName)] = kept;
                break;
        }
        return call.Return(0, entry.Clause);
    }

    /// <summary>What getsockopt reads (an int), or null for an option it refuses (EOPNOTSUPP).</summary>
    public static int? Get(Sock sock, int level, int name)
    {
        var entry = Table[(level, name)];
        return entry.Kind switch
        {
            Kind.Unsupported => null,
            Kind.Timestamp => sock.Timestamping == name ? 1 : 0,
            _ => sock.PlainValues.TryGetValue((level, name), out var value) ? value : entry.Initial,
        };
    }

    /// <summary>The clause that decides a getsockopt of the option.</summary>
    public static string Clause(int level, int name) => Table[(level, name)].Clause;
}
