using System.Runtime.InteropServices;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// The kernel of this machine as an implementation under test: each run gets a private network namespace with a
/// TUN device per link (<see cref="Sandbox"/>), the operations are the real system calls with raw arguments
/// (<see cref="Native"/>), and the packets are what the kernel wrote to the TUN devices.
/// </summary>
public sealed class KernelTarget : ITarget
{
    public string Name { get; } = "kernel:" + Release();

    /// <summary>What works: checksum-offload is a TUN device with IFF_VNET_HDR and TUN_F_CSUM (the virtio-net
    /// header is stripped from the packet and kept in <see cref="ObservedPacket.Offload"/>); queue-full is a root
    /// pfifo of limit 0, which drops every packet (NET_XMIT_DROP) and gets no marker; ipv6 turns IPv6 on for the
    /// first link of a case that opens an IPv6 socket (2001:db8::1/64, 2001:db8::/32 routed out of it). Not here:
    /// kernel-fault and security-module (no way to provoke them safely), ufo (gone from current kernels), neighbour
    /// (a NOARP TUN device has no neighbour entries to confirm). error-queue: after a send, the socket's error queue is read
    /// (recvmsg with MSG_ERRQUEUE) until it is empty.</summary>
    public IReadOnlySet<string> Features { get; } = new HashSet<string> { "netfilter", "host-change", "multiple-links", "counters", "checksum-offload", "queue-full", "ipv6", "error-queue" };

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

    public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default)
    {
        if (Unsupported(host) is { } unsupported)
            return new TargetRun(operations.Select(_ => Unmodeled(unsupported)).ToArray());
        // The whole case goes to the namespace's thread at once: no hand-over between threads per operation.
        return Sandbox.Run(host, sandbox =>
        {
            using var calls = new Calls(sandbox, host);
            var observations = new List<Observation>(operations.Count);
            foreach (var operation in operations)
            {
                cancellation.ThrowIfCancellationRequested();
                observations.Add(calls.Step(operation));
            }
            return new TargetRun(observations);
        }, ipv6: operations.Any(o => o is SocketOp { Domain: AddressFamily.Inet6 }));
    }

    public ITargetSession Open(HostConfig host, bool ipv6 = false)
    {
        if (Unsupported(host) is { } unsupported) return new UnsupportedSession(unsupported);
        var thread = Sandbox.Open(host, ipv6);
        try { return new Session(thread, thread.Invoke(sandbox => new Calls(sandbox, host))); }
        catch { thread.Dispose(); throw; }
    }

    private static Observation Unmodeled(string why) => new(OutcomeKind.Unmodeled, 0, null, [], Note: why);

    /// <summary>One namespace kept across operations; each goes to the namespace's thread.</summary>
    private sealed class Session(Sandbox.SandboxThread thread, Calls calls) : ITargetSession
    {
        public Observation Run(Operation operation) => thread.Invoke(_ => calls.Step(operation));

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
        // net.core.wmem_default/max are global (read-only inside a namespace): a case that sets them runs only where
        // the machine has those values. A case that leaves the default runs with the machine's (a difference the
        // report then shows, e.g. in SO_SNDBUF).
        var defaults = new HostConfig();
        if ((host.WmemDefault != defaults.WmemDefault || host.WmemMax != defaults.WmemMax) &&
            (host.WmemDefault != ReadInt("/proc/sys/net/core/wmem_default") || host.WmemMax != ReadInt("/proc/sys/net/core/wmem_max")))
            return "net.core.wmem_default/wmem_max are global: the kernel target does not change them";
        if (host.Interfaces.FirstOrDefault(i => i.IsLoopback) is { } lo && lo.Index != 1) return "lo is always index 1";
        var links = host.Interfaces.Where(i => !i.IsLoopback).OrderBy(i => i.Index).Select(i => i.Index).ToArray();
        // TUN devices get the namespace's next ifindex (2, 3, ...): a case must number its links that way.
        if (!links.SequenceEqual(Enumerable.Range(2, links.Length))) return "link indexes must be 2, 3, ... in order on the kernel target";
        if (host.Interfaces.Any(i => i.UdpFragmentationOffload || !i.ScatterGather))
            return "the kernel target's TUN devices have no UDP fragmentation offload or scatter-gather switch";
        return null;
    }

    private static int ReadInt(string path)
    {
        try { return int.Parse(File.ReadAllText(path).Trim()); }
        catch (Exception e) when (e is IOException or FormatException) { return -1; }
    }

    /// <summary>The system calls of one run. Descriptors are renumbered as the model numbers them (lowest free
    /// from 3), so that results compare; the real descriptor behind each is kept.</summary>
    private sealed class Calls : IDisposable
    {
        private readonly Descriptors descriptors = new(1 << 29);
        private readonly Sandbox sandbox;

        /// <summary>Made on the namespace's thread. An unprivileged host: that thread loses CAP_NET_BIND_SERVICE and
        /// CAP_NET_RAW, as a process of an ordinary user would lack them.</summary>
        public Calls(Sandbox sandbox, HostConfig host)
        {
            this.sandbox = sandbox;
            if (!host.Privileged && Native.DropEffective(Native.CapNetBindService, Native.CapNetRaw) is var errno and not 0)
                throw new InvalidOperationException($"capset (dropping CAP_NET_BIND_SERVICE and CAP_NET_RAW): {SystemError.Describe(errno)}");
        }

        /// <summary>One operation with everything observed about it: result, packets, counter changes, error queue.</summary>
        public Observation Step(Operation operation)
        {
            var before = sandbox.Counters();
            var (kind, value, errno, option) = Run(operation);
            var after = sandbox.Counters();
            var packets = sandbox.Capture();
            var counters = new CounterDelta(after.OutDatagrams - before.OutDatagrams, after.OutDiscards - before.OutDiscards,
                after.SndbufErrors - before.SndbufErrors, after.OutNoRoutes - before.OutNoRoutes);
            return new Observation(kind, value, errno, packets, option, counters, ErrorQueue: DrainErrorQueue(operation));
        }

        private int Resolve(Fd fd) => descriptors.Resolve(fd);

        private (OutcomeKind, long, Errno?, ReadOnlyMemory<byte>?) Install(string name, int fd, int errno) =>
            fd < 0 ? Fail(errno) : (OutcomeKind.Value, descriptors.Install(name, fd), null, null);

        private static (OutcomeKind, long, Errno?, ReadOnlyMemory<byte>?) Fail(int errno) => (OutcomeKind.Error, -1, (Errno)errno, null);

        private static (OutcomeKind, long, Errno?, ReadOnlyMemory<byte>?) Result(long value, int errno) =>
            value < 0 ? Fail(errno) : (OutcomeKind.Value, value, null, null);

        private unsafe (OutcomeKind Kind, long Value, Errno? Error, ReadOnlyMemory<byte>? Option) Run(Operation operation)
        {
            using var memory = new GuardedMemory();
            switch (operation)
            {
                case SocketOp op:
                {
                    var fd = Native.socket(op.Domain, op.Type, op.Protocol);
                    return Install(op.Name, fd, Native.Errno);
                }
                case OpenFileOp op:
                {
                    var fd = Native.open("/dev/null", Native.ORdwr | Native.OCloexec);
                    return Install(op.Name, fd, Native.Errno);
                }
                case BindOp op:
                {
                    var r = Native.bind(Resolve(op.Fd), memory.Place(op.Address), op.AddressLength);
                    return Result(r, Native.Errno);
                }
                case ConnectOp op:
                {
                    var r = Native.connect(Resolve(op.Fd), memory.Place(op.Address), op.AddressLength);
                    return Result(r, Native.Errno);
                }
                case SetSockOptOp op:
                {
                    var r = Native.setsockopt(Resolve(op.Fd), op.Level, op.OptName, memory.Place(op.Value), op.OptLen);
                    return Result(r, Native.Errno);
                }
                case GetSockOptOp op:
                {
                    var buffer = memory.Writable(Math.Max(0, op.OptLen));
                    var length = op.OptLen;
                    var r = Native.getsockopt(Resolve(op.Fd), op.Level, op.OptName, buffer, &length);
                    if (r < 0) return Fail(Native.Errno);
                    var bytes = new ReadOnlySpan<byte>((void*)buffer, Math.Clamp(length, 0, Math.Max(0, op.OptLen))).ToArray();
                    return (OutcomeKind.Value, length, null, bytes);
                }
                case SetNonblockOp op:
                {
                    var fd = Resolve(op.Fd);
                    var flags = Native.fcntl(fd, Native.FGetfl, 0);
                    if (flags < 0) return Fail(Native.Errno);
                    var r = Native.fcntl(fd, Native.FSetfl, op.Nonblocking ? flags | Native.ONonblock : flags & ~Native.ONonblock);
                    return Result(r, Native.Errno);
                }
                case SendToOp op:
                {
                    var data = memory.Place(op.Data);
                    var address = memory.Place(op.Address);
                    var r = Native.sendto(Resolve(op.Fd), data, (nuint)op.Data.Length, (int)op.Flags, address, op.AddressLength);
                    return Result(r, Native.Errno);
                }
                case SendMsgOp op:
                {
                    // struct iovec { void *base; size_t len; } and struct msghdr as x86-64 lays them out (56 bytes).
                    var iov = memory.Writable(16 * Math.Max(1, op.Iov.Count));
                    for (var i = 0; i < op.Iov.Count; i++)
                    {
                        Marshal.WriteInt64(iov, 16 * i, memory.Place(op.Iov[i]));
                        Marshal.WriteInt64(iov, 16 * i + 8, op.Iov[i].Length);
                    }
                    var msg = memory.Writable(56);
                    Marshal.WriteInt64(msg, 0, memory.Place(op.Name));
                    Marshal.WriteInt32(msg, 8, op.NameLength);
                    Marshal.WriteInt64(msg, 16, op.Iov.Count == 0 ? 0 : iov);
                    Marshal.WriteInt64(msg, 24, op.Iov.Count);
                    Marshal.WriteInt64(msg, 32, memory.Place(op.Control));
                    Marshal.WriteInt64(msg, 40, op.ControlLength);
                    var r = Native.sendmsg(Resolve(op.Fd), msg, (int)op.Flags);
                    return Result(r, Native.Errno);
                }
                case CloseOp op:
                {
                    var fd = Resolve(op.Fd);
                    var r = Native.close(fd);
                    var errno = Native.Errno;
                    if (r == 0) descriptors.Closed(fd);
                    return Result(r, errno);
                }
                case HostChangeOp op:
                    sandbox.Change(op.Interface, op.Mtu, op.Up);
                    return (OutcomeKind.Value, 0, null, null);
                default:
                    return (OutcomeKind.Unmodeled, 0, null, null);
            }
        }

        /// <summary>Reads and empties the error queue of the socket an operation used (a send, or a setsockopt that pushed
        /// a corked datagram): one entry per recvmsg(MSG_ERRQUEUE), the struct sock_extended_err from the IP_RECVERR
        /// control message, the address and port from msg_name. Reading an ICMP entry clears the socket's error, as
        /// the model assumes (Outcome.ErrorQueue).</summary>
        public unsafe IReadOnlyList<ErrorQueueEntry> DrainErrorQueue(Operation operation)
        {
            var fd = operation is SendToOp or SendMsgOp or SetSockOptOp or ConnectOp ? Resolve(Operation.DescriptorOf(operation)!.Value) : -1;
            if (fd < 0) return [];
            var entries = new List<ErrorQueueEntry>();
            const int nameSize = 28, dataSize = 256, controlSize = 512;
            var buffer = stackalloc byte[56 + 16 + nameSize + dataSize + controlSize];
            var msg = (nint)buffer;
            var iov = msg + 56;
            var name = iov + 16;
            var data = name + nameSize;
            var control = data + dataSize;
            for (var i = 0; i < 64; i++)
            {
                new Span<byte>(buffer, 56 + 16 + nameSize + dataSize + controlSize).Clear();
                Marshal.WriteInt64(iov, 0, data);
                Marshal.WriteInt64(iov, 8, dataSize);
                Marshal.WriteInt64(msg, 0, name);
                Marshal.WriteInt32(msg, 8, nameSize);
                Marshal.WriteInt64(msg, 16, iov);
                Marshal.WriteInt64(msg, 24, 1);
                Marshal.WriteInt64(msg, 32, control);
                Marshal.WriteInt64(msg, 40, controlSize);
                if (Native.recvmsg(fd, msg, Native.MsgErrqueue | Native.MsgDontwait) < 0) break; // EAGAIN: empty
                var controlLength = (int)Marshal.ReadInt64(msg, 40);
                var nameLength = Marshal.ReadInt32(msg, 8);
                var (address, port) = Ipv4Name(new ReadOnlySpan<byte>((void*)name, Math.Clamp(nameLength, 0, nameSize)));
                for (var at = 0; at + 16 <= controlLength;)
                {
                    var length = (int)Marshal.ReadInt64(control, at);
                    var level = Marshal.ReadInt32(control, at + 8);
                    var type = Marshal.ReadInt32(control, at + 12);
                    if (length < 16) break;
                    if (((level, type) == (Native.SolIp, Native.IpRecverr) || (level, type) == (Native.SolIpv6, Native.Ipv6Recverr)) && length >= 16 + 16)
                    {
                        var errno = Marshal.ReadInt32(control, at + 16);
                        var origin = Marshal.ReadByte(control, at + 20);
                        var info = Marshal.ReadInt32(control, at + 24);
                        entries.Add(new ErrorQueueEntry((Errno)errno, (ErrorOrigin)origin, info, address, port));
                    }
                    at += (length + 7) & ~7;
                }
            }
            return entries;
        }

        /// <summary>A sockaddr_in, or a sockaddr_in6 holding an IPv4-mapped address: the address and port (host order).</summary>
        private static (Ipv4Address, ushort) Ipv4Name(ReadOnlySpan<byte> name)
        {
            if (name.Length < 8) return (default, 0);
            var family = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(name);
            var port = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(name[2..]);
            if (family == AddressFamily.Inet) return (new Ipv4Address(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(name[4..])), port);
            if (family == AddressFamily.Inet6 && name.Length >= 24) return (new Ipv4Address(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(name[20..])), port);
            return (default, port);
        }

        public void Dispose()
        {
            foreach (var fd in descriptors.Open.ToArray())
            {
                Native.close(fd);
                descriptors.Closed(fd);
            }
        }
    }
}
