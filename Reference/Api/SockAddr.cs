using System.Buffers.Binary;
using Udpconf.Reference.Host;

namespace Udpconf.Reference.Api;

/// <summary>
/// struct sockaddr_in and sockaddr_in6 as bytes (x86-64 layout): family in host order (little-endian), port and
/// address in network order.
/// </summary>
public static class SockAddr
{
    public const int InLength = 16;
    public const int In6Length = 28;
    /// <summary>MAX_SOCK_ADDR / sizeof(struct sockaddr_storage).</summary>
    public const int MaxLength = 128;

    public static byte[] In(Ipv4Address address, ushort port, ushort family = AddressFamily.Inet)
    {
        var bytes = new byte[InLength];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, family);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), port);
        address.Write(bytes.AsSpan(4));
        return bytes;
    }

    /// <summary>A sockaddr_in6 holding the IPv4-mapped address ::ffff:a.b.c.d.</summary>
    public static byte[] In6Mapped(Ipv4Address address, ushort port)
    {
        var bytes = new byte[In6Length];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, AddressFamily.Inet6);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), port);
        bytes[18] = 0xFF;
        bytes[19] = 0xFF;
        address.Write(bytes.AsSpan(20));
        return bytes;
    }

    /// <summary>A sockaddr_in6 of a native IPv6 address (16 bytes).</summary>
    public static byte[] In6(ReadOnlySpan<byte> address16, ushort port)
    {
        var bytes = new byte[In6Length];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, AddressFamily.Inet6);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), port);
        address16.CopyTo(bytes.AsSpan(8));
        return bytes;
    }

    /// <summary>The family field (missing bytes read as 0).</summary>
    public static ushort Family(ReadOnlySpan<byte> bytes) => (ushort)(At(bytes, 0) | (At(bytes, 1) << 8));
    public static ushort Port(ReadOnlySpan<byte> bytes) => (ushort)((At(bytes, 2) << 8) | At(bytes, 3));
    public static Ipv4Address Address(ReadOnlySpan<byte> bytes) =>
        new((uint)(At(bytes, 4) << 24 | At(bytes, 5) << 16 | At(bytes, 6) << 8 | At(bytes, 7)));

    /// <summary>For a sockaddr_in6: the embedded IPv4 address when it is ::ffff:a.b.c.d.</summary>
    public static Ipv4Address? MappedAddress(ReadOnlySpan<byte> bytes)
    {
        // not a limit: sockaddr_in6's layout (a v4-mapped address has bytes 8 to 17 zero)
        for (var i = 8; i < 18; i++) if (At(bytes, i) != 0) return null;
        if (At(bytes, 18) != 0xFF || At(bytes, 19) != 0xFF) return null;
        return new Ipv4Address((uint)(At(bytes, 20) << 24 | At(bytes, 21) << 16 | At(bytes, 22) << 8 | At(bytes, 23)));
    }

    private static int At(ReadOnlySpan<byte> bytes, int index) => index < bytes.Length ? bytes[index] : 0;
}
