using System.Diagnostics;
using System.Runtime.InteropServices;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets.Vm;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>
/// The single file a C, Go or Rust stack's CI downloads (README, "One binary"): published once per test run
/// (<see cref="SingleFile"/>) into a temporary folder, then run from another temporary folder, outside any checkout,
/// with an empty environment but PATH (an empty folder: no dotnet on it) and, as root, in a mount namespace where
/// the .NET installation is hidden under an empty tmpfs. It must need nothing of .NET and give what udpconf in the
/// checkout gives. The publish is most of the cost of these tests: 47 s of the four tests' 72 s (the VM's boot and
/// cases about 15 s, the kernel's 5 s), measured alone on the shared 2-core machine (load 4-5) with the NuGet
/// packages already there; the first publish on a machine also downloads the runtime and ReadyToRun compiler
/// packages (52 MB).
/// </summary>
public class SingleFileTests
{
    public SingleFileTests() => Capability.NotInMutationRun("publishing and running the single file");

    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    [Fact]
    public void The_single_file_runs_check_on_the_model_with_no_dotnet_and_gives_the_checkouts_every_result()
    {
        var udpconf = SingleFile.Require();
        var work = TempFolders.Create("udpconf-single-run-").FullName;
        var run = SingleFile.Run(udpconf, work, "check", "--target", "model", "--json", "report.json");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"{CaseLibrary.Load(CaseLibrary.DefaultFolder(Root)).Count} cases from Conformance/cases built into udpconf", run.Out);

        var fromCheckout = Path.Combine(work, "checkout.json");
        var checkout = CliHarness.Run(Root, "check", "--target", "model", "--json", fromCheckout);
        Assert.True(checkout.ExitCode == 0, checkout.ToString());
        Assert.Equal(JsonResults.SummaryLine(checkout.Out), JsonResults.SummaryLine(run.Out));
        Assert.Equal(JsonResults.Read(fromCheckout), JsonResults.Read(Path.Combine(work, "report.json")));
    }

    [Fact]
    public void The_single_file_lists_predicts_takes_a_case_folder_and_says_what_needs_a_checkout()
    {
        var udpconf = SingleFile.Require();
        var work = TempFolders.Create("udpconf-single-run-").FullName;
        var list = SingleFile.Run(udpconf, work, "list", "udp_sendmsg/");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(CliHarness.Run(Root, "list", "udp_sendmsg/").Out, list.Out);

        var predict = SingleFile.Run(udpconf, work, "predict", "udp_sendmsg/bound_source", "--out", "predicted");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        Assert.True(File.Exists(Path.Combine(work, "predicted", "bound_source.linux.pcap")), predict.ToString());

        using var own = new TempCases().With("mine/ok", TempCases.Passing).With("mine/wrong", TempCases.Failing);
        var check = SingleFile.Run(udpconf, work, "check", "--target", "model", "--cases", own.Folder);
        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.Contains("udpconf check: 2 passed, 2 failed, 0 errors, 0 not applicable (4 runs of 2 cases", check.Out);

        var golden = SingleFile.Run(udpconf, work, "golden");
        Assert.True(golden.ExitCode == 2, golden.ToString());
        Assert.Equal("udpconf: no Conformance.sln above the current folder: golden files live in Fixtures/ of the repository", golden.Error.Trim());
    }

    [Fact]
    public void The_single_file_runs_the_kernel_target_with_the_checkouts_verdicts()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var udpconf = SingleFile.Require();
        var work = TempFolders.Create("udpconf-single-run-").FullName;
        var run = SingleFile.Run(udpconf, work, "check", "udp_sendmsg/", "--target", "kernel", "--json", "report.json");
        var fromCheckout = Path.Combine(work, "checkout.json");
        var checkout = CliHarness.Run(Root, "check", "udp_sendmsg/", "--target", "kernel", "--json", fromCheckout);
        Assert.True(checkout.ExitCode == 0, checkout.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(JsonResults.SummaryLine(checkout.Out), JsonResults.SummaryLine(run.Out));
        Assert.Equal(Verdicts(fromCheckout), Verdicts(Path.Combine(work, "report.json")));

        // A live kernel's answers bind ports and identifications of its own: the verdicts are compared, not the packets.
        static string[] Verdicts(string json) => JsonResults.Read(json)
            .Select(r => System.Text.Json.Nodes.JsonNode.Parse(r)!)
            .Select(r => $"{r["case"]} {r["profile"]} {r["verdict"]}").ToArray();
    }

    /// <summary>In the single file, udpconf's assemblies have no path: the guest runs the file itself (TargetChoice
    /// .GuestCommand), which needs no .NET in the guest either; as root the guest sees the host's files with .NET
    /// hidden, so only that can pass. About 15-20 s: a boot and three cases.</summary>
    [Fact]
    public void The_single_file_runs_a_VM_whose_guest_runs_the_single_file_itself()
    {
        Capability.RequireLive(VmTarget.CanRun(out var why), why);
        var udpconf = SingleFile.Require();
        var work = TempFolders.Create("udpconf-single-run-").FullName;
        var cases = Directory.CreateDirectory(Path.Combine(work, "cases")).FullName;
        foreach (var id in (string[])["udp_sendmsg/bound_source", "udp_sendmsg/dport_zero", "ip_append_data/fragment_layout"])
            File.Copy(Path.Combine(CaseLibrary.DefaultFolder(Root), id + CaseLibrary.Extension), Path.Combine(cases, Path.GetFileName(id) + CaseLibrary.Extension));
        var run = SingleFile.Run(udpconf, work, new Dictionary<string, string> { [GuestKernels.CacheVariable] = GuestKernels.CacheFolder },
            "check", "cases", "--target", "vm:6.12");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("udpconf check: 3 passed, 0 failed, 0 errors, 0 not applicable (3 runs of 3 cases on vm:6.12.", run.Out);
    }
}

/// <summary>
/// The single file, published once per test run (the first test that needs it waits; the others share it) with the
/// README's command, into this run's temporary folder: its own intermediate folders too (--artifacts-path), so that
/// the checkout's bin/ and obj/ are left as they were. A publish that fails because NuGet cannot give the runtime
/// pack is a missing capability (skipped on a laptop offline, a failure under CI=true); any other failure fails.
/// </summary>
public static class SingleFile
{
    private sealed record Published(string? Binary, string Problem, bool Restore, TimeSpan Took);

    private static readonly Lazy<Published> Once = new(Publish, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The published udpconf (its full path); fails or skips the test when it could not be published.</summary>
    public static string Require()
    {
        var published = Once.Value;
        TestContext.Current.TestOutputHelper?.WriteLine($"the single file was published in {published.Took.TotalSeconds:0} s");
        if (published.Restore) Capability.Require(false, published.Problem);
        Assert.True(published.Binary is not null, published.Problem);
        return published.Binary;
    }

    private static Published Publish()
    {
        var root = SpecMap.FindRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");
        var folder = TempFolders.Create("udpconf-single-file-").FullName;
        var output = Path.Combine(folder, "out");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["publish", "Conformance/Udpconf/Udpconf.csproj", "-r", "linux-x64", "-o", output,
                     "--artifacts-path", Path.Combine(folder, "artifacts"), "--disable-build-servers", "-nologo", "-v", "quiet"])
            start.ArgumentList.Add(arg);
        // The test host's MSBuild settings would point the nested build at the wrong SDK parts.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "MSBUILD_EXE_PATH").ToArray())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(20)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new Published(null, "dotnet publish took more than 20 minutes", false, clock.Elapsed);
        }
        var log = stdout.Result + stderr.Result;
        var binary = Path.Combine(output, "udpconf");
        if (process.ExitCode == 0 && File.Exists(binary)) return new Published(binary, "", false, clock.Elapsed);
        // NU1100-NU1102: a package not found; NU1301: the source cannot be reached (offline).
        var restore = new[] { "NU1100", "NU1101", "NU1102", "NU1301" }.Any(code => log.Contains(code, StringComparison.Ordinal));
        return new Published(null,
            (restore ? "dotnet publish -r linux-x64 cannot restore the runtime pack from NuGet: " : $"dotnet publish exited {process.ExitCode}: ") + log.Trim(),
            restore, clock.Elapsed);
    }

    /// <summary>Runs the single file in <paramref name="workingDirectory"/> with nothing of .NET within its reach: an
    /// empty environment but PATH; as root, the .NET installation this test runs on hidden under an empty tmpfs in a
    /// mount namespace of its own, PATH=/usr/bin:/bin (its dotnet, if any, then runs nothing; a VM's guest, which
    /// sees this namespace's files over 9p, sees no .NET either); not as root, PATH an empty folder.</summary>
    public static CliRun Run(string udpconf, string workingDirectory, params string[] args) =>
        Run(udpconf, workingDirectory, new Dictionary<string, string>(), args);

    public static CliRun Run(string udpconf, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var hide = Environment.UserName == "root" && File.Exists("/usr/bin/unshare") && File.Exists("/bin/mount");
        var start = new ProcessStartInfo(hide ? "/usr/bin/unshare" : udpconf)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (hide)
            foreach (var arg in (string[])["--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                         "/bin/mount -t tmpfs -o ro,size=4k udpconf-no-dotnet \"$1\" && shift && exec \"$@\"", "sh", dotnetRoot, udpconf])
                start.ArgumentList.Add(arg);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment.Clear();
        start.Environment["PATH"] = hide ? "/usr/bin:/bin" : Directory.CreateDirectory(Path.Combine(workingDirectory, ".empty-path")).FullName;
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        TestContext.Current.TestOutputHelper?.WriteLine($"udpconf {string.Join(' ', args)}: exit {process.ExitCode}, " +
            (hide ? $".NET at {dotnetRoot} hidden under an empty tmpfs" : "not root: .NET not hidden, PATH empty"));
        return new CliRun(process.ExitCode, output.Result, error.Result);
    }
}
