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

    private static string ClausesMd => Path.Combine(Root, "..", "shared", "spec", "clauses.md");

    private static IReadOnlyList<string> Catalog()
    {
        Capability.Require(File.Exists(ClausesMd), $"the clause catalog is not at {ClausesMd}");
        return SpecMap.ReadCatalog(ClausesMd);
    }

    [Fact]
    public void The_model_knows_exactly_the_catalog_clause_ids_in_catalog_order() =>
        Assert.Equal(Catalog(), ClauseId.Catalog);

    [Fact]
    public void Spec_map_is_up_to_date()
    {
        var expected = SpecMap.Generate(Root, Catalog());
        var actual = File.ReadAllText(Path.Combine(Root, "spec-map.md"));
        Assert.True(expected == actual, "spec-map.md is stale: run ./udpconf spec-map --write");
    }

    [Fact]
    public void Every_catalog_clause_is_named_by_at_least_one_test()
    {
        var tests = SpecMap.TestsByClause(Root);
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
        var paths = Regex.Matches(text, @"`((?:Reference|Conformance|Properties|Fixtures)/[^`]+\.(?:cs|pcap))`").Select(m => m.Groups[1].Value).Distinct().ToArray();
        Assert.NotEmpty(paths);
        Assert.All(paths, path => Assert.True(File.Exists(Path.Combine(Root, path)), $"{path} does not exist"));
    }

    [Fact]
    public void Every_catalog_clause_has_a_row_naming_model_code()
    {
        var rows = File.ReadAllLines(Path.Combine(Root, "spec-map.md")).Where(l => l.StartsWith("| `")).ToArray();
        foreach (var id in Catalog())
        {
            var row = rows.SingleOrDefault(r => r.StartsWith($"| `{id}` |"));
            Assert.True(row is not null, $"no row for {id}");
            Assert.Contains("`Reference/", row);
        }
    }
}
