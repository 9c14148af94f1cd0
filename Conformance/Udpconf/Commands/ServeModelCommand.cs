using System.ComponentModel;
using System.Text.Json.Nodes;
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
        Profile is "spec" or "linux" ? Spectre.Console.ValidationResult.Success() : Spectre.Console.ValidationResult.Error($"--profile must be spec or linux, not '{Profile}'");
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
        ITargetSession? session = null;
        var version = Protocol.Version;
        try
        {
            while (input.ReadLine() is { } line)
            {
                JsonObject reply;
                try
                {
                    var request = Protocol.Parse(line, "a request");
                    var op = request["op"]?.ToString();
                    if (op == "bye") break;
                    if (op == "hello")
                    {
                        // The newest version offered; one it cannot agree on is answered with its own, for the
                        // client to refuse.
                        version = Protocol.Agree(request) ?? Protocol.Version;
                        reply = Protocol.HelloReply($"udpconf model {profile.Name}", Feature.Known.Append(Protocol.UnreadableMemory), version);
                    }
                    else if (op == "host")
                    {
                        session?.Dispose();
                        session = target.Open(Protocol.ReadHost(request));
                        reply = new JsonObject { ["ok"] = true };
                    }
                    else
                    {
                        var id = request["id"]?.GetValue<int>() ?? 0;
                        if (session is null) throw new ProtocolException("an operation before the host");
                        var operation = Protocol.ReadRequest(request);
                        reply = version < 2 && Feature.ImpliedBy(operation).Any()
                            ? new JsonObject { ["id"] = id, ["unsupported"] = $"'{op}' is an operation of protocol version 2; this session speaks {version}" }
                            : Protocol.Reply(id, session.Run(operation));
                    }
                }
                catch (Exception e) when (e is ProtocolException or InvalidOperationException or FormatException)
                {
                    Console.Error.WriteLine($"udpconf serve-model: {e.Message}");
                    reply = new JsonObject { ["unsupported"] = e.Message };
                }
                output.WriteLine(Protocol.Line(reply));
            }
        }
        finally { session?.Dispose(); }
        return ExitCodes.Passed;
    }
}
