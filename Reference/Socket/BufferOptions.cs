using Udpconf.Reference.Api;
using Udpconf.Reference.Ip;
using Udpconf.Reference.Symbols;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Socket;

/// <summary>
/// The buffer sizes and SO_LINGER (options.buffer, options.linger; <see cref="Profile.PlainOptions"/>). Measured on
/// 6.18.44 (Conformance/cases/options/buffers_linux): SO_SNDBUF and SO_RCVBUF are capped at net.core.wmem_max and
/// rmem_max (as unsigned numbers: -1 is the cap, <see cref="Profile.BufferSizesUnsigned"/>), doubled, and raised to
/// the minimum (SOCK_MIN_SNDBUF, half of it for SOCK_MIN_RCVBUF); SO_SNDBUFFORCE and SO_RCVBUFFORCE (which need
/// CAP_NET_ADMIN, which every modeled host keeps) skip the cap, a negative value being 0, and getsockopt does not know
/// them. Both sizes stop at INT_MAX / 2 before doubling. SO_LINGER takes a struct linger {l_onoff, l_linger} of 8
/// bytes: l_onoff 0 turns the flag off and keeps the time; a negative l_linger is "for ever", which reads back as
/// MAX_SCHEDULE_TIMEOUT / HZ cut to an int (a <see cref="LingerReading"/> of the tick rate).
/// </summary>
public static class BufferOptions
{
    private const int SoSndbufForce = 32, SoRcvbuf = 8, SoRcvbufForce = 33, SoLinger = 13, LingerSize = 8;

    public static bool Handles(Profile profile, int level, int name) =>
        profile.PlainOptions && level == SolSocket && name is SoSndbufForce or SoRcvbuf or SoRcvbufForce or SoLinger;

    /// <summary>getsockopt knows the option: not the FORCE ones (ENOPROTOOPT, measured).</summary>
    public static bool HandlesGet(Profile profile, int level, int name) =>
        Handles(profile, level, name) && name is SoRcvbuf or SoLinger;

    /// <summary>The value SO_SNDBUF or SO_RCVBUF keeps before doubling: capped at <paramref name="max"/>, as an unsigned
    /// number under <see cref="Profile.BufferSizesUnsigned"/>.</summary>
    public static int Capped(Profile profile, int value, int max) =>
        profile.BufferSizesUnsigned ? (int)Math.Min((uint)value, (uint)max) : Math.Min(value, max);

    /// <summary>__sock_set_sndbuf: twice the value (at most INT_MAX / 2 first), at least the minimum.</summary>
    public static int SendBuffer(Profile profile, int value) => Math.Max(Math.Min(value, int.MaxValue / 2) * 2, profile.MinSndbuf);

    private static int ReceiveBuffer(Profile profile, int value) => Math.Max(Math.Min(value, int.MaxValue / 2) * 2, profile.MinSndbuf / 2);

    public static Outcome Set(Process model, Call call, Sock sock, SetSockOptOp op)
    {
        if (op.OptName == SoLinger) return SetLinger(call, sock, op);
        // spec: options.buffer
        if (SocketOptions.ReadSocketInt(op, out var value) is { } bad) return call.Fail(bad, ClauseId.OptionsBuffer);
        switch (op.OptName)
        {
            case SoSndbufForce: sock.SendBuffer = SendBuffer(model.Profile, Math.Max(value, 0)); break;
            case SoRcvbufForce: sock.ReceiveBuffer = ReceiveBuffer(model.Profile, Math.Max(value, 0)); break;
            default: sock.ReceiveBuffer = ReceiveBuffer(model.Profile, Capped(model.Profile, value, model.Host.RmemMax)); break;
        }
        return call.Return(0, ClauseId.OptionsBuffer);
    }

    private static Outcome SetLinger(Call call, Sock sock, SetSockOptOp op)
    {
        // spec: options.linger
        if (op.OptLen < LingerSize) return call.Fail(Errno.EINVAL, ClauseId.OptionsLinger);
        if (op.Value is null || op.Value.Readable.Length < LingerSize) return call.Fail(Errno.EFAULT, ClauseId.OptionsLinger);
        var onOff = BitConverter.ToInt32(op.Value.Readable.Span);
        var linger = BitConverter.ToInt32(op.Value.Readable.Span[4..]);
        if (onOff == 0) sock.LingerOn = false;
        else
        {
            // t_sec = l_linger as an unsigned long: a negative int is far beyond MAX_SCHEDULE_TIMEOUT / HZ.
            sock.LingerOn = true;
            sock.LingerForever = linger < 0;
            sock.LingerSeconds = Math.Max(linger, 0);
        }
        return call.Return(0, ClauseId.OptionsLinger);
    }

    public static Outcome Get(Net model, Call call, Sock sock, GetSockOptOp op)
    {
        if (op.OptName == SoRcvbuf) return SocketOptions.IntReply(call, op, sock.ReceiveBuffer, ClauseId.OptionsBuffer);
        var length = Math.Min(op.OptLen, LingerSize);
        if (sock.LingerForever)
            return call.Return(length, ClauseId.OptionsLinger) with { SymbolicOption = new LingerReading(model.TickRate.Name, sock.LingerOn, length) };
        var bytes = new byte[LingerSize];
        BitConverter.TryWriteBytes(bytes, sock.LingerOn ? 1 : 0);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), (int)sock.LingerSeconds);
        return call.Return(length, ClauseId.OptionsLinger, bytes.AsMemory(0, length));
    }
}

/// <summary>SO_LINGER read back with the time "for ever": l_onoff, then MAX_SCHEDULE_TIMEOUT / HZ cut to an int
/// (0x978d4fdf at HZ 250, measured on 6.18.44).</summary>
public sealed record LingerReading(string TickRate, bool On, int Length) : SymbolicBytes(TickRate)
{
    public override byte[] Render(ushort hz)
    {
        var bytes = new byte[8];
        BitConverter.TryWriteBytes(bytes, On ? 1 : 0);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), unchecked((int)(long.MaxValue / hz)));
        return bytes[..Math.Clamp(Length, 0, 8)];
    }

    public override string Describe() => $"linger-forever:{(On ? 1 : 0)}";
}
