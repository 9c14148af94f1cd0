using System.Buffers.Binary;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using static Udpconf.Reference.Api.SocketOption;
using static Udpconf.Suite.Cases.Words;

namespace Udpconf.Suite.Cases;

/// <summary>msg_control of sendmsg: <c>cmsg</c> words (pktinfo, ttl, tos, retopts, raw) and <c>control hex:…</c>;
/// read and written.</summary>
internal static class ControlWords
{
    /// <summary>pktinfo IFINDEX SPEC_DST | ttl N | tos N [byte] | retopts hex:… | raw LEVEL TYPE hex:… [cmsglen N].</summary>
    public static byte[] ReadMessage(LineReader reader)
    {
        var kind = reader.Next("a control message kind");
        switch (kind.Text)
        {
            case "pktinfo":
                var index = reader.Int("an interface index");
                return ControlMessages.Encode((SolIp, IpPktInfo, ControlMessages.PktInfo(index, reader.Address("a source address"))));
            case "ttl":
                return ControlMessages.Encode((SolIp, IpTtl, ControlMessages.Int(reader.Int("a TTL"))));
            case "tos":
                var tosToken = reader.Peek;
                var tos = reader.Int("a TOS");
                if (reader.Peek?.Text == "byte" && tos is < 0 or > 255)
                    throw new CaseSyntaxException(tosToken!.Value.Column, $"a one-byte TOS must be 0 to 255: {tosToken.Value.Text}");
                return reader.TryTake("byte")
                    ? ControlMessages.Encode((SolIp, IpTos, [(byte)tos]))
                    : ControlMessages.Encode((SolIp, IpTos, ControlMessages.Int(tos)));
            case "retopts":
                return ControlMessages.Encode((SolIp, IpRetOpts, LineReader.Hex(reader.Next("hex:…"))));
            case "raw":
            {
                var level = reader.Int("a level");
                var type = reader.Int("a type");
                var data = LineReader.Hex(reader.Next("hex:…"));
                var encoded = ControlMessages.Encode((level, type, data));
                if (reader.TryTake("cmsglen")) ControlMessages.WriteHeader(encoded, reader.Long("a cmsg_len"), level, type);
                return encoded;
            }
            default:
                throw new CaseSyntaxException(kind.Column, $"unknown control message '{kind.Text}' (pktinfo, ttl, tos, retopts, raw)");
        }
    }

    /// <summary>msg_control as cmsg words where they encode to the same bytes, then control hex: for the rest.</summary>
    public static IEnumerable<string> Write(ReadOnlySpan<byte> control)
    {
        var words = new List<string>();
        var offset = 0;
        while (control.Length - offset >= ControlMessages.HeaderLength)
        {
            var rest = control[offset..];
            var cmsgLen = BinaryPrimitives.ReadInt64LittleEndian(rest);
            var level = BinaryPrimitives.ReadInt32LittleEndian(rest[8..]);
            var type = BinaryPrimitives.ReadInt32LittleEndian(rest[12..]);
            if (cmsgLen >= ControlMessages.HeaderLength && cmsgLen <= rest.Length)
            {
                var space = ControlMessages.Align(cmsgLen);
                if (space > rest.Length) break; // the last message without its padding: control hex:
                var data = rest[ControlMessages.HeaderLength..(int)cmsgLen];
                if (IsZero(rest[(int)cmsgLen..space]))
                    words.Add("cmsg " + (KnownMessage(level, type, data) ?? $"raw {Num(level)} {Num(type)} {Hex(data)}"));
                else // nonzero padding: a raw message whose data runs over the padding, with its cmsg_len
                    words.Add($"cmsg raw {Num(level)} {Num(type)} {Hex(rest[ControlMessages.HeaderLength..space])} cmsglen {Num(cmsgLen)}");
                offset += space;
                continue;
            }
            // A malformed cmsg_len: one raw message with that cmsg_len, over whole 8-byte units up to where the
            // rest reads as well-formed messages (else up to the end), its data trimmed of zero 4-byte groups.
            var chunk = ControlMessages.HeaderLength;
            while (chunk + 8 <= rest.Length && !IsWellFormed(rest[chunk..])) chunk += 8;
            var room = chunk - ControlMessages.HeaderLength;
            var length = room;
            while (length >= 4 && ControlMessages.Align(length - 4) == room && IsZero(rest.Slice(ControlMessages.HeaderLength + length - 4, 4))) length -= 4;
            words.Add($"cmsg raw {Num(level)} {Num(type)} {Hex(rest.Slice(ControlMessages.HeaderLength, length))} cmsglen {Num(cmsgLen)}");
            offset += chunk;
        }
        if (offset < control.Length) words.Add("control " + Hex(control[offset..]));
        return words;
    }

    /// <summary>The bytes are well-formed messages with zero padding, then fewer than 8 bytes (written as control
    /// hex:), or nothing.</summary>
    private static bool IsWellFormed(ReadOnlySpan<byte> control)
    {
        while (control.Length >= 8)
        {
            if (control.Length < ControlMessages.HeaderLength) return false;
            var cmsgLen = BinaryPrimitives.ReadInt64LittleEndian(control);
            if (cmsgLen < ControlMessages.HeaderLength || cmsgLen > control.Length) return false;
            var space = ControlMessages.Align(cmsgLen);
            if (space > control.Length || !IsZero(control[(int)cmsgLen..space])) return false;
            control = control[space..];
        }
        return true;
    }

    /// <summary>The words after <c>cmsg</c> of a message <see cref="ReadMessage"/> reads back as itself; null for raw.</summary>
    private static string? KnownMessage(int level, int type, ReadOnlySpan<byte> data)
    {
        if (level != SolIp) return null;
        return (type, data.Length) switch
        {
            (IpPktInfo, 12) when IsZero(data[8..]) => $"pktinfo {Num(BinaryPrimitives.ReadInt32LittleEndian(data))} {Ipv4Address.Read(data[4..])}",
            (IpTtl, 4) => $"ttl {Num(BinaryPrimitives.ReadInt32LittleEndian(data))}",
            (IpTos, 4) => $"tos {Num(BinaryPrimitives.ReadInt32LittleEndian(data))}",
            (IpTos, 1) => $"tos {data[0]} byte",
            (IpRetOpts, _) => $"retopts {Hex(data)}",
            _ => null,
        };
    }
}
