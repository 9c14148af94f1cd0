using System.Text;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Socket;

/// <summary>Device binding (catalog part 2, bind_device.*): SO_BINDTODEVICE, SO_BINDTOIFINDEX, IP_UNICAST_IF and their
/// effect on routing, connect and disconnect, as measured on kernel 6.18.44. Hosts.TwoLinks: lo 1, tun0 2, tun1 3.</summary>
public class DeviceBindingTests
{
    private static Sim Linux()
    {
        var sim = Sim.Linux(Hosts.TwoLinks());
        sim.Socket();
        return sim;
    }

    private static Outcome SetBytes(Sim sim, int level, int name, byte[] value) =>
        sim.Run(new SetSockOptOp(Fd.Named("s"), level, name, UserBuffer.Of(value), value.Length));

    private static Outcome Get(Sim sim, int level, int name, int length = 4) =>
        sim.Run(new GetSockOptOp(Fd.Named("s"), level, name, length));

    private static Outcome BindName(Sim sim, string name) => SetBytes(sim, SolSocket, SoBindToDevice, Encoding.ASCII.GetBytes(name));

    private static string Link(Sim sim, Outcome outcome) => Assert.Single(outcome.Datagrams).Interface;

    [Fact]
    public void A_name_binds_the_socket_an_unknown_one_is_enodev_and_an_empty_one_unbinds()
    {
        var sim = Linux();
        Expect.Value(BindName(sim, "tun1\0"), 0, ClauseId.BindDeviceByName);
        Assert.Equal(3, sim.Model.Sockets.Single().BoundDevice);
        Expect.Error(BindName(sim, "nosuch\0"), Errno.ENODEV, ClauseId.BindDeviceByName);
        Expect.Value(BindName(sim, "tun0"), 0, ClauseId.BindDeviceByName);
        Assert.Equal(2, sim.Model.Sockets.Single().BoundDevice);
        // Only 15 bytes are read: "tun0" followed by junk past the 15th byte is still tun0... and 15 bytes of name is no device.
        Expect.Value(BindName(sim, "tun1\0" + new string('x', 20)), 0, ClauseId.BindDeviceByName);
        Expect.Error(BindName(sim, new string('t', 20)), Errno.ENODEV, ClauseId.BindDeviceByName);
        Expect.Value(BindName(sim, "\0"), 0, ClauseId.BindDeviceByName);
        Assert.Equal(0, sim.Model.Sockets.Single().BoundDevice);
        Expect.Value(sim.Run(new SetSockOptOp(Fd.Named("s"), SolSocket, SoBindToDevice, null, 0)), 0, ClauseId.BindDeviceByName);
        Expect.Error(sim.Run(new SetSockOptOp(Fd.Named("s"), SolSocket, SoBindToDevice, null, -1)), Errno.EINVAL, ClauseId.BindDeviceByName);
    }

    [Fact]
    public void Rebinding_needs_cap_net_raw()
    {
        var sim = Sim.Linux(Hosts.TwoLinks() with { Privileged = false });
        sim.Socket();
        Expect.Value(BindName(sim, "tun1"), 0, ClauseId.BindDeviceByName);
        Expect.Error(BindName(sim, "tun0"), Errno.EPERM, ClauseId.BindDeviceByName);
    }

    [Fact]
    public void An_index_binds_without_being_checked_and_a_negative_one_is_einval()
    {
        var sim = Linux();
        Expect.Value(sim.SetInt("s", SolSocket, SoBindToIfindex, 99), 0, ClauseId.BindDeviceByIndex);
        Assert.Equal("63000000", Convert.ToHexString(Get(sim, SolSocket, SoBindToIfindex).OptionValue!.Value.Span));
        Expect.Error(sim.SendTo("s", 100, Hosts.Remote), Errno.ENODEV, ClauseId.Route);
        Expect.Error(sim.SetInt("s", SolSocket, SoBindToIfindex, -1), Errno.EINVAL, ClauseId.BindDeviceByIndex);
        Expect.Error(sim.SetInt("s", SolSocket, SoBindToIfindex, 3, optlen: 2), Errno.EINVAL, ClauseId.BindDeviceByIndex);
    }

    [Fact]
    public void The_name_reads_back_with_its_nul_into_16_bytes_and_nothing_when_unbound()
    {
        var sim = Linux();
        var unbound = Get(sim, SolSocket, SoBindToDevice, 16);
        Expect.Value(unbound, 0, ClauseId.BindDeviceRead);
        BindName(sim, "tun1");
        var bound = Get(sim, SolSocket, SoBindToDevice, 16);
        Expect.Value(bound, 5, ClauseId.BindDeviceRead);
        Assert.Equal("tun1\0", Encoding.ASCII.GetString(bound.OptionValue!.Value.Span));
        Expect.Error(Get(sim, SolSocket, SoBindToDevice, 15), Errno.EINVAL, ClauseId.BindDeviceRead);
    }

    [Fact]
    public void A_bound_socket_sends_by_its_device_taking_uncovered_destinations_to_be_on_its_link()
    {
        var sim = Linux();
        Assert.Equal("tun0", Link(sim, sim.SendTo("s", 100, Hosts.Remote)));
        BindName(sim, "tun1");
        var outcome = sim.SendTo("s", 100, Hosts.Remote);
        Expect.Passed(outcome, ClauseId.BindDeviceRoute);
        var datagram = Assert.Single(outcome.Datagrams);
        Assert.Equal("tun1", datagram.Interface);
        Assert.Equal(Hosts.Tun1Address, datagram.Source);
        Assert.Equal(Hosts.Remote, datagram.Destination);
        Assert.Equal("tun1", Link(sim, sim.SendTo("s", 100, Hosts.OnLinkPeer)));
    }

    [Fact]
    public void An_ip_pktinfo_interface_replaces_the_bound_device()
    {
        var sim = Linux();
        BindName(sim, "tun1");
        var outcome = sim.SendMsg("s", Hosts.Remote, [UserBuffer.Of(new byte[10])], ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(2, Ipv4Address.Any))));
        Expect.Passed(outcome, ClauseId.BindDevicePktinfo);
        Assert.Equal("tun0", Link(sim, outcome));
    }

    [Fact]
    public void Connect_routes_through_the_bound_device_rebinding_drops_the_route_and_disconnect_unbinds()
    {
        var sim = Linux();
        sim.SetInt("s", SolSocket, SoBindToIfindex, 3);
        Expect.Passed(sim.Connect("s", Hosts.Remote, 9), ClauseId.BindDeviceConnect);
        var connected = sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Of(new byte[100]), MsgFlags.None, null, 0));
        Assert.Equal("tun1", Link(sim, connected));
        sim.SetInt("s", SolSocket, SoBindToIfindex, 2);
        Assert.Equal("tun0", Link(sim, sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Of(new byte[100]), MsgFlags.None, null, 0))));
        sim.SetInt("s", SolSocket, SoBindToIfindex, 3);
        var disconnect = sim.Disconnect("s");
        Expect.Value(disconnect, 0, ClauseId.Disconnect);
        Expect.Passed(disconnect, ClauseId.BindDeviceDisconnect);
        Assert.Equal("00000000", Convert.ToHexString(Get(sim, SolSocket, SoBindToIfindex).OptionValue!.Value.Span));
        // Not bound, nothing to unbind: the clause is not passed.
        Expect.NotPassed(sim.Disconnect("s"), ClauseId.BindDeviceDisconnect);
        Assert.Equal("tun0", Link(sim, sim.SendTo("s", 100, Hosts.Remote)));
    }

    [Fact]
    public void Ip_unicast_if_takes_an_index_in_network_order_and_sends_unicast_by_it()
    {
        var sim = Linux();
        Expect.Error(SetBytes(sim, SolIp, IpUnicastIf, [0, 0, 0, 99]), Errno.EADDRNOTAVAIL, ClauseId.UnicastIf);
        Expect.Error(SetBytes(sim, SolIp, IpUnicastIf, [0, 0, 3]), Errno.EINVAL, ClauseId.UnicastIf);
        Expect.Error(SetBytes(sim, SolIp, IpUnicastIf, [0, 0, 0, 3, 0]), Errno.EINVAL, ClauseId.UnicastIf);
        Expect.Value(SetBytes(sim, SolIp, IpUnicastIf, [0, 0, 0, 3]), 0, ClauseId.UnicastIf);
        Assert.Equal("00000003", Convert.ToHexString(Get(sim, SolIp, IpUnicastIf).OptionValue!.Value.Span));
        var unicast = sim.SendTo("s", 100, Hosts.Remote);
        Expect.Passed(unicast, ClauseId.UnicastIf);
        Assert.Equal("tun1", Link(sim, unicast));
        Assert.Equal("tun0", Link(sim, sim.SendTo("s", 100, Hosts.Group)));
        Expect.Passed(sim.Connect("s", Hosts.Remote, 9), ClauseId.UnicastIf);
        Assert.Equal("tun1", Link(sim, sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Of(new byte[100]), MsgFlags.None, null, 0))));
    }

    [Fact]
    public void Ip_unicast_if_is_refused_on_a_bound_socket_and_a_bound_device_comes_first()
    {
        var sim = Linux();
        SetBytes(sim, SolIp, IpUnicastIf, [0, 0, 0, 3]);
        sim.SetInt("s", SolSocket, SoBindToIfindex, 2);
        Expect.Error(SetBytes(sim, SolIp, IpUnicastIf, [0, 0, 0, 2]), Errno.EINVAL, ClauseId.UnicastIf);
        Assert.Equal("tun0", Link(sim, sim.SendTo("s", 100, Hosts.Remote)));
        sim.SetInt("s", SolSocket, SoBroadcast, 1);
        Assert.Equal("tun0", Link(sim, sim.SendTo("s", 100, Ipv4Address.Parse("255.255.255.255"))));
    }

    [Fact]
    public void The_spec_profile_does_not_follow_device_binding()
    {
        var sim = Sim.Spec(Hosts.TwoLinks());
        sim.Socket();
        Assert.Equal(OutcomeKind.Unmodeled, BindName(sim, "tun1").Kind);
    }
}
