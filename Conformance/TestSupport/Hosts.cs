using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model;

/// <summary>Hosts and checks shared by the udp_sendmsg address and routing tests.</summary>
internal static class RouteHosts
{
    public static readonly Ipv4Address Secondary = Ipv4Address.Parse("192.0.2.2");
    public static readonly Ipv4Address Tun1Address = Ipv4Address.Parse("10.0.0.1");
    public static readonly Ipv4Address Tun1Gateway = Ipv4Address.Parse("10.0.0.254");
    public static readonly Ipv4Address Group = Ipv4Address.Parse("239.1.2.3");
    public const byte TosSelector = 0x10;

    /// <summary>tun0 (index 2) 192.0.2.1/24 with secondary 192.0.2.2/24, tun1 (index 3) 10.0.0.1/24. Default route
    /// via 192.0.2.254 on tun0, a second one via 10.0.0.254 on tun1 (used only when tun1 is asked for), and
    /// 198.51.100.0/24 via tun1 for TOS 0x10 only.</summary>
    public static HostConfig TwoLinks(Ipv4Address? preferredSource = null) => new()
    {
        Interfaces =
        [
            HostConfig.LoopbackInterface,
            new Interface("tun0", 2, Sim.Local, 24, 1500, SecondaryAddresses: [(Secondary, 24)]),
            new Interface("tun1", 3, Tun1Address, 24, 1400),
        ],
        Routes =
        [
            new Route(Ipv4Address.Any, 0, RouteKind.Unicast, "tun0", Sim.Gateway, PreferredSource: preferredSource),
            new Route(Ipv4Address.Any, 0, RouteKind.Unicast, "tun1", Tun1Gateway),
            new Route(Ipv4Address.Parse("198.51.100.0"), 24, RouteKind.Unicast, "tun1", Tun1Gateway, Tos: TosSelector),
        ],
    };

    public static byte[] Bytes(Ipv4Address address)
    {
        var bytes = new byte[4];
        address.Write(bytes);
        return bytes;
    }

    /// <summary>The UDP checksum of a packet is right for the given pseudo-header addresses.</summary>
    public static void AssertUdpChecksum(byte[] packet, Ipv4Address source, Ipv4Address destination)
    {
        var ip = Sim.Ip(packet);
        var udp = Sim.Udp(packet);
        var expected = UdpHeader.ComputeChecksum(source, destination, udp.DatagramLength, udp with { Checksum = 0 },
            packet.AsSpan(ip.HeaderLength + UdpHeader.Length));
        Assert.Equal(expected, udp.Checksum);
    }

    public static Outcome SetOptions(Sim sim, string s, byte[] options) =>
        sim.Run(new SetSockOptOp(Fd.Named(s), SolIp, SocketOption.IpOptions, UserBuffer.Of(options), options.Length));

    /// <summary>A source route option (LSRR 131 / SSRR 137) through the given hops, padded with END.</summary>
    public static byte[] SourceRoute(byte type, params Ipv4Address[] hops)
    {
        var length = 3 + 4 * hops.Length;
        var bytes = new byte[(length + 3) & ~3];
        (bytes[0], bytes[1], bytes[2]) = (type, (byte)length, 4);
        for (var i = 0; i < hops.Length; i++) hops[i].Write(bytes.AsSpan(3 + 4 * i));
        return bytes;
    }
}
