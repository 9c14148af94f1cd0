using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Udpconf.Suite;
using Udpconf.Suite.Fuzz;
using Profile = Udpconf.Reference.Profile;

namespace Udpconf.Cli.Commands;

public sealed class FuzzSettings : CommandSettings
{
    [CommandOption("--target <TARGET>")]
    [Description("What to fuzz: [green]model[/], [green]kernel[/], [green]exec:<command>[/] or [green]vm:<kernel>[/] (one guest for the whole run). Default: the kernel when it can be reached, else the model.")]
    public string? Target { get; set; }

    [CommandOption("--profile <PROFILE>")]
    [Description("The model profile the target is held to: [green]spec[/], [green]linux[/] or a kernel line such as [green]linux-6.1[/] (default: the target's, linux for all but a VM of an older line).")]
    public string? Profile { get; set; }

    [CommandOption("--count <N>")]
    [Description("How many random operation sequences to run (default 100).")]
    public int Count { get; set; } = 100;

    [CommandOption("--seed <S>")]
    [Description("The seed (an unsigned 64-bit number); the same seed runs the same sequences. Default: from the clock, printed.")]
    public ulong? Seed { get; set; }

    [CommandOption("--shard <I/N>")]
    [Description("Only the I-th of N parts of the run, for N runners: part I runs its share of --count (they differ by one at most) " +
                 "from seed S + I - 1 (S from --seed, which a sharded run needs so that the runners agree). Each part prints the " +
                 "seed and count that replay it alone.")]
    public string? Shard { get; set; }

    [CommandOption("--max-ops <N>")]
    [Description("The longest sequence (default 40 operations).")]
    public int MaxOperations { get; set; } = 40;

    /// <summary>The longest sequence: 10,000 ran (20,000 operations in two sequences); 100,000 overflowed the stack.</summary>
    public const int MaxOperationsLimit = 10_000;

    [CommandOption("--out <DIR>")]
    [Description("Where a failing sequence is written as a case file (default: fuzz-failures under the current folder).")]
    public string Out { get; set; } = "fuzz-failures";

    public override ValidationResult Validate() =>
        Profile is not null && Udpconf.Reference.Profile.Find(Profile) is null ? ValidationResult.Error($"--profile must be one of {string.Join(", ", Udpconf.Reference.Profile.All.Concat(Udpconf.Reference.Profile.KernelLines).Select(p => p.Name))}, not '{Profile}'")
        : Count < 1 ? ValidationResult.Error("--count must be at least 1")
        : Shard is not null && Sharding.Parse(Shard) is null ? ValidationResult.Error($"--shard takes I/N with 1 <= I <= N <= {Sharding.MostParts}, not '{Shard}'")
        : Shard is not null && Seed is null ? ValidationResult.Error("--shard needs --seed: the runners of a sharded run must agree on it")
        : MaxOperations is < 1 or > MaxOperationsLimit ? ValidationResult.Error($"--max-ops must be from 1 to {MaxOperationsLimit}, not {MaxOperations} (FsCheck builds a sequence recursively: 100,000 overflowed the stack; run more sequences instead)")
        : ValidationResult.Success();
}

/// <summary>
/// Stateful differential testing from the command line: random operation sequences run on the target and on the model
/// side by side, every answer and packet compared; the first disagreement is shrunk to a minimal sequence, printed
/// with its seed and written as a case file ready for Conformance/cases. Exit 0: no disagreement; 1: one was found;
/// 2: bad usage or a target that cannot be reached.
/// </summary>
public sealed class FuzzCommand(CliIo io) : Command<FuzzSettings>
{
    public override int Execute(CommandContext context, FuzzSettings settings, CancellationToken cancellation)
    {
        if (!OutputPaths.Check(io, [("--out", settings.Out)], [])) return ExitCodes.Usage;
        using var choice = TargetChoice.Resolve(settings.Target, io);
        if (choice is null) return ExitCodes.Usage;
        var profile = Profile.Find(settings.Profile ?? (choice.DefaultProfiles == "all" ? "linux" : choice.DefaultProfiles))!;
        var target = choice.Create(profile);
        var seed = settings.Seed ?? (ulong)DateTime.UtcNow.Ticks;
        var count = settings.Count;
        if (settings.Shard is not null && Sharding.Parse(settings.Shard) is { } shard)
        {
            // Part I: seed S + I - 1 (wrapping), and the count split as evenly as it goes.
            seed = unchecked(seed + (ulong)(shard.Index - 1));
            count = settings.Count / shard.Count + (shard.Index <= settings.Count % shard.Count ? 1 : 0);
            io.Out.WriteLine($"udpconf fuzz: part {shard.Index} of {shard.Count}: {count} of {settings.Count} sequences, seed {seed} " +
                             $"(alone: --count {count} --seed {seed})");
            if (count == 0) return ExitCodes.Passed;
        }
        io.Out.WriteLine($"udpconf fuzz: {count} sequences of up to {settings.MaxOperations} operations on {target.Name} against model:{profile.Name}, seed {seed}");

        var step = Math.Max(1, count / 10);
        var result = Fuzzer.Run(target, profile, count, seed, settings.MaxOperations, n =>
        {
            cancellation.ThrowIfCancellationRequested();
            if (n % step == 0) io.Error.WriteLine($"udpconf fuzz: {n}/{count} sequences");
        });

        if (result.Failure is not { } failure)
        {
            io.Out.WriteLine($"udpconf fuzz: {result.Sequences} sequences, {result.Operations} operations: {target.Name} agreed with model:{profile.Name} (seed {seed})");
            return ExitCodes.Passed;
        }
        var folder = io.FullPath(settings.Out);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"fuzz-{seed}.case");
        File.WriteAllText(path, failure.CaseText);
        io.Out.WriteLine($"udpconf fuzz: {target.Name} disagreed with model:{profile.Name} (seed {seed}); shrunk {failure.Shrinks} time(s) to {failure.Steps.Count} operation(s):");
        io.Out.Write(new Text(failure.CaseText));
        io.Out.WriteLine();
        io.Out.WriteLine($"wrote {io.Show(path)} (replay: udpconf fuzz --target {settings.Target ?? choice.Name} --profile {profile.Name} --count {count} --seed {seed})");
        return ExitCodes.Failed;
    }
}
