using Udpconf.Suite;
using Udpconf.Reference;

// The command line grows into check / predict / golden / list with the conformance cases (next issue); for now
// it reports what the model covers and maintains spec-map.md.
var version = typeof(Model).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

switch (args.FirstOrDefault())
{
    case null or "--version" or "version":
        Console.WriteLine($"udpconf {version}");
        Console.WriteLine($"model: {ClauseId.Catalog.Count} catalog clauses, {ClauseId.Additions.Count} of its own; profiles: " +
                          string.Join(", ", Profile.All.Select(p => $"{p.Name} ({(p.IsVerified ? "verified against " + p.VerifiedAgainst : "unverified")})")));
        return 0;

    case "spec-map":
    {
        var root = SpecMap.FindRoot(Directory.GetCurrentDirectory());
        if (root is null)
        {
            Console.Error.WriteLine("udpconf spec-map: no Conformance.sln above the current folder");
            return 2;
        }
        var clauses = Path.Combine(root, "..", "shared", "spec", "clauses.md");
        var catalog = File.Exists(clauses) ? SpecMap.ReadCatalog(clauses) : ClauseId.Catalog;
        var text = SpecMap.Generate(root, catalog);
        var target = Path.Combine(root, "spec-map.md");
        if (args.Contains("--write"))
        {
            File.WriteAllText(target, text);
            Console.WriteLine($"wrote {target}");
            return 0;
        }
        var current = File.Exists(target) ? File.ReadAllText(target) : "";
        if (current == text)
        {
            Console.WriteLine("spec-map.md is up to date");
            return 0;
        }
        Console.Error.WriteLine("spec-map.md is stale: run ./udpconf spec-map --write");
        return 1;
    }

    case "--help" or "-h" or "help":
        Console.WriteLine("""
            usage: udpconf [command]
              (none), --version   print the version, the clause count and the profiles
              spec-map [--write]  check spec-map.md against the tree (exit 1 when stale), or rewrite it
              --help              this text
            """);
        return 0;

    default:
        Console.Error.WriteLine($"udpconf: unknown command '{args[0]}' (try --help)");
        return 2;
}
