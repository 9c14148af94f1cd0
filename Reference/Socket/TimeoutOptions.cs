using System.Buffers.Binary;
using Udpconf.Reference.Api;
using Udpconf.Reference.Ip;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Socket;

/// <summary>
/// SO_RCVTIMEO and SO_SNDTIMEO, old (20, 21) and new (66, 67) numbers alike on x86-64: a struct of two 64-bit fields,
/// seconds and microseconds (<see cref="Profile.PlainOptions"/>). Measured on 6.18.44 (CONFIG_HZ=250,
/// Conformance/cases/options/timeout_linux): fewer than 16 bytes are EINVAL; microseconds outside 0-999999 are EDOM;
/// negative seconds are a timeout of 0 jiffies (a send that would wait fails at once); {0, 0} is no timeout. The
/// value is kept in jiffies, rounded up, so what getsockopt reads back depends on the build's CONFIG_HZ: a multiple of
/// 20 ms is exact on every HZ a distribution builds with (100, 250, 300, 1000), anything else is answered
/// "unmodeled" (4000 µs for 1 µs on the build measured). Reading back gives min(optlen, 16) bytes.
/// </summary>
public static class TimeoutOptions
{
    private const int RcvTimeoOld = 20, SndTimeoOld = 21, RcvTimeoNew = 66, SndTimeoNew = 67, Size = 16;
    private const long MicrosPerSecond = 1_000_000, ExactStep = 20_000;
    /// <summary>Seconds beyond which MAX_SCHEDULE_TIMEOUT / HZ (the "forever" cap) depends on HZ: LONG_MAX / 1000.</summary>
    private const long CapFreeSeconds = long.MaxValue / 1000 - 1;

    public static bool Handles(Profile profile, int level, int name) =>
        profile.PlainOptions && level == SolSocket && name is RcvTimeoOld or SndTimeoOld or RcvTimeoNew or SndTimeoNew;

    private static bool Send(int name) => name is SndTimeoOld or SndTimeoNew;

    public static Outcome Set(Call call, Sock sock, SetSockOptOp op)
    {
        // spec: options.timeout
        if (op.OptLen < Size) return call.Fail(Errno.EINVAL, ClauseId.OptionsTimeout);
        if (op.Value is null || op.Value.Readable.Length < Size) return call.Fail(Errno.EFAULT, ClauseId.OptionsTimeout);
        var seconds = BinaryPrimitives.ReadInt64LittleEndian(op.Value.Readable.Span);
        var micros = BinaryPrimitives.ReadInt64LittleEndian(op.Value.Readable.Span[8..]);
        if (micros is < 0 or >= MicrosPerSecond) return call.Fail(Errno.EDOM, ClauseId.OptionsTimeout);
        SocketTimeout value = seconds < 0 ? new(0, 0, Immediate: true)
            : seconds == 0 && micros == 0 ? new(0, 0, Forever: true)
            : new(seconds, micros);
        if (Send(op.OptName)) sock.SendTimeout = value;
        else sock.ReceiveTimeout = value;
        return call.Return(0, ClauseId.OptionsTimeout);
    }

    public static Outcome Get(Call call, Sock sock, GetSockOptOp op)
    {
        var value = Send(op.OptName) ? sock.SendTimeout : sock.ReceiveTimeout;
        if (!value.Forever && !value.Immediate && (value.Micros % ExactStep != 0 || value.Seconds > CapFreeSeconds))
            return call.Unmodeled(ClauseId.OptionsTimeout,
                "the timeout is kept in jiffies, rounded up: what is read back depends on the build's CONFIG_HZ");
        var bytes = new byte[Size];
        if (!value.Forever && !value.Immediate)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value.Seconds);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), value.Micros);
        }
        var length = Math.Min(op.OptLen, Size);
        return call.Return(length, ClauseId.OptionsTimeout, bytes.AsMemory(0, length));
    }
}
