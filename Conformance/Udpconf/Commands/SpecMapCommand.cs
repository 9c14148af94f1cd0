using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Udpconf.Suite;

namespace Udpconf.Cli.Commands;

public sealed class SpecMapSettings : CommandSettings
{
    [CommandOption("--write")]
    [Description("Rewrite spec-map.md instead of checking it.")]
    public bool Write { get; set; }
}

/// <summary>Checks spec-map.md against the tree (exit 1 when stale) or rewrites it. The clause catalog is
/// Reference/clauses.md, in the repository.</summary>
public sealed class SpecMapCommand(CliIo io) : Command<SpecMapSettings>
{
    public override int Execute(CommandContext context, SpecMapSettings settings, CancellationToken cancellation)
    {
        if (io.RootOrFail() is not { } root) return ExitCodes.Usage;
        var clauses = SpecMap.CatalogPath(root);
        if (!File.Exists(clauses))
        {
            io.Fail($"the clause catalog {SpecMap.CatalogRelativePath} is missing");
            return ExitCodes.Usage;
        }
        var text = SpecMap.Generate(root, SpecMap.ReadCatalog(clauses));
        var target = Path.Combine(root, "spec-map.md");
        if (settings.Write)
        {
            File.WriteAllText(target, text);
            io.Out.WriteLine($"wrote {target}");
            return ExitCodes.Passed;
        }
        var current = File.Exists(target) ? File.ReadAllText(target) : "";
        if (current == text)
        {
            io.Out.WriteLine("spec-map.md is up to date");
            return ExitCodes.Passed;
        }
        io.Error.WriteLine("spec-map.md is stale: run ./udpconf spec-map --write");
        return ExitCodes.Failed;
    }
}
