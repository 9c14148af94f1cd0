using System.ComponentModel;
using System.Net;
using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Cli;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;

namespace Udpconf.Cli.Commands;

public sealed class MergeSettings : CommandSettings
{
    [CommandArgument(0, "<INPUTS>")]
    [Description("JSON reports of the parts of a run (what [green]check --shard I/N --json FILE[/] writes, or the report.json of " +
                 "--report-dir) and folders searched for them (a [green]matrix --shard I/N --out DIR[/] folder, a folder of CI artifacts): " +
                 "every *.json file there that begins as a udpconf report does.")]
    public string[] Inputs { get; set; } = [];

    [CommandOption("--report-dir <DIR>")]
    [Description("Write junit.xml, report.json, report.md and failures/<case>.<profile>.pcap (+ .txt) of the merged results into DIR.")]
    public string? ReportDir { get; set; }

    [CommandOption("--junit <FILE>")]
    [Description("Write a JUnit XML report of the merged results to FILE.")]
    public string? JUnit { get; set; }

    [CommandOption("--json <FILE>")]
    [Description("Write the merged JSON report to FILE: the unsharded run's, each result as its part wrote it.")]
    public string? Json { get; set; }

    [CommandOption("--markdown <FILE>")]
    [Description("Write a Markdown summary of the merged results by clause, with every failure side by side, to FILE.")]
    public string? Markdown { get; set; }

    [CommandOption("--matrix <DIR>")]
    [Description("Write the conformance matrix of the merged results into DIR, as [green]matrix --out DIR[/] does: matrix.md, " +
                 "matrix.html and each target's reports in DIR/<target>/ (a column per target and profile).")]
    public string? Matrix { get; set; }
}

/// <summary>
/// Joins the JSON reports of the parts of a run (<c>check --shard I/N</c> on N CI runners, or <c>matrix --shard I/N</c>)
/// into the reports of the whole run: report.json as the run without --shard writes it (<see cref="ReportMerge"/>),
/// JUnit, Markdown, failure pcaps and the matrix written from the results rebuilt from it
/// (<see cref="JsonReportReader"/>). Exit 0: every merged result passed or did not apply; 1: a failure or an error
/// among them, or a merged run that is not whole (an input that is partial or cannot be read, a result given twice),
/// whose reports are still written, marked partial; 2: bad usage (an input that does not exist or a folder with no
/// report, an output that cannot be written), or no input that could be read.
/// </summary>
public sealed class MergeCommand(CliIo io) : Command<MergeSettings>
{
    public override int Execute(CommandContext context, MergeSettings settings, CancellationToken cancellation)
    {
        if (!OutputPaths.Check(io, [("--report-dir", settings.ReportDir), ("--matrix", settings.Matrix)],
                [("--junit", settings.JUnit), ("--json", settings.Json), ("--markdown", settings.Markdown)]))
            return ExitCodes.Usage;
        var unread = new List<string>();
        var files = Inputs(settings, unread);
        if (files is null) return ExitCodes.Usage;

        var total = files.Sum(f => Math.Max(0, CaseFiles.Stat(f).Size));
        if (total > JsonReportReader.MaxTotalBytes)
        {
            io.Fail($"the {files.Count} inputs hold {total} bytes, more than the {JsonReportReader.MaxTotalBytes >> 20} MiB one merge reads (a run of every case writes about 12 MB)");
            return ExitCodes.Usage;
        }
        // Each input that cannot be read is said and left out; the others are merged, the whole marked partial.
        var reports = new List<ReportFile>();
        foreach (var file in files)
        {
            cancellation.ThrowIfCancellationRequested();
            var read = JsonReportReader.Read(file);
            if (read.Report is { } report) reports.Add(report);
            else
            {
                io.Fail($"{io.Show(file)}: {read.Problem}");
                unread.Add(file);
            }
        }
        if (reports.Count == 0)
        {
            io.Fail($"no report to merge: none of the {files.Count} input(s) could be read");
            return ExitCodes.Usage;
        }
        var merged = ReportMerge.Merge(reports, Pages(reports), unread, io.Show);
        foreach (var problem in merged.Problems) io.Fail(problem);
        foreach (var note in merged.Notes) io.Error.WriteLine("udpconf: " + note);
        foreach (var report in reports.Where(r => r.Results.Any(x => x.Cut > 0)))
            io.Error.WriteLine($"udpconf: {io.Show(report.Path)}: {report.Results.Count(x => x.Cut > 0)} result(s) have steps with more packets or RFC findings " +
                               $"than a report writes out ({ReportText.PacketsShown}): the merged report.json counts them, report.md, junit.xml and the failure pcaps show the first {ReportText.PacketsShown}");
        if (merged.Partial is not null) io.Fail(merged.Partial);

        var results = merged.Results.Select(r => r.Result).ToArray();
        var cases = CaseFilesOf(results);
        var shown = reports.Take(3).Select(r => io.Show(r.Path)).Append(reports.Count > 3 ? "…" : null).OfType<string>();
        CheckSummary.Render(io, results, cases, $"{reports.Count} report{(reports.Count == 1 ? "" : "s")} ({string.Join(", ", shown)})");
        var written = WriteReports(settings, merged);
        if (written is null) return ExitCodes.Usage;
        foreach (var path in written) io.Out.WriteLine($"wrote {io.Show(path)}");
        if (settings is { ReportDir: null, JUnit: null, Json: null, Markdown: null, Matrix: null })
            io.Out.WriteLine("nothing written (--json, --junit, --markdown, --report-dir or --matrix writes the merged reports)");
        var rfc = results.SelectMany(r => r.RfcFindings.Select(f => (r.CaseId, f.Finding.Rule))).ToArray();
        if (rfc.Length > 0)
            io.Out.WriteLine($"breaks an RFC: {rfc.Length} packet(s) in {rfc.Select(f => f.CaseId).Distinct().Count()} case(s): " +
                             string.Join(", ", rfc.GroupBy(f => f.Rule).Select(g => $"{g.Key} {g.Count()}")));
        io.Out.WriteLine($"udpconf merge: {ReportText.Tally.Of(results)} ({results.Length} runs of {cases.Count} cases from {reports.Count} " +
                         $"report{(reports.Count == 1 ? "" : "s")} on {string.Join(", ", results.Select(r => r.Target).Distinct())}, " +
                         $"profiles {string.Join(", ", results.Select(r => r.Profile).Distinct())})" +
                         (merged.Problems.Count > 0 ? $"; {merged.Problems.Count} problem(s) above" : "") + (merged.Partial is null ? "" : "; partial"));
        return merged.Partial is not null || merged.Problems.Count > 0 || results.Any(ReportText.IsFailure) ? ExitCodes.Failed : ExitCodes.Passed;
    }

    /// <summary>The report files the inputs name, each once, in the order given (a folder's in ordinal order of their
    /// paths); null, after saying why, when an input is neither a file nor a folder or a folder holds no report.
    /// A folder that cannot be searched is said and added to <paramref name="unread"/>: it may hold a part.</summary>
    private List<string>? Inputs(MergeSettings settings, List<string> unread)
    {
        // What this merge writes is not read by it, were an output inside an input folder (merge parts/ --json parts/all.json).
        var outputs = new[] { settings.Json, settings.ReportDir is { } dir ? Path.Combine(dir, ReportDirectory.Json) : null }
            .OfType<string>().Select(io.FullPath).ToHashSet(StringComparer.Ordinal);
        var outputFolders = new[] { settings.Matrix }.OfType<string>().Select(f => Path.TrimEndingDirectorySeparator(io.FullPath(f)) + Path.DirectorySeparatorChar).ToArray();
        bool IsOutput(string path) => outputs.Contains(path) || outputFolders.Any(f => path.StartsWith(f, StringComparison.Ordinal));

        var files = new List<string>();
        foreach (var input in settings.Inputs ?? [])
        {
            var full = Path.TrimEndingDirectorySeparator(io.FullPath(input));
            var status = CaseFiles.Stat(full);
            switch (status.Kind)
            {
                case CaseFiles.Kind.Regular:
                    files.Add(full);
                    break;
                case CaseFiles.Kind.Directory:
                {
                    var (found, problems) = CaseFiles.Find(full, ".json");
                    foreach (var (path, problem) in problems)
                    {
                        io.Fail($"{io.Show(path)}: {problem}");
                        unread.Add(path);
                    }
                    var reports = new List<string>();
                    foreach (var path in found)
                    {
                        if (IsOutput(path)) io.Error.WriteLine($"udpconf: {io.Show(path)}: written by this merge: not read");
                        else if (!JsonReportReader.LooksLikeReport(path)) io.Error.WriteLine($"udpconf: {io.Show(path)}: not a udpconf report (it does not begin with {{\"format\"): skipped");
                        else reports.Add(path);
                    }
                    if (reports.Count == 0 && problems.Count == 0)
                    {
                        io.Fail($"{input}: no udpconf JSON report in the folder (report.json of --report-dir or matrix --out, or the FILE of --json)");
                        return null;
                    }
                    files.AddRange(reports);
                    break;
                }
                case CaseFiles.Kind.Missing:
                    io.Fail($"{input}: {status.Error ?? "no such file or folder"}");
                    return null;
                default:
                    io.Fail($"{input}: neither a regular file nor a folder");
                    return null;
            }
        }
        return files.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The matrix pages beside the reports of a matrix folder (DIR/matrix.html for DIR/&lt;target&gt;/report.json),
    /// each once: they name the columns as matrix was asked for them. One that cannot be read is said, and the columns
    /// are named from the reports.</summary>
    private List<MatrixPage> Pages(IEnumerable<ReportFile> reports)
    {
        var pages = new List<MatrixPage>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var report in reports.Where(r => Path.GetFileName(r.Path) == ReportDirectory.Json))
        {
            if (Path.GetDirectoryName(Path.GetDirectoryName(report.Path)) is not { } folder) continue;
            var path = Path.Combine(folder, Suite.Reports.Matrix.HtmlFile);
            if (!seen.Add(path) || !File.Exists(path)) continue;
            var (page, problem) = MatrixPage.Read(path);
            if (page is not null) pages.Add(page);
            else io.Error.WriteLine($"udpconf: {io.Show(path)}: {problem}: the columns are named from the reports");
        }
        return pages;
    }

    // A diagnostic as Diagnostic.ToString writes it: file:line:column: problem.
    private static readonly Regex DiagnosticLine = new(@"^(?<file>.*?):(?<line>\d+):(?<column>\d+): (?<problem>.*)$", RegexOptions.CultureInvariant);

    /// <summary>The cases of the results, each once, for the summary: a malformed file with its diagnostics, read back
    /// from the reason its results carry (one per line).</summary>
    private static IReadOnlyList<CaseFile> CaseFilesOf(IEnumerable<CaseResult> results) =>
        results.GroupBy(r => r.CaseId, StringComparer.Ordinal).Select(g => g.First())
            .Select(r => new CaseFile(r.CaseId, r.File, r.Case, r.Case is not null ? [] :
                [.. (r.Reason ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).Select(line =>
                    DiagnosticLine.Match(line) is { Success: true } m && int.TryParse(m.Groups["line"].Value, out var number) && int.TryParse(m.Groups["column"].Value, out var column)
                        ? new Diagnostic(new SourcePosition(m.Groups["file"].Value, number, column), m.Groups["problem"].Value)
                        : new Diagnostic(new SourcePosition(r.File, 0, 0), line))]))
            .ToArray();

    /// <summary>Writes the reports asked for; null (after saying why) when one cannot be written.</summary>
    private List<string>? WriteReports(MergeSettings settings, MergedReport merged)
    {
        var results = merged.Results.Select(r => r.Result).ToArray();
        var written = new List<string>();
        try
        {
            if (settings.ReportDir is { } dir) written.AddRange(ReportMerge.WriteDirectory(io.FullPath(dir), merged.Results, merged.Partial));
            if (settings.JUnit is { } junit) written.Add(Save(junit, JUnitReport.Write(results, merged.Partial)));
            if (settings.Json is { } json) written.Add(ReportMerge.SaveJson(Parent(io.FullPath(json)), merged.Results, merged.Partial));
            if (settings.Markdown is { } markdown) written.Add(Save(markdown, MarkdownReport.Write(results, merged.Partial)));
            if (settings.Matrix is { } matrix) WriteMatrix(io.FullPath(matrix), merged);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Fail($"cannot write a report: {e.Message}");
            return null;
        }
        return written;
    }

    /// <summary>The matrix as <see cref="MatrixCommand"/> writes it: each column's reports in its folder, then
    /// matrix.md and matrix.html, failing cells linked to the failure reports written. A case that ran in no column
    /// (one written for a profile no column has) is in no report: the merged matrix does not know it.</summary>
    private void WriteMatrix(string output, MergedReport merged)
    {
        Directory.CreateDirectory(output);
        var columns = merged.Columns.Select(c => new MatrixTarget(c.Label, c.Target, c.Profile, c.Folder, [.. c.Results.Select(r => r.Result)])).ToArray();
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in merged.Columns)
        {
            var reports = ReportMerge.WriteDirectory(Path.Combine(output, column.Folder), column.Results, merged.Partial);
            var failures = reports.Count(p => Path.GetFileName(Path.GetDirectoryName(p)) == ReportDirectory.FailuresFolder);
            foreach (var path in reports.Where(p => Path.GetFileName(Path.GetDirectoryName(p)) != ReportDirectory.FailuresFolder))
                io.Out.WriteLine($"wrote {io.Show(path)}");
            if (failures > 0)
                io.Out.WriteLine($"wrote {io.Show(Path.Combine(output, column.Folder, ReportDirectory.FailuresFolder))}{Path.DirectorySeparatorChar} ({failures} files)");
            files.UnionWith(reports.Select(Path.GetFullPath));
        }
        var cases = columns.SelectMany(t => t.Results).Select(r => r.Case).OfType<Case>().DistinctBy(c => c.Id);
        var model = Suite.Reports.Matrix.Build(columns, cases, DateTimeOffset.UtcNow, merged.Clauses,
            (target, result) => files.Contains(Path.GetFullPath(Path.Combine(output, target.Folder, ReportDirectory.FailuresFolder, ReportText.FileStem(result) + ".txt"))));
        // A matrix of an incomplete merge says so at the top, as the reports do.
        var markdown = MatrixMarkdown.Write(model);
        var html = MatrixHtml.Write(model, preamble: merged.Partial is null ? null : $"<p><strong>Partial matrix: {WebUtility.HtmlEncode(merged.Partial)}.</strong></p>\n");
        if (merged.Partial is not null && markdown.IndexOf("\n## ", StringComparison.Ordinal) is var targets and >= 0)
            markdown = markdown.Insert(targets + 1, $"**Partial matrix: {merged.Partial}.**\n\n");
        foreach (var (name, text) in new[] { (Suite.Reports.Matrix.MarkdownFile, markdown), (Suite.Reports.Matrix.HtmlFile, html) })
        {
            var path = Path.Combine(output, name);
            File.WriteAllText(path, text);
            io.Out.WriteLine($"wrote {io.Show(path)}");
        }
        for (var i = 0; i < columns.Length; i++)
            io.Out.WriteLine($"{columns[i].Label} ({(columns[i].Name == columns[i].Label ? "" : columns[i].Name + ", ")}profile {columns[i].Profile}): " +
                             $"{Suite.Reports.Matrix.Summary(model.Totals[i])} ({columns[i].Results.Count} runs)");
        io.Out.WriteLine($"udpconf merge: matrix of {columns.Length} targets × {model.Rows.Count(r => r.Kind != MatrixRowKind.Malformed)} clauses in {io.Show(Path.Combine(output, Suite.Reports.Matrix.HtmlFile))}");
    }

    private string Save(string path, string text)
    {
        var full = Parent(io.FullPath(path));
        File.WriteAllText(full, text);
        return full;
    }

    /// <summary>The path, once the folder it is in exists.</summary>
    private static string Parent(string full)
    {
        if (Path.GetDirectoryName(full) is { Length: > 0 } parent) Directory.CreateDirectory(parent);
        return full;
    }
}
