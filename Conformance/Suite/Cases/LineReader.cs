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

    public int Int(string what)
    {
        var token = Next(what);
        var value = ParseLong(token, what);
        if (value < int.MinValue || value > int.MaxValue) throw new CaseSyntaxException(token.Column, $"{what} out of range: {token.Text}");
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

    /// <summary>Splits on blanks, keeping "quoted text" as one word (quotes removed, \" and \\ escaped).</summary>
    private static List<Token> Split(string line)
    {
        var result = new List<Token>();
        var i = 0;
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i])) { i++; continue; }
            var start = i;
            if (line[i] == '"')
            {
                var text = new System.Text.StringBuilder("\"");
                i++;
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length) i++;
                    text.Append(line[i++]);
                }
                if (i >= line.Length) throw new CaseSyntaxException(start + 1, "unterminated quoted text");
                i++;
                result.Add(new Token(text.ToString(), start + 1));
                continue;
            }
            while (i < line.Length && !char.IsWhiteSpace(line[i])) i++;
            result.Add(new Token(line[start..i], start + 1));
        }
        return result;
    }
}
