using System.Runtime.InteropServices;
using System.Text;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// One netlink message being built: a struct nlmsghdr, the fixed header of its family, then attributes (struct
/// nlattr: length, type, value, padded to 4 bytes). Integers are in host order unless an attribute says otherwise
/// (nf_tables wants big-endian numbers: <see cref="Be32"/>). The length and sequence number are filled in by
/// <see cref="ToArray"/>.
/// </summary>
public sealed class NetlinkMessage
{
    /// <summary>sizeof(struct nlmsghdr): u32 nlmsg_len, u16 nlmsg_type, u16 nlmsg_flags, u32 nlmsg_seq, u32 nlmsg_pid.</summary>
    public const int HeaderLength = 16;
    public const int LengthOffset = 0, TypeOffset = 4, FlagsOffset = 6, SequenceOffset = 8, PortOffset = 12;
    /// <summary>sizeof(struct nlattr): u16 nla_len, u16 nla_type.</summary>
    public const int AttributeHeaderLength = 4;
    /// <summary>NLMSG_ALIGNTO and NLA_ALIGNTO.</summary>
    public const int Alignment = 4;
    /// <summary>NLA_F_NESTED: set on a nested attribute's type (nf_tables parses with it; rtnetlink takes both).</summary>
    public const ushort NestedFlag = 0x8000;

    private byte[] buffer = new byte[256];
    private int length;
    private readonly Stack<int> nests = new();

    /// <param name="type">nlmsg_type.</param>
    /// <param name="flags">nlmsg_flags (NLM_F_REQUEST is added).</param>
    /// <param name="what">How an error about this message names it ("RTM_NEWROUTE 198.51.100.0/24 dev tun1").</param>
    public NetlinkMessage(ushort type, ushort flags, string what)
    {
        Type = type;
        Flags = (ushort)(flags | Netlink.FRequest);
        What = what;
        var header = Grow(HeaderLength);
        WriteHost16(header[TypeOffset..], Type);
        WriteHost16(header[FlagsOffset..], Flags);
    }

    public ushort Type { get; }
    public ushort Flags { get; }
    public string What { get; }
    public int Length => length;

    /// <summary>Room for the family's fixed header (ifinfomsg, rtmsg, ...), zeroed, padded to 4 bytes.</summary>
    public Span<byte> Fixed(int size) => Grow(size)[..size];

    public NetlinkMessage Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        var room = Grow(AttributeHeaderLength + value.Length);
        WriteHost16(room, (ushort)(AttributeHeaderLength + value.Length));
        WriteHost16(room[2..], type);
        value.CopyTo(room[AttributeHeaderLength..]);
        return this;
    }

    /// <summary>A u32 attribute in host order.</summary>
    public NetlinkMessage U32(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        MemoryMarshal.Write(bytes, in value);
        return Attribute(type, bytes);
    }

    /// <summary>A u32 attribute in network order (nf_tables' NLA_BE32 and most of its numbers).</summary>
    public NetlinkMessage Be32(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return Attribute(type, bytes);
    }

    /// <summary>A NUL-terminated string attribute.</summary>
    public NetlinkMessage String(ushort type, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value + "\0");
        return Attribute(type, bytes);
    }

    /// <summary>Opens a nested attribute; <see cref="End"/> closes it and fills in its length.</summary>
    public NetlinkMessage Begin(ushort type)
    {
        nests.Push(length);
        var room = Grow(AttributeHeaderLength);
        WriteHost16(room[2..], type);
        return this;
    }

    public NetlinkMessage End()
    {
        var start = nests.Pop();
        WriteHost16(buffer.AsSpan(start), (ushort)(length - start));
        return this;
    }

    /// <summary>The message with its length and <paramref name="sequence"/> filled in.</summary>
    public byte[] ToArray(uint sequence)
    {
        if (nests.Count > 0) throw new InvalidOperationException($"{What}: a nested attribute is still open");
        var bytes = buffer.AsSpan(0, length).ToArray();
        var total = (uint)length;
        MemoryMarshal.Write(bytes.AsSpan(LengthOffset), in total);
        MemoryMarshal.Write(bytes.AsSpan(SequenceOffset), in sequence);
        return bytes;
    }

    public static int Align(int size) => (size + Alignment - 1) & ~(Alignment - 1);

    /// <summary>Appends <paramref name="size"/> zeroed bytes plus padding to 4 and returns them (with the padding).</summary>
    private Span<byte> Grow(int size)
    {
        var padded = Align(size);
        if (length + padded > buffer.Length) Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + padded));
        var room = buffer.AsSpan(length, padded);
        room.Clear();
        length += padded;
        return room;
    }

    private static void WriteHost16(Span<byte> destination, ushort value) => MemoryMarshal.Write(destination, in value);
}

/// <summary>A netlink request the kernel refused: the request, the errno and its name, and the kernel's own words
/// when it gave them (extended ACK).</summary>
public sealed class NetlinkException(string request, int errno, string? detail)
    : InvalidOperationException($"{request}: {SystemError.Describe(errno)}{(string.IsNullOrEmpty(detail) ? "" : $": {detail}")}")
{
    public string Request { get; } = request;
    public int Errno { get; } = errno;
}

/// <summary>
/// A netlink socket of one protocol, opened on the calling thread: it belongs to that thread's network namespace
/// for its whole life, whichever thread uses it later. Every request asks for an ACK; a non-zero NLMSG_ERROR
/// becomes a <see cref="NetlinkException"/> naming the request.
/// </summary>
public sealed unsafe class Netlink : IDisposable
{
    public const int AfNetlink = 16, NetlinkRoute = 0, NetlinkNetfilter = 12;
    public const int SolNetlink = 270, NetlinkCapAck = 10, NetlinkExtAck = 11;
    public const ushort FRequest = 0x1, FMulti = 0x2, FAck = 0x4;
    /// <summary>Modifiers of NEW requests.</summary>
    public const ushort FReplace = 0x100, FExcl = 0x200, FCreate = 0x400, FAppend = 0x800;
    /// <summary>Flags of an ACK: the request was not echoed (NETLINK_CAP_ACK); TLVs follow (NETLINK_EXT_ACK).</summary>
    public const ushort FCapped = 0x100, FAckTlvs = 0x200;
    public const ushort MsgNoop = 1, MsgError = 2, MsgDone = 3;
    /// <summary>struct nlmsgerr: int error, then the request's nlmsghdr (capped: without its payload).</summary>
    public const int ErrorCodeLength = 4;
    public const ushort ErrorAttributeMessage = 1;
    private const int AckTimeoutMs = 5000;

    private readonly int fd;
    private uint sequence;
    private readonly byte[] receive = new byte[65536];

    public Netlink(int protocol)
    {
        fd = Native.socket(AfNetlink, Reference.Api.SocketType.Raw | Reference.Api.SocketType.CloexecFlag, protocol);
        if (fd < 0) throw new InvalidOperationException($"socket(AF_NETLINK, {protocol}): {SystemError.Describe(Native.Errno)}");
        var on = 1;
        // Best effort: older kernels lack them, and the ACK is read the same way either way.
        Native.setsockopt(fd, SolNetlink, NetlinkCapAck, (nint)(&on), 4);
        Native.setsockopt(fd, SolNetlink, NetlinkExtAck, (nint)(&on), 4);
    }

    /// <summary>Sends one request with NLM_F_ACK and waits for its ACK.</summary>
    public void Request(NetlinkMessage message) => Send([message], [message]);

    /// <summary>Sends <paramref name="messages"/> in one datagram (nfnetlink reads a batch from one) and waits for
    /// the ACK of every one of <paramref name="acked"/>, which must carry NLM_F_ACK. Throws on the first error,
    /// whichever message it is about.</summary>
    public void Send(IReadOnlyList<NetlinkMessage> messages, IReadOnlyList<NetlinkMessage> acked)
    {
        var bySequence = new Dictionary<uint, NetlinkMessage>();
        var pending = new HashSet<uint>();
        var datagram = new List<byte>();
        foreach (var message in messages)
        {
            var seq = ++sequence;
            bySequence[seq] = message;
            if (acked.Contains(message))
            {
                if ((message.Flags & FAck) == 0) throw new ArgumentException($"{message.What}: an ACK is awaited but not asked for");
                pending.Add(seq);
            }
            datagram.AddRange(message.ToArray(seq));
        }
        Transmit(datagram.ToArray(), messages[0].What);
        var deadline = Environment.TickCount64 + AckTimeoutMs;
        while (pending.Count > 0)
        {
            var received = Receive(deadline, messages[0].What, () => $"{bySequence[pending.First()].What}: no ACK from netlink within {AckTimeoutMs} ms");
            foreach (var (seq, errno, detail) in Acks(received))
            {
                var what = bySequence.TryGetValue(seq, out var m) ? m.What : $"netlink request {seq}";
                if (errno != 0) throw new NetlinkException(what, errno, detail);
                pending.Remove(seq);
            }
        }
    }

    private const int EIntr = 4;

    private void Transmit(byte[] bytes, string what)
    {
        fixed (byte* p = bytes)
            if (Native.sendto(fd, (nint)p, (nuint)bytes.Length, 0, 0, 0) != bytes.Length)
                throw new InvalidOperationException($"{what}: send to netlink: {SystemError.Describe(Native.Errno)}");
    }

    /// <summary>The next datagram from the kernel (read again after EAGAIN or EINTR), waiting until
    /// <paramref name="deadline"/>; then a <see cref="TimeoutException"/> with <paramref name="timedOut"/>'s message.</summary>
    private Span<byte> Receive(long deadline, string what, Func<string> timedOut)
    {
        while (true)
        {
            var left = (int)Math.Max(0, deadline - Environment.TickCount64);
            var pfd = new Native.PollFd { Fd = fd, Events = Native.PollIn };
            if (Native.poll(&pfd, 1, left) == 0) throw new TimeoutException(timedOut());
            nint n;
            fixed (byte* p = receive) n = Native.read(fd, p, (nuint)receive.Length);
            if (n >= 0) return receive.AsSpan(0, (int)n);
            if (Native.Errno is not (Native.EAgain or EIntr))
                throw new InvalidOperationException($"{what}: read from netlink: {SystemError.Describe(Native.Errno)}");
        }
    }

    /// <summary>Sends a dump request (NLM_F_DUMP) and returns the type and body of every message of the answer up to
    /// NLMSG_DONE; throws on an NLMSG_ERROR, or when the answer does not end within the ACK timeout.</summary>
    public List<(ushort Type, byte[] Body)> Dump(NetlinkMessage message)
    {
        var seq = ++sequence;
        Transmit(message.ToArray(seq), message.What);
        var result = new List<(ushort, byte[])>();
        var deadline = Environment.TickCount64 + AckTimeoutMs;
        while (true)
        {
            var datagram = Receive(deadline, message.What, () => $"{message.What}: the dump did not end within {AckTimeoutMs} ms");
            for (var offset = 0; offset + NetlinkMessage.HeaderLength <= datagram.Length;)
            {
                var header = datagram[offset..];
                var length = (int)MemoryMarshal.Read<uint>(header);
                if (length < NetlinkMessage.HeaderLength || offset + length > datagram.Length) break;
                var type = MemoryMarshal.Read<ushort>(header[NetlinkMessage.TypeOffset..]);
                if (MemoryMarshal.Read<uint>(header[NetlinkMessage.SequenceOffset..]) == seq)
                {
                    if (type == MsgDone) return result;
                    if (type == MsgError)
                    {
                        var errno = length >= NetlinkMessage.HeaderLength + ErrorCodeLength ? -MemoryMarshal.Read<int>(header[NetlinkMessage.HeaderLength..]) : 0;
                        if (errno != 0) throw new NetlinkException(message.What, errno, null);
                    }
                    else result.Add((type, header[NetlinkMessage.HeaderLength..length].ToArray()));
                }
                offset += NetlinkMessage.Align(length);
            }
        }
    }

    /// <summary>The NLMSG_ERROR messages of one datagram: sequence, errno (positive; 0 is an ACK) and the kernel's
    /// extended-ACK message if any. Other messages are skipped.</summary>
    public static List<(uint Sequence, int Errno, string? Detail)> Acks(ReadOnlySpan<byte> datagram)
    {
        var result = new List<(uint, int, string?)>();
        var offset = 0;
        while (offset + NetlinkMessage.HeaderLength <= datagram.Length)
        {
            var header = datagram[offset..];
            var length = (int)MemoryMarshal.Read<uint>(header);
            if (length < NetlinkMessage.HeaderLength || offset + length > datagram.Length) break;
            var type = MemoryMarshal.Read<ushort>(header[NetlinkMessage.TypeOffset..]);
            var flags = MemoryMarshal.Read<ushort>(header[NetlinkMessage.FlagsOffset..]);
            var seq = MemoryMarshal.Read<uint>(header[NetlinkMessage.SequenceOffset..]);
            if (type == MsgError && length >= NetlinkMessage.HeaderLength + ErrorCodeLength + NetlinkMessage.HeaderLength)
            {
                var body = header[NetlinkMessage.HeaderLength..length];
                var errno = -MemoryMarshal.Read<int>(body);
                var echoed = body[ErrorCodeLength..];
                var skip = (flags & FCapped) != 0 ? NetlinkMessage.HeaderLength : (int)MemoryMarshal.Read<uint>(echoed);
                string? detail = null;
                if ((flags & FAckTlvs) != 0) detail = ExtendedMessage(echoed[Math.Min(NetlinkMessage.Align(skip), echoed.Length)..]);
                result.Add((seq, errno, detail));
            }
            offset += NetlinkMessage.Align(length);
        }
        return result;
    }

    private static string? ExtendedMessage(ReadOnlySpan<byte> attributes)
    {
        while (attributes.Length >= NetlinkMessage.AttributeHeaderLength)
        {
            var length = MemoryMarshal.Read<ushort>(attributes);
            var type = MemoryMarshal.Read<ushort>(attributes[2..]);
            if (length < NetlinkMessage.AttributeHeaderLength || length > attributes.Length) break;
            if (type == ErrorAttributeMessage)
                return Encoding.ASCII.GetString(attributes[NetlinkMessage.AttributeHeaderLength..length]).TrimEnd('\0');
            attributes = attributes[Math.Min(NetlinkMessage.Align(length), attributes.Length)..];
        }
        return null;
    }

    public void Dispose() => Native.close(fd);
}
