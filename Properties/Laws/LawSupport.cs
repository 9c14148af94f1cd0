using FsCheck;
using FsCheck.Fluent;
using Udpconf.Reference;
using Outcome = Udpconf.Reference.Outcome;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Udpconf.Tests;

namespace Udpconf.Properties.Laws;

// Shared by the law families. Nothing here is a test (no test attribute), so spec-map.md attributes no clause to it:
// every law names its clauses itself.

/// <summary>Collects the ways a case broke a law; a property holds when there are none.</summary>
public sealed class Verdict
{
    private readonly List<string> problems = [];

    public bool Ok => problems.Count == 0;

    /// <summary>Records <paramref name="problem"/> when <paramref name="holds"/> is false.</summary>
    public Verdict Require(bool holds, Func<string> problem)
    {
        if (!holds) problems.Add(problem());
        return this;
    }

    public void Fail(string problem) => problems.Add(problem);

    public Property ToProperty() => Ok.Label(string.Join(Environment.NewLine, problems));
}

/// <summary>One socket named "s" on a fresh model, with short-hands for the calls the laws make.</summary>
public sealed class Session
{
    public static readonly Ipv4Address Local = Ipv4Address.Parse("192.0.2.1");
    public static readonly Ipv4Address Gateway = Ipv4Address.Parse("192.0.2.254");
    public static readonly Ipv4Address Remote = Ipv4Address.Parse("198.51.100.7");
    public const ushort LocalPort = 5000;
    public const ushort RemotePort = 9;
    private static readonly Fd S = Fd.Named("s");

    public Session(HostConfig host, Profile profile)
    {
        Model = new Model(host, profile);
        Profile = profile;
    }

    public Model Model { get; }
    public Profile Profile { get; }

    /// <summary>tun0 192.0.2.1/24 with the given device MTU and a default route via 192.0.2.254, which may carry an
    /// MTU metric (the path MTU), locked or not. The send buffer is 16 MiB, so that no datagram of at most 64 KiB runs
    /// into ENOBUFS even when an MTU of 68 cuts it into thousands of fragments.</summary>
    public static HostConfig Tun0(int mtu, int? routeMtu = null, bool scatterGather = true, bool mtuLocked = false) => new()
    {
        Interfaces = [HostConfig.LoopbackInterface, new Interface("tun0", 2, Local, 24, mtu, ScatterGather: scatterGather)],
        Routes = [new Route(Ipv4Address.Any, 0, RouteKind.Unicast, "tun0", Gateway, Mtu: routeMtu, MtuLocked: mtuLocked)],
        WmemDefault = 1 << 24,
        WmemMax = 1 << 24,
    };

    /// <summary>socket() then bind() to <paramref name="address"/>:<paramref name="port"/>; both must succeed.</summary>
    public static Session Open(HostConfig host, Profile profile, Ipv4Address? address = null, ushort port = LocalPort)
    {
        var session = new Session(host, profile);
        var socket = session.Model.Run(new SocketOp("s"));
        if (socket.Kind != OutcomeKind.Value) throw new InvalidOperationException($"socket(): {socket}");
        var bind = session.Model.Run(new BindOp(S, UserBuffer.Of(SockAddr.In(address ?? Local, port)), SockAddr.InLength));
        if (bind.Kind != OutcomeKind.Value) throw new InvalidOperationException($"bind(): {bind}");
        return session;
    }

    public Outcome SetInt(int level, int name, int value) =>
        Model.Run(new SetSockOptOp(S, level, name, UserBuffer.Of(BitConverter.GetBytes(value)), 4));

    public Outcome SetBytes(int level, int name, byte[] value) =>
        Model.Run(new SetSockOptOp(S, level, name, UserBuffer.Of(value), value.Length));

    public Outcome SendTo(ReadOnlyMemory<byte> data, MsgFlags flags = MsgFlags.None, Ipv4Address? to = null, ushort port = RemotePort) =>
        Model.Run(new SendToOp(S, UserBuffer.Of(data), flags, UserBuffer.Of(SockAddr.In(to ?? Remote, port)), SockAddr.InLength));

    /// <summary>sendto whose length argument is <paramref name="length"/>, with that many readable zero bytes up to
    /// 70000 (beyond 65535 nothing is read: the length check comes first).</summary>
    public Outcome SendLength(long length, MsgFlags flags = MsgFlags.None) =>
        Model.Run(new SendToOp(S, new UserBuffer(Zeros.AsMemory(0, (int)Math.Min(length, Zeros.Length)), length), flags,
            UserBuffer.Of(SockAddr.In(Remote, RemotePort)), SockAddr.InLength));

    public Outcome SendMsg(IEnumerable<ReadOnlyMemory<byte>> iov, MsgFlags flags = MsgFlags.None, Ipv4Address? to = null, ushort port = RemotePort) =>
        Model.Run(new SendMsgOp(S, UserBuffer.Of(SockAddr.In(to ?? Remote, port)), SockAddr.InLength,
            iov.Select(b => UserBuffer.Of(b)).ToArray(), null, 0, flags));

    /// <summary>Every packet of the outcome's datagrams, symbols bound from <paramref name="seed"/>.</summary>
    public IReadOnlyList<byte[]> Packets(Outcome outcome, int seed = 1)
    {
        var bindings = Bindings.FromSeed(seed, Model.Symbols);
        return outcome.Datagrams.SelectMany(d => d.Render(bindings)).ToList();
    }

    private static readonly byte[] Zeros = new byte[70000];
}

/// <summary>Bytes that do not repeat with any short period (a pattern of period 256 would hide data moved by 256).</summary>
public static class Payload
{
    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Cuts <paramref name="data"/> at the given points (any order, repeats and out-of-range points allowed:
    /// they are clamped), giving pieces that may be empty.</summary>
    public static ReadOnlyMemory<byte>[] Split(byte[] data, IEnumerable<int> cuts)
    {
        var points = cuts.Select(c => Math.Clamp(c, 0, data.Length)).Order().ToList();
        var pieces = new List<ReadOnlyMemory<byte>>();
        var start = 0;
        foreach (var point in points)
        {
            pieces.Add(data.AsMemory(start, point - start));
            start = point;
        }
        pieces.Add(data.AsMemory(start));
        return pieces.ToArray();
    }
}

/// <summary>
/// IP options the model compiles (IpOptions.Compile), with what the wire must show: NOPs, router alert (148, the
/// "copied" bit set), and record route (7, not copied), padded to a multiple of 4 with END, sometimes with an explicit
/// END followed by junk that compiling must turn into END.
/// </summary>
/// <param name="Given">The bytes passed to setsockopt(IP_OPTIONS).</param>
/// <param name="FirstFragment">What the first fragment's header must carry: record route's first slot holds the
/// source address 192.0.2.1 and its pointer has moved from 4 to 8 (RFC 791 §3.1; ip_options_compile/_build).</param>
/// <param name="LaterFragments">What every later fragment must carry: options without the copied bit (record route)
/// replaced by NOPs, END padding kept, same length (RFC 791 §3.2 "copied flag"; ip_options_fragment).</param>
public sealed record OptionsCase(byte[] Given, byte[] FirstFragment, byte[] LaterFragments)
{
    public int Length => FirstFragment.Length;

    public static OptionsCase None { get; } = new([], [], []);

    public override string ToString() => Length == 0 ? "no options" : $"options {Convert.ToHexString(Given)} ({Length} bytes)";

    public static Gen<OptionsCase> Generate() =>
        Gen.Choose(0, 10).SelectMany(words =>
            Gen.Zip(
                Gen.Choose(0, words == 0 ? 0 : 3),
                Gen.Zip(
                    Gen.ArrayOf(Gen.Choose(0, 99), 80),
                    Gen.Zip(ArbMap.Default.GeneratorFor<bool>(), Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 3))))
            .Select(t => Build(words * 4, t.Item1, t.Item2.Item1, t.Item2.Item2.Item1, t.Item2.Item2.Item2)));

    /// <summary>Options of exactly <paramref name="length"/> bytes on the wire, the last <paramref name="padding"/>
    /// of them END.</summary>
    public static OptionsCase Build(int length, int padding, int[] choices, bool explicitEnd, byte[] junk)
    {
        var given = new List<byte>();
        var first = new List<byte>();
        var later = new List<byte>();
        var remaining = length - padding;
        var recordRoute = false;
        var next = 0;
        while (remaining > 0)
        {
            var choice = choices[next++ % choices.Length];
            if (!recordRoute && remaining >= 7 && choice < 25)
            {
                var slots = 1 + choices[next++ % choices.Length] % ((remaining - 3) / 4);
                var optlen = 3 + 4 * slots;
                given.AddRange([7, (byte)optlen, 4, .. new byte[4 * slots]]);
                first.AddRange([7, (byte)optlen, 8, 192, 0, 2, 1, .. new byte[4 * slots - 4]]);
                later.AddRange(Enumerable.Repeat((byte)1, optlen));
                remaining -= optlen;
                recordRoute = true;
            }
            else if (remaining >= 4 && choice < 60)
            {
                byte[] alert = [148, 4, 0, 0];
                given.AddRange(alert);
                first.AddRange(alert);
                later.AddRange(alert);
                remaining -= 4;
            }
            else
            {
                given.Add(1);
                first.Add(1);
                later.Add(1);
                remaining--;
            }
        }
        if (padding > 0 && explicitEnd)
        {
            given.Add(0);
            given.AddRange(junk.Take(padding - 1));
        }
        first.AddRange(new byte[padding]);
        later.AddRange(new byte[padding]);
        return new OptionsCase(given.ToArray(), first.ToArray(), later.ToArray());
    }
}

/// <summary>An IPv4 packet read field by field from its bytes (RFC 791 §3.1), without Reference/Wire, so that laws
/// about what the model emitted do not lean on the model's own parser.</summary>
public sealed record RawPacket(
    int Version, int HeaderLength, int Tos, int TotalLength, ushort Identification, bool Reserved, bool DontFragment,
    bool MoreFragments, int FragmentOffset, int Ttl, int Protocol, ushort HeaderChecksum, Ipv4Address Source,
    Ipv4Address Destination, byte[] Options, byte[] Payload, bool HeaderSumsToFfff)
{
    public static RawPacket Read(byte[] p)
    {
        var headerLength = (p[0] & 0x0F) * 4;
        var flags = (p[6] << 8) | p[7];
        return new RawPacket(
            Version: p[0] >> 4,
            HeaderLength: headerLength,
            Tos: p[1],
            TotalLength: (p[2] << 8) | p[3],
            Identification: (ushort)((p[4] << 8) | p[5]),
            Reserved: (flags & 0x8000) != 0,
            DontFragment: (flags & 0x4000) != 0,
            MoreFragments: (flags & 0x2000) != 0,
            FragmentOffset: (flags & 0x1FFF) * 8,
            Ttl: p[8],
            Protocol: p[9],
            HeaderChecksum: (ushort)((p[10] << 8) | p[11]),
            Source: new Ipv4Address((uint)(p[12] << 24 | p[13] << 16 | p[14] << 8 | p[15])),
            Destination: new Ipv4Address((uint)(p[16] << 24 | p[17] << 16 | p[18] << 8 | p[19])),
            Options: p[20..headerLength],
            Payload: p[headerLength..],
            HeaderSumsToFfff: Rfc1071.Sum(p.AsSpan(0, headerLength)) == 0xFFFF);
    }

    /// <summary>Puts the fragments' payloads together at their offsets. Null when they do not tile one run of bytes
    /// from offset 0 with MF on all but the last (then <paramref name="problem"/> says why).</summary>
    public static byte[]? Reassemble(IReadOnlyList<RawPacket> fragments, out string? problem)
    {
        var expectedOffset = 0;
        for (var i = 0; i < fragments.Count; i++)
        {
            var f = fragments[i];
            if (f.FragmentOffset != expectedOffset)
            {
                problem = $"fragment {i} starts at {f.FragmentOffset}, the previous ones end at {expectedOffset}";
                return null;
            }
            if (f.MoreFragments != (i < fragments.Count - 1))
            {
                problem = $"fragment {i} of {fragments.Count} has MF={f.MoreFragments}";
                return null;
            }
            expectedOffset += f.Payload.Length;
        }
        var whole = new byte[expectedOffset];
        foreach (var f in fragments) f.Payload.CopyTo(whole, f.FragmentOffset);
        problem = null;
        return whole;
    }
}
