using System.Text;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using static Udpconf.Reference.Api.SocketOption;
using static Udpconf.Suite.Cases.Words;

namespace Udpconf.Suite.Cases;

/// <summary><c>setsockopt FD OPTION VALUE [unreadable] [len N]</c> and <c>getsockopt FD OPTION [len N]</c>, with the
/// option names (UDP_CORK, IP_TTL, … or LEVEL/NAME) and values (a PMTU mode, an address, an integer, hex:… or null);
/// read and written.</summary>
internal static class OptionLines
{
    public static readonly IReadOnlyDictionary<string, (int Level, int Name)> Options = new Dictionary<string, (int, int)>
    {
        ["UDP_CORK"] = (SolUdp, UdpCork),
        ["IP_TOS"] = (SolIp, IpTos), ["IP_TTL"] = (SolIp, IpTtl), ["IP_OPTIONS"] = (SolIp, IpOptions),
        ["IP_MTU_DISCOVER"] = (SolIp, IpMtuDiscover), ["IP_RECVERR"] = (SolIp, IpRecvErr), ["IP_MTU"] = (SolIp, IpMtu),
        ["IP_MULTICAST_IF"] = (SolIp, IpMulticastIf), ["IP_MULTICAST_TTL"] = (SolIp, IpMulticastTtl),
        ["SO_BROADCAST"] = (SolSocket, SoBroadcast), ["SO_NO_CHECK"] = (SolSocket, SoNoCheck),
        ["SO_ZEROCOPY"] = (SolSocket, SoZerocopy),
        ["SO_DONTROUTE"] = (SolSocket, SoDontRoute), ["SO_SNDBUF"] = (SolSocket, SoSndbuf),
        // Current kernels' (catalog part 2).
        ["SO_ERROR"] = (SolSocket, SoError), ["SO_MARK"] = (SolSocket, SoMark), ["SO_BINDTODEVICE"] = (SolSocket, SoBindToDevice),
        ["SO_BINDTOIFINDEX"] = (SolSocket, SoBindToIfindex), ["IP_UNICAST_IF"] = (SolIp, IpUnicastIf),
        ["IP_MULTICAST_LOOP"] = (SolIp, IpMulticastLoop), ["IP_ADD_MEMBERSHIP"] = (SolIp, IpAddMembership),
        ["IP_DROP_MEMBERSHIP"] = (SolIp, IpDropMembership), ["IP_MULTICAST_ALL"] = (SolIp, IpMulticastAll),
        ["UDP_SEGMENT"] = (SolUdp, UdpSegment),
    };

    private static (int Level, int Name) ReadName(LineReader reader)
    {
        var token = reader.Next("an option (UDP_CORK, IP_TTL, ... or level/name)");
        if (Options.TryGetValue(token.Text, out var known)) return known;
        var slash = token.Text.IndexOf('/');
        if (slash > 0 && int.TryParse(token.Text[..slash], out var level) && int.TryParse(token.Text[(slash + 1)..], out var name)) return (level, name);
        throw new CaseSyntaxException(token.Column, $"unknown option '{token.Text}' ({string.Join(", ", Options.Keys)}, or level/name)");
    }

    private static string WriteName(int level, int name) =>
        Options.FirstOrDefault(o => o.Value == (level, name)).Key ?? $"{Num(level)}/{Num(name)}";

    public static Operation ReadSet(LineReader reader)
    {
        var fd = FdWords.Read(reader);
        var (level, name) = ReadName(reader);
        var token = reader.Next("a value");
        byte[]? value;
        if (token.Text == "null") value = null;
        else if (token.Text.StartsWith("hex:")) value = LineReader.Hex(token);
        else if (HostLines.PmtuModes.TryGetValue(token.Text, out var mode)) value = BitConverter.GetBytes(mode);
        else if (token.Text.Count(c => c == '.') == 3 && Ipv4Address.TryParse(token.Text, out var address)) value = address.ToBytes();
        else value = BitConverter.GetBytes(LineReader.ParseInt(token, "a value"));
        var length = value?.Length ?? 0;
        var unreadable = false;
        while (reader.Peek is { } next && next.Text is "len" or "unreadable")
        {
            reader.Next("a modifier");
            if (next.Text == "len") length = reader.Int("an option length");
            else unreadable = true;
        }
        var buffer = value is null ? null : unreadable ? UserBuffer.Unreadable(value.Length) : UserBuffer.Of(value);
        return new SetSockOptOp(fd, level, name, buffer, length);
    }

    public static string WriteSet(SetSockOptOp op)
    {
        var line = new StringBuilder($"setsockopt {FdWords.Write(op.Fd, op)} {WriteName(op.Level, op.OptName)} ");
        if (op.Value is null)
        {
            line.Append("null");
            if (op.OptLen != 0) line.Append(" len ").Append(Num(op.OptLen));
            return line.ToString();
        }
        var value = op.Value;
        CheckLength(value, "the option value", op);
        int valueLength;
        if (value.FullyReadable)
        {
            var bytes = value.Readable.Span;
            valueLength = bytes.Length;
            line.Append(WriteValue(op.Level, op.OptName, bytes));
        }
        else if (value.Readable.Length == 0)
        {
            valueLength = checked((int)value.Length);
            line.Append(Hex(new byte[valueLength])).Append(" unreadable");
        }
        else throw Unsupported(op, $"the option value is partly readable ({value.Readable.Length} of {value.Length} bytes); a case's option value is readable whole or not at all");
        if (op.OptLen != valueLength) line.Append(" len ").Append(Num(op.OptLen));
        return line.ToString();
    }

    /// <summary>4 bytes as the PMTU mode word (IP_MTU_DISCOVER), the address (IP_MULTICAST_IF) or the integer; other
    /// lengths as hex.</summary>
    private static string WriteValue(int level, int name, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 4) return Hex(bytes);
        var number = BitConverter.ToInt32(bytes);
        if ((level, name) == (SolIp, IpMtuDiscover) && HostLines.PmtuWord(number) is { } word) return word;
        if ((level, name) == (SolIp, IpMulticastIf)) return Ipv4Address.Read(bytes).ToString();
        return Num(number);
    }

    public static Operation ReadGet(LineReader reader)
    {
        var fd = FdWords.Read(reader);
        var (level, name) = ReadName(reader);
        var length = reader.TryTake("len") ? reader.Int("an option length") : 4;
        return new GetSockOptOp(fd, level, name, length);
    }

    public static string WriteGet(GetSockOptOp op) =>
        $"getsockopt {FdWords.Write(op.Fd, op)} {WriteName(op.Level, op.OptName)}" + (op.OptLen != 4 ? $" len {Num(op.OptLen)}" : "");
}
