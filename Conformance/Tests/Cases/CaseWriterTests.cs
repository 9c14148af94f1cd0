using System.Collections;
using System.Reflection;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Cases;

/// <summary>
/// CaseWriter writes what CaseParser reads back: every case file of the suite (host, operations and expectation
/// lines), many random operations and hosts, and a known sequence to the exact text.
/// </summary>
public class CaseWriterTests
{
    private static readonly PerMutant<IReadOnlyList<CaseFile>> Files =
        new(() => CaseLibrary.Load(CaseLibrary.DefaultFolder(SpecMap.FindRoot(AppContext.BaseDirectory)!)));

    public static TheoryData<string> CaseIds() => new(Files.Value.Select(c => c.Id));

    // ---- (a) the suite's own cases ----

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void A_case_file_written_back_reads_the_same(string id)
    {
        var file = Files.Value.Single(c => c.Id == id);
        Assert.True(file.Case is not null, string.Join(Environment.NewLine, file.Diagnostics));
        var original = file.Case;
        var expectations = ExpectationLines(File.ReadAllLines(file.Path), original.Steps);

        var text = CaseWriter.Write(original.Title, original.Clauses, original.Profiles, original.Features, original.Host,
            original.Steps.Select(s => s.Operation).ToArray(), expectations);
        var again = Parse(text);

        Assert.Equal(original.Title, again.Title);
        Assert.Equal(original.Clauses, again.Clauses);
        Assert.Equal(original.Profiles, again.Profiles);
        Assert.Equal(original.Features, again.Features);
        Assert.Null(Structural.HostDifference(original.Host, again.Host));
        Assert.Equal(original.Steps.Count, again.Steps.Count);
        for (var i = 0; i < original.Steps.Count; i++)
        {
            var context = $"step {i + 1} '{original.Steps[i].Text}' written as '{again.Steps[i].Text}'";
            Assert.True(Structural.OperationDifference(original.Steps[i].Operation, again.Steps[i].Operation) is null,
                $"{context}: {Structural.OperationDifference(original.Steps[i].Operation, again.Steps[i].Operation)}");
            Assert.True(Structural.ExpectationDifference(original.Steps[i].Expectation, again.Steps[i].Expectation) is null,
                $"{context}: {Structural.ExpectationDifference(original.Steps[i].Expectation, again.Steps[i].Expectation)}");
        }
    }

    /// <summary>The expectation lines under each step of a case file, comments removed.</summary>
    private static IReadOnlyList<IReadOnlyList<string>> ExpectationLines(string[] lines, IReadOnlyList<Step> steps)
    {
        var result = new List<IReadOnlyList<string>>();
        for (var i = 0; i < steps.Count; i++)
        {
            var end = i + 1 < steps.Count ? steps[i + 1].Position.Line - 1 : lines.Length;
            result.Add(lines[steps[i].Position.Line..end].Select(StripComment).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray());
        }
        return result;
    }

    private static string StripComment(string line)
    {
        var inQuote = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '"') inQuote = !inQuote;
            else if (line[i] == '#' && !inQuote && (line[..i].Trim().Length == 0 ||
                     (char.IsWhiteSpace(line[i - 1]) && (i + 1 == line.Length || char.IsWhiteSpace(line[i + 1])))))
                return line[..i];
        }
        return line;
    }

    // ---- (b) random operations and hosts ----

    [Fact]
    public void Random_operations_and_hosts_read_back_the_same()
    {
        for (var seed = 0; seed < 400; seed++)
        {
            var random = new Random(seed);
            var host = RandomHost(random);
            var operations = Enumerable.Range(0, random.Next(1, 40)).Select(_ => RandomOperation(random)).ToArray();
            var text = CaseWriter.Write($"seed {seed}", [ClauseId.DportZero], [], [], host, operations);
            var again = Parse(text);
            Assert.True(Structural.HostDifference(host, again.Host) is null, $"seed {seed}: {Structural.HostDifference(host, again.Host)}\n{text}");
            Assert.Equal(operations.Length, again.Steps.Count);
            for (var i = 0; i < operations.Length; i++)
            {
                var difference = Structural.OperationDifference(operations[i], again.Steps[i].Operation);
                Assert.True(difference is null, $"seed {seed}, operation {i + 1}: {Structural.Describe(operations[i])}\nwritten as: {again.Steps[i].Text}\n{difference}");
            }
        }
    }

    [Fact]
    public void Every_control_message_shape_reads_back_the_same()
    {
        // Well-formed known and raw messages, nonzero padding, malformed lengths, a missing last padding, bytes
        // too short for a header, and random bytes.
        var random = new Random(7);
        for (var i = 0; i < 3000; i++)
        {
            var control = RandomControl(random);
            var op = new SendMsgOp(Fd.Named("s"), null, 0, [UserBuffer.Pattern(1)], UserBuffer.Of(control), control.Length, MsgFlags.None);
            var again = ParseOne(CaseWriter.Operation(op));
            Assert.True(Structural.OperationDifference(op, again) is null, $"{Convert.ToHexString(control)} written as {CaseWriter.Operation(op)}");
        }
    }

    [Fact]
    public void A_malformed_control_message_ends_where_well_formed_ones_follow()
    {
        var ttl = ControlMessages.Encode((SolIp, IpTtl, ControlMessages.Int(5)));
        var bad = ControlMessages.Encode((SolIp, IpTtl, ControlMessages.Int(7)));
        ControlMessages.WriteHeader(bad, 100, SolIp, IpTtl);
        byte[] control = [.. bad, .. ttl, 0xAB];
        var op = new SendMsgOp(Fd.Named("s"), null, 0, [UserBuffer.Pattern(10)], UserBuffer.Of(control), 40, MsgFlags.None);
        Assert.Equal("sendmsg s iov 10 cmsg raw 0 2 hex:07000000 cmsglen 100 cmsg ttl 5 control hex:ab controllen 40", CaseWriter.Operation(op));
        Assert.Null(Structural.OperationDifference(op, ParseOne(CaseWriter.Operation(op))));
    }

    private static readonly string[] Names = ["a", "b", "sock_2", "s.1"];
    private static readonly string[] LinkNames = ["tun0", "eth1", "dummy-2", "veth9"];
    private static readonly (int Level, int Name)[] KnownOptions =
    [
        (SolUdp, UdpCork), (SolIp, IpTos), (SolIp, IpTtl), (SolIp, IpOptions), (SolIp, IpMtuDiscover), (SolIp, IpRecvErr),
        (SolIp, IpMtu), (SolIp, IpMulticastIf), (SolIp, IpMulticastTtl), (SolSocket, SoBroadcast), (SolSocket, SoNoCheck),
        (SolSocket, SoDontRoute), (SolSocket, SoSndbuf),
    ];

    private static T Pick<T>(Random random, params T[] values) => values[random.Next(values.Length)];

    private static int AnyInt(Random random) => random.Next(4) switch
    {
        0 => random.Next(-3, 70000),
        1 => Pick(random, int.MinValue, int.MaxValue, -1, 0, 1),
        _ => random.Next(int.MinValue, int.MaxValue),
    };

    private static byte[] Bytes(Random random, int max)
    {
        var bytes = new byte[random.Next(max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static Ipv4Address Address(Random random) => random.Next(3) == 0
        ? Pick(random, Ipv4Address.Any, Ipv4Address.Loopback, Ipv4Address.LimitedBroadcast, Ipv4Address.Parse("198.51.100.7"), Ipv4Address.Parse("224.0.0.1"))
        : new Ipv4Address((uint)random.NextInt64(0, 1L << 32));

    private static ushort Port(Random random) => Pick(random, (ushort)0, (ushort)9, (ushort)65535, (ushort)random.Next(65536));

    private static Fd RandomFd(Random random) => random.Next(5) == 0
        ? Fd.Raw(random.Next(2) == 0 ? Pick(random, -1, 0, 1, 3, 99, 1024, int.MinValue, int.MaxValue) : AnyInt(random))
        : Fd.Named(Pick(random, Names));

    private static MsgFlags RandomFlags(Random random) => random.Next(4) switch
    {
        0 => MsgFlags.None,
        1 => Pick(random, MsgFlags.More, MsgFlags.Probe | MsgFlags.Confirm, MsgFlags.Oob | MsgFlags.NoSignal | MsgFlags.DontRoute | MsgFlags.DontWait),
        2 => (MsgFlags)random.NextInt64(0, 1L << 32),
        _ => (MsgFlags)random.Next(1 << 16),
    };

    /// <summary>Data of any shape a case can write; a partly readable tail only where it may be (sendto).</summary>
    private static UserBuffer RandomData(Random random, bool partial)
    {
        var length = random.Next(3) == 0 ? Pick(random, 0, 1, 7, 1472, 65507, 65535, 70000) : random.Next(0, 3000);
        switch (random.Next(partial ? 8 : 7))
        {
            case 0: return UserBuffer.Pattern(length);
            case 1: return UserBuffer.Pattern(random.Next(1, 300), (byte)random.Next(1, 256));
            case 2: return UserBuffer.Of(Enumerable.Repeat((byte)random.Next(256), length).ToArray());
            case 3: return UserBuffer.Of(Enumerable.Range(0, random.Next(1, 40)).Select(_ => (byte)random.Next(0x20, 0x7F)).ToArray());
            case 4: return UserBuffer.Of(Bytes(random, 64));
            case 5: return UserBuffer.Unreadable(random.Next(1, 70000));
            case 6: return UserBuffer.Of(Array.Empty<byte>());
            default:
            {
                var readable = random.Next(3) switch
                {
                    0 => UserBuffer.Pattern(random.Next(0, 100)).Readable,
                    1 => Enumerable.Repeat((byte)random.Next(256), random.Next(1, 100)).ToArray(),
                    _ => Bytes(random, 40),
                };
                return new UserBuffer(readable, readable.Length + random.Next(1, 3000));
            }
        }
    }

    private static byte[] AddressContent(Random random)
    {
        var bytes = random.Next(7) switch
        {
            0 or 1 => SockAddr.In(Address(random), Port(random), random.Next(3) == 0 ? Pick(random, (ushort)0, (ushort)1, (ushort)10, (ushort)0xFFFF) : (ushort)AddressFamily.Inet),
            2 => SockAddr.In6Mapped(Address(random), Port(random)),
            3 => SockAddr.In6(Bytes(random, 16).Concat(new byte[16]).Take(16).ToArray(), Port(random)),
            4 => SockAddr.In(Ipv4Address.Any, 0, AddressFamily.Unspec),
            _ => Bytes(random, 40),
        };
        if (bytes.Length > 0 && random.Next(6) == 0) bytes[0] = (byte)random.Next(256);
        return bytes;
    }

    private static int AddressLength(Random random, int natural) =>
        random.Next(3) == 0 ? Pick(random, -1, 0, 1, 15, 16, 28, 128, 129, 256, 300, int.MaxValue, int.MinValue) : natural;

    /// <summary>An address of bind, connect or sendto: the bytes padded to the length as the parser pads them.</summary>
    private static (UserBuffer? Buffer, int Length) FixedAddress(Random random)
    {
        if (random.Next(10) == 0) return (null, random.Next(2) == 0 ? 0 : AnyInt(random));
        var content = AddressContent(random);
        var length = AddressLength(random, content.Length);
        var padded = new byte[Math.Max(content.Length, Math.Clamp(length, 0, 256))];
        content.CopyTo(padded, 0);
        return (random.Next(8) == 0 ? UserBuffer.Unreadable(padded.Length) : UserBuffer.Of(padded), length);
    }

    /// <summary>A msg_name: any bytes, whole or unreadable, and any msg_namelen.</summary>
    private static (UserBuffer? Buffer, int Length) MessageName(Random random)
    {
        if (random.Next(2) == 0) return FixedAddress(random);
        if (random.Next(8) == 0) return (null, AnyInt(random));
        var content = AddressContent(random);
        return (random.Next(8) == 0 ? UserBuffer.Unreadable(content.Length) : UserBuffer.Of(content), AddressLength(random, content.Length));
    }

    private static byte[] RandomControl(Random random)
    {
        var parts = new List<byte[]>();
        var count = random.Next(0, 4);
        for (var i = 0; i < count; i++)
        {
            var part = random.Next(9) switch
            {
                0 => ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(AnyInt(random), Address(random), random.Next(4) == 0 ? Address(random) : default))),
                1 => ControlMessages.Encode((SolIp, IpTtl, ControlMessages.Int(AnyInt(random)))),
                2 => ControlMessages.Encode((SolIp, IpTos, random.Next(2) == 0 ? ControlMessages.Int(AnyInt(random)) : [(byte)random.Next(256)])),
                3 => ControlMessages.Encode((SolIp, IpRetOpts, Bytes(random, 40))),
                4 => ControlMessages.Encode((Pick(random, 0, 1, 17, -1, AnyInt(random)), Pick(random, 1, 2, 7, 8, 99, AnyInt(random)), Bytes(random, 24))),
                5 => Malformed(random),
                6 => NonzeroPadding(random),
                7 => Bytes(random, 20),
                _ => ControlMessages.Encode((SolIp, IpTtl, ControlMessages.Int(5)))[..20], // no padding after the last one
            };
            parts.Add(part);
        }
        return parts.SelectMany(p => p).ToArray();
    }

    private static byte[] Malformed(Random random)
    {
        var data = Bytes(random, 24);
        var encoded = ControlMessages.Encode((random.Next(3), random.Next(12), data));
        ControlMessages.WriteHeader(encoded, Pick(random, 0L, 8, 15, 17, 1000, -1, long.MaxValue, random.NextInt64()), random.Next(3), random.Next(12));
        return encoded;
    }

    private static byte[] NonzeroPadding(Random random)
    {
        var data = Bytes(random, 24);
        if (data.Length % 8 == 0) data = [.. data, 1];
        var encoded = ControlMessages.Encode((SolIp, IpTtl, data));
        encoded[^1] = 0xAA;
        return encoded;
    }

    private static Operation RandomOperation(Random random)
    {
        switch (random.Next(14))
        {
            case 0:
                return new SocketOp(Pick(random, Names),
                    random.Next(3) == 0 ? Pick(random, AddressFamily.Inet6, 0, 99, -1, AnyInt(random)) : AddressFamily.Inet,
                    random.Next(3) == 0 ? Pick(random, SocketType.Dgram | SocketType.NonblockFlag, 1, 3, SocketType.NonblockFlag, 0x802 | SocketType.CloexecFlag, -1, AnyInt(random)) : SocketType.Dgram,
                    random.Next(3) == 0 ? Pick(random, 17, 6, -5, AnyInt(random)) : 0);
            case 1:
                return new OpenFileOp(Pick(random, Names));
            case 2:
            {
                var (buffer, length) = FixedAddress(random);
                return new BindOp(RandomFd(random), buffer, length);
            }
            case 3:
            {
                var (buffer, length) = FixedAddress(random);
                return new ConnectOp(RandomFd(random), buffer, length);
            }
            case 4 or 5:
            {
                var (level, name) = random.Next(4) == 0 ? (AnyInt(random), AnyInt(random)) : Pick(random, KnownOptions);
                UserBuffer? value = random.Next(7) switch
                {
                    0 => null,
                    1 => UserBuffer.Of(BitConverter.GetBytes(random.Next(-1, 7))),
                    2 => UserBuffer.Of(BitConverter.GetBytes(AnyInt(random))),
                    3 => UserBuffer.Of(BitConverter.GetBytes(Address(random).Value)),
                    4 => UserBuffer.Unreadable(random.Next(1, 48)),
                    _ => UserBuffer.Of(Bytes(random, 48)),
                };
                var optlen = value is not null && random.Next(3) > 0 ? (int)value.Length : Pick(random, -1, 0, 1, 3, 4, 12, 40, 41, AnyInt(random));
                return new SetSockOptOp(RandomFd(random), level, name, value, optlen);
            }
            case 6:
            {
                var (level, name) = random.Next(4) == 0 ? (AnyInt(random), AnyInt(random)) : Pick(random, KnownOptions);
                return new GetSockOptOp(RandomFd(random), level, name, random.Next(2) == 0 ? 4 : Pick(random, -1, 0, 1, 8, 40, AnyInt(random)));
            }
            case 7:
                return new SetNonblockOp(RandomFd(random), random.Next(2) == 0);
            case 8 or 9:
            {
                var (buffer, length) = random.Next(4) == 0 ? (null, 0) : FixedAddress(random);
                return new SendToOp(RandomFd(random), RandomData(random, partial: true), RandomFlags(random), buffer, length);
            }
            case 10 or 11:
            {
                var iov = Enumerable.Range(0, random.Next(0, 5)).Select(_ => RandomData(random, partial: false)).ToArray();
                var (name, nameLength) = random.Next(4) == 0 ? (null, 0) : MessageName(random);
                UserBuffer? control = null;
                long controlLength = 0;
                if (random.Next(2) == 0)
                {
                    var bytes = RandomControl(random);
                    control = UserBuffer.Of(bytes);
                    controlLength = random.Next(3) > 0 ? bytes.Length : Pick(random, -1L, 0, 8, 16, 1000, long.MaxValue, long.MinValue, random.NextInt64());
                }
                return new SendMsgOp(RandomFd(random), name, nameLength, iov, control, controlLength, RandomFlags(random));
            }
            case 12:
                return new CloseOp(RandomFd(random));
            default:
                return random.Next(2) == 0
                    ? new HostChangeOp(Pick(random, LinkNames), Mtu: Pick(random, 68, 1006, 1500, 65536, 67, 70000, -1, AnyInt(random)))
                    : new HostChangeOp(Pick(random, LinkNames.Append("lo").ToArray()), Up: random.Next(2) == 0);
        }
    }

    private static HostConfig RandomHost(Random random)
    {
        var links = new List<Interface>();
        var names = LinkNames.OrderBy(_ => random.Next()).Take(random.Next(0, LinkNames.Length + 1)).ToArray();
        foreach (var name in names)
        {
            var index = random.Next(3) == 0 ? random.Next(2, 50) : links.Count + 2;
            if (index == 1 || links.Any(l => l.Index == index)) index = links.Select(l => l.Index).DefaultIfEmpty(1).Max() + 1;
            links.Add(new Interface(name, index, Address(random), random.Next(0, 33), random.Next(2) == 0 ? 1500 : random.Next(68, 65537),
                Up: random.Next(4) > 0, ChecksumOffload: random.Next(4) == 0, UdpFragmentationOffload: random.Next(4) == 0,
                ScatterGather: random.Next(4) > 0, QueueFull: random.Next(6) == 0,
                SecondaryAddresses: random.Next(3) == 0 ? Enumerable.Range(0, random.Next(1, 3)).Select(_ => (Address(random), random.Next(0, 33))).ToArray() : null));
        }
        var devices = links.Select(l => l.Name).Append("lo").ToArray();
        var routes = new List<Route>();
        for (var i = random.Next(0, 5); i > 0; i--)
        {
            var destination = random.Next(3) == 0 ? (Ipv4Address.Any, 0) : (Address(random), random.Next(0, 33));
            var kind = (RouteKind)random.Next(7);
            if (kind is RouteKind.Unreachable or RouteKind.Prohibit or RouteKind.Blackhole)
            {
                routes.Add(new Route(destination.Item1, destination.Item2, kind, null));
                continue;
            }
            routes.Add(new Route(destination.Item1, destination.Item2, kind, Pick(random, devices),
                Gateway: kind == RouteKind.Unicast ? Address(random) : null,
                Mtu: random.Next(3) == 0 ? random.Next(68, 65537) : null,
                MtuLocked: random.Next(4) == 0,
                Tos: random.Next(3) == 0 ? (byte)random.Next(256) : (byte)0,
                PreferredSource: random.Next(4) == 0 ? Address(random) : null,
                HopLimit: random.Next(4) == 0 ? (byte)random.Next(256) : null));
        }
        var drops = Enumerable.Range(0, random.Next(0, 3))
            .Select(_ => new OutputDropRule(Address(random), random.Next(0, 33), random.Next(2) == 0 ? Port(random) : null)).ToArray();
        var low = random.Next(2) == 0 ? (ushort)32768 : (ushort)random.Next(65536);
        var high = random.Next(2) == 0 && low <= 60999 ? (ushort)60999 : (ushort)random.Next(low, 65536);
        var defaults = new HostConfig();
        return new HostConfig
        {
            Interfaces = links.Prepend(HostConfig.LoopbackInterface).ToArray(),
            Routes = routes,
            OutputDrops = drops,
            DefaultTtl = random.Next(2) == 0 ? defaults.DefaultTtl : (byte)random.Next(256),
            LocalPortLow = low,
            LocalPortHigh = high,
            DefaultPmtuMode = random.Next(2) == 0 ? defaults.DefaultPmtuMode : random.Next(0, 6),
            WmemDefault = random.Next(2) == 0 ? defaults.WmemDefault : random.Next(),
            WmemMax = random.Next(2) == 0 ? defaults.WmemMax : random.Next(),
            Privileged = random.Next(3) > 0,
            SecurityVeto = random.Next(4) == 0 ? Pick(random, Errno.EPERM, Errno.EACCES) : null,
        };
    }

    // ---- (c) the exact text of a known sequence ----

    [Fact]
    public void A_known_sequence_is_written_as_this_text()
    {
        var target = Ipv4Address.Parse("198.51.100.7");
        var local = Ipv4Address.Parse("192.0.2.1");
        var host = HostConfig.Default with
        {
            Routes = [.. HostConfig.Default.Routes, new Route(Ipv4Address.Parse("203.0.113.0"), 24, RouteKind.Unreachable, null)],
            DefaultTtl = 32,
        };
        Operation[] operations =
        [
            new SocketOp("s"),
            new SocketOp("t", AddressFamily.Inet6, SocketType.Dgram | SocketType.NonblockFlag),
            new SetSockOptOp(Fd.Named("s"), SolIp, IpMtuDiscover, UserBuffer.Of(BitConverter.GetBytes(PmtuDo)), 4),
            new SetSockOptOp(Fd.Named("s"), 0, 99, UserBuffer.Of(new byte[] { 1, 2, 3 }), 8),
            new SendToOp(Fd.Named("s"), UserBuffer.Pattern(1473), MsgFlags.More | MsgFlags.Confirm, UserBuffer.Of(SockAddr.In(target, 9)), 16),
            new SendToOp(Fd.Raw(99), new UserBuffer(new byte[] { 0, 1, 2, 3 }, 100), MsgFlags.None, null, 0),
            new SendToOp(Fd.Named("s"), UserBuffer.Of("hello"u8.ToArray()), MsgFlags.None, UserBuffer.Of(SockAddr.In(target, 9)), 15),
            new SendMsgOp(Fd.Named("s"), UserBuffer.Of(SockAddr.In6Mapped(target, 53)), 28,
                [UserBuffer.Pattern(3), UserBuffer.Of(new byte[] { 0xff, 0xff }), UserBuffer.Unreadable(5)],
                UserBuffer.Of(ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(2, local)), (SolIp, IpTtl, ControlMessages.Int(5)))),
                ControlMessages.SpaceFor(12) + ControlMessages.SpaceFor(4), MsgFlags.None),
            new SendMsgOp(Fd.Named("s"), UserBuffer.Of(SockAddr.In(target, 9)), 28, [], null, 0, MsgFlags.Probe | (MsgFlags)0x100000),
            new ConnectOp(Fd.Named("s"), UserBuffer.Of(SockAddr.In(Ipv4Address.Any, 0, AddressFamily.Unspec)), 16),
            new BindOp(Fd.Named("t"), UserBuffer.Unreadable(16), 16),
            new GetSockOptOp(Fd.Named("s"), SolIp, IpMtu, 8),
            new HostChangeOp("tun0", Mtu: 1006),
            new HostChangeOp("tun0", Up: false),
            new CloseOp(Fd.Named("s")),
        ];
        var expectations = operations.Select(_ => (IReadOnlyList<string>)Array.Empty<string>()).ToArray();
        expectations[4] = ["=> 1473", "wire: 1", "packet 1 dst=198.51.100.7 df=1 csum=valid"];
        expectations[5] = ["=> EBADF"];

        var text = CaseWriter.Write("A known sequence,\nwritten on two lines.", [ClauseId.DportZero], ["linux"], [Feature.HostChange], host, operations, expectations);

        Assert.Equal("""
            # A known sequence,
            # written on two lines.
            clauses: udp_sendmsg.dport_zero
            profiles: linux
            features: host-change

            host:
              link tun0 192.0.2.1/24
              route default via 192.0.2.254 dev tun0
              route 203.0.113.0/24 unreachable
              ttl 32

            steps:
              socket s
              socket t inet6 nonblock
              setsockopt s IP_MTU_DISCOVER do
              setsockopt s 0/99 hex:010203 len 8
              sendto s 1473 to 198.51.100.7:9 flags MORE|CONFIRM
                => 1473
                wire: 1
                packet 1 dst=198.51.100.7 df=1 csum=valid
              sendto #99 100 readable 4
                => EBADF
              sendto s "hello" to 198.51.100.7:9 addrlen 15
              sendmsg s iov 3,2*ff,5! to mapped 198.51.100.7:53 cmsg pktinfo 2 192.0.2.1 cmsg ttl 5
              sendmsg s iov none to 198.51.100.7:9 namelen 28 flags PROBE|0x100000
              connect s unspec
              bind t unspec addr-unreadable
              getsockopt s IP_MTU len 8
              link tun0 mtu 1006
              link tun0 down
              close s

            """.ReplaceLineEndings("\n"), text);

        var again = Parse(text);
        Assert.Equal("A known sequence, written on two lines.", again.Title);
        Assert.Null(Structural.HostDifference(host, again.Host));
        Assert.All(operations.Zip(again.Steps), t => Assert.Null(Structural.OperationDifference(t.First, t.Second.Operation)));
        Assert.Equal(Errno.EBADF, Assert.Single(again.Steps[5].Expectation.Result!.Errnos));
    }

    // ---- what the format cannot hold ----

    private static readonly Dictionary<string, Operation> UnwritableShapes = new()
    {
        ["both"] = new HostChangeOp("tun0", 1006, false),
        ["neither"] = new HostChangeOp("tun0"),
        ["msg_control is NULL"] = new SendMsgOp(Fd.Named("s"), null, 0, [], null, 8, MsgFlags.None),
        ["iov block 2 has 3 readable bytes of a length of 2"] = new SendMsgOp(Fd.Named("s"), null, 0, [UserBuffer.Pattern(1), new UserBuffer(new byte[3], 2)], null, 0, MsgFlags.None),
        ["msg_control is partly or wholly unreadable"] = new SendMsgOp(Fd.Named("s"), null, 0, [], UserBuffer.Unreadable(16), 16, MsgFlags.None),
        ["the address is partly readable"] = new ConnectOp(Fd.Named("s"), new UserBuffer(SockAddr.In(Ipv4Address.Loopback, 9), 20), 20),
        ["shorter than its length 28"] = new SendToOp(Fd.Named("s"), UserBuffer.Pattern(1), MsgFlags.None, UserBuffer.Of(SockAddr.In(Ipv4Address.Loopback, 9)), 28),
        ["option value is partly readable"] = new SetSockOptOp(Fd.Named("s"), SolIp, IpTtl, new UserBuffer(new byte[2], 4), 4),
        ["readable bytes of a length"] = new SendToOp(Fd.Named("s"), new UserBuffer(new byte[4], 2), MsgFlags.None, null, 0),
        ["starts with '#'"] = new CloseOp(Fd.Named("#3")),
        ["named 's' and numbered 3"] = new CloseOp(new Fd("s", 3)),
        ["not one plain word"] = new SocketOp("my socket"),
    };

    public static TheoryData<string> Unwritable() => new(UnwritableShapes.Keys);

    [Theory]
    [MemberData(nameof(Unwritable))]
    public void A_shape_the_format_cannot_hold_is_refused_with_the_reason(string reason)
    {
        var e = Assert.Throws<NotSupportedException>(() => CaseWriter.Operation(UnwritableShapes[reason]));
        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData("sendmsg s iov 4,len=-1/base=null,len=20/base=10,len=140737488355328/base=unreadable,len=0/base=null to 198.51.100.7:9")]
    [InlineData("sendmmsg s msg iov len=-1/base=2*ff to 198.51.100.7:9 msg iov len=5/base=null")]
    [InlineData("sendmsg s iov len=2000000/base=unreadable,len=9/base=\"ab\"")]
    public void An_iov_entry_with_an_explicit_length_and_base_reads_back_the_same(string line)
    {
        var op = ParseOne(line);
        Assert.Equal(line, CaseWriter.Operation(op));
        Assert.Null(Structural.OperationDifference(op, ParseOne(CaseWriter.Operation(op))));
    }

    [Fact]
    public void Only_what_DATA_cannot_say_is_written_with_len()
    {
        var op = new SendMsgOp(Fd.Named("s"), null, 0, [UserBuffer.Pattern(3), UserBuffer.Unreadable(7), UserBuffer.Null(-2), new UserBuffer(new byte[] { 1 }, 4)], null, 0, MsgFlags.None);
        Assert.Equal("sendmsg s iov 3,7!,len=-2/base=null,len=4/base=hex:01", CaseWriter.Operation(op));
        var again = (SendMsgOp)ParseOne(CaseWriter.Operation(op));
        Assert.True(again.Iov[2].NullBase);
        Assert.Equal(-2, again.Iov[2].Length);
    }

    [Fact]
    public void A_msg_name_shorter_than_msg_namelen_is_written_with_namelen()
    {
        var op = new SendMsgOp(Fd.Named("s"), UserBuffer.Of(SockAddr.In(Ipv4Address.Loopback, 9)), 128, [UserBuffer.Pattern(2)], null, 0, MsgFlags.None);
        Assert.Equal("sendmsg s iov 2 to 127.0.0.1:9 namelen 128", CaseWriter.Operation(op));
        Assert.Null(Structural.OperationDifference(op, ParseOne(CaseWriter.Operation(op))));
    }

    [Fact]
    public void A_host_without_the_standard_lo_or_with_an_undefined_device_is_refused()
    {
        Assert.Throws<NotSupportedException>(() => CaseWriter.Host(HostConfig.Default with { Interfaces = HostConfig.Default.Interfaces.Skip(1).ToArray() }).ToArray());
        Assert.Throws<NotSupportedException>(() => CaseWriter.Host(HostConfig.Default with { Routes = [new Route(Ipv4Address.Any, 0, RouteKind.OnLink, "eth7")] }).ToArray());
        Assert.Throws<NotSupportedException>(() => CaseWriter.Host(HostConfig.Default with { DefaultPmtuMode = 9 }).ToArray());
    }

    [Fact]
    public void Header_arguments_that_would_not_parse_are_refused()
    {
        Operation[] one = [new SocketOp("s")];
        Assert.Throws<ArgumentException>(() => CaseWriter.Write("t", [], [], [], HostConfig.Default, one));
        Assert.Throws<ArgumentException>(() => CaseWriter.Write("t", ["udp_sendmsg.nope"], [], [], HostConfig.Default, one));
        Assert.Throws<ArgumentException>(() => CaseWriter.Write("t", [ClauseId.DportZero], ["bsd"], [], HostConfig.Default, one));
        Assert.Throws<ArgumentException>(() => CaseWriter.Write("t", [ClauseId.DportZero], [], [], HostConfig.Default, []));
        Assert.Throws<ArgumentException>(() => CaseWriter.Write("t", [ClauseId.DportZero], [], [], HostConfig.Default, one, [["socket t"]]));
    }

    // ---- helpers ----

    private static Case Parse(string text)
    {
        var result = CaseParser.Parse("written.case", "written", text);
        Assert.True(result.Case is not null, string.Join(Environment.NewLine, result.Diagnostics) + Environment.NewLine + text);
        return result.Case;
    }

    private static Operation ParseOne(string line) =>
        Assert.Single(Parse($"clauses: {ClauseId.DportZero}\nsteps:\n  {line}\n").Steps).Operation;
}
