using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.TestSupport;

/// <summary>One socket named "s", bound, on a fresh model: the laws' view of the one harness (<see cref="Sim"/>),
/// whose calls all go to that socket.</summary>
public sealed class Session
{
    public const ushort LocalPort = 5000;
    public const ushort RemotePort = 9;

    private Session(HostConfig host, Profile profile) => Sim = new Sim(profile, host);

    public Sim Sim { get; }
    public Reference.Model Model => Sim.Model;
    public Profile Profile => Model.Profile;

    /// <summary>socket() then bind() to <paramref name="address"/>:<paramref name="port"/>; both must succeed.</summary>
    public static Session Open(HostConfig host, Profile profile, Ipv4Address? address = null, ushort port = LocalPort)
    {
        var session = new Session(host, profile);
        var socket = session.Sim.Socket();
        if (socket.Kind != OutcomeKind.Value) throw new InvalidOperationException($"socket(): {socket}");
        var bind = session.Sim.Bind("s", address ?? Hosts.Local, port);
        if (bind.Kind != OutcomeKind.Value) throw new InvalidOperationException($"bind(): {bind}");
        return session;
    }

    public Outcome SetInt(int level, int name, int value) => Sim.SetInt("s", level, name, value);

    public Outcome SetBytes(int level, int name, byte[] value) =>
        Sim.Run(new SetSockOptOp(Fd.Named("s"), level, name, UserBuffer.Of(value), value.Length));

    public Outcome SendTo(ReadOnlyMemory<byte> data, MsgFlags flags = MsgFlags.None, Ipv4Address? to = null, ushort port = RemotePort) =>
        Sim.SendTo("s", UserBuffer.Of(data), to ?? Hosts.Remote, port, flags);

    /// <summary>sendto whose length argument is <paramref name="length"/>, with that many readable zero bytes up to
    /// 70000 (beyond 65535 nothing is read: the length check comes first).</summary>
    public Outcome SendLength(long length, MsgFlags flags = MsgFlags.None) => Sim.SendHuge("s", length, Hosts.Remote, flags);

    public Outcome SendMsg(IEnumerable<ReadOnlyMemory<byte>> iov, MsgFlags flags = MsgFlags.None, Ipv4Address? to = null, ushort port = RemotePort) =>
        Sim.SendMsg("s", to ?? Hosts.Remote, iov.Select(b => UserBuffer.Of(b)).ToArray(), flags: flags, port: port);

    /// <summary>Every packet of the outcome's datagrams, symbols bound from <paramref name="seed"/>.</summary>
    public IReadOnlyList<byte[]> Packets(Outcome outcome, int seed = 1) => Sim.Packets(outcome, seed);
}
