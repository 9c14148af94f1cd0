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
public sealed record DifferentialStep(Operation Operation, Outcome Predicted, Observation Observed, IReadOnlyList<Problem> Problems);

/// <summary>
/// The "actual" side of the differential machine: a live session of the target under test, with the reference model
/// running beside it as the oracle. Every operation goes to both and is judged by the same <see cref="StepJudge"/>
/// as a case's steps are (symbols bound to what the target chose, every byte compared).
/// </summary>
public sealed class DifferentialRun : IDisposable
{
    private readonly Model oracle;
    private readonly ITargetSession session;
    private readonly StepJudge judge;
    private readonly List<DifferentialStep> steps = [];

    public DifferentialRun(ITarget target, Profile profile, HostConfig host)
    {
        oracle = new Model(host, profile);
        judge = new StepJudge(oracle.Symbols, target.Name);
        session = target.Open(host);
    }

    public IReadOnlyList<DifferentialStep> Steps => steps;
    /// <summary>A step of this run has disagreed already.</summary>
    public bool Failed { get; private set; }

    public DifferentialStep Step(Operation operation)
    {
        var predicted = oracle.Run(operation);
        Observation observed;
        try { observed = session.Run(operation); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The target broke (a crash, a hang, a namespace that could not be set up): a disagreement like any other.
            var broken = new DifferentialStep(operation, predicted, new Observation(OutcomeKind.Unmodeled, 0, null, [], Note: e.Message),
                [new Problem(ProblemSource.Target, "target failure", "an answer", e.Message, predicted.Clause)]);
            steps.Add(broken);
            Failed = true;
            return broken;
        }
        // A fuzz step is a case step with no expectations of its own: the judge compares it with the model only.
        var index = steps.Count;
        var asCaseStep = new Step(index, new SourcePosition("fuzz", index + 1, 1), CaseWriter.Operation(operation), operation, new StepExpectation());
        var problems = judge.Judge(asCaseStep, predicted, observed).Problems;
        var step = new DifferentialStep(operation, predicted, observed, problems);
        steps.Add(step);
        Failed |= problems.Count > 0;
        return step;
    }

    public void Dispose() => session.Dispose();
}

/// <summary>
/// The stateful differential test as an FsCheck.Experimental machine: the generation state is <see cref="FuzzState"/>,
/// the actual is a <see cref="DifferentialRun"/> on any <see cref="ITarget"/>. A failing run is shrunk by dropping
/// operations; <paramref name="onFailure"/> sees every failing run, so the last one it sees is the shrunk one.
/// </summary>
public sealed class DifferentialMachine(ITarget target, Profile profile, int maxOperations,
    Action<IReadOnlyList<DifferentialStep>>? onFailure = null, Action? onOperation = null)
    : Machine<DifferentialRun, FuzzState>(maxOperations)
{
    public override Arbitrary<Setup<DifferentialRun, FuzzState>> Setup =>
        Arb.From(Gen.Constant<Setup<DifferentialRun, FuzzState>>(new RunSetup(target, profile)));

    public override TearDown<DifferentialRun> TearDown => new RunTearDown();

    public override Gen<Operation<DifferentialRun, FuzzState>> Next(FuzzState state) =>
        FuzzGenerators.Next(state).Select(operation => (Operation<DifferentialRun, FuzzState>)new StepOperation(operation, onFailure, onOperation, target.Features));

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
    public sealed class StepOperation(Operation operation, Action<IReadOnlyList<DifferentialStep>>? onFailure, Action? onOperation,
        IReadOnlySet<Feature>? features = null) : Operation<DifferentialRun, FuzzState>
    {
        public Operation Operation { get; } = operation;

        public override bool Pre(FuzzState state) => Feature.ImpliedBy(Operation).All(f => features?.Contains(f) != false) && Operation switch
        {
            SocketOp op => !state.Sockets.ContainsKey(op.Name),
            HostChangeOp => true,
            _ => Operation.DescriptorOf(Operation)?.Name is not { } name || state.Sockets.ContainsKey(name),
        };

        public override FuzzState Run(FuzzState state) => state.After(Operation);

        public override Property Check(DifferentialRun run, FuzzState state)
        {
            onOperation?.Invoke();
            var first = !run.Failed;
            var step = run.Step(Operation);
            if (step.Problems.Count > 0 && first) onFailure?.Invoke(run.Steps.ToArray());
            return (step.Problems.Count == 0).Label(string.Join("; ", step.Problems.Select(p => $"{p.What}: expected {p.Expected}, observed {p.Observed} ({p.Clause})")));
        }

        public override string ToString() => CaseWriter.Operation(Operation);
    }
}
