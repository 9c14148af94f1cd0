using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Profile = Udpconf.Reference.Profile;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;

namespace Udpconf.Cli.Commands;

public sealed class CheckSettings : CaseFilterSettings
{
    [CommandOption("--target <TARGET>")]
    [Description("What to run the cases on: [green]model[/], [green]kernel[/] (the local kernel) or [green]exec:<command>[/] " +
                 "(an external implementation). Default: the kernel when it can be reached, else the model (stderr says which). " +
                 "kernel or exec: exits 2 when it cannot run or does not answer the handshake.")]
    public string? Target { get; set; }

    [CommandOption("--profile <PROFILE>")]
    [Description("[green]spec[/], [green]linux[/] or [green]all[/]. Default: all for the model, linux for a kernel.")]
    public string? Profile { get; set; }

    [CommandOption("--report-dir <DIR>")]
    [Description("Write junit.xml, report.json, report.md and failures/<case>.<profile>.pcap (+ .txt) into DIR.")]
    public string? ReportDir { get; set; }

    [CommandOption("--junit <FILE>")]
    [Description("Write a JUnit XML report to FILE.")]
    public string? JUnit { get; set; }

    [CommandOption("--json <FILE>")]
    [Description("Write a JSON report (every step, problem, clause and packet) to FILE.")]
    public string? Json { get; set; }

    [CommandOption("--markdown <FILE>")]
    [Description("Write a Markdown summary by clause, with every failure side by side, to FILE.")]
    public string? Markdown { get; set; }

    public override ValidationResult Validate() =>
        Profile is null or "all" || Udpconf.Reference.Profile.Find(Profile) is not null
            ? ValidationResult.Success()
            : ValidationResult.Error($"--profile must be all or one of {string.Join(", ", Udpconf.Reference.Profile.All.Concat(Udpconf.Reference.Profile.KernelLines).Select(p => p.Name))}, not '{Profile}'");
}

/// <summary>
/// Runs the cases on a target under one or more profiles and judges every step against the model's prediction
/// and the case's own expectations. Exit 0: everything passed or did not apply; 1: a failure or an error
/// (malformed cases included); 2: bad usage, no case selected, or a target that cannot be reached.
/// </summary>
public sealed class CheckCommand(CliIo io) : Command<CheckSettings>
{
    /// <summary>Below this many runs the whole check takes well under a second: a live display would only flicker.</summary>
    private const int ProgressThreshold = 20;

    public override int Execute(CommandContext context, CheckSettings settings, CancellationToken cancellation)
    {
        if (!OutputPaths.Check(io, [("--report-dir", settings.ReportDir)], [("--junit", settings.JUnit), ("--json", settings.Json), ("--markdown", settings.Markdown)]))
            return ExitCodes.Usage;
        var selection = CaseSelection.Select(io, settings);
        if (selection is null) return ExitCodes.Usage;
        using var target = TargetChoice.Resolve(settings.Target, io);
        if (target is null) return ExitCodes.Usage;
        var cases = selection.Cases;
        var profiles = target.Profiles(settings.Profile);
        var (results, planned, interrupted) = Run(cases, profiles, target, cancellation);
        // Interrupted (Ctrl-C, SIGTERM): the cases that finished are summarised and reported, marked partial.
        var partial = interrupted ? $"interrupted after {results.Count} of {planned} runs" : null;
        if (partial is not null) io.Fail(partial);

        CheckSummary.Render(io, results, cases, selection.Source);
        var written = WriteReports(settings, results, partial);
        if (written is null) return ExitCodes.Usage;
        foreach (var path in written) io.Out.WriteLine($"wrote {io.Show(path)}");
        // The RFC-level verdict, apart from the comparison with Linux: it does not change the exit code.
        var rfc = results.SelectMany(r => r.RfcFindings.Select(f => (r.CaseId, f.Finding.Rule))).ToArray();
        if (rfc.Length > 0)
            io.Out.WriteLine($"breaks an RFC: {rfc.Length} packet(s) in {rfc.Select(f => f.CaseId).Distinct().Count()} case(s): " +
                             string.Join(", ", rfc.GroupBy(f => f.Rule).Select(g => $"{g.Key} {g.Count()}")));
        io.Out.WriteLine($"udpconf check: {ReportText.Tally.Of(results)} ({results.Count} runs of {cases.Count} cases on {target.Name}, " +
                         $"profiles {string.Join(", ", profiles.Select(p => p.Name))}){(partial is null ? "" : "; " + partial)}");
        if (interrupted) return ExitCodes.Interrupted;
        return results.Any(ReportText.IsFailure) ? ExitCodes.Failed : ExitCodes.Passed;
    }

    /// <summary>How often a run whose stderr is not a terminal says how far it got, so that a CI log shows life.</summary>
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);

    /// <summary>The results of the runs that finished, how many runs there were to do, and whether the run was
    /// interrupted before the end.</summary>
    private (List<CaseResult> Results, int Planned, bool Interrupted) Run(IReadOnlyList<CaseFile> cases, IReadOnlyList<Profile> profiles, TargetChoice choice, CancellationToken cancellation)
    {
        var work = CaseRunner.Runs(cases, profiles);
        var targets = profiles.ToDictionary(p => p.Name, choice.Create);
        var results = new List<CaseResult>(work.Count);
        // Runs go as many at a time as the target can take (ITarget.Concurrency: the kernel's, one namespace each) and are
        // taken in order; an interruption stops at the run it falls in (that run and any after it are not counted).
        var degree = targets.Values.Min(t => t.Concurrency);
        CaseResult? Execute((Profile Profile, CaseFile File) item)
        {
            if (cancellation.IsCancellationRequested) return null;
            try { return CaseRunner.Run(item.File, item.Profile, targets[item.Profile.Name], cancellation); }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested) { return null; }
        }
        using var ordered = CaseRunner.InOrder(work, Execute, degree).GetEnumerator();
        bool Next((Profile Profile, CaseFile File) item)
        {
            if (!ordered.MoveNext() || ordered.Current is not { } result) return false;
            // A run the interruption fell in may have lost its implementation to it (exec targets are killed): not counted.
            if (cancellation.IsCancellationRequested) return false;
            results.Add(result);
            return true;
        }

        if (!io.Interactive || work.Count < ProgressThreshold)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var said = TimeSpan.Zero;
            foreach (var item in work)
            {
                if (!Next(item)) return (results, work.Count, true);
                if (!io.Interactive && clock.Elapsed - said >= ProgressEvery)
                {
                    said = clock.Elapsed;
                    io.Error.WriteLine($"udpconf check: {results.Count}/{work.Count} runs, {(int)said.TotalSeconds} s");
                }
            }
            return (results, work.Count, false);
        }
        var interrupted = false;
        io.Out.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(progress =>
            {
                var task = progress.AddTask($"checking {cases.Count} cases", maxValue: work.Count);
                foreach (var item in work)
                {
                    task.Description = Markup.Escape($"{item.Profile.Name} {item.File.Id}");
                    if (!Next(item)) { interrupted = true; break; }
                    task.Increment(1);
                }
            });
        return (results, work.Count, interrupted);
    }

    /// <summary>Writes the reports asked for; null (after saying why) when one cannot be written.</summary>
    private List<string>? WriteReports(CheckSettings settings, IReadOnlyList<CaseResult> results, string? partial)
    {
        var written = new List<string>();
        try
        {
            var shard = settings.Part?.ToString();
            if (settings.ReportDir is { } dir) written.AddRange(ReportDirectory.Write(io.FullPath(dir), results, partial, shard));
            if (settings.JUnit is { } junit) written.Add(Save(junit, JUnitReport.Write(results, partial)));
            if (settings.Json is { } json) written.Add(ReportDirectory.SaveJson(io.FullPath(json), results, partial, shard));
            if (settings.Markdown is { } markdown) written.Add(Save(markdown, MarkdownReport.Write(results, partial)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Fail($"cannot write a report: {e.Message}");
            return null;
        }
        return written;
    }

    private string Save(string path, string text)
    {
        var full = io.FullPath(path);
        if (Path.GetDirectoryName(full) is { Length: > 0 } parent) Directory.CreateDirectory(parent);
        File.WriteAllText(full, text);
        return full;
    }
}

/// <summary>The exit codes every command uses.</summary>
public static class ExitCodes
{
    public const int Passed = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    /// <summary>Interrupted by Ctrl-C or SIGTERM (128 + SIGINT, as a shell reports it).</summary>
    public const int Interrupted = 130;
}
