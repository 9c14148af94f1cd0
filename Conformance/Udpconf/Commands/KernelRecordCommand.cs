using Spectre.Console;
using Spectre.Console.Cli;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Profile = Udpconf.Reference.Profile;

namespace Udpconf.Cli.Commands;

/// <summary>
/// Runs every case on the live kernel under both profiles and records the verdicts in
/// Conformance/kernel-verdicts.json, with the kernel release of the run. Reference/ProfileVerification.cs then
/// names that release when every linux case passed (null otherwise). Exit 2 when the kernel target cannot run, 1
/// when a linux case failed (the linux profile must match the kernel), else 0; spec failures are expected: they
/// are where current kernels differ from the documented 2.6 behavior.
/// </summary>
public sealed class KernelRecordCommand(CliIo io) : Command<KernelRecordCommand.Settings>
{
    public sealed class Settings : CommandSettings;

    public const string VerificationFile = "Reference/ProfileVerification.cs";

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (io.RootOrFail() is not { } root) return ExitCodes.Usage;
        // Both files are written into the checkout: a root without them (a folder of one's own cases) is refused
        // before the kernel runs anything.
        var verification = Path.Combine(root, VerificationFile);
        var json = KernelVerdicts.PathIn(root);
        if (!Directory.Exists(Path.GetDirectoryName(verification)) || !Directory.Exists(Path.GetDirectoryName(json)))
        {
            io.Fail($"{io.Show(root)} is not a udpconf checkout (kernel-record writes {VerificationFile} and {KernelVerdicts.RelativePath})");
            return ExitCodes.Usage;
        }
        if (!KernelTarget.CanRun(out var why))
        {
            io.Fail($"the kernel target cannot run here: {why}");
            return ExitCodes.Usage;
        }
        var folder = CaseLibrary.DefaultFolder(root);
        var cases = Directory.Exists(folder) ? CaseLibrary.Load(folder) : [];
        if (cases.Count == 0)
        {
            io.Fail($"no case files under {io.Show(folder)}");
            return ExitCodes.Usage;
        }

        var target = new KernelTarget();
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var results = CaseRunner.RunAll(cases, Profile.All, _ => target, cancellation).ToList();

        var record = KernelVerdicts.From(release, DateOnly.FromDateTime(DateTime.UtcNow), results);
        File.WriteAllText(json, record.ToJson());
        io.Out.WriteLine($"wrote {io.Show(json)}");

        var linuxFailures = record.Failures(Profile.Linux.Name);
        var source = VerificationSource(linuxFailures == 0 ? release : null);
        if (!File.Exists(verification) || File.ReadAllText(verification) != source)
        {
            File.WriteAllText(verification, source);
            io.Out.WriteLine($"wrote {io.Show(verification)} (rebuild, then ./udpconf spec-map --write)");
        }

        foreach (var (profile, counts) in record.Counts)
            io.Out.WriteLine($"{profile}: " + string.Join(", ", VerdictNames.All.Select(k => $"{counts.GetValueOrDefault(k.Name())} {k.Name()}")));
        foreach (var failure in record.Cases.Where(v => v.IsFailure && v.Profile == Profile.Linux.Name))
            io.Out.WriteLine($"linux fails {failure.Case}: " + (failure.Problem is { } p
                ? $"step {p.Step}: {p.What}: expected {p.Expected}, observed {p.Observed}" + (p.Clause is null ? "" : $" ({p.Clause})")
                : failure.Reason));
        io.Out.WriteLine(linuxFailures == 0
            ? $"udpconf kernel-record: the linux profile matches kernel {release}"
            : $"udpconf kernel-record: {linuxFailures} linux case(s) fail on kernel {release}: the linux profile is not verified");
        return linuxFailures == 0 ? ExitCodes.Passed : ExitCodes.Failed;
    }

    /// <summary>The whole of Reference/ProfileVerification.cs for a release (null: not verified).</summary>
    public static string VerificationSource(string? release) =>
        "// Written by ./udpconf kernel-record from a run on the live kernel: do not edit.\n" +
        "namespace Udpconf.Reference;\n\n" +
        "public static class ProfileVerification\n" +
        "{\n" +
        $"    public const string? LinuxVerifiedAgainst = {(release is null ? "null" : "\"" + release.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"")};\n" +
        "}\n";
}
