using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Udpconf.Suite.Cases;

namespace Udpconf.Suite.Fuzz;

/// <summary>
/// The operations of the differential machine, aimed by the generation state: cork on and off, sendto, sendmsg and
/// sendmmsg with lengths around every limit (MTU, 65507, 65535), flags, valid and invalid addresses, connect and
/// disconnect, IP options, PMTU modes, UDP GSO segment sizes (option and message), SO_NO_CHECK, device binding, MTU
/// changes, shutdown and close. Only what every target can run on the fuzz host: IPv4 sockets on
/// one TUN link; no send-buffer sizes (a blocked send would hang a live target).
/// </summary>
public static class FuzzGenerators
{
    public static Ipv4Address Local => Ipv4Address.Parse("192.0.2.1");

    /// <summary>The host every fuzz run uses: the default host (tun0 192.0.2.1/24, MTU 1500, default route via
    /// 192.0.2.254).</summary>
    public static HostConfig Host => HostConfig.Default;

    /// <summary>The host of a target that sets up policy routing (feature policy-routing): the fuzz host with rules
    /// that marks, TOS, a bound source and a bound device meet (policy_routing.*), on its one link: mark 7 is
    /// unreachable; mark 8 (of its low byte) and a flow from 192.0.2.1 to 203.0.113.9 take table 100, whose route to
    /// 203.0.113.0/24 sets hop limit 9 (visible as the TTL); TOS 0x10 to 198.51.100.0/24 is prohibited; a flow out of
    /// lo is blackholed (a device-bound flow then assumes its destination on link).</summary>
    public static HostConfig RoutedHost => Host with
    {
        Routes = [.. Host.Routes, new Route(Ipv4Address.Parse("203.0.113.0"), 24, RouteKind.Unicast, "tun0", Ipv4Address.Parse("192.0.2.253"), HopLimit: 9, Table: 100)],
        Rules =
        [
            new PolicyRule(1000, RuleAction.Unreachable, FwMark: (7, uint.MaxValue)),
            new PolicyRule(1001, RuleAction.Lookup, 100, FwMark: (8, 0xFF)),
            new PolicyRule(1002, RuleAction.Prohibit, To: (Ipv4Address.Parse("198.51.100.0"), 24), Tos: 0x10),
            new PolicyRule(1003, RuleAction.Lookup, 100, From: (Local, 32), To: (Ipv4Address.Parse("203.0.113.9"), 32)),
            new PolicyRule(1004, RuleAction.Blackhole, Oif: "lo"),
        ],
    };

    /// <summary>The host the differential machine sets up on a target with <paramref name="features"/>.</summary>
    public static HostConfig HostFor(IReadOnlySet<Feature> features) => features.Contains(Feature.PolicyRouting) ? RoutedHost : Host;

    private static readonly string[] Names = ["a", "b"];

    /// <summary>Off-host unicast through the gateway and on the link, the link's broadcast, a multicast group, and
    /// addresses of this host (local_delivery.*): 127.0.0.1 and 192.0.2.1 at the ports <see cref="Bind"/> may bind, so
    /// that a datagram is now delivered to a socket of the run, now answered with an ICMP port unreachable
    /// (ECONNREFUSED on a connected socket's next send, an error-queue entry under IP_RECVERR).</summary>
    private static readonly (Ipv4Address Address, ushort Port)[] Destinations =
    [
        (Ipv4Address.Parse("198.51.100.7"), 9), (Ipv4Address.Parse("192.0.2.7"), 53), (Ipv4Address.Parse("203.0.113.9"), 4000),
        (Ipv4Address.Parse("192.0.2.255"), 9), (Ipv4Address.Parse("224.0.0.1"), 9), (Ipv4Address.Parse("239.1.2.3"), 9),
        (Ipv4Address.Loopback, 5000), (Local, 5001), (Ipv4Address.Loopback, 5001),
    ];

    private static readonly int[] Lengths = [0, 1, 7, 8, 100, 1472, 1473, 1480, 1500, 2000, 2952, 2953, 65467, 65468, 65507, 65508, 65527, 65535, 65536];

    /// <summary>UDP GSO segment sizes around its limits: one byte (128 bytes of data at most), the MTU less the
    /// headers with and without options, above the MTU, the largest.</summary>
    private static readonly int[] SegmentSizes = [0, 1, 8, 100, 500, 1000, 1464, 1468, 1472, 1473, 1500, 65535];

    /// <summary>The bytes of a send: 0, 1, 2, ... wrapping at 256 (<see cref="UserBuffer.Pattern"/>'s with seed 0), as a
    /// slice of one shared array instead of a new one for every operation drawn (a tenth of the generation's time).</summary>
    private static UserBuffer Pattern(int length) => UserBuffer.Of(PatternBytes.AsMemory(0, length));

    /// <summary>Enough for the longest send drawn (70,000 bytes).</summary>
    private static readonly byte[] PatternBytes = UserBuffer.Pattern(70_000).Readable.ToArray();

    private static Gen<(T1, T2, T3)> Zip<T1, T2, T3>(Gen<T1> a, Gen<T2> b, Gen<T3> c) =>
        Gen.Zip(Gen.Zip(a, b), c).Select(t => (t.Item1.Item1, t.Item1.Item2, t.Item2));

    /// <summary>The next operation for a run in <paramref name="state"/>. The generators of one socket's operations are
    /// built once per socket name (and port) and kept (<see cref="Cached"/>): a generator is a function of the random
    /// stream only, so a kept one draws exactly what a new one would, and a seed still gives the same sequences, while
    /// building them anew for every operation cost more than the rest of a fuzz step.</summary>
    public static Gen<Operation> Next(FuzzState state)
    {
        // What the choice depends on: each open socket, whether it was used, and the port a checksum-zero send needs.
        var key = new System.Text.StringBuilder();
        foreach (var (name, socket) in state.Sockets)
            key.Append(name).Append(socket.Used ? '+' : '-')
                .Append(socket is { Port: not 0, Options: false, MaybePending: false, ShutWrite: false } ? socket.Port : 0).Append(' ');
        return Choices.GetOrAdd(key.ToString(), _ => Choose(state));
    }

    /// <summary>The generators of <see cref="Next"/> by what they depend on in the state, built once each.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Gen<Operation>> Choices = new();

    private static Gen<Operation> Choose(FuzzState state)
    {
        if (state.Sockets.Count == 0) return Gen.Elements(Names).Select(n => (Operation)new SocketOp(n));
        var open = Gen.Elements(state.Sockets.Keys.ToArray());
        var choices = new List<(int, Gen<Operation>)>
        {
            (12, open.SelectMany(name => Cached("sendto", name, SendTo))),
            (5, open.SelectMany(name => Cached("sendmsg", name, SendMsg))),
            (3, open.SelectMany(name => Cached("sendmmsg", name, SendMmsg))),
            (1, open.SelectMany(name => Cached("shutdown", name, Shutdown))),
            (4, open.SelectMany(name => Cached("cork", name, Cork))),
            (3, open.SelectMany(name => Cached("option", name, Option))),
            (2, open.SelectMany(name => Cached("connect", name, Connect))),
            (1, open.Select(name => (Operation)new CloseOp(Fd.Named(name)))),
            // Not 68: a datagram cut into hundreds of buffers runs into the send buffer's limit, whose accounting
            // (the true size of each buffer) the model only approximates (see Profile.SkbOverhead).
            // 67 and 65536 are past the link's limits (EINVAL), 65535 at the upper one.
            (1, Gen.Elements(576, 1006, 1280, 1500, 9000, 67, 65535, 65536).Select(mtu => (Operation)new HostChangeOp("tun0", Mtu: mtu))),
        };
        var unused = state.Sockets.Where(s => !s.Value.Used).Select(s => s.Key).ToArray();
        if (unused.Length > 0) choices.Add((4, Gen.Elements(unused).SelectMany(name => Cached("bind", name, Bind))));
        var known = state.Sockets.Where(s => s.Value is { Port: not 0, Options: false, MaybePending: false, ShutWrite: false })
            .Select(s => (Name: s.Key, s.Value.Port)).ToArray();
        if (known.Length > 0)
            choices.Add((4, Gen.Elements(known).SelectMany(k => Cached("zero-checksum:" + k.Port, k.Name, n => ZeroChecksum(n, k.Port)))));
        var closed = Names.Where(n => !state.Sockets.ContainsKey(n)).ToArray();
        if (closed.Length > 0) choices.Add((2, Gen.Elements(closed).Select(n => (Operation)new SocketOp(n))));
        return Gen.Frequency(choices.ToArray());
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Kind, string Name), Gen<Operation>> Generators = new();

    /// <summary>The generator of <paramref name="kind"/> for the socket <paramref name="name"/>, built on first use.</summary>
    private static Gen<Operation> Cached(string kind, string name, Func<string, Gen<Operation>> build) =>
        Generators.GetOrAdd((kind, name), key => build(key.Name));

    private static Gen<int> Length() => LengthGen;

    private static readonly Gen<int> LengthGen = Gen.Frequency((3, Gen.Elements(Lengths)), (3, Gen.Choose(0, 3000)), (1, Gen.Choose(0, 70000)));

    private static Gen<MsgFlags> Flags() => FlagsGen;

    private static readonly Gen<MsgFlags> FlagsGen = Gen.Frequency(
        (8, Gen.Constant(MsgFlags.None)),
        (5, Gen.Constant(MsgFlags.More)),
        (1, Gen.Elements(MsgFlags.Probe, MsgFlags.Confirm, MsgFlags.DontWait, MsgFlags.Oob, MsgFlags.DontRoute, MsgFlags.More | MsgFlags.Probe)),
        // MSG_ZEROCOPY (followed once SO_ZEROCOPY is set), alone, corked, or with MSG_PROBE.
        (2, Gen.Elements(MsgFlags.Zerocopy, MsgFlags.Zerocopy, MsgFlags.Zerocopy | MsgFlags.More, MsgFlags.Zerocopy | MsgFlags.Probe)));

    /// <summary>An address argument: mostly a good sockaddr_in, sometimes port 0, a short length, AF_UNSPEC, another
    /// family or none at all.</summary>
    private static Gen<(UserBuffer? Address, int Length)> Address() => AddressGen;

    private static readonly Gen<(UserBuffer? Address, int Length)> AddressGen = Gen.Frequency(
        (10, Gen.Elements(Destinations).Select(d => ((UserBuffer?)UserBuffer.Of(SockAddr.In(d.Address, d.Port)), 16))),
        (1, Gen.Constant(((UserBuffer?)UserBuffer.Of(SockAddr.In(Destinations[0].Address, 0)), 16))),
        (1, Gen.Constant(((UserBuffer?)UserBuffer.Of(SockAddr.In(Destinations[0].Address, 9)), 15))),
        (1, Gen.Constant(((UserBuffer?)UserBuffer.Of(SockAddr.In(Destinations[0].Address, 9, AddressFamily.Unspec)), 16))),
        (1, Gen.Constant(((UserBuffer?)UserBuffer.Of(SockAddr.In(Destinations[0].Address, 9, 1)), 16))),
        (3, Gen.Constant(((UserBuffer?)null, 0))));

    private static Gen<Operation> SendTo(string name) =>
        Zip(Length(), Flags(), Address()).Select(t =>
            (Operation)new SendToOp(Fd.Named(name), Pattern(t.Item1), t.Item2, t.Item3.Address, t.Item3.Length));

    private static Gen<Operation> SendMsg(string name) =>
        Gen.Frequency(
            (12, Zip(Length(), Gen.Choose(1, 3), Flags()).SelectMany(t => Gen.Zip(Address(), Control()).Select(u =>
            {
                var (length, pieces, flags) = t;
                var iov = Enumerable.Range(0, pieces).Select(i => Pattern(length / pieces + (i == 0 ? length % pieces : 0))).ToArray();
                return (Operation)new SendMsgOp(Fd.Named(name), u.Item1.Address, u.Item1.Length, iov,
                    u.Item2 is null ? null : UserBuffer.Of(u.Item2), u.Item2?.Length ?? 0, flags);
            }))),
            (2, FrontEnd(name)));

    /// <summary>sendmsg at the front end's limits (sys_sendmsg.*): iov counts around UIO_MAXIOV, gather-list entries with
    /// explicit lengths (NULL bases, lengths negative as ssize_t, past user space, beyond the mapped bytes), control
    /// lengths around the on-stack buffer, optmem_max and INT_MAX, names of odd lengths, MSG_CMSG_COMPAT. Lengths
    /// between MAX_RW_COUNT and 2^47 are left out: whether access_ok takes them depends on where the buffer lies.</summary>
    private static Gen<Operation> FrontEnd(string name)
    {
        var entry = Gen.Frequency(
            (6, Gen.Elements(0, 1, 7, 100).Select(Pattern)),
            (1, Gen.Elements(0L, 5L, 70000L, -1L, long.MinValue, 1L << 47, 1L << 62).Select(UserBuffer.Null)),
            (1, Gen.Elements(3L, 70000L, -1L, 1L << 47, 1L << 62).Select(UserBuffer.Unreadable)),
            (1, Gen.Elements(5L, 40L, 70000L).Select(n => new UserBuffer(Pattern(4).Readable, n))));
        var iov = Gen.Frequency(
            (6, Gen.Choose(0, 3).SelectMany(n => Gen.ListOf(entry, n)).Select(l => (IReadOnlyList<UserBuffer>)l.ToArray())),
            (1, Gen.Elements(1023, 1024, 1025).Select(n => (IReadOnlyList<UserBuffer>)Enumerable.Range(0, n).Select(_ => Pattern(1)).ToArray())));
        var name_ = Gen.Frequency(
            (6, Address()),
            (1, Gen.Elements(-1, 0, 16, 128, 129, 1000).Select(n => ((UserBuffer?)null, n))),
            (1, Gen.Elements(-1, 127, 128, 129, 4096).Select(n => ((UserBuffer?)UserBuffer.Of(Pad(SockAddr.In(Destinations[0].Address, Destinations[0].Port), 128)), n))));
        var control = Gen.Frequency(
            (4, Control().Select(c => (Buffer: c is null ? null : UserBuffer.Of(c), Length: (long)(c?.Length ?? 0)))),
            (2, Gen.Elements(8L, 16L, 36L, 37L, 131071L, 131072L, 2147483647L, 2147483648L, -1L).Select(n => (Buffer: (UserBuffer?)UserBuffer.Of(Array.Empty<byte>()), Length: n))),
            (1, Gen.Constant((Buffer: (UserBuffer?)UserBuffer.Of(new byte[8]), Length: 8L))));
        var flags = Gen.Frequency((8, Flags()), (1, Gen.Constant((MsgFlags)0x80000000)));
        return Zip(iov, name_, control).SelectMany(t => flags.Select(f =>
            (Operation)new SendMsgOp(Fd.Named(name), t.Item2.Item1, t.Item2.Item2, t.Item1, t.Item3.Buffer, t.Item3.Length, f)));
    }

    private static byte[] Pad(byte[] bytes, int length)
    {
        var padded = new byte[length];
        bytes.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>sendmmsg of one to three entries shaped as <see cref="SendMsg"/>'s, with the call's flags; now and then a
    /// vlen one past them (the vector then ends: EFAULT there), or 0.</summary>
    private static Gen<Operation> SendMmsg(string name) =>
        Gen.Zip(Gen.Choose(1, 3), Flags()).SelectMany(t => Gen.ListOf(Entry(), t.Item1).SelectMany(entries =>
            Vlens[entries.Count].Select(vlen => (Operation)new SendMmsgOp(Fd.Named(name), entries.ToArray(), vlen, t.Item2))));

    /// <summary>The vlen of a sendmmsg of n entries: mostly n, now and then n + 1 or 0 (by n, built once).</summary>
    private static readonly Gen<uint>[] Vlens = [.. Enumerable.Range(0, 4).Select(n =>
        Gen.Frequency((8, Gen.Constant((uint)n)), (1, Gen.Constant((uint)n + 1)), (1, Gen.Constant(0u))))];

    private static Gen<MmsgEntry> Entry() => EntryGen;

    private static readonly Gen<MmsgEntry> EntryGen =
        Zip(Length(), Gen.Choose(1, 2), Address()).SelectMany(t => Control().Select(control =>
        {
            var (length, pieces, address) = t;
            var iov = Enumerable.Range(0, pieces).Select(i => Pattern(length / pieces + (i == 0 ? length % pieces : 0))).ToArray();
            return new MmsgEntry(address.Address, address.Length, iov, control is null ? null : UserBuffer.Of(control), control?.Length ?? 0);
        }));

    /// <summary>shutdown with each how, and now and then one that is not (EINVAL).</summary>
    private static Gen<Operation> Shutdown(string name) =>
        Gen.Frequency((6, Gen.Choose(0, 2)), (1, Gen.Elements(-1, 3))).Select(how => (Operation)new ShutdownOp(Fd.Named(name), how));

    private static Gen<byte[]?> Control() => ControlGen;

    private static readonly Gen<byte[]?> ControlGen = Gen.Frequency(
        (4, Gen.Constant<byte[]?>(null)),
        (1, Gen.Elements(1, 64, 255, 0, 256).Select(ttl => (byte[]?)ControlMessages.Encode((SocketOption.SolIp, SocketOption.IpTtl, ControlMessages.Int(ttl))))),
        (1, Gen.Elements(0, 0x10, 0xB8, 256).Select(tos => (byte[]?)ControlMessages.Encode((SocketOption.SolIp, SocketOption.IpTos, ControlMessages.Int(tos))))),
        (1, Gen.Elements(Local, Ipv4Address.Parse("192.0.2.99"), Foreign).Select(a => (byte[]?)ControlMessages.Encode((SocketOption.SolIp, SocketOption.IpPktInfo, ControlMessages.PktInfo(0, a))))),
        (2, Gen.Elements(SegmentSizes).Select(size => (byte[]?)ControlMessages.Encode((SocketOption.SolUdp, SocketOption.UdpSegment, [(byte)size, (byte)(size >> 8)])))),
        (1, Gen.Constant<byte[]?>(ControlMessages.Encode((SocketOption.SolUdp, SocketOption.UdpSegment, ControlMessages.Int(500))))),
        // An SO_MARK message: this send's lookup carries the mark (policy_routing.mark_cmsg).
        (1, Gen.Elements(0, 7, 8).Select(mark => (byte[]?)ControlMessages.Encode((SocketOption.SolSocket, SocketOption.SoMark, ControlMessages.Int(mark))))));

    private static Operation SetInt(string name, int level, int option, int value) =>
        new SetSockOptOp(Fd.Named(name), level, option, UserBuffer.Of(BitConverter.GetBytes(value)), 4);

    /// <summary>UDP_CORK off and on, and now and then another value: any nonzero one corks (a survivor of issue 16).</summary>
    private static Gen<Operation> Cork(string name) =>
        Gen.Frequency((8, Gen.Elements(0, 1)), (1, Gen.Elements(-1, 2)))
            .Select(on => SetInt(name, SocketOption.SolUdp, SocketOption.UdpCork, on));

    private static readonly byte[][] Options =
    [
        [], [1, 1, 1, 1], [148, 4, 0, 0], [1, 1, 1, 0, 1, 1, 1, 1],
        [7, 7, 4, 0, 0, 0, 0, 1], // record route, room for one address
        [131, 7, 4, 192, 0, 2, 254, 1], // loose source route via the gateway
    ];

    private static Gen<Operation> Option(string name) => Gen.Frequency(
        (3, Gen.Choose(0, 5).Select(mode => SetInt(name, SocketOption.SolIp, SocketOption.IpMtuDiscover, mode))),
        (2, Gen.Elements(Options).Select(o => (Operation)new SetSockOptOp(Fd.Named(name), SocketOption.SolIp, SocketOption.IpOptions, UserBuffer.Of(o), o.Length))),
        (1, Gen.Elements(0, 1).Select(on => SetInt(name, SocketOption.SolSocket, SocketOption.SoBroadcast, on))),
        (1, Gen.Elements(0, 1).Select(on => SetInt(name, SocketOption.SolIp, SocketOption.IpRecvErr, on))),
        // IP_TTL and IP_MULTICAST_TTL within their limits (Reference/Limits.cs), at them and just past them.
        (1, Gen.Elements(1, 64, 255).Select(ttl => SetInt(name, SocketOption.SolIp, SocketOption.IpTtl, ttl))),
        (1, Gen.Elements(-1, 0, 256).Select(ttl => SetInt(name, SocketOption.SolIp, SocketOption.IpTtl, ttl))),
        (1, Gen.Elements(0, 0x10, 0x28).Select(tos => SetInt(name, SocketOption.SolIp, SocketOption.IpTos, tos))),
        (2, Gen.Elements(SegmentSizes.Append(-1).Append(70000).ToArray()).Select(size => SetInt(name, SocketOption.SolUdp, SocketOption.UdpSegment, size))),
        (1, Gen.Elements(0, 1).Select(on => SetInt(name, SocketOption.SolSocket, SocketOption.SoNoCheck, on))),
        // Device binding: lo (1), tun0 (2), an index no device has, none.
        (1, Gen.Elements(0, 1, 2, 99).Select(index => SetInt(name, SocketOption.SolSocket, SocketOption.SoBindToIfindex, index))),
        (1, Gen.Elements("tun0", "lo", "", "nosuch").Select(device => (Operation)new SetSockOptOp(Fd.Named(name), SocketOption.SolSocket, SocketOption.SoBindToDevice,
            UserBuffer.Of(System.Text.Encoding.ASCII.GetBytes(device + "\0")), device.Length + 1))),
        (1, Gen.Elements(0, 1, 2, 99).Select(index => SetInt(name, SocketOption.SolIp, SocketOption.IpUnicastIf, BinaryPrimitives.ReverseEndianness(index)))),
        // Multicast: membership of the groups the runs send to (by the host's address, by route, by index), loop,
        // all, and a TTL of 0 or 1.
        (2, Zip(Gen.Elements(SocketOption.IpAddMembership, SocketOption.IpDropMembership), Gen.Elements(Groups), Gen.Elements<byte[]>([192, 0, 2, 1], [0, 0, 0, 0], [0, 0, 0, 0, 2, 0, 0, 0], [0, 0, 0, 0, 9, 0, 0, 0])).Select(t =>
        {
            byte[] value = [.. t.Item2, .. t.Item3];
            return (Operation)new SetSockOptOp(Fd.Named(name), SocketOption.SolIp, t.Item1, UserBuffer.Of(value), value.Length);
        })),
        (1, Gen.Elements(0, 1).Select(on => SetInt(name, SocketOption.SolIp, SocketOption.IpMulticastLoop, on))),
        (1, Gen.Elements(0, 1, 2).Select(on => SetInt(name, SocketOption.SolIp, SocketOption.IpMulticastAll, on))),
        (1, Gen.Elements(0, 1).Select(ttl => SetInt(name, SocketOption.SolIp, SocketOption.IpMulticastTtl, ttl))),
        (1, Gen.Elements(255, 256, -1, -2).Select(ttl => SetInt(name, SocketOption.SolIp, SocketOption.IpMulticastTtl, ttl))),
        // Marks the routed host's rules read (policy_routing.mark): none, unreachable, table 100 (8 and 0x108).
        (1, Gen.Elements(0, 7, 8, 0x108, -1).Select(mark => SetInt(name, SocketOption.SolSocket, SocketOption.SoMark, mark))),
        // Options the send path does not read (options.*): set, and read back below.
        (1, Zip(Gen.Elements((1, 2), (1, 15), (1, 9), (1, 18), (1, 29), (1, 35), (1, 42), (0, 8), (0, 21), (0, 26), (17, 100), (17, 104)), Gen.Elements(0, 1, 2, 3, -1, 256), Gen.Elements(4, 1))
            .Select(t => (Operation)new SetSockOptOp(Fd.Named(name), t.Item1.Item1, t.Item1.Item2, UserBuffer.Of(BitConverter.GetBytes(t.Item2)), t.Item3))),
        (1, Gen.Elements((1, 9), (1, 18), (1, 29), (1, 35), (1, 42), (1, 49), (0, 8), (0, 21), (17, 100), (1, 36))
            .Select(o => (Operation)new GetSockOptOp(Fd.Named(name), o.Item1, o.Item2, 4))),
        // IP_FREEBIND and IP_TRANSPARENT (nonlocal.*), for binding and sending from the foreign address.
        (1, Gen.Zip(Gen.Elements(SocketOption.IpFreeBind, SocketOption.IpTransparent), Gen.Elements(1, 1, 0)).Select(t => SetInt(name, SocketOption.SolIp, t.Item1, t.Item2))),
        // IP_LOCAL_PORT_RANGE (ten ports, one end, both ends outside, low above high) and IP_BIND_ADDRESS_NO_PORT
        // (ephemeral.*), read back.
        (1, Gen.Elements((50000, 50009), (60990, 0), (0, 32800), (1, 2), (50009, 50000), (0, 0))
            .Select(r => SetInt(name, SocketOption.SolIp, SocketOption.IpLocalPortRange, r.Item1 | r.Item2 << 16))),
        (1, Gen.Elements(1, 1, 0).Select(on => SetInt(name, SocketOption.SolIp, SocketOption.IpBindAddressNoPort, on))),
        (1, Gen.Elements(SocketOption.IpLocalPortRange, SocketOption.IpBindAddressNoPort, SocketOption.IpFreeBind, SocketOption.IpTransparent)
            .Select(option => (Operation)new GetSockOptOp(Fd.Named(name), SocketOption.SolIp, option, 4))),
        // Buffer sizes (options.buffer; under the machine-wide caps, which the model cannot know, or forced), SO_LINGER
        // (options.linger, for ever too) and the values getsockopt only reads (options.readonly), IP_ROUTER_ALERT.
        (1, Gen.Zip(Gen.Elements(8, 32, 33), Gen.Elements(1000, 100_000, 10_000_000, -1, 0)).Where(t => t.Item1 != 8 || t.Item2 is >= 0 and <= 100_000)
            .Select(t => SetInt(name, SocketOption.SolSocket, t.Item1, t.Item2))),
        (1, Gen.Elements((1, 5), (0, 5), (1, -1), (0, 0)).Select(l => (Operation)new SetSockOptOp(Fd.Named(name), SocketOption.SolSocket, 13,
            UserBuffer.Of((byte[])[.. BitConverter.GetBytes(l.Item1), .. BitConverter.GetBytes(l.Item2)]), 8))),
        (1, Gen.Zip(Gen.Elements((1, 8), (1, 13), (1, 3), (1, 38), (1, 39), (1, 30), (1, 19), (1, 17), (1, 28), (1, 59), (1, 26), (0, 52), (0, 5), (17, 10)), Gen.Elements(4, 8, 16, 2))
            .Select(t => (Operation)new GetSockOptOp(Fd.Named(name), t.Item1.Item1, t.Item1.Item2, t.Item2))),
        (1, Gen.Constant(SetInt(name, SocketOption.SolIp, 5, 1))),
        // SO_ZEROCOPY: on more often than off, and a value out of range.
        (1, Gen.Elements(1, 1, 0, 2).Select(on => SetInt(name, SocketOption.SolSocket, SocketOption.SoZerocopy, on))),
        // Timeouts (old and new numbers), read back in jiffies of the target's CONFIG_HZ (options.timeout): whole
        // seconds, values each rate reads back differently, none, negative, and an out-of-range microsecond.
        (1, Gen.Zip(Gen.Elements(20, 21, 66, 67), Gen.Elements((0L, 1L), (0L, 4001L), (0L, 20_000L), (2L, 0L), (12L, 345_678L), (0L, 0L), (-1L, 0L), (0L, 1_000_000L)))
            .Select(t => (Operation)new SetSockOptOp(Fd.Named(name), SocketOption.SolSocket, t.Item1,
                UserBuffer.Of((byte[])[.. BitConverter.GetBytes(t.Item2.Item1), .. BitConverter.GetBytes(t.Item2.Item2)]), 16))),
        (1, Gen.Zip(Gen.Elements(20, 21, 66, 67), Gen.Elements(16, 12)).Select(t => (Operation)new GetSockOptOp(Fd.Named(name), SocketOption.SolSocket, t.Item1, t.Item2))));

    private static readonly byte[][] Groups = [[224, 0, 0, 1], [239, 1, 2, 3]];

    private static Gen<Operation> Connect(string name) => Gen.Frequency(
        (3, Address().Where(a => a.Address is not null).Select(a => (Operation)new ConnectOp(Fd.Named(name), a.Address, a.Length))),
        (1, Gen.Constant((Operation)new ConnectOp(Fd.Named(name), UserBuffer.Of(SockAddr.In(Ipv4Address.Any, 0, AddressFamily.Unspec)), 16))));

    /// <summary>An address no link of the host has (nonlocal.*): bound under IP_FREEBIND or IP_TRANSPARENT.</summary>
    private static Ipv4Address Foreign => Ipv4Address.Parse("203.0.113.9");

    private static Gen<Operation> Bind(string name) =>
        Gen.Zip(Gen.Elements(Local, Local, Local, Foreign), Gen.Elements<ushort>(5000, 5001, 0))
            .Select(t => (Operation)new BindOp(Fd.Named(name), UserBuffer.Of(SockAddr.In(t.Item1, t.Item2)), 16));

    /// <summary>A send whose UDP checksum computes to 0, which must go out as 0xFFFF (udp_push.checksum_zero): the
    /// socket is bound to <see cref="Local"/>:<paramref name="port"/>, so the pseudo-header is known.</summary>
    private static Gen<Operation> ZeroChecksum(string name, ushort port) =>
        Zip(Gen.Elements(Destinations.Take(3).ToArray()), Gen.Choose(1, 700), Gen.Choose(0, 255)).Select(t =>
        {
            var ((address, dport), half, seed) = t;
            var data = ZeroChecksumPayload(Local, port, address, dport, 2 * half, (byte)seed);
            return (Operation)new SendToOp(Fd.Named(name), UserBuffer.Of(data), MsgFlags.None, UserBuffer.Of(SockAddr.In(address, dport)), 16);
        });

    /// <summary>A payload of <paramref name="length"/> bytes (even, at least 2) whose UDP checksum, from
    /// <paramref name="source"/>:<paramref name="sport"/> to <paramref name="destination"/>:<paramref name="dport"/>,
    /// computes to 0: the bytes count up from <paramref name="seed"/> and the last two make the one's-complement
    /// sum of pseudo-header, header and data 0xFFFF, with the one checksum arithmetic of Reference/Wire (no decision
    /// of the model is involved, and a wrong sum would show as a field other than 0xFFFF).</summary>
    public static byte[] ZeroChecksumPayload(Ipv4Address source, ushort sport, Ipv4Address destination, ushort dport, int length, byte seed)
    {
        if (length < 2 || length % 2 != 0) throw new ArgumentOutOfRangeException(nameof(length), "an even length of at least 2");
        var data = UserBuffer.Pattern(length, seed).Readable.ToArray();
        data[^1] = data[^2] = 0;
        var udpLength = (ushort)(UdpHeader.Length + data.Length);
        // The header's words (checksum field 0) on top of the pseudo-header: at most 9 words, no 32-bit overflow.
        var sum = InternetChecksum.Sum(data, InternetChecksum.PseudoHeaderSum(source, destination, Ipv4Header.ProtocolUdp, udpLength)
                                             + sport + dport + udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(data.Length - 2), (ushort)~InternetChecksum.Fold(sum));
        return data;
    }
}
