using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets.Model;
using Udpconf.Suite.Targets;

// The udpconf benchmark (BENCHMARKS.md): in one run, side by side and alternating,
//   (a) udpconf end to end on the kernel target: a case of N sendto steps through CaseRunner.Run (model prediction,
//       a private namespace with a TUN device, the real sends, the marker capture, the byte comparison);
//   (b) Benchmarks/native/tunsend.c, compiled here with gcc -O2: unshare, TUN, then N × (sendto + read the TUN fd);
// then a rough breakdown of where udpconf's time per datagram goes, and the whole suite on the kernel target.
// Usage: dotnet run -c Release --project Benchmarks [-- --datagrams N] [--size B] [--rounds R] [--warmup-seconds S] [--no-suite]
// The in-process parts (the model's step, the judge) under BenchmarkDotNet, no root needed (ModelBenchmarks.cs):
//        dotnet run -c Release --project Benchmarks -- model [BenchmarkDotNet arguments, e.g. --filter '*' --job short]

if (args.FirstOrDefault() == "model") return Udpconf.Benchmarks.ModelBenchmarks.Run(args[1..]);

var datagrams = Option("--datagrams", 1000);
var size = Option("--size", 100);
var rounds = Option("--rounds", 5);
var suite = !args.Contains("--no-suite");
var inv = CultureInfo.InvariantCulture;

if (!KernelTarget.CanRun(out var why)) { Console.Error.WriteLine($"udpconf-bench: {why}"); return 2; }
if (args.Contains("--fuzz"))
{
    Udpconf.Benchmarks.FuzzBreakdown.Run(Option("--sequences", 500), Option("--max-ops", 40));
    return 0;
}
var root = RepositoryRoot();
var work = Directory.CreateTempSubdirectory("udpconf-bench-");
try
{
    var tunsend = Path.Combine(work.FullName, "tunsend");
    Run("gcc", ["-O2", "-o", tunsend, Path.Combine(root, "Benchmarks", "native", "tunsend.c")]);

    var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
    Console.WriteLine($"udpconf benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, kernel {release}, {Environment.ProcessorCount} cores, " +
                      $".NET {Environment.Version}; {datagrams} datagrams of {size} bytes to 198.51.100.7:9 per run, {rounds} rounds");

    var big = Case(datagrams, size);
    var one = Case(1, size);
    var target = new KernelTarget();
    // Warm-up: JIT, the first namespace, the first gcc-built process. The first run of the big case is the process's
    // cold figure (its code still unoptimized: .NET compiles a method fully only after it ran 30 times and the process
    // had 100 ms without compiling anything new); then the case runs until its code has settled, at least
    // --warmup-seconds (3) and 5 runs, and the rounds measure what a long case or fuzz campaign runs at.
    Check(CaseRunner.Run(one, Profile.Linux, target));
    var cold = Time(() => Check(CaseRunner.Run(big, Profile.Linux, target)));
    RunC(tunsend, datagrams, size);
    var warmup = Option("--warmup-seconds", 3);
    var warm = Stopwatch.StartNew();
    var warmRuns = 0;
    for (; warmRuns < 5 || warm.Elapsed.TotalSeconds < warmup; warmRuns++) Check(CaseRunner.Run(big, Profile.Linux, target));
    Console.WriteLine(string.Format(inv, "cold: the first run of the case in this process, {0:N0} datagrams/s ({1:F3} s); then {2} warm-up runs in {3:F1} s",
        datagrams / cold, cold, warmRuns, warm.Elapsed.TotalSeconds));

    var c = new List<double>();
    var endToEnd = new List<double>();
    var steady = new List<double>();
    var fixedCost = new List<double>();
    for (var round = 1; round <= rounds; round++)
    {
        var cRate = RunC(tunsend, datagrams, size);
        var t1 = Time(() => Check(CaseRunner.Run(one, Profile.Linux, target)));
        var tN = Time(() => Check(CaseRunner.Run(big, Profile.Linux, target)));
        c.Add(cRate);
        endToEnd.Add(datagrams / tN);
        steady.Add((datagrams - 1) / (tN - t1));
        fixedCost.Add(t1 * 1000);
        Console.WriteLine(string.Format(inv, "round {0}: C {1:N0}/s; udpconf {2:N0}/s end to end ({3:F3} s for the case), " +
                                             "{4:N0}/s without the per-case setup (a 1-step case: {5:F1} ms)",
            round, cRate, datagrams / tN, tN, (datagrams - 1) / (tN - t1), t1 * 1000));
    }
    var (mc, me, ms) = (Median(c), Median(endToEnd), Median(steady));
    Console.WriteLine();
    Console.WriteLine(string.Format(inv, "median C (tunsend, sendto + read)       {0,10:N0} datagrams/s", mc));
    Console.WriteLine(string.Format(inv, "median udpconf end to end (whole case)  {0,10:N0} datagrams/s  ratio {1:F4} (goal >= 0.5)", me, me / mc));
    Console.WriteLine(string.Format(inv, "median udpconf per step (setup removed) {0,10:N0} datagrams/s  ratio {1:F4}", ms, ms / mc));
    Console.WriteLine(string.Format(inv, "median per-case setup (1-step case)     {0,10:F1} ms", Median(fixedCost)));

    Console.WriteLine();
    Console.WriteLine("breakdown (median of 3, microseconds per datagram):");
    Breakdown(big, datagrams, size);

    if (suite)
    {
        Console.WriteLine();
        var files = CaseLibrary.Load(CaseLibrary.DefaultFolder(root));
        var linux = CaseRunner.Runs(files, [Profile.Linux]);
        var results = new List<CaseResult>();
        // As ./udpconf check runs it: a run per core, namespaces reused between cases on the same host.
        var suiteTime = Time(() =>
        {
            using var suiteTarget = new KernelTarget();
            results.AddRange(CaseRunner.InOrder(linux, run => CaseRunner.Run(run.File, run.Profile, suiteTarget), suiteTarget.Concurrency));
        });
        var freshTime = Time(() =>
        {
            using var freshTarget = new KernelTarget(reuseNamespaces: false);
            foreach (var run in linux) CaseRunner.Run(run.File, run.Profile, freshTarget);
        });
        var tally = string.Join(", ", results.GroupBy(r => r.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"));
        Console.WriteLine(string.Format(inv, "whole suite on the kernel target (linux profile): {0} cases in {1:F2} s (goal < 2 s): {2}",
            linux.Count, suiteTime, tally));
        Console.WriteLine(string.Format(inv, "  the same one at a time, a new namespace per case (as before issue 17): {0:F2} s", freshTime));
        foreach (var slow in results.OrderByDescending(r => r.Duration).Take(5))
            Console.WriteLine(string.Format(inv, "  slowest: {0} {1:F0} ms ({2} steps)", slow.CaseId, slow.Duration.TotalMilliseconds, slow.Case?.Steps.Count ?? 0));
        var applicable = results.Where(r => r.Kind != VerdictKind.NotApplicable).ToArray();
        Console.WriteLine(string.Format(inv, "  mean per case run: {0:F1} ms over {1} runs that reached the kernel",
            applicable.Length == 0 ? 0 : applicable.Average(r => r.Duration.TotalMilliseconds), applicable.Length));
    }
    return 0;
}
finally { work.Delete(recursive: true); }

// A case of n sendto steps on the default host (tun0 192.0.2.1/24, default route via 192.0.2.254).
static Case Case(int n, int size)
{
    var text = new StringBuilder("# benchmark: n datagrams to a documentation address\nclauses: udp_sendmsg.route\nprofiles: linux\n\nsteps:\n  socket s\n");
    for (var i = 0; i < n; i++) text.Append($"  sendto s {size} to 198.51.100.7:9\n    => {size}\n    wire: 1\n");
    var parsed = CaseParser.Parse("benchmark.case", "benchmark/sendto", text.ToString());
    return parsed.Case ?? throw new InvalidOperationException(string.Join("\n", parsed.Diagnostics));
}

static void Check(CaseResult result)
{
    if (result.Kind != VerdictKind.Pass)
        throw new InvalidOperationException($"the benchmark case did not pass: {result.Kind} {result.Reason} " +
            string.Join("; ", result.Steps.Where(s => s.Kind != VerdictKind.Pass).Take(3).SelectMany(s => s.Problems.Select(p => p.ToString()))));
}

// The parts of one udpconf step, each timed alone over n datagrams.
static void Breakdown(Case big, int n, int size)
{
    var inv = CultureInfo.InvariantCulture;
    var host = big.Host;
    var ops = big.Steps.Select(s => s.Operation).ToArray();
    double Us(Func<double> seconds) => Median([seconds(), seconds(), seconds()]) * 1e6 / n;
    void Line(string what, double us) => Console.WriteLine(string.Format(inv, "  {0,-62} {1,8:F2} us", what, us));

    Line("model prediction (Model.Run per step)", Us(() => Time(() => { var m = new Model(host, Profile.Linux); foreach (var op in ops) m.Run(op); })));
    var modelTarget = new ModelTarget(Profile.Linux);
    Line("prediction + model as target + comparison (CaseRunner, model)", Us(() => Time(() => Check(CaseRunner.Run(big, Profile.Linux, modelTarget)))));
    Line("namespace setup, once per case (Sandbox.Run, empty body)", Us(() => Time(() => Sandbox.Run(host, _ => 0))));
    Line("model as target alone (ModelTarget.Run)", Us(() => Time(() => modelTarget.Run(host, ops))));
    Line("raw sendto + read of the TUN fd, as tunsend.c does, from C#", Us(() => InSandbox(host, n, size, capture: false, counters: false)));
    Line("raw sendto + marker capture (Sandbox.Capture)", Us(() => InSandbox(host, n, size, capture: true, counters: false)));
    Line("raw sendto + capture + 1 read of the counters (Sandbox.Counters)", Us(() => InSandbox(host, n, size, capture: true, counters: true)));
    Line("kernel target alone (KernelTarget.Run, no model)", Us(() => Time(() => new KernelTarget().Run(host, ops))));
    Line("  the same, the counters read after every step", Us(() => Time(() => new KernelTarget(countersEveryStep: true).Run(host, ops))));
    Line("udpconf end to end (CaseRunner, kernel)", Us(() => Time(() => Check(CaseRunner.Run(big, Profile.Linux, new KernelTarget())))));
}

// Time inside the namespace only (setup excluded): n × sendto, optionally each followed by the capture and counters.
static unsafe double InSandbox(Udpconf.Reference.Host.HostConfig host, int n, int size, bool capture, bool counters) =>
    Sandbox.Run(host, sandbox =>
    {
        var s = Native.socket(AddressFamily.Inet, SocketType.Dgram | SocketType.CloexecFlag, 0);
        var address = new byte[16] { 2, 0, 0, 9, 198, 51, 100, 7, 0, 0, 0, 0, 0, 0, 0, 0 };
        var payload = new byte[size];
        var buffer = new byte[65536];
        var tun = sandbox.Links["tun0"].Fd;
        sandbox.Capture();
        var clock = Stopwatch.StartNew();
        fixed (byte* a = address) fixed (byte* p = payload)
            for (var i = 0; i < n; i++)
            {
                if (Native.sendto(s, (nint)p, (nuint)size, 0, (nint)a, 16) != size) throw new InvalidOperationException("sendto failed");
                if (counters) sandbox.Counters();
                if (capture) { if (sandbox.Capture().Count != 1) throw new InvalidOperationException("expected one packet"); }
                else ReadOne(tun, buffer);
            }
        var seconds = clock.Elapsed.TotalSeconds;
        Native.close(s);
        return seconds;
    });

// Reads the TUN descriptor (non-blocking) until one UDP packet to 198.51.100.7 arrives.
static unsafe void ReadOne(int fd, byte[] buffer)
{
    fixed (byte* b = buffer)
        while (true)
        {
            var r = Native.read(fd, b, (nuint)buffer.Length);
            if (r >= 28 && b[0] >> 4 == 4 && b[9] == 17 && b[16] == 198 && b[17] == 51 && b[18] == 100 && b[19] == 7) return;
            if (r < 0)
            {
                if (Native.Errno != Native.EAgain) throw new InvalidOperationException($"read tun: errno {Native.Errno}");
                var pfd = new Native.PollFd { Fd = fd, Events = Native.PollIn };
                Native.poll(&pfd, 1, 1000);
            }
        }
}

static double RunC(string tunsend, int n, int size)
{
    var output = Run(tunsend, [n.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture)]);
    var match = Regex.Match(output, @"([0-9.]+) datagrams/s");
    if (!match.Success) throw new InvalidOperationException($"tunsend said: {output}");
    return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
}

static string Run(string file, string[] arguments)
{
    var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in arguments) start.ArgumentList.Add(a);
    using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
    var errors = process.StandardError.ReadToEndAsync();
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {errors.Result}");
    return output;
}

static double Time(Action action)
{
    var clock = Stopwatch.StartNew();
    action();
    return clock.Elapsed.TotalSeconds;
}

static double Median(IReadOnlyList<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Conformance.sln"))) return dir.FullName;
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Conformance.sln"))) return dir.FullName;
    throw new InvalidOperationException("cannot find Conformance.sln above the benchmark");
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
