using Udpconf.Reference.Api;
using static Udpconf.Reference.Api.SocketOption;
using Udpconf.Reference.Host;
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
        if (bytes.Length < SockAddr.InLength) return call.Fail(Errno.EINVAL, ClauseId.Bind);
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
        if (port != 0 && port < 1024 && !host.Privileged) return call.Fail(Errno.EACCES, ClauseId.Bind);
        if (sock.Connected || sock.LocalPort is not null) return call.Fail(Errno.EINVAL, ClauseId.Bind);

        if (port == 0)
        {
            if (Allocate(model, sock) is not { } ephemeral) return call.Fail(Errno.EADDRINUSE, ClauseId.BindInUse);
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

    /// <summary>inet_autobind: a socket without a port gets an ephemeral one; false when the range is exhausted.</summary>
    public static bool Autobind(Process model, Sock sock)
    {
        if (sock.LocalPort is not null) return true;
        if (Allocate(model, sock) is not { } port) return false;
        sock.LocalPort = port;
        return true;
    }

    /// <summary>An ephemeral port symbol, if the local range still has a free port.</summary>
    private static PortValue? Allocate(Process model, Sock sock)
    {
        var host = model.Host;
        var range = host.LocalPortHigh - host.LocalPortLow + 1;
        var taken = model.PortsInUse.Count(p => p.IsSymbolic || (p.Concrete >= host.LocalPortLow && p.Concrete <= host.LocalPortHigh));
        if (range <= 0 || taken >= range) return null;
        sock.Bindings++;
        var name = sock.Bindings == 1 ? $"port#s{sock.Id}" : $"port#s{sock.Id}.{sock.Bindings}";
        return PortValue.Of(model.NewSymbol(name, SymbolKind.EphemeralPort, host.LocalPortLow, host.LocalPortHigh));
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
