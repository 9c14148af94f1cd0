using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Socket;

/// <summary>The ports a socket is given (catalog part 2, ephemeral.*), as measured on 6.18.44
/// (Conformance/cases/ephemeral/): IP_LOCAL_PORT_RANGE narrows the namespace's range, IP_BIND_ADDRESS_NO_PORT leaves
/// the port to the first send.</summary>
public class EphemeralTests
{
    private static HostConfig TenPorts => HostConfig.Default with { LocalPortLow = 40000, LocalPortHigh = 40009 };

    private static Outcome SetRange(Sim sim, string s, int low, int high) =>
        sim.SetInt(s, SolIp, IpLocalPortRange, low | high << 16);

    private static Symbol PortSymbol(Sim sim, Outcome send) =>
        sim.Model.Symbols.Single(s => s.Name == send.Datagrams[0].SourcePort.Symbol);

    [Theory]
    [Trait("clause", "ephemeral.range")]
    [InlineData(40005, 40005, 40005, 40005)]
    [InlineData(40007, 0, 40007, 40009)]
    [InlineData(0, 40006, 40000, 40006)]
    [InlineData(10000, 10000, 40000, 40009)]
    [InlineData(1, 2, 40000, 40009)]
    [InlineData(39000, 40003, 40000, 40003)]
    public void The_sockets_range_narrows_the_namespaces_where_its_ends_fall_inside(int low, int high, int chosenLow, int chosenHigh)
    {
        var sim = Sim.Linux(TenPorts);
        sim.Socket("a");
        Expect.Value(SetRange(sim, "a", low, high), 0, ClauseId.EphemeralRange);
        var send = sim.SendTo("a", 10, Hosts.Remote);
        Expect.Value(send, 10);
        Expect.Passed(send, ClauseId.EphemeralRange);
        var symbol = PortSymbol(sim, send);
        Assert.Equal((chosenLow, chosenHigh), ((int)symbol.Low, (int)symbol.High));
    }

    [Fact]
    [Trait("clause", "ephemeral.range")]
    public void Without_the_option_the_namespaces_range_is_used_and_the_clause_is_not_passed()
    {
        var sim = Sim.Linux(TenPorts);
        sim.Socket("a");
        var send = sim.SendTo("a", 10, Hosts.Remote);
        Expect.Value(send, 10);
        Expect.NotPassed(send, ClauseId.EphemeralRange);
        var symbol = PortSymbol(sim, send);
        Assert.Equal((40000, 40009), ((int)symbol.Low, (int)symbol.High));
    }

    [Fact]
    [Trait("clause", "ephemeral.range")]
    public void Low_above_high_or_a_length_other_than_four_is_einval()
    {
        var sim = Sim.Linux(TenPorts);
        sim.Socket("a");
        Expect.Error(SetRange(sim, "a", 40006, 40005), Errno.EINVAL, ClauseId.EphemeralRange);
        Expect.Error(sim.SetInt("a", SolIp, IpLocalPortRange, 40005, optlen: 2), Errno.EINVAL, ClauseId.EphemeralRange);
        Expect.Error(sim.Run(new SetSockOptOp(Fd.Named("a"), SolIp, IpLocalPortRange, UserBuffer.Of(new byte[5]), 5)), Errno.EINVAL, ClauseId.EphemeralRange);
    }

    [Theory]
    [Trait("clause", "ephemeral.range")]
    [InlineData(40005, 0)]
    [InlineData(0, 40005)]
    public void A_port_chosen_in_a_range_that_only_touches_a_one_port_range_may_hold_that_port(int low, int high)
    {
        // a's port is in 40005-40009 (or 40000-40005): it may be 40005, the only port of b's range.
        var sim = Sim.Linux(TenPorts);
        sim.Socket("a");
        SetRange(sim, "a", low, high);
        Expect.Value(sim.SendTo("a", 10, Hosts.Remote), 10);
        sim.Socket("b");
        SetRange(sim, "b", 40005, 40005);
        var maybe = sim.SendTo("b", 10, Hosts.Remote);
        Assert.Equal((OutcomeKind.Unmodeled, ClauseId.Autobind), (maybe.Kind, maybe.Clause.Id));
    }

    [Fact]
    [Trait("clause", "ephemeral.range")]
    public void A_range_whose_ports_are_surely_taken_is_eagain_and_one_that_may_be_is_unmodeled()
    {
        var sim = Sim.Linux(TenPorts);
        sim.Socket("a");
        SetRange(sim, "a", 40005, 40005);
        Expect.Value(sim.SendTo("a", 10, Hosts.Remote), 10);
        sim.Socket("e");
        SetRange(sim, "e", 40005, 40005);
        Expect.Error(sim.SendTo("e", 10, Hosts.Remote), Errno.EAGAIN, ClauseId.Autobind);
        Expect.Error(sim.Bind("e", Ipv4Address.Any, 0), Errno.EADDRINUSE, ClauseId.BindInUse);

        // b's port is anywhere in 40000-40009: whether 40003 is free for c depends on what the kernel chose.
        sim.Socket("b");
        Expect.Value(sim.SendTo("b", 10, Hosts.Remote), 10);
        sim.Socket("c");
        SetRange(sim, "c", 40003, 40003);
        var maybe = sim.SendTo("c", 10, Hosts.Remote);
        Assert.Equal((OutcomeKind.Unmodeled, ClauseId.Autobind), (maybe.Kind, maybe.Clause.Id));
        Assert.Equal(OutcomeKind.Unmodeled, sim.SendTo("c", 10, Hosts.Remote).Kind);
    }

    [Fact]
    [Trait("clause", "ephemeral.no_port")]
    public void Bind_without_a_port_leaves_it_to_the_first_send()
    {
        var sim = Sim.Linux(HostConfig.Default with { LocalPortLow = 40000, LocalPortHigh = 40000 });
        sim.Socket("a");
        Expect.Value(sim.SetInt("a", SolIp, IpBindAddressNoPort, 5), 0, ClauseId.EphemeralNoPort);
        var bind = sim.Bind("a", Hosts.Local, 0);
        Expect.Value(bind, 0);
        Expect.Passed(bind, ClauseId.EphemeralNoPort);
        sim.Socket("b");
        Expect.Value(sim.Bind("b", Ipv4Address.Any, 0), 0);
        Expect.Error(sim.SendTo("a", 10, Hosts.Remote), Errno.EAGAIN, ClauseId.Autobind);
        Expect.Error(sim.Connect("a", Hosts.Remote, 9), Errno.EAGAIN, ClauseId.Autobind);
        // No port yet: bind again, with a port this time.
        Expect.Value(sim.Bind("a", Hosts.Local, 7000), 0);
        var send = sim.SendTo("a", 10, Hosts.Remote);
        Assert.Equal(7000, Sim.Udp(sim.Packets(send)[0]).SourcePort);
    }

    [Fact]
    [Trait("clause", "ephemeral.no_port")]
    public void The_2_6_profile_knows_neither_option()
    {
        var sim = Sim.Spec(TenPorts);
        sim.Socket("a");
        Assert.NotEqual(OutcomeKind.Value, sim.SetInt("a", SolIp, IpBindAddressNoPort, 1).Kind);
        Assert.NotEqual(OutcomeKind.Value, SetRange(sim, "a", 40005, 40005).Kind);
    }
}
