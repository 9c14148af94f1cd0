using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Suite.Cases;

/// <summary>
/// Writes a host, operations and expectation lines as the text of a case file (grammar in Conformance/CASES.md),
/// such that <see cref="CaseParser.Parse"/> of the text gives back the same host and the same operations, byte for
/// byte. Every value is written in the most readable form that reads back exactly: data as <c>N</c> (0, 1, 2, …),
/// <c>N*xx</c>, <c>"text"</c> (with \" \\ \n \t escaped; in iov lists too), <c>N!</c> or <c>hex:</c>; addresses as <c>A.B.C.D:PORT</c>, <c>mapped</c>, <c>in6</c>,
/// <c>unspec</c>, <c>null</c> or <c>hex:</c> with <c>addrlen</c>, <c>family</c> and <c>addr-unreadable</c> only where
/// needed; control messages as <c>cmsg</c> words where they re-encode to the same bytes, else <c>control hex:</c>.
/// </summary>
/// <remarks>
/// Shapes the case format cannot hold, for which the writer throws <see cref="NotSupportedException"/> (the message
/// names the operation and why):
/// <list type="bullet">
/// <item>a partly readable buffer (some readable bytes, then an unreadable tail) anywhere but in the data of
/// <c>sendto</c> (<c>readable N</c>): iov blocks, addresses, option values and msg_control are read whole or not at
/// all;</item>
/// <item>a buffer with more readable bytes than its length, or a negative length;</item>
/// <item>a bind/connect/sendto address buffer shorter than its length argument (up to 256): the parser pads the
/// bytes to the length (sendmsg can, with <c>namelen</c>);</item>
/// <item>a NULL msg_control with a msg_controllen other than 0 (<c>controllen N</c> alone gives an empty buffer);</item>
/// <item>a host change that sets both the MTU and up/down, or neither;</item>
/// <item>names with blanks or quotes, descriptor names starting with '#', named descriptors with a number, data
/// blocks over 1 MiB that are unreadable in sendmsg;</item>
/// <item>hosts whose first interface is not the standard <c>lo</c>, with a second <c>lo</c>, duplicate names or
/// indexes, MTUs outside 68 to 65536, prefixes outside 0 to 32, a PMTU mode without a name, an errno without a name,
/// a port range with low above high, routes to undefined links, or route fields the route's kind cannot carry.</item>
/// </list>
/// An empty list of secondary addresses is written as none and reads back as null (the same host).
/// </remarks>
public static class CaseWriter
{
    private const int MaxCountedLength = 1 << 20;
    private const int MaxPaddedAddress = 256;
    private const string OperationIndent = "  ";
    private const string ExpectationIndent = "    ";

    private static readonly string[] FlagOrder = ["MORE", "PROBE", "CONFIRM", "DONTROUTE", "DONTWAIT", "OOB", "NOSIGNAL"];

    /// <summary>
    /// The text of a case file: the title as <c>#</c> lines (one per line of <paramref name="title"/>; the parser
    /// joins them with blanks), the headers, the <c>host:</c> section and the <c>steps:</c> section, each operation
    /// followed by its expectation lines, indented.
    /// </summary>
    /// <param name="profiles">Empty: no <c>profiles:</c> line (both profiles).</param>
    /// <param name="expectationLines">Per operation, its expectation lines as text (<c>=&gt; EMSGSIZE</c>,
    /// <c>wire: 1</c>, <c>packet 1 csum=0xffff</c>); null: none.</param>
    /// <exception cref="ArgumentException">No clause, no operation, an unknown clause, profile or feature, or an
    /// expectation line that is not one.</exception>
    /// <exception cref="NotSupportedException">The host or an operation has a shape the case format cannot
    /// hold (see the remarks of <see cref="CaseWriter"/>).</exception>
    public static string Write(
        string title,
        IReadOnlyList<string> clauses,
        IReadOnlyList<string> profiles,
        IReadOnlyList<Feature> features,
        HostConfig host,
        IReadOnlyList<Operation> operations,
        IReadOnlyList<IReadOnlyList<string>>? expectationLines = null)
    {
        if (clauses.Count == 0) throw new ArgumentException("a case names at least one clause", nameof(clauses));
        var known = ClauseId.Catalog.Concat(ClauseId.Additions).ToHashSet();
        foreach (var clause in clauses.Where(c => !known.Contains(c)))
            throw new ArgumentException($"unknown clause id '{clause}'", nameof(clauses));
        foreach (var profile in profiles.Where(p => Profile.Find(p) is null))
            throw new ArgumentException($"unknown profile '{profile}' (spec, linux)", nameof(profiles));
        foreach (var feature in features.Where(f => !Feature.Known.Contains(f)))
            throw new ArgumentException($"unknown feature '{feature}' ({string.Join(", ", Feature.Known)})", nameof(features));
        if (operations.Count == 0) throw new ArgumentException("a case has at least one step", nameof(operations));
        if (expectationLines is not null && expectationLines.Count != operations.Count)
            throw new ArgumentException($"{expectationLines.Count} lists of expectation lines for {operations.Count} operations", nameof(expectationLines));

        var text = new StringBuilder();
        foreach (var line in title.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
            text.Append("# ").Append(line).Append('\n');
        text.Append("clauses: ").Append(string.Join(' ', clauses)).Append('\n');
        if (profiles.Count > 0) text.Append("profiles: ").Append(string.Join(' ', profiles)).Append('\n');
        if (features.Count > 0) text.Append("features: ").Append(string.Join(' ', features)).Append('\n');
        text.Append("\nhost:\n");
        foreach (var line in Host(host)) text.Append(OperationIndent).Append(line).Append('\n');
        text.Append("\nsteps:\n");
        for (var i = 0; i < operations.Count; i++)
        {
            text.Append(OperationIndent).Append(Operation(operations[i])).Append('\n');
            if (expectationLines is null) continue;
            foreach (var line in expectationLines[i])
                text.Append(ExpectationIndent).Append(Expectation(line, i)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The lines of the <c>host:</c> section, unindented: links (after <c>lo</c>, which every host has),
    /// routes, output drops, then the settings that differ from the defaults.</summary>
    /// <exception cref="NotSupportedException">The host cannot be written (see the remarks of
    /// <see cref="CaseWriter"/>).</exception>
    public static IEnumerable<string> Host(HostConfig host)
    {
        var lines = new List<string>();
        if (host.Interfaces.Count == 0 || !IsLoopback(host.Interfaces[0]))
            throw Unsupported("the host", $"its first interface must be the standard lo ({HostConfig.LoopbackInterface}); a case cannot change lo");
        var links = host.Interfaces.Skip(1).ToArray();
        for (var i = 0; i < links.Length; i++) lines.Add(Link(links[i], i, links));
        foreach (var route in host.Routes) lines.Add(RouteLine(route, host));
        foreach (var drop in host.OutputDrops)
            lines.Add($"drop to {Prefix(drop.Destination, drop.PrefixLength, "a drop rule")}" + (drop.DestinationPort is { } port ? $" port {port}" : ""));

        var defaults = new HostConfig();
        if (host.DefaultTtl != defaults.DefaultTtl) lines.Add($"ttl {host.DefaultTtl}");
        if (host.LocalPortLow != defaults.LocalPortLow || host.LocalPortHigh != defaults.LocalPortHigh)
        {
            if (host.LocalPortLow > host.LocalPortHigh) throw Unsupported("the host", $"the port range {host.LocalPortLow}-{host.LocalPortHigh} runs backwards");
            lines.Add($"ports {host.LocalPortLow}-{host.LocalPortHigh}");
        }
        if (host.DefaultPmtuMode != defaults.DefaultPmtuMode)
            lines.Add($"pmtu {PmtuWord(host.DefaultPmtuMode) ?? throw Unsupported("the host", $"the PMTU mode {host.DefaultPmtuMode} has no name")}");
        if (host.WmemDefault != defaults.WmemDefault || host.WmemMax != defaults.WmemMax)
            lines.Add(host.WmemDefault == host.WmemMax ? $"wmem {Num(host.WmemDefault)}" : $"wmem {Num(host.WmemDefault)} {Num(host.WmemMax)}");
        if (host.SecurityVeto is { } veto) lines.Add($"veto {ErrnoWord(veto, "the host's security veto")}");
        if (!host.Privileged) lines.Add("unprivileged");
        return lines;
    }

    /// <summary>One operation line, unindented, as the steps: section reads it.</summary>
    /// <exception cref="NotSupportedException">The operation has a shape the case format cannot hold (see the
    /// remarks of <see cref="CaseWriter"/>).</exception>
    public static string Operation(Operation op) => op switch
    {
        SocketOp s => Socket(s),
        OpenFileOp o => $"open {Word(o.Name, "the file name", op)}",
        BindOp b => $"bind {Fd(b.Fd, op)} {FixedAddress(b.Address, b.AddressLength, op)}",
        ConnectOp c => $"connect {Fd(c.Fd, op)} {FixedAddress(c.Address, c.AddressLength, op)}",
        SetSockOptOp o => SetOption(o),
        GetSockOptOp o => $"getsockopt {Fd(o.Fd, op)} {OptionName(o.Level, o.OptName)}" + (o.OptLen != 4 ? $" len {Num(o.OptLen)}" : ""),
        SetNonblockOp n => $"nonblock {Fd(n.Fd, op)} {(n.Nonblocking ? "on" : "off")}",
        SendToOp s => SendTo(s),
        SendMsgOp m => SendMsg(m),
        CloseOp c => $"close {Fd(c.Fd, op)}",
        HostChangeOp h => HostChange(h),
        _ => throw Unsupported(op, $"the case format has no operation {op.GetType().Name}"),
    };

    // ---- operations ----

    private static string Socket(SocketOp op)
    {
        var line = new StringBuilder("socket ").Append(Word(op.Name, "the socket name", op));
        if (op.Domain == AddressFamily.Inet6) line.Append(" inet6");
        else if (op.Domain != AddressFamily.Inet) line.Append(" domain ").Append(Num(op.Domain));
        var type = op.Type;
        var nonblock = (type & SocketType.NonblockFlag) != 0 && (type & ~SocketType.NonblockFlag) >= 0;
        if (nonblock) type &= ~SocketType.NonblockFlag;
        if (type != SocketType.Dgram) line.Append(" type ").Append(Num(type));
        if (nonblock) line.Append(" nonblock");
        if (op.Protocol != 0) line.Append(" protocol ").Append(Num(op.Protocol));
        return line.ToString();
    }

    private static string SetOption(SetSockOptOp op)
    {
        var line = new StringBuilder($"setsockopt {Fd(op.Fd, op)} {OptionName(op.Level, op.OptName)} ");
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
            line.Append(OptionValue(op.Level, op.OptName, bytes));
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
    private static string OptionValue(int level, int name, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 4) return Hex(bytes);
        var number = BitConverter.ToInt32(bytes);
        if ((level, name) == (SolIp, IpMtuDiscover) && PmtuWord(number) is { } word) return word;
        if ((level, name) == (SolIp, IpMulticastIf)) return Ipv4Address.Read(bytes).ToString();
        return Num(number);
    }

    private static string SendTo(SendToOp op)
    {
        var line = new StringBuilder($"sendto {Fd(op.Fd, op)} ");
        CheckLength(op.Data, "the data", op);
        string? readable = null;
        if (op.Data.FullyReadable) line.Append(FullData(op.Data.Readable.Span, allowText: true));
        else if (op.Data.Readable.Length == 0 && op.Data.Length <= MaxCountedLength) line.Append(Num(op.Data.Length)).Append('!');
        else
        {
            line.Append(PrefixData(op.Data.Readable.Span, op.Data.Length));
            readable = $" readable {op.Data.Readable.Length}";
        }
        if (op.Address is not null || op.AddressLength != 0) line.Append(" to ").Append(FixedAddress(op.Address, op.AddressLength, op));
        if (op.Flags != MsgFlags.None) line.Append(" flags ").Append(Flags(op.Flags));
        line.Append(readable);
        return line.ToString();
    }

    private static string SendMsg(SendMsgOp op)
    {
        var line = new StringBuilder($"sendmsg {Fd(op.Fd, op)} iov ");
        line.Append(op.Iov.Count == 0 ? "none" : string.Join(',', op.Iov.Select((block, i) => IovBlock(block, i, op))));

        if (op.Name is null)
        {
            if (op.NameLength != 0) line.Append(" namelen ").Append(Num(op.NameLength));
        }
        else if (Address(op.Name, op.NameLength) is { } padded) line.Append(" to ").Append(padded);
        else
        {
            // The bytes as they are (no padding to msg_namelen), then msg_namelen.
            var exact = Address(op.Name, checked((int)op.Name.Length)) ?? throw Unsupported(op, AddressProblem(op.Name, op.NameLength));
            line.Append(" to ").Append(exact).Append(" namelen ").Append(Num(op.NameLength));
        }

        if (op.Control is null)
        {
            if (op.ControlLength != 0)
                throw Unsupported(op, $"msg_control is NULL with msg_controllen {op.ControlLength}; a case gives 'controllen N' only with a control buffer (an empty one if no bytes)");
        }
        else
        {
            CheckLength(op.Control, "msg_control", op);
            if (!op.Control.FullyReadable)
                throw Unsupported(op, $"msg_control is partly or wholly unreadable ({op.Control.Readable.Length} of {op.Control.Length} bytes); a case's control bytes are all readable");
            var bytes = op.Control.Readable.Span;
            foreach (var part in ControlWords(bytes)) line.Append(' ').Append(part);
            if (bytes.Length == 0 || op.ControlLength != bytes.Length) line.Append(" controllen ").Append(Num(op.ControlLength));
        }
        if (op.Flags != MsgFlags.None) line.Append(" flags ").Append(Flags(op.Flags));
        return line.ToString();
    }

    private static string IovBlock(UserBuffer block, int index, SendMsgOp op)
    {
        CheckLength(block, $"iov block {index + 1}", op);
        if (block.FullyReadable) return FullData(block.Readable.Span, allowText: true);
        if (block.Readable.Length == 0 && block.Length <= MaxCountedLength) return Num(block.Length) + "!";
        throw Unsupported(op, block.Readable.Length == 0
            ? $"iov block {index + 1} is {block.Length} unreadable bytes; 'N!' goes up to {MaxCountedLength}"
            : $"iov block {index + 1} is partly readable ({block.Readable.Length} of {block.Length} bytes); a case's iov block is readable whole (DATA) or not at all (N!)");
    }

    private static string HostChange(HostChangeOp op) => op switch
    {
        { Mtu: { } mtu, Up: null } => $"link {Word(op.Interface, "the link name", op)} mtu {Num(mtu)}",
        { Mtu: null, Up: { } up } => $"link {Word(op.Interface, "the link name", op)} {(up ? "up" : "down")}",
        _ => throw Unsupported(op, "a case's host change sets the MTU or up/down, one per line; this one sets " +
                                   (op.Mtu is null ? "neither" : "both")),
    };

    // ---- data ----

    /// <summary>Readable bytes: N (0, 1, 2, …), "text" (printable ASCII, tabs and newlines, escaped), N*xx, or hex.</summary>
    private static string FullData(ReadOnlySpan<byte> bytes, bool allowText)
    {
        if (bytes.Length <= MaxCountedLength)
        {
            if (IsPattern(bytes)) return Num(bytes.Length);
            if (allowText && IsText(bytes)) return Quote(bytes);
            if (bytes.Length >= 2 && bytes.IndexOfAnyExcept(bytes[0]) < 0) return $"{Num(bytes.Length)}*{bytes[0]:x2}";
        }
        return Hex(bytes);
    }

    /// <summary>A data word of <paramref name="length"/> bytes that starts with <paramref name="readable"/>, for
    /// <c>readable N</c> to cut.</summary>
    private static string PrefixData(ReadOnlySpan<byte> readable, long length)
    {
        if (length <= MaxCountedLength)
        {
            if (IsPattern(readable)) return Num(length);
            if (readable.Length > 0 && readable.IndexOfAnyExcept(readable[0]) < 0) return $"{Num(length)}*{readable[0]:x2}";
        }
        var full = new byte[checked((int)length)];
        readable.CopyTo(full);
        return Hex(full);
    }

    private static bool IsPattern(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++) if (bytes[i] != (byte)i) return false;
        return true;
    }

    /// <summary>Text worth writing as "text": printable ASCII, tabs and newlines, with a letter.</summary>
    private static bool IsText(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return false;
        var letters = false;
        foreach (var b in bytes)
        {
            if (b is (< 0x20 or > 0x7E) and not ((byte)'\n' or (byte)'\t')) return false;
            letters |= char.IsAsciiLetter((char)b);
        }
        return letters;
    }

    /// <summary>Bytes as quoted text with the escapes the parser reads: \" \\ \n \t.</summary>
    private static string Quote(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder("\"");
        foreach (var b in bytes)
            text.Append(b switch
            {
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                (byte)'\n' => "\\n",
                (byte)'\t' => "\\t",
                _ => ((char)b).ToString(),
            });
        return text.Append('"').ToString();
    }

    // ---- addresses ----

    /// <summary>An address of bind, connect or sendto, whose length also pads the bytes.</summary>
    private static string FixedAddress(UserBuffer? buffer, int length, Operation op) =>
        Address(buffer, length) ?? throw Unsupported(op, AddressProblem(buffer!, length));

    private static string AddressProblem(UserBuffer buffer, int length)
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
    private static string? Address(UserBuffer? buffer, int length)
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
        foreach (var (words, formLength) in AddressForms(content))
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
    private static IEnumerable<(string Words, int Length)> AddressForms(byte[] content)
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

    private static bool IsZero(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept((byte)0) < 0;

    // ---- control messages ----

    /// <summary>msg_control as cmsg words where they encode to the same bytes, then control hex: for the rest.</summary>
    private static IEnumerable<string> ControlWords(ReadOnlySpan<byte> control)
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
                    words.Add("cmsg " + (KnownControlMessage(level, type, data) ?? $"raw {Num(level)} {Num(type)} {Hex(data)}"));
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

    private static string? KnownControlMessage(int level, int type, ReadOnlySpan<byte> data)
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

    // ---- host ----

    private static bool IsLoopback(Interface link)
    {
        var lo = HostConfig.LoopbackInterface;
        return link with { SecondaryAddresses = null } == lo && (link.SecondaryAddresses is null || link.SecondaryAddresses.Count == 0);
    }

    private static string Link(Interface link, int position, Interface[] links)
    {
        var what = $"link {link.Name}";
        if (link.Name == "lo") throw Unsupported("the host", "a second interface named lo (lo always exists, index 1)");
        if (links.Take(position).Any(l => l.Name == link.Name)) throw Unsupported("the host", $"two links named {link.Name}");
        if (link.Index == 1 || links.Take(position).Any(l => l.Index == link.Index))
            throw Unsupported("the host", $"{what} has index {link.Index}, which is taken");
        var line = new StringBuilder($"link {Word(link.Name, "the link name", what)} {Prefix(link.Address, link.PrefixLength, what)}");
        if (link.Index != position + 2) line.Append(" index ").Append(Num(link.Index));
        if (link.Mtu != 1500) line.Append(" mtu ").Append(Mtu(link.Mtu, what));
        if (!link.Up) line.Append(" down");
        if (link.ChecksumOffload) line.Append(" offload");
        if (link.UdpFragmentationOffload) line.Append(" ufo");
        if (!link.ScatterGather) line.Append(" nosg");
        if (link.QueueFull) line.Append(" queue-full");
        foreach (var (address, prefix) in link.SecondaryAddresses ?? []) line.Append(" also ").Append(Prefix(address, prefix, what));
        return line.ToString();
    }

    private static string RouteLine(Route route, HostConfig host)
    {
        var destination = route.Destination == Ipv4Address.Any && route.PrefixLength == 0
            ? "default"
            : Prefix(route.Destination, route.PrefixLength, "a route");
        var what = $"the route to {destination}";
        var line = new StringBuilder($"route {destination}");
        if (route.Kind is RouteKind.Unreachable or RouteKind.Prohibit or RouteKind.Blackhole)
        {
            if (route.Device is not null || route.Gateway is not null || route.Mtu is not null || route.MtuLocked || route.Tos != 0 ||
                route.PreferredSource is not null || route.HopLimit is not null)
                throw Unsupported("the host", $"{what} is {route.Kind} and has a device, gateway or attribute; a case's refusing route has none");
            return line.Append(' ').Append(route.Kind.ToString().ToLowerInvariant()).ToString();
        }
        if (route.Device is null) throw Unsupported("the host", $"{what} ({route.Kind}) has no device");
        if (host.InterfaceByName(route.Device) is null) throw Unsupported("the host", $"{what} names link '{route.Device}', which is not defined");
        if (route.Kind == RouteKind.Unicast)
            line.Append(" via ").Append(route.Gateway?.ToString() ?? throw Unsupported("the host", $"{what} is a gateway route without a gateway"));
        else if (route.Gateway is not null)
            throw Unsupported("the host", $"{what} ({route.Kind}) has a gateway; only a gateway route (via) has one");
        if (route.Kind == RouteKind.Multicast) line.Append(" multicast");
        if (route.Kind == RouteKind.Broadcast) line.Append(" broadcast");
        line.Append(" dev ").Append(Word(route.Device, "the device name", what));
        if (route.Mtu is { } mtu) line.Append(" mtu ").Append(Mtu(mtu, what));
        if (route.MtuLocked) line.Append(" lock");
        if (route.Tos != 0) line.Append(" tos ").Append(route.Tos);
        if (route.PreferredSource is { } source) line.Append(" src ").Append(source);
        if (route.HopLimit is { } hopLimit) line.Append(" hoplimit ").Append(hopLimit);
        return line.ToString();
    }

    private static string Prefix(Ipv4Address address, int prefix, string what) =>
        prefix is >= 0 and <= 32 ? $"{address}/{prefix}" : throw Unsupported("the host", $"{what} has prefix length {prefix}; a case's is 0 to 32");

    private static string Mtu(int mtu, string what) =>
        mtu is >= 68 and <= 65536 ? Num(mtu) : throw Unsupported("the host", $"{what} has MTU {mtu}; a case's host MTU is 68 to 65536");

    // ---- words ----

    private static string Expectation(string line, int step)
    {
        var text = line.Trim();
        var first = text.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        if (text.Contains('\n') || text.Contains('\r') || !StepBuilder.IsExpectation(first))
            throw new ArgumentException($"step {step + 1}: '{line}' is not an expectation line (=>, wire:, packet, counters:, errqueue:)");
        return text;
    }

    private static string Fd(Fd fd, Operation op)
    {
        if (fd.Name is null) return "#" + Num(fd.Number);
        if (fd.Number != -1) throw Unsupported(op, $"the descriptor is named '{fd.Name}' and numbered {fd.Number}; a case's descriptor is one or the other");
        if (fd.Name.StartsWith('#')) throw Unsupported(op, $"the descriptor name '{fd.Name}' starts with '#', which a case reads as a number");
        return Word(fd.Name, "the descriptor name", op);
    }

    /// <summary>A name as one plain word: not empty, no blanks or quotes, not a lone '#' (a comment).</summary>
    private static string Word(string name, string what, object context) =>
        name.Length == 0 || name == "#" || name.Any(c => char.IsWhiteSpace(c) || c == '"')
            ? throw Unsupported(context, $"{what} '{name}' is not one plain word (no blanks or quotes)")
            : name;

    private static string OptionName(int level, int name) =>
        OperationParser.Options.FirstOrDefault(o => o.Value == (level, name)).Key ?? $"{Num(level)}/{Num(name)}";

    private static string? PmtuWord(int mode) => HostBuilder.PmtuModes.FirstOrDefault(m => m.Value == mode).Key;

    private static string Flags(MsgFlags flags)
    {
        var words = new List<string>();
        foreach (var name in FlagOrder)
        {
            var flag = OperationParser.FlagNames[name];
            if ((flags & flag) == 0) continue;
            words.Add(name);
            flags &= ~flag;
        }
        if (flags != 0) words.Add("0x" + ((uint)flags).ToString("x", CultureInfo.InvariantCulture));
        return string.Join('|', words);
    }

    private static string ErrnoWord(Errno errno, string what) =>
        Enum.IsDefined(errno) ? errno.ToString() : throw Unsupported("the host", $"{what} is errno {(int)errno}, which has no name");

    private static void CheckLength(UserBuffer buffer, string what, Operation op)
    {
        if (buffer.Length < 0 || buffer.Readable.Length > buffer.Length)
            throw Unsupported(op, $"{what} has {buffer.Readable.Length} readable bytes of a length of {buffer.Length}");
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => "hex:" + Convert.ToHexStringLower(bytes);

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static NotSupportedException Unsupported(object context, string why)
    {
        var what = context switch
        {
            string s => s,
            Operation op => op.GetType().Name,
            _ => context.ToString(),
        };
        return new NotSupportedException($"CaseWriter cannot write {what} as a case: {why}");
    }
}
