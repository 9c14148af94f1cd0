using System.Text.Encodings.Web;
using System.Text.Json;
using Udpconf.Suite.Cases;

namespace Udpconf.Suite.Reports;

/// <summary>One column of merged results: a target under one profile, its results in the order an unsharded run
/// gives them.</summary>
/// <param name="Label">The column as a matrix names it: its matrix page's (<see cref="MatrixPage"/>), else the target's
/// name (<c>model:spec</c>), <c>kernel</c> for the one <c>kernel:RELEASE</c>.</param>
/// <param name="Folder">Its report folder in a matrix: its matrix page's, else the slug of its label.</param>
public sealed record MergedColumn(string Target, string Profile, string Label, string Folder, IReadOnlyList<ReportedResult> Results);

/// <summary>The reports of several parts of a run joined.</summary>
/// <param name="Clauses">The clauses the matrix pages of the parts limited their rows to (empty: every clause).</param>
/// <param name="Problems">A result given twice (parts that overlap), one line each: left out of the merge.</param>
/// <param name="Notes">What the merge could not be sure of, one line each (an input not in the case library's order).</param>
/// <param name="Partial">Why the merged run is not whole (an input that was partial, or could not be read), or null.</param>
public sealed record MergedReport(
    IReadOnlyList<MergedColumn> Columns,
    IReadOnlyList<string> Clauses,
    IReadOnlyList<string> Problems,
    IReadOnlyList<string> Notes,
    string? Partial)
{
    /// <summary>Every result, column by column: for the runs of one check (a target under each profile) the order
    /// of the unsharded check.</summary>
    public IReadOnlyList<ReportedResult> Results { get; } = [.. Columns.SelectMany(c => c.Results)];
}

/// <summary>
/// Joins the JSON reports of the parts of a run (<c>--shard I/N</c>) into the report of the whole run, as the run
/// without --shard writes it: each result as its part wrote it, the results in the order of an unsharded run,
/// the summary counted again. An unsharded run goes profile by profile, and under each through the selected cases
/// in the case library's order (<see cref="CaseRunner.Runs"/>, <see cref="CaseLibrary.Load"/>); a part keeps that
/// order for its own cases (<see cref="Sharding.Part"/>), and the merge restores it across parts from the case ids
/// (<see cref="LibraryOrder"/>). Results of several targets (the folders of a sharded matrix) are kept apart,
/// a column per target and profile.
/// </summary>
public static class ReportMerge
{
    /// <summary>Results given twice are listed one per line up to this many, then counted.</summary>
    public const int ProblemsListed = 20;

    /// <param name="reports">The reports read, in the order they were given.</param>
    /// <param name="pages">The matrix pages found beside them: the columns' labels, folders and order.</param>
    /// <param name="unread">The inputs that could not be read: the merged run is partial without them.</param>
    /// <param name="show">How a path is shown in a message.</param>
    public static MergedReport Merge(IReadOnlyList<ReportFile> reports, IReadOnlyList<MatrixPage> pages, IReadOnlyList<string> unread, Func<string, string> show)
    {
        var problems = new List<string>();
        var notes = new List<string>();
        var twice = 0;
        var columns = new Dictionary<(string Target, string Profile), List<ReportedResult>>();
        var firstSeen = new List<(string Target, string Profile)>();
        var seen = new Dictionary<(string Case, string Profile, string Target), string>();
        foreach (var report in reports)
        {
            foreach (var reported in report.Results)
            {
                var result = reported.Result;
                if (seen.TryGetValue((result.CaseId, result.Profile, result.Target), out var other))
                {
                    if (++twice <= ProblemsListed)
                        problems.Add($"{show(report.Path)}: $.results[{reported.Index}]: {SafeText.Line(result.CaseId)} ({SafeText.Line(result.Profile)}) on " +
                                     $"{SafeText.Line(result.Target)} is in {show(other)} too (parts that overlap?): left out");
                    continue;
                }
                seen[(result.CaseId, result.Profile, result.Target)] = report.Path;
                if (!columns.TryGetValue((result.Target, result.Profile), out var list))
                {
                    columns[(result.Target, result.Profile)] = list = [];
                    firstSeen.Add((result.Target, result.Profile));
                }
                list.Add(reported);
            }
            // A part of a run whose cases were given as several folders or files is in the order of the arguments, which
            // the report does not record: the merge can only order by the library, and says so.
            var outOfOrder = report.Results.GroupBy(r => (r.Result.Target, r.Result.Profile))
                .Any(g => g.Zip(g.Skip(1)).Any(pair => LibraryOrder.Compare(pair.First.Result.CaseId, pair.Second.Result.CaseId) > 0));
            if (outOfOrder)
                notes.Add($"{show(report.Path)}: its results are not in the case library's order (cases given as several folders or files?): " +
                          "merged in case id order, which the unsharded run may not have had");
        }
        if (twice > ProblemsListed) problems.Add($"… and {twice - ProblemsListed} more results given twice, left out");

        // The columns: in the order of the matrix pages, then by profile (spec, linux, the kernel lines), the model's first.
        var fromPages = new Dictionary<(string Target, string Profile), MatrixPageColumn>();
        var order = new List<(string Target, string Profile)>();
        foreach (var column in pages.SelectMany(p => p.Columns))
            if (fromPages.TryAdd((column.Name, column.Profile), column)) order.Add((column.Name, column.Profile));
        var profiles = Reference.Profile.All.Concat(Reference.Profile.KernelLines).Select(p => p.Name).ToList();
        int Rank(string profile) => profiles.IndexOf(profile) is var i and >= 0 ? i : profiles.Count;
        order.AddRange(firstSeen.Where(c => !fromPages.ContainsKey(c))
            .Select((c, i) => (Column: c, First: i))
            .OrderBy(x => Rank(x.Column.Profile)).ThenBy(x => x.Column.Target.StartsWith("model:", StringComparison.Ordinal) ? 0 : 1).ThenBy(x => x.First)
            .Select(x => x.Column));

        var kernels = order.Count(c => c.Target.StartsWith("kernel:", StringComparison.Ordinal));
        var folders = new HashSet<string>(fromPages.Values.Select(c => c.Folder), StringComparer.Ordinal);
        var merged = new List<MergedColumn>();
        foreach (var key in order)
        {
            var results = columns.TryGetValue(key, out var list)
                ? list.OrderBy(r => r.Result.CaseId, LibraryOrder).ToArray()
                : [];
            if (fromPages.TryGetValue(key, out var page))
            {
                merged.Add(new MergedColumn(key.Target, key.Profile, page.Label, page.Folder, results));
                continue;
            }
            // As matrix names a column it was asked for: model:spec is itself, the local kernel is "kernel".
            var label = kernels == 1 && key.Target.StartsWith("kernel:", StringComparison.Ordinal) ? "kernel" : key.Target;
            var folder = Matrix.Slug(label);
            for (var n = 2; !folders.Add(folder); n++) folder = $"{Matrix.Slug(label)}-{n}";
            merged.Add(new MergedColumn(key.Target, key.Profile, label, folder, results));
        }

        var clauses = pages.Select(p => p.Clauses).FirstOrDefault(c => c.Count > 0) ?? [];
        if (pages.Any(p => !p.Clauses.SequenceEqual(clauses)))
            notes.Add($"the matrix pages limit their rows to different clauses: the merged matrix takes {show(pages.First(p => p.Clauses.SequenceEqual(clauses)).Path)}'s " +
                      (clauses.Count == 0 ? "(every clause)" : string.Join(", ", clauses)));

        var partial = reports.Where(r => r.Partial is not null).Select(r => $"{show(r.Path)} is partial ({SafeText.Line(r.Partial)})")
            .Concat(unread.Count == 0 ? [] : [$"{unread.Count} input{(unread.Count == 1 ? "" : "s")} could not be read ({string.Join(", ", unread.Select(show))})"])
            .Concat(MissingParts(reports))
            .ToArray();
        return new MergedReport(merged, clauses, problems, notes, partial.Length == 0 ? null : "merged from an incomplete run: " + string.Join("; ", partial));
    }

    /// <summary>The parts of a sharded run that no input holds (<see cref="Sharding.Gaps"/>).</summary>
    private static IEnumerable<string> MissingParts(IReadOnlyList<ReportFile> reports) => Sharding.Gaps(reports.Select(r => r.Shard).ToArray());

    /// <summary>
    /// The order of case ids in an unsharded run: <see cref="CaseLibrary.Load"/> lists the case files in ordinal order
    /// of their paths (an id with its extension: <c>a-b.case</c> comes before <c>a.case</c>, though <c>a</c> comes
    /// before <c>a-b</c>), then the folders that could not be searched (whose ids end in '/'), in ordinal order of their
    /// paths.
    /// </summary>
    public static IComparer<string> LibraryOrder { get; } = Comparer<string>.Create((a, b) =>
    {
        var (folderA, keyA) = Key(a);
        var (folderB, keyB) = Key(b);
        return folderA != folderB ? folderA.CompareTo(folderB) : string.CompareOrdinal(keyA, keyB);

        static (bool Folder, string Key) Key(string id) => id.EndsWith('/') ? (true, id[..^1]) : (false, id + CaseLibrary.Extension);
    });

    /// <summary>The merged JSON report: format 1 as <see cref="JsonReport"/> writes it, the summary counted from
    /// <paramref name="results"/>, each result copied as its part wrote it (its duration, and every packet the part
    /// counted without writing, stay as they were).</summary>
    public static void WriteJson(Stream stream, IReadOnlyList<ReportedResult> results, string? partial) =>
        JsonReport.Write(stream, results, ReportText.Tally.Of(results.Select(r => r.Result)), partial, shard: null,
            (json, result) => result.Json.WriteTo(json));

    /// <summary><see cref="WriteJson"/> into the file at <paramref name="path"/>.</summary>
    public static string SaveJson(string path, IReadOnlyList<ReportedResult> results, string? partial)
    {
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            WriteJson(file, results, partial);
        return path;
    }

    /// <summary>Everything a CI job keeps, as <see cref="ReportDirectory.Write"/> writes it from the rebuilt results,
    /// but report.json as the parts wrote their results (<see cref="SaveJson"/>): exact where a step had more packets than
    /// a report writes out.</summary>
    public static IReadOnlyList<string> WriteDirectory(string folder, IReadOnlyList<ReportedResult> results, string? partial)
    {
        var written = ReportDirectory.Write(folder, [.. results.Select(r => r.Result)], partial);
        SaveJson(Path.Combine(folder, ReportDirectory.Json), results, partial);
        return written;
    }
}
