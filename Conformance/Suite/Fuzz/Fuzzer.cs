using System.Collections.Concurrent;
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
    /// <summary>How many sequences the target may run ahead of the judging: enough that it never waits for the next.</summary>
    private const int Ahead = 2;

    public static FuzzResult Run(ITarget target, Profile profile, int count, ulong seed, int maxOperations = 40, Action<int>? progress = null)
    {
        var host = FuzzGenerators.HostFor(target.Features);
        var machine = new DifferentialMachine(target, profile, maxOperations);
        // FsCheck's state machine generates the sequences (StateMachine.Generate; sequence i from a random stream of its
        // own, seeded from the seed and i, so a seed gives the same sequences) and shrinks a failing one
        // (StateMachine.Shrink).
        // The campaign runs them through a pipeline: the target runs each whole on its own thread, reset between
        // sequences (ITargetSession.Reset), up to Ahead sequences ahead of this thread, which generates the next
        // sequences and predicts and judges each step as its observation arrives. Only the shrinking goes through
        // FsCheck's runner, one sequence at a time.
        var generator = StateMachine.Generate(machine);
        MachineRun<DifferentialRun, FuzzState> Draw(int index) => generator.Sample(size: maxOperations, seed: new Rnd(StreamSeed(seed, index)), numberOfSamples: 1)[0];
        long operations = 0;
        var sequences = 0;
        using var pipeline = new Pipeline(target, host);
        // A sequence the pipeline ran, judged: its steps up to the first disagreement, and whether there was one.
        (IReadOnlyList<DifferentialStep> Steps, bool Failed) Judged(Pipeline.Job job)
        {
            var judged = new DifferentialRun(target.Name, profile, host);
            var steps = judged.Judge(job.Operations, job.Next, job.Failure);
            operations += steps.Count;
            return (steps, judged.Failed);
        }
        MachineRun<DifferentialRun, FuzzState>? failing = null;
        IReadOnlyList<DifferentialStep> shrunk = [];
        var queued = new Queue<(MachineRun<DifferentialRun, FuzzState> Run, Pipeline.Job Job)>();
        var drawn = 0;
        void Queue()
        {
            var run = Draw(drawn);
            queued.Enqueue((run, pipeline.Submit(DifferentialMachine.Operations(run))));
            drawn++;
        }
        while (drawn < count && queued.Count < Ahead) Queue();
        while (queued.Count > 0)
        {
            var (run, job) = queued.Dequeue();
            if (drawn < count) Queue();
            sequences++;
            progress?.Invoke(sequences);
            var (steps, failed) = Judged(job);
            if (!failed) continue;
            (failing, shrunk) = (run, steps.ToArray());
            break;
        }
        if (failing is null) return new FuzzResult(seed, sequences, operations, null);
        // The sequences handed over ahead of the failing one are not to be run.
        foreach (var (_, left) in queued) left.Abandon();

        // Shrinking: FsCheck's runner on the failing sequence alone, each candidate through the same pipeline.
        var failures = 0;
        Property Sequence(MachineRun<DifferentialRun, FuzzState> run)
        {
            var (steps, failed) = Judged(pipeline.Submit(DifferentialMachine.Operations(run)));
            if (!failed) return true.ToProperty();
            shrunk = steps.ToArray();
            failures++;
            return false.Label(steps[^1].Differences);
        }
        var runner = new Runner();
        var config = Config.Quick.WithMaxTest(1).WithQuietOnSuccess(true).WithRunner(runner);
        Check.One(config, Prop.ForAll(Arb.From(Gen.Constant(failing), run => StateMachine.Shrink(machine, run)), Sequence));
        // A false property carries an exception too; only one without a recorded disagreement is a fault of ours.
        if (failures == 0 && runner.Exception is { } exception)
            throw new InvalidOperationException($"the fuzz run stopped on an exception: {exception.Message}", exception);
        return new FuzzResult(seed, sequences, operations, new FuzzFailure(shrunk, Math.Max(0, failures - 1), CaseText(target, profile, seed, shrunk)));
    }

    /// <summary>The seed of sequence <paramref name="index"/>'s random stream: SplitMix64's output function of the
    /// campaign's seed advanced <paramref name="index"/> steps, so that neighbouring seeds and indexes give unrelated
    /// streams.</summary>
    internal static ulong StreamSeed(ulong seed, int index)
    {
        var z = unchecked(seed + (ulong)(index + 1) * 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>
    /// The target's side of a campaign: one thread that runs the sequences handed to it in order, each whole
    /// (<see cref="ITargetSession.RunAll"/>) in the session of the one before, reset (or a new session where the
    /// target cannot reset one, or its last run broke), handing each observation to the sequence's job as it is made.
    /// Disposing it stops it: sequences not yet begun are not run. The campaign and its shrinking both go through it.
    /// </summary>
    private sealed class Pipeline : IDisposable
    {
        public sealed class Job(IReadOnlyList<Operation> operations)
        {
            public IReadOnlyList<Operation> Operations { get; } = operations;
            internal readonly Handoff<Observation> Observed = new();
            private Exception? failure;

            /// <summary>The next observation, waiting for it; null when the target stopped (<see cref="Failure"/>).</summary>
            public Observation? Next() => Observed.Take();

            /// <summary>Why the target stopped before the sequence's end (null: it did not).</summary>
            public Exception? Failure() => Volatile.Read(ref failure);

            internal void Fail(Exception e) => Volatile.Write(ref failure, e);

            /// <summary>Not to be run, if it has not begun: the judging has stopped before it.</summary>
            public void Abandon() => abandoned = true;

            internal volatile bool abandoned;
        }

        private readonly BlockingCollection<Job> jobs = [];
        private readonly Task worker;
        private volatile bool stopping;

        public Pipeline(ITarget target, HostConfig host) =>
            worker = Task.Factory.StartNew(() => Work(target, host), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        public Job Submit(IReadOnlyList<Operation> operations)
        {
            var job = new Job(operations);
            jobs.Add(job);
            return job;
        }

        private void Work(ITarget target, HostConfig host)
        {
            ITargetSession? session = null;
            try
            {
                foreach (var job in jobs.GetConsumingEnumerable())
                {
                    try
                    {
                        if (stopping || job.abandoned) continue;
                        if (session is not null && !Reset(session))
                        {
                            session.Dispose();
                            session = null;
                        }
                        session ??= target.Open(host);
                        session.RunAll(job.Operations, job.Observed.Add);
                    }
                    catch (Exception e)
                    {
                        // A target that broke: the judge reports it at the step it stopped at; the next sequence gets a
                        // new session.
                        job.Fail(e);
                        session?.Dispose();
                        session = null;
                    }
                    finally { job.Observed.Complete(); }
                }
            }
            finally { session?.Dispose(); }
        }

        private static bool Reset(ITargetSession session)
        {
            try { return session.Reset(); }
            catch (Exception e) when (e is not OperationCanceledException) { return false; }
        }

        public void Dispose()
        {
            stopping = true;
            jobs.CompleteAdding();
            worker.Wait();
            jobs.Dispose();
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

    /// <summary>Keeps an exception FsCheck caught while shrinking (a target that broke, a fault of ours).</summary>
    private sealed class Runner : IRunner
    {
        public Exception? Exception { get; private set; }

        public void OnStartFixture(Type t) { }

        public void OnArguments(int ntest, FSharpList<object> args, FSharpFunc<int, FSharpFunc<FSharpList<object>, string>> every) { }

        public void OnShrink(FSharpList<object> args, FSharpFunc<FSharpList<object>, string> everyShrink) { }

        public void OnFinished(string name, TestResult result)
        {
            if (result is TestResult.Failed { Item4: FsCheck.Outcome.Failed { Item: { } exception } }) Exception = exception;
        }
    }
}
