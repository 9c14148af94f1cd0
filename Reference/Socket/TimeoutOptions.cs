using System.Buffers.Binary;
using Udpconf.Reference.Api;
using Udpconf.Reference.Ip;
using Udpconf.Reference.Symbols;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Socket;

/// <summary>
/// SO_RCVTIMEO and SO_SNDTIMEO, old (20, 21) and new (66, 67) numbers alike on x86-64: a struct of two 64-bit fields,
/// seconds and microseconds (<see cref="Profile.PlainOptions"/>). Measured on 6.18.44 (CONFIG_HZ=250,
/// Conformance/cases/options/timeout_linux): fewer than 16 bytes are EINVAL; microseconds outside 0-999999 are EDOM;
/// negative seconds are a timeout of 0 jiffies (a send that would wait fails at once); {0, 0} is no timeout. The
/// value is kept in jiffies, rounded up (sock_set_timeout), and read back from them (sock_get_timeout), so what
/// getsockopt returns depends on the build's CONFIG_HZ: the model answers with a <see cref="TimeoutReading"/> of the
/// host's tick-rate symbol, which the comparison binds from the first reading that tells the rates apart (1 µs reads
/// back 4000 µs at HZ 250, 1000 µs at HZ 1000). Reading back gives min(optlen, 16) bytes.
/// </summary>
public static class TimeoutOptions
{
    private const int Size = 16;

    public static bool Handles(Profile profile, int level, int name) =>
        profile.PlainOptions && level == SolSocket && name is SoRcvTimeoOld or SoSndTimeoOld or SoRcvTimeoNew or SoSndTimeoNew;

    private static bool Send(int name) => name is SoSndTimeoOld or SoSndTimeoNew;

    public static Outcome Set(Call call, Sock sock, SetSockOptOp op)
    {
        // spec: options.timeout
        if (op.OptLen < Size) return call.Fail(Errno.EINVAL, ClauseId.OptionsTimeout);
        if (op.Value is null || op.Value.Readable.Length < Size) return call.Fail(Errno.EFAULT, ClauseId.OptionsTimeout);
        var seconds = BinaryPrimitives.ReadInt64LittleEndian(op.Value.Readable.Span);
        var micros = BinaryPrimitives.ReadInt64LittleEndian(op.Value.Readable.Span[8..]);
        if (micros < 0 || micros > Limits.TimeoutMicros.At) return call.Fail(Errno.EDOM, ClauseId.OptionsTimeout);
        SocketTimeout value = seconds < 0 ? new(0, 0, Immediate: true)
            : seconds == 0 && micros == 0 ? new(0, 0, Forever: true)
            : new(seconds, micros);
        if (Send(op.OptName)) sock.SendTimeout = value;
        else sock.ReceiveTimeout = value;
        return call.Return(0, ClauseId.OptionsTimeout);
    }

    public static Outcome Get(Net model, Call call, Sock sock, GetSockOptOp op)
    {
        var value = Send(op.OptName) ? sock.SendTimeout : sock.ReceiveTimeout;
        var length = Math.Min(op.OptLen, Size);
        if (value.Forever || value.Immediate)
            return call.Return(length, ClauseId.OptionsTimeout, new byte[length]);
        var reading = new TimeoutReading(model.TickRate.Name, value.Seconds, value.Micros, length);
        // A value every tick rate reads back alike (a multiple of 20 ms) is plain bytes: it binds nothing.
        var renderings = Symbol.TickRates.Select(reading.Render).ToArray();
        if (renderings.All(r => r.AsSpan().SequenceEqual(renderings[0])))
            return call.Return(length, ClauseId.OptionsTimeout, renderings[0]);
        return call.Return(length, ClauseId.OptionsTimeout) with { SymbolicOption = reading };
    }
}

/// <summary>
/// What getsockopt reads back of a socket timeout set to <paramref name="Seconds"/> and <paramref name="Micros"/>
/// (seconds not negative, not both 0), as a function of the tick rate: sock_set_timeout keeps
/// seconds * HZ + DIV_ROUND_UP(micros, USEC_PER_SEC / HZ) jiffies, or MAX_SCHEDULE_TIMEOUT (read back as zeros) from
/// LONG_MAX / HZ - 1 seconds on; sock_get_timeout gives jiffies / HZ seconds and (jiffies % HZ) * USEC_PER_SEC / HZ
/// microseconds. <paramref name="Length"/>: the bytes written, at most 16.
/// </summary>
public sealed record TimeoutReading(string TickRate, long Seconds, long Micros, int Length) : SymbolicBytes(TickRate)
{
    private const long MicrosPerSecond = 1_000_000;

    public override byte[] Render(ushort hz)
    {
        var bytes = new byte[16];
        if (Seconds < long.MaxValue / hz - 1)
        {
            var jiffies = Seconds * hz + (Micros + MicrosPerSecond / hz - 1) / (MicrosPerSecond / hz);
            BinaryPrimitives.WriteInt64LittleEndian(bytes, jiffies / hz);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), jiffies % hz * MicrosPerSecond / hz);
        }
        return bytes[..Math.Clamp(Length, 0, 16)];
    }

    public override string Describe() => $"timeout:{Seconds}.{Micros:D6}";
}
