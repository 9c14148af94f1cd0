using System.Buffers.Binary;
using System.Globalization;

namespace Udpconf.Reference.Host;

/// <summary>An IPv4 address held as its 32-bit value in host order (192.0.2.1 is 0xC0000201).</summary>
public readonly record struct Ipv4Address(uint Value) : IComparable<Ipv4Address>
{
    public static readonly Ipv4Address Any = new(0);
    public static readonly Ipv4Address Loopback = new(0x7F000001);
    /// <summary>127.255.255.255, lo's broadcast address.</summary>
    public static readonly Ipv4Address LoopbackBroadcast = new(0x7FFFFFFF);
    public static readonly Ipv4Address LimitedBroadcast = new(0xFFFFFFFF);

    public bool IsZero => Value == 0;
    /// <summary>224.0.0.0/4 (RFC 1112).</summary>
    public bool IsMulticast => (Value & 0xF0000000) == 0xE0000000;
    /// <summary>224.0.0.0/24: link-local multicast, never routed.</summary>
    public bool IsLocalMulticast => (Value & 0xFFFFFF00) == 0xE0000000;
    public bool IsLimitedBroadcast => Value == 0xFFFFFFFF;
    /// <summary>240.0.0.0/4 less the limited broadcast: class E.</summary>
    public bool IsClassE => (Value & 0xF0000000) == 0xF0000000 && !IsLimitedBroadcast;
    /// <summary>0.0.0.0/8 less 0.0.0.0 itself: "this network".</summary>
    public bool IsZeroNet => (Value & 0xFF000000) == 0 && Value != 0;
    public bool IsLoopback => (Value & 0xFF000000) == 0x7F000000;

    public bool InPrefix(Ipv4Address network, int prefixLength) =>
        prefixLength == 0 || ((Value ^ network.Value) & Mask(prefixLength)) == 0;

    public static uint Mask(int prefixLength) =>
        // not a limit: mask arithmetic, of the host's setup
        prefixLength <= 0 ? 0u : prefixLength >= 32 ? 0xFFFFFFFFu : 0xFFFFFFFFu << (32 - prefixLength);

    /// <summary>Writes the address in network byte order.</summary>
    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, Value);

    /// <summary>The four bytes in network order.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[4];
        Write(bytes);
        return bytes;
    }

    public static Ipv4Address Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt32BigEndian(source));

    public static Ipv4Address Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"not an IPv4 address: '{text}'");

    public static bool TryParse(string? text, out Ipv4Address address)
    {
        address = default;
        if (text is null) return false;
        var parts = text.Split('.');
        if (parts.Length != 4) return false;
        uint value = 0;
        foreach (var part in parts)
        {
            // not a limit: dotted-quad text as case files write it, not a call's value
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit)) return false;
            if (!uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var octet) || octet > 255) return false;
            value = (value << 8) | octet;
        }
        address = new Ipv4Address(value);
        return true;
    }

    public int CompareTo(Ipv4Address other) => Value.CompareTo(other.Value);

    public override string ToString() =>
        $"{Value >> 24}.{(Value >> 16) & 0xFF}.{(Value >> 8) & 0xFF}.{Value & 0xFF}";
}
