using System.Globalization;
using System.Text;
using Udpconf.Reference.Api;
using static Udpconf.Suite.Cases.Words;

namespace Udpconf.Suite.Cases;

/// <summary><c>sendto FD DATA [to ADDRESS] [flags F] [readable N]</c>, <c>sendmsg FD iov DATA,… [to ADDRESS]
/// [namelen N] [cmsg …] [control hex:…] [controllen N] [flags F]</c> and <c>sendmmsg FD [msg iov …]… [vlen N]
/// [flags F]</c>, with their flags (MORE|PROBE|…|0x…); read and written.</summary>
internal static class SendLines
{
    public static readonly IReadOnlyDictionary<string, MsgFlags> FlagNames = new Dictionary<string, MsgFlags>
    {
        ["MORE"] = MsgFlags.More, ["PROBE"] = MsgFlags.Probe, ["CONFIRM"] = MsgFlags.Confirm, ["DONTROUTE"] = MsgFlags.DontRoute,
        ["DONTWAIT"] = MsgFlags.DontWait, ["OOB"] = MsgFlags.Oob, ["NOSIGNAL"] = MsgFlags.NoSignal,
        ["ZEROCOPY"] = MsgFlags.Zerocopy,
    };

    private static readonly string[] FlagOrder = ["MORE", "PROBE", "CONFIRM", "DONTROUTE", "DONTWAIT", "OOB", "NOSIGNAL", "ZEROCOPY"];

    private static MsgFlags ReadFlags(LineReader reader)
    {
        var token = reader.Next("flags (MORE|PROBE|…)");
        var flags = MsgFlags.None;
        var column = token.Column;
        foreach (var part in token.Text.Split('|'))
        {
            if (FlagNames.TryGetValue(part, out var flag)) flags |= flag;
            else if (part.StartsWith("0x") && uint.TryParse(part[2..], NumberStyles.HexNumber, null, out var bits)) flags |= (MsgFlags)bits;
            else throw new CaseSyntaxException(column, $"unknown flag '{part}' ({string.Join(", ", FlagNames.Keys)}, or 0x…)");
            column += part.Length + 1;
        }
        return flags;
    }

    private static string WriteFlags(MsgFlags flags)
    {
        var words = new List<string>();
        foreach (var name in FlagOrder)
        {
            var flag = FlagNames[name];
            if ((flags & flag) == 0) continue;
            words.Add(name);
            flags &= ~flag;
        }
        if (flags != 0) words.Add("0x" + ((uint)flags).ToString("x", CultureInfo.InvariantCulture));
        return string.Join('|', words);
    }

    public static Operation ReadSendTo(LineReader reader, DataBudget budget)
    {
        var fd = FdWords.Read(reader);
        var data = DataWords.Read(reader.Next("data"), budget);
        UserBuffer? address = null;
        var addressLength = 0;
        var flags = MsgFlags.None;
        while (!reader.AtEnd)
        {
            var word = reader.Next("to, flags or readable");
            switch (word.Text)
            {
                case "to": (address, addressLength) = AddressWords.Read(reader); break;
                case "flags": flags = ReadFlags(reader); break;
                case "readable":
                    var readable = reader.Int("a readable length");
                    data = new UserBuffer(data.Readable[..Math.Clamp(readable, 0, data.Readable.Length)], data.Length);
                    break;
                default: throw new CaseSyntaxException(word.Column, $"unexpected '{word.Text}' (to, flags, readable)");
            }
        }
        return new SendToOp(fd, data, flags, address, addressLength);
    }

    public static string WriteSendTo(SendToOp op)
    {
        var line = new StringBuilder($"sendto {FdWords.Write(op.Fd, op)} ");
        CheckLength(op.Data, "the data", op);
        string? readable = null;
        if (DataWords.WriteWhole(op.Data) is { } whole) line.Append(whole);
        else
        {
            line.Append(DataWords.WritePrefix(op.Data.Readable.Span, op.Data.Length));
            readable = $" readable {op.Data.Readable.Length}";
        }
        if (op.Address is not null || op.AddressLength != 0) line.Append(" to ").Append(AddressWords.WriteFixed(op.Address, op.AddressLength, op));
        if (op.Flags != MsgFlags.None) line.Append(" flags ").Append(WriteFlags(op.Flags));
        line.Append(readable);
        return line.ToString();
    }

    public static Operation ReadSendMsg(LineReader reader, DataBudget data)
    {
        var fd = FdWords.Read(reader);
        var flags = MsgFlags.None;
        var header = ReadHeader(reader, data, word =>
        {
            if (word.Text != "flags") return false;
            reader.Next("flags");
            flags = ReadFlags(reader);
            return true;
        }, "flags");
        return new SendMsgOp(fd, header.Name, header.NameLength, header.Iov, header.Control, header.ControlLength, flags);
    }

    /// <summary><c>iov DATA,… [to ADDRESS] [namelen N] [cmsg …]… [control hex:…] [controllen N]</c>: a msghdr, up to
    /// the end of the line or a word that is not one of its own; <paramref name="other"/> is offered every such word
    /// (true: it took it) and <paramref name="others"/> names them for the diagnostic; the header ends before
    /// <paramref name="stopAt"/> (the next entry of a sendmmsg).</summary>
    private static MmsgEntry ReadHeader(LineReader reader, DataBudget data, Func<Token, bool> other, string others, string? stopAt = null)
    {
        if (!reader.TryTake("iov")) throw new CaseSyntaxException(reader.Column, "expected 'iov' and the data blocks");
        var blocksToken = reader.Next("data blocks");
        var iov = new List<UserBuffer>();
        if (blocksToken.Text != "none")
            foreach (var part in LineReader.List(blocksToken, CaseLimits.IovEntries,
                         $"more than {CaseLimits.IovEntries} gather-list entries (the limit: the kernel's UIO_MAXIOV {CaseLimits.UioMaxIov}, and one more to see its EMSGSIZE)"))
                iov.Add(ReadIovEntry(part, data));
        UserBuffer? name = null;
        var nameLength = 0;
        var control = new List<byte>();
        long? controlLength = null;
        while (!reader.AtEnd && reader.Peek!.Value.Text != stopAt)
        {
            switch (reader.Peek!.Value.Text)
            {
                case "to": reader.Next("to"); (name, nameLength) = AddressWords.Read(reader); break;
                case "namelen": reader.Next("namelen"); nameLength = reader.Int("a name length"); break;
                case "cmsg": reader.Next("cmsg"); control.AddRange(ControlWords.ReadMessage(reader)); break;
                case "control": reader.Next("control"); control.AddRange(LineReader.Hex(reader.Next("hex:…"))); break;
                case "controllen": reader.Next("controllen"); controlLength = reader.Long("a control length"); break;
                default:
                    var word = reader.Peek!.Value;
                    if (other(word)) break;
                    throw new CaseSyntaxException(word.Column, $"unexpected '{word.Text}' (to, namelen, cmsg, control, controllen, {others})");
            }
        }
        var bytes = control.ToArray();
        return new MmsgEntry(name, nameLength, iov, bytes.Length == 0 && controlLength is null ? null : UserBuffer.Of(bytes), controlLength ?? bytes.Length);
    }

    /// <summary><c>sendmmsg FD [msg iov … [to …] [namelen N] [cmsg …] [control hex:…] [controllen N]]… [vlen N]
    /// [flags F]</c>: each <c>msg</c> starts an entry of the vector; vlen defaults to the number of entries.</summary>
    public static Operation ReadSendMmsg(LineReader reader, DataBudget data)
    {
        var fd = FdWords.Read(reader);
        var messages = new List<MmsgEntry>();
        var flags = MsgFlags.None;
        long? vlen = null;
        bool CallWord(Token word)
        {
            switch (word.Text)
            {
                case "flags": reader.Next("flags"); flags = ReadFlags(reader); return true;
                case "vlen":
                    reader.Next("vlen");
                    var token = reader.Next("a vector length");
                    var value = LineReader.ParseLong(token, "a vector length");
                    if (value is < 0 or > uint.MaxValue) throw new CaseSyntaxException(token.Column, $"a vector length must be 0 to {uint.MaxValue} (an unsigned int): {token.Text}");
                    vlen = value;
                    return true;
                case "msg":
                    var at = reader.Next("msg");
                    if (messages.Count == CaseLimits.MmsgEntries)
                        throw new CaseSyntaxException(at.Column, $"more than {CaseLimits.MmsgEntries} messages (the limit: the kernel sends at most UIO_MAXIOV {CaseLimits.UioMaxIov} of them, and one more to see it unsent)");
                    messages.Add(ReadHeader(reader, data, CallWord, "msg, vlen, flags", stopAt: "msg"));
                    return true;
                default: return false;
            }
        }
        while (!reader.AtEnd)
        {
            var word = reader.Peek!.Value;
            if (!CallWord(word)) throw new CaseSyntaxException(word.Column, $"unexpected '{word.Text}' (msg, vlen, flags)");
        }
        return new SendMmsgOp(fd, messages, (uint)(vlen ?? messages.Count), flags);
    }

    public static string WriteSendMmsg(SendMmsgOp op)
    {
        var line = new StringBuilder($"sendmmsg {FdWords.Write(op.Fd, op)}");
        if (op.Messages.Count > CaseLimits.MmsgEntries)
            throw Unsupported(op, $"{op.Messages.Count} messages: a case holds at most {CaseLimits.MmsgEntries}");
        foreach (var entry in op.Messages) line.Append(" msg ").Append(WriteHeader(entry, op));
        if (op.Vlen != op.Messages.Count) line.Append(" vlen ").Append(Num(op.Vlen));
        if (op.Flags != MsgFlags.None) line.Append(" flags ").Append(WriteFlags(op.Flags));
        return line.ToString();
    }

    public static string WriteSendMsg(SendMsgOp op)
    {
        var line = new StringBuilder($"sendmsg {FdWords.Write(op.Fd, op)} ");
        line.Append(WriteHeader(new MmsgEntry(op.Name, op.NameLength, op.Iov, op.Control, op.ControlLength), op));
        if (op.Flags != MsgFlags.None) line.Append(" flags ").Append(WriteFlags(op.Flags));
        return line.ToString();
    }

    /// <summary>A msghdr's words, from <c>iov</c> on (<paramref name="context"/> is the operation, for messages).</summary>
    private static string WriteHeader(MmsgEntry op, Operation context)
    {
        var line = new StringBuilder("iov ");
        if (op.Iov.Count > CaseLimits.IovEntries)
            throw Unsupported(context, $"{op.Iov.Count} gather-list entries: a case holds at most {CaseLimits.IovEntries}");
        line.Append(op.Iov.Count == 0 ? "none" : string.Join(',', op.Iov.Select((block, i) => IovBlock(block, i, context))));

        if (op.Name is null)
        {
            if (op.NameLength != 0) line.Append(" namelen ").Append(Num(op.NameLength));
        }
        else if (AddressWords.Write(op.Name, op.NameLength) is { } padded) line.Append(" to ").Append(padded);
        else
        {
            // The bytes as they are (no padding to msg_namelen), then msg_namelen.
            var exact = AddressWords.Write(op.Name, checked((int)op.Name.Length)) ?? throw Unsupported(context, AddressWords.Problem(op.Name, op.NameLength));
            line.Append(" to ").Append(exact).Append(" namelen ").Append(Num(op.NameLength));
        }

        if (op.Control is null)
        {
            if (op.ControlLength != 0)
                throw Unsupported(context, $"msg_control is NULL with msg_controllen {op.ControlLength}; a case gives 'controllen N' only with a control buffer (an empty one if no bytes)");
        }
        else
        {
            CheckLength(op.Control, "msg_control", context);
            if (!op.Control.FullyReadable)
                throw Unsupported(context, $"msg_control is partly or wholly unreadable ({op.Control.Readable.Length} of {op.Control.Length} bytes); a case's control bytes are all readable");
            var bytes = op.Control.Readable.Span;
            foreach (var part in ControlWords.Write(bytes)) line.Append(' ').Append(part);
            if (bytes.Length == 0 || op.ControlLength != bytes.Length) line.Append(" controllen ").Append(Num(op.ControlLength));
        }
        return line.ToString();
    }

    /// <summary>An iov entry: DATA, or <c>len=N/base=null|unreadable|DATA</c>: iov_len N (a size_t: 0 to
    /// 18446744073709551615, or negative as ssize_t, -1 being 2^64-1) at a NULL base, at an unreadable one, or at DATA's
    /// bytes followed by unreadable memory up to N.</summary>
    private static UserBuffer ReadIovEntry(Token part, DataBudget data)
    {
        if (!part.Text.StartsWith("len=")) return DataWords.Read(part, data);
        var slash = part.Text.IndexOf('/');
        if (slash < 0) throw new CaseSyntaxException(part.Column + part.Text.Length, "an entry 'len=N' needs its base: '/base=null', '/base=unreadable' or '/base=DATA'");
        var lengthToken = new Token(part.Text[4..slash], part.Column + 4);
        var length = ReadSizeT(lengthToken);
        var rest = part.Text[(slash + 1)..];
        var restColumn = part.Column + slash + 1;
        if (!rest.StartsWith("base=")) throw new CaseSyntaxException(restColumn, $"expected 'base=null', 'base=unreadable' or 'base=DATA' after 'len={lengthToken.Text}/', found '{rest}'");
        var baseToken = new Token(rest[5..], restColumn + 5);
        switch (baseToken.Text)
        {
            case "null": return UserBuffer.Null(length);
            case "unreadable": return UserBuffer.Unreadable(length);
            case "": throw new CaseSyntaxException(baseToken.Column, "expected a base after 'base=' (null, unreadable or DATA)");
        }
        var bytes = DataWords.Read(baseToken, data);
        if (!bytes.FullyReadable) throw new CaseSyntaxException(baseToken.Column, $"a base of DATA is readable bytes ('{baseToken.Text}' is not); 'base=unreadable' is an unreadable one");
        if ((ulong)length < (ulong)bytes.Length)
            throw new CaseSyntaxException(lengthToken.Column, $"len={lengthToken.Text} is shorter than the {bytes.Length} bytes of its base (give only the bytes the entry covers)");
        return new UserBuffer(bytes.Readable, length);
    }

    /// <summary>A size_t as a case writes it: 0 to 18446744073709551615, or -9223372036854775808 to -1 (its ssize_t
    /// reading); the bits in a long.</summary>
    private static long ReadSizeT(Token token)
    {
        if (token.Text.StartsWith('-') && long.TryParse(token.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var signed)) return signed;
        if (!token.Text.StartsWith('-') && ulong.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var unsigned)) return unchecked((long)unsigned);
        throw new CaseSyntaxException(token.Column, $"expected an iov length (0 to 18446744073709551615, or -9223372036854775808 to -1 as ssize_t), found '{token.Text}'");
    }

    /// <summary>An iov entry that only <c>len=N/base=…</c> says: a NULL base, a length negative as ssize_t, a partly
    /// readable one, or an unreadable one beyond what <c>N!</c> says.</summary>
    public static bool NeedsExplicitLength(UserBuffer block) =>
        block.NullBase || block.Length < 0 || block.Readable.Length > block.Length || DataWords.WriteWhole(block) is null;

    private static string IovBlock(UserBuffer block, int index, Operation op)
    {
        if (!NeedsExplicitLength(block)) return DataWords.WriteWhole(block)!;
        var length = Num(block.Length); // a size_t of 2^63 or more as its negative ssize_t reading
        if (block.NullBase) return $"len={length}/base=null";
        if (block.Readable.Length == 0) return $"len={length}/base=unreadable";
        if (block.Length >= 0 && block.Readable.Length > block.Length)
            throw Unsupported(op, $"iov block {index + 1} has {block.Readable.Length} readable bytes of a length of {block.Length}");
        return $"len={length}/base={DataWords.Write(block.Readable.Span, allowText: true)}";
    }
}
