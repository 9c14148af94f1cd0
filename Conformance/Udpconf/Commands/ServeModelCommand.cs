using System.ComponentModel;
using Spectre.Console.Cli;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets.Exec;
using Udpconf.Suite.Targets.Model;
using Udpconf.Suite.Targets;
using Profile = Udpconf.Reference.Profile;

namespace Udpconf.Cli.Commands;

public sealed class ServeModelSettings : CommandSettings
{
    [CommandOption("--profile <PROFILE>")]
    [Description("The profile the model answers under: [green]spec[/] or [green]linux[/] (default linux).")]
    public string Profile { get; set; } = "linux";

    [CommandOption("--seed <N>")]
    [Description("The seed the model chooses ports and identifications from (default 1).")]
    public int Seed { get; set; } = 1;

    public override Spectre.Console.ValidationResult Validate() =>
        Udpconf.Reference.Profile.Find(Profile) is not null ? Spectre.Console.ValidationResult.Success() : Spectre.Console.ValidationResult.Error($"--profile must be one of {string.Join(", ", Udpconf.Reference.Profile.All.Concat(Udpconf.Reference.Profile.KernelLines).Select(p => p.Name))}, not '{Profile}'");
}

/// <summary>
/// The reference implementation of the process protocol (Conformance/PROTOCOL.md): the model, speaking the protocol on
/// stdin and stdout, for implementers to compare their adapter's answers with, and for the suite to check the protocol
/// itself (the suite through exec: against this gives the model target's verdicts).
/// </summary>
public sealed class ServeModelCommand : Command<ServeModelSettings>
{
    public override int Execute(CommandContext context, ServeModelSettings settings, CancellationToken cancellation)
    {
        var profile = Profile.Find(settings.Profile)!;
        var target = new ModelTarget(profile, settings.Seed);
        using var input = new StreamReader(Console.OpenStandardInput());
        using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true, NewLine = "\n" };
        new ProtocolServer(target, $"udpconf model {profile.Name}", Feature.Known).Serve(input, output, Console.Error, "udpconf serve-model");
        return ExitCodes.Passed;
    }
}
