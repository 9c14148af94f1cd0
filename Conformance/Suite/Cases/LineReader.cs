using System.Globalization;
using Udpconf.Reference;
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
    /// <see cref="Quoted"/>). Checks every quoted part: terminated, known escapes only.</summary>
    private static List<Token> Split(string line)
    {
        var result = new List<Token>();
        var i = 0;
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i])) { i++; continue; }
            var start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i]))
                i = line[i] == '"' ? Quoted(line, i, 1, null) : i + 1;
            result.Add(new Token(line[start..i], start + 1));
        }
        return result;
    }

    /// <summary>The escapes of quoted text: \" \\ \n \t \xHH.</summary>
    public const string Escapes = "\\\" \\\\ \\n \\t \\xHH";

    /// <summary>Reads the quoted text that starts with the '"' at <paramref name="at"/> of <paramref name="text"/>,
    /// appending its bytes (UTF-8, an \xHH escape one byte) to <paramref name="bytes"/> when given, and returns the
    /// index after the closing quote. <paramref name="column"/> is the column of text[0], for errors.</summary>
    public static int Quoted(string text, int at, int column, List<byte>? bytes)
    {
        var i = at + 1;
        var run = i;
        void Flush(int end)
        {
            if (bytes is not null && end > run) bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(text[run..end]));
        }
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"')
            {
                Flush(i);
                return i + 1;
            }
            if (c != '\\') { i++; continue; }
            Flush(i);
            if (i + 1 >= text.Length) break;
            var escape = text[i + 1];
            switch (escape)
            {
                case '"' or '\\': bytes?.Add((byte)escape); i += 2; break;
                case 'n': bytes?.Add((byte)'\n'); i += 2; break;
                case 't': bytes?.Add((byte)'\t'); i += 2; break;
                case 'x':
                    if (i + 3 >= text.Length || !char.IsAsciiHexDigit(text[i + 2]) || !char.IsAsciiHexDigit(text[i + 3]))
                        throw new CaseSyntaxException(column + i, "\\x takes two hex digits (\\xHH)");
                    bytes?.Add(Convert.ToByte(text.Substring(i + 2, 2), 16));
                    i += 4;
                    break;
                default:
                    throw new CaseSyntaxException(column + i, $"unknown escape '\\{escape}' in quoted text ({Escapes})");
            }
            run = i;
        }
        throw new CaseSyntaxException(column + at, "unterminated quoted text");
    }

    /// <summary>A word that is one quoted text, as bytes; an error when anything follows the closing quote.</summary>
    public static byte[] QuotedBytes(Token token)
    {
        var bytes = new List<byte>();
        var end = Quoted(token.Text, 0, token.Column, bytes);
        if (end != token.Text.Length)
            throw new CaseSyntaxException(token.Column + end, $"unexpected '{token.Text[end..]}' after the quoted text");
        return bytes.ToArray();
    }

    /// <summary>A word with its quoted parts read (their quotes removed, escapes applied), as text.</summary>
    public static string Unquoted(Token token)
    {
        var text = token.Text;
        if (!text.Contains('"')) return text;
        var result = new System.Text.StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '"') { result.Append(text[i++]); continue; }
            var bytes = new List<byte>();
            i = Quoted(text, i, token.Column, bytes);
            result.Append(System.Text.Encoding.UTF8.GetString(bytes.ToArray()));
        }
        return result.ToString();
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
            i = text[i] == '"' ? Quoted(text, i, token.Column, null) : i + 1;
        }
        return parts;
    }
}
