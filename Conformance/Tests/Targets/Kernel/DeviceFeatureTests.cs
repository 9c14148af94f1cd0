using System.Buffers.Binary;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>Device behaviour the kernel target arranges on a TUN link: checksum offload (IFF_VNET_HDR and
/// TUN_F_CSUM, the virtio-net header stripped and kept) and a full device queue (NET_XMIT_DROP).</summary>
public class DeviceFeatureTests
{
    private static TargetRun Run(string host, string steps)
    {
        var parsed = CaseParser.Parse("inline", "inline", $"clauses: udp_push.checksum_offload\nhost:\n{host}\nsteps:\n{steps}");
        Assert.True(parsed.Case is not null, string.Join("\n", parsed.Diagnostics));
        // Every step's own counters: the tests below read them step by step.
        var run = new KernelTarget(countersEveryStep: true).Run(parsed.Case.Host, parsed.Case.Steps.Select(s => s.Operation).ToArray(), TestContext.Current.CancellationToken);
        Assert.Null(run.Failure);
        return run;
    }

    /// <summary>The one's-complement sum of the IPv4 pseudo-header of <paramref name="packet"/>, folded, not
    /// complemented: what the stack leaves in the UDP checksum field for a device that finishes it.</summary>
    private static ushort PseudoHeaderSum(byte[] packet)
    {
        var ihl = (packet[0] & 15) * 4;
        return Rfc1071.Sum(Rfc1071.PseudoHeader(Ipv4Address.Read(packet.AsSpan(12)), Ipv4Address.Read(packet.AsSpan(16)),
            BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(ihl + 4))));
    }

    private static ushort UdpChecksum(byte[] packet) => BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan((packet[0] & 15) * 4 + 6));

    [Fact]
    public void An_offload_link_hands_out_the_pseudo_header_sum_and_a_NEEDS_CSUM_header()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var run = Run("""
              link tun0 192.0.2.1/24 mtu 1500 offload
              route default via 192.0.2.254 dev tun0
            """, """
              socket s
              bind s 0.0.0.0:4000
              sendto s 100 to 198.51.100.7:9
              sendto s 1473 to 198.51.100.7:9
            """);

        // One buffer that fits the MTU: the device is to finish the checksum from byte 20 (the UDP header), field
        // at offset 6; the field holds the folded pseudo-header sum (0xecb9 for 192.0.2.1 → 198.51.100.7, 108).
        var packet = Assert.Single(run.Observations[2].Packets);
        Assert.Equal(20 + 8 + 100, packet.Bytes.Length); // the virtio-net header is not part of the packet
        Assert.Equal(0x45, packet.Bytes[0]);
        var header = Assert.IsType<VirtioNetHeader>(packet.Offload);
        Assert.True(header.NeedsChecksum);
        Assert.Equal(20, header.CsumStart);
        Assert.Equal(6, header.CsumOffset);
        Assert.Equal(0, header.GsoType);
        Assert.Equal(0xecb9, UdpChecksum(packet.Bytes));
        Assert.Equal(PseudoHeaderSum(packet.Bytes), UdpChecksum(packet.Bytes));

        // Too big for one fragment: software checksum, no NEEDS_CSUM on either fragment.
        var fragments = run.Observations[3].Packets;
        Assert.Equal(2, fragments.Count);
        Assert.All(fragments, f => Assert.False(Assert.IsType<VirtioNetHeader>(f.Offload).NeedsChecksum));
        Assert.Equal(0xb313, UdpChecksum(fragments[0].Bytes));
    }

    [Fact]
    public void A_link_without_offload_has_no_virtio_net_header()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var run = Run("""
              link tun0 192.0.2.1/24 mtu 1500
              link tun1 203.0.113.1/24 mtu 1500 offload
              route default via 192.0.2.254 dev tun0
            """, """
              socket s
              sendto s 10 to 198.51.100.7:9
              sendto s 10 to 203.0.113.7:9
            """);
        var plain = Assert.Single(run.Observations[1].Packets);
        Assert.Equal("tun0", plain.Interface);
        Assert.Null(plain.Offload);
        Assert.Equal(0x45, plain.Bytes[0]);
        var offloaded = Assert.Single(run.Observations[2].Packets);
        Assert.Equal("tun1", offloaded.Interface);
        Assert.True(offloaded.Offload?.NeedsChecksum);
        Assert.Equal(20 + 8 + 10, offloaded.Bytes.Length);
    }

    [Fact]
    public void A_full_queue_drops_silently_and_is_ENOBUFS_with_IP_RECVERR()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var run = Run("""
              link tun0 192.0.2.1/24 mtu 1500 queue-full
              link tun1 203.0.113.1/24 mtu 1500
              route default via 192.0.2.254 dev tun0
            """, """
              socket s
              sendto s 100 to 198.51.100.7:9
              setsockopt s IP_RECVERR 1
              sendto s 100 to 198.51.100.7:9
              sendto s 100 to 203.0.113.7:9
            """);
        // Without IP_RECVERR the drop is a success for the caller, but counted.
        Assert.Equal(100, run.Observations[1].Value);
        Assert.Empty(run.Observations[1].Packets);
        Assert.Equal(new CounterDelta(0, 1, 1, 0), run.Observations[1].Counters);
        // With it the same drop is ENOBUFS.
        Assert.Equal(Errno.ENOBUFS, run.Observations[3].Error);
        Assert.Empty(run.Observations[3].Packets);
        Assert.Equal(new CounterDelta(0, 1, 1, 0), run.Observations[3].Counters);
        // Another link's queue is not full.
        Assert.Equal(100, run.Observations[4].Value);
        Assert.Equal("tun1", Assert.Single(run.Observations[4].Packets).Interface);
        Assert.Equal(1, run.Observations[4].Counters?.OutDatagrams);
    }

    private static byte[] SockaddrIn6(string hex, ushort port)
    {
        var bytes = new byte[28];
        bytes[0] = 10; // AF_INET6, little-endian
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), port);
        Convert.FromHexString(hex).CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void A_case_with_an_IPv6_socket_gets_IPv6_on_its_link_and_nothing_stray()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var host = CaseParser.Parse("inline", "inline", """
            clauses: udp_sendmsg.pending_family
            host:
              link tun0 192.0.2.1/24 mtu 1500
              route default via 192.0.2.254 dev tun0
            steps:
              socket s
            """).Case!.Host;
        var mapped = new byte[28];
        mapped[0] = 10;
        BinaryPrimitives.WriteUInt16BigEndian(mapped.AsSpan(2), 9);
        Convert.FromHexString("00000000000000000000ffffc6336407").CopyTo(mapped, 8); // ::ffff:198.51.100.7
        var run = new KernelTarget().Run(host,
        [
            new SocketOp("s", AddressFamily.Inet6),
            // 2001:db8::7 is on the link's /64: sent at once, out of tun0, as IPv6.
            new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, UserBuffer.Of(SockaddrIn6("20010db8000000000000000000000007", 9)), 28),
            // A corked IPv6 datagram, then a v4-mapped destination while it is pending: EINVAL.
            new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.More, UserBuffer.Of(SockaddrIn6("20010db8000000000000000000000007", 9)), 28),
            new SendToOp(Fd.Named("s"), UserBuffer.Pattern(5), MsgFlags.None, UserBuffer.Of(mapped), 28),
        ], TestContext.Current.CancellationToken);
        Assert.Null(run.Failure);
        Assert.Empty(run.Observations[0].Packets);
        Assert.Equal(10, run.Observations[1].Value);
        var packet = Assert.Single(run.Observations[1].Packets);
        Assert.Equal("tun0", packet.Interface);
        Assert.Equal(6, packet.Bytes[0] >> 4);
        Assert.Equal(17, packet.Bytes[6]);
        Assert.Equal("20010db8000000000000000000000001", Convert.ToHexString(packet.Bytes, 8, 16).ToLowerInvariant());
        Assert.Equal(40 + 8 + 10, packet.Bytes.Length);
        Assert.Equal(10, run.Observations[2].Value);
        Assert.Empty(run.Observations[2].Packets);
        Assert.Equal(Errno.EINVAL, run.Observations[3].Error);
        Assert.Empty(run.Observations[3].Packets);
    }
}
