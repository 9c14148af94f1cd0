using System.Text.RegularExpressions;
using Udpconf.Suite;
using Udpconf.Reference;
using Xunit;

namespace Udpconf.Tests;

/// <summary>spec-map.md is generated from the tree; these tests keep it, the catalog and the model in step.</summary>
public class SpecMapTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    /// <summary>The catalog is part of the repository: a missing one is a failure, never a skip.</summary>
    private static IReadOnlyList<string> Catalog() => SpecMap.ReadCatalog(SpecMap.CatalogPath(Root));

    [Fact]
    public void The_catalog_is_in_the_repository() =>
        Assert.True(File.Exists(SpecMap.CatalogPath(Root)), $"{SpecMap.CatalogRelativePath} is missing");

    [Fact]
    public void The_model_knows_exactly_the_catalog_clause_ids_in_catalog_order()
    {
        var catalog = Catalog();
        Assert.Equal(catalog.Count, catalog.Distinct().Count());
        // Both ways: every ClauseId catalog id is in clauses.md, every clauses.md id is in ClauseId.Catalog, same order.
        Assert.True(catalog.SequenceEqual(ClauseId.Catalog),
            $"only in {SpecMap.CatalogRelativePath}: {string.Join(", ", catalog.Except(ClauseId.Catalog))}; " +
            $"only in ClauseId.Catalog: {string.Join(", ", ClauseId.Catalog.Except(catalog))}; or the order differs");
        Assert.Empty(ClauseId.Additions.Intersect(catalog));
    }

    [Fact]
    public void Every_catalog_row_says_the_behavior_and_cites_a_page_of_the_notes()
    {
        // The pages are those of the lecture notes the header names by title.
        Assert.Contains("\"UDP and the sendto Socket API\"", File.ReadAllText(SpecMap.CatalogPath(Root)));
        var rows = SpecMap.ReadCatalogRows(SpecMap.CatalogPath(Root)).Where(row => row.Part == 1).ToArray();
        Assert.NotEmpty(rows);
        Assert.All(rows, row =>
        {
            Assert.False(string.IsNullOrWhiteSpace(row.Behavior), $"{row.Id} has no behavior");
            var pages = Regex.Matches(row.Where, @"\bpp?\. (\d+)(?:-(\d+))?").ToArray();
            Assert.True(pages.Length > 0, $"{row.Id} cites no page (p. N) of the notes: '{row.Where}'");
            // The notes have 61 numbered pages.
            Assert.All(pages, page => Assert.InRange(int.Parse(page.Groups[page.Groups[2].Success ? 2 : 1].Value), 1, 61));
        });
    }

    /// <summary>The second part (current Linux beyond the notes) cites the kernel function that decides each behavior,
    /// with its source file, and its ids are <see cref="ClauseId.BeyondNotes"/>, after every id of the first part.</summary>
    [Fact]
    public void Every_second_part_row_names_its_kernel_function_and_source_file()
    {
        var rows = SpecMap.ReadCatalogRows(SpecMap.CatalogPath(Root));
        var second = rows.Where(row => row.Part == 2).ToArray();
        Assert.Equal(second.Select(row => row.Id), ClauseId.BeyondNotes);
        Assert.Equal(rows.Select(row => row.Part).Order(), rows.Select(row => row.Part));
        Assert.All(second, row =>
        {
            Assert.False(string.IsNullOrWhiteSpace(row.Behavior), $"{row.Id} has no behavior");
            Assert.Matches(@"`[a-z_0-9]+`", row.Where);
            Assert.Matches(@"\((?:net|include|lib)/[a-z_0-9/]+\.[ch]\)", row.Where);
        });
    }

    [Fact]
    public void Spec_map_is_up_to_date()
    {
        Capability.NotInMutationRun("regenerating spec-map.md (20 s)");
        var expected = SpecMap.Generate(Root, Catalog());
        var actual = File.ReadAllText(Path.Combine(Root, "spec-map.md"));
        Assert.True(expected == actual, "spec-map.md is stale: run ./udpconf spec-map --write");
    }

    [Fact]
    public void Every_catalog_clause_is_named_by_at_least_one_test()
    {
        var tests = TestCoverage.ByClause(Root);
        var untested = Catalog().Where(id => !tests.ContainsKey(id)).ToArray();
        Assert.True(untested.Length == 0, "no test names: " + string.Join(", ", untested));
    }

    [Fact]
    public void Every_observable_catalog_clause_is_named_by_a_case()
    {
        var cases = SpecMap.CasesByClause(Root);
        var missing = Catalog().Where(id => !SpecMap.Unobservable.ContainsKey(id) && !cases.ContainsKey(id)).ToArray();
        Assert.True(missing.Length == 0, "no case names: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_path_spec_map_names_exists()
    {
        var text = File.ReadAllText(Path.Combine(Root, "spec-map.md"));
        var places = Regex.Matches(text, @"`((?:Reference|Conformance|Properties|Fixtures)/[^`]+\.(?:cs|pcap))(?::(\d+))?`").Select(m => (Path: m.Groups[1].Value, Line: m.Groups[2].Success ? int.Parse(m.Groups[2].Value) : 0)).Distinct().ToArray();
        Assert.NotEmpty(places);
        Assert.Contains(places, place => place.Line > 0);
        Assert.All(places, place =>
        {
            Assert.True(File.Exists(Path.Combine(Root, place.Path)), $"{place.Path} does not exist");
            // A model site's line is in its file.
            if (place.Line > 0) Assert.InRange(place.Line, 1, File.ReadLines(Path.Combine(Root, place.Path)).Count());
        });
    }

    /// <summary>The profiles column is measured: the switches the model branches on at these clauses are named in their
    /// rows (a hand-kept table once said "same" for the first two and left SharedCorkFlow out of the third).</summary>
    [Theory]
    [InlineData("udp_sendmsg.source_from_route", new[] { nameof(Profile.SharedCorkFlow) })]
    [InlineData("udp_sendmsg.cork_setup", new[] { nameof(Profile.SharedCorkFlow), nameof(Profile.PseudoHeaderUsesFirstHop), nameof(Profile.TosFixedAtCork) })]
    [InlineData("ip_append_data.emsgsize_total", new[] { nameof(Profile.StrictPmtuAtAppend), nameof(Profile.LocalErrorInfoLessOptions), nameof(Profile.SharedCorkFlow) })]
    public void The_profiles_column_names_the_switches_a_clause_branches_on(string clause, string[] switches)
    {
        var row = File.ReadAllLines(Path.Combine(Root, "spec-map.md")).Single(l => l.StartsWith($"| `{clause}` |"));
        var profiles = row.Split(" | ")[2];
        Assert.All(switches, name => Assert.Contains(name + ":", profiles));
    }

    /// <summary>Where the model reads a profile switch under a clause, the clause's row names the switch: measured to
    /// change it, or read with no measured change. Read here by running every case on the model under both profiles,
    /// independently of the generator; a new switch read the map does not list fails until spec-map.md is regenerated.</summary>
    [Fact]
    public void A_switch_read_under_a_clause_is_listed_in_its_row()
    {
        var rows = File.ReadAllLines(Path.Combine(Root, "spec-map.md")).Where(l => l.StartsWith("| `"))
            .ToDictionary(l => l[3..l.IndexOf('`', 3)].TrimStart('+'), l => l.Split(" | ")[2]); // + marks the model's additions
        var reads = new Dictionary<string, HashSet<string>>();
        using (var recorder = ClauseRecorder.Start())
            foreach (var @case in SpecMap.CasesByClause(Root).Values.SelectMany(c => c).Distinct())
                foreach (var profile in Profile.All)
                {
                    var model = new Reference.Model(@case.Host, profile);
                    foreach (var step in @case.Steps)
                    {
                        recorder.ClearReads();
                        recorder.EndOperation(model.Run(step.Operation).Clause);
                        foreach (var (clause, names) in recorder.ReadsUnder)
                            (reads.TryGetValue(clause.Id, out var set) ? set : reads[clause.Id] = []).UnionWith(names);
                    }
                }
        Assert.NotEmpty(reads);
        var unlisted = reads.SelectMany(r => r.Value.Where(name => !rows.TryGetValue(r.Key, out var cell) || !cell.Contains(name)).Select(name => $"{name} under {r.Key}"))
            .Order().ToArray();
        Assert.True(unlisted.Length == 0, "read but not in spec-map.md: " + string.Join(", ", unlisted));
    }

    /// <summary>Model sites are recorded by running the model, so a clause no run reaches has none: that is allowed only
    /// for a clause the map gives a reason it cannot be observed.</summary>
    [Fact]
    public void Every_catalog_clause_has_a_row_naming_model_code()
    {
        var rows = File.ReadAllLines(Path.Combine(Root, "spec-map.md")).Where(l => l.StartsWith("| `")).ToArray();
        foreach (var id in Catalog())
        {
            var row = rows.SingleOrDefault(r => r.StartsWith($"| `{id}` |"));
            Assert.True(row is not null, $"no row for {id}");
            if (!SpecMap.Unobservable.ContainsKey(id)) Assert.Contains("`Reference/", row);
        }
    }
}
