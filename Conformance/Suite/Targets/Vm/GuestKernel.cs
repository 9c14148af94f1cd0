using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Udpconf.Suite.Targets.Vm;

/// <summary>A kernel ready to boot: its image, the initramfs made for it, its release, and where it came from.</summary>
public sealed record GuestKernel(string Release, string Image, string Initramfs, string Source);

/// <summary>
/// Finds a kernel for <c>--target vm:&lt;kernel&gt;</c> and makes it bootable, once: a Debian kernel version (<c>6.1</c>,
/// <c>6.12</c>: the newest generic <c>linux-image-&lt;version&gt;…-amd64-unsigned</c> package apt knows) is fetched with
/// <c>apt-get download</c> and unpacked with <c>dpkg-deb -x</c>, never installed; a path names a vmlinuz whose
/// modules are in <c>../lib/modules/&lt;release&gt;</c> beside its folder or in <c>/lib/modules/&lt;release&gt;</c>. Its
/// initramfs holds a static busybox, the modules the guest needs (virtio-serial, 9p, TUN, nf_tables, with what they
/// depend on, found in each module's own modinfo) and the init script (<see cref="InitScript"/>). Both are kept in a
/// cache folder (<see cref="CacheFolder"/>) made atomically: a folder being built is named <c>.partial-&lt;pid&gt;-…</c>
/// and renamed when complete; one left by a process that died is removed by the next.
/// Debian's generic kernels have 9p and virtio-serial as modules; its cloud kernels have no 9p at all and cannot be used.
/// </summary>
public static class GuestKernels
{
    /// <summary>Changes whenever the initramfs's making changes, so that cached ones are made again.</summary>
    private const int Format = 3;

    /// <summary>The modules the guest loads, in no order (their dependencies are found and loaded first).</summary>
    public static readonly IReadOnlyList<string> Modules = ["virtio_pci", "virtio_console", "9pnet_virtio", "9p", "tun", "nf_tables"];

    public const string CacheVariable = "UDPCONF_VM_CACHE";

    /// <summary><c>UDPCONF_VM_CACHE</c>, else <c>$XDG_CACHE_HOME/udpconf/kernels</c>, else <c>~/.cache/udpconf/kernels</c>.</summary>
    public static string CacheFolder =>
        Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } set ? set
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "udpconf", "kernels");

    private static readonly Regex Version = new(@"^[0-9]+\.[0-9]+(\.[0-9]+)?$", RegexOptions.CultureInvariant);

    /// <summary>Whether <paramref name="spec"/> can name a kernel at all (a version, or an existing vmlinuz-&lt;release&gt;),
    /// before anything is fetched or booted; why not.</summary>
    public static bool Valid(string spec, out string why)
    {
        why = spec.Contains('/')
            ? !File.Exists(spec) ? $"no kernel image at {spec}"
              : !Path.GetFileName(spec).StartsWith("vmlinuz-", StringComparison.Ordinal) || Path.GetFileName(spec).Length == "vmlinuz-".Length
                  ? $"{spec}: a kernel image is named vmlinuz-<release>, so that its modules (lib/modules/<release>) can be found" : ""
            : Version.IsMatch(spec) ? "" : $"'{spec}' is neither a kernel version such as 6.1 or 6.12 nor a path to a vmlinuz";
        return why.Length == 0;
    }

    /// <summary>The kernel <paramref name="spec"/> names, fetched and made bootable if it is not in the cache yet;
    /// null and why when it cannot be (no such package, no apt, a vmlinuz without its modules, ...).</summary>
    public static GuestKernel? Prepare(string spec, Action<string> progress, out string why)
    {
        if (!Valid(spec, out why)) return null;
        try
        {
            Directory.CreateDirectory(CacheFolder);
            RemoveAbandoned();
            return spec.Contains('/') ? FromPath(spec, progress) : FromPackage(spec, progress);
        }
        catch (GuestKernelException e)
        {
            why = e.Message;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = $"the kernel cache {CacheFolder}: {e.Message}";
            return null;
        }
    }

    private static GuestKernel FromPackage(string version, Action<string> progress)
    {
        var package = NewestPackage(version) ?? (CanUpdate() ? UpdateThen(version, progress) : null)
            ?? throw new GuestKernelException($"no Debian kernel package linux-image-{version}.*-amd64-unsigned is known to apt (apt-get update, as root, refreshes the lists)");
        var folder = Path.Combine(CacheFolder, $"{package}.v{Format}");
        if (Cached(folder, package) is { } cached) return cached;
        return Build(folder, package, progress, partial =>
        {
            progress($"udpconf: fetching {package} (apt-get download, not installed) into {CacheFolder}");
            var download = Directory.CreateDirectory(Path.Combine(partial, "download")).FullName;
            Run("apt-get", ["-q", "-o", "APT::Sandbox::User=root", "download", package], download, TimeSpan.FromMinutes(10));
            var deb = Directory.GetFiles(download, "*.deb").SingleOrDefault() ?? throw new GuestKernelException($"apt-get download {package} gave no .deb");
            var unpacked = Path.Combine(partial, "unpacked");
            Run("dpkg-deb", ["-x", deb, unpacked], partial, TimeSpan.FromMinutes(5));
            var image = Directory.GetFiles(Path.Combine(unpacked, "boot"), "vmlinuz-*").SingleOrDefault()
                ?? throw new GuestKernelException($"{package} has no boot/vmlinuz-*");
            var release = Path.GetFileName(image)["vmlinuz-".Length..];
            return (image, release, Path.Combine(unpacked, "lib", "modules", release), () => Directory.Delete(download, true), () => Directory.Delete(unpacked, true));
        });
    }

    private static GuestKernel FromPath(string path, Action<string> progress)
    {
        // Valid checked that it exists and is named vmlinuz-<release>.
        var image = Path.GetFullPath(path);
        var release = Path.GetFileName(image)["vmlinuz-".Length..];
        var boot = Path.GetDirectoryName(image)!;
        var modules = new[] { Path.Combine(boot, "..", "lib", "modules", release), Path.Combine(boot, "..", "usr", "lib", "modules", release), Path.Combine("/lib/modules", release) }
            .Select(Path.GetFullPath).FirstOrDefault(Directory.Exists)
            ?? throw new GuestKernelException($"the modules of {path} are not in {Path.Combine(boot, "..", "lib", "modules", release)} nor in /lib/modules/{release}");
        var info = new FileInfo(image);
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{image}\n{modules}\n{info.Length}\n{info.LastWriteTimeUtc.Ticks}")))[..16].ToLowerInvariant();
        var folder = Path.Combine(CacheFolder, $"path-{Sanitize(release)}-{key}.v{Format}");
        if (Cached(folder, image) is { } cached) return cached;
        return Build(folder, image, progress, _ => (image, release, modules, () => { }, () => { }));
    }

    /// <summary>Makes a cache folder: <paramref name="unpack"/> gives the image, release and modules folder in the
    /// partial folder (and how to drop what it downloaded and unpacked), the initramfs is made, the image copied.</summary>
    private static GuestKernel Build(string folder, string source, Action<string> progress,
        Func<string, (string Image, string Release, string Modules, Action DropDownload, Action DropUnpacked)> unpack)
    {
        var partial = Path.Combine(CacheFolder, $".partial-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(partial);
        try
        {
            var (image, release, modules, dropDownload, dropUnpacked) = unpack(partial);
            dropDownload();
            if (!Directory.Exists(modules)) throw new GuestKernelException($"{source} has no modules folder lib/modules/{release}");
            progress($"udpconf: making the initramfs of {release}");
            using (var output = File.Create(Path.Combine(partial, "initramfs.cpio"))) Initramfs.Write(output, modules, release);
            File.Copy(image, Path.Combine(partial, "vmlinuz"));
            dropUnpacked();
            File.WriteAllText(Path.Combine(partial, "release"), release + "\n" + source + "\n");
            try { Directory.Move(partial, folder); }
            catch (IOException) when (Directory.Exists(folder)) { Directory.Delete(partial, true); } // made meanwhile by another run
            return Cached(folder, source) ?? throw new GuestKernelException($"the cache folder {folder} is incomplete");
        }
        catch
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, true);
            throw;
        }
    }

    private static GuestKernel? Cached(string folder, string source)
    {
        var release = Path.Combine(folder, "release");
        if (!File.Exists(release)) return null;
        var lines = File.ReadAllLines(release);
        return new GuestKernel(lines[0], Path.Combine(folder, "vmlinuz"), Path.Combine(folder, "initramfs.cpio"), source);
    }

    /// <summary>Partial folders of processes that no longer run.</summary>
    private static void RemoveAbandoned()
    {
        foreach (var dir in Directory.GetDirectories(CacheFolder, ".partial-*"))
        {
            var pid = Path.GetFileName(dir).Split('-') is [_, _, var p, ..] && int.TryParse(p, out var n) ? n : 0;
            if (pid > 0 && !Directory.Exists($"/proc/{pid}"))
                try { Directory.Delete(dir, true); }
                catch (IOException) { }
        }
    }

    private static string Sanitize(string text) => Regex.Replace(text, "[^A-Za-z0-9.+_-]", "_");

    /// <summary>The newest generic (not cloud, not rt) unsigned amd64 image package of a version, as apt knows them.</summary>
    public static string? NewestPackage(string version)
    {
        string names;
        try { names = Run("apt-cache", ["pkgnames", "linux-image-" + version], "/", TimeSpan.FromMinutes(1)); }
        catch (GuestKernelException) { return null; }
        var pattern = new Regex("^linux-image-" + Regex.Escape(version) + @"[.+-][0-9A-Za-z.+~-]*-amd64-unsigned$", RegexOptions.CultureInvariant);
        return names.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(n => pattern.IsMatch(n) && !n.Contains("-cloud-") && !n.Contains("-rt-"))
            .OrderBy(n => n, Comparer<string>.Create(CompareVersions)).LastOrDefault();
    }

    /// <summary>Compares names by their numbers in turn (6.12.118 after 6.12.9), then as text.</summary>
    public static int CompareVersions(string a, string b)
    {
        var x = Regex.Matches(a, "[0-9]+").Select(m => long.Parse(m.Value)).ToArray();
        var y = Regex.Matches(b, "[0-9]+").Select(m => long.Parse(m.Value)).ToArray();
        for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
            if (x[i] != y[i]) return x[i].CompareTo(y[i]);
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : string.CompareOrdinal(a, b);
    }

    private static bool CanUpdate() => Environment.UserName == "root" && File.Exists("/usr/bin/apt-get");

    private static string? UpdateThen(string version, Action<string> progress)
    {
        progress("udpconf: apt knows no such kernel package; apt-get update");
        try { Run("apt-get", ["-qq", "update"], "/", TimeSpan.FromMinutes(10)); }
        catch (GuestKernelException e) { progress($"udpconf: {e.Message}"); }
        return NewestPackage(version);
    }

    /// <summary>Runs a program to its end; its stdout, or a GuestKernelException with its exit code and stderr.</summary>
    internal static string Run(string program, IReadOnlyList<string> args, string directory, TimeSpan timeout) =>
        Encoding.UTF8.GetString(RunForBytes(program, args, directory, timeout));

    internal static byte[] RunForBytes(string program, IReadOnlyList<string> args, string directory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["LC_ALL"] = "C";
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new GuestKernelException($"{program} cannot be run: {e.Message}"); }
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            var bytes = new MemoryStream();
            var output = process.StandardOutput.BaseStream.CopyToAsync(bytes);
            if (!process.WaitForExit(timeout))
            {
                process.Kill(true);
                throw new GuestKernelException($"{program} {string.Join(' ', args)} did not end within {timeout.TotalSeconds:0} s");
            }
            if (process.ExitCode != 0)
                throw new GuestKernelException($"{program} {string.Join(' ', args)} failed (exit {process.ExitCode}): {Reports.SafeText.Line(error.Result.Trim(), 400)}");
            output.Wait();
            return bytes.ToArray();
        }
    }
}

public sealed class GuestKernelException(string message) : Exception(message);
