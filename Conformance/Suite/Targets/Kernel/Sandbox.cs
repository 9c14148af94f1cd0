using Udpconf.Reference;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// A private network namespace for one case, holding a TUN device per link of the case's host. Network namespaces
/// belong to threads, so <see cref="Run{T}"/> starts a dedicated thread (<see cref="NamespaceThread"/>), unshares it
/// into a fresh namespace and runs everything there: the configuration of the host (<see cref="HostSetup"/>: devices,
/// sysctls, rtnetlink, nf_tables), the sockets of the case, the capture of what the links carry
/// (<see cref="LinkCapture"/>) and the reads of the namespace's counters (<see cref="SnmpCounters"/>). When the thread
/// ends and the descriptors are closed the namespace has no reference left and the kernel removes it with its
/// devices, even if the process is killed.
/// </summary>
public sealed class Sandbox : IDisposable
{
    private readonly HostSetup setup;
    private readonly HostConfig host;
    private LinkCapture? capture;
    private readonly SnmpCounters counters = new();
    /// <summary>The ICMP errors the namespace had received at its configuration or last reset.</summary>
    private long icmpAtReset;

    internal Sandbox(HostConfig host, bool ipv6)
    {
        this.host = host;
        setup = new HostSetup(host, ipv6);
    }

    /// <summary>The links of the namespace: name, TUN descriptor, ifindex.</summary>
    public IReadOnlyDictionary<string, (int Fd, int Index)> Links => setup.Links;

    /// <summary>Runs <paramref name="body"/> on a new thread inside a new network namespace configured as
    /// <paramref name="host"/>, and tears everything down before returning (or rethrowing).</summary>
    /// <param name="ipv6">Turn IPv6 on for the first link (for a case with an IPv6 socket): an address and a route
    /// of the documentation prefix, with router solicitation, DAD and the link-local address turned off, so that
    /// the kernel sends nothing on its own but multicast listener reports, which capture drops.</param>
    public static T Run<T>(HostConfig host, Func<Sandbox, T> body, bool ipv6 = false)
    {
        using var thread = Open(host, ipv6);
        return thread.Invoke(body);
    }

    /// <summary>Starts the dedicated thread, unshares it into a fresh namespace configured as <paramref name="host"/>,
    /// and keeps it there running work posted with <see cref="NamespaceThread.Invoke{T}"/> until disposed; then
    /// everything is torn down. Throws what the setup threw.</summary>
    public static NamespaceThread Open(HostConfig host, bool ipv6 = false) => new(host, ipv6);

    /// <summary>On the namespace's thread: the host, then the marker socket, then a capture, so that anything the
    /// configuration itself caused is not the first operation's.</summary>
    internal void Configure()
    {
        setup.Configure();
        icmpAtReset = counters.IcmpErrorsIn();
        capture = new LinkCapture(setup, host);
        capture.Capture(out _);
    }

    /// <summary>A HostChangeOp: the link's MTU, or up or down (<see cref="HostSetup.Change"/>).</summary>
    public void Change(string link, int? mtu, bool? up) => setup.Change(link, mtu, up);

    /// <summary>Everything the kernel wrote to the links since the last capture (<see cref="LinkCapture.Capture"/>).</summary>
    public List<ObservedPacket> Capture(int timeoutMs = 5000) => capture!.Capture(out _, timeoutMs);

    /// <summary>As <see cref="Capture(int)"/>, saying how many markers went out (each one UDP OutDatagrams more).</summary>
    public List<ObservedPacket> Capture(out int markers, bool settle = true) => capture!.Capture(out markers, settle: settle);

    /// <summary>The counters of this sandbox's namespace (<see cref="SnmpCounters.Current"/>).</summary>
    public CounterDelta Counters() => counters.Current();

    /// <summary>The host as <see cref="Configure"/> left it, for the next sequence (the sockets are the caller's to
    /// close first): the links' MTUs, states and routes as described, learned path MTUs and redirects forgotten
    /// (<see cref="HostSetup.Restore"/>), and anything the links still hold read away.</summary>
    /// <returns>False when the namespace cannot be given back as it was (<see cref="HostSetup.Restore"/>): not to be reused.</returns>
    internal bool Reset()
    {
        // Links are taken down and up only when an ICMP error came in since the last reset: without one no route
        // exception can have been made, and the cache flush is enough (fuzz --count 2000 on the kernel took 6.5-7.3 s
        // bouncing them at every reset, 5.3-5.4 s so).
        var icmp = counters.IcmpErrorsIn();
        var restored = setup.Restore(bounceLinks: icmp != icmpAtReset);
        icmpAtReset = icmp;
        capture!.Capture(out _);
        return restored;
    }

    public void Dispose()
    {
        counters.Dispose();
        capture?.Dispose();
        setup.Dispose();
    }
}
