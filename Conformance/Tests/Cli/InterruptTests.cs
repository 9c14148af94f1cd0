using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>
/// Ctrl-C (SIGINT) or SIGTERM during a check: the run it falls in ends, the runs that finished are summarised and
/// reported (marked partial), "interrupted" is said, and the exit code is 130; a second signal exits at once. The tool
/// runs as a child process against an implementation that takes a moment per case (serve-model behind a sleep).
/// </summary>
public sealed class InterruptTests
{
    private static string Udpconf => Path.Combine(AppContext.BaseDirectory, "udpconf");

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private const int SigInt = 2, SigTerm = 15;

    private static (Process Process, Task<string> Out, Task<string> Error) Start(TempCases cases)
    {
        var slow = $"exec:sleep 0.3; exec '{Udpconf}' serve-model --profile linux";
        var start = new ProcessStartInfo(Udpconf, ["check", "--target", slow, "--report-dir", cases.PathOf("reports"), cases.Folder])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cases.Root,
        };
        var process = Process.Start(start)!;
        return (process, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
    }

    private static TempCases Cases(int count)
    {
        var cases = new TempCases().AsRepository();
        for (var i = 0; i < count; i++) cases.With($"slow/case{i:00}", TempCases.Passing);
        return cases;
    }

    private static async Task Finish(Process process, TimeSpan limit, Task<string> error)
    {
        if (process.WaitForExit(limit)) return;
        // What it was doing: the processes it had running, then its stderr once it is gone.
        var children = string.Join("\n", Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "stat")).Where(File.Exists)
            .Select(f => { try { return File.ReadAllText(f); } catch (IOException) { return ""; } })
            .Where(stat => stat.Split(' ') is { Length: > 4 } fields && fields[3] == process.Id.ToString()));
        process.Kill(entireProcessTree: true);
        Assert.Fail($"udpconf did not exit within {limit.TotalSeconds} s of the signal; its children: {children}\nstderr:\n{await error}");
    }

    [Theory]
    [InlineData(SigInt)]
    [InlineData(SigTerm)]
    public async Task A_signal_reports_the_runs_that_finished_as_partial_and_exits_130(int signal)
    {
        Capability.NotInMutationRun("signals to a child udpconf");
        Capability.Require(OperatingSystem.IsLinux(), "signals are sent with kill(2)");
        // 60 runs of at least 0.3 s each (plus a process start): 8 s in, some have finished and most have not, even on
        // a loaded machine.
        using var cases = Cases(60);
        var (process, output, error) = Start(cases);
        using (process)
        {
            await Task.Delay(8000, TestContext.Current.CancellationToken);
            Assert.False(process.HasExited, "the check ended before it could be interrupted");
            Assert.Equal(0, kill(process.Id, signal));
            await Finish(process, TimeSpan.FromSeconds(20), error);
            var stderr = await error;
            Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}\n{await output}\n{stderr}");
            var said = System.Text.RegularExpressions.Regex.Match(stderr, @"udpconf: interrupted after (\d+) of 60 runs");
            Assert.True(said.Success, stderr);
            var finished = int.Parse(said.Groups[1].Value);
            Assert.InRange(finished, 1, 59);

            using var report = JsonDocument.Parse(File.ReadAllText(cases.PathOf("reports/report.json")));
            Assert.Equal($"interrupted after {finished} of 60 runs", report.RootElement.GetProperty("partial").GetString());
            Assert.Equal(finished, report.RootElement.GetProperty("summary").GetProperty("total").GetInt32());
            Assert.True(finished == report.RootElement.GetProperty("summary").GetProperty("pass").GetInt32(), report.RootElement.ToString());
            Assert.Contains($"**Partial report: interrupted after {finished} of 60 runs.**", File.ReadAllText(cases.PathOf("reports/report.md")));
            Assert.Contains("name=\"partial\"", File.ReadAllText(cases.PathOf("reports/junit.xml")));
        }
    }

    /// <summary>Two signals sent back to back may reach a process as one (standard signals do not queue), so the
    /// second-signal rule is tested on <see cref="Interruption"/> itself, which Program.cs wires to SIGINT and SIGTERM.</summary>
    [Fact]
    public void A_second_signal_exits_at_once()
    {
        var error = new StringWriter();
        var exits = new List<int>();
        using var interruption = new Udpconf.Cli.Commands.Interruption(error, exits.Add, terminal: false);
        interruption.Signal();
        Assert.True(interruption.Token.IsCancellationRequested);
        Assert.Empty(exits);
        Assert.Equal("", error.ToString());
        interruption.Signal();
        Assert.Equal([130], exits);
        Assert.Equal("udpconf: interrupted twice: exiting at once", error.ToString().Trim());
    }
}
