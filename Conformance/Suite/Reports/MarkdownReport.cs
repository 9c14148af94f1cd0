using System.Net;
using System.Text;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Pcap;

namespace Udpconf.Suite.Reports;

/// <summary>
/// A Markdown summary for people (a CI job summary, a pull request comment): first a table by clause, the cases
/// that pass, fail or do not apply under each profile, then one section per failure with the clause ids and the
/// expected and observed results and packets side by side, decoded and in hex.
/// </summary>
public static class MarkdownReport
{
    /// <param name="partial">Why the run stopped early (an interruption), or null for a whole run.</param>
    public static string Write(IReadOnlyList<CaseResult> results, string? partial = null)
    {
        var text = new StringBuilder();
        text.AppendLine("# udpconf conformance report");
        text.AppendLine();
        if (partial is not null)
        {
            text.AppendLine($"**Partial report: {partial}.**");
            text.AppendLine();
        }
        var targets = results.Select(r => r.Target).Distinct().ToArray();
        text.AppendLine($"**{ReportText.Tally.Of(results).Total} results**: {ReportText.Tally.Of(results)}" +
                        (targets.Length == 0 ? "." : $" on {string.Join(", ", targets.Select(t => $"`{t}`"))}."));
        text.AppendLine();
        ByClause(text, results);
        Rfc(text, results);
        BuildDependent(text, results);
        Failures(text, results);
        NotApplicable(text, results);
        return text.ToString();
    }

    /// <summary>Every packet that breaks an RFC rule (<see cref="RfcRules"/>), whatever the step's verdict: the
    /// RFC-level verdict, apart from the comparison with Linux.</summary>
    private static void Rfc(StringBuilder text, IReadOnlyList<CaseResult> results)
    {
        var findings = results.SelectMany(r => r.RfcFindings.Select(f => (r, f.Step, f.Finding))).ToArray();
        text.AppendLine("## Breaks an RFC (seen on the wire)");
        text.AppendLine();
        text.AppendLine($"Every packet sent is checked against RFC 768, 791 and 1122 whatever the model says ({RfcRules.All.Count} rules: " +
                        string.Join(", ", RfcRules.All.Select(r => $"`{r.Id}`")) + ").");
        text.AppendLine();
        if (findings.Length == 0)
        {
            text.AppendLine("No packet breaks one.");
            text.AppendLine();
            return;
        }
        text.AppendLine("| case | profile | step | packet | rule | what |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var run in findings.GroupBy(f => f.r))
        {
            // Bounded like packets: a flood of bad packets is counted, not listed (report.json and the pcap have them).
            foreach (var (result, step, finding) in run.Take(ReportText.PacketsShown))
                text.AppendLine($"| `{result.CaseId}` | {result.Profile} | {step} | {finding.Packet} | `{finding.Rule}` | {Escape(finding.What)} |");
            if (run.Count() > ReportText.PacketsShown)
                text.AppendLine($"| `{run.Key.CaseId}` | {run.Key.Profile} | | | | … and {run.Count() - ReportText.PacketsShown} more |");
        }
        text.AppendLine();
    }

    /// <summary>Passing steps whose answer is one the model allows for another build of the kernel (the step's reason
    /// names the build option): worth knowing, since another machine would answer otherwise.</summary>
    private static void BuildDependent(StringBuilder text, IReadOnlyList<CaseResult> results)
    {
        var steps = results.SelectMany(r => r.Steps.Where(s => s.Kind == VerdictKind.Pass && s.Reason is not null).Select(s => (r, s))).ToArray();
        if (steps.Length == 0) return;
        text.AppendLine("## Answers that depend on the build");
        text.AppendLine();
        foreach (var (result, step) in steps)
            text.AppendLine($"- `{result.CaseId}` ({result.Profile}) step {step.Step.Index + 1} `{step.Step.Text}`: {step.Reason}");
        text.AppendLine();
    }

    /// <summary>The results that did not apply, and those that passed with steps that did not, each with its reason:
    /// what was not checked is listed, not hidden in a pass.</summary>
    private static void NotApplicable(StringBuilder text, IReadOnlyList<CaseResult> results)
    {
        var listed = results.Where(ReportText.HasNotApplicable).ToArray();
        if (listed.Length == 0) return;
        text.AppendLine();
        text.AppendLine("## Not applicable");
        text.AppendLine();
        text.AppendLine("| case | profile | verdict | not applicable |");
        text.AppendLine("|---|---|---|---|");
        foreach (var result in listed)
        {
            var why = result.Kind == VerdictKind.NotApplicable
                ? ReportText.FirstLine(ReportText.Reason(result) ?? "not applicable")
                : ReportText.NotApplicableStepsText(result);
            text.AppendLine($"| `{result.CaseId}` | {result.Profile} | {result.Kind.Name()} | {Escape(why)} |");
        }
    }

    private static void ByClause(StringBuilder text, IReadOnlyList<CaseResult> results)
    {
        var profiles = results.Select(r => r.Profile).Distinct().ToArray();
        text.AppendLine("## By clause");
        text.AppendLine();
        text.AppendLine("Each cell counts the cases naming the clause: passed / failed (errors included) / not applicable.");
        text.AppendLine();
        text.AppendLine("| clause | " + string.Join(" | ", profiles) + " |");
        text.AppendLine("|---|" + string.Concat(profiles.Select(_ => "---|")));
        // A malformed case names no clause it could be counted under; it gets a row of its own.
        var clauses = results.SelectMany(r => r.Clauses).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var clause in clauses)
            text.AppendLine($"| `{clause}` | " + string.Join(" | ", profiles.Select(p => Cell(results.Where(r => r.Profile == p && r.Clauses.Contains(clause))))) + " |");
        if (results.Any(r => r.Clauses.Count == 0))
            text.AppendLine("| (no clause: malformed) | " + string.Join(" | ", profiles.Select(p => Cell(results.Where(r => r.Profile == p && r.Clauses.Count == 0)))) + " |");
        text.AppendLine();
    }

    private static string Cell(IEnumerable<CaseResult> results)
    {
        var tally = ReportText.Tally.Of(results);
        if (tally.Total == 0) return "—";
        var cell = $"{tally.Pass} / {tally.Fail + tally.Error} / {tally.NotApplicable}";
        return tally.Fail + tally.Error > 0 ? $"**{cell}**" : cell;
    }

    private static void Failures(StringBuilder text, IReadOnlyList<CaseResult> results)
    {
        var failures = results.Where(ReportText.IsFailure).ToArray();
        text.AppendLine("## Failures");
        text.AppendLine();
        if (failures.Length == 0)
        {
            text.AppendLine("None.");
            return;
        }
        foreach (var result in failures) Failure(text, result);
    }

    private static void Failure(StringBuilder text, CaseResult result)
    {
        text.AppendLine($"### `{result.CaseId}` ({result.Profile}) on `{result.Target}`: {result.Kind.Name()}");
        text.AppendLine();
        text.AppendLine($"File `{result.File}`" + (result.Clauses.Count == 0 ? "." : "; clauses " + string.Join(", ", result.Clauses.Select(c => $"`{c}`")) + "."));
        text.AppendLine();
        if (result.Reason is not null)
        {
            text.AppendLine("```text");
            text.AppendLine(result.Reason);
            text.AppendLine("```");
            text.AppendLine();
        }
        var failing = result.Steps.Where(ReportText.IsFailure).ToArray();
        foreach (var step in failing.Take(ReportText.FailingStepsShown)) Step(text, step);
        if (failing.Length > ReportText.FailingStepsShown)
            text.AppendLine($"… and {failing.Length - ReportText.FailingStepsShown} more failing steps (report.json lists them all).").AppendLine();
    }

    private static void Step(StringBuilder text, StepVerdict step)
    {
        text.AppendLine($"#### Step {step.Step.Index + 1}: `{step.Step.Text}` ({step.Step.Position})");
        text.AppendLine();
        if (step.Reason is not null) text.AppendLine(step.Reason).AppendLine();
        // The results first (what the model predicted, what the case says), then every other problem; a row
        // marked ✗ is one that differs.
        text.AppendLine("| | check | expected | observed | clause |");
        text.AppendLine("|---|---|---|---|---|");
        bool Differs(ProblemSource source) => step.Problems.Any(p => p.Source == source && p.What == "result");
        if (step.Predicted is not null || step.Observed is not null)
            text.AppendLine($"| {Mark(Differs(ProblemSource.Model))} | result (model) | {Escape(step.Predicted?.ToString() ?? "—")} | {Escape(step.Observed?.Describe() ?? "—")} | {Clause(step.Predicted?.Clause)} |");
        if (step.Step.Expectation.Result is { } own)
            text.AppendLine($"| {Mark(Differs(ProblemSource.Case))} | result (case) | {Escape(own.ToString())} | {Escape(step.Observed?.Describe() ?? "—")} | {Clause(own.Clause ?? step.Predicted?.Clause)} |");
        foreach (var problem in step.Problems.Where(p => p.What != "result"))
            text.AppendLine($"| ✗ | {Escape($"{problem.What} ({problem.SourceName})")} | {Escape(problem.Expected)} | {Escape(problem.Observed)} | {Clause(problem.Clause)} |");
        text.AppendLine();

        var observed = ReportText.ObservedOnWire(step.Observed);
        if (step.ExpectedPackets.Count == 0 && observed.Count == 0) return;
        // GitHub and most renderers accept this HTML table; a Markdown table cannot hold multi-line cells.
        text.AppendLine("<table>");
        text.AppendLine($"<tr><th>expected (model): {step.ExpectedPackets.Count} packet(s)</th><th>observed ({(step.Observed is null ? "nothing" : "target")}): {observed.Count} packet(s)</th></tr>");
        text.AppendLine($"<tr><td valign=\"top\"><pre>{Html(Dissection.Describe(Shown(step.ExpectedPackets)))}{More(step.ExpectedPackets)}</pre></td>" +
                        $"<td valign=\"top\"><pre>{Html(Dissection.Describe(Shown(observed)))}{More(observed)}</pre></td></tr>");
        text.AppendLine("</table>");
        text.AppendLine();
        Hex(text, "expected", step.ExpectedPackets);
        Hex(text, "observed", observed);
    }

    /// <summary>The full bytes: the dissection shows at most 64 bytes of data per packet.</summary>
    private static void Hex(StringBuilder text, string label, IReadOnlyList<byte[]> packets)
    {
        if (packets.Count == 0) return;
        text.AppendLine($"<details><summary>{label} bytes</summary>");
        text.AppendLine();
        text.AppendLine("```text");
        for (var i = 0; i < Math.Min(packets.Count, ReportText.PacketsShown); i++) text.AppendLine($"{i + 1}: {ReportText.Hex(packets[i])}");
        if (More(packets) is { Length: > 0 } more) text.AppendLine(more.Trim());
        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine("</details>");
        text.AppendLine();
    }

    private static IReadOnlyList<byte[]> Shown(IReadOnlyList<byte[]> packets) =>
        packets.Count <= ReportText.PacketsShown ? packets : packets.Take(ReportText.PacketsShown).ToArray();

    private static string More(IReadOnlyList<byte[]> packets) =>
        packets.Count <= ReportText.PacketsShown ? "" : $"\n… {packets.Count - ReportText.PacketsShown} more packets (the failure pcap has them all)";

    private static string Mark(bool differs) => differs ? "✗" : "";

    private static string Clause(Reference.Clause? clause) => clause is null ? "—" : $"`{clause}`";

    private static string Escape(string text) => text.Replace("|", "\\|").Replace("\r", "").Replace("\n", "<br>");

    private static string Html(string text) => WebUtility.HtmlEncode(text.TrimEnd());
}
