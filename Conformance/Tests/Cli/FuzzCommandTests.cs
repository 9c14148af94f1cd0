using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>udpconf fuzz: exit codes, the seed it prints, and bad usage.</summary>
public class FuzzCommandTests
{
    [Fact]
    public void The_model_against_itself_agrees_exits_0_and_prints_its_seed_and_counts()
    {
        using var cases = new TempCases();
        var run = CliHarness.Run(cases.Root, "fuzz", "--target", "model", "--count", "5", "--seed", "7", "--max-ops", "10");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("seed 7", run.Out);
        Assert.Contains("udpconf fuzz: 5 sequences, 50 operations: model:linux agreed with model:linux (seed 7)", run.Out);
        Assert.False(Directory.Exists(Path.Combine(cases.Root, "fuzz-failures")), "nothing to write when nothing failed");
    }

    [Fact]
    public void A_part_of_a_sharded_run_is_its_share_of_the_count_from_its_own_seed_and_replays_alone()
    {
        using var cases = new TempCases();
        var part = CliHarness.Run(cases.Root, "fuzz", "--target", "model", "--count", "5", "--seed", "7", "--max-ops", "10", "--shard", "2/2");
        Assert.True(part.ExitCode == 0, part.ToString());
        Assert.Contains("part 2 of 2: 2 of 5 sequences, seed 8 (alone: --count 2 --seed 8)", part.Out);
        var alone = CliHarness.Run(cases.Root, "fuzz", "--target", "model", "--count", "2", "--seed", "8", "--max-ops", "10");
        var agreed = "udpconf fuzz: 2 sequences, 20 operations: model:linux agreed with model:linux (seed 8)";
        Assert.Contains(agreed, part.Out);
        Assert.Contains(agreed, alone.Out);
        var first = CliHarness.Run(cases.Root, "fuzz", "--target", "model", "--count", "5", "--seed", "7", "--max-ops", "10", "--shard", "1/2");
        Assert.Contains("part 1 of 2: 3 of 5 sequences, seed 7", first.Out);
        var none = CliHarness.Run(cases.Root, "fuzz", "--target", "model", "--count", "2", "--seed", "7", "--shard", "3/3");
        Assert.True(none.ExitCode == 0, none.ToString());
        Assert.Contains("part 3 of 3: 0 of 2 sequences", none.Out);
    }

    [Theory]
    [InlineData("--shard", "2/2", "--shard needs --seed")]
    [InlineData("--shard", "0/2", "--shard takes I/N")]
    public void A_shard_without_a_seed_or_that_is_not_I_of_N_is_exit_2(string option, string value, string said)
    {
        using var cases = new TempCases();
        var run = CliHarness.Run(cases.Root, "fuzz", "--target", "model", option, value);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(said, run.Out + run.Error);
    }

    [Theory]
    [InlineData("--profile", "all")]
    [InlineData("--count", "0")]
    [InlineData("--max-ops", "0")]
    [InlineData("--max-ops", "10001")]
    [InlineData("--max-ops", "100000")]
    [InlineData("--target", "nope")]
    public void Bad_usage_exits_2(string option, string value)
    {
        using var cases = new TempCases();
        var run = CliHarness.Run(cases.Root, "fuzz", "--target", "model", option, value);
        Assert.True(run.ExitCode == 2, run.ToString());
        if (option == "--max-ops") Assert.Contains($"--max-ops must be from 1 to 10000, not {value}", run.Error);
    }
}
