using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Ip;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Socket;

/// <summary>The modeled process's descriptors (its file table) on top of the host's network state: what the socket
/// and system-call layers look sockets up in. <see cref="Model"/> adds the dispatch of operations.</summary>
public abstract class Process : Net
{
    private readonly Dictionary<int, FileObject> files = new();
    private readonly Dictionary<string, int> names = new();
    private int socketsCreated;

    protected Process(HostConfig host, Profile profile) : base(host, profile)
    {
    }

    /// <summary>The descriptor number a name was given, or the raw number.</summary>
    public int Resolve(Fd fd) => fd.Name is null ? fd.Number : names.GetValueOrDefault(fd.Name, -1);

    public FileObject? File(int number) => files.GetValueOrDefault(number);

    public IEnumerable<Sock> Sockets => files.Values.OfType<Sock>();

    protected override IEnumerable<InetSock> InetSockets => Sockets;

    /// <summary>Installs a file at the lowest free descriptor number (from 3, as after stdin/stdout/stderr).</summary>
    internal int Open(string name, FileObject file)
    {
        var number = Fd.LowestFree(files);
        files[number] = file;
        names[name] = number;
        return number;
    }

    internal void Release(int number) => files.Remove(number);

    internal int NextSocketId() => ++socketsCreated;

    internal override IEnumerable<(InetSock Sock, bool Inet6)> HostSockets =>
        Sockets.Select(s => ((InetSock)s, s.Family == AddressFamily.Inet6));

    /// <summary>Ports bound by any socket, concrete or symbolic.</summary>
    internal IEnumerable<PortValue> PortsInUse => Sockets.Where(s => s.LocalPort is not null).Select(s => s.LocalPort!.Value);
}
