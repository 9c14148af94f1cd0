using System.Globalization;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Cases;

/// <summary>A word of a case line and the column it starts at (1-based).</summary>
public readonly record struct Token(string Text, int Column)
{
    public override string ToString() => Text;
}

/// <summary>Thrown inside the parser only, for one malformed line; turned into a <see cref="Diagnostic"/>.</summary>
internal sealed class CaseSyntaxException(int column, string problem) : Exception(problem)
{
    public int Column { get; } = column;
}

/// <summary>The words of one line, read left to right, with typed readers that report the column of a bad word.</summary>
internal sealed class LineReader
{
    private readonly List<Token> tokens;
    private int next;

    public LineReader(string line)
    {
        tokens = Split(line);
        EndColumn = line.TrimEnd().Length + 1;
    }

    public int EndColumn { get; }
    public bool AtEnd => next >= tokens.Count;
    public Token? Peek => AtEnd ? null : tokens[next];
    public int Column => AtEnd ? EndColumn : tokens[next].Column;

    public Token Next(string what)
    {
        if (AtEnd) throw new CaseSyntaxException(EndColumn, $"expected {what} at the end of the line");
        return tokens[next++];
    }

    public bool TryTake(string word)
    {
        if (AtEnd || !string.Equals(tokens[next].Text, word, StringComparison.OrdinalIgnoreCase)) return false;
        next++;
        return true;
    }

    public void ExpectEnd()
    {
        if (!AtEnd) throw new CaseSyntaxException(tokens[next].Column, $"unexpected '{tokens[next].Text}'");
    }

    public long Long(string what)
    {
        var token = Next(what);
        return ParseLong(token, what);
    }

    public int Int(string what) => ParseInt(Next(what), what);

    /// <summary>An integer from <paramref name="min"/> to <paramref name="max"/>; outside is a diagnostic naming both.</summary>
    public int Int(string what, int min, int max)
    {
        var token = Next(what);
        var value = ParseLong(token, what);
        if (value < min || value > max) throw new CaseSyntaxException(token.Column, $"{what} must be {min} to {max}: {token.Text}");
        return (int)value;
    }

    /// <summary>A 32-bit signed integer (the C int of a call); outside its range is a diagnostic, never a cast.</summary>
    public static int ParseInt(Token token, string what)
    {
        var value = ParseLong(token, what);
        if (value < int.MinValue || value > int.MaxValue)
            throw new CaseSyntaxException(token.Column, $"{what} out of range (a 32-bit int, {int.MinValue} to {int.MaxValue}): {token.Text}");
        return (int)value;
    }

    public static long ParseLong(Token token, string what)
    {
        var text = token.Text;
        var ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value)
            : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        if (!ok) throw new CaseSyntaxException(token.Column, $"expected {what}, found '{text}'");
        return value;
    }

    public Ipv4Address Address(string what)
    {
        var token = Next(what);
        if (!Ipv4Address.TryParse(token.Text, out var address)) throw new CaseSyntaxException(token.Column, $"expected {what} (a.b.c.d), found '{token.Text}'");
        return address;
    }

    /// <summary>a.b.c.d/prefix, or "default" for 0.0.0.0/0.</summary>
    public (Ipv4Address Address, int Prefix) Prefix(string what)
    {
        var token = Next(what);
        if (token.Text == "default") return (Ipv4Address.Any, 0);
        var slash = token.Text.IndexOf('/');
        var addressText = slash < 0 ? token.Text : token.Text[..slash];
        if (!Ipv4Address.TryParse(addressText, out var address)) throw new CaseSyntaxException(token.Column, $"expected {what} (a.b.c.d/n), found '{token.Text}'");
        var prefix = 32;
        if (slash >= 0 && (!int.TryParse(token.Text[(slash + 1)..], out prefix) || prefix < 0 || prefix > 32))
            throw new CaseSyntaxException(token.Column + slash + 1, $"prefix length must be 0 to 32 in '{token.Text}'");
        return (address, prefix);
    }

    public Errno Errno(Token token)
    {
        if (!ErrnoNames.TryParse(token.Text, out var errno)) throw new CaseSyntaxException(token.Column, $"unknown errno '{token.Text}'");
        return errno;
    }

    /// <summary>Bytes written as hex:0102ab (or "hex:" alone for none).</summary>
    public static byte[] Hex(Token token)
    {
        var text = token.Text.StartsWith("hex:", StringComparison.OrdinalIgnoreCase) ? token.Text[4..] : token.Text;
        if (text.Length % 2 != 0) throw new CaseSyntaxException(token.Column, $"odd number of hex digits in '{token.Text}'");
        try { return Convert.FromHexString(text); }
        catch (FormatException) { throw new CaseSyntaxException(token.Column, $"not hex: '{token.Text}'"); }
    }

    /// <summary>Splits on blanks; a quoted part ("text", anywhere in a word: <c>"a b"</c>, <c>payload="a b"</c>,
    /// <c>"a,b",3</c>) keeps its blanks, so that the word is its text as written, quotes and escapes included (read by
    /// <see cref="QuotedText.Scan"/>). Checks every quoted part: terminated, known escapes only.</summary>
    private static List<Token> Split(string line)
    {
        var result = new List<Token>();
        var i = 0;
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i])) { i++; continue; }
            var start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i]))
                i = line[i] == '"' ? QuotedText.Scan(line, i, 1, null) : i + 1;
            result.Add(new Token(line[start..i], start + 1));
        }
        return result;
    }

    /// <summary>A comma-separated list (an iov), commas inside quoted text kept; each part with its column. More than
    /// <paramref name="max"/> parts is a diagnostic (<paramref name="tooMany"/>) at the first one too many.</summary>
    public static IReadOnlyList<Token> List(Token token, int max = int.MaxValue, string tooMany = "too many entries")
    {
        var parts = new List<Token>();
        var text = token.Text;
        var start = 0;
        var i = 0;
        while (i <= text.Length)
        {
            if (i == text.Length || text[i] == ',')
            {
                if (parts.Count == max) throw new CaseSyntaxException(token.Column + start, tooMany);
                parts.Add(new Token(text[start..i], token.Column + start));
                start = ++i;
                continue;
            }
            i = text[i] == '"' ? QuotedText.Scan(text, i, token.Column, null) : i + 1;
        }
        return parts;
    }
}

/// <summary>The writer's side of the shared words: numbers, hex, plain words, and the exception for what a case
/// cannot hold.</summary>
internal static class Words
{
    /// <summary>The longest data counted by a length word (N, N*xx, N!): 1 MiB.</summary>
    public const int MaxCountedLength = 1 << 20;

    public static string Hex(ReadOnlySpan<byte> bytes) => "hex:" + Convert.ToHexStringLower(bytes);

    public static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static bool IsZero(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>A name as one plain word: not empty, no blanks or quotes, not a lone '#' (a comment).</summary>
    public static string Plain(string name, string what, object context) =>
        name.Length == 0 || name == "#" || name.Any(c => char.IsWhiteSpace(c) || c == '"')
            ? throw Unsupported(context, $"{what} '{name}' is not one plain word (no blanks or quotes)")
            : name;

    public static void CheckLength(UserBuffer buffer, string what, Operation op)
    {
        if (buffer.Length < 0 || buffer.Readable.Length > buffer.Length)
            throw Unsupported(op, $"{what} has {buffer.Readable.Length} readable bytes of a length of {buffer.Length}");
    }

    /// <summary>Why <see cref="CaseWriter"/> cannot write <paramref name="context"/> (a string or an operation).</summary>
    public static NotSupportedException Unsupported(object context, string why)
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
