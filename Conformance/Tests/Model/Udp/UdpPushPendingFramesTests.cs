using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Tests.Model.Udp;

/// <summary>udp_push_pending_frames: the UDP header and checksum (pp. 39-43, L402-475).</summary>
public class UdpPushPendingFramesTests
{
    [Fact]
    [Trait("clause", "udp_push.empty")]
    [Trait("clause", "udp_setsockopt.cork_off_push")]
    public void Uncorking_with_nothing_pending_sends_nothing()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var off = sim.Cork("s", false);
        Expect.Value(off, 0, ClauseId.CorkOffPush);
        Expect.Passed(off, ClauseId.PushEmpty);
        Assert.Empty(off.Datagrams);
        Assert.True(off.Counters.IsZero);
    }

    [Fact]
    [Trait("clause", "udp_push.empty")]
    [Trait("clause", "udp_sendmsg.probe_more_pending")]
    public void Spec_an_empty_push_resets_the_pending_mark_a_probe_with_more_left()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Probe | MsgFlags.More), 10);
        // L410-412 then L471-474: queue empty, but len and pending are still reset.
        var off = sim.Cork("s", false);
        Expect.Passed(off, ClauseId.PushEmpty);
        Assert.Empty(off.Datagrams);
        // So the next send sets a datagram up afresh instead of faulting, and its length does not count the probe.
        var next = sim.Send("s", Frames.Bytes(5, 1));
        Expect.Value(next, 5, ClauseId.UdpResult);
        Expect.Passed(next, ClauseId.CorkSetup);
        Assert.Equal(13, Sim.Udp(Assert.Single(sim.Packets(next))).DatagramLength);
    }

    [Fact]
    [Trait("clause", "udp_push.header")]
    public void The_header_carries_the_corks_ports_and_the_accumulated_length()
    {
        var sim = Sim.Spec();
        sim.Socket();
        sim.Bind("s", Ipv4Address.Any, 4000);
        var data = Frames.Bytes(50, 3);
        var outcome = sim.Send("s", data, port: 5353);
        Expect.Passed(outcome, ClauseId.UdpHeader);
        var packet = Assert.Single(sim.Packets(outcome));
        // L418-420, in network order right after the 20-byte IP header.
        Assert.Equal(new byte[] { 0x0F, 0xA0, 0x14, 0xE9, 0x00, 58 }, packet[20..26]);
        Assert.Equal(data, packet[28..]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [Trait("clause", "udp_push.no_check")]
    public void So_no_check_sends_a_zero_checksum(bool corked)
    {
        var sim = Sim.Spec(Hosts.OnLink(offload: true));
        sim.Socket();
        Expect.Value(sim.SetInt("s", SocketOption.SolSocket, SocketOption.SoNoCheck, 1), 0);
        if (corked) sim.SendTo("s", 3000, Hosts.Remote, flags: MsgFlags.More);
        var outcome = sim.SendTo("s", 101, Hosts.Remote);
        Expect.Passed(outcome, ClauseId.NoCheck);
        var packets = sim.Packets(outcome);
        // L423-426: uh->check stays 0, for one buffer or several, offload or not.
        Assert.Equal(0, Sim.Udp(packets[0]).Checksum);
        Assert.Equal(new byte[] { 0, 0 }, packets[0][26..28]);
    }

    [Fact]
    [Trait("clause", "udp_push.checksum")]
    [Trait("clause", "ip_generic_getfrag.checksum")]
    public void Odd_length_pieces_across_msg_more_sends_give_the_bytes_of_one_send()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var data = Frames.Bytes(3 + 5 + 7 + 1 + 9, 11);
        var offset = 0;
        Outcome last = null!;
        foreach (var size in new[] { 3, 5, 7, 1, 9 })
        {
            last = sim.Send("s", data[offset..(offset + size)], offset + size < data.Length ? MsgFlags.More : MsgFlags.None);
            offset += size;
        }
        Expect.Passed(last, ClauseId.Checksum);
        var pieced = Assert.Single(sim.Packets(last));
        var whole = Assert.Single(sim.Packets(sim.Send("s", data)));
        Assert.Equal(whole, pieced);

        // L437-440: pseudo-header, header and data, checked here without the model's checksum code.
        var ip = Sim.Ip(pieced);
        Assert.Equal(Frames.UdpChecksum(ip.Source, ip.Destination, 8 + data.Length, Frames.IpPayload(pieced)), Sim.Udp(pieced).Checksum);
        Assert.Equal(UdpHeader.ComputeChecksum(ip.Source, ip.Destination, 33, Sim.Udp(pieced) with { Checksum = 0 }, data), Sim.Udp(pieced).Checksum);
    }

    [Fact]
    [Trait("clause", "udp_push.checksum")]
    public void A_fragmented_datagrams_checksum_covers_every_buffer()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var data = Frames.Bytes(4001, 12);
        sim.Send("s", data[..1333], MsgFlags.More);
        var last = sim.Send("s", data[1333..]);
        var packets = sim.Packets(last);
        Assert.Equal(3, packets.Count);
        // L444-467: the sums of all buffers on the queue are added up.
        var transport = Frames.Reassemble(packets);
        var ip = Sim.Ip(packets[0]);
        Assert.Equal(data, transport[8..]);
        Assert.Equal(Frames.UdpChecksum(ip.Source, ip.Destination, 4009, transport), Sim.Udp(packets[0]).Checksum);
    }

    [Fact]
    [Trait("clause", "udp_push.checksum_zero")]
    public void A_checksum_that_computes_to_zero_is_sent_as_ffff()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.Bind("s", Ipv4Address.Any, 4000), 0);
        // Search the 2-byte payload whose checksum computes to 0: ports 4000 -> 9, UDP length 10, 192.0.2.1 -> remote.
        int? found = null;
        for (var v = 0; v <= 0xFFFF && found is null; v++)
        {
            byte[] transport = [0x0F, 0xA0, 0, 9, 0, 10, 0, 0, (byte)(v >> 8), (byte)v];
            if (Frames.RawUdpChecksum(Hosts.Local, Hosts.Remote, 10, transport) == 0) found = v;
        }
        Assert.NotNull(found);
        var outcome = sim.Send("s", [(byte)(found.Value >> 8), (byte)found.Value]);
        Expect.Passed(outcome, ClauseId.ChecksumZero);
        var packet = Assert.Single(sim.Packets(outcome));
        Assert.Equal(4000, Sim.Udp(packet).SourcePort);
        // L441-442: 0 would mean "no checksum", so 0xFFFF (-1) goes out.
        Assert.Equal(0xFFFF, Sim.Udp(packet).Checksum);
        Assert.Equal(new byte[] { 0xFF, 0xFF }, packet[26..28]);
    }

    [Fact]
    [Trait("clause", "udp_push.checksum_offload")]
    [Trait("clause", "ip_append_data.hw_checksum")]
    public void With_offload_a_single_buffer_carries_the_folded_pseudo_header_sum()
    {
        var sim = Sim.Spec(Hosts.OnLink(offload: true));
        sim.Socket();
        var outcome = sim.SendTo("s", 100, Hosts.Remote);
        Expect.Passed(outcome, ClauseId.HwChecksum);
        Expect.Passed(outcome, ClauseId.ChecksumOffload);
        var packet = Assert.Single(sim.Packets(outcome));
        // L432-435: ~csum_tcpudp_magic(..., 0) is the folded pseudo-header sum, not complemented; the data is left out.
        Assert.Equal(Frames.PseudoHeaderSum(Hosts.Local, Hosts.Remote, 108), Sim.Udp(packet).Checksum);
    }

    [Fact]
    [Trait("clause", "udp_push.checksum_offload")]
    public void With_offload_corked_pieces_in_one_buffer_still_leave_the_sum_to_the_device()
    {
        var sim = Sim.Spec(Hosts.OnLink(offload: true));
        sim.Socket();
        sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.More);
        var outcome = sim.SendTo("s", 200, Hosts.Remote);
        // L428: one skb on the queue, marked CHECKSUM_HW by its first piece (L842-846).
        Expect.Passed(outcome, ClauseId.ChecksumOffload);
        var packet = Assert.Single(sim.Packets(outcome));
        Assert.Equal(Frames.PseudoHeaderSum(Hosts.Local, Hosts.Remote, 308), Sim.Udp(packet).Checksum);
    }

    [Fact]
    [Trait("clause", "udp_push.checksum_offload")]
    [Trait("clause", "udp_push.checksum")]
    public void With_offload_a_datagram_over_several_buffers_gets_the_full_checksum()
    {
        var sim = Sim.Spec(Hosts.OnLink(offload: true));
        sim.Socket();
        var data = Frames.Bytes(2100, 13);
        var first = sim.Send("s", data[..100], MsgFlags.More);
        Expect.Passed(first, ClauseId.HwChecksum);
        var last = sim.Send("s", data[100..]);
        // L444-467: two or more skbs: the first is summed in software and offload is dropped.
        Expect.NotPassed(last, ClauseId.ChecksumOffload);
        Expect.Passed(last, ClauseId.Checksum);
        var packets = sim.Packets(last);
        Assert.Equal(2, packets.Count);
        var transport = Frames.Reassemble(packets);
        Assert.Equal(Frames.UdpChecksum(Hosts.Local, Hosts.Remote, 2108, transport), Sim.Udp(packets[0]).Checksum);
    }

    [Fact]
    [Trait("clause", "udp_push.reset")]
    public void After_a_push_the_next_datagram_starts_afresh()
    {
        var sim = Sim.Spec();
        sim.Socket();
        sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.More);
        var first = sim.SendTo("s", 100, Hosts.Remote);
        Expect.Passed(first, ClauseId.PushReset);
        Assert.Equal(208, Sim.Udp(Assert.Single(sim.Packets(first))).DatagramLength);

        // L472-473: len = 0 and pending = 0, so the next send is a first piece again: its own destination and a
        // length that does not carry the previous datagram's.
        var again = sim.SendTo("s", 30, Hosts.OnLinkPeer, 77, MsgFlags.More);
        Expect.Passed(again, ClauseId.CorkSetup);
        Expect.NotPassed(again, ClauseId.PendingAppend);
        var second = sim.SendTo("s", 20, Hosts.OnLinkPeer, 77);
        var packet = Assert.Single(sim.Packets(second));
        Assert.Equal(Hosts.OnLinkPeer, Sim.Ip(packet).Destination);
        Assert.Equal(77, Sim.Udp(packet).DestinationPort);
        Assert.Equal(58, Sim.Udp(packet).DatagramLength);
    }

    [Fact]
    [Trait("clause", "udp_push.reset")]
    [Trait("clause", "ip_push.netfilter")]
    public void A_failed_push_still_resets_the_cork()
    {
        var sim = Sim.Spec(Hosts.OnLink(drops: [new OutputDropRule(Hosts.Remote, 32)]));
        sim.Socket();
        sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.More);
        Expect.Error(sim.SendTo("s", 100, Hosts.Remote), Errno.EPERM, ClauseId.Netfilter);
        // L470-474: out: is reached from the error too.
        var next = sim.SendTo("s", 10, Hosts.OnLinkPeer);
        Expect.Passed(next, ClauseId.CorkSetup);
        var packet = Assert.Single(sim.Packets(next));
        Assert.Equal(Hosts.OnLinkPeer, Sim.Ip(packet).Destination);
        Assert.Equal(18, Sim.Udp(packet).DatagramLength);
    }
}

public class HardwareChecksumProfileTests
{
    [Fact]
    [Trait("clause", "ip_append_data.hw_checksum")]
    public void Linux_takes_hardware_checksum_only_for_a_piece_without_MSG_MORE()
    {
        foreach (var (profile, partial) in new[] { (Profile.Spec, true), (Profile.Linux, false) })
        {
            var sim = Sim.WithSocket(profile, Hosts.OnLinkOnly(offload: true));
            Expect.Value(sim.SendTo("s", 100, Hosts.Remote, 9, MsgFlags.More), 100);
            var outcome = sim.SendTo("s", 200, Hosts.Remote, 9);
            var datagram = Assert.Single(outcome.Datagrams);
            Assert.Equal(partial ? Udpconf.Reference.Ip.UdpChecksumMode.PseudoHeaderOnly : Udpconf.Reference.Ip.UdpChecksumMode.Computed, datagram.ChecksumMode);
        }
    }
}
