using System.Text;

namespace Udpconf.Suite.Cases;

/// <summary>Quoted text (<c>"text"</c>, in data words, iov lists, <c>payload=</c> and title words): read with the
/// escapes \" \\ \n \t \xHH, written with \" \\ \n \t.</summary>
internal static class QuotedText
{
    /// <summary>The escapes of quoted text: \" \\ \n \t \xHH.</summary>
    public const string Escapes = "\\\" \\\\ \\n \\t \\xHH";

    /// <summary>Reads the quoted text that starts with the '"' at <paramref name="at"/> of <paramref name="text"/>,
    /// appending its bytes (UTF-8, an \xHH escape one byte) to <paramref name="bytes"/> when given, and returns the
    /// index after the closing quote. <paramref name="column"/> is the column of text[0], for errors.</summary>
    public static int Scan(string text, int at, int column, List<byte>? bytes)
    {
        var i = at + 1;
        var run = i;
        void Flush(int end)
        {
            if (bytes is not null && end > run) bytes.AddRange(Encoding.UTF8.GetBytes(text[run..end]));
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
    public static byte[] Bytes(Token token)
    {
        var bytes = new List<byte>();
        var end = Scan(token.Text, 0, token.Column, bytes);
        if (end != token.Text.Length)
            throw new CaseSyntaxException(token.Column + end, $"unexpected '{token.Text[end..]}' after the quoted text");
        return bytes.ToArray();
    }

    /// <summary>A word with its quoted parts read (their quotes removed, escapes applied), as text.</summary>
    public static string Unquoted(Token token)
    {
        var text = token.Text;
        if (!text.Contains('"')) return text;
        var result = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '"') { result.Append(text[i++]); continue; }
            var bytes = new List<byte>();
            i = Scan(text, i, token.Column, bytes);
            result.Append(Encoding.UTF8.GetString(bytes.ToArray()));
        }
        return result.ToString();
    }

    /// <summary>Text worth writing as "text": printable ASCII, tabs and newlines, with a letter.</summary>
    public static bool IsText(ReadOnlySpan<byte> bytes)
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
    public static string Write(ReadOnlySpan<byte> bytes)
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
}
