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
