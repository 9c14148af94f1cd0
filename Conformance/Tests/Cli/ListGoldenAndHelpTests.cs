using Udpconf.Cli.Commands;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>udpconf list, golden, --version and --help.</summary>
public class ListGoldenAndHelpTests
{
    [Fact]
    public void List_shows_the_cases_and_a_count_per_clause()
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing).With("spec_only", TempCases.SpecOnly)
            .With("ip_append_data/frag", TempCases.Fragmented);
        var run = CliHarness.Run(cases.Root, "list", "--cases", cases.Folder);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("udp_sendmsg/ok", run.Out);
        Assert.Matches(@"udp_sendmsg\.dport_zero\s*│\s*2 │", run.Out);
        Assert.Matches(@"ip_append_data\.fragment_layout\s*│\s*1 │", run.Out);
        Assert.Contains("3 cases (0 malformed) naming 2 clauses", run.Out);
    }

    [Fact]
    public void List_filters_and_shows_malformed_cases_with_their_diagnostics()
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing).With("broken", TempCases.Malformed)
            .With("ip_append_data/frag", TempCases.Fragmented);
        var run = CliHarness.Run(cases.Root, "list", "--clause", "udp_sendmsg.dport_zero", "--cases", cases.Folder);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("broken.case:4:26: expected a port, found 'x'", run.Out);
        Assert.DoesNotContain("ip_append_data/frag", run.Out);
        Assert.Contains("2 cases (1 malformed) naming 1 clauses", run.Out);
    }

    [Theory]
    [InlineData("list")]
    [InlineData("check --target model")]
    public void A_diagnostic_stays_one_line_however_long_its_path(string command)
    {
        // Deeper than the 160 columns a redirected stdout is given: the line must not wrap inside its path.
        var deep = string.Join("/", Enumerable.Repeat("a-rather-long-folder-name", 8));
        using var cases = new TempCases().With(deep + "/broken", TempCases.Malformed);
        var run = CliHarness.Run(cases.Root, [.. command.Split(' '), "--cases", cases.Folder]);
        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Path.Combine(cases.Folder, deep, "broken.case") + ":4:26: expected a port, found 'x'";
        Assert.True(line.Length > 200, line);
        Assert.Contains(line, run.Out.Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public void Golden_reports_missing_files_then_accepts_then_matches()
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing).AsRepository();
        var missing = CliHarness.Run(cases.Root, "golden");
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Contains("missing: udp_sendmsg/ok (linux)", missing.Out);
        Assert.Contains("--accept", missing.Error);

        var accepted = CliHarness.Run(cases.Root, "golden", "--accept");
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
        Assert.True(File.Exists(cases.PathOf("Fixtures/udp_sendmsg/ok.linux.verified.pcap")));

        var match = CliHarness.Run(cases.Root, "golden");
        Assert.True(match.ExitCode == 0, match.ToString());
        Assert.Contains("udpconf golden: 2 match, 0 accepted, 0 mismatch, 0 missing", match.Out);

        File.WriteAllText(cases.PathOf("Fixtures/udp_sendmsg/ok.spec.verified.txt"), "changed\n");
        var mismatch = CliHarness.Run(cases.Root, "golden");
        Assert.True(mismatch.ExitCode == 1, mismatch.ToString());
        Assert.Contains("mismatch: udp_sendmsg/ok (spec)", mismatch.Out);
        Assert.Contains("-changed", mismatch.Out);
    }

    [Fact]
    public void Version_prints_the_version_the_clause_count_and_the_profiles()
    {
        var run = CliHarness.Run(Path.GetTempPath(), "--version");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(UdpconfApp.VersionText + Environment.NewLine, run.Out);
        Assert.Contains("catalog clauses", run.Out);
        Assert.Contains("profiles: spec", run.Out);
    }

    [Theory]
    [InlineData("--help", "check")]
    [InlineData("check --help", "--report-dir <DIR>")]
    [InlineData("predict --help", "--seed <N>")]
    [InlineData("golden --help", "--accept")]
    [InlineData("list --help", "--clause <ID>")]
    [InlineData("spec-map --help", "--write")]
    public void Help_exits_0_and_describes_the_options(string command, string expected)
    {
        var run = CliHarness.Run(Path.GetTempPath(), command.Split(' '));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(expected, run.Out);
        Assert.Contains("EXAMPLES:", run.Out);
    }
}
