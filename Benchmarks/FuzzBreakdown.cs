using System.Diagnostics;
using System.Globalization;
using FsCheck;
using FsCheck.Experimental;
using FsCheck.Fluent;
using Udpconf.Reference;
using Udpconf.Suite.Fuzz;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets.Model;

namespace Udpconf.Benchmarks;

/// <summary>Where the time of a fuzz campaign goes (issue 17, point 4): the same sequences generated, then run on
/// the model and on the kernel, each part timed alone, operations per second.</summary>
public static class FuzzBreakdown
{
    public static void Run(int sequences, int maxOperations)
    {
        var inv = CultureInfo.InvariantCulture;
        var kernel = new KernelTarget();
        var host = FuzzGenerators.HostFor(kernel.Features);
        var machine = new DifferentialMachine(kernel, Profile.Linux, maxOperations);
        var generator = StateMachine.Generate(machine);
        generator.Sample(maxOperations, 20); // warm-up: JIT
        var clock = Stopwatch.StartNew();
        var runs = generator.Sample(sequences, maxOperations).ToArray();
        var generation = clock.Elapsed.TotalSeconds;
        var ops = runs.Select(DifferentialMachine.Operations).ToArray();
        var total = ops.Sum(o => o.Length);
        void Line(string what, double seconds) =>
            Console.WriteLine(string.Format(inv, "  {0,-66} {1,10:N0} ops/s {2,8:F1} us/op", what, total / seconds, seconds * 1e6 / total));
        Console.WriteLine($"fuzz breakdown: {runs.Length} sequences, {total} operations");
        Line("generation (FsCheck, StateMachine.Generate)", generation);
        Line("  of which drawing operations (FuzzGenerators.Next, one Sample each)", Time(() =>
        {
            foreach (var seq in ops)
            {
                var state = FuzzState.Initial;
                foreach (var _ in seq) state = state.After(FuzzGenerators.Next(state).Sample(1, maxOperations)[0]);
            }
        }));
        Line("model prediction alone (Model.Run)", Time(() => { foreach (var seq in ops) { var m = new Model(host, Profile.Linux); foreach (var op in seq) m.Run(op); } }));
        var model = new ModelTarget(Profile.Linux);
        Line("model target, sequence judged (DifferentialRun.Sequence)", Time(() => { foreach (var seq in ops) { using var run = new DifferentialRun(model, Profile.Linux, host); run.Sequence(seq); } }));
        Line("kernel target alone, a new namespace per sequence", Time(() => { foreach (var seq in ops) { using var s = kernel.Open(host); s.RunAll(seq, _ => { }); } }));
        Line("kernel target alone, one namespace reset per sequence", Time(() =>
        {
            using var s = kernel.Open(host);
            ITargetSession session = s;
            foreach (var seq in ops)
            {
                if (!session.Reset()) { if (session != s) session.Dispose(); session = kernel.Open(host); }
                session.RunAll(seq, _ => { });
            }
            if (session != s) session.Dispose();
        }));
        Line("kernel target, judged, reset per sequence (as udpconf fuzz)", Time(() =>
        {
            ITargetSession? idle = null;
            foreach (var seq in ops)
            {
                if (idle is not null && !idle.Reset()) { idle.Dispose(); idle = null; }
                using var run = new DifferentialRun(kernel, Profile.Linux, host, idle);
                run.Sequence(seq);
                if (run.Failed) throw new InvalidOperationException("a disagreement: " + run.Steps[^1].Problems[0]);
                idle = run.Detach();
            }
            idle?.Dispose();
        }));
        // The campaign itself, as udpconf fuzz runs it (its own sequences, from seed 1): generation, the target's
        // pipeline and the judging together, after a short campaign for the JIT; .NET's start is not in it.
        void Campaign(string what, ITarget target)
        {
            Fuzzer.Run(target, Profile.Linux, 20, 2, maxOperations);
            FuzzResult? result = null;
            var seconds = Time(() => result = Fuzzer.Run(target, Profile.Linux, sequences, 1, maxOperations));
            if (result!.Failure is { } failure) throw new InvalidOperationException("a disagreement: " + failure.Failing.Differences);
            Console.WriteLine(string.Format(inv, "  {0,-66} {1,10:N0} ops/s {2,8:F1} us/op ({3} operations)", what, result.Operations / seconds,
                seconds * 1e6 / result.Operations, result.Operations));
        }
        Campaign("campaign on the kernel (Fuzzer.Run, as udpconf fuzz)", kernel);
        Campaign("campaign on the model (Fuzzer.Run, as udpconf fuzz)", model);
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
