using System.Buffers.Binary;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// Reads and empties a socket's error queue: one entry per recvmsg(MSG_ERRQUEUE), the struct sock_extended_err from
/// the IP_RECVERR (or IPV6_RECVERR) control message, the address and port from msg_name. Reading an ICMP entry
/// clears the socket's error, as the model assumes (Outcome.ErrorQueue).
/// </summary>
internal static class ErrorQueue
{
    private const int NameSize = 28, DataSize = 256, ControlSize = 512, MaxEntries = 64;

    public static unsafe IReadOnlyList<ErrorQueueEntry> Drain(int fd)
    {
        var entries = new List<ErrorQueueEntry>();
        var name = stackalloc byte[NameSize];
        var data = stackalloc byte[DataSize];
        var control = stackalloc byte[ControlSize];
        for (var i = 0; i < MaxEntries; i++)
        {
            new Span<byte>(name, NameSize).Clear();
            new Span<byte>(data, DataSize).Clear();
            new Span<byte>(control, ControlSize).Clear();
            var iov = new IoVec { Base = (nint)data, Length = DataSize };
            var msg = new MsgHdr
            {
                Name = (nint)name, NameLength = NameSize,
                Iov = (nint)(&iov), IovLength = 1,
                Control = (nint)control, ControlLength = ControlSize,
            };
            if (Native.recvmsg(fd, (nint)(&msg), Native.MsgErrqueue | (int)MsgFlags.DontWait) < 0) break; // EAGAIN: empty
            var controlLength = (int)msg.ControlLength;
            var (address, port) = Ipv4Name(new ReadOnlySpan<byte>(name, Math.Clamp(msg.NameLength, 0, NameSize)));
            for (var at = 0; at + sizeof(CmsgHdr) <= controlLength;)
            {
                var header = (CmsgHdr*)(control + at);
                var length = (int)header->Length;
                if (length < sizeof(CmsgHdr)) break;
                var recvErr = (header->Level, header->Type) == (SocketOption.SolIp, SocketOption.IpRecvErr) ||
                              (header->Level, header->Type) == (Native.SolIpv6, Native.Ipv6Recverr);
                if (recvErr && length >= sizeof(CmsgHdr) + sizeof(SockExtendedErr))
                {
                    var error = (SockExtendedErr*)(header + 1);
                    var origin = (ErrorOrigin)error->Origin;
                    var entry = new ErrorQueueEntry((Errno)(int)error->Errno, origin, (int)error->Info, address, port);
                    // ee_data and ee_code are compared for MSG_ZEROCOPY completions only (the range's last id, COPIED).
                    entries.Add(origin == ErrorOrigin.Zerocopy ? entry with { Data = error->Data, Code = error->Code } : entry);
                }
                at += ControlMessages.Align(length);
            }
        }
        return entries;
    }

    /// <summary>A sockaddr_in, or a sockaddr_in6 holding an IPv4-mapped address: the address and port (host order).</summary>
    private static (Ipv4Address, ushort) Ipv4Name(ReadOnlySpan<byte> name)
    {
        if (name.Length < 8) return (default, 0);
        var family = BinaryPrimitives.ReadUInt16LittleEndian(name);
        var port = BinaryPrimitives.ReadUInt16BigEndian(name[2..]);
        if (family == AddressFamily.Inet) return (new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(name[4..])), port);
        if (family == AddressFamily.Inet6 && name.Length >= 24) return (new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(name[20..])), port);
        return (default, port);
    }
}
