using System.ComponentModel;
using System.Net;
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
/// (the clause × kernel page). Beside each older kernel, the model of its line held to linux the same way: it must
/// differ from linux in the same cases. Exit 0 when every kernel passes under its own profile and its line's model
/// differs in the same cases, 1 otherwise, 2 on bad usage or a kernel that cannot be reached.
/// </summary>
public sealed class VersionsCommand(CliIo io) : Command<VersionsSettings>
{
    public const string Name = "linux-kernels";

    /// <param name="Model">The model under the kernel's line, held to linux as the kernel is: where the line's model
    /// differs from the newest, which must be where the kernel does.</param>
    private sealed record Kernel(string Label, ITarget Target, Profile Line, IReadOnlyList<CaseResult> Held, IReadOnlyList<CaseResult> Own, IReadOnlyList<CaseResult> Model)
    {
        public string[] Differing => Held.Where(ReportText.IsFailure).Select(r => r.CaseId).ToArray();
        public string[] ModelDiffering => Model.Where(ReportText.IsFailure).Select(r => r.CaseId).ToArray();
        public bool Agrees => Differing.Order(StringComparer.Ordinal).SequenceEqual(ModelDiffering.Order(StringComparer.Ordinal));
    }

    public override int Execute(CommandContext context, VersionsSettings settings, CancellationToken cancellation)
    {
        var cases = CaseSelection.Select(io, settings)?.Cases;
        if (cases is null) return ExitCodes.Usage;
        var root = io.Root;
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
            var model = new ModelTarget(line);
            var predicted = CaseRunner.RunAll(cases, [Profile.Linux], _ => model, cancellation).ToList();
            kernels.Add(new Kernel(label, target, line, held, own, predicted));
        }

        var targets = kernels.SelectMany(k => (MatrixTarget[])[
                new MatrixTarget(k.Target.Name, k.Target.Name, "linux", "", k.Held),
                .. k.Line == Profile.Linux ? [] : new[] { new MatrixTarget($"model:{k.Line.Name}", $"model:{k.Line.Name}", "linux", "", k.Model) }])
            .ToArray();
        var matrix = Matrix.Build(targets, cases.Select(f => f.Case).OfType<Case>(), DateTimeOffset.UtcNow, settings.Clauses ?? [], links: false);
        try
        {
            Directory.CreateDirectory(output);
            var markdown = Path.Combine(output, Name + ".md");
            // The account (whose explanations run the model once per difference and switch) serves both pages.
            var account = Account(kernels, matrix, output, root);
            File.WriteAllText(markdown, Page(account, matrix));
            var html = Path.Combine(output, Name + ".html");
            File.WriteAllText(html, MatrixHtml.Write(matrix, "Linux kernel versions", Html(account)));
            io.Out.WriteLine($"wrote {io.Show(markdown)}");
            io.Out.WriteLine($"wrote {io.Show(html)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Fail($"cannot write into {io.Show(output)}: {e.Message}");
            return ExitCodes.Usage;
        }
        var failing = 0;
        foreach (var k in kernels)
        {
            var fails = k.Own.Count(ReportText.IsFailure);
            failing += fails;
            io.Out.WriteLine($"{k.Target.Name}: {k.Held.Count(ReportText.IsFailure)} case(s) differ from linux" +
                             (k.Agrees ? $" (the {k.Line.Name} model: the same)" : $" (the {k.Line.Name} model: {k.ModelDiffering.Length}, not the same cases)") +
                             $"; under {k.Line.Name}: {k.Own.Count(r => r.Kind == VerdictKind.Pass)} pass, {fails} fail");
        }
        return failing == 0 && kernels.All(k => k.Agrees) ? ExitCodes.Passed : ExitCodes.Failed;
    }

    /// <summary>A cell of the account: text, a code span, or a link to a case file.</summary>
    private sealed record Cell(string Text, bool Code = false, string? Href = null);

    /// <summary>A section of the account: a heading, what it says, and a table (none when it has no header).</summary>
    private sealed record Section(string Title, string Intro, string[] Header, IReadOnlyList<Cell[]> Rows, int Level = 2);

    private static Cell T(string text) => new(text);
    private static Cell C(string text) => new(text, Code: true);

    /// <summary>The account both pages carry: the kernels, the switches of the lines, every difference.</summary>
    private static List<Section> Account(IReadOnlyList<Kernel> kernels, MatrixModel matrix, string output, string? root)
    {
        var sections = new List<Section>
        {
            new("", $"Generated {Matrix.Date(matrix.Generated)} by ./udpconf versions from {matrix.Cases} cases. Each kernel ran every case " +
                    "held to the newest line (profile linux): a failure there is where that kernel differs from the newest Linux. It ran them " +
                    "again under its own line's profile, which must pass: the model knows the difference. The model of each older line, held to " +
                    "linux the same way, must differ in the same cases (the last column). Older kernels boot under qemu (--target vm:<kernel>, " +
                    "Debian's generic packages, TCG, no network device).",
                ["kernel", "release", "line profile", "differ from linux", "under its own line", "the line's model differs in"],
                kernels.Select(k => new[]
                {
                    C(k.Label), C(k.Target.Name), C(k.Line.Name), T($"{k.Differing.Length} of {k.Held.Count} cases"),
                    T($"{k.Own.Count(r => r.Kind == VerdictKind.Pass)} pass, {k.Own.Count(ReportText.IsFailure)} fail, {k.Own.Count(r => r.Kind == VerdictKind.NotApplicable)} n.a."),
                    T(k.Agrees ? $"the same {k.ModelDiffering.Length} cases"
                        : "other cases: " + string.Join(", ", k.ModelDiffering.Except(k.Differing).Concat(k.Differing.Except(k.ModelDiffering)))),
                }).ToArray()),
        };
        var lines = new[] { Profile.Linux }.Concat(Profile.KernelLines).ToArray();
        sections.Add(new("The switches of the kernel lines",
            "Every switch of Reference/Profile.cs whose value differs between the lines, with the release the newest value holds since and " +
            "the change behind it (a commit's title where it is identified; \"measured\" where only the runs bound it).",
            ["switch", .. lines.Select(l => l.Name), "since", "change"],
            Profile.Switches.Where(p => lines.Select(l => Show(p.GetValue(l))).Distinct().Count() > 1).Select(p =>
            {
                var change = p.GetCustomAttribute<KernelChangeAttribute>();
                return (Cell[])[C(p.Name), .. lines.Select(l => T(Show(p.GetValue(l)))), T(change?.Since ?? "not recorded"), T(change?.Change ?? "")];
            }).ToArray()));
        sections.Add(new("Every difference", "Each case that fails on a kernel held to linux: its first difference, and the switches of the " +
                                             "kernel's line that change what the model predicts for it (each flipped alone from linux's value).", [], []));
        foreach (var k in kernels)
        {
            var differing = k.Held.Where(ReportText.IsFailure).ToArray();
            sections.Add(new($"{k.Target.Name} ({differing.Length})", differing.Length == 0 ? "None: every case passes under linux." : "",
                differing.Length == 0 ? [] : ["case", "first difference", "switches"],
                differing.Select(result =>
                {
                    var switches = result.Case is null ? [] : Explaining(result.Case, k.Line);
                    var href = root is null || result.Case is null ? null
                        : Path.GetRelativePath(output, Path.Combine(root, "Conformance", "cases", result.CaseId + ".case")).Replace('\\', '/');
                    return new[]
                    {
                        new Cell(result.CaseId, Code: true, Href: href), T(ReportText.FirstProblem(result)),
                        T(switches.Count == 0 ? "none: not a version difference the model knows" : string.Join(", ", switches)),
                    };
                }).ToArray(), Level: 3));
        }
        return sections;
    }

    private static string Page(IReadOnlyList<Section> account, MatrixModel matrix)
    {
        var text = new StringBuilder();
        text.AppendLine("# Linux kernel versions");
        foreach (var section in account)
        {
            text.AppendLine();
            if (section.Title.Length > 0) text.AppendLine($"{new string('#', section.Level)} {section.Title}").AppendLine();
            if (section.Intro.Length > 0) text.AppendLine(section.Intro).AppendLine();
            if (section.Header.Length == 0) continue;
            text.AppendLine("| " + string.Join(" | ", section.Header.Select(Markdown)) + " |");
            text.AppendLine("|" + string.Concat(section.Header.Select(_ => "---|")));
            foreach (var row in section.Rows)
                text.AppendLine("| " + string.Join(" | ", row.Select(cell =>
                {
                    var shown = cell.Code ? MatrixMarkdown.Code(cell.Text) : Markdown(cell.Text);
                    return cell.Href is null ? shown : $"[{shown}]({cell.Href.Replace(" ", "%20").Replace("(", "%28").Replace(")", "%29")})";
                })) + " |");
        }
        text.AppendLine();
        text.AppendLine("## Clause × kernel (held to linux)");
        text.AppendLine();
        var table = MatrixMarkdown.Write(matrix);
        text.Append(table[table.IndexOf("## Targets", StringComparison.Ordinal)..].Replace("## ", "### "));
        return text.ToString();
    }

    /// <summary>The account as HTML, for the page MatrixHtml writes after it.</summary>
    private static string Html(IReadOnlyList<Section> account)
    {
        static string E(string text) => WebUtility.HtmlEncode(text);
        var html = new StringBuilder();
        foreach (var section in account)
        {
            if (section.Title.Length > 0) html.AppendLine($"<h{section.Level}>{E(section.Title)}</h{section.Level}>");
            if (section.Intro.Length > 0) html.AppendLine($"<p>{E(section.Intro)}</p>");
            if (section.Header.Length == 0) continue;
            html.AppendLine("<table class=\"targets\"><thead><tr>" + string.Concat(section.Header.Select(h => $"<th>{E(h)}</th>")) + "</tr></thead><tbody>");
            foreach (var row in section.Rows)
                html.AppendLine("<tr>" + string.Concat(row.Select(cell =>
                {
                    var shown = cell.Code ? $"<code>{E(cell.Text)}</code>" : E(cell.Text);
                    return "<td>" + (cell.Href is null ? shown : $"<a href=\"{E(Uri.EscapeDataString(cell.Href).Replace("%2F", "/"))}\">{shown}</a>") + "</td>";
                })) + "</tr>");
            html.AppendLine("</tbody></table>");
        }
        html.AppendLine("<h2>Clause × kernel (held to linux)</h2>");
        return html.ToString();
    }

    private static string Markdown(string text) => text.Replace("|", "\\|").Replace("\n", " ").Replace("<", "&lt;");

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

}
