using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Udpconf.Suite.Targets.Exec;

/// <summary>
/// Keeps an implementation and everything it starts inside a box that udpconf can always empty. .NET's Process can
/// neither start a new process group nor set a parent-death signal, so the command is started through util-linux
/// tools that each do one thing and exec the next (same pid, no extra process of ours to babysit):
/// <list type="bullet">
/// <item><c>setpriv --pdeathsig KILL</c>: when udpconf dies, even by SIGKILL, the kernel kills the box's top;</item>
/// <item><c>setsid</c>: its own session and process group (pgid = its pid), so Ctrl-C on udpconf's terminal does not
/// reach it and <c>kill(-pgid, SIGKILL)</c> reaches everything that stayed in the group;</item>
/// <item><c>unshare --pid --fork --kill-child=SIGKILL</c>, where a PID namespace can be made (root, or udpconf's
/// own user namespace): the implementation is the namespace's init, and when the init dies the kernel kills every
/// process in it, including daemons that left the group with setsid, which no process-group kill can reach.</item>
/// </list>
/// Every box still open is emptied at the end of its case, on a timeout, and when udpconf exits (ProcessExit,
/// SIGTERM, SIGINT, SIGHUP); the parent-death signal covers SIGKILL. Without a PID namespace (an unprivileged
/// udpconf started without ./udpconf's user namespace) a daemon that calls setsid can escape: <see cref="Namespaced"/> says so.
/// </summary>
public static class Containment
{
    private const int SIGKILL = 9;
    private static readonly ConcurrentDictionary<int, byte> Live = new();
    private static readonly List<PosixSignalRegistration> Handlers = [];
    private static readonly Lazy<(bool Pdeathsig, bool Namespace)> Tools = new(Probe);

    /// <summary>Implementations run in a PID namespace of their own (nothing they start can outlive them).</summary>
    public static bool Namespaced => Tools.Value.Namespace;

    /// <summary>The parent-death signal is set (udpconf killed by SIGKILL leaves nothing running).</summary>
    public static bool ParentDeathSignal => Tools.Value.Pdeathsig;

    static Containment()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        // Not cancelled: the signal's default action (ending udpconf) follows once the boxes are emptied.
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP })
            Handlers.Add(PosixSignalRegistration.Create(signal, _ =>
            {
                if (signal != PosixSignal.SIGHUP && interruptsHandled) return;
                KillAll();
            }));
    }

    private static volatile bool interruptsHandled;

    /// <summary>The host program turns SIGINT and SIGTERM into a cancellation of <paramref name="interruption"/> and
    /// goes on to report what finished: the boxes are emptied when that token is cancelled, so after it is, never
    /// before. (Killed first, the run in progress would fail and be counted before the interruption is seen; signal
    /// handlers of one signal run in no promised order.)</summary>
    public static void EmptyOn(CancellationToken interruption)
    {
        interruptsHandled = true;
        interruption.Register(KillAll);
    }

    /// <summary>How to start <paramref name="command"/> (a /bin/sh command line) in a box.</summary>
    public static ProcessStartInfo StartInfo(string command)
    {
        var (pdeathsig, pidNamespace) = Tools.Value;
        var argv = new List<string>();
        if (pdeathsig) argv.AddRange(["setpriv", "--pdeathsig", "KILL", "--"]);
        argv.AddRange(["setsid", "--"]);
        if (pidNamespace) argv.AddRange(["unshare", "--pid", "--fork", "--kill-child=SIGKILL", "--"]);
        argv.AddRange(["/bin/sh", "-c", command]);
        var start = new ProcessStartInfo(Resolve(argv[0]))
            { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in argv.Skip(1)) start.ArgumentList.Add(arg);
        return start;
    }

    /// <summary>Registers a started box so that udpconf's exit empties it.</summary>
    public static void Started(int pid) => Live[pid] = 0;

    /// <summary>Empties a box: SIGKILL to its process group and, while it has not been reaped (<paramref name="top"/>),
    /// to its top too, in case setsid had not run yet. With a PID namespace the kernel then kills everything else in it.</summary>
    public static void Kill(int pid, bool top = true)
    {
        if (pid <= 0) return;
        kill(-pid, SIGKILL);
        if (top) kill(pid, SIGKILL);
    }

    /// <summary>The box's process has been reaped: its pid may be reused, it must not be killed any more.</summary>
    public static void Ended(int pid) => Live.TryRemove(pid, out _);

    private static void KillAll()
    {
        foreach (var pid in Live.Keys) Kill(pid);
    }

    private static (bool, bool) Probe()
    {
        var pdeathsig = Succeeds("setpriv", "--pdeathsig", "KILL", "--", "true");
        var pidNamespace = Succeeds("unshare", "--pid", "--fork", "--kill-child=SIGKILL", "--", "true");
        return (pdeathsig, pidNamespace);
    }

    private static bool Succeeds(string program, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo(Resolve(program)) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in args) start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            return process.WaitForExit(5000) && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>util-linux's tools where they normally are, else by PATH.</summary>
    private static string Resolve(string program) =>
        program.StartsWith('/') ? program
        : new[] { "/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/" }.Select(dir => dir + program).FirstOrDefault(File.Exists) ?? program;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
