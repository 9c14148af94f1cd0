using Udpconf.Suite;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>--shard I/N: a deterministic split in which every case lands in one part exactly, whatever the order it
/// was listed in, and a command line that refuses what is not a part.</summary>
public class ShardTests
{
    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("2/4", 2, 4)]
    [InlineData("1000/1000", 1000, 1000)]
    public void A_part_is_I_of_N(string text, int index, int count) =>
        Assert.Equal(new Shard(index, count), Sharding.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("3")]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("1/0")]
    [InlineData("-1/3")]
    [InlineData("+1/3")]
    [InlineData("1/3/5")]
    [InlineData(" 1/3")]
    [InlineData("1/1001")]
    [InlineData("1/99999999999")]
    public void Anything_else_is_not_a_part(string text) => Assert.Null(Sharding.Parse(text));

    [Theory]
    [InlineData(10, 3)]
    [InlineData(3, 5)]
    [InlineData(331, 4)]
    public void Every_item_lands_in_exactly_one_part_and_parts_differ_by_one_at_most(int items, int parts)
    {
        var ids = Enumerable.Range(0, items).Select(i => $"case{i * 7919 % 1000:D3}/{i}").ToArray();
        var split = Enumerable.Range(1, parts).Select(i => Sharding.Part(ids, id => id, new Shard(i, parts))).ToArray();
        Assert.Equal(ids.Order(StringComparer.Ordinal), split.SelectMany(p => p).Order(StringComparer.Ordinal));
        Assert.True(split.Max(p => p.Count) - split.Min(p => p.Count) <= 1, string.Join(" ", split.Select(p => p.Count)));
        // Each part keeps the order it was given, and the split does not depend on that order.
        foreach (var (part, i) in split.Select((p, i) => (p, i)))
        {
            Assert.Equal(ids.Where(part.Contains), part);
            Assert.Equal(part.Order(StringComparer.Ordinal), Sharding.Part(ids.Reverse().ToArray(), id => id, new Shard(i + 1, parts)).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Check_runs_each_case_in_one_shard_only_and_a_shard_past_the_cases_runs_nothing()
    {
        using var cases = new TempCases().With("a/ok", TempCases.Passing).With("b/frag", TempCases.Fragmented).With("c/spec", TempCases.SpecOnly);
        var runs = Enumerable.Range(1, 2).Select(i => CliHarness.Run(cases.Root, "check", "--target", "model", "--cases", cases.Folder, "--shard", $"{i}/2")).ToArray();
        foreach (var run in runs) Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("(3 runs of 2 cases on model", runs[0].Out);
        Assert.Contains("(2 runs of 1 cases on model", runs[1].Out);
        Assert.Contains("part 1 of 2", runs[0].Out);
        var empty = CliHarness.Run(cases.Root, "check", "--target", "model", "--cases", cases.Folder, "--shard", "4/4");
        Assert.True(empty.ExitCode == 0, empty.ToString());
        Assert.Contains("(0 runs of 0 cases on model", empty.Out);
    }

    [Theory]
    [InlineData("check")]
    [InlineData("list")]
    [InlineData("matrix")]
    public void A_shard_that_is_not_I_of_N_is_exit_2_naming_it(string command)
    {
        using var cases = new TempCases().With("a/ok", TempCases.Passing);
        var run = CliHarness.Run(cases.Root, command, "--cases", cases.Folder, "--shard", "3/2");
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("--shard takes I/N", run.Error);
        Assert.Contains("'3/2'", run.Error);
    }
}
