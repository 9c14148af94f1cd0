using System.Runtime.ExceptionServices;
using FsCheck;
using FsCheck.Experimental;
using FsCheck.Fluent;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Outcome = Udpconf.Reference.Outcome;

namespace Udpconf.Suite.Fuzz;

/// <summary>One step of a differential run: the operation, what the model predicted, what the target did, and the
/// differences (none when they agree, or when either side could not say).</summary>
public sealed record DifferentialStep(Operation Operation, Outcome Predicted, Observation Observed, IReadOnlyList<Problem> Problems)
{
    /// <summary>The problems on one line, as a failing property's label.</summary>
    public string Differences => string.Join("; ", Problems.Select(p => $"{p.What}: expected {p.Expected}, observed {p.Observed} ({p.Clause})"));
}

/// <summary>
/// The "actual" side of the differential machine: a live session of the target under test, with the reference model
/// running beside it as the oracle. Every operation goes to both and is judged by the same <see cref="StepJudge"/>
/// as a case's steps are (symbols bound to what the target chose, every byte compared).
/// </summary>
public sealed class DifferentialRun : IDisposable
{
    private readonly Model oracle;
    private ITargetSession? session;
    private readonly StepJudge judge;
    private readonly List<DifferentialStep> steps = [];

    /// <param name="reset">A session of <paramref name="target"/> on <paramref name="host"/> that was reset
    /// (<see cref="ITargetSession.Reset"/>) to run this sequence in; null: a new one is opened.</param>
    public DifferentialRun(ITarget target, Profile profile, HostConfig host, ITargetSession? reset = null)
        : this(target.Name, profile, host) => session = reset ?? target.Open(host);

    /// <summary>A run that only judges: the target's observations come from elsewhere (<see cref="Judge(IReadOnlyList{Operation}, Func{Observation?}, Func{Exception?})"/>).</summary>
    public DifferentialRun(string targetName, Profile profile, HostConfig host)
    {
        oracle = new Model(host, profile);
        judge = new StepJudge(oracle.Symbols, targetName);
    }

    public IReadOnlyList<DifferentialStep> Steps => steps;
    /// <summary>A step of this run has disagreed already.</summary>
    public bool Failed { get; private set; }
    /// <summary>The target itself failed (a crash, a hang): its session is not to be used again.</summary>
    public bool Broken { get; private set; }

    private ITargetSession Session => session ?? throw new ObjectDisposedException(nameof(DifferentialRun));

    public DifferentialStep Step(Operation operation)
    {
        var predicted = oracle.Run(operation);
        Observation observed;
        try { observed = Session.Run(operation); }
        catch (Exception e) when (e is not OperationCanceledException) { return Broke(operation, predicted, e); }
        return Judge(operation, predicted, observed);
    }

    /// <summary>
    /// A whole sequence decided beforehand, on both cores: the target runs it on its own thread
    /// (<see cref="ITargetSession.RunAll"/>, one crossing for a kernel) while this thread predicts each step and judges
    /// it as its observation arrives, in order, exactly as <see cref="Step"/> one after the other would. Judging stops at
    /// the first disagreement; the target finishes the sequence before this returns, so that its session can be reset.
    /// </summary>
    public IReadOnlyList<DifferentialStep> Sequence(IReadOnlyList<Operation> operations)
    {
        var observed = new Handoff<Observation>();
        Exception? failure = null;
        var session = Session;
        var running = Task.Run(() =>
        {
            try { session.RunAll(operations, observed.Add); }
            catch (Exception e) { failure = e; }
            finally { observed.Complete(); }
        });
        try { Judge(operations, observed.Take, () => { running.Wait(); return failure; }); }
        finally { running.Wait(); }
        if (failure is OperationCanceledException) ExceptionDispatchInfo.Capture(failure).Throw();
        return steps;
    }

    /// <summary>Predicts and judges <paramref name="operations"/> in order against the target's observations as
    /// <paramref name="next"/> hands them over (null: the target stopped, <paramref name="failure"/> says why, waiting for
    /// it to be known). Stops at the first disagreement; a cancellation of the target's run is thrown.</summary>
    public IReadOnlyList<DifferentialStep> Judge(IReadOnlyList<Operation> operations, Func<Observation?> next, Func<Exception?> failure)
    {
        foreach (var operation in operations)
        {
            var predicted = oracle.Run(operation);
            if (next() is not { } observation)
            {
                var why = failure();
                if (why is OperationCanceledException) ExceptionDispatchInfo.Capture(why).Throw();
                Broke(operation, predicted, why ?? new InvalidOperationException("the target stopped without an answer"));
                break;
            }
            if (Judge(operation, predicted, observation).Problems.Count > 0) break;
        }
        return steps;
    }

    private DifferentialStep Judge(Operation operation, Outcome predicted, Observation observed)
    {
        // A fuzz step is a case step with no expectations of its own: the judge compares it with the model only.
        var index = steps.Count;
        // Its text is left empty: nothing of a fuzz step's verdict is printed but its problems (a failing sequence is
        // written out whole by CaseWriter): formatting every operation would be work for nothing.
        var asCaseStep = new Step(index, new SourcePosition("fuzz", index + 1, 1), "", operation, new StepExpectation());
        var problems = judge.Judge(asCaseStep, predicted, observed).Problems;
        var step = new DifferentialStep(operation, predicted, observed, problems);
        steps.Add(step);
        Failed |= problems.Count > 0;
        return step;
    }

    /// <summary>The target broke (a crash, a hang, a namespace that could not be set up): a disagreement like any other.</summary>
    private DifferentialStep Broke(Operation operation, Outcome predicted, Exception e)
    {
        var broken = new DifferentialStep(operation, predicted, new Observation(OutcomeKind.Unmodeled, 0, null, [], Note: e.Message),
            [new Problem(ProblemSource.Target, "target failure", "an answer", e.Message, predicted.Clause)]);
        steps.Add(broken);
        Failed = true;
        Broken = true;
        return broken;
    }

    /// <summary>Hands the session over for the next sequence (to be reset), or null when the target broke; the run is
    /// done.</summary>
    public ITargetSession? Detach()
    {
        var kept = Broken ? null : session;
        if (kept is null) session?.Dispose();
        session = null;
        return kept;
    }

    public void Dispose()
    {
        session?.Dispose();
        session = null;
    }
}

/// <summary>
/// The stateful differential test as an FsCheck.Experimental machine: the generation state is <see cref="FuzzState"/>,
/// the actual is a <see cref="DifferentialRun"/> on any <see cref="ITarget"/>. <see cref="Fuzzer"/> takes its generator
/// and shrinker (StateMachine.Generate and Shrink) and runs each sequence whole; run as a property (ToProperty), it
/// runs them step by step.
/// </summary>
public sealed class DifferentialMachine(ITarget target, Profile profile, int maxOperations)
    : Machine<DifferentialRun, FuzzState>(maxOperations)
{
    /// <summary>The operations of a generated run, in order.</summary>
    public static Operation[] Operations(MachineRun<DifferentialRun, FuzzState> run) =>
        run.Operations.Select(step => ((StepOperation)step.Item1).Operation).ToArray();

    public override Arbitrary<Setup<DifferentialRun, FuzzState>> Setup =>
        Arb.From(Gen.Constant<Setup<DifferentialRun, FuzzState>>(new RunSetup(target, profile)));

    public override TearDown<DifferentialRun> TearDown => new RunTearDown();

    public override Gen<Operation<DifferentialRun, FuzzState>> Next(FuzzState state) =>
        FuzzGenerators.Next(state).Select(operation => (Operation<DifferentialRun, FuzzState>)new StepOperation(operation, target.Features));

    private sealed class RunSetup(ITarget target, Profile profile) : Setup<DifferentialRun, FuzzState>
    {
        public override DifferentialRun Actual() => new(target, profile, FuzzGenerators.HostFor(target.Features));
        public override FuzzState Model() => FuzzState.Initial;
        public override string ToString() => $"{target.Name} against model:{profile.Name}";
    }

    private sealed class RunTearDown : TearDown<DifferentialRun>
    {
        public override void Actual(DifferentialRun run) => run.Dispose();
        public override string ToString() => "close";
    }

    /// <summary>One operation of the run; prints as the line a case file would have.</summary>
    /// <param name="features">The target's: an operation needing one it lacks (shutdown and sendmmsg of an
    /// implementation speaking protocol version 1) is never run.</param>
    public sealed class StepOperation(Operation operation, IReadOnlySet<Feature>? features = null) : Operation<DifferentialRun, FuzzState>
    {
        public Operation Operation { get; } = operation;

        /// <summary>Whether the target has every feature the operation needs, decided once (FsCheck asks for every
        /// state it tries the operation in).</summary>
        private readonly bool supported = features is null || Feature.ImpliedBy(operation).All(features.Contains);

        public override bool Pre(FuzzState state) => supported && Operation switch
        {
            SocketOp op => !state.Sockets.ContainsKey(op.Name),
            HostChangeOp => true,
            _ => Operation.DescriptorOf(Operation)?.Name is not { } name || state.Sockets.ContainsKey(name),
        };

        public override FuzzState Run(FuzzState state) => state.After(Operation);

        public override Property Check(DifferentialRun run, FuzzState state)
        {
            var step = run.Step(Operation);
            return (step.Problems.Count == 0).Label(step.Differences);
        }

        public override string ToString() => CaseWriter.Operation(Operation);
    }
}
