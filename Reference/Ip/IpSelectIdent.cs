using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Ip;

/// <summary>ip_select_ident: the identification a datagram's header (and all its fragments) carries.</summary>
public static class IpSelectIdent
{
    /// <summary>
    /// Outcome: an identification, symbolic where the kernel chooses it.
    /// Variation: 2.6 gives a DF datagram the connected socket's counter (0 when unconnected) and any other datagram
    /// the destination's counter; current kernels give a connected socket's datagrams its counter, an unconnected
    /// DF datagram that may not be fragmented 0, and everything else a fresh hashed value.
    /// Model details: counters are symbols whose base is bound by the first datagram seen; each datagram steps by 1.
    /// </summary>
    public static IdentValue Select(Net model, InetSock sock, RouteResult route, bool dontFragment, bool ignoresDf)
    {
        if (model.Profile.Ident == IdentPolicy.Linux26)
        {
            if (dontFragment)
                return sock.Connected && sock.IdentCounter is { } counter ? IdentValue.Counter(counter, sock.IdentUses++) : IdentValue.Of(0);
            var (symbol, step) = model.NextDestinationIdent(route.Destination);
            return IdentValue.Counter(symbol, step);
        }
        if (sock.Connected && sock.IdentCounter is { } socketCounter) return IdentValue.Counter(socketCounter, sock.IdentUses++);
        if (dontFragment && !ignoresDf) return IdentValue.Of(0);
        return IdentValue.Free(model.NewFreeIdent());
    }

    /// <summary>An identification chosen for a datagram that is then refused (current kernels choose it when the IP
    /// header is made, before UDP's last checks): only a connected socket's counter shows it, moving on by one; the
    /// hashed generator's values are not predicted, so taking one is not observable in the model.</summary>
    public static void Spend(InetSock sock)
    {
        if (sock.Connected && sock.IdentCounter is not null) sock.IdentUses++;
    }
}
