using Udpconf.Reference.Api;
using static Udpconf.Reference.Api.SocketOption;
using Udpconf.Reference.Host;
using Udpconf.Reference.Ip;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Socket;

/// <summary>bind() of an AF_INET UDP socket (inet_bind), and the automatic binding of a socket's first send or
/// connect (inet_autobind).</summary>
public static class InetBind
{
    /// <summary>
    /// Outcome: 0. EINVAL for an address shorter than sockaddr_in or a socket already bound; EAFNOSUPPORT for a
    /// family other than AF_INET (current kernels; 2.6 does not look); EADDRNOTAVAIL for an address that is not this
    /// host's, a broadcast or a multicast one; EACCES for a port below 1024 without privilege; EADDRINUSE for a port
    /// another socket holds.
    /// Model details: SO_REUSEADDR is not modeled; an explicit port inside the local range may in reality collide
    /// with a symbolic ephemeral port of another socket, which the model cannot know.
    /// </summary>
    public static Outcome Bind(Process model, BindOp op)
    {
        var call = new Call();
        var found = SocketCalls.SocketAndAddress(model, op.Fd, op.Address, op.AddressLength, ClauseId.Bind);
        if (found.Stop is { } ended) return call.Finish(ended);
        var (sock, bytes) = found.Value;
        if (bytes.Length < Limits.AddressLength.At) return call.Fail(Errno.EINVAL, ClauseId.Bind);
        var family = SockAddr.Family(bytes);
        var address = SockAddr.Address(bytes);
        var port = SockAddr.Port(bytes);
        if (model.Profile.BindChecksFamily && family != AddressFamily.Inet &&
            (family != AddressFamily.Unspec || !address.IsZero))
            return call.Fail(Errno.EAFNOSUPPORT, ClauseId.Bind);
        var host = model.Host;
        var broadcastOrMulticast = address.IsMulticast || host.IsBroadcastAddress(address);
        if (!address.IsZero && !host.IsLocalAddress(address) && !broadcastOrMulticast)
        {
            // spec: nonlocal.bind — inet_can_nonlocal_bind: IP_FREEBIND or IP_TRANSPARENT.
            if (!sock.FreeBind && !sock.Transparent) return call.Fail(Errno.EADDRNOTAVAIL, ClauseId.BindAddress);
            call.Pass(ClauseId.NonlocalBind);
        }
        if (port != 0 && port < Limits.PrivilegedPort.At && !host.Privileged) return call.Fail(Errno.EACCES, ClauseId.Bind);
        if (sock.Connected || sock.LocalPort is not null) return call.Fail(Errno.EINVAL, ClauseId.Bind);

        if (port == 0 && model.Profile.PlainOptions && sock.BindAddressNoPort)
        {
            // spec: ephemeral.no_port — the address only: the port waits for the first send or connect.
            call.Pass(ClauseId.EphemeralNoPort);
        }
        else if (port == 0)
        {
            var (free, ephemeral) = Allocate(model, call, sock);
            if (free == Free.Unknown) return Unknown(call, sock, ClauseId.BindInUse);
            if (free == Free.No) return call.Fail(Errno.EADDRINUSE, ClauseId.BindInUse);
            sock.LocalPort = ephemeral;
        }
        else
        {
            if (InUse(model, call, sock, address, port)) return call.Fail(Errno.EADDRINUSE, ClauseId.BindInUse);
            sock.LocalPort = PortValue.Of(port);
            sock.PortLocked = true;
        }
        sock.BoundAddress = address;
        sock.SourceAddress = broadcastOrMulticast ? Ipv4Address.Any : address;
        sock.AddressLocked = !address.IsZero;
        return call.Return(0, ClauseId.Bind);
    }

    /// <summary>Whether a range has a free port: surely, surely not, or it depends on the ports the kernel chose for
    /// sockets whose own ranges reach beyond it.</summary>
    private enum Free { Yes, No, Unknown }

    private const string UnknownRange =
        "whether the socket's port range has a free port depends on which ports sockets with other IP_LOCAL_PORT_RANGEs took";

    /// <summary>inet_autobind: a socket without a port gets an ephemeral one. Outcome: null when it has one, EAGAIN
    /// when its range has none free, unmodeled when that depends on the ports other sockets took.</summary>
    public static Outcome? Autobind(Process model, Call call, Sock sock)
    {
        if (sock.LocalPort is not null) return null;
        var (free, port) = Allocate(model, call, sock);
        if (free == Free.No) return call.Fail(Errno.EAGAIN, ClauseId.Autobind);
        if (free == Free.Unknown) return Unknown(call, sock, ClauseId.Autobind);
        sock.LocalPort = port;
        return null;
    }

    /// <summary>The unmodeled answer of a bind or autobind whose range may or may not have a free port: the socket is
    /// not modeled from then on.</summary>
    private static Outcome Unknown(Call call, Sock sock, string clause)
    {
        sock.Unmodeled = new NotModeled(clause, UnknownRange);
        return call.Unmodeled(clause, UnknownRange);
    }

    /// <summary>The socket's ephemeral range (inet_sk_get_local_port_range): the namespace's, its low end raised to
    /// IP_LOCAL_PORT_RANGE's low and then its high end lowered to the option's high where each falls inside.</summary>
    private static (int Low, int High) EphemeralRange(Process model, Call call, Sock sock)
    {
        int low = model.Host.LocalPortLow, high = model.Host.LocalPortHigh;
        if (!model.Profile.PlainOptions || sock.LocalPortRange == 0) return (low, high);
        // spec: ephemeral.range
        call.Pass(ClauseId.EphemeralRange);
        int ownLow = (int)(sock.LocalPortRange & 0xFFFF), ownHigh = (int)(sock.LocalPortRange >> 16);
        if (low <= ownLow && ownLow <= high) low = ownLow;
        if (low <= ownHigh && ownHigh <= high) high = ownHigh;
        return (low, high);
    }

    /// <summary>An ephemeral port symbol within the socket's range, if the range surely has a free port. Other sockets'
    /// ports are distinct: a concrete one inside the range takes a place, a symbol whose range lies inside surely
    /// takes one, and a symbol whose range only overlaps may.</summary>
    private static (Free Free, PortValue? Port) Allocate(Process model, Call call, Sock sock)
    {
        var (low, high) = EphemeralRange(model, call, sock);
        var size = high - low + 1;
        if (size <= 0) return (Free.No, null);
        var ports = model.PortsInUse.ToArray();
        var concrete = ports.Where(p => !p.IsSymbolic && p.Concrete >= low && p.Concrete <= high).Select(p => p.Concrete).Distinct().Count();
        var symbols = ports.Where(p => p.IsSymbolic).Select(p => model.SymbolNamed(p.Symbol!)).ToArray();
        var overlapping = symbols.Count(s => s.Low <= high && s.High >= low);
        var inside = symbols.Count(s => s.Low >= low && s.High <= high);
        if (concrete + inside >= size) return (Free.No, null);
        if (concrete + overlapping >= size) return (Free.Unknown, null);
        sock.Bindings++;
        var name = sock.Bindings == 1 ? $"port#s{sock.Id}" : $"port#s{sock.Id}.{sock.Bindings}";
        return (Free.Yes, PortValue.Of(model.NewSymbol(name, SymbolKind.EphemeralPort, (ushort)low, (ushort)high)));
    }

    /// <summary>udp_lib_lport_inuse: another socket on the port and an address that overlaps (either one the
    /// wildcard) conflicts. Under <see cref="Profile.PlainOptions"/> current kernels' exceptions are followed
    /// (options.reuse, measured on 6.18.44): SO_REUSEADDR on both, SO_REUSEPORT on both (one user here), or two
    /// sockets bound to different devices do not conflict.</summary>
    private static bool InUse(Process model, Call call, Sock self, Ipv4Address address, ushort port)
    {
        var reuse = model.Profile.PlainOptions;
        foreach (var s in model.Sockets)
        {
            if (s == self || s.LocalPort is not { IsSymbolic: false } p || p.Concrete != port) continue;
            if (!(s.BoundAddress.IsZero || address.IsZero || s.BoundAddress == address)) continue;
            if (reuse)
            {
                // spec: options.reuse
                var shared = (PlainOptions.IsOn(s, SolSocket, SoReuseAddr) && PlainOptions.IsOn(self, SolSocket, SoReuseAddr)) ||
                             (PlainOptions.IsOn(s, SolSocket, SoReusePort) && PlainOptions.IsOn(self, SolSocket, SoReusePort)) ||
                             (s.BoundDevice != 0 && self.BoundDevice != 0 && s.BoundDevice != self.BoundDevice);
                if (shared)
                {
                    call.Pass(ClauseId.OptionsReuse);
                    continue;
                }
            }
            return true;
        }
        return false;
    }

    private const int SoReuseAddr = 2, SoReusePort = 15;
}
