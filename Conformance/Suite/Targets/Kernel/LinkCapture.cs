using System.Buffers.Binary;
using System.Text;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// What the kernel wrote to the links of a <see cref="HostSetup"/>. After each piece of work a marker datagram goes
/// out of every link that can pass one, from a socket of its own that carries <see cref="MarkerMark"/> (the policy
/// route of the setup sends it around the case's routes and drops); each link is read until its marker comes back,
/// so "nothing was sent" needs no sleep. Made on the namespace's thread after the setup.
/// </summary>
internal sealed class LinkCapture : IDisposable
{
    /// <summary>Where markers go: an address and port no case uses.</summary>
    public static Ipv4Address MarkerAddress => Ipv4Address.Parse("203.0.113.251");
    public const ushort MarkerPort = 65001;
    /// <summary>The fwmark (SO_MARK) of the marker socket, which the setup's policy rule and nf_tables chain know.</summary>
    public const uint MarkerMark = 0x7e57;

    private readonly HostSetup links;
    private readonly int markerSocket;
    private long markerCount;
    /// <summary>What the links are read into (a packet of the largest MTU and its virtio-net header), kept for the sandbox.</summary>
    private readonly byte[] buffer = new byte[70000];
    /// <summary>The marker's payload: a fixed prefix naming this process, then the marker's number, 8 bytes.</summary>
    private readonly byte[] payload = System.Text.Encoding.ASCII.GetBytes($"udpconf-marker-{Environment.ProcessId}-").Concat(new byte[8]).ToArray();

    public unsafe LinkCapture(HostSetup links, HostConfig host)
    {
        this.links = links;
        markerSocket = Native.socket(AddressFamily.Inet, SocketType.Dgram | SocketType.CloexecFlag, 0);
        if (markerSocket < 0) throw new InvalidOperationException($"marker socket: {SystemError.Describe(Native.Errno)}");
        try
        {
            var mark = MarkerMark;
            if (Native.setsockopt(markerSocket, SocketOption.SolSocket, SocketOption.SoMark, (nint)(&mark), sizeof(uint)) != 0)
                throw new InvalidOperationException($"SO_MARK: {SystemError.Describe(Native.Errno)}");
            // Bound outside the local port range: left to autobind, the marker would take an ephemeral port a case counts on.
            var port = (ushort)(host.LocalPortHigh < 65531 || host.LocalPortLow > 65531 ? 65531 : host.LocalPortLow - 1);
            var sockaddr = SockAddr.In(default, port);
            fixed (byte* a = sockaddr)
                if (Native.bind(markerSocket, (nint)a, sockaddr.Length) != 0) throw new InvalidOperationException($"marker bind: {SystemError.Describe(Native.Errno)}");
        }
        catch
        {
            Native.close(markerSocket);
            throw;
        }
    }

    /// <summary>
    /// Everything the kernel wrote to the links since the last capture. A marker datagram goes out of every link
    /// that is up and not queue-full after the work; the links are read until their marker comes back, so "nothing
    /// was sent" needs no sleep. Markers are dropped from the result; so are IGMP reports, which the kernel sends on its own.
    /// </summary>
    /// <param name="markers">How many markers were sent: each is one more UDP OutDatagrams of the namespace.</param>
    /// <param name="settle">False: no marker, the links are read until they have nothing more (what the kernel wrote
    /// during the call, which it does before the call returns: the proof is the next capture's marker).</param>
    public unsafe List<ObservedPacket> Capture(out int markers, int timeoutMs = 5000, bool settle = true)
    {
        var packets = new List<ObservedPacket>();
        markers = 0;
        foreach (var (name, (fd, index)) in links.Links)
        {
            var payload = settle && links.PassesMarkers(name) ? SendMarker(index) : null;
            if (payload is not null) markers++;
            var deadline = Environment.TickCount64 + timeoutMs;
            while (true)
            {
                nint n;
                fixed (byte* p = buffer) n = Native.read(fd, p, (nuint)buffer.Length);
                if (n > 0)
                {
                    VirtioNetHeader? offload = null;
                    var start = 0;
                    if (links.HasVnetHeader(name))
                    {
                        if (n < Native.VnetHdrSize) throw new InvalidOperationException($"read {name}: {n} bytes, shorter than a virtio-net header");
                        offload = VirtioNetHeader.Read(buffer.AsSpan(0, Native.VnetHdrSize));
                        start = Native.VnetHdrSize;
                    }
                    var read = buffer.AsSpan(start, (int)n - start);
                    if (payload is not null && IsMarker(read, payload)) break;
                    if (read.Length >= 20 && read[0] >> 4 == 4 && read[9] == 2) continue; // IGMP
                    if (IsListenerReport(read)) continue;
                    packets.Add(new ObservedPacket(name, read.ToArray(), offload));
                    continue;
                }
                if (n < 0 && Native.Errno != Native.EAgain) throw new InvalidOperationException($"read {name}: {SystemError.Describe(Native.Errno)}");
                if (payload is null) break; // a down or queue-full link: what it queued is already readable
                var left = deadline - Environment.TickCount64;
                if (left <= 0) throw new TimeoutException($"the marker on {name} did not come back within {timeoutMs} ms");
                var pfd = new Native.PollFd { Fd = fd, Events = Native.PollIn };
                Native.poll(&pfd, 1, (int)left);
            }
        }
        return packets;
    }

    /// <summary>Sends a marker out of the link <paramref name="ifindex"/> (IP_PKTINFO picks the link); returns its payload
    /// (the buffer of the sandbox, valid until the next marker).</summary>
    private unsafe byte[] SendMarker(int ifindex)
    {
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(payload.Length - 8), ++markerCount);
        var address = SockAddr.In(MarkerAddress, MarkerPort);
        var pktinfo = ControlMessages.PktInfo(ifindex, default);
        var control = stackalloc byte[ControlMessages.SpaceFor(pktinfo.Length)]; // cmsghdr + in_pktinfo, padded
        *(CmsgHdr*)control = new CmsgHdr { Length = (nuint)ControlMessages.LengthFor(pktinfo.Length), Level = SocketOption.SolIp, Type = SocketOption.IpPktInfo };
        pktinfo.CopyTo(new Span<byte>(control + sizeof(CmsgHdr), pktinfo.Length));
        fixed (byte* a = address) fixed (byte* d = payload)
        {
            var iov = new IoVec { Base = (nint)d, Length = (nuint)payload.Length };
            var msg = new MsgHdr
            {
                Name = (nint)a, NameLength = address.Length,
                Iov = (nint)(&iov), IovLength = 1,
                Control = (nint)control, ControlLength = (nuint)ControlMessages.SpaceFor(pktinfo.Length),
            };
            if (Native.sendmsg(markerSocket, (nint)(&msg), 0) < 0)
                throw new InvalidOperationException($"marker sendmsg on ifindex {ifindex}: {SystemError.Describe(Native.Errno)}");
        }
        return payload;
    }

    /// <summary>An ICMPv6 multicast listener report or done (MLD, types 131, 132, 143), right after the IPv6
    /// header or its hop-by-hop options (router alert), as the kernel sends when IPv6 joins groups.</summary>
    private static bool IsListenerReport(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 48 || packet[0] >> 4 != 6) return false;
        var next = packet[6];
        var offset = 40;
        if (next == 0) { next = packet[offset]; offset += (packet[offset + 1] + 1) * 8; } // hop-by-hop
        return next == 58 && offset < packet.Length && packet[offset] is 131 or 132 or 143;
    }

    private static bool IsMarker(ReadOnlySpan<byte> packet, byte[] payload)
    {
        if (packet.Length < 28 || packet[0] >> 4 != 4 || packet[9] != Reference.Wire.Ipv4Header.ProtocolUdp) return false;
        var ihl = (packet[0] & 15) * 4;
        return packet.Length >= ihl + 8 && Ipv4Address.Read(packet[16..]) == MarkerAddress &&
               BinaryPrimitives.ReadUInt16BigEndian(packet[(ihl + 2)..]) == MarkerPort &&
               packet[(ihl + 8)..].SequenceEqual(payload);
    }

    public void Dispose() => Native.close(markerSocket);
}
