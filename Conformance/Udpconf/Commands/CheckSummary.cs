using Spectre.Console;
using Spectre.Console.Rendering;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;

namespace Udpconf.Cli.Commands;

/// <summary>What check prints after a run: the verdicts by profile and the count of not-applicable steps, each
/// failing case with its first problem, each case that did not apply or applied with steps that did not (with the
/// reason), and every diagnostic of the malformed case files.</summary>
public static class CheckSummary
{
    public static void Render(CliIo io, IReadOnlyList<CaseResult> results, IReadOnlyList<CaseFile> cases, string source)
    {
        var profiles = results.Select(r => r.Profile).Distinct().ToArray();
        var targets = results.Select(r => r.Target).Distinct().ToArray();
        io.Out.WriteLine($"{cases.Count} cases from {source} on {string.Join(", ", targets)}");
        io.Out.WriteLine();

        var verdicts = new Table().Title("verdicts").AddColumn("verdict");
        foreach (var profile in profiles) verdicts.AddColumn(new TableColumn(profile).RightAligned());
        verdicts.AddColumn(new TableColumn("total").RightAligned());
        foreach (var kind in new[] { VerdictKind.Pass, VerdictKind.Fail, VerdictKind.Error, VerdictKind.NotApplicable })
        {
            var row = new List<IRenderable> { new Text(kind.Name()) };
            row.AddRange(profiles.Select(p => Count(results.Count(r => r.Profile == p && r.Kind == kind), kind)));
            row.Add(Count(results.Count(r => r.Kind == kind), kind));
            verdicts.AddRow(row);
        }
        io.Out.Write(verdicts);
        var steps = results.Sum(r => ReportText.NotApplicableSteps(r).Count);
        if (steps > 0)
            io.Out.WriteLine($"{steps} step{(steps == 1 ? "" : "s")} not applicable (listed below)");

        var failures = results.Where(ReportText.IsFailure)
            .OrderBy(r => r.CaseId, StringComparer.Ordinal).ThenBy(r => Array.IndexOf(profiles, r.Profile)).ToArray();
        if (failures.Length > 0)
        {
            var table = new Table().Title("failures").AddColumn("case").AddColumn("profile").AddColumn("verdict").AddColumn("first problem");
            foreach (var result in failures)
                table.AddRow(new Text(result.CaseId), new Text(result.Profile), Verdict(result.Kind), new Text(ReportText.FirstProblem(result)));
            io.Out.Write(table);
        }

        // What was not checked is listed with its reason: a case that did not apply, and a case that applied with
        // steps that did not (the model does not say them).
        var notApplicable = results.Where(r => !ReportText.IsFailure(r) && ReportText.HasNotApplicable(r))
            .OrderBy(r => r.CaseId, StringComparer.Ordinal).ThenBy(r => Array.IndexOf(profiles, r.Profile)).ToArray();
        if (notApplicable.Length > 0)
        {
            var table = new Table().Title("not applicable").AddColumn("case").AddColumn("profile").AddColumn("verdict").AddColumn("why");
            foreach (var result in notApplicable)
                table.AddRow(new Text(result.CaseId), new Text(result.Profile), Verdict(result.Kind),
                    new Text(result.Kind == VerdictKind.NotApplicable ? ReportText.FirstLine(ReportText.Reason(result) ?? "not applicable") : ReportText.NotApplicableStepsText(result)));
            io.Out.Write(table);
        }

        var malformed = cases.Where(c => c.Case is null).ToArray();
        if (malformed.Length > 0)
        {
            io.Out.WriteLine();
            io.Out.WriteLine($"{malformed.Length} malformed case file(s), not run:");
            foreach (var diagnostic in malformed.SelectMany(c => c.Diagnostics)) io.Out.PlainLine("  " + diagnostic);
        }
        io.Out.WriteLine();
    }

    private static IRenderable Count(int count, VerdictKind kind) =>
        count > 0 && kind is VerdictKind.Fail or VerdictKind.Error ? new Text(count.ToString(), new Style(Color.Red, decoration: Decoration.Bold))
        : count > 0 && kind is VerdictKind.Pass ? new Text(count.ToString(), new Style(Color.Green))
        : new Text(count.ToString());

    private static IRenderable Verdict(VerdictKind kind) =>
        new Text(kind.Name(), new Style(kind switch { VerdictKind.Fail => Color.Red, VerdictKind.Pass => Color.Green, _ => Color.Yellow }));
}
