using System.Security.Cryptography;
using System.Text;
using Udpconf.Reference;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;

namespace Udpconf.Suite.Reports;

/// <summary>One column of a conformance matrix: a target that ran the cases under one profile.</summary>
/// <param name="Label">The target as it was asked for (<c>model:spec</c>, <c>kernel</c>, <c>exec:./mystack</c>).</param>
/// <param name="Name">Its full name, as it names itself in the results (<c>kernel:6.18.0-1</c>).</param>
/// <param name="Profile">The profile its cases ran under.</param>
/// <param name="Folder">Its report folder (<see cref="ReportDirectory"/>), relative to the matrix files, '/'-separated.</param>
/// <param name="Results">Its results, one per case run.</param>
public sealed record MatrixTarget(string Label, string Name, string Profile, string Folder, IReadOnlyList<CaseResult> Results)
{
    /// <summary>The target's report.md, relative to the matrix files.</summary>
    public string Report => (Folder.Length == 0 ? "" : Folder.TrimEnd('/') + "/") + ReportDirectory.Markdown;
}

/// <summary>What a cell says: a case naming the clause failed (or erred) on the target; none failed and one passed;
/// none applied (a feature the target lacks, a step the model does not say, a case for another profile); or no
/// selected case names the clause at all.</summary>
public enum MatrixStatus { Pass, Fail, NotApplicable, Unnamed }

/// <summary>Where a row's clause comes from: the catalog (Reference/clauses.md), the model's own additions, neither (a
/// clause a case names that neither knows), the row of malformed case files (which name no clause), or an RFC rule
/// (<see cref="RfcRules"/>) judged on every packet a target sent.</summary>
public enum MatrixRowKind { Catalog, Model, Other, Malformed, Rfc }

/// <summary>A failing result of a cell and the relative link to its expected-versus-observed report (empty on a page
/// published without the reports).</summary>
public sealed record MatrixLink(string CaseId, string Profile, VerdictKind Kind, string Href);

/// <summary>One cell: the counts of the results of the cases naming the row's clause on one target, and a link per
/// failure.</summary>
/// <param name="Fail">Failures and errors.</param>
/// <param name="NotApplicableSteps">The not-applicable steps of the cases that applied (the model does not say them).</param>
public sealed record MatrixCell(MatrixStatus Status, int Pass, int Fail, int NotApplicable, IReadOnlyList<MatrixLink> Failures, int NotApplicableSteps = 0)
{
    /// <summary>The results that applied: passed, failed or erred.</summary>
    public int Applied => Pass + Fail;

    /// <summary>The cell in words: "fail 2/5" (2 of the 5 cases that applied failed), "pass 5/5", "n.a.", "—"; the
    /// cases that did not apply beside a pass or a fail are counted after it, then the steps that did not apply in the
    /// cases that did ("pass 5/5 (+3 n.a. steps)").</summary>
    public string Text => Status switch
    {
        MatrixStatus.Fail => $"fail {Fail}/{Applied}",
        MatrixStatus.Pass => $"pass {Pass}/{Applied}",
        MatrixStatus.NotApplicable => NotApplicable == 0 ? "n.a." : $"n.a. ({NotApplicable})",
        _ => "—",
    } + (Status is MatrixStatus.Pass or MatrixStatus.Fail && NotApplicable > 0 ? $" (+{NotApplicable} n.a.)" : "")
      + (Status is MatrixStatus.Pass or MatrixStatus.Fail && NotApplicableSteps > 0 ? $" (+{NotApplicableSteps} n.a. step{(NotApplicableSteps == 1 ? "" : "s")})" : "");

    public static MatrixCell Unnamed { get; } = new(MatrixStatus.Unnamed, 0, 0, 0, []);
}

/// <summary>One row: a clause (or the malformed case files) across every target.</summary>
/// <param name="Cases">The ids of the selected cases that name the clause.</param>
public sealed record MatrixRow(string Label, MatrixRowKind Kind, IReadOnlyList<string> Cases, IReadOnlyList<MatrixCell> Cells);

/// <summary>A target's totals: its results by verdict and its rows by status.</summary>
/// <param name="RfcBroken">How many RFC rules some packet of the target broke.</param>
public sealed record MatrixTotals(ReportText.Tally Results, int PassRows, int FailRows, int NotApplicableRows, int RfcBroken = 0)
{
    /// <summary>The RFC rules in words: "1 of 10 broken".</summary>
    public string Rfc => $"{RfcBroken} of {RfcRules.All.Count} broken";

    /// <summary>The clause rows by status, as both renderings write them.</summary>
    public string Rows => $"{PassRows} pass, {FailRows} fail, {NotApplicableRows} n.a.";
}

/// <summary>A conformance table, clause by target, ready to render.</summary>
/// <param name="Cases">How many distinct cases (malformed files included) the targets ran.</param>
/// <param name="Clauses">The clause filter the rows are restricted to; empty: every clause.</param>
public sealed record MatrixModel(
    DateTimeOffset Generated,
    IReadOnlyList<MatrixTarget> Targets,
    IReadOnlyList<MatrixTotals> Totals,
    IReadOnlyList<MatrixRow> Rows,
    int Cases,
    IReadOnlyList<string> Clauses,
    IReadOnlyList<MatrixRow>? RfcRows = null,
    bool Linked = true)
{
    /// <summary>The RFC rules (<see cref="RfcRules"/>), one row each: a cell fails when a packet a case sent broke the
    /// rule, passes when the case sent packets and none broke it.</summary>
    public IReadOnlyList<MatrixRow> Rfc => RfcRows ?? [];

    /// <summary>Each target with its totals, in column order.</summary>
    public IEnumerable<(MatrixTarget Target, MatrixTotals Totals)> Columns => Targets.Zip(Totals);
}

/// <summary>
/// The conformance matrix of several targets: rows are clause ids (the catalog in the order of Reference/clauses.md, then the
/// model's own, then any other a case names), columns are targets, and a cell sums up the verdicts of the cases
/// naming that clause on that target, linking every failure to the report <see cref="ReportDirectory"/> wrote for
/// it. <see cref="Build"/> is a pure function of its arguments; <see cref="MatrixMarkdown"/> and
/// <see cref="MatrixHtml"/> render its answer.
/// </summary>
public static class Matrix
{
    public const string MarkdownFile = "matrix.md";
    public const string HtmlFile = "matrix.html";

    /// <summary>The label of the row of malformed case files.</summary>
    public const string MalformedRow = "(malformed case files)";

    /// <param name="targets">The columns, in order.</param>
    /// <param name="cases">The selected cases that parsed: a clause one of them names is "n.a." where none of its
    /// cases ran (a case for another profile), not "—".</param>
    /// <param name="clauses">When not empty, the rows are these clauses only (the command's --clause filter).</param>
    /// <param name="hasFailureFile">Whether the target's report folder holds failures/&lt;case&gt;.&lt;profile&gt;.txt for
    /// a failing result; by default what <see cref="ReportDirectory.Write"/> writes: a file for every failing result
    /// of a case that parsed. Without one the link goes to the case's section of the target's report.md.</param>
    /// <param name="links">False for a page published without the targets' report folders: failures are named, not
    /// linked (<see cref="MatrixLink.Href"/> empty).</param>
    public static MatrixModel Build(
        IReadOnlyList<MatrixTarget> targets,
        IEnumerable<Case> cases,
        DateTimeOffset generated,
        IReadOnlyCollection<string>? clauses = null,
        Func<MatrixTarget, CaseResult, bool>? hasFailureFile = null,
        bool links = true)
    {
        hasFailureFile ??= (_, result) => result.Case is not null;
        if (!links) hasFailureFile = null;
        var parsed = cases.ToArray();
        clauses ??= [];

        // Which cases name each clause: the selected ones, and any a target ran that the selection did not list.
        var named = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        void Name(string clause, string caseId)
        {
            if (!named.TryGetValue(clause, out var ids)) named[clause] = ids = new SortedSet<string>(StringComparer.Ordinal);
            ids.Add(caseId);
        }
        foreach (var @case in parsed)
            foreach (var clause in @case.Clauses) Name(clause, @case.Id);
        foreach (var result in targets.SelectMany(t => t.Results))
            foreach (var clause in result.Clauses) Name(clause, result.CaseId);
        // A clause a failing step differed under counts that case too, named or not: a case is judged past its first
        // difference (CaseRunner), so a failure is charged to the clauses it concerns, not to every clause named.
        var charged = targets.SelectMany(t => t.Results).Where(r => r.Kind == VerdictKind.Fail)
            .SelectMany(r => r.ClauseVerdicts.Where(c => c.Value == VerdictKind.Fail).Select(c => (Clause: c.Key, r.CaseId))).ToArray();
        foreach (var (clause, caseId) in charged) Name(clause, caseId);

        var catalog = ClauseId.Catalog.ToHashSet(StringComparer.Ordinal);
        var additions = ClauseId.Additions.ToHashSet(StringComparer.Ordinal);
        var known = ClauseId.Catalog.Concat(ClauseId.Additions)
            .Concat(named.Keys.Where(c => !catalog.Contains(c) && !additions.Contains(c)).Order(StringComparer.Ordinal))
            .ToList();
        var order = clauses.Count == 0 ? known
            : known.Where(clauses.Contains).Concat(clauses.Where(c => !known.Contains(c)).Distinct()).ToList();

        var rows = new List<MatrixRow>();
        foreach (var clause in order)
        {
            var kind = catalog.Contains(clause) ? MatrixRowKind.Catalog : additions.Contains(clause) ? MatrixRowKind.Model : MatrixRowKind.Other;
            var ids = named.TryGetValue(clause, out var set) ? set.ToArray() : [];
            var cells = targets.Select(t => ids.Length == 0
                ? MatrixCell.Unnamed
                : Cell(t, t.Results.Where(r => r.Clauses.Contains(clause) || r.Kind == VerdictKind.Fail && r.VerdictOn(clause) == VerdictKind.Fail),
                    r => r.VerdictOn(clause), hasFailureFile)).ToArray();
            rows.Add(new MatrixRow(clause, kind, ids, cells));
        }
        // A malformed case names no clause it could be counted under; it gets a row of its own, as in report.md.
        var malformed = targets.SelectMany(t => t.Results).Where(r => r.Case is null).Select(r => r.CaseId)
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        if (malformed.Length > 0)
            rows.Add(new MatrixRow(MalformedRow, MatrixRowKind.Malformed, malformed,
                targets.Select(t => Cell(t, t.Results.Where(r => r.Case is null), r => r.Kind, hasFailureFile)).ToArray()));
        var rfc = RfcRules.All.Select(rule => new MatrixRow(rule.Id, MatrixRowKind.Rfc,
            targets.SelectMany(t => t.Results).Where(r => r.RfcFindings.Any(f => f.Finding.Rule == rule.Id)).Select(r => r.CaseId)
                .Distinct().Order(StringComparer.Ordinal).ToArray(),
            targets.Select(t => Cell(t, t.Results.Where(r => r.Case is not null),
                r => r.Kind == VerdictKind.NotApplicable || r.Steps.All(s => s.Observed is not { Packets.Count: > 0 }) ? VerdictKind.NotApplicable
                    : r.RfcFindings.Any(f => f.Finding.Rule == rule.Id) ? VerdictKind.Fail : VerdictKind.Pass, hasFailureFile)).ToArray())).ToArray();

        var totals = targets.Select((t, i) => new MatrixTotals(
            ReportText.Tally.Of(t.Results),
            rows.Count(r => r.Kind != MatrixRowKind.Malformed && r.Cells[i].Status == MatrixStatus.Pass),
            rows.Count(r => r.Kind != MatrixRowKind.Malformed && r.Cells[i].Status == MatrixStatus.Fail),
            rows.Count(r => r.Kind != MatrixRowKind.Malformed && r.Cells[i].Status == MatrixStatus.NotApplicable),
            rfc.Count(r => r.Cells[i].Status == MatrixStatus.Fail))).ToArray();
        var caseCount = parsed.Select(c => c.Id).Concat(targets.SelectMany(t => t.Results).Select(r => r.CaseId))
            .Distinct(StringComparer.Ordinal).Count();
        return new MatrixModel(generated, targets, totals, rows, caseCount, clauses.Distinct().ToArray(), rfc, links);
    }

    /// <param name="verdict">The verdict of a result on the row: the result's own (malformed files), on the clause
    /// (<see cref="CaseResult.VerdictOn"/>), or on an RFC rule.</param>
    private static MatrixCell Cell(MatrixTarget target, IEnumerable<CaseResult> results, Func<CaseResult, VerdictKind> verdict, Func<MatrixTarget, CaseResult, bool>? hasFailureFile)
    {
        var list = results.Select(r => (Result: r, Kind: verdict(r))).ToArray();
        var pass = list.Count(r => r.Kind == VerdictKind.Pass);
        var notApplicable = list.Count(r => r.Kind == VerdictKind.NotApplicable);
        var failures = list.Where(r => r.Kind is VerdictKind.Fail or VerdictKind.Error).Select(r => r.Result).OrderBy(r => r.CaseId, StringComparer.Ordinal).ToArray();
        var status = failures.Length > 0 ? MatrixStatus.Fail : pass > 0 ? MatrixStatus.Pass : MatrixStatus.NotApplicable;
        var links = failures.Select(r => new MatrixLink(r.CaseId, r.Profile, r.Kind, hasFailureFile is null ? "" : Link(target, r, hasFailureFile(target, r)))).ToArray();
        var steps = list.Where(r => r.Kind != VerdictKind.NotApplicable).Sum(r => ReportText.NotApplicableSteps(r.Result).Count);
        return new MatrixCell(status, pass, failures.Length, notApplicable, links, steps);
    }

    /// <summary>The relative link to a failing result's report: its failures/&lt;case&gt;.&lt;profile&gt;.txt, else its
    /// section of report.md. Every path segment is percent-encoded, so any case id makes a working link.</summary>
    public static string Link(MatrixTarget target, CaseResult result, bool hasFailureFile)
    {
        var folder = string.Join("/", target.Folder.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
        var prefix = folder.Length == 0 ? "" : folder + "/";
        return hasFailureFile
            ? $"{prefix}{ReportDirectory.FailuresFolder}/{Uri.EscapeDataString(ReportText.FileStem(result) + ".txt")}"
            : $"{prefix}{ReportDirectory.Markdown}#{Uri.EscapeDataString(Anchor($"{result.CaseId} ({result.Profile}) on {result.Target}: {result.Kind.Name()}"))}";
    }

    /// <summary>The anchor GitHub (and most Markdown renderers) give a heading: its text in lower case, spaces as
    /// '-', every character but letters, digits, '-' and '_' dropped. <see cref="MarkdownReport"/> titles each
    /// failure "`case` (profile) on `target`: verdict", whose text is the argument here.</summary>
    public static string Anchor(string heading)
    {
        var anchor = new StringBuilder(heading.Length);
        foreach (var c in heading.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_') anchor.Append(c);
            else if (c == ' ') anchor.Append('-');
        }
        return anchor.ToString();
    }

    /// <summary>A file-system-safe folder name for a target: <c>model:spec</c> → <c>model-spec</c>, <c>kernel</c> →
    /// <c>kernel</c>; an external command keeps a readable prefix of itself and a short hash of the whole, so that
    /// two commands never share a folder: <c>exec:./my stack -v</c> → <c>exec-my-stack-v-1a2b3c4d</c>.</summary>
    public static string Slug(string label)
    {
        const int MaxReadable = 40;
        var exec = label.StartsWith("exec:", StringComparison.Ordinal);
        var readable = Sanitize(exec ? label["exec:".Length..] : label);
        if (!exec) return readable.Length == 0 ? "target-" + Hash(label) : readable;
        if (readable.Length > MaxReadable) readable = readable[..MaxReadable].TrimEnd('-', '.');
        return readable.Length == 0 ? $"exec-{Hash(label)}" : $"exec-{readable}-{Hash(label)}";
    }

    /// <summary>Letters, digits, '.' and '_' stay; every run of other characters becomes one '-'; no leading or
    /// trailing '-' or '.' (no hidden folder, no "..").</summary>
    private static string Sanitize(string text)
    {
        var safe = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '_') safe.Append(c);
            else if (safe.Length > 0 && safe[^1] != '-') safe.Append('-');
        }
        return safe.ToString().Trim('-', '.');
    }

    private static string Hash(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..8].ToLowerInvariant();

    /// <summary>The date line of both renderings.</summary>
    public static string Date(DateTimeOffset generated) =>
        generated.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A target's totals in one line: its results, then its clause rows.</summary>
    public static string Summary(MatrixTotals totals) =>
        $"{totals.Results}; clauses: {totals.Rows}; RFC rules: {totals.Rfc}";
}
