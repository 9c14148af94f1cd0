namespace Udpconf.Reference.Api;

/// <summary>A descriptor argument: the name a case gave to a descriptor it opened, or a raw number
/// (-1, 9999, ...) for descriptors that were never opened.</summary>
public readonly record struct Fd(string? Name, int Number)
{
    public static Fd Named(string name) => new(name, -1);
    public static Fd Raw(int number) => new(null, number);
    public override string ToString() => Name ?? Number.ToString();

    /// <summary>The number a new file gets: the lowest one not in <paramref name="open"/>, from 3 (after stdin, stdout
    /// and stderr). The model numbers its files so, and a target renumbers its implementation's descriptors so.</summary>
    public static int LowestFree<T>(IReadOnlyDictionary<int, T> open)
    {
        var number = 3;
        while (open.ContainsKey(number)) number++;
        return number;
    }
}

/// <summary>
/// User memory as the kernel sees it through a pointer and a length: the first <c>Readable.Length</c> bytes can be
/// copied, the rest of <see cref="Length"/> faults (EFAULT). A null pointer is a null <see cref="UserBuffer"/>.
/// </summary>
public sealed record UserBuffer(ReadOnlyMemory<byte> Readable, long Length)
{
    public static UserBuffer Of(ReadOnlyMemory<byte> bytes) => new(bytes, bytes.Length);
    public static UserBuffer Unreadable(long length) => new(ReadOnlyMemory<byte>.Empty, length);
    public static UserBuffer Pattern(int length, byte seed = 0) =>
        Of(Enumerable.Range(0, length).Select(i => (byte)(seed + i)).ToArray());
    /// <summary>A gather-list entry's NULL base with a length (<c>iov_base</c> NULL, <c>iov_len</c> <see cref="Length"/>):
    /// nothing is readable. access_ok judges it at address 0 (<see cref="UserMemory"/>).</summary>
    public bool NullBase { get; init; }
    /// <summary>A gather-list entry with a NULL base and <paramref name="length"/> (size_t bits: negative is 2^63 or more).</summary>
    public static UserBuffer Null(long length) => new(ReadOnlyMemory<byte>.Empty, length) { NullBase = true };
    public bool FullyReadable => Readable.Length >= Length;
    public override string ToString() => NullBase ? $"NULL, {Length} bytes" : FullyReadable ? $"{Length} bytes" : $"{Length} bytes, {Readable.Length} readable";
}

/// <summary>One socket call with all its raw arguments. Nothing is pre-validated: the model decides what is wrong.</summary>
public abstract record Operation
{
    /// <summary>The descriptor the operation acts on (null for socket, open and host changes).</summary>
    public static Fd? DescriptorOf(Operation operation) => operation switch
    {
        BindOp op => op.Fd, ConnectOp op => op.Fd, SetSockOptOp op => op.Fd, GetSockOptOp op => op.Fd,
        SetNonblockOp op => op.Fd, SendToOp op => op.Fd, SendMsgOp op => op.Fd, CloseOp op => op.Fd,
        ShutdownOp op => op.Fd, SendMmsgOp op => op.Fd,
        _ => null,
    };
}

/// <summary>socket(domain, type, protocol); the descriptor is known by <paramref name="Name"/> afterwards.</summary>
public sealed record SocketOp(string Name, int Domain = AddressFamily.Inet, int Type = SocketType.Dgram, int Protocol = 0) : Operation;

/// <summary>open() of something that is not a socket (/dev/null), for ENOTSOCK.</summary>
public sealed record OpenFileOp(string Name) : Operation;

/// <summary>bind(fd, addr, addrlen), with the address bytes as given (null: a NULL pointer).</summary>
public sealed record BindOp(Fd Fd, UserBuffer? Address, int AddressLength) : Operation;

/// <summary>connect(fd, addr, addrlen); family AF_UNSPEC disconnects.</summary>
public sealed record ConnectOp(Fd Fd, UserBuffer? Address, int AddressLength) : Operation;

/// <summary>setsockopt(fd, level, name, value, optlen).</summary>
public sealed record SetSockOptOp(Fd Fd, int Level, int OptName, UserBuffer? Value, int OptLen) : Operation;

/// <summary>getsockopt(fd, level, name, buffer of optlen bytes).</summary>
public sealed record GetSockOptOp(Fd Fd, int Level, int OptName, int OptLen) : Operation;

/// <summary>fcntl(fd, F_SETFL, O_NONBLOCK or 0).</summary>
public sealed record SetNonblockOp(Fd Fd, bool Nonblocking) : Operation;

/// <summary>sendto(fd, buf, len, flags, addr, addrlen). <paramref name="Data"/> carries the pointer's readable
/// bytes and len.</summary>
public sealed record SendToOp(Fd Fd, UserBuffer Data, MsgFlags Flags, UserBuffer? Address, int AddressLength) : Operation;

/// <summary>sendmsg(fd, msg, flags) with every msghdr field raw.</summary>
/// <param name="Name">msg_name (null: NULL).</param>
/// <param name="NameLength">msg_namelen.</param>
/// <param name="Iov">The gather list.</param>
/// <param name="Control">msg_control bytes in the x86-64 cmsghdr layout (see <see cref="ControlMessages"/>).</param>
/// <param name="ControlLength">msg_controllen.</param>
public sealed record SendMsgOp(
    Fd Fd,
    UserBuffer? Name,
    int NameLength,
    IReadOnlyList<UserBuffer> Iov,
    UserBuffer? Control,
    long ControlLength,
    MsgFlags Flags) : Operation;

/// <summary>shutdown(fd, how): <paramref name="How"/> as given (0 SHUT_RD, 1 SHUT_WR, 2 SHUT_RDWR, anything else).</summary>
public sealed record ShutdownOp(Fd Fd, int How) : Operation;

/// <summary>One entry of a sendmmsg vector: a struct mmsghdr's msghdr with every field raw, as in <see cref="SendMsgOp"/>
/// (msg_flags is 0: the kernel ignores it for a send). Its msg_len is written back by the call.</summary>
public sealed record MmsgEntry(
    UserBuffer? Name,
    int NameLength,
    IReadOnlyList<UserBuffer> Iov,
    UserBuffer? Control,
    long ControlLength);

/// <summary>sendmmsg(fd, vec, vlen, flags). The vector holds <paramref name="Messages"/> readable entries; any entry the
/// call reaches beyond them cannot be read (EFAULT), so that no messages and a positive vlen is a vector that faults at
/// once (a NULL pointer behaves the same). <paramref name="Vlen"/> is the unsigned int as given.</summary>
public sealed record SendMmsgOp(Fd Fd, IReadOnlyList<MmsgEntry> Messages, uint Vlen, MsgFlags Flags) : Operation;

/// <summary>close(fd).</summary>
public sealed record CloseOp(Fd Fd) : Operation;

/// <summary>A change of the host between calls (ip link set mtu / up / down).</summary>
public sealed record HostChangeOp(string Interface, int? Mtu = null, bool? Up = null) : Operation;
