using FsCheck;
using FsCheck.Fluent;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Properties;

/// <summary>A sequence of operations, printed one per line so a failing run shows what to replay.</summary>
public sealed record OperationSequence(IReadOnlyList<Operation> Operations)
{
    public override string ToString() => string.Join(Environment.NewLine, Operations.Select((op, i) => $"  {i + 1}: {Describe(op)}"));

    private static string Describe(Operation op) => op switch
    {
        SendToOp s => $"SendTo({s.Fd}, {s.Data}, {s.Flags}, {Hex(s.Address)}, {s.AddressLength})",
        SendMsgOp s => $"SendMsg({s.Fd}, {Hex(s.Name)}, {s.NameLength}, [{string.Join(", ", s.Iov)}], {Hex(s.Control)}, {s.ControlLength}, {s.Flags})",
        BindOp b => $"Bind({b.Fd}, {Hex(b.Address)}, {b.AddressLength})",
        ConnectOp c => $"Connect({c.Fd}, {Hex(c.Address)}, {c.AddressLength})",
        SetSockOptOp o => $"SetSockOpt({o.Fd}, {o.Level}, {o.OptName}, {Hex(o.Value)}, {o.OptLen})",
        SendMmsgOp m => $"SendMmsg({m.Fd}, [{string.Join(", ", m.Messages.Select(e => $"({Hex(e.Name)}, {e.NameLength}, [{string.Join(", ", e.Iov)}], {Hex(e.Control)}, {e.ControlLength})"))}], {m.Vlen}, {m.Flags})",
        _ => op.ToString(),
    };

    private static string Hex(UserBuffer? buffer) =>
        buffer is null ? "NULL" : Convert.ToHexString(buffer.Readable.Span) + (buffer.FullyReadable ? "" : $"+{buffer.Length - buffer.Readable.Length} unreadable");
}

/// <summary>
/// Operations with any arguments: mostly well-formed ones near the interesting boundaries, mixed with arbitrary
/// descriptors, lengths, flags, address bytes, option values and control messages.
/// </summary>
public static class OperationGenerators
{
    private static readonly string[] Names = ["a", "b", "c"];
    private static Ipv4Address[] Addresses =>
    [
        Ipv4Address.Parse("198.51.100.7"), Ipv4Address.Parse("192.0.2.7"), Ipv4Address.Parse("192.0.2.1"),
        Ipv4Address.Parse("192.0.2.255"), Ipv4Address.LimitedBroadcast, Ipv4Address.Any, Ipv4Address.Loopback,
        Ipv4Address.Parse("224.0.0.1"), Ipv4Address.Parse("239.1.2.3"), Ipv4Address.Parse("203.0.113.9"),
        Ipv4Address.Parse("240.0.0.1"), Ipv4Address.Parse("0.1.2.3"),
    ];

    private static Gen<(T1, T2, T3)> Zip<T1, T2, T3>(Gen<T1> a, Gen<T2> b, Gen<T3> c) =>
        Gen.Zip(Gen.Zip(a, b), c).Select(t => (t.Item1.Item1, t.Item1.Item2, t.Item2));

    public static Gen<int> Interesting(params int[] values) =>
        Gen.Frequency((3, Gen.Elements(values)), (1, Gen.Choose(-3, 70000)), (1, ArbMap.Default.GeneratorFor<int>()));

    /// <summary>Mostly "a": the state one operation leaves (an option, a cork, a connection) matters to the next
    /// operation on the same socket, and the clauses that need two or three such steps in a row are reached only
    /// when the steps meet on one socket often enough.</summary>
    private static Gen<Fd> Fd() => Gen.Frequency(
        (8, Gen.Frequency((5, Gen.Constant("a")), (3, Gen.Constant("b")), (1, Gen.Constant("c"))).Select(Udpconf.Reference.Api.Fd.Named)),
        (1, Gen.Elements("f", "nope").Select(Udpconf.Reference.Api.Fd.Named)),
        (1, Interesting(-1, 0, 1, 3, 4, 99, 1024).Select(Udpconf.Reference.Api.Fd.Raw)));

    private static Gen<byte[]> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n));

    private static Gen<UserBuffer?> Buffer(Gen<byte[]> bytes) => Gen.Frequency(
        (8, bytes.Select(b => (UserBuffer?)UserBuffer.Of(b))),
        (1, Gen.Constant<UserBuffer?>(null)),
        (1, bytes.SelectMany(b => Gen.Choose(0, 64).Select(extra => (UserBuffer?)new UserBuffer(b, b.Length + extra)))));

    private static Gen<byte[]> SockAddrBytes() => Gen.Frequency(
        (6, Gen.Zip(Gen.Elements(Addresses), Gen.Elements<ushort>(9, 53, 0, 40000, 65535)).Select(t => SockAddr.In(t.Item1, t.Item2))),
        (1, Gen.Zip(Gen.Elements(Addresses), Gen.Elements<ushort>(0, 10, 1, 99)).Select(t => SockAddr.In(t.Item1, 9, t.Item2))),
        // Addresses of this host and lo's broadcast at a port sockets bind too (local_delivery.*).
        (2, Gen.Zip(Gen.Elements(Ipv4Address.Loopback, Ipv4Address.Parse("192.0.2.1"), Ipv4Address.LoopbackBroadcast), Gen.Elements<ushort>(5000, 5001))
            .Select(t => SockAddr.In(t.Item1, t.Item2))),
        (1, Gen.Elements(Addresses).Select(a => SockAddr.In6Mapped(a, 9))),
        (1, Gen.Constant(SockAddr.In6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 9))),
        (1, Bytes(40)));

    private static Gen<(UserBuffer? Address, int Length)> Address() =>
        SockAddrBytes().SelectMany(bytes => Gen.Frequency(
            (6, Gen.Constant(bytes.Length)),
            (1, Interesting(-1, 0, 1, 2, 15, 16, 24, 28, 128, 129)))
            .SelectMany(length => Buffer(Gen.Constant(bytes)).Select(buffer => (buffer, length))));

    private static Gen<UserBuffer> Data() => Gen.Frequency(
        (6, Gen.Choose(0, 1600).Select(n => UserBuffer.Pattern(n))),
        (2, Gen.Elements(0, 0, 65467, 65468, 65507, 65508, 65535, 65536, 70000, 3000, 1472, 1473).Select(n => UserBuffer.Pattern(n))),
        (1, Gen.Zip(Gen.Choose(0, 3000), Gen.Choose(0, 3000)).Select(t => new UserBuffer(new byte[t.Item1], t.Item1 + t.Item2))));

    private static Gen<MsgFlags> Flags() => Gen.Frequency(
        (6, Gen.Constant(MsgFlags.None)),
        (4, Gen.Constant(MsgFlags.More)),
        (3, Gen.Elements(MsgFlags.Probe, MsgFlags.Confirm, MsgFlags.DontRoute, MsgFlags.DontWait, MsgFlags.Oob, MsgFlags.Probe | MsgFlags.More, MsgFlags.Probe | MsgFlags.Confirm)),
        (1, Gen.SubListOf(new[] { MsgFlags.More, MsgFlags.Probe, MsgFlags.Confirm, MsgFlags.DontRoute, MsgFlags.DontWait, MsgFlags.Oob, MsgFlags.NoSignal })
            .Select(list => list.Aggregate(MsgFlags.None, (a, f) => a | f))),
        (1, ArbMap.Default.GeneratorFor<uint>().Select(u => (MsgFlags)u)),
        (2, Gen.Elements(MsgFlags.Zerocopy | MsgFlags.More, MsgFlags.Zerocopy, MsgFlags.Zerocopy | MsgFlags.More, MsgFlags.Zerocopy | MsgFlags.Probe)));

    private static Gen<byte[]> Control() => Gen.Frequency(
        (3, Gen.Zip(Gen.Choose(0, 2), Gen.Elements(1, 2, 4, 7, 8, 99)).SelectMany(t => Bytes(16).Select(data =>
            ControlMessages.Encode((t.Item1 == 2 ? 17 : t.Item1, t.Item2, data))))),
        (4, Gen.Zip(Gen.Elements(0, 1, 2, 3), Gen.Elements(Addresses)).Select(t => ControlMessages.Encode((0, 8, ControlMessages.PktInfo(t.Item1, t.Item2))))),
        (1, Gen.Elements(1, 64, 255, 0, 256, -1).Select(v => ControlMessages.Encode((0, 2, ControlMessages.Int(v)), (0, 1, ControlMessages.Int(v))))),
        // UDP GSO (current kernels): a segment size alone, or beside an IP message.
        (2, Gen.Elements(0, 1, 10, 100, 1000, 1472, 1473, 65535).SelectMany(size => Gen.Elements(
            ControlMessages.Encode((17, 103, [(byte)size, (byte)(size >> 8)])),
            ControlMessages.Encode((17, 103, [(byte)size, (byte)(size >> 8)]), (0, 2, ControlMessages.Int(64)))))),
        // SO_MARK for this send (policy_routing.mark_cmsg).
        (1, Gen.Elements(0, 7, 8).Select(mark => ControlMessages.Encode((1, 36, ControlMessages.Int(mark))))),
        (1, Bytes(48)));

    private static Gen<Operation> SocketOps() => Gen.Frequency(
        (6, Gen.Elements(Names).Select(n => (Operation)new SocketOp(n))),
        (1, Gen.Elements(Names).Select(n => (Operation)new SocketOp(n, AddressFamily.Inet6))),
        (1, Zip(Gen.Elements(Names), Interesting(0, 2, 10, 99), Interesting(1, 2, 3, 0x802, 99)).SelectMany(t =>
            Interesting(0, 17, 1, 6, 136).Select(p => (Operation)new SocketOp(t.Item1, t.Item2, t.Item3, p)))),
        (1, Gen.Constant((Operation)new OpenFileOp("f"))));

    /// <summary>Options that matter to the send path, with values that matter: the notes' (2.6) options as often as
    /// before the current kernels' ones came, which do not dilute them.</summary>
    private static Gen<(int Level, int Name, byte[] Value)> MeaningfulOption() => Gen.Frequency((3, NotesOption()), (2, CurrentOption()));

    private static Gen<(int Level, int Name, byte[] Value)> NotesOption() => Gen.OneOf(
        Gen.Elements(0, 1).Select(v => (17, 1, BitConverter.GetBytes(v))),
        Gen.Choose(-1, 6).Select(v => (0, 10, BitConverter.GetBytes(v))),
        Gen.Elements(0, 1).Select(v => (0, 11, BitConverter.GetBytes(v))),
        Gen.Elements(0, 1).Select(v => (1, 11, BitConverter.GetBytes(v))),
        Gen.Elements(0, 1).Select(v => (1, 6, BitConverter.GetBytes(v))),
        Gen.Constant((1, 4, BitConverter.GetBytes(0))),
        Gen.Elements(0, 1).Select(v => (1, 5, BitConverter.GetBytes(v))),
        Gen.Elements(0, 1, 2048, 100000).Select(v => (1, 7, BitConverter.GetBytes(v))),
        Gen.Elements(-1, 0, 1, 64, 255, 256).Select(v => (0, 2, BitConverter.GetBytes(v))),
        Gen.Elements(0, 0x10, 0xB8, 0xFF).Select(v => (0, 1, BitConverter.GetBytes(v))),
        Gen.Elements(-1, 0, 1, 5, 255, 256).Select(v => (0, 33, BitConverter.GetBytes(v))),
        Gen.Elements<byte[]>([0, 0, 0, 0], [192, 0, 2, 1], [203, 0, 113, 1], [10, 0, 0, 1]).Select(v => (0, 32, v)),
        Gen.Elements<byte[]>(
            [131, 7, 4, 198, 51, 100, 1], [137, 11, 4, 192, 0, 2, 7, 198, 51, 100, 1], [7, 7, 4, 0, 0, 0, 0], [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0],
            [1, 1, 1, 0], [68, 8, 5, 0, 0, 0, 0, 0], [148, 4, 0, 0], [131, 3, 4], [], [0], [30, 2]).Select(v => (0, 4, v)));

    /// <summary>Current kernels' options (catalog part 2): UDP_SEGMENT, device binding (bound sockets often, for
    /// bind_device.pktinfo), membership, loop and all, a multicast TTL of 0, IP_UNICAST_IF, SO_ZEROCOPY (on often, for
    /// zerocopy.corked).</summary>
    private static Gen<(int Level, int Name, byte[] Value)> CurrentOption() => Gen.Frequency(
        (4, Gen.Elements(1, 2).Select(v => (1, 62, BitConverter.GetBytes(v)))),
        (7, CurrentOptions()),
        (1, Gen.Constant((1, 60, BitConverter.GetBytes(1)))),
        // IP_RECVERR on, for the error queue's entries (local_delivery.recverr).
        (1, Gen.Constant((0, 11, BitConverter.GetBytes(1)))),
        (1, LaterOptions()));

    private static Gen<(int Level, int Name, byte[] Value)> CurrentOptions() => Gen.OneOf(
        Gen.Elements(0, 10, 1000, 1473, 65535, 65536, -1).Select(v => (17, 103, BitConverter.GetBytes(v))),
        Gen.Elements<byte[]>([.. "tun0"u8, 0], [.. "lo"u8], [0], [.. "nosuch"u8, 0]).Select(v => (1, 25, v)),
        Gen.Elements(0, 1, 2, 2, 99, -1).Select(v => (1, 62, BitConverter.GetBytes(v))),
        Gen.Elements<byte[]>([239, 1, 2, 3, 192, 0, 2, 1], [239, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0], [239, 1, 2, 3], [198, 51, 100, 7, 192, 0, 2, 1], [239, 1, 2, 3, 203, 0, 113, 9])
            .SelectMany(v => Gen.Elements(35, 36).Select(name => (0, name, v))),
        Gen.Elements(0, 1, 2).SelectMany(v => Gen.Elements(34, 49).Select(name => (0, name, BitConverter.GetBytes(v)))),
        Gen.Constant((0, 33, BitConverter.GetBytes(0))),
        Gen.Elements<byte[]>([0, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 99], [0, 0, 2]).Select(v => (0, 50, v)),
        Gen.Elements(1, 1, 0, 2, -1).Select(v => (1, 60, BitConverter.GetBytes(v))),
        // IP_FREEBIND, IP_TRANSPARENT (nonlocal.*): binding and sending from 203.0.113.9, which no link has.
        Gen.Elements(15, 19).SelectMany(name => Gen.Elements(1, 0).Select(v => (0, name, BitConverter.GetBytes(v)))),
        // IP_BIND_ADDRESS_NO_PORT, IP_LOCAL_PORT_RANGE (ephemeral.*): a range of ten ports, of one, one end, low above high.
        Gen.Elements(1, 0).Select(v => (0, 24, BitConverter.GetBytes(v))),
        Gen.Elements((50000, 50009), (50000, 50000), (0, 40000), (50009, 50000)).Select(r => (0, 51, BitConverter.GetBytes(r.Item1 | r.Item2 << 16))),
        // Buffers (options.buffer), SO_LINGER (options.linger) and read-only values (options.readonly).
        Gen.Zip(Gen.Elements(7, 8, 32, 33), Gen.Elements(1000, -1, 10_000_000)).Select(t => (1, t.Item1, BitConverter.GetBytes(t.Item2))),
        Gen.Elements<byte[]>([1, 0, 0, 0, 5, 0, 0, 0], [1, 0, 0, 0, 255, 255, 255, 255], [0, 0, 0, 0, 0, 0, 0, 0]).Select(v => (1, 13, v)),
        Gen.Elements((1, 3), (1, 28), (1, 17), (1, 59), (0, 52), (0, 5)).Select(o => (o.Item1, o.Item2, BitConverter.GetBytes(1))));

    /// <summary>Options that route by mark (SO_MARK), that the send path does not read (options.*) and the timeouts:
    /// a pool of their own, so that adding to it does not dilute the options whose effects need several steps.</summary>
    private static Gen<(int Level, int Name, byte[] Value)> LaterOptions() => Gen.OneOf(
        // SO_MARK: none, unreachable (7), table 100 (8 and 0x108 of the low byte), and a short value (EINVAL).
        Gen.Elements<byte[]>([0, 0, 0, 0], [7, 0, 0, 0], [8, 0, 0, 0], [8, 1, 0, 0], [7, 0]).Select(v => (1, 36, v)),
        // Options the send path does not read (options.*): flags, kept values, the timestamp pair, SO_PASSCRED.
        Gen.Elements((1, 2), (1, 15), (1, 9), (1, 18), (1, 29), (1, 35), (1, 16), (0, 8), (0, 21), (0, 26), (17, 100), (17, 104))
            .SelectMany(o => Gen.Elements<byte[]>([1, 0, 0, 0], [0, 0, 0, 0], [2, 0, 0, 0], [0, 1, 0, 0], [1]).Select(v => (o.Item1, o.Item2, v))),
        // SO_SNDTIMEO / SO_RCVTIMEO: 1 s, 1 µs, negative seconds, EDOM, too short, 12.345678 s.
        Gen.Elements(20, 21, 66, 67).SelectMany(name => Gen.Elements<byte[]>(
            [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
            [255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 64, 66, 15, 0, 0, 0, 0, 0], [1, 0, 0, 0],
            [12, 0, 0, 0, 0, 0, 0, 0, 0x4e, 0x46, 5, 0, 0, 0, 0, 0])
            .Select(v => (1, name, v))));

    private static Gen<Operation> OptionOps()
    {
        var option = Gen.Frequency(
            (6, MeaningfulOption()),
            (1, Zip(Interesting(0, 1, 6, 17, 41, 255), Interesting(0, 1, 2, 99), Bytes(48)).Select(t => (Level: t.Item1, Name: t.Item2, Value: t.Item3))));
        var set = Gen.Zip(Fd(), option).SelectMany(t => Buffer(Gen.Constant(t.Item2.Value)).SelectMany(buffer =>
            Gen.Frequency((8, Gen.Constant(t.Item2.Value.Length)), (1, Interesting(-1, 0, 1, 3, 4, 12, 40, 41)))
                .Select(optlen => (Operation)new SetSockOptOp(t.Item1, t.Item2.Level, t.Item2.Name, buffer, optlen))));
        var get = Zip(Fd(), option, Interesting(-1, 0, 1, 3, 4, 8, 12, 16, 40))
            .Select(t => (Operation)new GetSockOptOp(t.Item1, t.Item2.Level, t.Item2.Name, t.Item3));
        return Gen.Frequency((4, set), (1, get));
    }

    private static Gen<Operation> SendOps()
    {
        var sendto = Zip(Fd(), Data(), Flags()).SelectMany(t => Gen.Frequency(
                (5, Address().Select(a => (Operation)new SendToOp(t.Item1, t.Item2, t.Item3, a.Address, a.Length))),
                (1, Gen.Constant((Operation)new SendToOp(t.Item1, t.Item2, t.Item3, null, 0)))));
        var sendmsg = Zip(Fd(), Gen.ListOf(Data(), 3), Flags()).SelectMany(t =>
            Gen.Zip(Address(), Gen.Frequency((2, Gen.Constant<byte[]?>(null)), (1, Control().Select(c => (byte[]?)c)))).SelectMany(u =>
                Gen.Frequency((5, Gen.Constant((long)(u.Item2?.Length ?? 0))), (1, Interesting(-1, 8, 16, 1000).Select(x => (long)x)))
                    .Select(controlLength => (Operation)new SendMsgOp(t.Item1, u.Item1.Address, u.Item1.Length, t.Item2.ToArray(),
                        u.Item2 is null ? null : UserBuffer.Of(u.Item2), controlLength, t.Item3))));
        var entry = Gen.Zip(Gen.ListOf(Data(), 2), Address()).SelectMany(t =>
            Gen.Frequency((3, Gen.Constant<byte[]?>(null)), (1, Control().Select(c => (byte[]?)c))).Select(control =>
                new MmsgEntry(t.Item2.Address, t.Item2.Length, t.Item1.ToArray(), control is null ? null : UserBuffer.Of(control), control?.Length ?? 0)));
        // vlen: mostly the entries given, else around them (past them the vector faults), 0, and above UIO_MAXIOV.
        var sendmmsg = Zip(Fd(), Gen.Choose(0, 4).SelectMany(n => Gen.ListOf(entry, n)), Flags()).SelectMany(t =>
            Gen.Frequency((6, Gen.Constant((uint)t.Item2.Count)), (1, Gen.Elements(0u, 1u, 2u, 1025u, uint.MaxValue)))
                .Select(vlen => (Operation)new SendMmsgOp(t.Item1, t.Item2.ToArray(), vlen, t.Item3)));
        // The front end's limits (sys_sendmsg.*): explicit gather-list entries, iov counts around UIO_MAXIOV, control
        // lengths around the on-stack buffer, optmem_max and INT_MAX, MSG_CMSG_COMPAT.
        var explicitEntry = Gen.Frequency(
            (3, Gen.Elements(0, 1, 9).Select(n => UserBuffer.Pattern(n))),
            (1, Gen.Elements(0L, 5L, 70000L, -1L, long.MinValue, 1L << 47, 1L << 62).Select(UserBuffer.Null)),
            (1, Gen.Elements(3L, 70000L, -1L, 1L << 47, 1L << 62).Select(UserBuffer.Unreadable)));
        var frontIov = Gen.Frequency(
            (4, Gen.Choose(0, 3).SelectMany(n => Gen.ListOf(explicitEntry, n)).Select(l => l.ToArray())),
            (1, Gen.Elements(1024, 1025).Select(n => Enumerable.Range(0, n).Select(_ => UserBuffer.Pattern(1)).ToArray())));
        var front = Zip(Fd(), frontIov, Address()).SelectMany(t =>
            Gen.Zip(Interesting(0, 8, 36, 37, 131071, 131072, int.MaxValue).Select(x => (long)x),
                    Gen.Frequency((6, Flags()), (1, Gen.Constant((MsgFlags)0x80000000))))
                .Select(u => (Operation)new SendMsgOp(t.Item1, t.Item3.Address, t.Item3.Length, t.Item2,
                    u.Item1 == 0 ? null : UserBuffer.Of(new byte[Math.Clamp(u.Item1, 0, 8)]), u.Item1 == int.MaxValue ? 1L << 31 : u.Item1, u.Item2)));
        return Gen.Frequency((12, sendto), (8, sendmsg), (4, sendmmsg), (1, front));
    }

    public static Gen<Operation> Operation() => Gen.Frequency(
        (3, SocketOps()),
        (2, Gen.Zip(Fd(), Address()).Select(t => (Operation)new BindOp(t.Item1, t.Item2.Address, t.Item2.Length))),
        (2, Gen.Zip(Fd(), Address()).Select(t => (Operation)new ConnectOp(t.Item1, t.Item2.Address, t.Item2.Length))),
        // An AF_UNSPEC disconnect (which also unbinds a device: bind_device.disconnect), a binding to tun0.
        (1, Fd().Select(fd => (Operation)new ConnectOp(fd, UserBuffer.Of(SockAddr.In(Ipv4Address.Any, 0, AddressFamily.Unspec)), 16))),
        (1, Fd().Select(fd => (Operation)new SetSockOptOp(fd, 1, 25, UserBuffer.Of(new byte[] { 0x74, 0x75, 0x6e, 0x30, 0 }), 5))),
        (4, OptionOps()),
        (1, Gen.Zip(Fd(), ArbMap.Default.GeneratorFor<bool>()).Select(t => (Operation)new SetNonblockOp(t.Item1, t.Item2))),
        (8, SendOps()),
        (1, Fd().Select(fd => (Operation)new CloseOp(fd))),
        (1, Gen.Zip(Fd(), Interesting(0, 1, 2, -1, 3)).Select(t => (Operation)new ShutdownOp(t.Item1, t.Item2))),
        (1, Zip(Gen.Elements("tun0", "lo", "eth9"), Gen.Elements<int?>(null, 68, 576, 1006, 1500, 9000, 65535, 67, 70000), Gen.Elements<bool?>(null, true, false))
            .Select(t => (Operation)new HostChangeOp(t.Item1, t.Item2, t.Item3))));

    /// <summary>Two sockets to start with; one in four times the second is a dual-stack AF_INET6 socket.</summary>
    /// <summary>Now and then socket a starts in a state that later operations build on (SO_ZEROCOPY on, IP_RECVERR on, a
    /// multicast TTL of 0, a send timeout read back), or both sockets with SO_REUSEPORT on sharing port 9: clauses that need that state and two or three more
    /// steps are reached often enough without every new option making the others rarer.</summary>
    private static Gen<Operation[]> Opening()
    {
        static Operation Set(string fd, int level, int name, int value) =>
            new SetSockOptOp(Udpconf.Reference.Api.Fd.Named(fd), level, name, UserBuffer.Of(BitConverter.GetBytes(value)), 4);
        // A send timeout of 4001 µs, read back in jiffies of the tick rate (a symbol), then left to later sends.
        Operation[] timeout = [new SetSockOptOp(Udpconf.Reference.Api.Fd.Named("a"), 1, 21, UserBuffer.Of((byte[])[0, 0, 0, 0, 0, 0, 0, 0, 0xa1, 0x0f, 0, 0, 0, 0, 0, 0]), 16),
            new GetSockOptOp(Udpconf.Reference.Api.Fd.Named("a"), 1, 21, 16)];
        Operation[][] states = [[], [], [], timeout, [Set("a", 1, 60, 1)], [Set("a", 0, 11, 1)], [Set("a", 0, 33, 0)], [Set("a", 1, 15, 1), Set("b", 1, 15, 1), new BindOp(Udpconf.Reference.Api.Fd.Named("a"), UserBuffer.Of(SockAddr.In(Ipv4Address.Any, 9)), 16),
            new BindOp(Udpconf.Reference.Api.Fd.Named("b"), UserBuffer.Of(SockAddr.In(Ipv4Address.Parse("192.0.2.1"), 9)), 16)]];
        return Gen.Zip(Gen.Elements(AddressFamily.Inet, AddressFamily.Inet, AddressFamily.Inet, AddressFamily.Inet6), Gen.Elements(states))
            .Select(t => (Operation[])[new SocketOp("a"), new SocketOp("b", t.Item1), .. t.Item2]);
    }

    /// <summary>Sequences of up to 40 operations, most opening two sockets first; shrinking drops operations one at a time.</summary>
    public static Arbitrary<OperationSequence> Sequences() => Arb.From(
        Gen.Zip(Gen.Choose(1, 40), Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false))))
            .SelectMany(t => Gen.Zip(Gen.ListOf(Operation(), t.Item1), Opening()).Select(u => t.Item2 ? u.Item2.Concat(u.Item1) : u.Item1))
            .Select(ops => new OperationSequence(ops.ToArray())),
        sequence => Enumerable.Range(0, sequence.Operations.Count)
            .Select(i => new OperationSequence(sequence.Operations.Where((_, j) => j != i).ToArray())));
}
