using Udpconf.Reference.Api;
using static Udpconf.Suite.Cases.Words;

namespace Udpconf.Suite.Cases;

/// <summary>Data words: <c>N</c> (N bytes counting 0, 1, 2, …), <c>N*xx</c> (N bytes of xx), <c>hex:…</c>,
/// <c>"text"</c> (<see cref="QuotedText"/>), <c>N!</c> (N unreadable bytes); read and written.</summary>
internal static class DataWords
{
    /// <summary>N (N bytes counting 0, 1, 2, …), N*xx (N bytes of xx), hex:…, "text" (UTF-8, with the escapes \" \\ \n
    /// \t \xHH), N! (N unreadable bytes).</summary>
    public static UserBuffer Read(Token token) => Read(token, new DataBudget());

    /// <summary>Checks a DATA word without building its bytes.</summary>
    public static void Check(Token token) => Read(token, DataBudget.CheckOnly());

    public static UserBuffer Read(Token token, DataBudget data)
    {
        var text = token.Text;
        if (text.StartsWith('"')) return UserBuffer.Of(data.Held(QuotedText.Bytes(token), token.Column));
        if (text.StartsWith("hex:")) return UserBuffer.Of(data.Held(LineReader.Hex(token), token.Column));
        if (text.EndsWith('!')) return UserBuffer.Unreadable(Length(token with { Text = text[..^1] }));
        var star = text.IndexOf('*');
        if (star > 0)
        {
            var count = Length(token with { Text = text[..star] });
            var fill = LineReader.Hex(token with { Text = text[(star + 1)..], Column = token.Column + star + 1 });
            if (fill.Length != 1) throw new CaseSyntaxException(token.Column + star + 1, "N*xx repeats one byte xx");
            return new UserBuffer(data.Fill(fill[0], (int)count, token.Column), count);
        }
        var length = Length(token);
        return new UserBuffer(data.Pattern((int)length), length);
    }

    private static long Length(Token token)
    {
        var value = LineReader.ParseLong(token, "a length");
        if (value is < 0 or > CaseLimits.DataLength) throw new CaseSyntaxException(token.Column, $"data length must be 0 to {CaseLimits.DataLength} (1 MiB, the limit): {token.Text}");
        return value;
    }

    /// <summary>Readable bytes: N (0, 1, 2, …), "text" (printable ASCII, tabs and newlines, escaped), N*xx, or hex.</summary>
    public static string Write(ReadOnlySpan<byte> bytes, bool allowText)
    {
        if (bytes.Length <= MaxCountedLength)
        {
            if (IsPattern(bytes)) return Num(bytes.Length);
            if (allowText && QuotedText.IsText(bytes)) return QuotedText.Write(bytes);
            if (bytes.Length >= 2 && bytes.IndexOfAnyExcept(bytes[0]) < 0) return $"{Num(bytes.Length)}*{bytes[0]:x2}";
        }
        return Hex(bytes);
    }

    /// <summary>A data word of <paramref name="length"/> bytes that starts with <paramref name="readable"/>, for
    /// <c>readable N</c> to cut.</summary>
    public static string WritePrefix(ReadOnlySpan<byte> readable, long length)
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

    /// <summary><paramref name="buffer"/> as a word of its own: <see cref="Write"/> when readable, else
    /// <c>N!</c> (up to 1 MiB); null for a partly readable buffer or a longer unreadable one.</summary>
    public static string? WriteWhole(UserBuffer buffer) =>
        buffer.FullyReadable ? Write(buffer.Readable.Span, allowText: true)
        : buffer.Readable.Length == 0 && buffer.Length <= MaxCountedLength ? Num(buffer.Length) + "!"
        : null;

    private static bool IsPattern(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++) if (bytes[i] != (byte)i) return false;
        return true;
    }
}
