using System.Text;
using System.Text.RegularExpressions;

namespace Udpconf.Suite.Targets.Vm;

/// <summary>
/// The initramfs of a guest: a static busybox (Debian's busybox-static), the modules of
/// <see cref="GuestKernels.Modules"/> and their dependencies (decompressed, in load order), and <c>/init</c>
/// (<see cref="InitScript"/>). About 3 MB.
/// </summary>
public static class Initramfs
{
    public const string Busybox = "/bin/busybox";

    public static void Write(Stream output, string modules, string release)
    {
        var busybox = File.ReadAllBytes(Busybox);
        if (!IsStatic(busybox))
            throw new GuestKernelException($"{Busybox} is not statically linked: the guest needs Debian's busybox-static (apt-get install busybox-static)");
        var order = LoadOrder(modules);
        var cpio = new Cpio(output);
        foreach (var dir in new[] { "bin", "dev", "proc", "sys", "newroot", "modules" }) cpio.Directory(dir);
        cpio.File("bin/busybox", busybox, executable: true);
        foreach (var (name, bytes) in order) cpio.File($"modules/{name}.ko", bytes);
        cpio.File("modules/order", Encoding.ASCII.GetBytes(string.Join("\n", order.Select(m => m.Name)) + "\n"));
        cpio.File("init", Encoding.ASCII.GetBytes(InitScript), executable: true);
        cpio.End();
    }

    /// <summary>
    /// /init: mounts what the guest needs, loads the modules, mounts the host's root (shared read-only over 9p, tag
    /// <c>host</c>) with a tmpfs on /run (HOME and TMPDIR: the host's /tmp stays visible, a checkout there among it) and
    /// the guest's own /dev, /proc and /sys, and runs its arguments (the host's
    /// dotnet and udpconf.dll, given after <c>--</c> on the kernel command line) as <c>serve-kernel</c> on the
    /// virtio-serial port named <c>udpconf</c>. Everything it says goes to the console (the serial port, which the host
    /// keeps the tail of). When serve-kernel ends, the machine powers off. .NET's GC reserves far more address space
    /// than the guest has unless given a hard limit (CoreCLR fails to start with E_OUTOFMEMORY without one).
    /// </summary>
    public const string InitScript = """
        #!/bin/busybox sh
        /bin/busybox mkdir -p /usr/bin /sbin /usr/sbin
        /bin/busybox --install -s
        mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
        say() { echo "udpconf-guest: $*" > /dev/console; }
        end() { say "$*"; poweroff -f; }
        for m in $(cat /modules/order); do insmod /modules/$m.ko || say "insmod $m failed"; done
        mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose host /newroot || end "cannot mount the host's root over 9p"
        mount -t tmpfs run /newroot/run && mount -t devtmpfs dev /newroot/dev && mount -t proc proc /newroot/proc && mount -t sysfs sys /newroot/sys || end "cannot mount /run, /dev, /proc, /sys"
        for a in "$@"; do [ -e "/newroot$a" ] || end "$a is not in the host's root as the guest sees it"; done
        port=
        for p in /sys/class/virtio-ports/*; do [ "$(cat $p/name 2>/dev/null)" = udpconf ] && port=/dev/${p##*/}; done
        [ -n "$port" ] || end "no virtio-serial port named udpconf"
        say "kernel $(uname -r) up; serve-kernel on $port"
        chroot /newroot /usr/bin/env -i HOME=/run TMPDIR=/run PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
            DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_EnableDiagnostics=0 DOTNET_GCHeapHardLimit=0x20000000 \
            "$@" serve-kernel <> $port >&0 2> /dev/console
        end "serve-kernel exited with $?"

        """;

    /// <summary>The modules to load, each after those it depends on (modinfo's depends=), less those built in, with
    /// their bytes decompressed (read once: for their modinfo here, for the archive by the caller).</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> LoadOrder(string modules)
    {
        var files = new Dictionary<string, string>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(modules, "kernel"), "*.ko*", SearchOption.AllDirectories))
            if (Regex.Match(Path.GetFileName(path), @"^(.+)\.ko(\.xz|\.zst|\.gz)?$") is { Success: true } m)
                files[Normalize(m.Groups[1].Value)] = path;
        var builtin = File.Exists(Path.Combine(modules, "modules.builtin"))
            ? File.ReadAllLines(Path.Combine(modules, "modules.builtin")).Select(l => Normalize(Regex.Replace(Path.GetFileName(l.Trim()), @"\.ko.*$", ""))).ToHashSet()
            : [];
        var order = new List<(string, byte[])>();
        var seen = new HashSet<string>();
        void Add(string name, string? neededBy)
        {
            name = Normalize(name);
            // A soft dependency names a module or what it provides (crc32c: crc32c_generic): where neither is a
            // file, the kernel builds it in or does without.
            if (neededBy?.StartsWith("soft:", StringComparison.Ordinal) == true)
            {
                name = new[] { name, name + "_generic" }.FirstOrDefault(files.ContainsKey) ?? "";
                if (name.Length == 0) return;
            }
            if (builtin.Contains(name) || !seen.Add(name)) return;
            if (!files.TryGetValue(name, out var path))
                throw new GuestKernelException($"the kernel has no module {name}{(neededBy is null ? "" : $" (needed by {neededBy})")} and does not build it in: " +
                                               "a Debian generic kernel (linux-image-<version>-amd64-unsigned) has all the guest needs; a cloud kernel has no 9p");
            var bytes = Decompressed(path);
            foreach (var dependency in Field(bytes, "softdep").SelectMany(SoftPre)) Add(dependency, "soft:" + name);
            foreach (var dependency in Field(bytes, "depends").SelectMany(d => d.Split(',', StringSplitOptions.RemoveEmptyEntries))) Add(dependency, name);
            order.Add((name, bytes));
        }
        foreach (var module in GuestKernels.Modules) Add(module, null);
        return order;
    }

    private static string Normalize(string name) => name.Replace('-', '_');

    /// <summary>The values of a field of a module's .modinfo section (NUL-separated key=value strings).</summary>
    private static IEnumerable<string> Field(byte[] module, string field)
    {
        var key = Encoding.ASCII.GetBytes("\0" + field + "=");
        for (var from = 0; module.AsSpan(from).IndexOf(key) is var at and >= 0;)
        {
            var start = from + at + key.Length;
            var end = module.AsSpan(start).IndexOf((byte)0);
            yield return Encoding.ASCII.GetString(module, start, end < 0 ? module.Length - start : end);
            from = start;
        }
    }

    /// <summary>The modules a softdep= value wants loaded before (<c>pre: a b post: c</c>).</summary>
    private static IEnumerable<string> SoftPre(string softdep)
    {
        var pre = false;
        foreach (var word in softdep.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.EndsWith(':')) pre = word == "pre:";
            else if (pre) yield return word;
        }
    }

    private static byte[] Decompressed(string path)
    {
        if (path.EndsWith(".ko", StringComparison.Ordinal)) return File.ReadAllBytes(path);
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var gzip = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
            using var copy = new MemoryStream();
            gzip.CopyTo(copy);
            return copy.ToArray();
        }
        // .NET reads no xz or zstd: busybox (which the guest needs anyway) unpacks xz, zstd's own tool zstd.
        var (program, args) = path.EndsWith(".xz", StringComparison.Ordinal) ? (Busybox, new[] { "unxz", "-c", path }) : ("zstd", new[] { "-dc", path });
        return GuestKernels.RunForBytes(program, args, "/", TimeSpan.FromMinutes(1));
    }

    /// <summary>An ELF executable without a PT_INTERP program header (no dynamic loader).</summary>
    public static bool IsStatic(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F' || elf[4] != 2) return false;
        var phoff = (long)BitConverter.ToUInt64(elf, 0x20);
        var phentsize = BitConverter.ToUInt16(elf, 0x36);
        var phnum = BitConverter.ToUInt16(elf, 0x38);
        for (var i = 0; i < phnum; i++)
        {
            var at = phoff + (long)i * phentsize;
            if (at + 4 > elf.Length) return false;
            if (BitConverter.ToUInt32(elf, (int)at) == 3) return false; // PT_INTERP
        }
        return true;
    }
}
