using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Suite.Cases;

/// <summary>The operation lines of a case's steps: section (grammar in Conformance/CASES.md).</summary>
internal static class OperationParser
{
    public static readonly IReadOnlyDictionary<string, (int Level, int Name)> Options = new Dictionary<string, (int, int)>
    {
        ["UDP_CORK"] = (SolUdp, UdpCork),
        ["IP_TOS"] = (SolIp, IpTos), ["IP_TTL"] = (SolIp, IpTtl), ["IP_OPTIONS"] = (SolIp, IpOptions),
        ["IP_MTU_DISCOVER"] = (SolIp, IpMtuDiscover), ["IP_RECVERR"] = (SolIp, IpRecvErr), ["IP_MTU"] = (SolIp, IpMtu),
        ["IP_MULTICAST_IF"] = (SolIp, IpMulticastIf), ["IP_MULTICAST_TTL"] = (SolIp, IpMulticastTtl),
        ["SO_BROADCAST"] = (SolSocket, SoBroadcast), ["SO_NO_CHECK"] = (SolSocket, SoNoCheck),
        ["SO_DONTROUTE"] = (SolSocket, SoDontRoute), ["SO_SNDBUF"] = (SolSocket, SoSndbuf),
    };

    public static readonly IReadOnlyDictionary<string, MsgFlags> FlagNames = new Dictionary<string, MsgFlags>
    {
        ["MORE"] = MsgFlags.More, ["PROBE"] = MsgFlags.Probe, ["CONFIRM"] = MsgFlags.Confirm, ["DONTROUTE"] = MsgFlags.DontRoute,
        ["DONTWAIT"] = MsgFlags.DontWait, ["OOB"] = MsgFlags.Oob, ["NOSIGNAL"] = MsgFlags.NoSignal,
    };

    public static Operation Parse(LineReader reader, DataBudget data)
    {
        var verb = reader.Next("an operation");
        Operation operation = verb.Text switch
        {
            "socket" => Socket(reader),
            "open" => new OpenFileOp(reader.Next("a name").Text),
            "bind" => Address(reader, (fd, buffer, length) => new BindOp(fd, buffer, length)),
            "connect" => Address(reader, (fd, buffer, length) => new ConnectOp(fd, buffer, length)),
            "setsockopt" => SetOption(reader),
            "getsockopt" => GetOption(reader),
            "nonblock" => new SetNonblockOp(Fd(reader), OnOff(reader)),
            "sendto" => SendTo(reader, data),
            "sendmsg" => SendMsg(reader, data),
            "close" => new CloseOp(Fd(reader)),
            "link" => HostChange(reader),
            _ => throw new CaseSyntaxException(verb.Column, $"unknown operation '{verb.Text}' (socket, open, bind, connect, setsockopt, getsockopt, nonblock, sendto, sendmsg, close, link)"),
        };
        reader.ExpectEnd();
        return operation;
    }

    private static Operation Socket(LineReader reader)
    {
        var name = reader.Next("a socket name").Text;
        int domain = AddressFamily.Inet, type = SocketType.Dgram, protocol = 0;
        while (!reader.AtEnd)
        {
            var word = reader.Next("a socket attribute");
            switch (word.Text)
            {
                case "inet6": domain = AddressFamily.Inet6; break;
                case "nonblock": type |= SocketType.NonblockFlag; break;
                case "domain": domain = reader.Int("a domain"); break;
                case "type": type = reader.Int("a type"); break;
                case "protocol": protocol = reader.Int("a protocol"); break;
                default: throw new CaseSyntaxException(word.Column, $"unknown socket attribute '{word.Text}' (inet6, nonblock, domain, type, protocol)");
            }
        }
        return new SocketOp(name, domain, type, protocol);
    }

    private static Fd Fd(LineReader reader)
    {
        var token = reader.Next("a descriptor (a name or #number)");
        return token.Text.StartsWith('#')
            ? Udpconf.Reference.Api.Fd.Raw(LineReader.ParseInt(token with { Text = token.Text[1..], Column = token.Column + 1 }, "a descriptor number"))
            : Udpconf.Reference.Api.Fd.Named(token.Text);
    }

    private static bool OnOff(LineReader reader)
    {
        var token = reader.Next("on or off");
        return token.Text switch
        {
            "on" => true,
            "off" => false,
            _ => throw new CaseSyntaxException(token.Column, $"expected on or off, found '{token.Text}'"),
        };
    }

    private static Operation Address(LineReader reader, Func<Fd, UserBuffer?, int, Operation> make)
    {
        var fd = Fd(reader);
        var (buffer, length) = SocketAddress(reader);
        return make(fd, buffer, length);
    }

    /// <summary>a.b.c.d:port, mapped a.b.c.d:port, in6 hex:…:port, unspec, null or hex:…; then addrlen N, family N,
    /// addr-unreadable.</summary>
    public static (UserBuffer? Buffer, int Length) SocketAddress(LineReader reader)
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
        var padded = new byte[Math.Max(bytes.Length, Math.Clamp(length, 0, 256))];
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

    private static ushort Port(Token token)
    {
        var value = LineReader.ParseLong(token, "a port");
        if (value is < 0 or > 65535) throw new CaseSyntaxException(token.Column, $"port out of range: {token.Text}");
        return (ushort)value;
    }

    private static (int Level, int Name) Option(LineReader reader)
    {
        var token = reader.Next("an option (UDP_CORK, IP_TTL, ... or level/name)");
        if (Options.TryGetValue(token.Text, out var known)) return known;
        var slash = token.Text.IndexOf('/');
        if (slash > 0 && int.TryParse(token.Text[..slash], out var level) && int.TryParse(token.Text[(slash + 1)..], out var name)) return (level, name);
        throw new CaseSyntaxException(token.Column, $"unknown option '{token.Text}' ({string.Join(", ", Options.Keys)}, or level/name)");
    }

    private static Operation SetOption(LineReader reader)
    {
        var fd = Fd(reader);
        var (level, name) = Option(reader);
        var token = reader.Next("a value");
        byte[]? value;
        if (token.Text == "null") value = null;
        else if (token.Text.StartsWith("hex:")) value = LineReader.Hex(token);
        else if (HostBuilder.PmtuModes.TryGetValue(token.Text, out var mode)) value = BitConverter.GetBytes(mode);
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

    private static Operation GetOption(LineReader reader)
    {
        var fd = Fd(reader);
        var (level, name) = Option(reader);
        var length = reader.TryTake("len") ? reader.Int("an option length") : 4;
        return new GetSockOptOp(fd, level, name, length);
    }

    /// <summary>N (N bytes counting 0, 1, 2, …), N*xx (N bytes of xx), hex:…, "text" (UTF-8, with the escapes \" \\ \n
    /// \t \xHH), N! (N unreadable bytes).</summary>
    public static UserBuffer Data(Token token) => Data(token, new DataBudget());

    /// <summary>Checks a DATA word without building its bytes.</summary>
    public static void CheckData(Token token) => Data(token, DataBudget.CheckOnly());

    internal static UserBuffer Data(Token token, DataBudget data)
    {
        var text = token.Text;
        if (text.StartsWith('"')) return UserBuffer.Of(data.Held(LineReader.QuotedBytes(token), token.Column));
        if (text.StartsWith("hex:")) return UserBuffer.Of(data.Held(LineReader.Hex(token), token.Column));
        if (text.EndsWith('!')) return UserBuffer.Unreadable(Length(token with { Text = text[..^1] }));
        var star = text.IndexOf('*');
        if (star > 0)
        {
            var count = Length(token with { Text = text[..star] });
            var fill = LineReader.Hex(token with { Text = text[(star + 1)..], Column = token.Column + star + 1 });
            if (fill.Length != 1) throw new CaseSyntaxException(token.Column + star + 1, "N*xx repeats one byte xx");
            return new UserBuffer(data.Fill(fill[0], (int)count, token.Column), count);
        }
        var length = Length(token);
        return new UserBuffer(data.Pattern((int)length), length);
    }

    private static long Length(Token token)
    {
        var value = LineReader.ParseLong(token, "a length");
        if (value is < 0 or > CaseLimits.DataLength) throw new CaseSyntaxException(token.Column, $"data length must be 0 to {CaseLimits.DataLength} (1 MiB, the limit): {token.Text}");
        return value;
    }

    private static MsgFlags Flags(LineReader reader)
    {
        var token = reader.Next("flags (MORE|PROBE|…)");
        var flags = MsgFlags.None;
        var column = token.Column;
        foreach (var part in token.Text.Split('|'))
        {
            if (FlagNames.TryGetValue(part, out var flag)) flags |= flag;
            else if (part.StartsWith("0x") && uint.TryParse(part[2..], System.Globalization.NumberStyles.HexNumber, null, out var bits)) flags |= (MsgFlags)bits;
            else throw new CaseSyntaxException(column, $"unknown flag '{part}' ({string.Join(", ", FlagNames.Keys)}, or 0x…)");
            column += part.Length + 1;
        }
        return flags;
    }

    private static Operation SendTo(LineReader reader, DataBudget budget)
    {
        var fd = Fd(reader);
        var data = Data(reader.Next("data"), budget);
        UserBuffer? address = null;
        var addressLength = 0;
        var flags = MsgFlags.None;
        while (!reader.AtEnd)
        {
            var word = reader.Next("to, flags or readable");
            switch (word.Text)
            {
                case "to": (address, addressLength) = SocketAddress(reader); break;
                case "flags": flags = Flags(reader); break;
                case "readable":
                    var readable = reader.Int("a readable length");
                    data = new UserBuffer(data.Readable[..Math.Clamp(readable, 0, data.Readable.Length)], data.Length);
                    break;
                default: throw new CaseSyntaxException(word.Column, $"unexpected '{word.Text}' (to, flags, readable)");
            }
        }
        return new SendToOp(fd, data, flags, address, addressLength);
    }

    private static Operation SendMsg(LineReader reader, DataBudget data)
    {
        var fd = Fd(reader);
        if (!reader.TryTake("iov")) throw new CaseSyntaxException(reader.Column, "expected 'iov' and the data blocks");
        var blocksToken = reader.Next("data blocks");
        var iov = new List<UserBuffer>();
        if (blocksToken.Text != "none")
            foreach (var part in LineReader.List(blocksToken, CaseLimits.IovEntries,
                         $"more than {CaseLimits.IovEntries} gather-list entries (the limit: the kernel's UIO_MAXIOV {CaseLimits.UioMaxIov}, and one more to see its EMSGSIZE)"))
                iov.Add(Data(part, data));
        UserBuffer? name = null;
        var nameLength = 0;
        var flags = MsgFlags.None;
        var control = new List<byte>();
        long? controlLength = null;
        while (!reader.AtEnd)
        {
            var word = reader.Next("to, namelen, cmsg, control, controllen or flags");
            switch (word.Text)
            {
                case "to": (name, nameLength) = SocketAddress(reader); break;
                case "namelen": nameLength = reader.Int("a name length"); break;
                case "flags": flags = Flags(reader); break;
                case "cmsg": control.AddRange(ControlMessage(reader)); break;
                case "control": control.AddRange(LineReader.Hex(reader.Next("hex:…"))); break;
                case "controllen": controlLength = reader.Long("a control length"); break;
                default: throw new CaseSyntaxException(word.Column, $"unexpected '{word.Text}' (to, namelen, cmsg, control, controllen, flags)");
            }
        }
        var bytes = control.ToArray();
        return new SendMsgOp(fd, name, nameLength, iov, bytes.Length == 0 && controlLength is null ? null : UserBuffer.Of(bytes),
            controlLength ?? bytes.Length, flags);
    }

    /// <summary>pktinfo IFINDEX SPEC_DST | ttl N | tos N [byte] | retopts hex:… | raw LEVEL TYPE hex:… [cmsglen N].</summary>
    private static byte[] ControlMessage(LineReader reader)
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

    private static Operation HostChange(LineReader reader)
    {
        var name = reader.Next("a link name").Text;
        var word = reader.Next("mtu N, up or down");
        return word.Text switch
        {
            "mtu" => new HostChangeOp(name, Mtu: reader.Int("an MTU")),
            "up" => new HostChangeOp(name, Up: true),
            "down" => new HostChangeOp(name, Up: false),
            _ => throw new CaseSyntaxException(word.Column, $"expected mtu N, up or down, found '{word.Text}'"),
        };
    }
}
