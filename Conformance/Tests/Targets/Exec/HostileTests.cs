using Udpconf.Reference;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Exec;
using Xunit;

namespace Udpconf.Tests.Targets.Exec;

/// <summary>
/// Implementations that attack udpconf rather than implement UDP (issue 11): floods, endless lines, huge names,
/// escapes, silence. Each gets an error verdict that names the limit it passed, and the run goes on: the next case
/// starts a fresh process and gets its own verdict.
/// </summary>
public class HostileTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(3000);
    private static readonly TimeSpan Patient = TimeSpan.FromSeconds(30);

    /// <summary>Their verdicts are about the exec target's defences, whatever the model answers.</summary>
    public HostileTests() => Capability.NotInMutationRun("the exec target's defences against hostile adapters");

    /// <summary>Runs the case twice on <paramref name="command"/>: both runs are errors that say <paramref name="expected"/>
    /// (the second one proves that the run went on with a fresh process), then once on a good implementation: a pass.</summary>
    private static CaseResult ErrorsTwiceThenTheRunGoesOn(string command, string expected)
    {
        var target = ExecTarget.Connect(command, out var why, Short, Short);
        Assert.True(target is not null, why);
        var token = TestContext.Current.CancellationToken;
        var first = CaseRunner.Run(Hostile.Case("hostile/first"), Profile.Linux, target!, token);
        var second = CaseRunner.Run(Hostile.Case("hostile/second"), Profile.Linux, target!, token);
        foreach (var result in new[] { first, second })
        {
            Assert.True(result.Kind == VerdictKind.Error, $"{result.Kind}: {result.Reason}");
            Assert.Contains(expected, result.Reason);
            Assert.True(result.Reason!.Length < 6000, $"a reason of {result.Reason.Length} characters");
            Assert.True(SafeText.IsClean(result.Reason), result.Reason);
        }
        var good = ExecTarget.Connect(Hostile.ServeModel, out why);
        Assert.True(good is not null, why);
        Assert.Equal(VerdictKind.Pass, CaseRunner.Run(Hostile.Case("hostile/next"), Profile.Linux, good!, token).Kind);
        return first;
    }

    [Fact]
    public void Too_many_packets_in_one_reply_is_an_error_naming_the_limit()
    {
        // 20,000 packets of 4 bytes: a 660 KB line, under the line limit, over the packet limit.
        ErrorsTwiceThenTheRunGoesOn(Hostile.Command("flood-packets.py", "20000"),
            "step 1: 20,000 packets in one reply: more than the limit of 10,000");
    }

    [Fact]
    public void A_million_packets_is_a_line_over_the_limit_and_is_not_read_to_its_end()
    {
        ErrorsTwiceThenTheRunGoesOn(Hostile.Command("flood-packets.py", "1000000"),
            "the reply to operation 1 (socket) is a line longer than the limit of 1,048,576 bytes (killed)");
    }

    [Fact]
    public void An_endless_reply_line_is_an_error_naming_the_limit()
    {
        ErrorsTwiceThenTheRunGoesOn(Hostile.Command("long-line.py", "100"), "is a line longer than the limit of 1,048,576 bytes (killed)");
    }

    [Fact]
    public void A_packet_larger_than_IPv4_allows_is_an_error_naming_the_limit()
    {
        ErrorsTwiceThenTheRunGoesOn(Hostile.Command("big-packet.py", "70000"), "packet 1 has 70,000 bytes: more than the limit of 66,559");
    }

    [Fact]
    public void A_flood_on_stderr_is_kept_as_a_short_tail_with_its_escapes_visible()
    {
        var result = ErrorsTwiceThenTheRunGoesOn(Hostile.Command("stderr-flood.py", "20"), "closed its output instead of answering operation 1 (socket) (exit code 1)");
        Assert.Contains("earlier bytes not kept]", result.Reason);
        Assert.Contains(@"\x1b[31mthe end of a very long line\x00", result.Reason);
    }

    [Theory]
    [InlineData("long-name.py", "300", "the name in the handshake has 300 characters: more than the limit of 200")]
    [InlineData("long-name.py", "50000000", "the reply to the handshake is a line longer than the limit of 1,048,576 bytes")]
    [InlineData("many-features.py", "100 10", "the handshake lists 100 features: more than the limit of 64")]
    [InlineData("many-features.py", "1 100", "a feature in the handshake has 100 characters: more than the limit of 64")]
    public void Oversized_handshake_fields_are_refused_naming_the_limit(string script, string arguments, string expected)
    {
        // No timeout is under test here: the refusal comes as soon as the limit is passed, but a loaded machine can
        // take more than Short to start python and build 50 MB (seen once in a full run beside two other builds).
        var target = ExecTarget.Connect(Hostile.Command(script, arguments), out var why, Patient, Patient);
        Assert.Null(target);
        Assert.Contains(expected, why);
        Assert.True(why.Length < 1000, $"a reason of {why.Length} characters");
    }

    [Fact]
    public void Escapes_and_NULs_from_an_implementation_reach_no_report_and_no_terminal_raw()
    {
        var target = ExecTarget.Connect(Hostile.Command("escapes.py"), out var why, Short, Short);
        Assert.True(target is not null, why);
        Assert.Contains(@"evil \x1b[2J\x1b]0;pwned\x07\x00\x9b[red]x[/]\u202e", target!.Name);
        Assert.All(target.Features, f => Assert.True(SafeText.IsClean(f.Name), f.Name));
        var token = TestContext.Current.CancellationToken;
        var results = new[] { "hostile/a", "hostile/b" }.Select(id => CaseRunner.Run(Hostile.Case(id), Profile.Linux, target, token)).ToList();
        // Step 1 is unsupported (its note carries the escapes), step 2 answers an errno that is nothing but escapes.
        Assert.Contains(@"unknown errno 'E\x1b[2J", results[0].Reason ?? string.Join(" ", results[0].Steps.Select(s => s.Reason)));

        var folder = TempFolders.Create("udpconf-hostile-reports-").FullName;
        var files = ReportDirectory.Write(folder, results).ToList();
        Assert.Contains(files, f => f.EndsWith("junit.xml", StringComparison.Ordinal));
        foreach (var file in files.Where(f => !f.EndsWith(".pcap", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            Assert.False(text.Any(c => c < 0x20 && c is not '\n' and not '\t' || c is >= '\x7f' and <= '\x9f'), $"{file} holds a control character");
            Assert.False(text.Contains('\u202e'), $"{file} holds a direction override");
        }
        System.Xml.Linq.XDocument.Parse(JUnitReport.Write(results));
    }

    [Fact]
    public void The_terminal_never_sees_an_implementations_escapes()
    {
        var folder = Hostile.Cases(2);
        var run = Hostile.RunCli(new Dictionary<string, string>(), "check", "--cases", folder,
            "--target", "exec:" + Hostile.Command("escapes.py"), "--junit", Path.Combine(folder, "junit.xml"));
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}\n{run.Out}\n{run.Error}");
        Assert.Contains(@"exec:evil \x1b[2J", run.Out);
        Assert.DoesNotContain('\x1b', run.Out + run.Error);
        Assert.DoesNotContain('\0', run.Out + run.Error);
        Assert.DoesNotContain("internal error", run.Error);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-5")]
    [InlineData("0")]
    public void An_unusable_timeout_is_refused_with_the_variable_and_its_value(string value)
    {
        var run = Hostile.RunCli(new Dictionary<string, string> { ["UDPCONF_EXEC_TIMEOUT_MS"] = value },
            "check", "--cases", Hostile.Cases(1), "--target", "exec:" + Hostile.ServeModel);
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}\n{run.Out}\n{run.Error}");
        Assert.Equal($"udpconf: UDPCONF_EXEC_TIMEOUT_MS='{value}' is not a positive whole number of milliseconds", run.Error.Trim());
    }

    [Fact]
    public void Three_handshake_timeouts_in_a_row_stop_the_target()
    {
        var state = Path.Combine(TempFolders.Create("udpconf-hostile-").FullName, "answered");
        var target = ExecTarget.Connect(Hostile.Command("silent-after-first.sh", state), out var why, Short, TimeSpan.FromMilliseconds(300));
        Assert.True(target is not null, why);
        var token = TestContext.Current.CancellationToken;
        for (var i = 1; i < ExecTarget.StopAfter; i++)
        {
            var result = CaseRunner.Run(Hostile.Case($"hostile/silent{i}"), Profile.Linux, target!, token);
            Assert.Equal(VerdictKind.Error, result.Kind);
            Assert.Contains("no reply to the handshake within 300 ms (killed)", result.Reason);
        }
        var stopped = Assert.Throws<TargetStoppedException>(() => CaseRunner.Run(Hostile.Case("hostile/silent3"), Profile.Linux, target!, token));
        Assert.Contains("failed the handshake 3 times in a row (timeout)", stopped.Message);
    }

    [Fact]
    public void A_run_on_an_implementation_that_stops_answering_ends_early_with_exit_2()
    {
        var state = Path.Combine(TempFolders.Create("udpconf-hostile-").FullName, "answered");
        var run = Hostile.RunCli(new Dictionary<string, string> { ["UDPCONF_EXEC_HANDSHAKE_TIMEOUT_MS"] = "300" },
            "check", "--cases", Hostile.Cases(20), "--target", "exec:" + Hostile.Command("silent-after-first.sh", state));
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}\n{run.Out}\n{run.Error}");
        Assert.Contains("failed the handshake 3 times in a row (timeout), last: no reply to the handshake within 300 ms (killed); stopped: the remaining cases were not run", run.Error);
        // 20 cases at 300 ms each would be 6 s of timeouts alone; three of them, and the start of udpconf, are well under.
        Assert.True(run.Took < TimeSpan.FromSeconds(5.5), $"took {run.Took}");
    }

    [Fact]
    public void A_case_after_a_good_handshake_resets_the_count()
    {
        // Two failures of one kind, then a success, then two more: never three in a row, so nothing stops.
        var dir = TempFolders.Create("udpconf-hostile-").FullName;
        var counter = Path.Combine(dir, "runs");
        var script = Path.Combine(dir, "impl.sh");
        File.WriteAllText(script, "#!/bin/sh\n" +
            $"n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}\n" +
            "case $n in 1|2|4|5) exit 3;; esac\n" +
            $"exec {Hostile.ServeModel}\n");
        var target = ExecTarget.Connect($"/bin/sh {script}", out var why, Short, Short);
        Assert.True(target is not null, why);
        var kinds = Enumerable.Range(1, 5).Select(i => CaseRunner.Run(Hostile.Case($"hostile/reset{i}"), Profile.Linux, target!, TestContext.Current.CancellationToken).Kind);
        Assert.Equal([VerdictKind.Error, VerdictKind.Error, VerdictKind.Pass, VerdictKind.Error, VerdictKind.Error], kinds);
    }
}
