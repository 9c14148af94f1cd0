using System.Net;
using System.Text;
using Udpconf.Suite.Compare;

namespace Udpconf.Suite.Reports;

/// <summary>
/// matrix.html: the same table as <see cref="MatrixMarkdown"/> as one self-contained page (inline CSS, no script,
/// no external resource) with coloured cells, a header that stays in view, and every failing cell linking to the
/// reports beside it. Every text and attribute from the run is HTML-encoded.
/// </summary>
public static class MatrixHtml
{
    private const string Style = """
        :root { color-scheme: light; --pass: #d8f3dc; --pass-ink: #1b5e20; --fail: #fdd8d8; --fail-ink: #8b1a1a;
                --na: #ececec; --na-ink: #555; --none: #fafafa; --none-ink: #aaa; --line: #d0d0d0; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem; color: #222; background: #fff; }
        h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
        h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
        p { margin: .25rem 0 .75rem; max-width: 70rem; }
        code { font: 12.5px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
        table { border-collapse: collapse; }
        th, td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: left; vertical-align: top; }
        thead th { background: #f3f4f6; position: sticky; top: 0; z-index: 1; }
        .targets td, .targets th { white-space: nowrap; }
        .matrix th[scope=row] { font-weight: normal; white-space: nowrap; background: #fff; position: sticky; left: 0; }
        .matrix thead th { max-width: 18rem; overflow-wrap: anywhere; }
        .matrix thead th small { display: block; font-weight: normal; color: #555; }
        .matrix td { min-width: 7rem; }
        .matrix td ul { margin: .2rem 0 0; padding-left: 1.1rem; }
        .matrix tbody tr:hover th, .matrix tbody tr:hover td { outline: 1px solid #888; }
        .pass { background: var(--pass); color: var(--pass-ink); }
        .fail { background: var(--fail); color: var(--fail-ink); font-weight: 600; }
        .fail a { color: var(--fail-ink); font-weight: normal; }
        .na { background: var(--na); color: var(--na-ink); }
        .none { background: var(--none); color: var(--none-ink); text-align: center; }
        .tag { font-size: 11px; color: #666; border: 1px solid #bbb; border-radius: 3px; padding: 0 .25rem; margin-left: .35rem; }
        .legend span { display: inline-block; padding: .05rem .45rem; margin-right: .35rem; border: 1px solid var(--line); }
        """;

    /// <param name="title">The page's title and heading.</param>
    /// <param name="preamble">HTML put before the tables (already encoded by the caller).</param>
    public static string Write(MatrixModel matrix, string title = "udpconf conformance matrix", string? preamble = null)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\">");
        html.AppendLine("<head>");
        html.AppendLine("<meta charset=\"utf-8\">");
        html.AppendLine("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        html.AppendLine($"<title>{E(title)}</title>");
        html.AppendLine("<style>");
        html.Append(Style);
        html.AppendLine("</style>");
        html.AppendLine("</head>");
        html.AppendLine("<body>");
        html.AppendLine($"<h1>{E(title)}</h1>");
        html.AppendLine($"<p>Generated {E(Matrix.Date(matrix.Generated))}: {matrix.Cases} cases on {matrix.Targets.Count} targets" +
                        (matrix.Clauses.Count == 0 ? "." : ", clauses " + string.Join(", ", matrix.Clauses.Select(c => $"<code>{E(c)}</code>")) + " only.") + "</p>");
        if (preamble is not null) html.Append(preamble);

        html.AppendLine("<h2>Targets</h2>");
        html.AppendLine("<table class=\"targets\">");
        html.AppendLine("<thead><tr><th>column</th><th>target</th><th>profile</th><th>results</th><th>clauses (Linux compatibility)</th><th>RFC rules</th><th>report</th></tr></thead>");
        html.AppendLine("<tbody>");
        foreach (var (target, totals) in matrix.Columns)
            html.AppendLine($"<tr><td><code>{E(target.Label)}</code></td><td><code>{E(target.Name)}</code></td><td>{E(target.Profile)}</td>" +
                            $"<td>{E(totals.Results.ToString())}</td><td>{totals.Rows}</td><td>{E(totals.Rfc)}</td>" +
                            (matrix.Linked ? $"<td><a href=\"{E(target.Report)}\">{E(target.Report)}</a></td></tr>" : "<td>not published</td></tr>"));
        html.AppendLine("</tbody>");
        html.AppendLine("</table>");

        html.AppendLine("<h2>RFC rules: breaks an RFC (seen on the wire)</h2>");
        html.AppendLine("<p>Every packet each case sent, checked against RFC 768, 791 and 1122 whatever the model says: <span class=\"fail\">fail F/N</span>" +
                        "packets of F of the N cases that sent any broke the rule <span class=\"pass\">pass P/N</span>none did</p>");
        Table(html, matrix.Targets, "matrix rfc", "rule", _ => "", matrix.Rfc, row => $"<code>{E(row.Label)}</code>");

        html.AppendLine("<h2>Clauses: differs from Linux</h2>");
        html.AppendLine("<p class=\"legend\"><span class=\"fail\">fail F/N</span>F of the N cases that judged the clause (naming it or differing under it, each judged past its first difference) failed under it or erred " +
                        "<span class=\"pass\">pass P/N</span>none failed <span class=\"na\">n.a.</span>none applied (a feature the target lacks, " +
                        "a step the model does not say, a case for another profile) <span class=\"none\">—</span>no selected case names the clause</p>");
        html.AppendLine("<p>A failing cell links to the expected-versus-observed report of each failing case; <span class=\"tag\">model</span> marks the model's own clauses, beyond the catalog.</p>");
        Table(html, matrix.Targets, "matrix", "clause",
            target => $"<small>{(target.Name == target.Label ? "" : E(target.Name) + " · ")}{E(target.Profile)}</small>",
            matrix.Rows, row => row.Kind switch
            {
                MatrixRowKind.Malformed => E(row.Label),
                MatrixRowKind.Model => $"<code>{E(row.Label)}</code><span class=\"tag\">model</span>",
                _ => $"<code>{E(row.Label)}</code>",
            });
        html.AppendLine("</body>");
        html.AppendLine("</html>");
        return html.ToString();
    }

    /// <summary>A table of rows by target: a header cell per target (its label, then <paramref name="detail"/>), then
    /// a row per <paramref name="rows"/> with its <paramref name="label"/> and a cell per target.</summary>
    private static void Table(StringBuilder html, IReadOnlyList<MatrixTarget> targets, string css, string first,
        Func<MatrixTarget, string> detail, IReadOnlyList<MatrixRow> rows, Func<MatrixRow, string> label)
    {
        html.AppendLine($"<table class=\"{css}\">");
        html.Append($"<thead><tr><th>{first}</th>");
        foreach (var target in targets) html.Append($"<th><code>{E(target.Label)}</code>{detail(target)}</th>");
        html.AppendLine("</tr></thead>");
        html.AppendLine("<tbody>");
        foreach (var row in rows)
        {
            html.Append($"<tr><th scope=\"row\">{label(row)}</th>");
            foreach (var cell in row.Cells) html.Append(Cell(cell, row));
            html.AppendLine("</tr>");
        }
        html.AppendLine("</tbody>");
        html.AppendLine("</table>");
    }

    private static string Cell(MatrixCell cell, MatrixRow row)
    {
        var css = cell.Status switch
        {
            MatrixStatus.Pass => "pass",
            MatrixStatus.Fail => "fail",
            MatrixStatus.NotApplicable => "na",
            _ => "none",
        };
        const int Shown = 12;
        var title = row.Cases.Count == 0 ? "no selected case names this clause"
            : $"{row.Cases.Count} case(s): " + string.Join(", ", row.Cases.Take(Shown)) + (row.Cases.Count > Shown ? $", … (+{row.Cases.Count - Shown})" : "");
        var text = new StringBuilder($"<td class=\"{css}\" title=\"{E(title)}\">{E(cell.Text)}");
        if (cell.Failures.Count > 0)
        {
            text.Append("<ul>");
            foreach (var failure in cell.Failures)
                text.Append((failure.Href.Length == 0 ? $"<li>{E(failure.CaseId)}" : $"<li><a href=\"{E(failure.Href)}\">{E(failure.CaseId)}</a>") +
                            $"{(failure.Kind == VerdictKind.Error ? " (error)" : "")}</li>");
            text.Append("</ul>");
        }
        return text.Append("</td>").ToString();
    }

    /// <summary>Text or an attribute value, HTML-encoded (&amp; &lt; &gt; " ' and control characters).</summary>
    private static string E(string text) =>
        WebUtility.HtmlEncode(string.Concat(text.Select(c => char.IsControl(c) && c is not '\n' and not '\t' ? "\uFFFD" : c.ToString())));
}
