using Udpconf.Reference.Api;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Socket;

/// <summary>SO_ZEROCOPY (current kernels, <see cref="Profile.Zerocopy"/>): sk_setsockopt and sk_getsockopt. What it
/// does to a send is <see cref="Ip.MsgZerocopy"/>'s.</summary>
public static class ZerocopyOption
{
    /// <summary>Whether the option is SO_ZEROCOPY and this profile follows it.</summary>
    public static bool Handles(Profile profile, int level, int name) => profile.Zerocopy && (level, name) == (SolSocket, SoZerocopy);

    /// <summary>
    /// Outcome: 0. EINVAL for a length below 4 (a longer one reads 4 bytes), EFAULT for an unreadable value, EINVAL
    /// for a value other than 0 and 1. Measured on 6.18.44 (zerocopy/option_linux).
    /// </summary>
    public static Outcome Set(Call call, Sock sock, SetSockOptOp op)
    {
        // spec: zerocopy.option
        if (SocketOptions.ReadSocketInt(op, out var value) is { } bad) return call.Fail(bad, ClauseId.ZerocopyOption);
        if (value is < 0 or > 1) return call.Fail(Errno.EINVAL, ClauseId.ZerocopyOption);
        sock.Zerocopy = value == 1;
        return call.Return(0, ClauseId.ZerocopyOption);
    }

    /// <summary>Outcome: the flag as an int, cut to the buffer's length (0 to 4 bytes written). Measured on 6.18.44.</summary>
    public static Outcome Get(Call call, Sock sock, GetSockOptOp op)
    {
        // spec: zerocopy.option
        return SocketOptions.IntReply(call, op, sock.Zerocopy ? 1 : 0, ClauseId.ZerocopyOption);
    }
}
