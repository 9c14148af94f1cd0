using System.Text;
using Udpconf.Suite.Compare;

namespace Udpconf.Suite.Reports;

/// <summary>
/// matrix.md: the targets with their full names, profiles and totals, then one table row per clause and one column
/// per target. Ids and names are code spans (nothing in them is read as Markdown or HTML; a '|' is escaped for the
/// table), links are percent-encoded relative paths, so the file renders the same on GitHub as in a terminal.
/// </summary>
public static class MatrixMarkdown
{
    public static string Write(MatrixModel matrix)
    {
        var text = new StringBuilder();
        text.AppendLine("# udpconf conformance matrix");
        text.AppendLine();
        text.AppendLine($"Generated {Matrix.Date(matrix.Generated)}: {matrix.Cases} cases on {matrix.Targets.Count} targets" +
                        (matrix.Clauses.Count == 0 ? "." : $", clauses {string.Join(", ", matrix.Clauses.Select(Code))} only."));
        text.AppendLine();

        text.AppendLine("## Targets");
        text.AppendLine();
        text.AppendLine("| column | target | profile | results | clauses (Linux compatibility) | RFC rules | report |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var (target, totals) in matrix.Columns)
            text.AppendLine($"| {Code(target.Label)} | {Code(target.Name)} | {Cell(target.Profile)} | {totals.Results} | " +
                            $"{totals.Rows} | {totals.Rfc} | {(matrix.Linked ? $"[{Code(target.Report)}]({Href(target.Report)})" : "not published")} |");
        text.AppendLine();

        text.AppendLine("## RFC rules: breaks an RFC (seen on the wire)");
        text.AppendLine();
        text.AppendLine("Every packet each case sent, checked against RFC 768, 791 and 1122 whatever the model says: **fail F/N** when " +
                        "packets of F of the N cases that sent any broke the rule; pass P/N when none did.");
        text.AppendLine();
        text.AppendLine("| rule | " + string.Join(" | ", matrix.Targets.Select(t => Code(t.Label))) + " |");
        text.AppendLine("|---|" + string.Concat(matrix.Targets.Select(_ => "---|")));
        foreach (var row in matrix.Rfc)
            text.AppendLine($"| {Code(row.Label)} | " + string.Join(" | ", row.Cells.Select(Cell)) + " |");
        text.AppendLine();

        text.AppendLine("## Clauses: differs from Linux");
        text.AppendLine();
        text.AppendLine("Each cell sums up the cases that name the clause, or that differed under it, on that target, each judged past its " +
                        "first difference: **fail F/N** when F of the N cases that judged the clause failed under it or erred, pass P/N when " +
                        "none failed (a failing case counts where the clause held in every step judged under it), n.a. when none applied or judged it (a feature the target " +
                        "lacks, a step the model does not say, a case for another profile, a clause only after a difference it depends on), — when no selected case names the clause. A failing cell links to the " +
                        "expected-versus-observed report of each failing case. (model) marks the model's own clauses, beyond the catalog.");
        text.AppendLine();
        text.AppendLine("| clause | " + string.Join(" | ", matrix.Targets.Select(t => Code(t.Label))) + " |");
        text.AppendLine("|---|" + string.Concat(matrix.Targets.Select(_ => "---|")));
        foreach (var row in matrix.Rows)
        {
            var label = row.Kind switch
            {
                MatrixRowKind.Malformed => Cell(row.Label),
                MatrixRowKind.Model => Code(row.Label) + " (model)",
                _ => Code(row.Label),
            };
            text.AppendLine($"| {label} | " + string.Join(" | ", row.Cells.Select(Cell)) + " |");
        }
        return text.ToString();
    }

    private static string Cell(MatrixCell cell)
    {
        if (cell.Status != MatrixStatus.Fail) return cell.Text;
        var links = cell.Failures.Select(f => (f.Href.Length == 0 ? Code(f.CaseId) : $"[{Code(f.CaseId)}]({Href(f.Href)})") + (f.Kind == VerdictKind.Error ? " (error)" : ""));
        return $"**{cell.Text}**: " + string.Join(", ", links);
    }

    /// <summary>A code span that holds any text: a fence longer than any run of backticks inside, padded when the
    /// text starts or ends with one; '|' escaped (GitHub splits table cells before it reads code spans).</summary>
    public static string Code(string text)
    {
        var flat = OneLine(text).Replace("|", "\\|");
        var longest = 0;
        for (int i = 0, run = 0; i < flat.Length; i++)
        {
            run = flat[i] == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        var fence = new string('`', longest + 1);
        var pad = flat.StartsWith('`') || flat.EndsWith('`') || flat.Length == 0 ? " " : "";
        return fence + pad + flat + pad + fence;
    }

    /// <summary>Plain text in a table cell: every ASCII punctuation character that Markdown or HTML could read is
    /// escaped with a backslash.</summary>
    private static string Cell(string text)
    {
        var escaped = new StringBuilder();
        foreach (var c in OneLine(text))
        {
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '&' or '#' or '!' or '(' or ')' or '~') escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    /// <summary>A link destination: already percent-encoded by <see cref="Matrix.Link"/>; anything that would end
    /// it early is encoded too.</summary>
    private static string Href(string href)
    {
        var encoded = new StringBuilder();
        foreach (var c in href)
        {
            if (c is ' ' or '(' or ')' or '<' or '>' or '\\' or '|' or '`' || char.IsControl(c)) encoded.Append($"%{(int)c:X2}");
            else encoded.Append(c);
        }
        return encoded.ToString();
    }

    private static string OneLine(string text) => text.Replace("\r", "").Replace("\n", " ");
}
