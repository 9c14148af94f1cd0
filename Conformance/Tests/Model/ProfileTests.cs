using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;

namespace Udpconf.Tests.Model;

/// <summary>Switches of the linux profile that a run on the live kernel (6.18) settled where the kernel differs
/// from the documented 2.6 behavior; each case that showed it is named.</summary>
public class ProfileTests
{
    [Theory]
    [InlineData("6.1.0-57-amd64", "linux-6.1")]
    [InlineData("6.12.118+deb12-amd64", "linux-6.12")]
    [InlineData("6.18.44-fc-v1272", "linux")]
    [InlineData("6.6.1", "linux")]
    [InlineData("unknown", "linux")]
    public void A_kernel_release_names_its_line_or_else_linux(string release, string profile)
    {
        Assert.Equal(profile, Profile.ForRelease(release).Name);
    }

    [Fact]
    public void The_spec_profile_is_verified_against_the_clause_catalog_of_this_repository()
    {
        var root = Udpconf.Suite.SpecMap.FindRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");
        Assert.Equal("Reference/clauses.md", Profile.Spec.VerifiedAgainst);
        Assert.True(File.Exists(Path.Combine(root, Profile.Spec.VerifiedAgainst!)));
    }

    [Fact]
    public void A_profile_is_verified_when_it_names_what_it_was_verified_against_and_a_switch_copy_changes_one_switch()
    {
        Assert.True(Profile.Linux.IsVerified);
        Assert.False((Profile.Linux with { VerifiedAgainst = null }).IsVerified);
        var @switch = Profile.Switches.Single(p => p.Name == nameof(Profile.PlainOptions));
        var flipped = Profile.Linux.With(@switch, false);
        Assert.False(flipped.PlainOptions);
        Assert.True(Profile.Linux.PlainOptions);
        Assert.Single(Profile.Switches, p => !Equals(p.GetValue(flipped), p.GetValue(Profile.Linux)));
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.route")]
    public void A_pktinfo_source_the_host_does_not_own_is_EINVAL_in_spec_and_ENETUNREACH_now()
    {
        // Shown by udp_sendmsg/cmsg_pktinfo and order/route_before_broadcast.
        foreach (var (profile, errno) in new[] { (Profile.Spec, Errno.EINVAL), (Profile.Linux, Errno.ENETUNREACH) })
        {
            var sim = Sim.WithSocket(profile);
            var control = ControlMessages.Encode((SocketOption.SolIp, SocketOption.IpPktInfo, ControlMessages.PktInfo(0, Hosts.Remote)));
            Expect.Error(sim.SendMsg("s", Hosts.Remote, [UserBuffer.Pattern(10)], control), errno, ClauseId.Route);
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
            var packet = Assert.Single(sim.Packets(sim.SendTo("s", 10, Hosts.Remote)));
            var ip = Sim.Ip(packet);
            Assert.Equal(Ipv4Address.Parse("192.0.2.7"), ip.Destination);
            var pseudoDestination = profile == Profile.Spec ? Hosts.Remote : ip.Destination;
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
            var sim = Sim.WithSocket(profile, Hosts.OnLinkOnly());
            var outcome = sim.Connect("s", Hosts.Unroutable, 53);
            Expect.Error(outcome, Errno.ENETUNREACH, ClauseId.Connect);
            Assert.Equal(count, outcome.Counters.OutNoRoutes);
        }
    }

    [Fact]
    [Trait("clause", "getsockopt.option")]
    public void The_multicast_routing_option_numbers_answer_by_build_and_other_unknown_SOL_IP_options_are_ENOPROTOOPT()
    {
        // Shown by socket/sockopt_unknown: 200..212 are MRT_INIT..MRT_FLUSH. EOPNOTSUPP where the kernel has multicast
        // routing, ENOPROTOOPT (named as the alternative) where it has not; 199, 213 and other levels: ENOPROTOOPT.
        foreach (var profile in Profile.All)
        {
            var sim = Sim.WithSocket(profile);
            foreach (var optName in new[] { 200, 206, 212 })
            {
                var get = sim.Run(new GetSockOptOp(Fd.Named("s"), SocketOption.SolIp, optName, 4));
                var set = sim.Run(new SetSockOptOp(Fd.Named("s"), SocketOption.SolIp, optName, UserBuffer.Of(new byte[4]), 4));
                var errno = profile == Profile.Spec ? Errno.ENOPROTOOPT : Errno.EOPNOTSUPP;
                Expect.Error(get, errno, ClauseId.GetSockOpt);
                Expect.Error(set, errno, ClauseId.SetSockOpt);
                foreach (var outcome in new[] { get, set })
                {
                    if (profile == Profile.Spec) { Assert.Empty(outcome.Alternatives); continue; }
                    var alternative = Assert.Single(outcome.Alternatives);
                    Assert.Equal(Errno.ENOPROTOOPT, alternative.Error);
                    Assert.Contains("CONFIG_IP_MROUTE", alternative.DependsOn);
                }
            }
            foreach (var optName in new[] { 150, 199, 213, 255 })
            {
                var get = sim.Run(new GetSockOptOp(Fd.Named("s"), SocketOption.SolIp, optName, 4));
                Expect.Error(get, Errno.ENOPROTOOPT, ClauseId.GetSockOpt);
                Assert.Empty(get.Alternatives);
                Expect.Error(sim.Run(new SetSockOptOp(Fd.Named("s"), SocketOption.SolIp, optName, UserBuffer.Of(new byte[4]), 4)), Errno.ENOPROTOOPT, ClauseId.SetSockOpt);
            }
            Expect.Error(sim.Run(new GetSockOptOp(Fd.Named("s"), SocketOption.SolUdp, 200, 4)), Errno.ENOPROTOOPT, ClauseId.GetSockOpt);
        }
    }
}
