using Udpconf.Suite.Cases;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// The kernel of this machine as an implementation under test: each run gets a private network namespace with a
/// TUN device per link (<see cref="Sandbox"/>), the operations are the real system calls with raw arguments
/// (<see cref="KernelCalls"/>, through <see cref="Native"/>), the packets are what the kernel wrote to the TUN devices
/// and the error queue is read after each send (<see cref="ErrorQueue"/>). This file is the target: whether it can
/// run here, which host settings it cannot reproduce, and a run or session on a sandbox.
/// </summary>
public sealed class KernelTarget : ITarget, IDisposable
{
    public string Name { get; } = "kernel:" + Release();

    /// <summary>Namespaces of finished runs, reset, by the host they were configured as; null: a new namespace per run.</summary>
    private readonly NamespacePool? pool;

    /// <param name="reuseNamespaces">Run a case in the namespace of an earlier case on the same host, reset
    /// (<see cref="NamespacePool"/>), instead of a new one: a test runs the whole case library both ways and finds the
    /// same observations. False: a new namespace for every run.</param>
    /// <param name="markerEveryStep">Prove every step's packets complete with a marker round trip (the way every step
    /// was run before issue 17); false: a run of steps reads what each step wrote as it returns and one marker after
    /// the run's last step proves the whole run complete. A test runs the library and fuzz sequences both ways and finds
    /// the same observations.</param>
    /// <param name="drainEveryErrorQueue">Read the error queue after every send, setsockopt and connect; false: only of a
    /// descriptor given an option or a control message (the only ones whose queue can fill). A test runs the library and
    /// fuzz sequences both ways and finds the same observations.</param>
    /// <param name="countersEveryStep">Read the counters after every step of a run; false: once, where the run's last
    /// step is settled (<see cref="KernelCalls.Steps"/>), unless a run asks for every step (a case that states counters).
    /// One operation at a time (<see cref="ITargetSession.Run"/>) reads them after each.</param>
    public KernelTarget(bool reuseNamespaces = true, bool markerEveryStep = false, bool drainEveryErrorQueue = false, bool countersEveryStep = false)
    {
        this.countersEveryStep = countersEveryStep;
        pool = reuseNamespaces ? new NamespacePool() : null;
        this.markerEveryStep = markerEveryStep;
        this.drainEveryErrorQueue = drainEveryErrorQueue;
    }

    private readonly bool markerEveryStep, drainEveryErrorQueue, countersEveryStep;

    private KernelCalls Calls(Sandbox sandbox, HostConfig host) => new(sandbox, host) { DrainAlways = drainEveryErrorQueue };

    /// <summary>What works: checksum-offload is a TUN device with IFF_VNET_HDR and TUN_F_CSUM (the virtio-net
    /// header is stripped from the packet and kept in <see cref="ObservedPacket.Offload"/>); queue-full is a root
    /// pfifo of limit 0, which drops every packet (NET_XMIT_DROP) and gets no marker; ipv6 turns IPv6 on for the
    /// first link of a case that opens an IPv6 socket (2001:db8::1/64, 2001:db8::/32 routed out of it). Not here:
    /// kernel-fault and security-module (no way to provoke them safely), ufo (gone from current kernels), neighbour
    /// (a NOARP TUN device has no neighbour entries to confirm). error-queue: after a send, the socket's error queue is read
    /// (recvmsg with MSG_ERRQUEUE) until it is empty.</summary>
    public IReadOnlySet<Feature> Features { get; } = new HashSet<Feature>
        { Feature.Netfilter, Feature.HostChange, Feature.MultipleLinks, Feature.Counters, Feature.ChecksumOffload, Feature.QueueFull, Feature.Ipv6, Feature.ErrorQueue,
          Feature.Shutdown, Feature.Sendmmsg, Feature.IovLength, Feature.PolicyRouting };

    /// <summary>Sixteen runs at once: each has its own namespace and thread, and nothing of one is seen by another; a run
    /// mostly waits on the kernel (a namespace's creation for a host not seen yet), not on a core, so many more runs than
    /// cores pay. Measured on 2 cores, `check` on the kernel, 6 runs each, alternated pairs: 2 at a time 3.74-4.06 s,
    /// 4: 3.19-3.59 s, 6: 2.81-3.31 s, 8: 2.63-3.15 s, 16: 2.29-2.60 s, 24: 2.25-2.42 s (no better than 16).</summary>
    public int Concurrency { get; } = 16;

    private static readonly Lazy<string?> probe = new(Probe);

    /// <summary>True when the kernel target really works here: probed once per process by doing what every case does
    /// (a thread unshared into a new network namespace, a TUN device opened, created and configured, a marker sent
    /// and read back), so that root without CAP_NET_ADMIN or CAP_SYS_ADMIN, a /dev/net/tun that is not the TUN
    /// device, or a kernel without network namespaces is found before any case runs, with the reason.</summary>
    public static bool CanRun(out string why)
    {
        why = probe.Value ?? "";
        return probe.Value is null;
    }

    /// <summary>Null when the probe worked, else why not.</summary>
    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "the kernel target needs Linux";
        if (!File.Exists("/dev/net/tun")) return "the kernel target needs /dev/net/tun (modprobe tun, or run the container with --device /dev/net/tun)";
        try
        {
            Sandbox.Run(HostConfig.Default, sandbox => sandbox.Capture().Count);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or TimeoutException)
        {
            // ./udpconf re-executes itself in a user namespace (unshare --user --map-root-user) for an ordinary user
            // where the system allows it, so euid 0 here may be root of that namespace only.
            var hint = Native.geteuid() != 0
                ? "it needs root, or a user namespace (unshare --user --map-root-user, which ./udpconf tries for an ordinary user)"
                : "it needs CAP_NET_ADMIN and CAP_SYS_ADMIN (a container needs them besides --device /dev/net/tun) and a working /dev/net/tun";
            return $"creating a network namespace with a TUN device failed: {e.Message}; {hint}; use --target model";
        }
    }

    private static string Release()
    {
        try { return File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); }
        catch (IOException) { return "unknown"; }
    }

    public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default) =>
        Run(host, operations, _ => { }, cancellation);

    /// <summary>A run that hands each observation to <paramref name="observed"/> from the namespace's thread as soon as
    /// its step is done, so that the caller judges one step while the kernel runs the next.</summary>
    public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, Action<Observation> observed, CancellationToken cancellation = default,
        bool countersEveryStep = false)
    {
        if (Unsupported(host) is { } unsupported)
        {
            var none = operations.Select(_ => Unmodeled(unsupported)).ToArray();
            foreach (var observation in none) observed(observation);
            return new TargetRun(none);
        }
        var ipv6 = operations.Any(o => o is SocketOp { Domain: AddressFamily.Inet6 });
        var reuse = pool is not null;
        var thread = pool?.Take(host, ipv6) ?? Sandbox.Open(host, ipv6);
        var kept = false;
        try
        {
            // The whole case goes to the namespace's thread at once: no hand-over between threads per operation.
            var run = thread.Invoke(sandbox =>
            {
                using var calls = Calls(sandbox, host);
                var observations = new List<Observation>(operations.Count);
                calls.Steps(operations, markerEveryStep, observation =>
                {
                    observations.Add(observation);
                    observed(observation);
                }, cancellation, countersEveryStep || this.countersEveryStep);
                return new TargetRun(observations);
            });
            // Reset now (the sockets are closed): a namespace that cannot be reset, or whose reset failed, is not kept;
            // the run's observations stand either way.
            try { kept = reuse && thread.Invoke(sandbox => sandbox.Reset()); }
            catch (Exception e) when (e is InvalidOperationException or NetlinkException or IOException or TimeoutException) { /* not kept */ }
            return run;
        }
        finally
        {
            if (kept) pool!.Put(host, ipv6, thread);
            else thread.Dispose();
        }
    }

    /// <summary>Tears down the namespaces kept for reuse.</summary>
    public void Dispose() => pool?.Dispose();

    public ITargetSession Open(HostConfig host, bool ipv6 = false)
    {
        if (Unsupported(host) is { } unsupported) return new UnsupportedSession(unsupported);
        var thread = Sandbox.Open(host, ipv6);
        try { return new Session(thread, thread.Invoke(sandbox => Calls(sandbox, host)), markerEveryStep, countersEveryStep); }
        catch { thread.Dispose(); throw; }
    }

    private static Observation Unmodeled(string why) => new(OutcomeKind.Unmodeled, 0, null, [], Note: why);

    /// <summary>One namespace kept across operations; each goes to the namespace's thread, a sequence all at once.</summary>
    private sealed class Session(NamespaceThread thread, KernelCalls calls, bool markerEveryStep, bool countersEveryStep) : ITargetSession
    {
        public Observation Run(Operation operation) => thread.Invoke(_ => calls.Step(operation));

        public void RunAll(IReadOnlyList<Operation> operations, Action<Observation> observed)
        {
            thread.Invoke(_ =>
            {
                calls.Steps(operations, markerEveryStep, observed, countersEveryStep: countersEveryStep);
                return 0;
            });
        }

        /// <summary>The sockets closed and descriptors numbered from 3 again, the links as the host describes them and
        /// the learned path MTUs forgotten (<see cref="Sandbox.Reset"/>); a test runs sequences both ways and finds
        /// the same observations.</summary>
        public bool Reset() => thread.Invoke(sandbox =>
        {
            calls.Reset();
            var reset = sandbox.Reset();
            calls.ReleaseBuffers();
            return reset;
        });

        public void Dispose()
        {
            try { thread.Invoke(_ => { calls.Dispose(); return 0; }); }
            finally { thread.Dispose(); }
        }
    }

    private sealed class UnsupportedSession(string why) : ITargetSession
    {
        public Observation Run(Operation operation) => Unmodeled(why);
        public void Dispose() { }
    }

    /// <summary>Host settings this target cannot reproduce, so that a case needing them is reported as such.</summary>
    private static string? Unsupported(HostConfig host)
    {
        if (host.SecurityVeto is not null) return "the kernel target has no security module to veto sends";
        if (host.DefaultPmtuMode is not (0 or 1)) return "only the default PMTU modes dont and want have a sysctl (ip_no_pmtu_disc)";
        // net.core.wmem_default/max are global (read-only inside a namespace): a case that states them runs only where
        // the machine has those values. A case that does not runs with the machine's (a difference the report then
        // shows, e.g. in SO_SNDBUF).
        if (host.WmemStated &&
            (host.WmemDefault != ReadInt("/proc/sys/net/core/wmem_default") || host.WmemMax != ReadInt("/proc/sys/net/core/wmem_max")))
            return "net.core.wmem_default/wmem_max are global: the kernel target does not change them";
        if (host.Interfaces.FirstOrDefault(i => i.IsLoopback) is { } lo && lo.Index != 1) return "lo is always index 1";
        var links = host.Interfaces.Where(i => !i.IsLoopback).OrderBy(i => i.Index).Select(i => i.Index).ToArray();
        // TUN devices get the namespace's next ifindex (2, 3, ...): a case must number its links that way.
        if (!links.SequenceEqual(Enumerable.Range(2, links.Length))) return "link indexes must be 2, 3, ... in order on the kernel target";
        if (host.Interfaces.Any(i => i.UdpFragmentationOffload))
            return "the kernel target's TUN devices have no UDP fragmentation offload";
        return null;
    }

    private static int ReadInt(string path)
    {
        try { return int.Parse(File.ReadAllText(path).Trim()); }
        catch (Exception e) when (e is IOException or FormatException) { return -1; }
    }
}
