using System.Globalization;
using System.Text;

namespace Udpconf.Suite.Cases;

/// <summary>
/// Text from a case file or its name made safe to echo on a terminal or in a report: control characters (C0, DEL,
/// C1), Unicode format characters (bidirectional overrides, zero-width ones), line and paragraph separators and
/// lone surrogates are written as escapes (<c>\x1b</c>, <c>\u{202e}</c>); everything else is left as it is.
/// </summary>
public static class CaseText
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var i = 0;
        while (i < text.Length && !NeedsEscape(text, i)) i++;
        if (i == text.Length) return text;
        var result = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogatePair(text, i)) { result.Append(c).Append(text[++i]); continue; }
            if (!NeedsEscape(text, i)) result.Append(c);
            else if (c <= 0xff) result.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else result.Append(CultureInfo.InvariantCulture, $"\\u{{{(int)c:x4}}}");
        }
        return result.ToString();
    }

    /// <summary>Whether the character at <paramref name="i"/> is one <see cref="Escape"/> rewrites (a tab too).</summary>
    public static bool NeedsEscape(string text, int i)
    {
        var c = text[i];
        if (c < 0x20 || c is >= '\x7f' and <= '\x9f') return true;
        if (char.IsHighSurrogate(c)) return i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]);
        if (char.IsLowSurrogate(c)) return i == 0 || !char.IsHighSurrogate(text[i - 1]);
        if (c < 0x80) return false;
        return CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
    }

    /// <summary>The index of the first character of a case line that may not be written raw (everything
    /// <see cref="NeedsEscape"/> names but a tab), or -1.</summary>
    public static int FirstForbidden(string line)
    {
        for (var i = 0; i < line.Length; i++)
            if (line[i] != '\t' && NeedsEscape(line, i)) return i;
        return -1;
    }
}
