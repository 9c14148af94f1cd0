using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Socket;

/// <summary>Multicast membership and options (catalog part 2, multicast.*), as measured on kernel 6.18.44.
/// Hosts.TwoLinks: tun0 (index 2, 192.0.2.1, the default route) and tun1 (index 3, 10.0.0.1).</summary>
public class MulticastMembershipTests
{
    private static readonly byte[] Group = [239, 1, 2, 3];

    private static Sim Linux()
    {
        var sim = Sim.Linux(Hosts.TwoLinks());
        sim.Socket();
        return sim;
    }

    private static Outcome Set(Sim sim, int name, byte[] value, string s = "s") =>
        sim.Run(new SetSockOptOp(Fd.Named(s), SolIp, name, UserBuffer.Of(value), value.Length));

    private static byte[] Mreq(byte[] group, Ipv4Address address) => [.. group, .. Bytes(address)];

    private static byte[] Mreqn(byte[] group, Ipv4Address address, int index) => [.. group, .. Bytes(address), .. BitConverter.GetBytes(index)];

    private static byte[] Bytes(Ipv4Address address)
    {
        var bytes = new byte[4];
        address.Write(bytes);
        return bytes;
    }

    [Fact]
    public void A_join_finds_its_device_by_index_then_address_then_the_groups_route()
    {
        var sim = Linux();
        Expect.Value(Set(sim, IpAddMembership, Mreqn(Group, Ipv4Address.Any, 0)), 0, ClauseId.MulticastJoin);
        Assert.Equal(2, Assert.Single(sim.Model.Sockets.Single().Memberships).Ifindex);
        Expect.Error(Set(sim, IpAddMembership, Mreq(Group, Hosts.Local)), Errno.EADDRINUSE, ClauseId.MulticastJoin);
        Expect.Value(Set(sim, IpAddMembership, Mreq(Group, Hosts.Tun1Address)), 0, ClauseId.MulticastJoin);
        // The index wins over the address: tun0 again.
        Expect.Error(Set(sim, IpAddMembership, Mreqn(Group, Hosts.Tun1Address, 2)), Errno.EADDRINUSE, ClauseId.MulticastJoin);
        Expect.Error(Set(sim, IpAddMembership, Mreq(Group, Hosts.Remote)), Errno.ENODEV, ClauseId.MulticastJoin);
        Expect.Error(Set(sim, IpAddMembership, Mreqn(Group, Ipv4Address.Any, 9)), Errno.ENODEV, ClauseId.MulticastJoin);
        // Bytes past an ip_mreqn are not read.
        Expect.Value(Set(sim, IpAddMembership, [239, 1, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0]), 0, ClauseId.MulticastJoin);
    }

    [Fact]
    public void A_join_wants_eight_bytes_and_a_group_and_at_most_twenty_per_socket()
    {
        var sim = Linux();
        Expect.Error(Set(sim, IpAddMembership, Group), Errno.EINVAL, ClauseId.MulticastJoin);
        Expect.Error(Set(sim, IpAddMembership, Mreq([198, 51, 100, 7], Hosts.Local)), Errno.EINVAL, ClauseId.MulticastJoin);
        for (byte i = 1; i <= 20; i++) Expect.Value(Set(sim, IpAddMembership, Mreq([239, 1, 1, i], Hosts.Local)), 0, ClauseId.MulticastJoin);
        Expect.Error(Set(sim, IpAddMembership, Mreq([239, 1, 1, 21], Hosts.Local)), Errno.ENOBUFS, ClauseId.MulticastJoin);
        Expect.Value(Set(sim, IpDropMembership, Mreq([239, 1, 1, 1], Hosts.Local)), 0, ClauseId.MulticastLeave);
        Expect.Value(Set(sim, IpAddMembership, Mreq([239, 1, 1, 21], Hosts.Local)), 0, ClauseId.MulticastJoin);
    }

    [Fact]
    public void A_leave_resolves_the_device_the_same_way_and_drops_only_that_membership()
    {
        var sim = Linux();
        Set(sim, IpAddMembership, Mreq(Group, Hosts.Local));
        Set(sim, IpAddMembership, Mreq(Group, Hosts.Tun1Address));
        Expect.Error(Set(sim, IpDropMembership, Group), Errno.EINVAL, ClauseId.MulticastLeave);
        Expect.Value(Set(sim, IpDropMembership, Mreq(Group, Ipv4Address.Any)), 0, ClauseId.MulticastLeave);
        Expect.Error(Set(sim, IpDropMembership, Mreq(Group, Ipv4Address.Any)), Errno.EADDRNOTAVAIL, ClauseId.MulticastLeave);
        Expect.Value(Set(sim, IpDropMembership, Mreqn(Group, Ipv4Address.Any, 3)), 0, ClauseId.MulticastLeave);
        Assert.Empty(sim.Model.Sockets.Single().Memberships);
        Expect.Error(Set(sim, IpDropMembership, Mreq([198, 51, 100, 7], Hosts.Local)), Errno.EADDRNOTAVAIL, ClauseId.MulticastLeave);
    }

    [Fact]
    public void Loop_takes_an_int_or_a_byte_and_all_only_zero_or_one()
    {
        var sim = Linux();
        var sock = sim.Model.Sockets.Single();
        Assert.True(sock.MulticastLoop);
        Assert.True(sock.MulticastAll);
        Expect.Value(sim.SetInt("s", SolIp, IpMulticastLoop, 2), 0, ClauseId.MulticastLoop);
        Assert.Equal("01000000", Convert.ToHexString(sim.Run(new GetSockOptOp(Fd.Named("s"), SolIp, IpMulticastLoop, 4)).OptionValue!.Value.Span));
        Expect.Value(Set(sim, IpMulticastLoop, [0]), 0, ClauseId.MulticastLoop);
        Assert.False(sock.MulticastLoop);
        Expect.Error(Set(sim, IpMulticastLoop, []), Errno.EINVAL, ClauseId.MulticastLoop);
        Expect.Error(sim.SetInt("s", SolIp, IpMulticastAll, 2), Errno.EINVAL, ClauseId.MulticastAll);
        Expect.Value(sim.SetInt("s", SolIp, IpMulticastAll, 0), 0, ClauseId.MulticastAll);
        Assert.False(sock.MulticastAll);
        Expect.Value(Set(sim, IpMulticastAll, [1]), 0, ClauseId.MulticastAll);
        Assert.True(sock.MulticastAll);
    }

    [Fact]
    public void A_ttl_zero_datagram_stays_on_the_host_only_when_the_group_is_joined_on_its_device()
    {
        var sim = Linux();
        sim.SetInt("s", SolIp, IpMulticastTtl, 0);
        var group = Ipv4Address.Parse("239.1.2.3");
        var unjoined = sim.SendTo("s", 100, group);
        Expect.Passed(unjoined, ClauseId.MulticastTtlZero);
        Assert.Equal(0, Sim.Ip(Assert.Single(sim.Packets(unjoined))).Ttl);
        sim.Socket("t");
        Set(sim, IpAddMembership, Mreq(Group, Hosts.Tun1Address), "t");
        Assert.Single(sim.SendTo("s", 100, group).Datagrams);
        sim.SetInt("s", SolIp, IpMulticastIf, BitConverter.ToInt32(Bytes(Hosts.Tun1Address)));
        var joined = sim.SendTo("s", 100, group);
        Expect.Value(joined, 100, ClauseId.UdpResult);
        Expect.Passed(joined, ClauseId.MulticastTtlZero);
        Assert.Empty(joined.Datagrams);
        Assert.Equal(1, joined.Counters.OutDatagrams);
        sim.Run(new CloseOp(Fd.Named("t")));
        Assert.Single(sim.SendTo("s", 100, group).Datagrams);
    }

    [Fact]
    public void The_corked_route_decides_a_ttl_zero_drop_not_a_header_a_connect_rewrote()
    {
        var sim = Linux();
        sim.SetInt("s", SolIp, IpMulticastTtl, 0);
        sim.Cork("s", true);
        Expect.Value(sim.SendTo("s", 8, Ipv4Address.Parse("224.0.0.1")), 8);
        Expect.Value(sim.Connect("s", Hosts.Remote, 53), 0);
        var pushed = sim.Cork("s", false);
        Expect.Value(pushed, 0);
        Expect.Passed(pushed, ClauseId.MulticastTtlZero);
        Assert.Empty(pushed.Datagrams);
    }

    [Fact]
    public void The_spec_profile_does_not_follow_membership()
    {
        var sim = Sim.Spec(Hosts.TwoLinks());
        sim.Socket();
        Assert.Equal(OutcomeKind.Unmodeled, Set(sim, IpAddMembership, Mreq(Group, Hosts.Local)).Kind);
    }
}
