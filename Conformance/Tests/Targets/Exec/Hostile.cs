using System.Diagnostics;
using Udpconf.Suite;
using Udpconf.Suite.Cases;

namespace Udpconf.Tests.Targets.Exec;

/// <summary>The hostile implementations of Conformance/Tests/Targets/Exec/hostile/ and what the tests around them share:
/// commands, a small case, the CLI as a child process, and a scan of /proc for what an implementation left behind.</summary>
public static class Hostile
{
    public static string Root => SpecMap.FindRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    /// <summary>A hostile script with its arguments; <paramref name="marker"/> goes into its environment (and from there
    /// into the command lines of what it starts).</summary>
    public static string Command(string script, string arguments = "", string? marker = null) =>
        (marker is null ? "" : $"env UDPCONF_HOSTILE_MARKER={marker} ") + $"\"{Path.Combine(Root, "Conformance", "Tests", "Targets", "Exec", "hostile", script)}\" {arguments}".TrimEnd();

    /// <summary>udpconf itself, as built beside the tests.</summary>
    public static string Udpconf => Path.Combine(AppContext.BaseDirectory, "udpconf");

    /// <summary>A good implementation: the model behind the protocol.</summary>
    public static string ServeModel => $"\"{Udpconf}\" serve-model --profile linux";

    /// <summary>Opens a socket (=> 3) and sends ten bytes (=> 10, one packet): passes on a good implementation.</summary>
    public const string CaseText = "clauses: socket.create\nsteps:\n  socket s\n    => 3\n  sendto s 10 to 198.51.100.7:9\n    => 10\n    wire: 1\n";

    public static Case Case(string id) => CaseParser.Parse(id + ".case", id, CaseText).Case!;

    public static string Marker() => "udpconf-hostile-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Processes whose command line or environment holds <paramref name="marker"/>.</summary>
    public static int[] Marked(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(marker, StringComparison.Ordinal) ||
                    File.ReadAllText(Path.Combine(dir, "environ")).Contains(marker, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return found.ToArray();
    }

    /// <summary>Waits (up to <paramref name="seconds"/>) until nothing marked runs; what still runs then is killed, by
    /// pid, and described, so that a failing test leaves nothing behind either.</summary>
    public static string Leftovers(string marker, double seconds = 5)
    {
        var clock = Stopwatch.StartNew();
        int[] left;
        while ((left = Marked(marker)).Length > 0 && clock.Elapsed.TotalSeconds < seconds) Thread.Sleep(50);
        var described = string.Join("; ", left.Select(pid =>
        {
            try { return $"{pid}: {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')}"; }
            catch (IOException) { return pid.ToString(); }
        }));
        foreach (var pid in left)
        {
            try { Process.GetProcessById(pid).Kill(); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
        }
        return described;
    }

    /// <summary>Waits until something marked runs (the implementation got that far).</summary>
    public static bool Appears(string marker, double seconds = 20)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            if (Marked(marker).Length > 0) return true;
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>The CLI as a child process (its own environment, its own death), started but not waited for.</summary>
    public static Process StartCli(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(Udpconf) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return Process.Start(start)!;
    }

    /// <summary>The CLI as a child process, run to its end: exit code, stdout, stderr, and how long it took.</summary>
    public static (int ExitCode, string Out, string Error, TimeSpan Took) RunCli(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var clock = Stopwatch.StartNew();
        using var process = StartCli(environment, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000)) process.Kill();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result, clock.Elapsed);
    }

    /// <summary>A throw-away folder of <paramref name="count"/> copies of <see cref="CaseText"/>.</summary>
    public static string Cases(int count)
    {
        var folder = TempFolders.Create("udpconf-hostile-").FullName;
        for (var i = 1; i <= count; i++) File.WriteAllText(Path.Combine(folder, $"case{i}.case"), CaseText);
        return folder;
    }
}
