using System.Text.Json;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>check, list and matrix take case files and folders anywhere as well as case id prefixes: a folder is
/// searched for *.case, the ids of cases outside the case folder are their paths relative to the folder given (or the
/// file's name), and an argument that is neither a path nor the start of an id exits 2 naming it.</summary>
public class CasePathTests
{
    /// <summary>A folder of one's own, outside any repository: mine/sub/ok.case and mine/wrong.case.</summary>
    private sealed class OwnCases : IDisposable
    {
        public string Root { get; } = TempFolders.Create("udpconf-own-").FullName;
        public string Mine => Path.Combine(Root, "mine");

        public OwnCases()
        {
            Directory.CreateDirectory(Path.Combine(Mine, "sub"));
            File.WriteAllText(Path.Combine(Mine, "sub", "ok.case"), TempCases.Passing);
            File.WriteAllText(Path.Combine(Mine, "wrong.case"), TempCases.Failing);
        }

        public void Dispose()
        {
            try { Directory.Delete(Root, recursive: true); }
            catch (IOException) { }
        }
    }

    [Fact]
    public void Check_a_folder_outside_the_repository_runs_its_cases_with_ids_relative_to_it()
    {
        using var own = new OwnCases();
        var json = Path.Combine(own.Root, "report.json");
        var run = CliHarness.Run(own.Root, "check", "mine", "--target", "model", "--json", json);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("2 cases from mine on model:spec, model:linux", run.Out);
        Assert.Contains("udpconf check: 2 passed, 2 failed, 0 errors, 0 not applicable (4 runs of 2 cases", run.Out);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(["sub/ok", "wrong"], report.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("case").GetString()).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Check_one_file_by_its_path_names_it_by_its_file_name_and_exits_0_when_it_passes()
    {
        using var own = new OwnCases();
        var run = CliHarness.Run(own.Root, "check", Path.Combine(own.Mine, "sub", "ok.case"), "--target", "model", "--profile", "linux");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("udpconf check: 1 passed, 0 failed, 0 errors, 0 not applicable (1 runs of 1 cases", run.Out);
        var list = CliHarness.Run(own.Root, "list", "mine/sub/ok.case");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("│ ok ", list.Out);
    }

    [Fact]
    public void Several_paths_are_joined_and_a_file_given_twice_runs_once()
    {
        using var own = new OwnCases();
        var run = CliHarness.Run(own.Root, "check", "mine", "mine/wrong.case", "--target", "model", "--profile", "spec");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("(2 runs of 2 cases", run.Out);
    }

    [Fact]
    public void A_path_that_does_not_exist_and_matches_no_id_exits_2_with_one_line_naming_it()
    {
        using var own = new OwnCases();
        var run = CliHarness.Run(own.Root, "check", "mine", "no/such/thing", "--target", "model", "--cases", own.Mine);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("udpconf: 'no/such/thing' is neither a case file or folder nor the start of a case id under mine", run.Error.Trim());
        Assert.Equal("", run.Out);
    }

    [Fact]
    public void Outside_a_repository_an_id_prefix_needs_a_case_folder()
    {
        using var own = new OwnCases();
        var run = CliHarness.Run(own.Root, "check", "no_such_prefix", "--target", "model");
        // No Conformance.sln above the temp folder; udpconf's own checkout may be found above its binaries, where
        // the prefix matches no case either. Either way: exit 2 and one line.
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.Error.Trim().Split('\n'));
    }

    [Fact]
    public void A_folder_without_cases_exits_2()
    {
        using var own = new OwnCases();
        Directory.CreateDirectory(Path.Combine(own.Root, "empty"));
        var run = CliHarness.Run(own.Root, "check", "empty", "--target", "model");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("udpconf: no case files (*.case) under empty", run.Error.Trim());
    }

    [Fact]
    public void A_path_inside_the_case_folder_keeps_its_id_and_prefixes_still_filter()
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing).With("ip_append_data/frag", TempCases.Fragmented);
        var byPath = CliHarness.Run(cases.Root, "list", Path.Combine(cases.Folder, "udp_sendmsg"), "--cases", cases.Folder);
        Assert.True(byPath.ExitCode == 0, byPath.ToString());
        Assert.Contains("udp_sendmsg/ok", byPath.Out);
        var both = CliHarness.Run(cases.Root, "check", Path.Combine(cases.Folder, "udp_sendmsg", "ok.case"), "ip_append_data/", "--target", "model", "--cases", cases.Folder);
        Assert.True(both.ExitCode == 0, both.ToString());
        Assert.Contains("(4 runs of 2 cases", both.Out);
    }

    [Fact]
    public void A_malformed_case_of_ones_own_is_reported_with_its_path_line_and_column()
    {
        using var own = new OwnCases();
        File.WriteAllText(Path.Combine(own.Mine, "broken.case"), TempCases.Malformed);
        var run = CliHarness.Run(own.Root, "check", Path.Combine(own.Mine, "broken.case"), "--target", "model");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"{Path.Combine(own.Mine, "broken.case")}:4:26: expected a port, found 'x'", run.Out);
    }
}
