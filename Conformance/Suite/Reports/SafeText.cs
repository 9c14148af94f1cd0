using System.Globalization;
using System.Text;

namespace Udpconf.Suite.Reports;

/// <summary>
/// Text that came from outside udpconf (an implementation's name, features, stderr, notes, errno text) made safe for
/// every place it reaches: the terminal, Markdown, HTML, JUnit XML and JSON. Control characters (C0, DEL, C1), lone
/// surrogates, non-characters and the invisible direction overrides become visible escapes (<c>\x1b</c>,
/// <c>\u202e</c>), so that ESC[2J cannot clear a terminal, a window title cannot be set, a NUL cannot end a C string
/// or break an XML writer, and what was sent stays readable. The one function every writer shares.
/// </summary>
public static class SafeText
{
    /// <summary>One line: every control character escaped, newlines and tabs included.</summary>
    public static string Line(string? text) => Escape(text, keepNewlines: false);

    /// <summary>Several lines: newlines and tabs are kept, every other control character is escaped.</summary>
    public static string Text(string? text) => Escape(text, keepNewlines: true);

    /// <summary><see cref="Line"/>, and at most <paramref name="max"/> characters of it (the end says how long it was).</summary>
    public static string Line(string? text, int max)
    {
        var line = Line(text);
        return line.Length <= max ? line : line[..max] + $"… ({line.Length} characters)";
    }

    /// <summary>Whether <paramref name="text"/> is unchanged by <see cref="Text"/>.</summary>
    public static bool IsClean(string text) => Text(text) == text;

    private static string Escape(string? text, bool keepNewlines)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        StringBuilder? escaped = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            string? replacement = null;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                escaped?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            if (keepNewlines && c is '\n' or '\t') replacement = null;
            else if (c <= 0xff && NeedsEscape(text, i)) replacement = "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture);
            else if (NeedsEscape(text, i)) replacement = "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture);
            if (replacement is null)
            {
                escaped?.Append(c);
                continue;
            }
            escaped ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            escaped.Append(replacement);
        }
        return escaped?.ToString() ?? text;
    }

    /// <summary>Whether the character at <paramref name="i"/> is one the escapes rewrite: C0 (tab and newline
    /// included), DEL and C1; lone surrogates and the non-characters U+FFFE and U+FFFF; Unicode format characters
    /// (the bidirectional overrides and isolates of "Trojan Source", zero-width ones, the byte-order mark) and the line
    /// and paragraph separators.</summary>
    public static bool NeedsEscape(string text, int i)
    {
        var c = text[i];
        if (c < 0x20 || c is >= '\x7f' and <= '\x9f') return true;
        if (char.IsHighSurrogate(c)) return i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]);
        if (char.IsLowSurrogate(c)) return i == 0 || !char.IsHighSurrogate(text[i - 1]);
        if (c < 0x80) return false;
        return c is '\ufffe' or '\uffff' ||
               CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
    }

    /// <summary>The index of the first character of a line that may not be written raw (everything
    /// <see cref="NeedsEscape"/> names but a tab), or -1: case files refuse such lines.</summary>
    public static int FirstForbidden(string line)
    {
        for (var i = 0; i < line.Length; i++)
            if (line[i] != '\t' && NeedsEscape(line, i)) return i;
        return -1;
    }
}
