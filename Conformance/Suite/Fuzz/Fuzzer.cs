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
        using var sessions = new Sessions(target, host);
        Property Sequence(MachineRun<DifferentialRun, FuzzState> run)
        {
            var sequence = DifferentialMachine.Operations(run);
            using var differential = new DifferentialRun(target, profile, host, sessions.For(sequence));
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
    /// The sessions of a campaign's sequences: the last one reset for the next where it can be; otherwise, for a target
    /// that runs several instances at once (<see cref="ITarget.Concurrency"/>, the kernel), one of a few opened ahead on
    /// threads of their own, and the old one closed on another: a kernel namespace takes tens of milliseconds to set up
    /// and tear down, mostly waiting on the kernel, and a sequence with MSG_ZEROCOPY needs a new one. For any other
    /// target, null (the run opens its session) and the old one closed here.
    /// </summary>
    private sealed class Sessions(ITarget target, HostConfig host) : IDisposable
    {
        /// <summary>Measured with fuzz --count 500 on the kernel: 3 ahead 7.9-8.5 s, 6 ahead 9.1-10.1 s, none 20 s.</summary>
        private readonly int ahead = target.Concurrency > 1 ? 3 : 0;
        private readonly Queue<Task<ITargetSession>> opened = new();
        private readonly List<Task> closing = [];
        private ITargetSession? idle;

        /// <summary>A session for <paramref name="next"/>: the last one reset, one opened ahead, or null.</summary>
        public ITargetSession? For(IReadOnlyList<Operation> next)
        {
            var session = idle;
            idle = null;
            if (session is not null)
            {
                try
                {
                    if (session.Reset(next)) return session;
                }
                catch (Exception e) when (e is not OperationCanceledException) { /* a reset that failed: a new session instead */ }
                Close(session);
            }
            if (ahead == 0) return null;
            Fill();
            var first = opened.Dequeue();
            Fill();
            return first.GetAwaiter().GetResult();
        }

        /// <summary>The session a sequence ran in, for the next (null: its target broke).</summary>
        public void Keep(ITargetSession? session) => idle = session;

        private void Fill()
        {
            while (opened.Count < ahead)
                opened.Enqueue(Task.Factory.StartNew(() => target.Open(host), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        }

        private void Close(ITargetSession session)
        {
            if (ahead == 0) session.Dispose();
            else closing.Add(Task.Factory.StartNew(session.Dispose, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        }

        /// <summary>Every session closed, those opened ahead and not used too, before the campaign returns.</summary>
        public void Dispose()
        {
            idle?.Dispose();
            foreach (var task in opened)
                try { task.GetAwaiter().GetResult().Dispose(); }
                catch (Exception e) when (e is not OperationCanceledException) { /* it never opened: nothing to close */ }
            try { Task.WaitAll(closing); }
            catch (AggregateException) { /* a session that failed to close: its namespace goes with its thread */ }
        }
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
