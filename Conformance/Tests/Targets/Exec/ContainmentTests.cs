using Udpconf.Reference;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets.Exec;
using Udpconf.Suite.Targets;
using Xunit;

namespace Udpconf.Tests.Targets.Exec;

/// <summary>
/// Nothing an implementation starts outlives its case: not a child, not a daemon in a session of its own, not a
/// process that ignores SIGTERM; and not when udpconf itself is killed, by SIGTERM or by SIGKILL. Every process the
/// hostile scripts start carries a unique marker in its command line, and /proc is scanned for it.
/// </summary>
public class ContainmentTests
{
    /// <summary>Their verdicts are about processes outliving a case, whatever the model answers.</summary>
    public ContainmentTests() => Capability.NotInMutationRun("the containment of adapters' processes");

    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(3000);

    [Theory]
    [InlineData("forks-child.sh")]
    [InlineData("daemonises.sh")]
    public void A_child_or_a_daemon_does_not_outlive_its_case_and_the_case_still_passes(string script)
    {
        if (script == "daemonises.sh" && !Containment.Namespaced) Assert.Skip("no PID namespace here: a setsid daemon can leave the process group");
        var marker = Hostile.Marker();
        var target = ExecTarget.Connect(Hostile.Command(script, Hostile.ServeModel, marker), out var why, Short, Short);
        Assert.True(target is not null, why);
        Assert.Equal("", Hostile.Leftovers(marker));
        var token = TestContext.Current.CancellationToken;
        foreach (var id in new[] { "hostile/a", "hostile/b" })
        {
            var result = CaseRunner.Run(Hostile.Case(id), Profile.Linux, target!, token);
            Assert.True(result.Kind == VerdictKind.Pass, $"{result.Kind}: {result.Reason}");
            Assert.Equal("", Hostile.Leftovers(marker));
        }
    }

    [Fact]
    public void A_process_that_ignores_SIGTERM_and_hangs_is_killed_with_its_child_and_the_next_case_runs()
    {
        var marker = Hostile.Marker();
        var target = ExecTarget.Connect(Hostile.Command("ignores-term.sh", "", marker), out var why, TimeSpan.FromMilliseconds(300), Short);
        Assert.True(target is not null, why);
        var token = TestContext.Current.CancellationToken;
        foreach (var id in new[] { "hostile/a", "hostile/b" })
        {
            var result = CaseRunner.Run(Hostile.Case(id), Profile.Linux, target!, token);
            Assert.Equal(VerdictKind.Error, result.Kind);
            Assert.Contains("no reply to operation 1 (socket) within 300 ms (killed)", result.Reason);
            Assert.Equal("", Hostile.Leftovers(marker));
        }
    }

    [Theory]
    [InlineData("KILL")]
    [InlineData("TERM")]
    public void Killing_udpconf_mid_run_leaves_no_implementation_running(string signal)
    {
        if (!Containment.Namespaced) Assert.Skip("no PID namespace here: a setsid daemon can leave the process group");
        if (signal == "KILL" && !Containment.ParentDeathSignal) Assert.Skip("no setpriv here: nothing can follow udpconf's SIGKILL");
        // The implementation daemonises, forks a child, ignores SIGTERM and hangs: everything at once.
        var marker = Hostile.Marker();
        var command = Hostile.Command("daemonises.sh", Hostile.Command("ignores-term.sh"), marker);
        var folder = Hostile.Cases(3);
        using var cli = Hostile.StartCli(new Dictionary<string, string> { ["UDPCONF_EXEC_TIMEOUT_MS"] = "60000" },
            "check", "--cases", folder, "--target", "exec:" + command);
        try
        {
            Assert.True(Hostile.Appears($"sleep-stubborn-{marker}"), "the implementation never got to its hang");
            // The handshake process of Connect is gone; the case's process is the one hanging now.
            Thread.Sleep(300);
            if (signal == "KILL") cli.Kill();
            else Assert.Equal(0, Signal(cli.Id, 15));
            Assert.True(cli.WaitForExit(10_000), "udpconf did not end");
            Assert.Equal("", Hostile.Leftovers(marker));
        }
        finally
        {
            if (!cli.HasExited) cli.Kill();
            Hostile.Leftovers(marker, 0);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Signal(int pid, int signal);
}
