using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Tests.Model;

/// <summary>Switches of the linux profile that a run on the live kernel (6.18) settled where the kernel differs
/// from the documented 2.6 behavior; each case that showed it is named.</summary>
public class MeasuredLinuxTests
{
    [Fact]
    [Trait("clause", "udp_sendmsg.route")]
    public void A_pktinfo_source_the_host_does_not_own_is_EINVAL_in_spec_and_ENETUNREACH_now()
    {
        // Shown by udp_sendmsg/cmsg_pktinfo and order/route_before_broadcast.
        foreach (var (profile, errno) in new[] { (Profile.Spec, Errno.EINVAL), (Profile.Linux, Errno.ENETUNREACH) })
        {
            var sim = Sim.WithSocket(profile);
            var control = ControlMessages.Encode((SocketOption.SolIp, SocketOption.IpPktInfo, ControlMessages.PktInfo(0, Sim.Remote)));
            Expect.Error(sim.SendMsg("s", Sim.Remote, [UserBuffer.Pattern(10)], control), errno, ClauseId.Route);
        }
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.source_route")]
    [Trait("clause", "udp_push.checksum")]
    public void Under_a_source_route_the_pseudo_header_holds_the_final_destination_in_spec_and_the_first_hop_now()
    {
        // Shown by udp_sendmsg/source_route and udp_sendmsg/onlink_strict_route.
        byte[] lsrr = [131, 7, 4, 192, 0, 2, 7, 1];
        foreach (var profile in Profile.All)
        {
            var sim = Sim.WithSocket(profile);
            Expect.Value(sim.Run(new SetSockOptOp(Fd.Named("s"), SocketOption.SolIp, SocketOption.IpOptions, UserBuffer.Of(lsrr), lsrr.Length)), 0);
            var packet = Assert.Single(sim.Packets(sim.SendTo("s", 10, Sim.Remote)));
            var ip = Sim.Ip(packet);
            Assert.Equal(Ipv4Address.Parse("192.0.2.7"), ip.Destination);
            var pseudoDestination = profile == Profile.Spec ? Sim.Remote : ip.Destination;
            var sum = InternetChecksum.Sum(packet.AsSpan(ip.HeaderLength), InternetChecksum.PseudoHeaderSum(ip.Source, pseudoDestination, 17, 18));
            Assert.Equal(0xFFFF, InternetChecksum.Fold(sum));
        }
    }

    [Fact]
    [Trait("clause", "ip4_datagram_connect.connect")]
    public void An_unroutable_connect_counts_OutNoRoutes_now_and_not_in_spec()
    {
        // Shown by socket/connect_refused.
        foreach (var (profile, count) in new[] { (Profile.Spec, 0), (Profile.Linux, 1) })
        {
            var sim = Sim.WithSocket(profile, Sim.OnLinkOnly());
            var outcome = sim.Connect("s", Sim.Unroutable, 53);
            Expect.Error(outcome, Errno.ENETUNREACH, ClauseId.Connect);
            Assert.Equal(count, outcome.Counters.OutNoRoutes);
        }
    }

    [Fact]
    [Trait("clause", "getsockopt.option")]
    public void An_unknown_SOL_IP_getsockopt_is_ENOPROTOOPT_in_spec_and_EOPNOTSUPP_now()
    {
        // Shown by socket/sockopt_unknown; other levels stay ENOPROTOOPT.
        foreach (var (profile, errno) in new[] { (Profile.Spec, Errno.ENOPROTOOPT), (Profile.Linux, Errno.EOPNOTSUPP) })
        {
            var sim = Sim.WithSocket(profile);
            Expect.Error(sim.Run(new GetSockOptOp(Fd.Named("s"), SocketOption.SolIp, 200, 4)), errno, ClauseId.GetSockOpt);
            Expect.Error(sim.Run(new GetSockOptOp(Fd.Named("s"), SocketOption.SolUdp, 200, 4)), Errno.ENOPROTOOPT, ClauseId.GetSockOpt);
        }
    }
}
