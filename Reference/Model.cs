using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Socket;
using Udpconf.Reference.Symbols;
using Udpconf.Reference.Syscall;

namespace Udpconf.Reference;

/// <summary>
/// The executable model of the IPv4 UDP send path: one process on one host, answering socket calls as the
/// profile's kernel would. <see cref="Run"/> never throws for any operation; modeled failures are values.
/// </summary>
public sealed class Model
{
    private readonly Dictionary<int, FileObject> files = new();
    private readonly Dictionary<string, int> names = new();
    private readonly List<Symbol> symbols = [];
    private readonly Dictionary<Ipv4Address, (Symbol Symbol, int Uses)> destinationCounters = new();
    private readonly HashSet<Ipv4Address> learnedPmtu = [];
    private readonly HashSet<Ipv4Address> stalePmtu = [];
    private int socketsCreated;
    private int freeIdents;

    public Model(HostConfig host, Profile profile)
    {
        Host = host;
        Profile = profile;
    }

    public HostConfig Host { get; private set; }
    public Profile Profile { get; }
    /// <summary>Bumped by every host change: cached routes of connected sockets are then looked up again.</summary>
    public int RouteGeneration { get; private set; }
    /// <summary>Every symbol the model has introduced so far, in order.</summary>
    public IReadOnlyList<Symbol> Symbols => symbols;
    /// <summary>The running SNMP counters of the host.</summary>
    public CounterDelta Counters { get; private set; }

    /// <summary>Answers one operation.</summary>
    public Outcome Run(Operation operation)
    {
        // Close still releases the descriptor of a socket the model no longer follows.
        if (operation is not CloseOp && Operation.DescriptorOf(operation) is { } fd && File(Resolve(fd)) is Sock { Unmodeled: { } why })
            return new Call().Unmodeled(ClauseId.PmtuLearnedFromSelf, why);
        var outcome = operation switch
        {
            SocketOp op => SocketCalls.Create(this, op),
            OpenFileOp op => SocketCalls.OpenFile(this, op),
            BindOp op => InetBind.Bind(this, op),
            ConnectOp op => InetConnect.Connect(this, op),
            SetSockOptOp op => SocketOptions.Set(this, op),
            GetSockOptOp op => SocketOptions.Get(this, op),
            SetNonblockOp op => SocketCalls.SetNonblock(this, op),
            SendToOp op => SysSendto.SendTo(this, op),
            SendMsgOp op => SysSendto.SendMsg(this, op),
            CloseOp op => SocketCalls.Close(this, op),
            HostChangeOp op => ChangeHost(op),
            _ => new Call().Unmodeled(ClauseId.SocketUnsupported, $"operation {operation.GetType().Name} is not modeled"),
        };
        Counters += outcome.Counters;
        return outcome;
    }

    /// <summary>ip_fragment's ICMP to this host taught the route to <paramref name="destination"/> a path MTU (a
    /// next-hop exception, equal to the MTU of the moment).</summary>
    internal void LearnPmtu(Ipv4Address destination) => learnedPmtu.Add(destination);

    /// <summary>Why the model cannot say what a datagram to <paramref name="destination"/> does: its learned path MTU
    /// outlived a change of the link MTU, and how such an exception and the routes cached from it follow the link is
    /// route-cache detail the model does not follow. Null when it can.</summary>
    internal string? UnmodeledPath(Ipv4Address destination) => stalePmtu.Contains(destination)
        ? $"the path MTU to {destination} was learned from this host's own ICMP \"fragmentation needed\" and the link MTU changed since"
        : null;

    /// <summary>release_sock's callback (Profile.ReleaseRevalidatesRoute): a connected socket whose cached route went
    /// obsolete gets it looked up again, from its peer, bound source and TOS, or none when that fails.</summary>
    internal void ReleaseSocket(Sock sock)
    {
        if (!Profile.ReleaseRevalidatesRoute || !sock.Connected || sock.CachedRoute is null || sock.CachedRouteGeneration == RouteGeneration) return;
        var destination = sock.Options is { HasSourceRoute: true } options ? options.FirstHop!.Value : sock.PeerAddress;
        var route = RouteLookup.Lookup(Host, new FlowKey(destination, sock.SourceAddress, 0, sock.Tos, false), Profile);
        sock.CachedRoute = route.IsError ? null : route.Value;
        sock.CachedRouteGeneration = RouteGeneration;
    }

    /// <summary>A route's MTUs now: the path MTU (dst_mtu: the route's MTU metric, else its device's) and its device's,
    /// which follow the host's changes after the route was looked up.</summary>
    internal (int Path, int Device) Mtus(RouteResult route)
    {
        var device = Host.InterfaceByName(route.Device.Name) ?? route.Device;
        return (route.MetricMtu ?? device.Mtu, device.Mtu);
    }

    /// <summary>The descriptor number a name was given, or the raw number.</summary>
    public int Resolve(Fd fd) => fd.Name is null ? fd.Number : names.GetValueOrDefault(fd.Name, -1);

    public FileObject? File(int number) => files.GetValueOrDefault(number);

    public IEnumerable<Sock> Sockets => files.Values.OfType<Sock>();

    /// <summary>Installs a file at the lowest free descriptor number (from 3, as after stdin/stdout/stderr).</summary>
    internal int Open(string name, FileObject file)
    {
        var number = 3;
        while (files.ContainsKey(number)) number++;
        files[number] = file;
        names[name] = number;
        return number;
    }

    internal void Release(int number) => files.Remove(number);

    internal int NextSocketId() => ++socketsCreated;

    internal Symbol NewSymbol(string name, SymbolKind kind, ushort low = 0, ushort high = ushort.MaxValue)
    {
        var symbol = new Symbol(name, kind, low, high);
        symbols.Add(symbol);
        return symbol;
    }

    /// <summary>A fresh identification for one datagram (current kernels' hashed generator).</summary>
    internal Symbol NewFreeIdent() => NewSymbol($"ipid#{++freeIdents}", SymbolKind.IdentFree);

    /// <summary>2.6: the per-destination identification counter (inet_peer), and this datagram's step on it.</summary>
    internal (Symbol Symbol, int Step) NextDestinationIdent(Ipv4Address destination)
    {
        if (!destinationCounters.TryGetValue(destination, out var counter))
            counter = (NewSymbol($"ipid@{destination}", SymbolKind.IdentCounter), 0);
        destinationCounters[destination] = (counter.Symbol, counter.Uses + 1);
        return (counter.Symbol, counter.Uses);
    }

    /// <summary>Ports bound by any socket, concrete or symbolic.</summary>
    internal IEnumerable<PortValue> PortsInUse => Sockets.Where(s => s.LocalPort is not null).Select(s => s.LocalPort!.Value);

    private Outcome ChangeHost(HostChangeOp op)
    {
        var call = new Call();
        var device = Host.InterfaceByName(op.Interface);
        if (device is null) return call.Fail(Errno.ENODEV, ClauseId.HostChange);
        if (op.Mtu is { } mtu && (mtu < 68 || mtu > 65535)) return call.Fail(Errno.EINVAL, ClauseId.HostChange);
        var changed = device with { Mtu = op.Mtu ?? device.Mtu, Up = op.Up ?? device.Up };
        // A setting that does not change is no event: cached routes stay valid (found by the differential machine).
        if (changed == device) return call.Return(0, ClauseId.HostChange);
        Host = Host.WithInterface(changed);
        if (changed.Mtu != device.Mtu) stalePmtu.UnionWith(learnedPmtu);
        RouteGeneration++;
        return call.Return(0, ClauseId.HostChange);
    }
}
