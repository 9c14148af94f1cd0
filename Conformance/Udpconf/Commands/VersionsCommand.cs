using System.ComponentModel;
using System.Reflection;
using System.Text;
using Spectre.Console;
using Spectre.Console.Cli;
using Udpconf.Reference;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets.Model;
using Profile = Udpconf.Reference.Profile;

namespace Udpconf.Cli.Commands;

public sealed class VersionsSettings : CaseFilterSettings
{
    public const string DefaultOut = "reports";

    [CommandOption("--target <TARGET>")]
    [Description("A kernel; repeat for several: [green]kernel[/] (this machine's) or [green]vm:<kernel>[/]. " +
                 "Default: the local kernel when it can be reached, vm:6.12 and vm:6.1.")]
    public string[] Targets { get; set; } = [];

    [CommandOption("--out <DIR>")]
    [Description("Where to write linux-kernels.md and linux-kernels.html. Default: " + DefaultOut + ".")]
    public string? Out { get; set; }
}

/// <summary>
/// The version matrix: every case on each kernel held to the newest line (linux), so that a failing cell is where that
/// kernel differs from the newest Linux, and again under the kernel's own line profile, which must pass. Written as
/// DIR/linux-kernels.md (the kernels, the switches each line sets with the change behind each, clause × kernel, and
/// every difference with its case, its first problem and the switches that predict it) and DIR/linux-kernels.html
/// (the clause × kernel page). Exit 0 when every kernel passes under its own profile, 1 when one does not, 2 on bad
/// usage or a kernel that cannot be reached.
/// </summary>
public sealed class VersionsCommand(CliIo io) : Command<VersionsSettings>
{
    public const string Name = "linux-kernels";

    private sealed record Kernel(string Label, ITarget Target, Profile Line, IReadOnlyList<CaseResult> Held, IReadOnlyList<CaseResult> Own);

    public override int Execute(CommandContext context, VersionsSettings settings, CancellationToken cancellation)
    {
        var cases = CaseSelection.Select(io, settings)?.Cases;
        if (cases is null) return ExitCodes.Usage;
        var root = CaseSelection.Folder(io, null) is { } folder ? Path.GetDirectoryName(Path.GetDirectoryName(folder)) : null;
        var labels = settings.Targets.Length > 0 ? settings.Targets
            : (KernelTarget.CanRun(out _) ? ["kernel"] : Array.Empty<string>()).Concat(["vm:6.12", "vm:6.1"]).ToArray();
        var output = io.FullPath(settings.Out ?? VersionsSettings.DefaultOut);
        var kernels = new List<Kernel>();
        foreach (var label in labels)
        {
            using var choice = TargetChoice.Resolve(label, io);
            if (choice is null) return ExitCodes.Usage;
            var line = Profile.Find(choice.DefaultProfiles == "all" ? "linux" : choice.DefaultProfiles) ?? Profile.Linux;
            var target = choice.Create(line);
            io.Error.WriteLine($"udpconf: {target.Name}: every case under linux, then under {line.Name}");
            var held = CaseRunner.RunAll(cases, [Profile.Linux], _ => target, cancellation).ToList();
            var own = line == Profile.Linux ? held : CaseRunner.RunAll(cases, [line], _ => target, cancellation).ToList();
            kernels.Add(new Kernel(label, target, line, held, own));
        }

        var targets = kernels.Select(k => new MatrixTarget(k.Target.Name, k.Target.Name, "linux", "", k.Held)).ToArray();
        var matrix = Matrix.Build(targets, cases.Select(f => f.Case).OfType<Case>(), DateTimeOffset.UtcNow, settings.Clauses ?? [], links: false);
        try
        {
            Directory.CreateDirectory(output);
            var markdown = Path.Combine(output, Name + ".md");
            File.WriteAllText(markdown, Page(kernels, matrix, output, root));
            var html = Path.Combine(output, Name + ".html");
            File.WriteAllText(html, MatrixHtml.Write(matrix));
            io.Out.WriteLine($"wrote {io.Show(markdown)}");
            io.Out.WriteLine($"wrote {io.Show(html)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Fail($"cannot write into {io.Show(output)}: {e.Message}");
            return ExitCodes.Usage;
        }
        finally
        {
            foreach (var kernel in kernels) (kernel.Target as IDisposable)?.Dispose();
        }
        var failing = 0;
        foreach (var k in kernels)
        {
            var fails = k.Own.Count(ReportText.IsFailure);
            failing += fails;
            io.Out.WriteLine($"{k.Target.Name}: {k.Held.Count(ReportText.IsFailure)} case(s) differ from linux; under {k.Line.Name}: " +
                             $"{k.Own.Count(r => r.Kind == VerdictKind.Pass)} pass, {fails} fail");
        }
        return failing == 0 ? ExitCodes.Passed : ExitCodes.Failed;
    }

    private static string Page(IReadOnlyList<Kernel> kernels, MatrixModel matrix, string output, string? root)
    {
        var text = new StringBuilder();
        text.AppendLine("# Linux kernel versions");
        text.AppendLine();
        text.AppendLine($"Generated {Matrix.Date(matrix.Generated)} by `./udpconf versions` from {matrix.Cases} cases. Each kernel ran every case " +
                        "held to the newest line (profile `linux`): a failure there is where that kernel differs from the newest Linux. It ran them " +
                        "again under its own line's profile, which must pass: the model knows the difference. Older kernels boot under qemu " +
                        "(`--target vm:<kernel>`, Debian's generic packages, TCG, no network device).");
        text.AppendLine();
        text.AppendLine("| kernel | release | line profile | differ from linux | under its own line |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var k in kernels)
            text.AppendLine($"| {MatrixMarkdown.Code(k.Label)} | {MatrixMarkdown.Code(k.Target.Name)} | `{k.Line.Name}` | {k.Held.Count(ReportText.IsFailure)} of {k.Held.Count} cases | " +
                            $"{k.Own.Count(r => r.Kind == VerdictKind.Pass)} pass, {k.Own.Count(ReportText.IsFailure)} fail, {k.Own.Count(r => r.Kind == VerdictKind.NotApplicable)} n.a. |");
        text.AppendLine();

        text.AppendLine("## The switches of the kernel lines");
        text.AppendLine();
        text.AppendLine("Every switch of `Reference/Profile.cs` whose value differs between the lines, with the release the newest value holds since " +
                        "and the change behind it (a commit's title where it is identified; \"measured\" where only the runs bound it).");
        text.AppendLine();
        var lines = new[] { Profile.Linux }.Concat(Profile.KernelLines).ToArray();
        text.AppendLine("| switch | " + string.Join(" | ", lines.Select(l => $"`{l.Name}`")) + " | since | change |");
        text.AppendLine("|---|" + string.Concat(lines.Select(_ => "---|")) + "---|---|");
        foreach (var property in Profile.Switches.Where(p => lines.Select(l => Show(p.GetValue(l))).Distinct().Count() > 1))
        {
            var change = property.GetCustomAttribute<KernelChangeAttribute>();
            text.AppendLine($"| `{property.Name}` | " + string.Join(" | ", lines.Select(l => Show(property.GetValue(l)))) +
                            $" | {change?.Since ?? "not recorded"} | {Escape(change?.Change ?? "")} |");
        }
        text.AppendLine();

        text.AppendLine("## Every difference");
        text.AppendLine();
        text.AppendLine("Each case that fails on a kernel held to `linux`: its first difference, and the switches of the kernel's line that change " +
                        "what the model predicts for it (each flipped alone from `linux`'s value).");
        foreach (var k in kernels)
        {
            var differing = k.Held.Where(ReportText.IsFailure).ToArray();
            text.AppendLine();
            text.AppendLine($"### {MatrixMarkdown.Code(k.Target.Name)} ({differing.Length})");
            text.AppendLine();
            if (differing.Length == 0)
            {
                text.AppendLine("None: every case passes under `linux`.");
                continue;
            }
            text.AppendLine("| case | first difference | switches |");
            text.AppendLine("|---|---|---|");
            foreach (var result in differing)
            {
                var link = root is null || result.Case is null ? MatrixMarkdown.Code(result.CaseId)
                    : $"[{MatrixMarkdown.Code(result.CaseId)}]({Path.GetRelativePath(output, Path.Combine(root, "Conformance", "cases", result.CaseId + ".case")).Replace('\\', '/')})";
                var switches = result.Case is null ? [] : Explaining(result.Case, k.Line);
                text.AppendLine($"| {link} | {Escape(ReportText.FirstProblem(result))} | {(switches.Count == 0 ? "none: not a version difference the model knows" : string.Join(", ", switches.Select(s => $"`{s}`")))} |");
            }
        }
        text.AppendLine();
        text.AppendLine("## Clause × kernel (held to linux)");
        text.AppendLine();
        var table = MatrixMarkdown.Write(matrix);
        text.Append(table[(table.IndexOf("## Targets", StringComparison.Ordinal))..].Replace("## ", "### "));
        return text.ToString();
    }

    /// <summary>The switches of <paramref name="line"/> that, set alone on linux, change the model's answers to the case.</summary>
    private static IReadOnlyList<string> Explaining(Case @case, Profile line)
    {
        var operations = @case.Steps.Select(s => s.Operation).ToArray();
        string Answers(Profile profile) => string.Join("\n", new ModelTarget(profile).Run(@case.Host, operations).Observations.Select(Signature));
        var newest = Answers(Profile.Linux);
        return Profile.Switches
            .Where(p => Show(p.GetValue(line)) != Show(p.GetValue(Profile.Linux)))
            .Where(p => Answers(Profile.Linux.With(p, p.GetValue(line))) != newest)
            .Select(p => p.Name).ToArray();
    }

    private static string Signature(Observation o) =>
        $"{o.Describe()} {string.Join(",", o.Packets.Select(p => p.Interface + ":" + Convert.ToHexString(p.Bytes)))} " +
        $"{(o.OptionValue is { } v ? Convert.ToHexString(v.Span) : "")} {o.Counters} {string.Join(",", o.ErrorQueue?.Select(e => e.ToString()) ?? [])}";

    private static string Show(object? value) => value switch
    {
        bool b => b ? "yes" : "no",
        null => "",
        _ => value.ToString()!,
    };

    private static string Escape(string text) => text.Replace("|", "\\|").Replace("\n", " ").Replace("<", "&lt;");
}
