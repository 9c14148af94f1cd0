using System.Collections.Immutable;
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
    public sealed class Settings : CommandSettings
    {
        [System.ComponentModel.Description("The kernel to record: [green]kernel[/] (this machine's, default: both profiles, Conformance/kernel-verdicts.json) " +
                                           "or [green]vm:<kernel>[/] (an older kernel line in a VM: its line's profile, Conformance/kernel-verdicts-<line>.json).")]
        [CommandOption("--target <TARGET>")]
        public string? Target { get; set; }

        [System.ComponentModel.Description("Record part I of N only (cases in id order, k mod N), into --out: N runners record the parts, " +
                                           "then [green]kernel-record --merge[/] their files writes the record as one run would.")]
        [CommandOption("--shard <I/N>")]
        public string? Shard { get; set; }

        [System.ComponentModel.Description("Where --shard writes its part (the checkout's record is not touched).")]
        [CommandOption("--out <FILE>")]
        public string? Out { get; set; }

        [System.ComponentModel.Description("Write the record from the parts' files (every part of one split, of this checkout's cases, on one kernel) instead of running.")]
        [CommandOption("--merge <FILE>")]
        public string[]? Merge { get; set; }

        /// <summary>The part --shard asks for (Validate refuses a --shard that is not I/N).</summary>
        public Shard? Part => Shard is null ? null : Sharding.Parse(Shard);

        public override ValidationResult Validate() =>
            Merge is { Length: > 0 } && (Shard is not null || Target is not null || Out is not null) ? ValidationResult.Error("--merge takes the parts' files only: no --shard, --target or --out")
            : Shard is not null && Sharding.Parse(Shard) is null ? ValidationResult.Error($"--shard takes I/N with 1 <= I <= N <= {Sharding.MostParts}, not '{Shard}'")
            : Shard is not null && Out is null ? ValidationResult.Error("--shard needs --out FILE: a part is not the record")
            : Out is not null && Shard is null ? ValidationResult.Error("--out is where --shard writes its part")
            : ValidationResult.Success();
    }

    public const string VerificationFile = "Reference/ProfileVerification.cs";

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (io.RootOrFail() is not { } root) return ExitCodes.Usage;
        // Both files are written into the checkout: a root without them (a folder of one's own cases) is refused
        // before the kernel runs anything.
        var verification = Path.Combine(root, VerificationFile);
        var json = KernelVerdicts.PathIn(root);
        if (settings.Target is { } asked && asked != "kernel" && !asked.StartsWith("vm:", StringComparison.Ordinal))
        {
            io.Fail($"kernel-record records a kernel: --target kernel or vm:<kernel>, not '{asked}'");
            return ExitCodes.Usage;
        }
        if (!Directory.Exists(Path.GetDirectoryName(verification)) || !Directory.Exists(Path.GetDirectoryName(json)))
        {
            io.Fail($"{io.Show(root)} is not a udpconf checkout (kernel-record writes {VerificationFile} and {KernelVerdicts.RelativePath})");
            return ExitCodes.Usage;
        }
        var folder = CaseLibrary.DefaultFolder(root);
        var cases = Directory.Exists(folder) ? CaseLibrary.Load(folder) : [];
        if (cases.Count == 0)
        {
            io.Fail($"no case files under {io.Show(folder)}");
            return ExitCodes.Usage;
        }
        if (settings.Merge is { Length: > 0 } files) return MergeParts(files, root, cases, verification);
        var shard = settings.Part;
        if (shard is { } part) cases = Sharding.Part(cases, c => c.Id, part);
        if (settings.Target is { } vm && vm.StartsWith("vm:", StringComparison.Ordinal)) return RecordVm(vm, root, cases, verification, shard, settings.Out, cancellation);
        if (!KernelTarget.CanRun(out var why))
        {
            io.Fail($"the kernel target cannot run here: {why}");
            return ExitCodes.Usage;
        }

        var target = new KernelTarget();
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var results = CaseRunner.RunAll(cases, Profile.All, _ => target, cancellation).ToList();

        var record = KernelVerdicts.From(release, DateOnly.FromDateTime(DateTime.UtcNow), results, shard);
        if (shard is not null) return WritePart(record, settings.Out!, Profile.Linux, release);
        File.WriteAllText(json, record.ToJson());
        io.Out.WriteLine($"wrote {io.Show(json)}");

        var linuxFailures = record.Failures(Profile.Linux.Name);
        WriteVerification(verification, Verified().SetItem(Profile.Linux.Name, linuxFailures == 0 ? release : null));

        foreach (var (profile, counts) in record.Counts)
            io.Out.WriteLine($"{profile}: " + string.Join(", ", VerdictNames.All.Select(k => $"{counts.GetValueOrDefault(k.Name())} {k.Name()}")));
        return Conclude(record, Profile.Linux, release);
    }

    /// <summary>kernel-record --target vm:&lt;kernel&gt;: every case under the line's profile in the guest, recorded in
    /// Conformance/kernel-verdicts-&lt;line&gt;.json, the line's release in ProfileVerification.cs when every case passed.</summary>
    /// <param name="shard">--shard's part (written to <paramref name="output"/>), or null for the whole record.</param>
    private int RecordVm(string option, string root, IReadOnlyList<CaseFile> cases, string verification, Shard? shard, string? output, CancellationToken cancellation)
    {
        using var choice = TargetChoice.Resolve(option, io);
        if (choice is null) return ExitCodes.Usage;
        var profile = Profile.Find(choice.DefaultProfiles)!;
        if (profile.Family is null)
        {
            io.Fail($"{choice.Name} is of no older kernel line the model has a profile for ({string.Join(", ", Profile.KernelLines.Select(p => p.Name))}): record the newest line with --target kernel on such a machine");
            return ExitCodes.Usage;
        }
        var target = choice.Create(profile);
        var release = choice.Name["vm:".Length..];
        var results = CaseRunner.RunAll(cases, [profile], _ => target, cancellation).ToList();
        var record = KernelVerdicts.From(release, DateOnly.FromDateTime(DateTime.UtcNow), results, shard);
        if (shard is not null) return WritePart(record, output!, profile, release);
        var json = KernelVerdicts.PathFor(root, profile.Name);
        File.WriteAllText(json, record.ToJson());
        io.Out.WriteLine($"wrote {io.Show(json)}");
        WriteVerification(verification, Verified().SetItem(profile.Name, record.Failures(profile.Name) == 0 ? release : null));
        return Conclude(record, profile, release);
    }

    /// <summary>--shard: the part's record into --out, its failures said; the checkout is not written.</summary>
    private int WritePart(KernelVerdicts part, string output, Profile profile, string release)
    {
        var path = io.FullPath(output);
        try
        {
            if (Path.GetDirectoryName(path) is { Length: > 0 } parent) Directory.CreateDirectory(parent);
            File.WriteAllText(path, part.ToJson());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Fail($"cannot write {io.Show(path)}: {e.Message}");
            return ExitCodes.Usage;
        }
        io.Out.WriteLine($"wrote part {part.Shard} to {io.Show(path)} ({part.Cases.Count} runs): kernel-record --merge the parts' files writes the record");
        return Conclude(part, profile, release);
    }

    /// <summary>--merge: the parts' records as one record of this checkout's cases, written as a whole run writes it.</summary>
    private int MergeParts(IReadOnlyList<string> files, string root, IReadOnlyList<CaseFile> cases, string verification)
    {
        var parts = new List<(string, KernelVerdicts)>();
        var unread = 0;
        foreach (var file in files)
        {
            var path = io.FullPath(file);
            try
            {
                using var stream = File.OpenRead(path);
                if (stream.Length > KernelVerdicts.MostBytes)
                    throw new InvalidDataException($"larger than {KernelVerdicts.MostBytes} bytes");
                parts.Add((io.Show(path), KernelVerdicts.Parse(new StreamReader(stream).ReadToEnd())));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
            {
                io.Fail($"{io.Show(path)}: {Suite.Reports.SafeText.Line(e.Message)}");
                unread++;
            }
        }
        if (unread > 0)
        {
            io.Fail($"{unread} part{(unread == 1 ? "" : "s")} could not be read: nothing written");
            return ExitCodes.Failed;
        }
        // A VM's record holds its kernel line's profile only; the host's, linux and spec.
        var lines = parts.SelectMany(p => p.Item2.Cases).Select(v => Profile.Find(v.Profile)).OfType<Profile>().Where(p => p.Family is not null).Distinct().ToArray();
        var profiles = lines.Length == 1 ? lines : Profile.All;
        var (record, problems) = KernelVerdicts.Merge(parts, cases, profiles);
        if (record is null)
        {
            foreach (var problem in problems) io.Fail(problem);
            io.Fail("the parts are not one whole run of this checkout's cases: nothing written");
            return ExitCodes.Failed;
        }
        var profile = lines.Length == 1 ? lines[0] : Profile.Linux;
        var json = KernelVerdicts.PathFor(root, profile.Name);
        File.WriteAllText(json, record.ToJson());
        io.Out.WriteLine($"wrote {io.Show(json)} from {parts.Count} parts");
        WriteVerification(verification, Verified().SetItem(profile.Name, record.Failures(profile.Name) == 0 ? record.Implementation : null));
        return Conclude(record, profile, record.Implementation);
    }

    /// <summary>Says each failure of the kernel's own profile and whether it verifies the profile: exit 0 or 1.</summary>
    private int Conclude(KernelVerdicts record, Profile profile, string release)
    {
        var failures = record.Failures(profile.Name);
        foreach (var failure in record.Cases.Where(v => v.IsFailure && v.Profile == profile.Name))
            io.Out.WriteLine($"{profile.Name} fails {failure.Case}: " + (failure.Problem is { } p
                ? $"step {p.Step}: {p.What}: expected {p.Expected}, observed {p.Observed}" + (p.Clause is null ? "" : $" ({p.Clause})")
                : failure.Reason));
        io.Out.WriteLine(failures == 0
            ? $"udpconf kernel-record: the {profile.Name} profile matches kernel {release}"
            : $"udpconf kernel-record: {failures} {profile.Name} case(s) fail on kernel {release}: the {profile.Name} profile is not verified");
        return failures == 0 ? ExitCodes.Passed : ExitCodes.Failed;
    }

    /// <summary>The releases each profile of a kernel is verified against, as this build knows them.</summary>
    private static System.Collections.Immutable.ImmutableDictionary<string, string?> Verified() =>
        new Dictionary<string, string?>
        {
            [Profile.Linux.Name] = Udpconf.Reference.ProfileVerification.LinuxVerifiedAgainst,
            [Profile.Linux612.Name] = Udpconf.Reference.ProfileVerification.Linux612VerifiedAgainst,
            [Profile.Linux61.Name] = Udpconf.Reference.ProfileVerification.Linux61VerifiedAgainst,
        }.ToImmutableDictionary();

    private void WriteVerification(string path, IReadOnlyDictionary<string, string?> verified)
    {
        var source = VerificationSource(verified);
        if (File.Exists(path) && File.ReadAllText(path) == source) return;
        File.WriteAllText(path, source);
        io.Out.WriteLine($"wrote {io.Show(path)} (rebuild, then ./udpconf spec-map --write)");
    }

    /// <summary>The whole of Reference/ProfileVerification.cs for a release of the host's kernel (null: not verified),
    /// the kernel lines' as this build has them.</summary>
    public static string VerificationSource(string? release) => VerificationSource(Verified().SetItem(Profile.Linux.Name, release));

    /// <summary>The whole of Reference/ProfileVerification.cs: the release each profile of a kernel is verified against.</summary>
    public static string VerificationSource(IReadOnlyDictionary<string, string?> verified)
    {
        static string Literal(string? release) => release is null ? "null" : "\"" + release.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        return "// Written by ./udpconf kernel-record from a run on the live kernel: do not edit.\n" +
               "namespace Udpconf.Reference;\n\n" +
               "public static class ProfileVerification\n" +
               "{\n" +
               $"    public const string? LinuxVerifiedAgainst = {Literal(verified.GetValueOrDefault(Profile.Linux.Name))};\n" +
               $"    public const string? Linux612VerifiedAgainst = {Literal(verified.GetValueOrDefault(Profile.Linux612.Name))};\n" +
               $"    public const string? Linux61VerifiedAgainst = {Literal(verified.GetValueOrDefault(Profile.Linux61.Name))};\n" +
               "}\n";
    }
}
