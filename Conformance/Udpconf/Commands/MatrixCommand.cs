using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Profile = Udpconf.Reference.Profile;

namespace Udpconf.Cli.Commands;

public sealed class MatrixSettings : CaseFilterSettings
{
    public const string DefaultOut = "udpconf-matrix";

    [CommandOption("--target <TARGET>")]
    [Description("A column of the matrix; repeat for several: [green]model:spec[/], [green]model:linux[/] (the model under that profile), " +
                 "[green]model[/] (both), [green]kernel[/] (the local kernel, linux profile) or [green]exec:<command>[/] (an external " +
                 "implementation, linux profile). Default: model:spec, model:linux, and the kernel when it can be reached (stderr says why not).")]
    public string[] Targets { get; set; } = [];

    [CommandOption("--out <DIR>")]
    [Description("Where to write matrix.md, matrix.html and each target's reports (DIR/<target>/junit.xml, report.json, report.md, failures/). " +
                 "Default: " + DefaultOut + ".")]
    public string? Out { get; set; }

    [CommandOption("--page-only")]
    [Description("Write matrix.md and matrix.html only, no target folders: failing cases are named, not linked (a page to publish, e.g. reports/matrix.md).")]
    public bool PageOnly { get; set; }
}

/// <summary>
/// Runs the selected cases on several targets, each under its profile, writes each target's full reports into a
/// folder of its own, then the conformance matrix, clause by target, as Markdown and as one HTML page. Exit 0 when
/// every target ran (failures are results, not errors of the tool); 2 on bad usage, no case selected, a target that
/// cannot be reached, or a report that cannot be written.
/// </summary>
public sealed class MatrixCommand(CliIo io) : Command<MatrixSettings>
{
    /// <summary>Below this many runs the whole matrix takes well under a second: a live display would only flicker.</summary>
    private const int ProgressThreshold = 20;

    /// <summary>A column to run: the target as asked for, its folder, the implementation and its profile.</summary>
    private sealed record Column(string Label, string Slug, ITarget Target, Profile Profile);

    public override int Execute(CommandContext context, MatrixSettings settings, CancellationToken cancellation)
    {
        var cases = CaseSelection.Select(io, settings)?.Cases;
        if (cases is null) return ExitCodes.Usage;
        var columns = Columns(settings.Targets ?? []);
        if (columns is null) return ExitCodes.Usage;

        // A folder that cannot be written is found before the cases run, not after.
        var output = io.FullPath(settings.Out ?? MatrixSettings.DefaultOut);
        try
        {
            Directory.CreateDirectory(output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Fail($"cannot write the matrix into {io.Show(output)}: {e.Message}");
            return ExitCodes.Usage;
        }

        var runs = columns.Select(c => CaseRunner.Runs(cases, [c.Profile]).Count).ToArray();
        List<CaseResult>[] results;
        try
        {
            results = Run(columns, runs, cases, cancellation);
        }
        finally
        {
            // A target that holds a process or a namespace lets it go once its column is done.
            foreach (var column in columns) (column.Target as IDisposable)?.Dispose();
        }

        var targets = columns.Select((c, i) => new MatrixTarget(c.Label, c.Target.Name, c.Profile.Name, c.Slug, results[i])).ToArray();
        var written = new List<string>();
        try
        {
            foreach (var target in settings.PageOnly ? [] : targets)
            {
                var reports = ReportDirectory.Write(Path.Combine(output, target.Folder), target.Results, shard: settings.Part?.ToString());
                var failures = reports.Count(p => Path.GetFileName(Path.GetDirectoryName(p)) == ReportDirectory.FailuresFolder);
                foreach (var path in reports.Where(p => Path.GetFileName(Path.GetDirectoryName(p)) != ReportDirectory.FailuresFolder))
                    io.Out.WriteLine($"wrote {io.Show(path)}");
                if (failures > 0)
                    io.Out.WriteLine($"wrote {io.Show(Path.Combine(output, target.Folder, ReportDirectory.FailuresFolder))}{Path.DirectorySeparatorChar} ({failures} files)");
                written.AddRange(reports);
            }
            var files = written.Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);
            var matrix = Matrix.Build(targets, cases.Select(f => f.Case).OfType<Case>(), DateTimeOffset.UtcNow, settings.Clauses ?? [],
                (target, result) => files.Contains(Path.GetFullPath(Path.Combine(output, target.Folder, ReportDirectory.FailuresFolder, ReportText.FileStem(result) + ".txt"))),
                links: !settings.PageOnly);
            foreach (var (name, text) in new[] { (Matrix.MarkdownFile, MatrixMarkdown.Write(matrix)), (Matrix.HtmlFile, MatrixHtml.Write(matrix)) })
            {
                var path = Path.Combine(output, name);
                File.WriteAllText(path, text);
                io.Out.WriteLine($"wrote {io.Show(path)}");
            }
            io.Out.WriteLine();
            for (var i = 0; i < targets.Length; i++)
                io.Out.WriteLine($"{targets[i].Label} ({(targets[i].Name == targets[i].Label ? "" : targets[i].Name + ", ")}profile {targets[i].Profile}): {Matrix.Summary(matrix.Totals[i])} " +
                                 $"({runs[i]} runs of {cases.Count} cases)");
            io.Out.WriteLine($"udpconf matrix: {targets.Length} targets × {matrix.Rows.Count(r => r.Kind != MatrixRowKind.Malformed)} clauses in {io.Show(Path.Combine(output, Matrix.HtmlFile))}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Fail($"cannot write the matrix into {io.Show(output)}: {e.Message}");
            return ExitCodes.Usage;
        }
        return ExitCodes.Passed;
    }

    /// <summary>The columns asked for, or the default ones; null (after saying why) when one cannot be reached.
    /// Every target is resolved before any case runs, so an unreachable one costs nothing.</summary>
    private List<Column>? Columns(IReadOnlyList<string> options)
    {
        var labels = new List<string>();
        if (options.Count == 0)
        {
            labels.AddRange(["model:spec", "model:linux"]);
            if (KernelTarget.CanRun(out var why)) labels.Add("kernel");
            else io.Error.WriteLine($"udpconf: the local kernel is not a column of this matrix: {why}");
            io.Error.WriteLine($"udpconf: matrix of {string.Join(", ", labels)} (--target chooses)");
        }
        else
            foreach (var option in options)
                labels.AddRange(option == "model" ? Profile.All.Select(p => "model:" + p.Name) : [option]);

        var columns = new List<Column>();
        var slugs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var label in labels.Distinct(StringComparer.Ordinal))
        {
            Column? column;
            if (label.StartsWith("model:", StringComparison.Ordinal))
            {
                var profile = Profile.Find(label["model:".Length..]);
                if (profile is null)
                {
                    io.Fail($"unknown target '{label}': the model's profiles are {string.Join(", ", Profile.All.Concat(Profile.KernelLines).Select(p => "model:" + p.Name))}");
                    return null;
                }
                column = new Column(label, "", TargetChoice.Model.Create(profile), profile);
            }
            else
            {
                // kernel, exec:<command> and whatever else TargetChoice learns: it says why when it cannot be reached.
                // They are real stacks of today, held to the linux profile; a VM of an older kernel line to its line's.
                var choice = TargetChoice.Resolve(label, io);
                if (choice is null) return null;
                var held = Profile.Find(choice.DefaultProfiles) ?? Profile.Linux;
                column = new Column(label, "", choice.Create(held), held);
            }
            var slug = Matrix.Slug(label);
            for (var n = 2; !slugs.Add(slug); n++) slug = $"{Matrix.Slug(label)}-{n}";
            columns.Add(column with { Slug = slug });
        }
        return columns;
    }

    private List<CaseResult>[] Run(IReadOnlyList<Column> columns, int[] runs, IReadOnlyList<CaseFile> cases, CancellationToken cancellation)
    {
        var results = columns.Select((_, i) => new List<CaseResult>(runs[i])).ToArray();
        void RunColumn(int index, Action<CaseFile>? before = null, Action? after = null)
        {
            var column = columns[index];
            // As check does (CaseRunner.Runs): the matrix shows n.a. where none of a clause's cases ran.
            foreach (var (profile, file) in CaseRunner.Runs(cases, [column.Profile]))
            {
                before?.Invoke(file);
                results[index].Add(CaseRunner.Run(file, profile, column.Target, cancellation));
                after?.Invoke();
            }
        }

        if (!io.Interactive || runs.Sum() < ProgressThreshold)
        {
            for (var i = 0; i < columns.Count; i++) RunColumn(i);
            return results;
        }
        io.Out.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(progress =>
            {
                var tasks = columns.Select((c, i) => progress.AddTask(Markup.Escape(c.Label), maxValue: Math.Max(runs[i], 1))).ToArray();
                for (var i = 0; i < columns.Count; i++)
                {
                    var task = tasks[i];
                    var label = columns[i].Label;
                    RunColumn(i, file => task.Description = Markup.Escape($"{label} {file.Id}"), () => task.Increment(1));
                    task.Description = Markup.Escape(label);
                    task.Value = task.MaxValue;
                }
            });
        return results;
    }
}
