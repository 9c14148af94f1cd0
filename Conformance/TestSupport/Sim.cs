using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.TestSupport;

/// <summary>The tests' one harness: a model plus short-hands for writing one call per line (hosts in <see cref="Hosts"/>).</summary>
public sealed class Sim
{
    public Sim(Profile profile, HostConfig? host = null) => Model = new Reference.Model(host ?? HostConfig.Default, profile);

    public static Sim Spec(HostConfig? host = null) => new(Profile.Spec, host);
    public static Sim Linux(HostConfig? host = null) => new(Profile.Linux, host);

    public Reference.Model Model { get; }

    /// <summary>A model with socket "s" already open, optionally with an IP_MTU_DISCOVER mode set.</summary>
    public static Sim WithSocket(Profile profile, HostConfig? host = null, int? pmtu = null)
    {
        var sim = new Sim(profile, host);
        sim.Socket();
        if (pmtu is { } mode) Expect.Value(sim.SetInt("s", SocketOption.SolIp, SocketOption.IpMtuDiscover, mode), 0);
        return sim;
    }

    public Outcome Run(Operation op) => Model.Run(op);

    public Outcome Socket(string name = "s", int domain = AddressFamily.Inet, int type = SocketType.Dgram, int protocol = 0) =>
        Run(new SocketOp(name, domain, type, protocol));

    public static UserBuffer Addr(Ipv4Address address, ushort port, ushort family = AddressFamily.Inet) =>
        UserBuffer.Of(SockAddr.In(address, port, family));

    public Outcome Bind(string s, Ipv4Address address, ushort port) =>
        Run(new BindOp(Fd.Named(s), Addr(address, port), SockAddr.InLength));

    public Outcome Connect(string s, Ipv4Address address, ushort port) =>
        Run(new ConnectOp(Fd.Named(s), Addr(address, port), SockAddr.InLength));

    public Outcome Disconnect(string s) =>
        Run(new ConnectOp(Fd.Named(s), Addr(Ipv4Address.Any, 0, AddressFamily.Unspec), SockAddr.InLength));

    public Outcome SetInt(string s, int level, int name, int value, int optlen = 4) =>
        Run(new SetSockOptOp(Fd.Named(s), level, name, UserBuffer.Of(BitConverter.GetBytes(value)), optlen));

    public Outcome Cork(string s, bool on) => SetInt(s, SocketOption.SolUdp, SocketOption.UdpCork, on ? 1 : 0);

    public Outcome SendTo(string s, int length, Ipv4Address? to = null, ushort port = 9, MsgFlags flags = MsgFlags.None, byte seed = 0) =>
        SendTo(s, UserBuffer.Pattern(length, seed), to, port, flags);

    public Outcome SendTo(string s, UserBuffer data, Ipv4Address? to, ushort port = 9, MsgFlags flags = MsgFlags.None) =>
        to is { } address
            ? Run(new SendToOp(Fd.Named(s), data, flags, Addr(address, port), SockAddr.InLength))
            : Run(new SendToOp(Fd.Named(s), data, flags, null, 0));

    /// <summary>sendto with a length beyond what the buffer holds (nothing is read when a check fails first).</summary>
    public Outcome SendHuge(string s, long length, Ipv4Address to, MsgFlags flags = MsgFlags.None) =>
        Run(new SendToOp(Fd.Named(s), new UserBuffer(new byte[Math.Min(length, 70000)], length), flags, Addr(to, 9), SockAddr.InLength));

    public Outcome SendMsg(string s, Ipv4Address? to, IReadOnlyList<UserBuffer> iov, byte[]? control = null, MsgFlags flags = MsgFlags.None, ushort port = 9) =>
        Run(new SendMsgOp(Fd.Named(s), to is { } a ? Addr(a, port) : null, to is null ? 0 : SockAddr.InLength, iov,
            control is null ? null : UserBuffer.Of(control), control?.Length ?? 0, flags));

    /// <summary>Every packet of an outcome, with symbols bound from a seed.</summary>
    public IReadOnlyList<byte[]> Packets(Outcome outcome, int seed = 1)
    {
        var bindings = Bindings.FromSeed(seed, Model.Symbols);
        return outcome.Datagrams.SelectMany(d => d.Render(bindings)).ToList();
    }

    public static Ipv4Header Ip(byte[] packet)
    {
        Assert.True(Ipv4Header.TryParse(packet, out var header, out var problem), problem);
        return header;
    }

    public static UdpHeader Udp(byte[] packet)
    {
        var ip = Ip(packet);
        Assert.True(UdpHeader.TryParse(packet.AsSpan(ip.HeaderLength), out var header, out var problem), problem);
        return header;
    }
}

/// <summary>Assertions on outcomes that say what was expected in the model's own terms.</summary>
public static class Expect
{
    public static void Error(Outcome outcome, Errno errno, string clause)
    {
        Assert.True(outcome.Kind == OutcomeKind.Error, $"expected {errno} [{clause}], got {outcome}");
        Assert.Equal(errno, outcome.Error);
        Assert.Equal(clause, outcome.Clause);
    }

    public static void Value(Outcome outcome, long value, string? clause = null)
    {
        Assert.True(outcome.Kind == OutcomeKind.Value, $"expected {value}, got {outcome}");
        Assert.Equal(value, outcome.Value);
        if (clause is not null) Assert.Equal(clause, outcome.Clause);
    }

    /// <summary>The model does not follow the call, under <paramref name="clause"/>, and says so with <paramref name="note"/>.</summary>
    public static void Unmodeled(Outcome outcome, string clause, string note)
    {
        Assert.True(outcome.Kind == OutcomeKind.Unmodeled, $"expected unmodeled [{clause}], got {outcome}");
        Assert.Equal(clause, outcome.Clause);
        Assert.Equal(note, outcome.Note);
    }

    public static void Passed(Outcome outcome, string clause) =>
        Assert.True(outcome.Trace.Contains(clause), $"{clause} not in trace: {string.Join(", ", outcome.Trace)}");

    public static void NotPassed(Outcome outcome, string clause) =>
        Assert.False(outcome.Trace.Contains(clause), $"{clause} unexpectedly in trace: {string.Join(", ", outcome.Trace)}");
}
