using System.Diagnostics;
using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;
using Udpconf.Suite.Targets.Vm;
using Udpconf.Tests.Targets.Exec;
using Xunit;

namespace Udpconf.Tests.Targets.Vm;

/// <summary>
/// The older kernel lines in VMs (--target vm:6.1, vm:6.12): every case passes under its line's profile, and a fresh
/// run agrees case by case with the recorded one (Conformance/kernel-verdicts-linux-6.x.json). Then udpconf killed by
/// SIGKILL mid-run leaves no qemu behind (of the qemu processes running, only those that appeared during the test
/// are its own). Needs qemu-system-x86 and busybox-static (./run-tests installs them) and Debian's
/// kernel packages (fetched into the cache on first use).
/// </summary>
public class VmSuiteTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    private static string UdpconfDll => Path.Combine(AppContext.BaseDirectory, "udpconf.dll");

    [Theory]
    [InlineData("6.1", "linux-6.1")]
    [InlineData("6.12", "linux-6.12")]
    public void Every_case_passes_in_the_VM_under_its_line_and_agrees_with_the_recorded_run(string kernel, string line)
    {
        Capability.RequireLive(VmTarget.CanRun(out var why), why);
        using var vm = VmTarget.Start(kernel, VmTarget.GuestCommand(UdpconfDll), _ => { }, out why);
        Assert.True(vm is not null, why);
        var profile = Profile.ForRelease(vm.Release);
        Assert.Equal(line, profile.Name);

        var recorded = KernelVerdicts.ReadLine(Root, line);
        Assert.True(recorded is not null, $"{KernelVerdicts.RelativePathFor(line)} is missing: run ./udpconf kernel-record --target vm:{kernel}");
        var expected = recorded.Cases.ToDictionary(v => v.Case, v => v.Verdict);

        var files = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root));
        var failures = new List<string>();
        var disagreements = new List<string>();
        var passed = 0;
        foreach (var result in CaseRunner.RunAll(files, [profile], _ => vm, TestContext.Current.CancellationToken))
        {
            if (ReportText.IsFailure(result)) failures.Add($"{result.CaseId}: {result.Kind}: {ReportText.FirstProblem(result)}");
            else if (result.Kind == VerdictKind.Pass) passed++;
            if (!expected.Remove(result.CaseId, out var was)) disagreements.Add($"{result.CaseId}: not in the recorded run");
            else if (was != result.Kind) disagreements.Add($"{result.CaseId}: recorded {was.Name()}, now {result.Kind.Name()}");
        }
        disagreements.AddRange(expected.Keys.Select(id => $"{id}: recorded, not run now"));
        Assert.True(failures.Count == 0, $"{failures.Count} case(s) fail on {vm.Name} under {line} ({passed} passed):{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
        Assert.True(disagreements.Count == 0, $"a fresh run on {vm.Name} disagrees with {KernelVerdicts.RelativePathFor(line)} (recorded on {recorded.Implementation}; " +
                                              $"./udpconf kernel-record --target vm:{kernel}):{Environment.NewLine}{string.Join(Environment.NewLine, disagreements)}");
        Assert.True(passed > 200, $"only {passed} cases passed");
        Assert.Equal(recorded.Implementation, vm.Release);
    }

    [Theory]
    [InlineData("KILL")]
    [InlineData("TERM")]
    public void Killing_udpconf_mid_run_leaves_no_qemu_and_no_partial_cache_folder(string signal)
    {
        Capability.RequireLive(VmTarget.CanRun(out var why), why);
        // qemu processes that were already there (another run of udpconf on this machine) are not this test's.
        var before = Qemus().ToHashSet();
        List<int> Ours() => Qemus().Where(pid => !before.Contains(pid)).ToList();
        using var cli = Hostile.StartCli(new Dictionary<string, string>(), "check", "--target", "vm:6.1");
        try
        {
            var clock = Stopwatch.StartNew();
            while (Ours().Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(120) && !cli.HasExited) Thread.Sleep(200);
            Assert.True(Ours().Count > 0, "udpconf never started qemu");
            Thread.Sleep(3000); // into the boot, or the first cases
            if (signal == "KILL") cli.Kill();
            else Assert.Equal(0, Signal(cli.Id, 15));
            Assert.True(cli.WaitForExit(10_000), "udpconf did not end");
            clock.Restart();
            while (Ours().Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(100);
            Assert.Empty(Ours());
            Assert.Empty(Directory.GetDirectories(GuestKernels.CacheFolder, $".partial-{cli.Id}-*"));
        }
        finally
        {
            if (!cli.HasExited) cli.Kill(true);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Signal(int pid, int signal);

    /// <summary>The qemu processes running (pids), from /proc.</summary>
    private static List<int> Qemus()
    {
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).StartsWith("/usr/bin/qemu-system-x86_64\0", StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}

/// <summary>The parts of the VM target that need no VM: the initramfs's archive and busybox check, the choice of the
/// newest kernel package, the kernel line of a release.</summary>
public class VmPartsTests
{
    /// <summary>Their verdicts are about the VM's parts, which no model mutant changes.</summary>
    public VmPartsTests() => Capability.NotInMutationRun("building the VM's initramfs and command line");

    [Fact]
    public void The_cpio_archive_is_newc_with_padded_names_and_data_and_a_trailer()
    {
        using var stream = new MemoryStream();
        var cpio = new Cpio(stream);
        cpio.Directory("bin");
        cpio.File("bin/x", "abcde"u8, executable: true);
        cpio.End();
        var bytes = stream.ToArray();
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        Assert.StartsWith("070701", text);
        Assert.Equal(0, bytes.Length % 4);
        // The second entry: header, "bin/x\0" (6 bytes, 110 + 6 = 116, already aligned), then the data padded to 8.
        var second = text.IndexOf("070701", 6, StringComparison.Ordinal);
        Assert.Equal("000081ED", text.Substring(second + 14, 8));            // mode: a regular file, 0755
        Assert.Equal("00000005", text.Substring(second + 54, 8));            // filesize
        Assert.Equal("bin/x\0abcde\0\0\0", text.Substring(second + 110, 14));
        Assert.Contains("TRAILER!!!\0", text);
    }

    [Fact]
    public void A_static_executable_has_no_interpreter_and_a_dynamic_one_has()
    {
        Assert.False(Initramfs.IsStatic(File.ReadAllBytes("/bin/sh")), "/bin/sh is dynamically linked on Debian");
        Assert.False(Initramfs.IsStatic([1, 2, 3]));
        if (File.Exists(Initramfs.Busybox) && VmTarget.CanRun(out _)) Assert.True(Initramfs.IsStatic(File.ReadAllBytes(Initramfs.Busybox)));
    }

    [Theory]
    [InlineData("linux-image-6.12.118+deb12-amd64-unsigned", "linux-image-6.12.9+deb12-amd64-unsigned", 1)]
    [InlineData("linux-image-6.1.0-57-amd64-unsigned", "linux-image-6.1.0-9-amd64-unsigned", 1)]
    [InlineData("linux-image-6.1.0-9-amd64-unsigned", "linux-image-6.1.0-9-amd64-unsigned", 0)]
    public void Kernel_packages_compare_by_their_numbers(string a, string b, int sign)
    {
        Assert.Equal(sign, Math.Sign(GuestKernels.CompareVersions(a, b)));
        Assert.Equal(-sign, Math.Sign(GuestKernels.CompareVersions(b, a)));
    }

    [Theory]
    [InlineData("6.1.0-57-amd64", "linux-6.1")]
    [InlineData("6.12.118+deb12-amd64", "linux-6.12")]
    [InlineData("6.18.44-fc-v1272", "linux")]
    [InlineData("6.10.3", "linux")]
    [InlineData("weird", "linux")]
    public void A_release_is_held_to_the_profile_of_its_line(string release, string profile) =>
        Assert.Equal(profile, Profile.ForRelease(release).Name);

    [Theory]
    [InlineData("vm:", "vm: needs a kernel")]
    [InlineData("vm:six", "neither a kernel version such as 6.1 or 6.12 nor a path to a vmlinuz")]
    [InlineData("vm:/nonexistent/vmlinuz-1.2.3", "no kernel image at /nonexistent/vmlinuz-1.2.3")]
    public void The_command_line_refuses_a_kernel_it_cannot_boot_with_exit_2_and_the_reason(string target, string reason)
    {
        var (code, _, error, _) = Hostile.RunCli(new Dictionary<string, string>(), "check", "--target", target);
        Assert.Equal(2, code);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void A_kernel_that_is_neither_a_version_nor_a_path_is_refused_with_the_reason()
    {
        Assert.Null(GuestKernels.Prepare("six", _ => { }, out var why));
        Assert.Contains("neither a kernel version", why);
        Assert.Null(GuestKernels.Prepare("/nonexistent/vmlinuz-1.2.3", _ => { }, out why));
        Assert.Contains("no kernel image", why);
    }
}

/// <summary>serve-kernel, what the VM runs, on this machine: through the process protocol the kernel gives the kernel
/// target's verdicts, offloaded checksums (the virtio-net header), error queues and IPv6 links included.</summary>
public class ServeKernelTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    [Fact]
    public void The_kernel_through_serve_kernel_gives_the_kernel_targets_verdicts()
    {
        Capability.RequireLive(Suite.Targets.Kernel.KernelTarget.CanRun(out var why), why);
        var served = Suite.Targets.Exec.ExecTarget.Connect($"\"{Hostile.Udpconf}\" serve-kernel", out why);
        Assert.True(served is not null, why);
        Assert.Contains(Suite.Targets.Exec.ProtocolServer.Sessions, served.Features);
        var files = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root))
            .Where(f => f.Id.StartsWith("udp_cork/", StringComparison.Ordinal) || f.Id.StartsWith("zerocopy/", StringComparison.Ordinal)
                        || f.Id is "ip_append_data/hw_checksum" or "options/readonly_linux")
            .ToArray();
        Assert.True(files.Length > 10);
        Assert.Contains(files, f => f.Case?.Requires.Contains(Feature.ChecksumOffload) == true);
        var direct = new Suite.Targets.Kernel.KernelTarget();
        var token = TestContext.Current.CancellationToken;
        foreach (var file in files)
        {
            var through = CaseRunner.Run(file, Profile.Linux, served, token);
            var kernel = CaseRunner.Run(file, Profile.Linux, direct, token);
            Assert.True(through.Kind == kernel.Kind, $"{file.Id}: {through.Kind} through serve-kernel ({ReportText.FirstProblem(through)}), {kernel.Kind} on the kernel target");
            Assert.NotEqual(VerdictKind.Error, through.Kind);
        }
    }
}
