using System.Net;
using System.Text.RegularExpressions;

namespace Udpconf.Suite.Reports;

/// <summary>A column of a matrix as its page names it: the target as it was asked for, its full name, its profile and
/// its report folder (relative to the page).</summary>
public sealed record MatrixPageColumn(string Label, string Name, string Profile, string Folder);

/// <summary>
/// What a matrix.html (<see cref="MatrixHtml"/>) says of its run that the targets' report.json files do not: the
/// columns as they were asked for (<c>kernel</c>, <c>exec:./stack</c>, whose report names only
/// <c>kernel:6.12.0</c> or the stack's own name), their order and folders, and the clauses the rows were limited
/// to (<c>--clause</c>). <c>udpconf merge</c> reads it beside the report folders of a sharded matrix, so that the
/// merged matrix has the columns and rows of the unsharded one.
/// </summary>
public sealed record MatrixPage(string Path, IReadOnlyList<MatrixPageColumn> Columns, IReadOnlyList<string> Clauses)
{
    /// <summary>A page larger than this (64 MiB) is not read (one of every clause on ten targets is well under 1 MB).</summary>
    public const long MaxBytes = 64L << 20;

    // The row of the targets table and the date line, as MatrixHtml writes them; every text in them is HTML-encoded,
    // so none holds a '<' or a '"'.
    private static readonly Regex TargetRow = new(
        "^<tr><td><code>(?<label>[^<]*)</code></td><td><code>(?<name>[^<]*)</code></td><td>(?<profile>[^<]*)</td>.*<td><a href=\"(?<report>[^\"]*)\">",
        RegexOptions.CultureInvariant);
    private static readonly Regex Code = new("<code>(?<text>[^<]*)</code>", RegexOptions.CultureInvariant);

    /// <summary>The page at <paramref name="path"/>, or why it cannot be read (one line); a page without the targets
    /// table (one written with --page-only, whose failures link nowhere) has no columns.</summary>
    public static (MatrixPage? Page, string? Problem) Read(string path)
    {
        string[] lines;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxBytes) return (null, $"{info.Length} bytes, larger than the {MaxBytes >> 20} MiB a matrix page may have; not read");
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot read the file: {SafeText.Line(e.Message)}");
        }
        var columns = new List<MatrixPageColumn>();
        var clauses = new List<string>();
        foreach (var line in lines)
        {
            if (line.StartsWith("<p>Generated ", StringComparison.Ordinal) && line.Contains(", clauses ", StringComparison.Ordinal))
                clauses.AddRange(Code.Matches(line).Select(m => WebUtility.HtmlDecode(m.Groups["text"].Value)));
            if (TargetRow.Match(line) is not { Success: true } row) continue;
            var report = WebUtility.HtmlDecode(row.Groups["report"].Value);
            if (!report.EndsWith(ReportDirectory.Markdown, StringComparison.Ordinal)) continue;
            columns.Add(new MatrixPageColumn(WebUtility.HtmlDecode(row.Groups["label"].Value), WebUtility.HtmlDecode(row.Groups["name"].Value),
                WebUtility.HtmlDecode(row.Groups["profile"].Value), report[..^ReportDirectory.Markdown.Length].TrimEnd('/')));
        }
        return (new MatrixPage(path, columns, clauses), null);
    }
}
