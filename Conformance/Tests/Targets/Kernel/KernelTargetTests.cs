using System.Buffers.Binary;
using System.Diagnostics;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>The live-kernel target: real sockets in a private network namespace, packets read from a TUN device.
/// These need root and /dev/net/tun (CI has both).</summary>
public class KernelTargetTests
{
    private static void RequireKernel() => Capability.RequireLive(KernelTarget.CanRun(out var why), why);

    private static Ipv4Address Destination => Ipv4Address.Parse("198.51.100.7");

    /// <summary>sendto(s, 10 bytes, 198.51.100.7:port) on the default host, as operations.</summary>
    private static Operation[] SendTen(ushort port) =>
    [
        new SocketOp("s"),
        new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, UserBuffer.Of(SockaddrIn(Destination, port)), 16),
    ];

    internal static byte[] SockaddrIn(Ipv4Address address, ushort port)
    {
        var bytes = new byte[16];
        bytes[0] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), port);
        address.Write(bytes.AsSpan(4));
        return bytes;
    }

    private static bool ChecksumValid(byte[] packet)
    {
        var ihl = (packet[0] & 15) * 4;
        var udp = packet.AsSpan(ihl);
        // The one's-complement sum over the pseudo-header and the whole datagram, checksum field included, is 0xffff.
        var pseudo = new byte[12 + udp.Length];
        packet.AsSpan(12, 8).CopyTo(pseudo);
        pseudo[9] = 17;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)udp.Length);
        udp.CopyTo(pseudo.AsSpan(12));
        uint sum = 0;
        for (var i = 0; i < pseudo.Length; i += 2)
            sum += (uint)(pseudo[i] << 8 | (i + 1 < pseudo.Length ? pseudo[i + 1] : 0));
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        return sum == 0xffff && BinaryPrimitives.ReadUInt16BigEndian(udp[6..]) != 0;
    }

    [Fact]
    public void A_ten_byte_sendto_gives_one_packet_with_a_valid_checksum()
    {
        RequireKernel();
        var run = new KernelTarget().Run(HostConfig.Default, SendTen(9), TestContext.Current.CancellationToken);
        Assert.Null(run.Failure);
        Assert.Equal(2, run.Observations.Count);
        Assert.Empty(run.Observations[0].Packets);
        var send = run.Observations[1];
        Assert.Equal(OutcomeKind.Value, send.Kind);
        Assert.Equal(10, send.Value);
        var packet = Assert.Single(send.Packets);
        Assert.Equal("tun0", packet.Interface);
        Assert.Equal(20 + 8 + 10, packet.Bytes.Length);
        Assert.Equal(17, packet.Bytes[9]);
        Assert.Equal(Destination, Ipv4Address.Read(packet.Bytes.AsSpan(16)));
        Assert.Equal(Ipv4Address.Parse("192.0.2.1"), Ipv4Address.Read(packet.Bytes.AsSpan(12)));
        Assert.Equal(9, BinaryPrimitives.ReadUInt16BigEndian(packet.Bytes.AsSpan(22)));
        Assert.True(ChecksumValid(packet.Bytes), Convert.ToHexString(packet.Bytes));
        Assert.Equal(1, send.Counters?.OutDatagrams);
    }

    /// <summary>Issue 17: a run reads the counters once, after its last step (settled by the markers), the change
    /// covering every step; asked, after every step. The one read is the sum of the many.</summary>
    [Fact]
    public void A_run_reads_the_counters_once_after_its_last_step_unless_asked_for_every_step()
    {
        RequireKernel();
        var send = SendTen(9)[1];
        Operation[] operations = [SendTen(9)[0], send, send, send, send, SendTen(0)[1]];
        var once = new KernelTarget().Run(HostConfig.Default, operations, TestContext.Current.CancellationToken);
        var every = new KernelTarget(countersEveryStep: true).Run(HostConfig.Default, operations, TestContext.Current.CancellationToken);
        Assert.Null(once.Failure);
        Assert.Null(every.Failure);
        Assert.All(once.Observations.Take(5), o => Assert.Null(o.Counters));
        Assert.Equal(6, once.Observations[5].CounterSteps);
        Assert.Equal(new CounterDelta(4, 0, 0, 0), once.Observations[5].Counters);
        Assert.All(every.Observations, o => Assert.Equal(1, o.CounterSteps));
        Assert.Equal([0, 1, 1, 1, 1, 0], every.Observations.Select(o => o.Counters?.OutDatagrams ?? -1));
        // The same results and packets either way.
        Assert.Equal(every.Observations.Select(o => (o.Kind, o.Value, o.Packets.Count)), once.Observations.Select(o => (o.Kind, o.Value, o.Packets.Count)));
    }

    [Fact]
    public void A_send_to_port_zero_is_EINVAL_and_sends_nothing()
    {
        RequireKernel();
        var run = new KernelTarget().Run(HostConfig.Default, SendTen(0), TestContext.Current.CancellationToken);
        var send = run.Observations[1];
        Assert.Equal(Errno.EINVAL, send.Error);
        Assert.Empty(send.Packets);
        Assert.Equal(new CounterDelta(0, 0, 0, 0), send.Counters);
    }

    [Fact]
    public void A_local_EMSGSIZE_under_IP_RECVERR_is_read_back_from_the_error_queue_once()
    {
        RequireKernel();
        var big = new SendToOp(Fd.Named("s"), UserBuffer.Pattern(65508), MsgFlags.None, UserBuffer.Of(SockaddrIn(Destination, 9)), 16);
        Operation[] operations =
        [
            new SocketOp("s"),
            big,
            new SetSockOptOp(Fd.Named("s"), SocketOption.SolIp, SocketOption.IpRecvErr, UserBuffer.Of(BitConverter.GetBytes(1)), 4),
            big,
            SendTen(9)[1],
        ];
        var run = new KernelTarget().Run(HostConfig.Default, operations, TestContext.Current.CancellationToken);
        Assert.Null(run.Failure);
        Assert.Equal(Errno.EMSGSIZE, run.Observations[1].Error);
        Assert.Empty(run.Observations[1].ErrorQueue!);
        Assert.Equal(Errno.EMSGSIZE, run.Observations[3].Error);
        Assert.Equal(new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Local, 1500, Destination, 0), Assert.Single(run.Observations[3].ErrorQueue!));
        // Read once: the entry is gone by the next send.
        Assert.Equal(10, run.Observations[4].Value);
        Assert.Empty(run.Observations[4].ErrorQueue!);
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, Errno.EACCES)]
    public void An_unprivileged_host_cannot_bind_a_port_below_1024(bool privileged, Errno? expected)
    {
        RequireKernel();
        Operation[] operations =
        [
            new SocketOp("s"),
            new BindOp(Fd.Named("s"), UserBuffer.Of(SockaddrIn(Ipv4Address.Parse("0.0.0.0"), 53)), 16),
        ];
        var run = new KernelTarget().Run(HostConfig.Default with { Privileged = privileged }, operations, TestContext.Current.CancellationToken);
        Assert.Null(run.Failure);
        Assert.Equal(expected, run.Observations[1].Error);
    }

    [Fact]
    public void Unreadable_user_memory_faults_where_the_readable_prefix_ends()
    {
        RequireKernel();
        var to = UserBuffer.Of(SockaddrIn(Destination, 9));
        var data = new UserBuffer(new byte[] { 1, 2, 3, 4, 5 }, 10);
        var run = new KernelTarget().Run(HostConfig.Default,
        [
            new SocketOp("s"),
            new SendToOp(Fd.Named("s"), data, MsgFlags.None, to, 16),                                      // data faults after 5 bytes
            new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, UserBuffer.Unreadable(16), 16), // the address faults
            new SendToOp(Fd.Named("s"), new UserBuffer(new byte[] { 1, 2, 3, 4, 5 }, 5), MsgFlags.None, to, 16), // all readable
        ], TestContext.Current.CancellationToken);
        Assert.Equal(Errno.EFAULT, run.Observations[1].Error);
        Assert.Equal(Errno.EFAULT, run.Observations[2].Error);
        Assert.Empty(run.Observations[1].Packets);
        Assert.Equal(5, run.Observations[3].Value);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, Assert.Single(run.Observations[3].Packets).Bytes[28..]);
    }

    [Fact]
    public void Two_runs_at_once_see_only_their_own_packets()
    {
        RequireKernel();
        // Each run sends its own port; a leak from one namespace to the other would show the other's port.
        var runs = Enumerable.Range(0, 4).Select(i => (ushort)(1000 + i)).AsParallel().WithDegreeOfParallelism(4)
            .Select(port => (port, run: new KernelTarget().Run(HostConfig.Default, [.. SendTen(port), .. SendTen(port).Skip(1)])))
            .ToArray();
        foreach (var (port, run) in runs)
        {
            var packets = run.Observations.SelectMany(o => o.Packets).ToArray();
            Assert.Equal(2, packets.Length);
            Assert.All(packets, p => Assert.Equal(port, BinaryPrimitives.ReadUInt16BigEndian(p.Bytes.AsSpan(22))));
        }
    }

    [Fact]
    public void The_sandbox_thread_is_in_a_namespace_of_its_own()
    {
        RequireKernel();
        static string Namespace() => new FileInfo("/proc/thread-self/ns/net").LinkTarget ?? "";
        var outside = Namespace();
        var inside = Sandbox.Run(HostConfig.Default, _ => Namespace());
        Assert.StartsWith("net:[", inside);
        Assert.NotEqual(outside, inside);
        Assert.Equal(outside, Namespace());
    }

    [Fact]
    public void Routes_drops_and_a_second_link_configure()
    {
        RequireKernel();
        var parsed = CaseParser.Parse("inline", "inline", """
            clauses: ip_push.netfilter
            host:
              link tun0 192.0.2.1/24 mtu 1400 also 192.0.2.2/24
              link tun1 203.0.113.1/24 mtu 1500
              route default via 192.0.2.254 dev tun0
              route 198.51.100.0/24 via 203.0.113.254 dev tun1 mtu 1300
              route 203.0.113.128/25 unreachable
              drop to 198.51.100.9/32 port 7
            steps:
              socket s
              sendto s 10 to 198.51.100.7:9
              sendto s 10 to 203.0.113.200:9
              sendto s 10 to 198.51.100.9:7
              sendto s 2000 to 198.51.100.7:9
            """);
        Assert.True(parsed.Case is not null, string.Join("\n", parsed.Diagnostics));
        var run = new KernelTarget().Run(parsed.Case.Host, parsed.Case.Steps.Select(s => s.Operation).ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal("tun1", Assert.Single(run.Observations[1].Packets).Interface);
        Assert.Equal(Errno.EHOSTUNREACH, run.Observations[2].Error);
        Assert.Equal(Errno.EPERM, run.Observations[3].Error);
        Assert.Empty(run.Observations[3].Packets);
        Assert.Equal(2, run.Observations[4].Packets.Count); // the route's MTU of 1300 splits 2028 bytes
    }
}
