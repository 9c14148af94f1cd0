using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;

namespace Udpconf.Tests.Model.Udp;

/// <summary>How a corked or uncorked send ends: the push (L652-653), the result and its counting (L656-664), and
/// UDP_CORK 0 (L1235-1240).</summary>
public class UdpSendMsgResultTests
{
    [Fact]
    [Trait("clause", "udp_sendmsg.push_uncorked")]
    public void An_uncorked_send_transmits_at_once_and_a_corked_one_does_not()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var corked = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.More);
        Expect.NotPassed(corked, ClauseId.PushUncorked);
        Assert.Empty(corked.Datagrams);
        var plain = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Passed(plain, ClauseId.PushUncorked);
        Assert.Single(plain.Datagrams);
        var again = sim.SendTo("s", 10, Hosts.Remote);
        Expect.Passed(again, ClauseId.PushUncorked);
        Assert.Equal(18, Sim.Udp(Assert.Single(sim.Packets(again))).DatagramLength);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.result")]
    public void Spec_returns_the_user_length_and_counts_an_out_datagram_per_call()
    {
        var sim = Sim.Spec();
        sim.Socket();
        var plain = sim.SendTo("s", 100, Hosts.Remote);
        Expect.Value(plain, 100, ClauseId.UdpResult); // L662: len, not ulen
        Assert.Equal(new CounterDelta(1, 0, 0, 0), plain.Counters);

        // L660-661 runs for every successful call: corked pieces and probes count too.
        for (var i = 0; i < 3; i++)
        {
            var corked = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.More);
            Expect.Value(corked, 10, ClauseId.UdpResult);
            Assert.Equal(new CounterDelta(1, 0, 0, 0), corked.Counters);
        }
        var last = sim.SendTo("s", 10, Hosts.Remote);
        Assert.Equal(new CounterDelta(1, 0, 0, 0), last.Counters);
        Assert.Single(last.Datagrams);
        var probe = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Probe);
        Expect.Value(probe, 10, ClauseId.UdpResult);
        Assert.Equal(new CounterDelta(1, 0, 0, 0), probe.Counters);
        Assert.Empty(probe.Datagrams);

        sim.Cork("s", true);
        sim.SendTo("s", 10, Hosts.Remote);
        var uncork = sim.Cork("s", false);
        Assert.Single(uncork.Datagrams);
        Assert.True(uncork.Counters.IsZero); // setsockopt is not udp_sendmsg
        Assert.Equal(new CounterDelta(7, 0, 0, 0), sim.Model.Counters);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.result")]
    public void Linux_counts_an_out_datagram_per_datagram_sent()
    {
        // Profile.Linux.OutDatagramsPerCall = false.
        var sim = Sim.Linux();
        sim.Socket();
        var plain = sim.SendTo("s", 100, Hosts.Remote);
        Expect.Value(plain, 100, ClauseId.UdpResult);
        Assert.Equal(new CounterDelta(1, 0, 0, 0), plain.Counters);
        for (var i = 0; i < 3; i++)
        {
            var corked = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.More);
            Expect.Value(corked, 10, ClauseId.UdpResult);
            Assert.True(corked.Counters.IsZero);
        }
        Assert.Equal(new CounterDelta(1, 0, 0, 0), sim.SendTo("s", 10, Hosts.Remote).Counters);
        var probe = sim.SendTo("s", 10, Hosts.Remote, flags: MsgFlags.Probe);
        Expect.Value(probe, 10);
        Assert.True(probe.Counters.IsZero);

        sim.Cork("s", true);
        Assert.True(sim.SendTo("s", 10, Hosts.Remote).Counters.IsZero);
        var uncork = sim.Cork("s", false);
        Assert.Single(uncork.Datagrams);
        Assert.Equal(new CounterDelta(1, 0, 0, 0), uncork.Counters);
        Assert.Equal(new CounterDelta(3, 0, 0, 0), sim.Model.Counters);
    }

    [Theory]
    [InlineData("spec")]
    [InlineData("linux")]
    [Trait("clause", "udp_setsockopt.cork_off_push")]
    public void Uncorking_pushes_and_returns_0_even_when_the_push_fails(string profile)
    {
        var sim = new Sim(Profile.Find(profile)!, Hosts.OnLink(drops: [new OutputDropRule(Hosts.Remote, 32)]));
        sim.Socket();
        sim.Cork("s", true);
        sim.SendTo("s", 10, Hosts.Remote);
        // L1235-1240: the push's error (EPERM from the drop, L1267-1273) is not returned.
        var off = sim.Cork("s", false);
        Expect.Value(off, 0, ClauseId.CorkOffPush);
        Expect.Passed(off, ClauseId.Netfilter);
        Assert.Empty(off.Datagrams);
        Assert.Equal(new CounterDelta(0, 1, 0, 0), off.Counters);
        Expect.Value(sim.Run(new GetSockOptOp(Fd.Named("s"), SocketOption.SolUdp, SocketOption.UdpCork, 4)), 4);

        // With the path open, the same sequence transmits.
        sim.Cork("s", true);
        sim.SendTo("s", 10, Hosts.OnLinkPeer);
        var sent = sim.Cork("s", false);
        Expect.Value(sent, 0, ClauseId.CorkOffPush);
        Assert.Equal(Hosts.OnLinkPeer, Sim.Ip(Assert.Single(sim.Packets(sent))).Destination);
    }
}
