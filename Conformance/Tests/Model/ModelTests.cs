using Udpconf.Reference;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Tests.Model;

public class ModelTests
{
    [Fact]
    public void A_plain_sendto_emits_one_datagram_with_correct_headers()
    {
        var sim = Sim.Spec();
        Expect.Value(sim.Socket(), 3);
        var outcome = sim.SendTo("s", 100, Hosts.Remote, 9);
        Expect.Value(outcome, 100, ClauseId.UdpResult);
        var packet = Assert.Single(sim.Packets(outcome));
        var ip = Sim.Ip(packet);
        Assert.Equal(128, ip.TotalLength);
        Assert.Equal(Hosts.Local, ip.Source);
        Assert.Equal(Hosts.Remote, ip.Destination);
        Assert.Equal(64, ip.Ttl);
        Assert.True(ip.DontFragment);
        Assert.Equal(ip.ComputeChecksum(), ip.HeaderChecksum);
        var udp = Sim.Udp(packet);
        Assert.Equal(108, udp.DatagramLength);
        Assert.Equal(9, udp.DestinationPort);
        var expected = UdpHeader.ComputeChecksum(ip.Source, ip.Destination, udp.DatagramLength, udp with { Checksum = 0 }, packet.AsSpan(28));
        Assert.Equal(expected, udp.Checksum);
    }
}
