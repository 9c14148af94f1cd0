using System.Buffers.Binary;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Socket;

/// <summary>Multicast group membership and the multicast switches (current kernels,
/// <see cref="Profile.MulticastMembership"/>): IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP (ip_mc_join_group,
/// ip_mc_leave_group, ip_mc_find_dev), IP_MULTICAST_LOOP and IP_MULTICAST_ALL (do_ip_setsockopt).</summary>
public static class MulticastMembership
{

    private const int MreqLength = 8, MreqnLength = 12;

    /// <summary>What one membership holds of the socket's option memory (sk_omem_alloc): sock_kmalloc of a struct
    /// ip_mc_socklist, 48 bytes on x86-64. Measured on 6.18.44: each membership lowers the largest control buffer
    /// sendmsg takes by 48 (sys_sendmsg/control_alloc_memberships_linux).</summary>
    public const int SocklistBytes = 48;

    /// <summary>The socket's option memory in use (sk_omem_alloc) as far as the model allocates it: its memberships.</summary>
    public static long OptionMemory(Ip.InetSock sock) => (long)sock.Memberships.Count * SocklistBytes;

    public static bool Handles(Profile profile, int level, int name) =>
        profile.MulticastMembership && level == SolIp && name is IpAddMembership or IpDropMembership or IpMulticastLoop or IpMulticastAll;

    /// <summary>
    /// Outcome: 0. Membership: EINVAL below 8 bytes or (join) for a group that is not multicast; ENODEV when no device
    /// is found; EADDRINUSE for a group joined on that device already; ENOBUFS past 20 memberships; EADDRNOTAVAIL to
    /// leave a group not joined there. IP_MULTICAST_LOOP: an int or a byte (EINVAL for none), nonzero is on.
    /// IP_MULTICAST_ALL: 0 or 1 (EINVAL otherwise). Measured on 6.18.44 (multicast/membership_linux).
    /// </summary>
    public static Outcome Set(Process model, Call call, Sock sock, SetSockOptOp op)
    {
        if (op.OptName is IpMulticastLoop or IpMulticastAll)
        {
            var clause = op.OptName == IpMulticastLoop ? ClauseId.MulticastLoop : ClauseId.MulticastAll;
            // spec: multicast.loop, multicast.all — ip_setsockopt reads an int from 4 bytes, else one byte.
            if (op.OptLen < 1) return call.Fail(Errno.EINVAL, clause);
            // not a limit: the value's width, an int from 4 bytes or else one byte (do_ip_setsockopt)
            var width = op.OptLen >= 4 ? 4 : 1;
            if (op.Value is null || op.Value.Readable.Length < width) return call.Fail(Errno.EFAULT, clause);
            var value = width == 4 ? BinaryPrimitives.ReadInt32LittleEndian(op.Value.Readable.Span) : op.Value.Readable.Span[0];
            if (op.OptName == IpMulticastLoop) sock.MulticastLoop = value != 0;
            else
            {
                if (value is not (0 or 1)) return call.Fail(Errno.EINVAL, clause);
                sock.MulticastAll = value == 1;
            }
            return call.Return(0, clause);
        }

        var join = op.OptName == IpAddMembership;
        var membership = join ? ClauseId.MulticastJoin : ClauseId.MulticastLeave;
        // spec: multicast.join, multicast.leave
        if (op.OptLen < MreqLength) return call.Fail(Errno.EINVAL, membership);
        var length = op.OptLen >= MreqnLength ? MreqnLength : MreqLength;
        if (op.Value is null || op.Value.Readable.Length < length) return call.Fail(Errno.EFAULT, membership);
        var bytes = op.Value.Readable.Span;
        var group = Ipv4Address.Read(bytes);
        var address = Ipv4Address.Read(bytes[4..]);
        var index = length == MreqnLength ? BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]) : 0;
        if (join && !group.IsMulticast) return call.Fail(Errno.EINVAL, membership);
        var device = FindDevice(model, group, address, index);
        if (join)
        {
            if (device is null) return call.Fail(Errno.ENODEV, membership);
            if (sock.Memberships.Any(m => m.Group == group && m.Ifindex == device.Index)) return call.Fail(Errno.EADDRINUSE, membership);
            if (sock.Memberships.Count >= Limits.Memberships.At) return call.Fail(Errno.ENOBUFS, membership);
            sock.Memberships.Add((group, device.Index, address));
            return call.Return(0, membership);
        }
        if (device is null && index == 0 && address.IsZero) return call.Fail(Errno.ENODEV, membership);
        var ifindex = device?.Index ?? index;
        var at = sock.Memberships.FindIndex(m => m.Group == group &&
            (ifindex != 0 ? m.Ifindex == ifindex : address.IsZero || m.Address == address));
        if (at < 0) return call.Fail(Errno.EADDRNOTAVAIL, membership);
        sock.Memberships.RemoveAt(at);
        return call.Return(0, membership);
    }

    /// <summary>ip_mc_find_dev: the index's device (none when no device has it), else the device holding the address
    /// (none when the address is not this host's), else the device the group's route leaves by.</summary>
    private static Interface? FindDevice(Process model, Ipv4Address group, Ipv4Address address, int index)
    {
        if (index != 0) return model.Host.InterfaceByIndex(index);
        if (!address.IsZero) return model.Host.Interfaces.FirstOrDefault(i => i.Addresses.Any(a => a.Address == address));
        var route = RouteLookup.Lookup(model.Host, new FlowKey(group, Ipv4Address.Any, 0, 0, false), model.Profile);
        return route.IsError ? null : route.Value.Device;
    }

    /// <summary>The int getsockopt reads for IP_MULTICAST_LOOP and IP_MULTICAST_ALL (IP_ADD_MEMBERSHIP and
    /// IP_DROP_MEMBERSHIP cannot be read: ENOPROTOOPT).</summary>
    public static int? IntValue(Sock sock, int name) => name switch
    {
        IpMulticastLoop => sock.MulticastLoop ? 1 : 0,
        IpMulticastAll => sock.MulticastAll ? 1 : 0,
        _ => null,
    };
}
