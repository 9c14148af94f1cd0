using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Xunit;

namespace Udpconf.Tests.Model.Symbols;

/// <summary>What the kernel chooses is a symbol with constraints; a comparison binds it once and then every
/// byte must agree.</summary>
public class SymbolsTests
{
    [Fact]
    public void Ports_and_identifications_read_as_their_value_or_symbol()
    {
        Assert.Equal("5000", PortValue.Of(5000).ToString());
        var port = new Symbol("port:s", SymbolKind.EphemeralPort, 32768, 60999);
        Assert.Equal("port:s", PortValue.Of(port).ToString());
        var counter = new Symbol("id:s", SymbolKind.IdentCounter);
        Assert.Equal("7", IdentValue.Of(7).ToString());
        Assert.Equal("id:s", IdentValue.Counter(counter, 0).ToString());
        Assert.Equal("id:s+2", IdentValue.Counter(counter, 2).ToString());
    }

    [Fact]
    public void Bindings_name_a_symbol_not_bound_complete_with_each_lowest_value_and_bind_a_symbol_listed_twice_once()
    {
        var port = new Symbol("port:s", SymbolKind.EphemeralPort, 32768, 60999);
        var other = new Symbol("port:t", SymbolKind.EphemeralPort, 40000, 40010);
        var empty = new Bindings();
        Assert.Equal("symbol port:s is not bound", Assert.Throws<KeyNotFoundException>(() => empty["port:s"]).Message);
        Assert.True(empty.TryBind(port, 33000));
        var completed = empty.CompletedWith([port, other]);
        Assert.Equal(33000, completed["port:s"]);
        Assert.Equal(40000, completed["port:t"]);
        Assert.False(empty.IsBound("port:t"));
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal(Bindings.FromSeed(seed, [port])["port:s"], Bindings.FromSeed(seed, [port, port])["port:s"]);
    }

    [Fact]
    public void An_ephemeral_port_binds_to_a_port_no_socket_of_the_case_holds()
    {
        // A golden file's concrete ports (sockets bound to a named port) are in use: a symbol must not take one.
        var port = new Symbol("port:s", SymbolKind.EphemeralPort, 40000, 40002);
        for (var seed = 0; seed < 20; seed++)
        {
            Assert.Equal(40001, Bindings.FromSeed(seed, [port], [40000, 40002])["port:s"]);
            Assert.InRange(Bindings.FromSeed(seed, [port])["port:s"], 40000, 40002);
        }
        // With every port of the range in use there is nothing free: the lowest is taken.
        Assert.Equal(40000, Bindings.FromSeed(5, [port], [40000, 40001, 40002])["port:s"]);
    }

    [Fact]
    public void An_ephemeral_port_is_one_symbol_per_socket_bound_within_the_local_range()
    {
        var host = HostConfig.Default with { LocalPortLow = 40000, LocalPortHigh = 40009 };
        var sim = Sim.Spec(host);
        sim.Socket("a");
        sim.Socket("b");
        var first = sim.SendTo("a", 10, Hosts.Remote);
        var second = sim.SendTo("a", 10, Hosts.Remote);
        var other = sim.SendTo("b", 10, Hosts.Remote);
        Assert.Equal(first.Datagrams[0].SourcePort, second.Datagrams[0].SourcePort);
        Assert.NotEqual(first.Datagrams[0].SourcePort, other.Datagrams[0].SourcePort);
        var ports = sim.Model.Symbols.Where(s => s.Kind == SymbolKind.EphemeralPort).ToArray();
        Assert.Equal(2, ports.Length);
        Assert.All(ports, p => Assert.Equal((40000, 40009), ((int)p.Low, (int)p.High)));
        for (var seed = 0; seed < 50; seed++)
        {
            var bindings = Bindings.FromSeed(seed, sim.Model.Symbols);
            var a = first.Datagrams[0].SourcePort.Resolve(bindings);
            var b = other.Datagrams[0].SourcePort.Resolve(bindings);
            Assert.InRange(a, (ushort)40000, (ushort)40009);
            Assert.InRange(b, (ushort)40000, (ushort)40009);
            Assert.NotEqual(a, b);
        }
    }

    [Fact]
    public void Binding_a_symbol_twice_to_different_values_is_refused()
    {
        var port = new Symbol("port#s1", SymbolKind.EphemeralPort, 32768, 60999);
        var bindings = new Bindings();
        Assert.False(bindings.TryBind(port, 1000));
        Assert.True(bindings.TryBind(port, 40000));
        Assert.True(bindings.TryBind(port, 40000));
        Assert.False(bindings.TryBind(port, 40001));
    }

    [Fact]
    public void A_counter_binds_its_base_from_any_step_and_predicts_the_others()
    {
        var counter = new Symbol("ipid#s1.c1", SymbolKind.IdentCounter);
        var bindings = new Bindings();
        Assert.True(bindings.TryBind(counter, IdentValue.Counter(counter, 2), 0x0001));
        Assert.Equal(0xFFFF, IdentValue.Counter(counter, 0).Resolve(bindings));
        Assert.Equal(0x0000, IdentValue.Counter(counter, 1).Resolve(bindings));
        Assert.False(bindings.TryBind(counter, IdentValue.Counter(counter, 3), 0x0003));
        Assert.True(bindings.TryBind(counter, IdentValue.Counter(counter, 3), 0x0002));
    }

    [Fact]
    [Trait("clause", "ip_push.header")]
    public void A_connected_sockets_datagrams_step_their_identification_by_one_in_both_profiles()
    {
        foreach (var profile in Profile.All)
        {
            var sim = new Sim(profile);
            sim.Socket();
            sim.SetInt("s", SocketOption.SolIp, SocketOption.IpMtuDiscover, SocketOption.PmtuDo);
            Expect.Value(sim.Connect("s", Hosts.Remote, 9), 0);
            var idents = Enumerable.Range(0, 3).Select(_ => sim.SendTo("s", 10).Datagrams.Single().Ident).ToArray();
            Assert.All(idents, i => Assert.Equal(idents[0].Symbol, i.Symbol));
            Assert.Equal([0, 1, 2], idents.Select(i => i.Step));
            var bindings = Bindings.FromSeed(3, sim.Model.Symbols);
            var values = idents.Select(i => i.Resolve(bindings)).ToArray();
            Assert.Equal((ushort)(values[0] + 1), values[1]);
            Assert.Equal((ushort)(values[0] + 2), values[2]);
        }
    }

    [Fact]
    public void Seeds_give_the_same_bytes_every_time_and_different_seeds_can_differ()
    {
        var sim = Sim.Linux();
        sim.Socket();
        var outcome = sim.SendTo("s", 3000, Hosts.Remote);
        Assert.Equal(sim.Packets(outcome, 5), sim.Packets(outcome, 5));
        Assert.Contains(Enumerable.Range(6, 20), seed => !sim.Packets(outcome, seed)[0].SequenceEqual(sim.Packets(outcome, 5)[0]));
    }
}
