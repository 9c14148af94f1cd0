using System.Text.RegularExpressions;
using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Fuzz;
using Xunit;

namespace Udpconf.Tests;

/// <summary>
/// The model column of spec-map.md is the trace the model records (call.Pass and the deciding clause of each outcome),
/// gathered by running every case and the machine's sampled sequences. This test gathers it again, in seconds, and
/// compares it with the column by clause, file and member (lines aside: a mutation run compiles the model anew), so
/// that a trace entry lost or gained is caught without regenerating the whole map (Spec_map_is_up_to_date, which
/// mutation runs leave out, takes 20 s). Before issue 16 no test caught ten removals of call.Pass.
/// </summary>
public sealed partial class SpecMapSiteTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    [GeneratedRegex(@"`Reference/(?<file>[^`:]+):\d+` (?<member>[\w.]+)")]
    private static partial Regex Site();

    [GeneratedRegex(@"\(\+(?<more>\d+) more\)")]
    private static partial Regex More();

    /// <summary>Per clause of spec-map.md's model column: the sites it shows as (file, member), and how many it has in
    /// all (it shows three and counts the rest).</summary>
    private static Dictionary<string, (HashSet<string> Shown, int Count)> Mapped()
    {
        var mapped = new Dictionary<string, (HashSet<string>, int)>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(Root, "spec-map.md")))
        {
            if (!line.StartsWith("| `", StringComparison.Ordinal)) continue;
            var columns = line.Split(" | ");
            if (columns.Length < 2) continue;
            var shown = Site().Matches(columns[1]).Select(m => $"{m.Groups["file"].Value} {m.Groups["member"].Value}").ToHashSet(StringComparer.Ordinal);
            var more = More().Match(columns[1]) is { Success: true } m ? int.Parse(m.Groups["more"].Value) : 0;
            var count = Site().Matches(columns[1]).Count + more;
            if (count > 0) mapped[columns[0].Trim('|', ' ', '`', '+')] = (shown, count);
        }
        return mapped;
    }

    /// <summary>Per clause: the sites the runs record, as (file, member) and as (file, line).</summary>
    private static Dictionary<string, (HashSet<string> Members, HashSet<string> Lines)> Recorded()
    {
        var cases = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root)).Where(f => f.Case is not null).Select(f => f.Case!).ToArray();
        var runs = cases.Select(c => (c.Host, Operations: (IReadOnlyList<Reference.Api.Operation>)c.Steps.Select(s => s.Operation).ToArray()))
            .Concat(SpecMap.MachineSequences().Select(run => (FuzzGenerators.Host, Operations: run))).ToArray();
        using var recorder = ClauseRecorder.Start();
        void Run(Profile profile, Reference.Host.HostConfig host, IReadOnlyList<Reference.Api.Operation> operations)
        {
            var model = new Reference.Model(host, profile);
            foreach (var operation in operations) recorder.EndOperation(model.Run(operation).Clause);
        }
        foreach (var profile in Profile.All)
            foreach (var (host, operations) in runs) Run(profile, host, operations);
        foreach (var line in Profile.KernelLines)
            foreach (var @case in cases.Where(c => c.Profiles.Contains(line.Name)))
                Run(line, @case.Host, @case.Steps.Select(s => s.Operation).ToArray());
        var recorded = new Dictionary<string, (HashSet<string>, HashSet<string>)>(StringComparer.Ordinal);
        foreach (var (clause, sites) in recorder.Sites)
        {
            var members = new HashSet<string>(StringComparer.Ordinal);
            var lines = new HashSet<string>(StringComparer.Ordinal);
            foreach (var site in sites)
            {
                var file = site.File.Replace('\\', '/');
                var at = file.LastIndexOf("/Reference/", StringComparison.Ordinal);
                var relative = at >= 0 ? file[(at + "/Reference/".Length)..] : file;
                members.Add($"{relative} {Path.GetFileNameWithoutExtension(relative)}.{site.Member}");
                lines.Add($"{relative}:{site.Line}");
            }
            recorded[clause.Id] = (members, lines);
        }
        return recorded;
    }

    [Fact]
    public void The_model_records_exactly_the_clause_sites_spec_map_lists()
    {
        var mapped = Mapped();
        Assert.True(mapped.Count > 100, $"only {mapped.Count} clauses with sites read from spec-map.md");
        var recorded = Recorded();
        var problems = new List<string>();
        foreach (var (clause, (shown, count)) in mapped)
        {
            if (!recorded.TryGetValue(clause, out var sites)) { problems.Add($"{clause}: spec-map lists {count} site(s), no run records it now"); continue; }
            if (sites.Lines.Count != count) problems.Add($"{clause}: spec-map lists {count} site(s), the runs record {sites.Lines.Count}");
            problems.AddRange(shown.Except(sites.Members).Select(site => $"{clause}: spec-map lists {site}, no run records it now"));
        }
        problems.AddRange(recorded.Keys.Except(mapped.Keys).Select(clause => $"{clause}: recorded, not in spec-map's model column"));
        Assert.True(problems.Count == 0, string.Join("\n", problems.Order(StringComparer.Ordinal)));
    }
}
