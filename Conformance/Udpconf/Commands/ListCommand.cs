using Spectre.Console;
using Spectre.Console.Cli;

namespace Udpconf.Cli.Commands;

/// <summary>Lists the cases with the clauses, profiles and features they name, then how many cases name each
/// clause. Exit 1 when a case file is malformed (its diagnostics are listed), 2 when nothing matches.</summary>
public sealed class ListCommand(CliIo io) : Command<CaseFilterSettings>
{
    public override int Execute(CommandContext context, CaseFilterSettings settings, CancellationToken cancellation)
    {
        var cases = CaseSelection.Select(io, settings)?.Cases;
        if (cases is null) return ExitCodes.Usage;

        var table = new Table().AddColumn("case").AddColumn("clauses").AddColumn("profiles").AddColumn("features").AddColumn(new TableColumn("steps").RightAligned());
        foreach (var file in cases)
        {
            if (file.Case is { } c)
                table.AddRow(new Text(c.Id), new Text(string.Join("\n", c.Clauses)), new Text(string.Join(" ", c.Profiles)),
                    new Text(string.Join(" ", c.Features)), new Text(c.Steps.Count.ToString()));
            else
                table.AddRow(new Text(file.Id), new Text("malformed", new Style(Color.Red)), new Text(""), new Text(""), new Text(""));
        }
        io.Out.Write(table);

        var byClause = cases.Where(c => c.Case is not null)
            .SelectMany(c => c.Case!.Clauses.Distinct())
            .GroupBy(id => id)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        var counts = new Table().AddColumn("clause").AddColumn(new TableColumn("cases").RightAligned());
        foreach (var group in byClause) counts.AddRow(new Text(group.Key), new Text(group.Count().ToString()));
        io.Out.Write(counts);

        var malformed = cases.Where(c => c.Case is null).ToArray();
        foreach (var diagnostic in malformed.SelectMany(c => c.Diagnostics)) io.Out.PlainLine(diagnostic.ToString());
        io.Out.WriteLine($"{cases.Count} cases ({malformed.Length} malformed) naming {counts.Rows.Count} clauses");
        return malformed.Length == 0 ? ExitCodes.Passed : ExitCodes.Failed;
    }
}
