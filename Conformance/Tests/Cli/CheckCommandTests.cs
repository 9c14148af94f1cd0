using System.Xml.Linq;
using Udpconf.Suite.Pcap;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>udpconf check: exit codes, what it says about the target, failures and malformed cases, reports.</summary>
public class CheckCommandTests
{
    [Fact]
    public void All_cases_passing_on_the_model_exit_0()
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing).With("ip_append_data/frag", TempCases.Fragmented);
        var run = CliHarness.Run(cases.Root, "check", "--target", "model", "--cases", cases.Folder);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("udpconf check: 4 passed, 0 failed, 0 errors, 0 not applicable", run.Out);
        Assert.Contains("model:spec, model:linux", run.Out);
    }

    [Fact]
    public void A_case_for_one_profile_runs_only_under_that_profile()
    {
        using var cases = new TempCases().With("spec_only", TempCases.SpecOnly);
        var run = CliHarness.Run(cases.Root, "check", "--target", "model", "--cases", cases.Folder);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("1 passed, 0 failed, 0 errors, 0 not applicable", run.Out);
    }

    [Fact]
    public void The_default_target_is_the_kernel_where_it_can_run_else_the_model_and_stderr_says_so()
    {
        using var cases = new TempCases().With("ok", TempCases.Passing);
        var run = CliHarness.Run(cases.Root, "check", "--cases", cases.Folder);
        Assert.True(run.ExitCode == 0, run.ToString());
        var said = KernelTarget.CanRun(out _) ? "running on the local kernel" : "running on the model";
        Assert.Contains(said, run.Error);
        Assert.DoesNotContain(said, run.Out);
    }

    [Fact]
    public void A_failing_case_exits_1_and_names_its_clause()
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing).With("udp_sendmsg/wrong", TempCases.Failing);
        var junit = cases.PathOf("out/junit.xml");
        var run = CliHarness.Run(cases.Root, "check", "--target", "model", "--profile", "linux", "--cases", cases.Folder, "--junit", junit);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("udp_sendmsg/wrong", run.Out);
        Assert.Contains("(udp_sendmsg.dport_zero)", run.Out);
        Assert.Contains("udpconf check: 1 passed, 1 failed, 0 errors, 0 not applicable", run.Out);
        var failure = Assert.Single(XDocument.Load(junit).Descendants("failure"));
        Assert.Contains("udp_sendmsg.dport_zero", failure.Attribute("message")!.Value);
    }

    [Fact]
    public void A_malformed_case_is_an_error_with_its_position_and_the_others_still_run()
    {
        using var cases = new TempCases().With("ok", TempCases.Passing).With("broken", TempCases.Malformed).With("frag", TempCases.Fragmented);
        var run = CliHarness.Run(cases.Root, "check", "--target", "model", "--cases", cases.Folder);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains($"{Path.Combine(cases.Folder, "broken.case")}:4:26: expected a port, found 'x'", run.Out);
        // Two good cases × two profiles ran; the malformed file is an error under each profile.
        Assert.Contains("udpconf check: 4 passed, 0 failed, 2 errors, 0 not applicable (6 runs of 3 cases", run.Out);
    }

    [Fact]
    public void Paths_and_clauses_filter_the_cases()
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing).With("udp_sendmsg/wrong", TempCases.Failing)
            .With("ip_append_data/frag", TempCases.Fragmented);
        var byPath = CliHarness.Run(cases.Root, "check", "udp_sendmsg/ok", "ip_append_data/", "--target", "model", "--cases", cases.Folder);
        Assert.True(byPath.ExitCode == 0, byPath.ToString());
        Assert.Contains("(4 runs of 2 cases", byPath.Out);
        var byClause = CliHarness.Run(cases.Root, "check", "--clause", "ip_append_data.fragment_layout", "--target", "model", "--cases", cases.Folder);
        Assert.True(byClause.ExitCode == 0, byClause.ToString());
        Assert.Contains("(2 runs of 1 cases", byClause.Out);
    }

    [Fact]
    public void Nothing_selected_exits_2()
    {
        using var cases = new TempCases().With("ok", TempCases.Passing);
        var run = CliHarness.Run(cases.Root, "check", "no_such_folder/", "--target", "model", "--cases", cases.Folder);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'no_such_folder/' is neither a case file or folder nor the start of a case id", run.Error);
    }

    [Theory]
    [InlineData("check --no-such-option")]
    [InlineData("no-such-command")]
    [InlineData("check --profile bsd")]
    [InlineData("check --target pigeon")]
    [InlineData("check --cases /no/such/folder")]
    [InlineData("predict")]
    [InlineData("predict no_such_case")]
    [InlineData("predict ok --profile all")]
    public void Bad_usage_exits_2(string command)
    {
        using var cases = new TempCases().With("ok", TempCases.Passing);
        var args = command.Split(' ');
        var run = CliHarness.Run(cases.Root, [.. args, .. command.Contains("--cases") || args is ["no-such-command"] ? [] : new[] { "--cases", cases.Folder }]);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.NotEqual("", run.Error.Trim());
    }

    [Fact]
    public void The_kernel_target_runs_where_it_can_else_exits_2_saying_what_is_missing()
    {
        // A test of the live kernel: in a mutation run it "killed" mutants shown equivalent (RouteLookup's).
        Capability.NotInMutationRun("the live kernel, checked by a child udpconf");
        using var cases = new TempCases().With("ok", TempCases.Passing);
        var run = CliHarness.Run(cases.Root, "check", "--target", "kernel", "--cases", cases.Folder);
        if (KernelTarget.CanRun(out var why))
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("kernel:", run.Out);
            return;
        }
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(why, run.Error);
        Assert.DoesNotContain("passed", run.Out);
    }

    [Fact]
    public void An_exec_target_that_does_not_speak_the_protocol_exits_2_saying_why()
    {
        using var cases = new TempCases().With("ok", TempCases.Passing);
        var run = CliHarness.Run(cases.Root, "check", "--target", "exec:/bin/true", "--cases", cases.Folder);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("the external implementation cannot be used: '/bin/true': the implementation closed its output instead of answering the handshake", run.Error);
    }

    [Fact]
    public void An_exec_target_runs_the_cases_through_the_protocol()
    {
        using var cases = new TempCases().With("ok", TempCases.Passing);
        var serveModel = $"\"{Path.Combine(AppContext.BaseDirectory, "udpconf")}\" serve-model";
        var run = CliHarness.Run(cases.Root, "check", "--target", "exec:" + serveModel, "--cases", cases.Folder);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("1 passed, 0 failed, 0 errors, 0 not applicable", run.Out);
        Assert.Contains("on exec:udpconf model linux", run.Out);
    }

    [Fact]
    public void Report_dir_holds_every_report_and_a_pcap_per_failure()
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing).With("udp_sendmsg/wrong", TempCases.Failing)
            .With("broken", TempCases.Malformed);
        var dir = cases.PathOf("reports");
        var run = CliHarness.Run(cases.Root, "check", "--target", "model", "--cases", cases.Folder, "--report-dir", dir);
        Assert.True(run.ExitCode == 1, run.ToString());
        foreach (var name in new[] { "junit.xml", "report.json", "report.md" }) Assert.True(File.Exists(Path.Combine(dir, name)), name);
        foreach (var profile in new[] { "spec", "linux" })
        {
            var pcap = Path.Combine(dir, "failures", $"udp_sendmsg-wrong.{profile}.pcap");
            Assert.True(PcapFile.TryRead(File.ReadAllBytes(pcap), out var packets, out _, out var problem), problem);
            // The wrong expectation is on a step that sends one packet: expected once, observed once.
            Assert.Equal(2, packets.Count);
            Assert.Contains("step 2 expected 1/1", File.ReadAllText(Path.ChangeExtension(pcap, ".txt")));
        }
        // A malformed case has nothing to put in a pcap.
        Assert.Equal(4, Directory.GetFiles(Path.Combine(dir, "failures")).Length);
        Assert.Contains("`udp_sendmsg.dport_zero`", File.ReadAllText(Path.Combine(dir, "report.md")));
    }
}
