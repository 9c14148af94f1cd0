using System.Text;
using Udpconf.Reference.Api;
using static Udpconf.Suite.Cases.Words;

namespace Udpconf.Suite.Cases;

/// <summary>The operation lines of a case's steps: section (grammar in Conformance/CASES.md): the verb dispatch and
/// the small operations (socket, open, bind, connect, nonblock, shutdown, close, link changes); read and written.
/// setsockopt/getsockopt are in <see cref="OptionLines"/>, sendto/sendmsg/sendmmsg in <see cref="SendLines"/>.</summary>
internal static class OperationLines
{
    public static Operation Read(LineReader reader, DataBudget data)
    {
        var verb = reader.Next("an operation");
        Operation operation = verb.Text switch
        {
            "socket" => ReadSocket(reader),
            "open" => new OpenFileOp(reader.Next("a name").Text),
            "bind" => ReadAddressed(reader, (fd, buffer, length) => new BindOp(fd, buffer, length)),
            "connect" => ReadAddressed(reader, (fd, buffer, length) => new ConnectOp(fd, buffer, length)),
            "setsockopt" => OptionLines.ReadSet(reader),
            "getsockopt" => OptionLines.ReadGet(reader),
            "nonblock" => new SetNonblockOp(FdWords.Read(reader), ReadOnOff(reader)),
            "sendto" => SendLines.ReadSendTo(reader, data),
            "sendmsg" => SendLines.ReadSendMsg(reader, data),
            "sendmmsg" => SendLines.ReadSendMmsg(reader, data),
            "shutdown" => new ShutdownOp(FdWords.Read(reader), ReadHow(reader)),
            "close" => new CloseOp(FdWords.Read(reader)),
            "link" => ReadHostChange(reader),
            _ => throw new CaseSyntaxException(verb.Column, $"unknown operation '{verb.Text}' (socket, open, bind, connect, setsockopt, getsockopt, nonblock, sendto, sendmsg, sendmmsg, shutdown, close, link)"),
        };
        reader.ExpectEnd();
        return operation;
    }

    /// <summary>One operation line, unindented (<see cref="CaseWriter.Operation"/>).</summary>
    public static string Write(Operation op) => op switch
    {
        SocketOp s => WriteSocket(s),
        OpenFileOp o => $"open {Plain(o.Name, "the file name", op)}",
        BindOp b => $"bind {FdWords.Write(b.Fd, op)} {AddressWords.WriteFixed(b.Address, b.AddressLength, op)}",
        ConnectOp c => $"connect {FdWords.Write(c.Fd, op)} {AddressWords.WriteFixed(c.Address, c.AddressLength, op)}",
        SetSockOptOp o => OptionLines.WriteSet(o),
        GetSockOptOp o => OptionLines.WriteGet(o),
        SetNonblockOp n => $"nonblock {FdWords.Write(n.Fd, op)} {(n.Nonblocking ? "on" : "off")}",
        SendToOp s => SendLines.WriteSendTo(s),
        SendMsgOp m => SendLines.WriteSendMsg(m),
        SendMmsgOp m => SendLines.WriteSendMmsg(m),
        ShutdownOp d => $"shutdown {FdWords.Write(d.Fd, op)} {WriteHow(d.How)}",
        CloseOp c => $"close {FdWords.Write(c.Fd, op)}",
        HostChangeOp h => WriteHostChange(h),
        _ => throw Unsupported(op, $"the case format has no operation {op.GetType().Name}"),
    };

    private static Operation ReadSocket(LineReader reader)
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

    private static string WriteSocket(SocketOp op)
    {
        var line = new StringBuilder("socket ").Append(Plain(op.Name, "the socket name", op));
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

    private static readonly string[] HowNames = ["rd", "wr", "rdwr"];

    /// <summary>shutdown's how: <c>rd</c>, <c>wr</c>, <c>rdwr</c> (SHUT_RD, SHUT_WR, SHUT_RDWR) or any C int.</summary>
    private static int ReadHow(LineReader reader)
    {
        var token = reader.Next("rd, wr, rdwr or a number");
        var named = Array.IndexOf(HowNames, token.Text);
        return named >= 0 ? named : LineReader.ParseInt(token, "rd, wr, rdwr or a number");
    }

    private static string WriteHow(int how) => how is >= 0 and < 3 ? HowNames[how] : Num(how);

    private static bool ReadOnOff(LineReader reader)
    {
        var token = reader.Next("on or off");
        return token.Text switch
        {
            "on" => true,
            "off" => false,
            _ => throw new CaseSyntaxException(token.Column, $"expected on or off, found '{token.Text}'"),
        };
    }

    /// <summary>bind and connect: a descriptor and an address.</summary>
    private static Operation ReadAddressed(LineReader reader, Func<Fd, UserBuffer?, int, Operation> make)
    {
        var fd = FdWords.Read(reader);
        var (buffer, length) = AddressWords.Read(reader);
        return make(fd, buffer, length);
    }

    private static Operation ReadHostChange(LineReader reader)
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

    private static string WriteHostChange(HostChangeOp op) => op switch
    {
        { Mtu: { } mtu, Up: null } => $"link {Plain(op.Interface, "the link name", op)} mtu {Num(mtu)}",
        { Mtu: null, Up: { } up } => $"link {Plain(op.Interface, "the link name", op)} {(up ? "up" : "down")}",
        _ => throw Unsupported(op, "a case's host change sets the MTU or up/down, one per line; this one sets " +
                                   (op.Mtu is null ? "neither" : "both")),
    };
}

/// <summary>A descriptor: a name (<c>s</c>) or a number (<c>#3</c>); read and written.</summary>
internal static class FdWords
{
    public static Fd Read(LineReader reader)
    {
        var token = reader.Next("a descriptor (a name or #number)");
        return token.Text.StartsWith('#')
            ? Fd.Raw(LineReader.ParseInt(token with { Text = token.Text[1..], Column = token.Column + 1 }, "a descriptor number"))
            : Fd.Named(token.Text);
    }

    public static string Write(Fd fd, Operation op)
    {
        if (fd.Name is null) return "#" + Num(fd.Number);
        if (fd.Number != -1) throw Unsupported(op, $"the descriptor is named '{fd.Name}' and numbered {fd.Number}; a case's descriptor is one or the other");
        if (fd.Name.StartsWith('#')) throw Unsupported(op, $"the descriptor name '{fd.Name}' starts with '#', which a case reads as a number");
        return Plain(fd.Name, "the descriptor name", op);
    }
}
