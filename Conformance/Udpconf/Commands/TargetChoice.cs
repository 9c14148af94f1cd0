using System.Diagnostics.CodeAnalysis;
using Spectre.Console;
using Profile = Udpconf.Reference.Profile;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets.Exec;
using Udpconf.Suite.Targets.Model;
using Udpconf.Suite.Targets.Vm;

namespace Udpconf.Cli.Commands;

/// <summary>The implementation a check runs on: a name for messages, a target per profile, and the profiles run
/// when --profile is not given.</summary>
public sealed record TargetChoice(string Name, Func<Profile, ITarget> Create, string DefaultProfiles, IDisposable? Owned = null) : IDisposable
{
    /// <summary>Ends what the target holds for the run (a VM).</summary>
    public void Dispose() => Owned?.Dispose();

    public static TargetChoice Model { get; } = new("model", profile => new ModelTarget(profile), "all");

    /// <summary>The local kernel in a private network namespace. It is a Linux kernel, so by default it is held to
    /// the linux profile; --profile spec shows where it departs from the documented 2.6 behavior.</summary>
    public static TargetChoice Kernel { get; } = new("kernel", _ => new KernelTarget(), "linux");

    /// <summary>Resolves --target; null when it names no usable target, after saying why (the caller exits 2).</summary>
    public static TargetChoice? Resolve(string? option, CliIo io)
    {
        switch (option)
        {
            // The default is the local kernel when it can be reached, else the model; stderr says which and why.
            // An explicit --target kernel that cannot run is refused instead, never silently replaced.
            case null:
                if (KernelTarget.CanRun(out var missing))
                {
                    io.Error.WriteLine("udpconf: running on the local kernel in a private network namespace (--target model runs the model)");
                    return Kernel;
                }
                io.Error.WriteLine($"udpconf: the local kernel cannot be reached as a target ({missing}); running on the model");
                return Model;
            case "model":
                return Model;
            case "kernel":
                if (KernelTarget.CanRun(out var why)) return Kernel;
                io.Fail($"the kernel target cannot run here: {why}");
                return null;
            case not null when option.StartsWith("exec:", StringComparison.Ordinal):
            {
                // An implementation behind the process protocol (Conformance/PROTOCOL.md), held to the linux profile.
                var command = option["exec:".Length..].Trim();
                if (command.Length == 0)
                {
                    io.Fail("exec: needs a command, e.g. --target \"exec:adapters/lwip/build/udpconf-lwip\"");
                    return null;
                }
                if (!ExecTarget.TimeoutsFromEnvironment(out _, out _, out var badTimeout))
                {
                    io.Fail(badTimeout);
                    return null;
                }
                var target = ExecTarget.Connect(command, out var failure);
                if (target is null)
                {
                    io.Fail($"the external implementation cannot be used: {failure}");
                    return null;
                }
                return new TargetChoice(target.Name, _ => target, "linux");
            }
            case not null when option.StartsWith("vm:", StringComparison.Ordinal):
            {
                // Another kernel booted under qemu, its own kernel target run by this udpconf inside, held to the
                // profile of its kernel line where the model has one (linux-6.1, ...), else linux.
                var spec = option["vm:".Length..].Trim();
                if (spec.Length == 0)
                {
                    io.Fail("vm: needs a kernel: a Debian kernel version (vm:6.1, vm:6.12) or the path of a vmlinuz-<release>");
                    return null;
                }
                var vm = VmTarget.Start(spec, GuestCommand(), line => io.Error.WriteLine(line), out var failure);
                if (vm is null)
                {
                    io.Fail(failure);
                    return null;
                }
                io.Error.WriteLine($"udpconf: {vm.Name} is up (kernel {vm.Kernel.Source})");
                return new TargetChoice(vm.Name, _ => vm, Profile.ForRelease(vm.Release).Name, vm);
            }
            default:
                io.Fail($"unknown target '{option}': expected model, kernel, exec:<command> or vm:<kernel>");
                return null;
        }
    }

    /// <summary>How a VM's guest runs this udpconf: the single file (dotnet publish -r linux-x64) runs itself, its
    /// assemblies having no path of their own; a udpconf.dll is run by the host's dotnet.</summary>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "Location is empty in the single file, which runs itself")]
    public static IReadOnlyList<string> GuestCommand()
    {
        var dll = typeof(TargetChoice).Assembly.Location;
        return dll.Length == 0 ? VmTarget.GuestBinary(Environment.ProcessPath!) : VmTarget.GuestCommand(dll);
    }

    /// <summary>The profiles named by --profile (spec, linux or all), or the target's default.</summary>
    public IReadOnlyList<Profile> Profiles(string? option) =>
        (option ?? DefaultProfiles) == "all" ? Profile.All : [Profile.Find(option ?? DefaultProfiles)!];
}
