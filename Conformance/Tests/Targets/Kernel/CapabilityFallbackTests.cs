using System.Diagnostics;
using Udpconf.Tests.Cli;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>
/// Where the kernel target cannot really run, udpconf finds out before any case does: a plain check falls back to the
/// model and says why; --target kernel, fuzz and matrix exit 2 with one line. Two ways a machine can look able and
/// not be: root without CAP_NET_ADMIN and CAP_SYS_ADMIN (a container given only --device /dev/net/tun), and a
/// /dev/net/tun that opens but is not the TUN device. The tool runs as a child process, under setpriv (dropping the
/// two capabilities from its bounding set) or in a private mount namespace with /dev/null bound over /dev/net/tun.
/// </summary>
public sealed class CapabilityFallbackTests
{
    private static string Udpconf => Path.Combine(AppContext.BaseDirectory, "udpconf");

    public static TheoryData<string> Restrictions => new()
    {
        "no-capabilities",
        "not-a-tun-device",
    };

    /// <summary>What each restriction is expected to name in the reason.</summary>
    private static string Named(string restriction) => restriction == "no-capabilities" ? "EPERM" : "TUNSETIFF";

    private static CliRun Run(string restriction, string workingDirectory, params string[] args)
    {
        var command = string.Join(' ', new[] { Udpconf }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        var start = restriction == "no-capabilities"
            ? new ProcessStartInfo("setpriv", ["--bounding-set=-net_admin,-sys_admin", "--", "sh", "-c", command])
            : new ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", $"mount --bind /dev/null /dev/net/tun && exec {command}"]);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.WorkingDirectory = workingDirectory;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000)) { process.Kill(entireProcessTree: true); Assert.Fail($"udpconf {string.Join(' ', args)} did not finish in 120 s"); }
        return new CliRun(process.ExitCode, output, error.Result);
    }

    private static void RequireRootAndTun() =>
        Capability.RequireLive(Environment.UserName == "root" && File.Exists("/dev/net/tun") && OperatingSystem.IsLinux(),
            "dropping capabilities and binding over /dev/net/tun need root on Linux with /dev/net/tun");

    [Theory]
    [MemberData(nameof(Restrictions))]
    public void A_plain_check_falls_back_to_the_model_and_says_why(string restriction)
    {
        RequireRootAndTun();
        using var cases = new TempCases().With("own/passing", TempCases.Passing);
        var run = Run(restriction, cases.Root, "check", "--cases", cases.Folder);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("the local kernel cannot be reached as a target", run.Error);
        Assert.Contains(Named(restriction), run.Error);
        Assert.Contains("running on the model", run.Error);
        Assert.Contains("2 passed", run.Out); // both profiles of the one case, on the model
    }

    [Theory]
    [MemberData(nameof(Restrictions))]
    public void An_explicit_kernel_target_exits_2_with_one_line(string restriction)
    {
        RequireRootAndTun();
        using var cases = new TempCases().With("own/passing", TempCases.Passing);
        foreach (var args in new[]
                 {
                     new[] { "check", "--target", "kernel", "--cases", cases.Folder },
                     new[] { "fuzz", "--target", "kernel", "--count", "1", "--out", cases.PathOf("fuzz") },
                     new[] { "matrix", "--target", "kernel", "--cases", cases.Folder, "--out", cases.PathOf("matrix") },
                 })
        {
            var run = Run(restriction, cases.Root, args);
            Assert.True(run.ExitCode == 2, $"{string.Join(' ', args)}: {run}");
            var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("udpconf: the kernel target cannot run here: ", line);
            Assert.Contains(Named(restriction), line);
            Assert.Empty(run.Out);
        }
    }
}
