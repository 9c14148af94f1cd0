using System.ComponentModel;
using System.Text;
using Spectre.Console;
using Spectre.Console.Cli;
using Udpconf.Reference;
using Profile = Udpconf.Reference.Profile;
using Udpconf.Reference.Symbols;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Pcap;

namespace Udpconf.Cli.Commands;

public sealed class PredictSettings : CommandSettings
{
    [CommandArgument(0, "<CASE>")]
    [Description("A case id ([green]udp_sendmsg/dport_zero[/]), the last part of one when unique ([green]dport_zero[/]), or a .case file.")]
    public string Case { get; set; } = "";

    [CommandOption("--profile <PROFILE>")]
    [Description("[green]spec[/] or [green]linux[/].")]
    [DefaultValue("linux")]
    public string Profile { get; set; } = "linux";

    [CommandOption("--out <DIR>")]
    [Description("The folder to write <case-name>.<profile>.pcap and .txt into (default: the current folder).")]
    public string? Out { get; set; }

    [CommandOption("--seed <N>")]
    [Description("Seeds the ephemeral ports and IP identifications the model picks.")]
    [DefaultValue(1)]
    public int Seed { get; set; } = 1;

    [CommandOption("--cases <DIR>")]
    [Description("The folder of case files ids are looked up in (default: Conformance/cases under the repository root; " +
                 "outside a checkout, the copy of it built into udpconf).")]
    public string? Cases { get; set; }

    public override ValidationResult Validate() =>
        Udpconf.Reference.Profile.Find(Profile) is not null ? ValidationResult.Success() : ValidationResult.Error($"--profile must be one of {string.Join(", ", Udpconf.Reference.Profile.All.Concat(Udpconf.Reference.Profile.KernelLines).Select(p => p.Name))}, not '{Profile}'");
}

/// <summary>
/// Runs one case on the model and writes what it predicts: a pcap of every packet the steps put on a link, and a
/// readable account of each step (the operation, the result with the clause that decides it, the packets
/// dissected). Exit 1 when the case is malformed, 2 when it cannot be found.
/// </summary>
public sealed class PredictCommand(CliIo io) : Command<PredictSettings>
{
    public override int Execute(CommandContext context, PredictSettings settings, CancellationToken cancellation)
    {
        if (!OutputPaths.Check(io, [("--out", settings.Out)], [])) return ExitCodes.Usage;
        var file = Find(settings);
        if (file is null) return ExitCodes.Usage;
        if (file.Case is not { } @case)
        {
            io.Fail($"{file.Id} is malformed:");
            foreach (var diagnostic in file.Diagnostics) io.Error.PlainLine("  " + diagnostic);
            return ExitCodes.Failed;
        }
        var profile = Profile.Find(settings.Profile)!;
        if (!@case.AppliesTo(profile.Name))
            io.Error.WriteLine($"udpconf: note: {@case.Id} is for profiles {string.Join(" ", @case.Profiles)}; predicting {profile.Name} all the same");

        // As ModelTarget does: run every step, then bind the symbols the run created from the seed.
        var model = new Model(@case.Host, profile);
        var outcomes = new List<Outcome>();
        foreach (var step in @case.Steps)
        {
            cancellation.ThrowIfCancellationRequested();
            outcomes.Add(model.Run(step.Operation));
        }
        var bindings = Bindings.FromSeed(settings.Seed, model.Symbols);
        var packets = outcomes
            .Select(o => o.Datagrams.Where(d => Comparer.OnWire(d.Interface)).SelectMany(d => d.Render(bindings)).ToArray())
            .ToArray();

        var folder = io.FullPath(settings.Out ?? ".");
        var stem = Path.Combine(folder, $"{Path.GetFileName(@case.Id)}.{profile.Name}");
        try
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(stem + ".pcap", PcapFile.Write(packets.SelectMany(p => p)));
            File.WriteAllText(stem + ".txt", Describe(@case, profile, settings.Seed, outcomes, packets));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Fail($"cannot write into {settings.Out ?? "."}: {e.Message}");
            return ExitCodes.Usage;
        }
        io.Out.WriteLine($"{@case.Id} ({profile.Name}): {packets.Sum(p => p.Length)} packet(s) on the links in {@case.Steps.Count} steps");
        io.Out.WriteLine(io.Show(stem + ".pcap"));
        io.Out.WriteLine(io.Show(stem + ".txt"));
        return ExitCodes.Passed;
    }

    private CaseFile? Find(PredictSettings settings)
    {
        var path = io.FullPath(settings.Case);
        if (File.Exists(path))
        {
            // A file inside the case folder keeps its id (its folder counts); anywhere else its name is its id.
            var root = io.Root;
            var folder = settings.Cases is { } cases ? io.FullPath(cases) : root is null ? null : CaseLibrary.DefaultFolder(root);
            if (folder is null || Path.GetRelativePath(folder, path).StartsWith("..", StringComparison.Ordinal)) folder = Path.GetDirectoryName(path)!;
            var parsed = CaseParser.ParseFile(path, folder);
            var id = Path.ChangeExtension(Path.GetRelativePath(folder, path), null).Replace('\\', '/');
            return new CaseFile(id, path, parsed.Case, parsed.Diagnostics);
        }
        var library = CaseSelection.Library(io, settings.Cases);
        if (library is null) return null;
        var all = library.Load();
        var wanted = settings.Case.Replace('\\', '/').Trim('/');
        if (wanted.EndsWith(CaseLibrary.Extension, StringComparison.Ordinal)) wanted = wanted[..^CaseLibrary.Extension.Length];
        var exact = all.FirstOrDefault(c => c.Id == wanted);
        if (exact is not null) return exact;
        var byName = all.Where(c => c.Id.EndsWith("/" + wanted, StringComparison.Ordinal)).ToArray();
        if (byName.Length == 1) return byName[0];
        io.Fail(byName.Length == 0
            ? $"no case {settings.Case} under {library.Shown} (udpconf list shows the ids)"
            : $"{settings.Case} is ambiguous: {string.Join(", ", byName.Select(c => c.Id))}");
        return null;
    }

    /// <summary>The readable companion of the pcap: per step its text, the predicted result and clause, and the
    /// packets dissected with their record numbers in the pcap.</summary>
    public static string Describe(Case @case, Profile profile, int seed, IReadOnlyList<Outcome> outcomes, IReadOnlyList<byte[][]> packets)
    {
        var text = new StringBuilder();
        text.AppendLine($"# {@case.Id}: the model's prediction for profile {profile.Name}, seed {seed}");
        if (@case.Title.Length > 0) text.AppendLine($"# {@case.Title}");
        text.AppendLine($"# clauses: {string.Join(" ", @case.Clauses)}");
        var record = 0;
        for (var i = 0; i < @case.Steps.Count; i++)
        {
            var step = @case.Steps[i];
            text.AppendLine();
            text.AppendLine($"step {i + 1} (line {step.Position.Line}): {step.Text}");
            text.AppendLine($"  => {outcomes[i]}");
            if (outcomes[i].ErrorQueue.Count > 0) text.AppendLine($"  error queue: {Comparer.ErrorQueue(outcomes[i].ErrorQueue)}");
            var first = record;
            text.Append(Indent(Dissection.Describe(packets[i], k => $"pcap record {first + k + 1}")));
            record += packets[i].Length;
        }
        return text.ToString();
    }

    private static string Indent(string text) =>
        string.Concat(text.TrimEnd('\n').Split('\n').Select(line => "  " + line + "\n"));
}
