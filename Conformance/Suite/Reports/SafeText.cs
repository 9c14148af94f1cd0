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
            else if (c < 0x20 || c is >= '\x7f' and <= '\x9f') replacement = "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture);
            else if (char.IsSurrogate(c) || c is '\ufffe' or '\uffff' or '\u2028' or '\u2029' or '\ufeff' || IsDirectionControl(c))
                replacement = "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture);
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

    /// <summary>The bidirectional overrides, embeddings and isolates ("Trojan Source"): they reorder what follows.</summary>
    private static bool IsDirectionControl(char c) => c is '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');
}
