using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using static Udpconf.Suite.Cases.Words;

namespace Udpconf.Suite.Cases;

/// <summary>Socket addresses: <c>A.B.C.D:PORT</c>, <c>mapped A.B.C.D:PORT</c>, <c>in6 hex:…:PORT</c>, <c>unspec</c>,
/// <c>null</c> or <c>hex:…</c>, then <c>addrlen N</c>, <c>family N</c>, <c>addr-unreadable</c>; read and written.</summary>
internal static class AddressWords
{
    /// <summary>The longest length argument to which the address bytes are padded.</summary>
    private const int MaxPaddedAddress = 256;

    /// <summary>a.b.c.d:port, mapped a.b.c.d:port, in6 hex:…:port, unspec, null or hex:…; then addrlen N, family N,
    /// addr-unreadable.</summary>
    public static (UserBuffer? Buffer, int Length) Read(LineReader reader)
    {
        var token = reader.Next("an address");
        byte[]? bytes;
        switch (token.Text)
        {
            case "null": bytes = null; break;
            case "unspec": bytes = SockAddr.In(Ipv4Address.Any, 0, AddressFamily.Unspec); break;
            case "mapped": bytes = Endpoint(reader.Next("a.b.c.d:port"), (a, p) => SockAddr.In6Mapped(a, p)); break;
            case "in6":
            {
                var endpoint = reader.Next("hex:<32 digits>:port");
                var colon = endpoint.Text.LastIndexOf(':');
                var address = colon > 0 ? LineReader.Hex(endpoint with { Text = endpoint.Text[..colon] }) : [];
                if (address.Length != 16) throw new CaseSyntaxException(endpoint.Column, "an IPv6 address is hex:<32 hex digits>:port");
                bytes = SockAddr.In6(address, Port(endpoint with { Text = endpoint.Text[(colon + 1)..], Column = endpoint.Column + colon + 1 }));
                break;
            }
            default:
                bytes = token.Text.StartsWith("hex:") ? LineReader.Hex(token) : Endpoint(token, (a, p) => SockAddr.In(a, p));
                break;
        }
        var length = bytes?.Length ?? 0;
        var unreadable = false;
        while (reader.Peek is { } next && next.Text is "addrlen" or "family" or "addr-unreadable")
        {
            reader.Next("a modifier");
            switch (next.Text)
            {
                case "addrlen": length = reader.Int("an address length"); break;
                case "family":
                    var family = reader.Int("a family", 0, 65535);
                    if (bytes is null || bytes.Length < 2) throw new CaseSyntaxException(next.Column, "family needs address bytes");
                    bytes[0] = (byte)family;
                    bytes[1] = (byte)(family >> 8);
                    break;
                default: unreadable = true; break;
            }
        }
        if (bytes is null) return (null, length);
        var padded = new byte[Math.Max(bytes.Length, Math.Clamp(length, 0, MaxPaddedAddress))];
        bytes.CopyTo(padded, 0);
        return (unreadable ? UserBuffer.Unreadable(padded.Length) : UserBuffer.Of(padded), length);
    }

    private static byte[] Endpoint(Token token, Func<Ipv4Address, ushort, byte[]> make)
    {
        var colon = token.Text.LastIndexOf(':');
        if (colon < 0 || !Ipv4Address.TryParse(token.Text[..colon], out var address))
            throw new CaseSyntaxException(token.Column, $"expected a.b.c.d:port, found '{token.Text}'");
        return make(address, Port(token with { Text = token.Text[(colon + 1)..], Column = token.Column + colon + 1 }));
    }

    /// <summary>A port number, 0 to 65535 (also of a host's drop rule).</summary>
    public static ushort Port(Token token)
    {
        var value = LineReader.ParseLong(token, "a port");
        if (value is < 0 or > 65535) throw new CaseSyntaxException(token.Column, $"port out of range: {token.Text}");
        return (ushort)value;
    }

    /// <summary>An address of bind, connect or sendto, whose length also pads the bytes.</summary>
    public static string WriteFixed(UserBuffer? buffer, int length, Operation op) =>
        Write(buffer, length) ?? throw Unsupported(op, Problem(buffer!, length));

    /// <summary>Why (<paramref name="buffer"/>, <paramref name="length"/>) has no words.</summary>
    public static string Problem(UserBuffer buffer, int length)
    {
        if (buffer.Readable.Length > buffer.Length || buffer.Length < 0) return $"the address buffer has {buffer.Readable.Length} readable bytes of {buffer.Length}";
        if (!buffer.FullyReadable && buffer.Readable.Length == 0 && buffer.Length > int.MaxValue)
            return $"the unreadable address buffer is {buffer.Length} bytes long";
        if (!buffer.FullyReadable && buffer.Readable.Length > 0)
            return $"the address is partly readable ({buffer.Readable.Length} of {buffer.Length} bytes); a case's address is readable whole or not at all (addr-unreadable)";
        return $"the address buffer ({buffer.Length} bytes) is shorter than its length {length}; a case pads the address bytes to the length (up to {MaxPaddedAddress})";
    }

    /// <summary>The words of an address that reads back as (<paramref name="buffer"/>, <paramref name="length"/>);
    /// null if there are none.</summary>
    public static string? Write(UserBuffer? buffer, int length)
    {
        if (buffer is null) return length == 0 ? "null" : $"null addrlen {Num(length)}";
        if (buffer.Length < 0 || buffer.Readable.Length > buffer.Length) return null;
        bool unreadable;
        byte[] content;
        if (buffer.FullyReadable) (content, unreadable) = (buffer.Readable.ToArray(), false);
        else if (buffer.Readable.Length == 0 && buffer.Length <= int.MaxValue) (content, unreadable) = (new byte[buffer.Length], true);
        else return null;

        // The parser pads the bytes of the form to the length (clamped to 0..256); the form must give the content.
        var padded = Math.Clamp(length, 0, MaxPaddedAddress);
        foreach (var (words, formLength) in Forms(content))
        {
            if (Math.Max(formLength, padded) != content.Length) continue;
            var text = words;
            if (length != formLength) text += $" addrlen {Num(length)}";
            if (unreadable) text += " addr-unreadable";
            return text;
        }
        return null;
    }

    /// <summary>The forms that give a prefix of <paramref name="content"/> followed only by zeros, most readable
    /// first, each with the number of bytes it gives.</summary>
    private static IEnumerable<(string Words, int Length)> Forms(byte[] content)
    {
        var family = SockAddr.Family(content);
        if (content.Length >= SockAddr.InLength && IsZero(content.AsSpan(SockAddr.InLength)))
        {
            if (IsZero(content.AsSpan(0, SockAddr.InLength))) yield return ("unspec", SockAddr.InLength);
            if (IsZero(content.AsSpan(8, 8)))
                yield return ($"{SockAddr.Address(content)}:{SockAddr.Port(content)}{FamilyModifier(family, AddressFamily.Inet)}", SockAddr.InLength);
        }
        if (content.Length >= SockAddr.In6Length && IsZero(content.AsSpan(SockAddr.In6Length)) &&
            IsZero(content.AsSpan(4, 4)) && IsZero(content.AsSpan(24, 4)))
        {
            if (SockAddr.MappedAddress(content) is { } mapped)
                yield return ($"mapped {mapped}:{SockAddr.Port(content)}{FamilyModifier(family, AddressFamily.Inet6)}", SockAddr.In6Length);
            else if (family == AddressFamily.Inet6)
                yield return ($"in6 {Hex(content.AsSpan(8, 16))}:{SockAddr.Port(content)}", SockAddr.In6Length);
        }
        var trimmed = content.AsSpan().TrimEnd((byte)0).Length;
        if (content.Length - trimmed >= 8) yield return (Hex(content.AsSpan(0, trimmed)), trimmed);
        yield return (Hex(content), content.Length);
    }

    private static string FamilyModifier(ushort family, int form) => family == form ? "" : $" family {family}";
}
