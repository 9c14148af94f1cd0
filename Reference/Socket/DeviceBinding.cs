using System.Buffers.Binary;
using System.Text;
using Udpconf.Reference.Api;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Socket;

/// <summary>Binding a socket to a device (current kernels, <see cref="Profile.DeviceBinding"/>): SO_BINDTODEVICE
/// (sock_setbindtodevice, sock_getbindtodevice), SO_BINDTOIFINDEX (sock_bindtoindex_locked) and IP_UNICAST_IF
/// (do_ip_setsockopt). Their effect on the route is in udp_sendmsg and connect.</summary>
public static class DeviceBinding
{
    /// <summary>IFNAMSIZ: a device name and its NUL.</summary>
    public const int NameSize = 16;

    /// <summary>Whether the option is one of the binding options this profile follows.</summary>
    public static bool Handles(Profile profile, int level, int name) =>
        profile.DeviceBinding && (level, name) is (SolSocket, SoBindToDevice or SoBindToIfindex) or (SolIp, IpUnicastIf);

    /// <summary>
    /// Outcome: 0. SO_BINDTODEVICE: EINVAL for a negative length, ENODEV for a name no device has; the name is read
    /// up to 15 bytes (a longer one is cut), an empty one (or length 0) unbinds. SO_BINDTOIFINDEX: EINVAL below 4 bytes
    /// or for a negative index; any other index is taken, even one no device has. Rebinding a bound socket needs
    /// CAP_NET_RAW (EPERM). Both drop a connected socket's cached route. IP_UNICAST_IF: exactly 4 bytes (EINVAL), the
    /// index in network byte order, 0 clears it, EADDRNOTAVAIL for an index no device has, EINVAL on a socket bound to
    /// a device. Measured on 6.18.44 (bind_device/options_linux).
    /// </summary>
    public static Outcome Set(Process model, Call call, Sock sock, SetSockOptOp op)
    {
        if (op.Level == SolIp)
        {
            // spec: bind_device.unicast_if
            if (op.OptLen != 4) return call.Fail(Errno.EINVAL, ClauseId.UnicastIf);
            if (SocketOptions.ReadInt(op.Value) is not { } raw) return call.Fail(Errno.EFAULT, ClauseId.UnicastIf);
            var index = BinaryPrimitives.ReverseEndianness(raw);
            if (index != 0)
            {
                if (model.Host.InterfaceByIndex(index) is null) return call.Fail(Errno.EADDRNOTAVAIL, ClauseId.UnicastIf);
                if (sock.BoundDevice != 0) return call.Fail(Errno.EINVAL, ClauseId.UnicastIf);
            }
            sock.UnicastIndex = index;
            return call.Return(0, ClauseId.UnicastIf);
        }
        int device;
        Clause clause;
        if (op.OptName == SoBindToDevice)
        {
            // spec: bind_device.by_name
            clause = ClauseId.BindDeviceByName;
            if (op.OptLen < 0) return call.Fail(Errno.EINVAL, clause);
            var length = Math.Min(op.OptLen, NameSize - 1);
            if (length > 0 && (op.Value is null || op.Value.Readable.Length < length)) return call.Fail(Errno.EFAULT, clause);
            var bytes = length == 0 ? [] : op.Value!.Readable.Span[..length].ToArray();
            var end = Array.IndexOf(bytes, (byte)0);
            var name = Encoding.Latin1.GetString(bytes, 0, end < 0 ? bytes.Length : end);
            device = 0;
            if (name.Length > 0)
            {
                if (model.Host.InterfaceByName(name) is not { } named) return call.Fail(Errno.ENODEV, clause);
                device = named.Index;
            }
        }
        else
        {
            // spec: bind_device.by_index
            clause = ClauseId.BindDeviceByIndex;
            if (SocketOptions.ReadSocketInt(op, out var index) is { } bad) return call.Fail(bad, clause);
            device = index;
        }
        // sock_bindtoindex_locked
        if (sock.BoundDevice != 0 && !model.Host.Privileged) return call.Fail(Errno.EPERM, clause);
        if (device < 0) return call.Fail(Errno.EINVAL, clause);
        sock.BoundDevice = device;
        sock.CachedRoute = null;
        return call.Return(0, clause);
    }

    /// <summary>
    /// Outcome: SO_BINDTODEVICE on an unbound socket writes nothing (length 0); bound, the name and its NUL, EINVAL for a
    /// buffer shorter than 16 bytes, ENODEV when no device has the bound index. SO_BINDTOIFINDEX reads the index and
    /// IP_UNICAST_IF its index in network byte order, as ints. Measured on 6.18.44 (bind_device/options_linux).
    /// </summary>
    public static Outcome? Get(Process model, Call call, Sock sock, GetSockOptOp op)
    {
        // spec: bind_device.read
        if (op.Level == SolSocket && op.OptName == SoBindToDevice)
        {
            if (sock.BoundDevice == 0) return call.Return(0, ClauseId.BindDeviceRead, ReadOnlyMemory<byte>.Empty);
            if (op.OptLen < Limits.DeviceNameBuffer.At) return call.Fail(Errno.EINVAL, ClauseId.BindDeviceRead);
            if (model.Host.InterfaceByIndex(sock.BoundDevice) is not { } device) return call.Fail(Errno.ENODEV, ClauseId.BindDeviceRead);
            var name = Encoding.Latin1.GetBytes(device.Name + "\0");
            return call.Return(name.Length, ClauseId.BindDeviceRead, name);
        }
        return null;
    }

    /// <summary>The int value getsockopt reads for SO_BINDTOIFINDEX and IP_UNICAST_IF.</summary>
    public static int IntValue(Sock sock, int level) =>
        level == SolSocket ? sock.BoundDevice : BinaryPrimitives.ReverseEndianness(sock.UnicastIndex);
}
