using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Golden;

namespace Udpconf.Cli.Commands;

public sealed class GoldenSettings : CommandSettings
{
    [CommandOption("--accept")]
    [Description("Write the regenerated files as the new verified files instead of comparing (review the diff first).")]
    public bool Accept { get; set; }

    [CommandOption("--cases <DIR>")]
    [Description("The folder of case files (default: Conformance/cases under the repository root). The golden files " +
                 "are always those of Fixtures/ under the repository root.")]
    public string? Cases { get; set; }
}

/// <summary>
/// Regenerates the golden files of Fixtures/ (the model's packets for each case and profile, as a pcap and a
/// dissection) and compares them byte for byte with the verified ones; a difference leaves *.received.* files
/// beside them and prints the diff. Exit 0 when all match or were accepted, 1 otherwise, 2 outside a repository.
/// </summary>
public sealed class GoldenCommand(CliIo io) : Command<GoldenSettings>
{
    public override int Execute(CommandContext context, GoldenSettings settings, CancellationToken cancellation)
    {
        if (io.RootOrFail(": golden files live in Fixtures/ of the repository") is not { } root) return ExitCodes.Usage;
        var cases = CaseSelection.Library(io, settings.Cases)?.Load();
        if (cases is null) return ExitCodes.Usage;
        var results = GoldenFiles.Run(root, cases, settings.Accept);

        foreach (var result in results.Where(r => r.Status is GoldenStatus.Mismatch or GoldenStatus.Missing))
        {
            io.Out.WriteLine($"{result.Status.ToString().ToLowerInvariant()}: {result.CaseId} ({result.Profile})");
            if (result.Diff is { } diff) io.Out.WriteLine(diff.TrimEnd('\n'));
            io.Out.WriteLine();
        }
        foreach (var result in results.Where(r => r.Status == GoldenStatus.Accepted))
            io.Out.WriteLine($"accepted: {result.CaseId} ({result.Profile}) -> {io.Show(result.VerifiedPcap)}");
        var malformed = cases.Where(c => c.Case is null).ToArray();
        foreach (var diagnostic in malformed.SelectMany(c => c.Diagnostics))
            io.Out.PlainLine($"malformed: {diagnostic}");
        foreach (var orphan in GoldenFiles.Orphans(root, cases))
            io.Out.WriteLine($"orphan (no case makes it; not deleted): {orphan}");

        var count = (GoldenStatus status) => results.Count(r => r.Status == status);
        io.Out.WriteLine($"udpconf golden: {count(GoldenStatus.Match)} match, {count(GoldenStatus.Accepted)} accepted, " +
                         $"{count(GoldenStatus.Mismatch)} mismatch, {count(GoldenStatus.Missing)} missing, {malformed.Length} malformed case files");
        var different = count(GoldenStatus.Mismatch) + count(GoldenStatus.Missing);
        if (different > 0)
            io.Error.WriteLine("udpconf: the *.received.* files are beside the verified ones; if the differences are intended, run ./udpconf golden --accept");
        return different + malformed.Length == 0 ? ExitCodes.Passed : ExitCodes.Failed;
    }
}
