using Udpconf.Cli.Commands;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>An option without its value, a malformed or negative number, or an output path that cannot be written:
/// exit 2 with one line naming it, before any case runs.</summary>
public sealed class OptionGuardTests
{
    /// <summary>Their verdicts are about refusing bad options before any case runs.</summary>
    public OptionGuardTests() => Capability.NotInMutationRun("the command line's option guards");

    [Theory]
    [InlineData("option --report-dir needs a value", "check", "--report-dir")]
    [InlineData("option --report-dir needs a value", "check", "--report-dir", "--target", "model")]
    [InlineData("option --profile needs a value", "check", "--profile=")]
    [InlineData("option --out needs a value", "matrix", "--target", "model:spec", "--out")]
    [InlineData("option --count needs a value", "fuzz", "--count")]
    [InlineData("option --seed takes a whole number from 0 to 18446744073709551615, not '-1'", "fuzz", "--seed", "-1")]
    [InlineData("option --seed takes a whole number from 0 to 18446744073709551615, not '18446744073709551616'", "fuzz", "--seed=18446744073709551616")]
    [InlineData("option --count takes a whole number from -2147483648 to 2147483647, not 'abc'", "fuzz", "--count", "abc")]
    [InlineData("option --seed takes a whole number from -2147483648 to 2147483647, not '1.5'", "predict", "udp_sendmsg/dport_zero", "--seed", "1.5")]
    public void A_missing_or_malformed_value_exits_2_naming_the_option(string message, params string[] args)
    {
        using var cases = new TempCases().With("own/passing", TempCases.Passing).AsRepository();
        var run = CliHarness.Run(cases.Root, args);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal($"udpconf: {message}", run.Error.Trim());
        Assert.Empty(run.Out);
        Assert.False(Directory.Exists(cases.PathOf("__default_command")));
    }

    [Fact]
    public void A_negative_value_where_the_option_takes_one_is_a_value()
    {
        Assert.Null(OptionGuard.Check(["predict", "own/passing", "--seed", "-1"]));
    }

    [Fact]
    public void Every_command_of_the_app_is_known_to_the_guard_by_its_name()
    {
        Assert.Equal(["check", "fuzz", "golden", "kernel-record", "list", "matrix", "merge", "mutate", "predict", "publish", "serve-kernel", "serve-model", "spec-map", "versions"],
            OptionGuard.Commands.Order(StringComparer.Ordinal));
        using var cases = new TempCases().AsRepository();
        foreach (var command in OptionGuard.Commands)
        {
            var run = CliHarness.Run(cases.Root, command, "--help");
            Assert.True(run.ExitCode == 0, $"{command} --help: {run}");
        }
    }

    [Theory]
    [InlineData("check", "--report-dir", "a-file", "is a file, not a folder")]
    [InlineData("check", "--junit", "a-folder", "is a folder, not a file")]
    [InlineData("check", "--json", "a-file/report.json", "cannot be created: ")]
    [InlineData("fuzz", "--out", "a-file", "is a file, not a folder")]
    [InlineData("predict", "--out", "a-file/sub", "cannot be created: ")]
    public void An_output_path_that_cannot_be_written_exits_2_before_any_case_runs(string command, string option, string path, string why)
    {
        using var cases = new TempCases().With("own/passing", TempCases.Passing).AsRepository();
        File.WriteAllText(cases.PathOf("a-file"), "");
        Directory.CreateDirectory(cases.PathOf("a-folder"));
        string[] args = command == "predict"
            ? [command, "own/passing", option, path]
            : command == "fuzz" ? [command, "--target", "model", "--count", "1", option, path] : [command, "--target", "model", option, path];
        var run = CliHarness.Run(cases.Root, args);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith($"udpconf: {option} {path} {why}", run.Error.Trim());
        Assert.DoesNotContain("passed", run.Out);
    }
}
