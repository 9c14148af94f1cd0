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
        /// <summary>SO_TIMESTAMP / SO_TIMESTAMPNS, old and new: one switch, four forms.</summary>
        Timestamp,
        /// <summary>Accepted and forgotten: reads 0 (SO_BSDCOMPAT).</summary>
        Ignored,
        /// <summary>A flag that, once on, cannot be turned off (EPERM): SO_LOCK_FILTER.</summary>
        Lock,
        /// <summary>A value getsockopt does not know (ENOPROTOOPT): SO_BUSY_POLL_BUDGET.</summary>
        SetOnly,
        /// <summary>SO_RESERVE_MEM: a negative value is EINVAL, any other EOPNOTSUPP (UDP accounts no memory); reads 0.</summary>
        ReserveMemory,
        /// <summary>sk_priority, which IP_TOS also sets (<see cref="TosPriority"/>).</summary>
        Priority,
        /// <summary>SO_MAX_PACING_RATE: an unsigned long, read as 8 bytes or, with fewer, capped at 2^32-1.</summary>
        PacingRate,
        /// <summary>IP_LOCAL_PORT_RANGE: exactly 4 bytes, low | high &lt;&lt; 16, both set and low above high EINVAL.</summary>
        PortRange,
    }

    /// <param name="Since">The kernel line (major × 100 + minor) that first knows the option: an older one
    /// (<see cref="Profile.OptionsRelease"/>) answers ENOPROTOOPT.</param>
    /// <param name="Restricted">One of the options a UDP socket refuses (EOPNOTSUPP) under
    /// <see cref="Profile.PassOptionsRestricted"/>; before, it is a switch (or, SO_TXREHASH, a value).</param>
    private sealed record Entry(Kind Kind, string Clause, int Initial = 0, Func<int, int?>? Accept = null, Errno Refusal = Errno.EINVAL, bool NeedsByte = false,
        int Since = 0, bool Restricted = false);

    private const int SoDebug = 1, SoKeepAlive = 9, SoOobInline = 10, SoPassCred = 16, SoRcvLowat = 18, SoTimestampOld = 29,
        SoPassSec = 34, SoTimestampNsOld = 35, SoRxqOvfl = 40, SoWifiStatus = 41, SoPeekOff = 42, SoSelectErrQueue = 45,
        SoIncomingCpu = 49, SoPriority = 12, SoBsdCompat = 14, SoNoFcs = 43, SoLockFilter = 44, SoBusyPoll = 46,
        SoMaxPacingRate = 47, SoTimestampNew = 63, SoTimestampNsNew = 64, SoPreferBusyPoll = 69, SoBusyPollBudget = 70,
        SoReserveMem = 73, SoTxRehash = 74, SoRcvMark = 75, SoPassPidFd = 76, SoRcvPriority = 82, SoPassRights = 83;
    private const int IpRecvOpts = 6, IpPktInfoOption = 8, IpRecvTtl = 12, IpRecvTos = 13, IpPassSec = 18,
        IpChecksum = 23, IpRecvFragSize = 25, IpRecvErrRfc4884 = 26, IpRetOptsOption = 7, IpRecvOrigDstAddr = 20;
    private const int UdpEncap = 100, UdpNoCheck6Tx = 101, UdpNoCheck6Rx = 102, UdpGro = 104;

    private static readonly Entry Flag = new(Kind.Flag, ClauseId.OptionsFlag);

    /// <summary>UDP_ENCAP_ESPINUDP_NON_IKE, taken until "xfrm: remove UDP_ENCAP_ESPINUDP_NON_IKE" removed it; measured:
    /// taken on 6.1.192, ENOPROTOOPT on 6.12.118 and 6.18.44 (the first line without it is not measured: 6.12 is the
    /// boundary the model knows).</summary>
    private const int EspInUdpNonIke = 1, EspInUdpNonIkeRemoved = 612;

    private static readonly Dictionary<(int Level, int Name), Entry> Table = new()
    {
        // SO_REUSEADDR and SO_REUSEPORT: switches that bind reads (options.reuse, InetBind).
        [(SolSocket, 2)] = Flag, [(SolSocket, 15)] = Flag,
        [(SolSocket, SoDebug)] = Flag, [(SolSocket, SoKeepAlive)] = Flag, [(SolSocket, SoOobInline)] = Flag,
        [(SolSocket, SoRxqOvfl)] = Flag, [(SolSocket, SoWifiStatus)] = Flag, [(SolSocket, SoSelectErrQueue)] = Flag,
        // Switches nothing reads on a UDP socket until 6.16 refused them (Profile.PassOptionsRestricted). SO_TXREHASH was
        // a value: -1 to 1, -1 (255, SOCK_TXREHASH_DEFAULT) taking net.core.txrehash (1), which it starts with.
        [(SolSocket, SoPassCred)] = Flag with { Restricted = true },
        [(SolSocket, SoPassSec)] = Flag with { Restricted = true },
        [(SolSocket, SoTxRehash)] = new(Kind.Value, ClauseId.OptionsValue, 1, v => v is < -1 or > 1 ? null : v == -1 ? 1 : v, Restricted: true),
        // SO_PASSPIDFD: 6.5 ("af_unix: Add SO_PASSPIDFD", Alexander Mikhalitsyn); SO_PASSRIGHTS: 6.16 ("af_unix: Introduce
        // SO_PASSRIGHTS", Kuniyuki Iwashima), refused on UDP from the start.
        [(SolSocket, SoPassPidFd)] = Flag with { Restricted = true, Since = 605 },
        [(SolSocket, SoPassRights)] = new(Kind.Unsupported, ClauseId.OptionsUnsupported, Since: 616),
        [(SolSocket, SoNoFcs)] = Flag, [(SolSocket, SoPreferBusyPoll)] = Flag, [(SolSocket, SoRcvMark)] = Flag,
        // SO_RCVPRIORITY: 6.14 ("sock: Introduce SO_RCVPRIORITY socket option", Anna Emese Nyiri).
        [(SolSocket, SoRcvPriority)] = Flag with { Since = 614 },
        [(SolSocket, SoBsdCompat)] = new(Kind.Ignored, ClauseId.OptionsFlag),
        [(SolSocket, SoLockFilter)] = new(Kind.Lock, ClauseId.OptionsFlag),
        [(SolSocket, SoBusyPoll)] = new(Kind.Value, ClauseId.OptionsValue, 0, v => v >= 0 ? v : null),
        [(SolSocket, SoBusyPollBudget)] = new(Kind.SetOnly, ClauseId.OptionsValue, 0, v => v is >= 0 and <= ushort.MaxValue ? v : null),
        [(SolSocket, SoBufLock)] = new(Kind.Value, ClauseId.OptionsValue, 0, v => v >= 0 && v <= Limits.BufLockHighest.At ? v : null),
        [(SolSocket, SoReserveMem)] = new(Kind.ReserveMemory, ClauseId.OptionsValue),
        [(SolSocket, SoPriority)] = new(Kind.Priority, ClauseId.OptionsValue),
        [(SolSocket, SoMaxPacingRate)] = new(Kind.PacingRate, ClauseId.OptionsValue),
        [(SolSocket, SoTimestampNew)] = new(Kind.Timestamp, ClauseId.OptionsTimestamp),
        [(SolSocket, SoTimestampNsNew)] = new(Kind.Timestamp, ClauseId.OptionsTimestamp),
        [(SolIp, IpRetOptsOption)] = Flag, [(SolIp, IpRecvOrigDstAddr)] = Flag,
        // Switches that bind and the route lookup read (InetSock.FreeBind, InetSock.Transparent). IP_TRANSPARENT needs
        // CAP_NET_RAW or CAP_NET_ADMIN, which every modeled host keeps.
        [(SolIp, IpFreeBind)] = new(Kind.Flag, ClauseId.NonlocalBind),
        [(SolIp, IpTransparent)] = new(Kind.Flag, ClauseId.NonlocalSource),
        // Switches and values that bind and autobind read (InetSock.BindAddressNoPort, InetSock.LocalPortRange).
        [(SolIp, IpBindAddressNoPort)] = new(Kind.Flag, ClauseId.EphemeralNoPort),
        [(SolIp, IpLocalPortRange)] = new(Kind.PortRange, ClauseId.EphemeralRange),
        [(SolSocket, SoTimestampOld)] = new(Kind.Timestamp, ClauseId.OptionsTimestamp),
        [(SolSocket, SoTimestampNsOld)] = new(Kind.Timestamp, ClauseId.OptionsTimestamp),
        // sk_rcvlowat: a negative value is INT_MAX, 0 is 1.
        [(SolSocket, SoRcvLowat)] = new(Kind.Value, ClauseId.OptionsValue, 1, v => v < 0 ? int.MaxValue : v == 0 ? 1 : v),
        [(SolSocket, SoPeekOff)] = new(Kind.Value, ClauseId.OptionsValue, -1, v => v),
        [(SolSocket, SoIncomingCpu)] = new(Kind.Value, ClauseId.OptionsValue, -1, v => v),
        [(SolIp, IpRecvOpts)] = Flag, [(SolIp, IpPktInfoOption)] = Flag, [(SolIp, IpRecvTtl)] = Flag, [(SolIp, IpRecvTos)] = Flag,
        [(SolIp, IpPassSec)] = Flag, [(SolIp, IpChecksum)] = Flag, [(SolIp, IpRecvFragSize)] = Flag,
        [(SolIp, IpMinTtl)] = new(Kind.Value, ClauseId.OptionsValue, 0, v => v >= 0 && v <= Limits.MinTtlHighest.At ? v : null, NeedsByte: true),
        [(SolIp, IpRecvErrRfc4884)] = new(Kind.Value, ClauseId.OptionsValue, 0, v => v is 0 or 1 ? v : null),
        [(SolUdp, UdpNoCheck6Tx)] = Flag, [(SolUdp, UdpNoCheck6Rx)] = Flag, [(SolUdp, UdpGro)] = Flag,
        // UDP_ENCAP: none, ESP in UDP (2, a build with XFRM) and L2TP (3); another type is ENOPROTOOPT. Kernel lines
        // before 6.12 also take 1, UDP_ENCAP_ESPINUDP_NON_IKE (EspInUdpNonIke).
        [(SolUdp, UdpEncap)] = new(Kind.Value, ClauseId.OptionsValue, 0, v => v is 0 or 2 or 3 ? v : null, Errno.ENOPROTOOPT),
    };

    public static bool Handles(Profile profile, int level, int name) =>
        profile.PlainOptions && Table.TryGetValue((level, name), out var entry) && entry.Since <= profile.OptionsRelease;

    /// <summary>The entry as <paramref name="profile"/> has it: a restricted option that is not refused yet is what it
    /// was before.</summary>
    private static Entry For(Profile profile, int level, int name)
    {
        var entry = Table[(level, name)];
        return entry.Restricted && profile.PassOptionsRestricted ? new Entry(Kind.Unsupported, ClauseId.OptionsUnsupported) : entry;
    }

    /// <summary>getsockopt knows the option (all but the set-only ones).</summary>
    public static bool HandlesGet(Profile profile, int level, int name) =>
        Handles(profile, level, name) && Table[(level, name)].Kind != Kind.SetOnly;

    /// <summary>rt_tos2priority: the priority IP_TOS gives the socket (ip_tos2prio by the TOS bits: best effort 0,
    /// bulk 2, interactive 6, interactive bulk 4). Measured on 6.18.44: 0x10 gives 6, 0x08 2, 0x1f 4, 0x04 0.</summary>
    public static int TosPriority(byte tos) => ((tos & 0x1E) >> 1) switch
    {
        // not a limit: rt_tos2priority's table of the TOS bits
        >= 4 and <= 7 => 2,
        >= 8 and <= 11 => 6,
        >= 12 => 4,
        _ => 0,
    };

    /// <summary>Outcome: 0, EINVAL for a SOL_SOCKET or SOL_UDP value under 4 bytes (and IP_MINTTL without a byte) or a
    /// value out of range, ENOPROTOOPT for a UDP_ENCAP type the kernel does not know, EOPNOTSUPP for SO_PASSCRED and
    /// SO_PASSSEC. SOL_IP reads an int from 4 bytes, else a byte, else 0.</summary>
    public static Outcome Set(Profile profile, Call call, Sock sock, SetSockOptOp op)
    {
        var entry = For(profile, op.Level, op.OptName);
        if (entry.Kind == Kind.PacingRate) return SetPacingRate(call, sock, op, entry.Clause);
        if (op.Level == SolIp && entry.NeedsByte && op.OptLen < 1) return call.Fail(Errno.EINVAL, entry.Clause);
        var unread = op.Level == SolIp ? SocketOptions.ReadIpValue(op, out var value) : SocketOptions.ReadSocketInt(op, out value);
        if (unread is { } bad) return call.Fail(bad, entry.Clause);
        switch (entry.Kind)
        {
            case Kind.Unsupported:
                // spec: options.unsupported
                return call.Fail(Errno.EOPNOTSUPP, entry.Clause);
            case Kind.Timestamp:
                // spec: options.timestamp — on: this form (the others are off); off: all off.
                sock.Timestamping = value == 0 ? 0 : op.OptName;
                break;
            case Kind.Ignored:
                break;
            case Kind.Lock:
                if (value == 0 && sock.PlainValues.GetValueOrDefault((op.Level, op.OptName)) == 1) return call.Fail(Errno.EPERM, entry.Clause);
                sock.PlainValues[(op.Level, op.OptName)] = value != 0 ? 1 : 0;
                break;
            case Kind.ReserveMemory:
                return call.Fail(value < 0 ? Errno.EINVAL : Errno.EOPNOTSUPP, entry.Clause);
            case Kind.PortRange:
            {
                // spec: ephemeral.range
                var (low, high) = (value & 0xFFFF, (int)((uint)value >> 16));
                if (op.OptLen != 4 || low != 0 && high != 0 && low > high) return call.Fail(Errno.EINVAL, entry.Clause);
                sock.PlainValues[(op.Level, op.OptName)] = value;
                break;
            }
            case Kind.Priority:
                // Any priority: above 6 needs CAP_NET_RAW or CAP_NET_ADMIN, which every modeled host keeps.
                sock.Priority = value;
                break;
            case Kind.Flag:
                // spec: options.flag
                sock.PlainValues[(op.Level, op.OptName)] = value != 0 ? 1 : 0;
                break;
            default:
                // spec: options.value
                if (op.Level == SolUdp && op.OptName == UdpEncap && value == EspInUdpNonIke && profile.OptionsRelease < EspInUdpNonIkeRemoved)
                {
                    sock.PlainValues[(op.Level, op.OptName)] = value;
                    break;
                }
                if (entry.Accept!(value) is not { } kept) return call.Fail(entry.Refusal, entry.Clause);
                sock.PlainValues[(op.Level, op.OptName)] = kept;
                break;
        }
        return call.Return(0, entry.Clause);
    }

    /// <summary>SO_MAX_PACING_RATE: 8 bytes or more are an unsigned long; 4 to 7 an unsigned int, ~0U meaning no limit
    /// (~0UL); fewer EINVAL.</summary>
    private static Outcome SetPacingRate(Call call, Sock sock, SetSockOptOp op, string clause)
    {
        // not a limit: SO_MAX_PACING_RATE's layouts, an unsigned int from 4 bytes or an unsigned long from 8 (options/priority_pacing_linux)
        if (op.OptLen < 4) return call.Fail(Errno.EINVAL, clause);
        var size = op.OptLen >= 8 ? 8 : 4;
        if (op.Value is null || op.Value.Readable.Length < size) return call.Fail(Errno.EFAULT, clause);
        var span = op.Value.Readable.Span;
        if (size == 8) sock.PacingRate = BinaryPrimitives.ReadUInt64LittleEndian(span);
        else
        {
            var rate = BinaryPrimitives.ReadUInt32LittleEndian(span);
            sock.PacingRate = rate == uint.MaxValue ? ulong.MaxValue : rate;
        }
        return call.Return(0, clause);
    }

    /// <summary>What getsockopt reads, or null for an option it refuses (EOPNOTSUPP): an int's bytes, or SO_MAX_PACING_RATE's
    /// 8 bytes when 8 or more are asked.</summary>
    public static byte[]? Get(Profile profile, Sock sock, int level, int name, int length)
    {
        var entry = For(profile, level, name);
        if (entry.Kind == Kind.PacingRate)
        {
            // not a limit: SO_MAX_PACING_RATE's layouts read back (options/priority_pacing_linux)
            var bytes = new byte[length >= 8 ? 8 : 4];
            if (length >= 8) BinaryPrimitives.WriteUInt64LittleEndian(bytes, sock.PacingRate);
            else BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)Math.Min(sock.PacingRate, uint.MaxValue));
            return bytes;
        }
        int? value = entry.Kind switch
        {
            Kind.Unsupported => null,
            Kind.Timestamp => sock.Timestamping == name ? 1 : 0,
            Kind.Ignored or Kind.ReserveMemory => 0,
            Kind.Priority => sock.Priority,
            _ => sock.PlainValues.TryGetValue((level, name), out var kept) ? kept : entry.Initial,
        };
        return value is { } v ? BitConverter.GetBytes(v) : null;
    }

    /// <summary>A switch of the table is on for the socket.</summary>
    public static bool IsOn(Sock sock, int level, int name) => sock.PlainValues.GetValueOrDefault((level, name)) != 0;

    /// <summary>The clause that decides a getsockopt of the option.</summary>
    public static string Clause(Profile profile, int level, int name) => For(profile, level, name).Clause;
}
