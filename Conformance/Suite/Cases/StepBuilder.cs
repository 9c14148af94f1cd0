using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Socket;

namespace Udpconf.Suite.Cases;

/// <summary>An operation line and the expectation lines under it.</summary>
internal sealed class StepBuilder(int index, SourcePosition position, string text, Operation operation)
{
    /// <summary>The link a packet left on, then the fields of the one packet field table.</summary>
    public static readonly string[] PacketFields = ["iface", .. Udpconf.Suite.Compare.PacketFields.CaseNames];

    private ResultExpectation? result;
    private int? packetCount;
    private readonly List<PacketExpectation> packets = [];
    private readonly Dictionary<Counter, int> counters = new();
    private List<ErrorQueueEntry>? errorQueue;

    public static bool IsExpectation(string word) => word is "=>" or "wire:" or "packet" or "counters:" or "errqueue:";

    public void AddExpectation(LineReader reader, SourcePosition at)
    {
        var word = reader.Next("an expectation");
        switch (word.Text)
        {
            case "=>":
                if (result is not null) throw new CaseSyntaxException(word.Column, "a step has one '=>' line");
                result = Result(reader);
                break;
            case "wire:":
            {
                var count = reader.Next("none or a packet count");
                packetCount = count.Text == "none" ? 0 : LineReader.ParseInt(count, "a packet count");
                if (packetCount < 0) throw new CaseSyntaxException(count.Column, "a packet count cannot be negative");
                if (reader.TryTake("packets") || reader.TryTake("packet")) { }
                reader.ExpectEnd();
                break;
            }
            case "packet":
            {
                var number = reader.Int("a packet number (1, 2, …)");
                if (number < 1) throw new CaseSyntaxException(word.Column, "packets are numbered from 1");
                var fields = new Dictionary<string, string>();
                while (!reader.AtEnd)
                {
                    var field = reader.Next("field=value");
                    var eq = field.Text.IndexOf('=');
                    if (eq <= 0 || eq == field.Text.Length - 1) throw new CaseSyntaxException(field.Column, $"expected field=value, found '{field.Text}'");
                    var name = field.Text[..eq];
                    if (!PacketFields.Contains(name)) throw new CaseSyntaxException(field.Column, $"unknown packet field '{name}' ({string.Join(", ", PacketFields)})");
                    var value = field.Text[(eq + 1)..];
                    if (name == "payload") DataWords.Check(new Token(value, field.Column + eq + 1));
                    fields[name] = value;
                }
                if (fields.Count == 0) throw new CaseSyntaxException(reader.EndColumn, "a packet line names at least one field=value");
                packets.Add(new PacketExpectation(number - 1, fields, at with { Column = word.Column }));
                break;
            }
            case "counters:":
                while (!reader.AtEnd)
                {
                    var field = reader.Next("Counter=N");
                    var eq = field.Text.IndexOf('=');
                    var name = eq > 0 ? field.Text[..eq] : field.Text;
                    if (Counters.Parse(name) is not { } counter)
                        throw new CaseSyntaxException(field.Column, $"unknown counter '{name}' ({string.Join(", ", Counters.All)})");
                    counters[counter] = LineReader.ParseInt(new Token(eq > 0 ? field.Text[(eq + 1)..] : "", field.Column + eq + 1), "a count");
                }
                break;
            case "errqueue:":
                errorQueue ??= [];
                if (reader.TryTake("none"))
                {
                    if (errorQueue.Count > 0) throw new CaseSyntaxException(word.Column, "'errqueue: none' contradicts an entry given before");
                    reader.ExpectEnd();
                    break;
                }
                errorQueue.Add(ErrorEntry(reader));
                break;
        }
    }

    /// <summary><c>errqueue: ERRNO local|icmp info=N to A.B.C.D:PORT</c> or <c>errqueue: zerocopy FIRST-LAST
    /// [copied]</c>: one entry of the error queue.</summary>
    private static ErrorQueueEntry ErrorEntry(LineReader reader)
    {
        var first = reader.Next("an errno or zerocopy");
        if (first.Text == "zerocopy") return ZerocopyEntry(reader);
        var errno = reader.Errno(first);
        var originToken = reader.Next("local or icmp");
        var origin = originToken.Text switch
        {
            "local" => ErrorOrigin.Local,
            "icmp" => ErrorOrigin.Icmp,
            _ => throw new CaseSyntaxException(originToken.Column, $"expected local or icmp, found '{originToken.Text}'"),
        };
        var infoToken = reader.Next("info=N");
        if (!infoToken.Text.StartsWith("info=")) throw new CaseSyntaxException(infoToken.Column, $"expected info=N, found '{infoToken.Text}'");
        var info = LineReader.ParseInt(new Token(infoToken.Text[5..], infoToken.Column + 5), "a number");
        var to = reader.Next("to");
        if (to.Text != "to") throw new CaseSyntaxException(to.Column, $"expected 'to A.B.C.D:PORT', found '{to.Text}'");
        var address = reader.Next("A.B.C.D:PORT");
        var colon = address.Text.LastIndexOf(':');
        if (colon <= 0 || !Udpconf.Reference.Host.Ipv4Address.TryParse(address.Text[..colon], out var ip) ||
            !ushort.TryParse(address.Text[(colon + 1)..], out var port))
            throw new CaseSyntaxException(address.Column, $"expected A.B.C.D:PORT, found '{address.Text}'");
        reader.ExpectEnd();
        return new ErrorQueueEntry(errno, origin, info, ip, port);
    }

    /// <summary><c>zerocopy FIRST-LAST [copied]</c>: a MSG_ZEROCOPY completion, ee_info to ee_data, ee_code
    /// SO_EE_CODE_ZEROCOPY_COPIED with <c>copied</c>.</summary>
    private static ErrorQueueEntry ZerocopyEntry(LineReader reader)
    {
        var range = reader.Next("FIRST-LAST");
        var dash = range.Text.IndexOf('-');
        if (dash <= 0 || !uint.TryParse(range.Text[..dash], System.Globalization.NumberStyles.None, null, out var lo) ||
            !uint.TryParse(range.Text[(dash + 1)..], System.Globalization.NumberStyles.None, null, out var hi))
            throw new CaseSyntaxException(range.Column, $"expected FIRST-LAST (two ids from 0 to 4294967295), found '{range.Text}'");
        var copied = reader.TryTake("copied");
        reader.ExpectEnd();
        return ErrorQueueEntry.Zerocopy(lo, hi, copied);
    }

    /// <summary><c>timeout:SECONDS.MICROS</c>: what getsockopt reads back of SO_SNDTIMEO/SO_RCVTIMEO set to that
    /// timeval (seconds 1 or more, or 0 with microseconds 1 to 999999: a set timeout, six digits of microseconds), kept
    /// in jiffies of the target's CONFIG_HZ; as many bytes as the result says, 16 when it says none.</summary>
    private static TimeoutReading Timeout(Token token, long? length)
    {
        var text = token.Text["timeout:".Length..];
        var dot = text.IndexOf('.');
        if (dot <= 0 || text.Length - dot - 1 != 6 ||
            !long.TryParse(text[..dot], System.Globalization.NumberStyles.None, null, out var seconds) ||
            !long.TryParse(text[(dot + 1)..], System.Globalization.NumberStyles.None, null, out var micros) ||
            seconds == 0 && micros == 0)
            throw new CaseSyntaxException(token.Column, $"expected timeout:SECONDS.MICROS (a timeout set, not 0, six digits of microseconds), found '{token.Text}'");
        if (length is < 0 or > 16) throw new CaseSyntaxException(token.Column, $"a timeout reads back 0 to 16 bytes, not {length}");
        return new TimeoutReading("HZ", seconds, micros, (int)(length ?? 16));
    }

    /// <summary><c>u32:N,N,…</c>: bytes written as unsigned 32-bit values in the machine's (little-endian) order, e.g.
    /// SO_MEMINFO's nine counters.</summary>
    private static byte[] U32s(Token token)
    {
        var parts = token.Text["u32:".Length..].Split(',');
        var bytes = new byte[parts.Length * 4];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!uint.TryParse(parts[i], System.Globalization.NumberStyles.None, null, out var value))
                throw new CaseSyntaxException(token.Column, $"expected u32:N,N,… (decimal values of 0 to 4294967295), found '{parts[i]}' in '{token.Text}'");
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), value);
        }
        return bytes;
    }

    /// <summary><c>linger-forever:ONOFF</c>: SO_LINGER read back with the time "for ever" (a negative l_linger), which
    /// is LONG_MAX / HZ cut to an int; as many bytes as the result says (at most 8), 8 when it says none.</summary>
    private static LingerReading LingerForever(Token token, long? length)
    {
        var flag = token.Text["linger-forever:".Length..];
        if (flag is not ("0" or "1")) throw new CaseSyntaxException(token.Column, $"expected linger-forever:0 or linger-forever:1, found '{token.Text}'");
        if (length is < 0 or > 8) throw new CaseSyntaxException(token.Column, $"SO_LINGER reads back 0 to 8 bytes, not {length}");
        return new LingerReading("HZ", flag == "1", (int)(length ?? 8));
    }

    private static ResultExpectation Result(LineReader reader)
    {
        var token = reader.Next("a value, errno, fault or blocks");
        ResultExpectation expectation;
        if (token.Text == "fault") expectation = new ResultExpectation(null, [], OutcomeKind.KernelFault, null);
        else if (token.Text == "blocks") expectation = new ResultExpectation(null, [], OutcomeKind.Blocks, null);
        else if (token.Text.Length > 0 && (char.IsDigit(token.Text[0]) || token.Text[0] == '-'))
            expectation = new ResultExpectation(LineReader.ParseLong(token, "a value"), [], OutcomeKind.Value, null);
        else
        {
            var errnos = new List<Errno>();
            var column = token.Column;
            foreach (var part in token.Text.Split('|'))
            {
                errnos.Add(reader.Errno(new Token(part, column)));
                column += part.Length + 1;
            }
            expectation = new ResultExpectation(null, errnos, OutcomeKind.Error, null);
        }
        while (!reader.AtEnd)
        {
            var word = reader.Next("a clause id or value hex:…");
            if (word.Text == "value")
            {
                var bytes = reader.Next("hex:…, u32:N,N,…, timeout:SECONDS.MICROS or linger-forever:0|1");
                expectation = bytes.Text.StartsWith("u32:", StringComparison.Ordinal)
                    ? expectation with { OptionValue = U32s(bytes) }
                    : bytes.Text.StartsWith("timeout:", StringComparison.Ordinal)
                    ? expectation with { SymbolicOption = Timeout(bytes, expectation.Value) }
                    : bytes.Text.StartsWith("linger-forever:", StringComparison.Ordinal)
                    ? expectation with { SymbolicOption = LingerForever(bytes, expectation.Value) }
                    : expectation with { OptionValue = LineReader.Hex(bytes) };
                continue;
            }
            if (Clause.Find(word.Text) is null)
                throw new CaseSyntaxException(word.Column, $"unknown clause id '{word.Text}'");
            expectation = expectation with { Clause = word.Text };
        }
        return expectation;
    }

    public Step Build()
    {
        return new Step(index, position, text, operation, new StepExpectation
        {
            Result = result,
            PacketCount = packetCount,
            Packets = packets,
            Counters = counters,
            ErrorQueue = errorQueue,
        });
    }
}
