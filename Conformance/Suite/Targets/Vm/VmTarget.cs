using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets.Exec;

namespace Udpconf.Suite.Targets.Vm;

/// <summary>
/// Another Linux kernel as an implementation under test: <c>--target vm:&lt;kernel&gt;</c> boots it under qemu
/// (<see cref="GuestKernels"/> finds and caches it) with no network device, the host's root shared read-only over 9p,
/// and runs the host's own udpconf inside as <c>serve-kernel</c>: the live-kernel target of the guest behind the process
/// protocol, on a virtio-serial port that is qemu's stdin and stdout. One guest serves the whole run, a case after
/// another (each a fresh network namespace in it, as on the host); the host compares, judges and reports as for any
/// target. qemu runs in <see cref="Containment"/>'s box, so that no VM outlives udpconf, even killed by SIGKILL; the
/// guest's console goes to qemu's stderr, whose tail explains a failure. A guest that fails is booted again for the
/// next case.
/// </summary>
public sealed class VmTarget : ITarget, IDisposable
{
    /// <summary>Boot and .NET's start under TCG take 5-15 s; a loaded machine may take several times that.</summary>
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(240);
    /// <summary>Under TCG the guest's first run of a code path is JIT-compiled slowly, and a datagram of 1,366 fragments
    /// is written as JSON: far more than the exec target's 5 s.</summary>
    public static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(90);

    private readonly ExecTarget guest;

    private VmTarget(ExecTarget guest, GuestKernel kernel, string release)
    {
        this.guest = guest;
        Kernel = kernel;
        Release = release;
    }

    /// <summary>vm:&lt;the release the guest reports&gt;.</summary>
    public string Name => guest.Name;
    public IReadOnlySet<Feature> Features => guest.Features;
    public GuestKernel Kernel { get; }
    /// <summary>The guest kernel's release (its /proc/sys/kernel/osrelease, as serve-kernel names itself).</summary>
    public string Release { get; }

    /// <summary>qemu where Debian's qemu-system-x86 puts it.</summary>
    public static bool CanRun(out string why)
    {
        why = "";
        if (!OperatingSystem.IsLinux()) why = "--target vm: needs Linux";
        else if (Qemu is null) why = "--target vm: needs qemu-system-x86_64 (apt-get install qemu-system-x86)";
        else if (!File.Exists(Initramfs.Busybox)) why = "--target vm: needs a static busybox (apt-get install busybox-static)";
        return why.Length == 0;
    }

    private static string? Qemu => new[] { "/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64" }.FirstOrDefault(File.Exists);

    /// <summary>Boots <paramref name="spec"/> (a Debian kernel version or a vmlinuz path) and waits for serve-kernel's
    /// hello. <paramref name="guestCommand"/> is how the guest runs this machine's udpconf (the host's dotnet and
    /// udpconf.dll: the same paths inside, the root being shared). Null and why when it cannot.</summary>
    public static VmTarget? Start(string spec, IReadOnlyList<string> guestCommand, Action<string> progress, out string why)
    {
        if (!GuestKernels.Valid(spec, out why) || !CanRun(out why)) return null;
        if (guestCommand.FirstOrDefault(a => a.Any(char.IsWhiteSpace) || a.Contains('\'') || a.Contains('"')) is { } bad)
        {
            why = $"the guest runs '{bad}' from the kernel command line, which cannot carry blanks or quotes";
            return null;
        }
        var kernel = GuestKernels.Prepare(spec, progress, out why);
        if (kernel is null) return null;
        progress($"udpconf: booting {kernel.Release} under qemu ({(File.Exists("/dev/kvm") ? "KVM where it works, else " : "")}TCG)");
        var target = ExecTarget.Start(Command(kernel, guestCommand), given => "vm:" + Released(given), BootTimeout, OperationTimeout, OperationTimeout, out why);
        if (target is null)
        {
            why = $"the guest {kernel.Release} did not start serve-kernel: {why}";
            return null;
        }
        return new VmTarget(target, kernel, target.Name["vm:".Length..]);
    }

    /// <summary>serve-kernel names itself kernel:&lt;release&gt;.</summary>
    private static string Released(string name) => name.StartsWith("kernel:", StringComparison.Ordinal) ? name["kernel:".Length..] : name;

    /// <summary>The qemu command line (run with /bin/sh -c inside the box).</summary>
    public static string Command(GuestKernel kernel, IReadOnlyList<string> guestCommand)
    {
        var args = new List<string>
        {
            Qemu!, "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-nic", "none",
            // No 5-level paging: with LA57 the guest's user address space ends at 2^56 instead of 2^47, and
            // import_iovec's access_ok answers huge gather-list lengths differently (measured on 6.1.192) from
            // machines without it, which are what the model's linux profile describes.
            "-cpu", "max,la57=off", "-smp", "1", "-m", "1024",
            "-kernel", kernel.Image, "-initrd", kernel.Initramfs,
            "-append", "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init -- " + string.Join(' ', guestCommand),
            "-chardev", "file,id=console,path=/dev/stderr", "-serial", "chardev:console",
            "-virtfs", "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap",
            "-device", "virtio-serial-pci", "-chardev", "stdio,id=udpconf,signal=off", "-device", "virtserialport,chardev=udpconf,name=udpconf",
        };
        if (File.Exists("/dev/kvm")) args.InsertRange(1, ["-accel", "kvm", "-accel", "tcg"]);
        return "exec " + string.Join(' ', args.Select(a => "'" + a.Replace("'", "'\\''") + "'"));
    }

    /// <summary>How a guest runs this machine's udpconf: <paramref name="udpconfDll"/> by the dotnet host that runs
    /// this process (DOTNET_HOST_PATH, set by the dotnet command, else this process when it is dotnet, else dotnet
    /// on PATH).</summary>
    public static IReadOnlyList<string> GuestCommand(string udpconfDll)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
            : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists) ?? "dotnet";
        return [Path.GetFullPath(ResolveLink(dotnet)), Path.GetFullPath(udpconfDll)];
    }

    /// <summary>How a guest runs a single-file udpconf (<c>dotnet publish -r linux-x64</c>, self-contained): the file
    /// itself, no dotnet needed.</summary>
    public static IReadOnlyList<string> GuestBinary(string udpconf) => [Path.GetFullPath(ResolveLink(udpconf))];

    private static string ResolveLink(string path) => new FileInfo(path).ResolveLinkTarget(true)?.FullName ?? path;

    public TargetRun Run(HostConfig host, IReadOnlyList<Reference.Api.Operation> operations, CancellationToken cancellation = default) =>
        guest.Run(host, operations, cancellation);

    public ITargetSession Open(HostConfig host, bool ipv6 = false) => guest.Open(host, ipv6);

    /// <summary>Says bye to serve-kernel (the guest powers off) and ends qemu.</summary>
    public void Dispose() => guest.Stop();
}
