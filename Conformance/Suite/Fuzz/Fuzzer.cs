using FsCheck;
using FsCheck.Experimental;
using FsCheck.Fluent;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Exec;
using Outcome = Udpconf.Reference.Outcome;

namespace Udpconf.Suite.Fuzz;

/// <summary>A failure the fuzzer found, shrunk: the operations up to the first disagreement, and that sequence as a
/// case file (the model's answers as its expectations) ready to be added under Conformance/cases.</summary>
public sealed record FuzzFailure(IReadOnlyList<DifferentialStep> Steps, int Shrinks, string CaseText)
{
    public DifferentialStep Failing => Steps[^1];
}

/// <summary>What a fuzz campaign did.</summary>
public sealed record FuzzResult(ulong Seed, int Sequences, long Operations, FuzzFailure? Failure);

/// <summary>
/// Runs the differential machine: <c>count</c> random operation sequences from <c>seed</c>, each on a fresh instance of
/// the target beside the model; the first disagreement is shrunk by FsCheck to a minimal sequence. The same seed gives
/// the same sequences.
/// </summary>
public static class Fuzzer
{
    public static FuzzResult Run(ITarget target, Profile profile, int count, ulong seed, int maxOperations = 40, Action<int>? progress = null)
    {
        IReadOnlyList<DifferentialStep>? shrunk = null;
        long operations = 0;
        var failures = 0;
        var host = FuzzGenerators.HostFor(target.Features);
        var machine = new DifferentialMachine(target, profile, maxOperations);
        // FsCheck generates the sequences and shrinks a failing one, as its state machine does (the same generator and
        // shrinker, so a seed gives the same sequences); each sequence then runs whole (DifferentialRun.Sequence): the
        // target on its thread, the model judging beside it, in a session reset from the last sequence where the target
        // can (ITargetSession.Reset) instead of a new namespace or process per sequence (Sessions).
        using var sessions = new Sessions();
        Property Sequence(MachineRun<DifferentialRun, FuzzState> run)
        {
            var sequence = DifferentialMachine.Operations(run);
            using var differential = new DifferentialRun(target, profile, host, sessions.Next());
            var steps = differential.Sequence(sequence);
            operations += steps.Count;
            sessions.Keep(differential.Detach());
            if (!differential.Failed) return true.ToProperty();
            shrunk = steps.ToArray();
            failures++;
            return false.Label(steps[^1].Differences);
        }
        var runner = new Runner(progress);
        var config = Config.Quick
            .WithMaxTest(count)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed), FSharpOption<int>.None)))
            .WithRunner(runner);
        var runs = Arb.From(StateMachine.Generate(machine), run => StateMachine.Shrink(machine, run));
        Check.One(config, Prop.ForAll(runs, Sequence));
        // A false property carries an exception too; only one without a recorded disagreement is a fault of ours.
        if (shrunk is null && runner.Exception is { } exception)
            throw new InvalidOperationException($"the fuzz run stopped on an exception: {exception.Message}", exception);
        var failure = shrunk is null ? null : new FuzzFailure(shrunk, Math.Max(0, failures - 1), CaseText(target, profile, seed, shrunk));
        return new FuzzResult(seed, runner.Tests, operations, failure);
    }

    /// <summary>
    /// The sessions of a campaign's sequences: the last one reset for the next where the target can
    /// (<see cref="ITargetSession.Reset"/>: a kernel namespace, whose setup and teardown take milliseconds, mostly
    /// waiting on the kernel); otherwise null (the run opens its session) and the old one closed.
    /// </summary>
    private sealed class Sessions : IDisposable
    {
        private ITargetSession? idle;

        /// <summary>A session for the next sequence: the last one reset, or null.</summary>
        public ITargetSession? Next()
        {
            var session = idle;
            idle = null;
            if (session is null) return null;
            try
            {
                if (session.Reset()) return session;
            }
            catch (Exception e) when (e is not OperationCanceledException) { /* a reset that failed: a new session instead */ }
            session.Dispose();
            return null;
        }

        /// <summary>The session a sequence ran in, for the next (null: its target broke).</summary>
        public void Keep(ITargetSession? session) => idle = session;

        public void Dispose() => idle?.Dispose();
    }

    /// <summary>The shrunk sequence as a case: the fuzz host, every operation, and under each the model's result and
    /// packet count; the title says where it came from and what differed.</summary>
    public static string CaseText(ITarget target, Profile profile, ulong seed, IReadOnlyList<DifferentialStep> steps)
    {
        var failing = steps[^1];
        var targetOption = target is ExecTarget exec ? "exec:" + exec.Command : target.Name.StartsWith("kernel", StringComparison.Ordinal) ? "kernel" : target.Name;
        var title = $"Found by udpconf fuzz --target {targetOption} --seed {seed} (profile {profile.Name}) on {target.Name}: at step {steps.Count}, " +
                    string.Join("; ", failing.Problems.Select(p => $"{p.What}: model {p.Expected}, target {p.Observed}"));
        var clauses = failing.Problems.Select(p => p.Clause).Append(failing.Predicted.Clause).OfType<Clause>().Distinct().Select(c => c.Id).ToArray();
        var expectations = steps.Select(step => (IReadOnlyList<string>)Expectations(step.Predicted)).ToArray();
        return CaseWriter.Write(title, clauses, [profile.Name], [], FuzzGenerators.HostFor(target.Features), steps.Select(s => s.Operation).ToArray(), expectations);
    }

    private static List<string> Expectations(Outcome predicted)
    {
        var lines = new List<string>();
        switch (predicted.Kind)
        {
            case OutcomeKind.Value: lines.Add($"=> {predicted.Value}"); break;
            case OutcomeKind.Error: lines.Add($"=> {predicted.Error}"); break;
            default: return lines;
        }
        var packets = predicted.Datagrams.Where(d => Comparer.OnWire(d.Interface)).Sum(d => d.PacketCount);
        lines.Add(packets == 0 ? "wire: none" : $"wire: {packets}");
        return lines;
    }

    /// <summary>Counts the sequences, reports progress, and keeps an exception FsCheck caught (a target that broke).</summary>
    private sealed class Runner(Action<int>? progress) : IRunner
    {
        public int Tests { get; private set; }
        public Exception? Exception { get; private set; }

        public void OnStartFixture(Type t) { }

        public void OnArguments(int ntest, FSharpList<object> args, FSharpFunc<int, FSharpFunc<FSharpList<object>, string>> every)
        {
            Tests = ntest + 1;
            progress?.Invoke(ntest + 1);
        }

        public void OnShrink(FSharpList<object> args, FSharpFunc<FSharpList<object>, string> everyShrink) { }

        public void OnFinished(string name, TestResult result)
        {
            if (result is TestResult.Failed { Item4: FsCheck.Outcome.Failed { Item: { } exception } }) Exception = exception;
        }
    }
}
