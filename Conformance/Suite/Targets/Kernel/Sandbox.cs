using System.Buffers.Binary;
using System.Net;
using System.Text;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// A private network namespace for one case, holding a TUN device per link of the case's host. Network namespaces
/// belong to threads, so <see cref="Run{T}"/> starts a dedicated thread, unshares it into a fresh namespace and
/// runs everything there: the netlink sockets that configure it (a socket belongs to the namespace of the thread
/// that opened it), the sockets of the case, the
/// reads of /proc/thread-self/net. When the thread ends and the descriptors are closed the namespace has no
/// reference left and the kernel removes it with its devices, even if the process is killed.
/// </summary>
public sealed class Sandbox : IDisposable
{
    /// <summary>Where markers go: an address and port no case uses; a policy rule on the marker's fwmark sends
    /// them through a table of their own, so the case's routes (unreachable, blackhole, ...) never stop them.</summary>
    public static readonly Ipv4Address MarkerAddress = Ipv4Address.Parse("203.0.113.251");
    public const ushort MarkerPort = 65001;
    private const uint MarkerMark = 0x7e57, MarkerTable = 32001, MarkerRulePriority = 10;
    /// <summary>The nf_tables table and output chain of a case's drops.</summary>
    private const string NftTable = "udpconf", NftChain = "out";
    /// <summary>The packets a link holds for the capture: more than the fragments of any datagram.</summary>
    private const int TunQueueLength = 10000;

    private readonly Dictionary<string, (int Fd, int Index)> tuns = [];
    private readonly HostConfig host;
    private readonly HashSet<string> down = [];
    private readonly HashSet<string> vnet = [];
    /// <summary>Queue-full links: every packet is dropped before the device, the marker too.</summary>
    private readonly HashSet<string> silent = [];
    private RtNetlink? rtnetlink;
    private int markerSocket = -1;
    private long markerCount;

    private readonly bool ipv6;

    /// <summary>Where a case's IPv6 traffic may go, on the first link when <see cref="Run{T}"/> is asked for IPv6:
    /// this address on the link, and 2001:db8::/32 routed out of it.</summary>
    public const string Ipv6Address = "2001:db8::1/64", Ipv6Route = "2001:db8::/32";

    private Sandbox(HostConfig host, bool ipv6)
    {
        this.host = host;
        this.ipv6 = ipv6;
    }

    /// <summary>The links of the namespace: name, TUN descriptor, ifindex.</summary>
    public IReadOnlyDictionary<string, (int Fd, int Index)> Links => tuns;

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
    /// and keeps it there running work posted with <see cref="SandboxThread.Invoke{T}"/> until disposed; then
    /// everything is torn down. Throws what the setup threw.</summary>
    public static SandboxThread Open(HostConfig host, bool ipv6 = false) => new(host, ipv6);

    /// <summary>The thread a sandbox lives on (network namespaces belong to threads).</summary>
    public sealed class SandboxThread : IDisposable
    {
        private readonly System.Collections.Concurrent.BlockingCollection<Action<Sandbox>> work = new();
        private readonly Thread thread;
        private Exception? setupFailure;

        internal SandboxThread(HostConfig host, bool ipv6)
        {
            using var ready = new ManualResetEventSlim();
            thread = new Thread(() =>
            {
                Sandbox? sandbox = null;
                try
                {
                    if (Native.unshare(Native.CloneNewNet) != 0)
                        throw new InvalidOperationException($"unshare(CLONE_NEWNET) failed: {SystemError.Describe(Native.Errno)}");
                    sandbox = new Sandbox(host, ipv6);
                    sandbox.Configure();
                }
                catch (Exception e) { setupFailure = e; }
                ready.Set();
                if (setupFailure is not null) { sandbox?.Dispose(); return; }
                using (sandbox)
                    foreach (var item in work.GetConsumingEnumerable()) item(sandbox!);
            }, 4 << 20) { IsBackground = true, Name = "udpconf-netns" };
            thread.Start();
            ready.Wait();
            if (setupFailure is not null)
            {
                thread.Join();
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(setupFailure).Throw();
            }
        }

        /// <summary>Runs <paramref name="body"/> on the sandbox's thread, inside its namespace, and returns its result
        /// (or rethrows what it threw).</summary>
        public T Invoke<T>(Func<Sandbox, T> body)
        {
            T result = default!;
            Exception? failure = null;
            using var done = new ManualResetEventSlim();
            work.Add(sandbox =>
            {
                try { result = body(sandbox); }
                catch (Exception e) { failure = e; }
                finally { done.Set(); }
            });
            done.Wait();
            if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
            return result;
        }

        public void Dispose()
        {
            if (work.IsAddingCompleted) return;
            work.CompleteAdding();
            thread.Join();
            work.Dispose();
        }
    }

    private unsafe void Configure()
    {
        // IPv6 off before any device exists, so that no link ever sends a router solicitation or DAD probe.
        WriteSysctl("net/ipv6/conf/all/disable_ipv6", "1", optional: true);
        WriteSysctl("net/ipv6/conf/default/disable_ipv6", "1", optional: true);
        foreach (var link in host.Interfaces.Where(i => !i.IsLoopback).OrderBy(i => i.Index))
        {
            var fd = Native.open("/dev/net/tun", Native.ORdwr | Native.ONonblock | Native.OCloexec);
            if (fd < 0) throw new InvalidOperationException($"open /dev/net/tun: {SystemError.Describe(Native.Errno)}");
            // A link with checksum offload gets a virtio-net header before every packet it hands out, and
            // TUN_F_CSUM so that the kernel leaves UDP checksums for the device to finish (NETIF_F_HW_CSUM).
            var ifr = Native.IfReq(link.Name, Native.IffTun | Native.IffNoPi | (link.ChecksumOffload ? Native.IffVnetHdr : 0));
            fixed (byte* p = ifr)
                if (Native.ioctl(fd, Native.TunSetIff, p) != 0)
                {
                    var errno = Native.Errno;
                    Native.close(fd);
                    throw new InvalidOperationException($"TUNSETIFF {link.Name}: {SystemError.Describe(errno)}");
                }
            tuns[link.Name] = (fd, IfIndex(link.Name));
            if (link.ChecksumOffload)
            {
                vnet.Add(link.Name);
                if (Native.ioctl(fd, Native.TunSetOffload, (void*)Native.TunFCsum) != 0)
                    throw new InvalidOperationException($"TUNSETOFFLOAD {link.Name}: {SystemError.Describe(Native.Errno)}");
            }
            WriteSysctl($"net/ipv6/conf/{link.Name}/disable_ipv6", "1", optional: true);
        }
        WriteSysctl("net/ipv4/ip_default_ttl", host.DefaultTtl.ToString());
        WriteSysctl("net/ipv4/ip_local_port_range", $"{host.LocalPortLow} {host.LocalPortHigh}");
        if (host.DefaultPmtuMode is 0 or 1) WriteSysctl("net/ipv4/ip_no_pmtu_disc", host.DefaultPmtuMode == 1 ? "0" : "1");

        // Everything below goes through one rtnetlink socket opened on this thread, so in this namespace. Every
        // link is configured up (the kernel refuses routes over a down device), the routes are added, and only then
        // are the links described as down taken down: the kernel then drops their routes, as it would.
        rtnetlink = new RtNetlink();
        rtnetlink.Request(RtNetlink.SetLink(IfIndex("lo"), "lo", up: true));
        rtnetlink.Request(RtNetlink.AddRule(MarkerMark, MarkerTable, MarkerRulePriority));
        foreach (var link in host.Interfaces.Where(i => !i.IsLoopback))
        {
            var index = tuns[link.Name].Index;
            // A TUN device queues at most txqueuelen packets for its reader (500 by default) and drops the rest: a
            // datagram cut at MTU 68 has up to ~8000 fragments, and the marker must still come after them.
            rtnetlink.Request(RtNetlink.SetLink(index, link.Name, link.Mtu, TunQueueLength, up: true));
            foreach (var (address, prefix) in link.Addresses)
                rtnetlink.Request(RtNetlink.AddAddress(index, link.Name, new IPAddress(address.ToBytes()), prefix));
            rtnetlink.Request(RtNetlink.NewRoute(MarkerRoute(link), RouteVerb.Add));
        }
        // append, not add: a second route to the same prefix (two defaults over two links) is kept after the first,
        // which stays the one used, as the host description lists them.
        foreach (var route in host.Routes) rtnetlink.Request(RtNetlink.NewRoute(RouteSpec.From(route, LinkIndex), RouteVerb.Append));
        // pfifo keeps one FIFO per link: the default pfifo_fast has priority bands by TOS and could hand the marker
        // out before a packet sent earlier. A link described queue-full gets a pfifo of limit 0: it never bypasses
        // the queue, and enqueueing into it drops with NET_XMIT_DROP, which is what the cases need. No marker goes
        // there (nothing can reach that device), so capture reads what is readable and stops, as for a down link.
        foreach (var link in host.Interfaces.Where(i => !i.IsLoopback))
            rtnetlink.Request(RtNetlink.RootPfifo(tuns[link.Name].Index, link.Name, link.QueueFull ? 0u : (uint)TunQueueLength));
        foreach (var link in host.Interfaces.Where(i => !i.IsLoopback && i.QueueFull)) silent.Add(link.Name);
        if (ipv6 && host.Interfaces.Where(i => !i.IsLoopback && i.Up).OrderBy(i => i.Index).FirstOrDefault() is { } v6)
        {
            foreach (var (key, value) in new[] { ("addr_gen_mode", "1"), ("accept_ra", "0"), ("router_solicitations", "0"), ("dad_transmits", "0"), ("disable_ipv6", "0") })
                WriteSysctl($"net/ipv6/conf/{v6.Name}/{key}", value);
            var index = tuns[v6.Name].Index;
            rtnetlink.Request(RtNetlink.AddAddress(index, v6.Name, IPAddress.Parse(Ipv6Address.Split('/')[0]), int.Parse(Ipv6Address.Split('/')[1]), noDad: true));
            var network = Ipv6Route.Split('/');
            rtnetlink.Request(RtNetlink.NewRoute(new RouteSpec(RtNetlink.AfInet6, IPAddress.Parse(network[0]).GetAddressBytes(), int.Parse(network[1]),
                RtNetlink.RtnUnicast, RtNetlink.TableMain, RtNetlink.ScopeUniverse, index, v6.Name), RouteVerb.Add));
        }
        if (host.OutputDrops.Count > 0) NfTables.ApplyOutputFilter(NftTable, NftChain, MarkerMark, host.OutputDrops);
        foreach (var link in host.Interfaces.Where(i => !i.IsLoopback && !i.Up))
        {
            rtnetlink.Request(RtNetlink.SetLink(tuns[link.Name].Index, link.Name, up: false));
            down.Add(link.Name);
        }

        markerSocket = Native.socket(2, 2 | Native.OCloexec, 0);
        if (markerSocket < 0) throw new InvalidOperationException($"marker socket: {SystemError.Describe(Native.Errno)}");
        var mark = MarkerMark;
        if (Native.setsockopt(markerSocket, 1, 36, (nint)(&mark), 4) != 0) // SOL_SOCKET, SO_MARK
            throw new InvalidOperationException($"SO_MARK: {SystemError.Describe(Native.Errno)}");
        // Bound outside the local port range: left to autobind, the marker would take an ephemeral port a case counts on.
        var port = (ushort)(host.LocalPortHigh < 65531 || host.LocalPortLow > 65531 ? 65531 : host.LocalPortLow - 1);
        var sockaddr = new byte[16];
        sockaddr[0] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(sockaddr.AsSpan(2), port);
        fixed (byte* a = sockaddr)
            if (Native.bind(markerSocket, (nint)a, 16) != 0) throw new InvalidOperationException($"marker bind: {SystemError.Describe(Native.Errno)}");
        Capture(); // anything the configuration itself caused is not the first operation's
    }

    /// <summary>The marker's route out of a link: a default route in the marker table, metric the link's index.</summary>
    private RouteSpec MarkerRoute(Interface link) =>
        new(RtNetlink.AfInet, new byte[4], 0, RtNetlink.RtnUnicast, MarkerTable, RtNetlink.ScopeLink, tuns[link.Name].Index, link.Name, Metric: (uint)link.Index);

    /// <summary>The ifindex of one of the sandbox's links; 0 for another name, which rtnetlink then looks up by
    /// name (and refuses with ENODEV when there is none).</summary>
    private int LinkIndex(string name) => tuns.TryGetValue(name, out var link) ? link.Index : 0;

    /// <summary>A HostChangeOp: the link's MTU, or up or down. Bringing a link back up re-adds its marker route and
    /// the case's routes over it (the kernel dropped them when it went down), replacing any the kernel kept: the
    /// host description stays what the case says.</summary>
    public void Change(string link, int? mtu, bool? up)
    {
        var sandboxLink = host.InterfaceByName(link);
        rtnetlink!.Request(RtNetlink.SetLink(LinkIndex(link), link, mtu, up: up));
        if (up == true && sandboxLink is not null)
        {
            rtnetlink.Request(RtNetlink.NewRoute(MarkerRoute(sandboxLink), RouteVerb.Replace));
            foreach (var r in host.Routes.Where(r => r.Device == link))
                rtnetlink.Request(RtNetlink.NewRoute(RouteSpec.From(r, LinkIndex), RouteVerb.Replace));
        }
        if (up == true) down.Remove(link);
        if (up == false) down.Add(link);
    }

    private static void WriteSysctl(string key, string value, bool optional = false)
    {
        var path = "/proc/sys/" + key;
        if (optional && !File.Exists(path)) return;
        File.WriteAllText(path, value);
    }

    private unsafe int IfIndex(string name)
    {
        var s = Native.socket(2, 2 | Native.OCloexec, 0);
        try
        {
            var ifr = Native.IfReq(name, 0);
            fixed (byte* p = ifr)
                if (Native.ioctl(s, Native.SiocGifIndex, p) != 0) throw new InvalidOperationException($"SIOCGIFINDEX {name}: {SystemError.Describe(Native.Errno)}");
            return BitConverter.ToInt32(ifr, 16);
        }
        finally { Native.close(s); }
    }

    /// <summary>The SNMP counters of this namespace (/proc/thread-self: /proc/self/net would show the namespace of
    /// the process's main thread).</summary>
    public static Reference.CounterDelta ReadCounters() => Parse(File.ReadAllText("/proc/thread-self/net/snmp"));

    private FileStream? snmp;
    private readonly byte[] snmpBuffer = new byte[16384];

    /// <summary>The counters of this sandbox's namespace, read through one descriptor opened on the case thread and
    /// read again from offset 0 each time (a /proc seq file regenerates): twice per step, so it must be cheap.</summary>
    public Reference.CounterDelta Counters()
    {
        snmp ??= new FileStream("/proc/thread-self/net/snmp", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        snmp.Seek(0, SeekOrigin.Begin);
        int length = 0, read;
        while (length < snmpBuffer.Length && (read = snmp.Read(snmpBuffer, length, snmpBuffer.Length - length)) > 0) length += read;
        return Parse(System.Text.Encoding.ASCII.GetString(snmpBuffer, 0, length));
    }

    private static Reference.CounterDelta Parse(string text)
    {
        var lines = text.Split('\n');
        long Get(string group, string name)
        {
            var prefix = group + ":";
            var header = Array.FindIndex(lines, l => l.StartsWith(prefix, StringComparison.Ordinal));
            var names = lines[header].Split(' ');
            return long.Parse(lines[header + 1].Split(' ')[Array.IndexOf(names, name)]);
        }
        return new((int)Get("Udp", "OutDatagrams"), (int)Get("Ip", "OutDiscards"), (int)Get("Udp", "SndbufErrors"), (int)Get("Ip", "OutNoRoutes"));
    }

    /// <summary>
    /// Everything the kernel wrote to the links since the last capture. A marker datagram goes out of every link
    /// that is up and not queue-full after the work; the links are read until their marker comes back, so "nothing
    /// was sent" needs no sleep. Markers are dropped from the result; so are IGMP reports, which the kernel sends on its own.
    /// </summary>
    public unsafe List<ObservedPacket> Capture(int timeoutMs = 5000)
    {
        var packets = new List<ObservedPacket>();
        var buffer = new byte[70000];
        foreach (var (name, (fd, index)) in tuns)
        {
            var payload = HasMarker(name) ? SendMarker(index) : null;
            var deadline = Environment.TickCount64 + timeoutMs;
            while (true)
            {
                nint n;
                fixed (byte* p = buffer) n = Native.read(fd, p, (nuint)buffer.Length);
                if (n > 0)
                {
                    VirtioNetHeader? offload = null;
                    var start = 0;
                    if (vnet.Contains(name))
                    {
                        if (n < Native.VnetHdrSize) throw new InvalidOperationException($"read {name}: {n} bytes, shorter than a virtio-net header");
                        offload = VirtioNetHeader.Read(buffer.AsSpan(0, Native.VnetHdrSize));
                        start = Native.VnetHdrSize;
                    }
                    var bytes = buffer.AsSpan(start, (int)n - start).ToArray();
                    if (payload is not null && IsMarker(bytes, payload)) break;
                    if (bytes.Length >= 20 && bytes[0] >> 4 == 4 && bytes[9] == 2) continue; // IGMP
                    if (IsListenerReport(bytes)) continue;
                    packets.Add(new ObservedPacket(name, bytes, offload));
                    continue;
                }
                if (n < 0 && Native.Errno != Native.EAgain) throw new InvalidOperationException($"read {name}: {SystemError.Describe(Native.Errno)}");
                if (payload is null) break; // a down or queue-full link: what it queued is already readable
                var left = deadline - Environment.TickCount64;
                if (left <= 0) throw new TimeoutException($"the marker on {name} did not come back within {timeoutMs} ms");
                var pfd = new Native.PollFd { Fd = fd, Events = Native.PollIn };
                Native.poll(&pfd, 1, (int)left);
            }
        }
        return packets;
    }

    /// <summary>A marker can go out of the link and come back: it is up, and its queue is not the one that drops all.</summary>
    private bool HasMarker(string name) => !down.Contains(name) && !silent.Contains(name);

    private unsafe byte[] SendMarker(int ifindex)
    {
        var payload = Encoding.ASCII.GetBytes($"udpconf-marker-{Environment.ProcessId}-{++markerCount}");
        var address = new byte[16];
        address[0] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(address.AsSpan(2), MarkerPort);
        MarkerAddress.Write(address.AsSpan(4));
        var control = new byte[32]; // cmsghdr (16) + in_pktinfo (12), padded
        BitConverter.GetBytes(28L).CopyTo(control, 0);
        BitConverter.GetBytes(0).CopyTo(control, 8);  // IPPROTO_IP
        BitConverter.GetBytes(8).CopyTo(control, 12); // IP_PKTINFO
        BitConverter.GetBytes(ifindex).CopyTo(control, 16);
        fixed (byte* a = address) fixed (byte* c = control) fixed (byte* d = payload)
        {
            var iov = stackalloc long[2] { (long)d, payload.Length };
            var msg = stackalloc long[7] { (long)a, 16, (long)iov, 1, (long)c, 32, 0 };
            if (Native.sendmsg(markerSocket, (nint)msg, 0) < 0)
                throw new InvalidOperationException($"marker sendmsg on ifindex {ifindex}: {SystemError.Describe(Native.Errno)}");
        }
        return payload;
    }

    /// <summary>An ICMPv6 multicast listener report or done (MLD, types 131, 132, 143), right after the IPv6
    /// header or its hop-by-hop options (router alert), as the kernel sends when IPv6 joins groups.</summary>
    private static bool IsListenerReport(byte[] packet)
    {
        if (packet.Length < 48 || packet[0] >> 4 != 6) return false;
        var next = packet[6];
        var offset = 40;
        if (next == 0) { next = packet[offset]; offset += (packet[offset + 1] + 1) * 8; } // hop-by-hop
        return next == 58 && offset < packet.Length && packet[offset] is 131 or 132 or 143;
    }

    private static bool IsMarker(byte[] packet, byte[] payload)
    {
        if (packet.Length < 28 || packet[0] >> 4 != 4 || packet[9] != 17) return false;
        var ihl = (packet[0] & 15) * 4;
        return Ipv4Address.Read(packet.AsSpan(16)) == MarkerAddress &&
               BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(ihl + 2)) == MarkerPort &&
               packet.AsSpan(ihl + 8).SequenceEqual(payload);
    }

    public void Dispose()
    {
        snmp?.Dispose();
        rtnetlink?.Dispose();
        if (markerSocket >= 0) Native.close(markerSocket);
        foreach (var (fd, _) in tuns.Values) Native.close(fd);
        tuns.Clear();
    }
}
