using Udpconf.Reference;
using Udpconf.Reference.Symbols;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets;

namespace Udpconf.Suite.Compare;

/// <summary>
/// Judges the steps of one run, one after the other: the model's prediction and the case's own expectations
/// against what the target did. One judge per run, because the symbols the prediction leaves open (identification,
/// ephemeral port) are bound to the target's values at their first packet and held for the rest of the run. The
/// case runner and the differential machine both judge through it, so a step means the same in a case and in a fuzz run.
/// </summary>
public sealed class StepJudge(IReadOnlyList<Symbol> symbols, string targetName)
{
    private Comparer comparer = new(symbols, new Bindings());

    /// <summary>Judges from now on against a model replayed after a difference (<see cref="CaseRunner"/>): its symbols
    /// are new, and the bindings start afresh, since a replayed model may give a name to another datagram's symbol.</summary>
    public void Rebase(IReadOnlyList<Symbol> replayed)
    {
        comparer = new Comparer(replayed, new Bindings());
        Uncounted("the model was replayed past a difference");
    }

    /// <summary>The steps since the target last read its counters: each one's predicted changes, and why a sum over it
    /// would say nothing (it was not compared, or differed on its own), or null. A target that reads the counters once
    /// for a run of steps (<see cref="Observation.CounterSteps"/>) is compared with the sum of the run's predictions.</summary>
    private readonly List<(CounterDelta Predicted, string? Uncounted)> sinceRead = [];

    private void Uncounted(string why)
    {
        if (sinceRead.Count > 0 && sinceRead[^1].Uncounted is null) sinceRead[^1] = sinceRead[^1] with { Uncounted = why };
    }

    /// <summary>What an observation's counters are to equal: this step's prediction, or the sum over the steps they
    /// cover; null when they are not compared (<paramref name="note"/> says why, where it is a sum).</summary>
    private CounterDelta? Counters(Observation observed, out string? note)
    {
        note = null;
        if (observed.Counters is null) return null;
        var steps = observed.CounterSteps;
        var first = sinceRead.Count - steps;
        var why = first < 0 ? $"the judge saw fewer than {steps} steps" : null;
        var sum = default(CounterDelta);
        for (var i = Math.Max(0, first); i < sinceRead.Count; i++)
        {
            why ??= sinceRead[i].Uncounted;
            sum += sinceRead[i].Predicted;
        }
        sinceRead.Clear();
        if (why is null) return sum;
        if (steps > 1) note = $"counters over the last {steps} steps not compared: {why}";
        return null;
    }

    /// <summary>The verdict of <paramref name="step"/>: NotApplicable when the target observed nothing, or when the
    /// model does not say and the case's own expectations (checked against the target) hold; Fail on any problem;
    /// Pass otherwise, with a note when the target gave an answer that depends on its build.</summary>
    public StepVerdict Judge(Step step, Outcome predicted, Observation? observed)
    {
        if (observed is null) return new StepVerdict(step, VerdictKind.Error, [], predicted, [], null, $"{targetName} gave no observation");
        sinceRead.Add((predicted.Counters, null));
        if (observed.Kind == OutcomeKind.Unmodeled || predicted.Kind == OutcomeKind.Unmodeled)
        {
            // Neither the step's own counters nor a sum over steps with it are known.
            Uncounted($"step {step.Index + 1} is not modeled or was not run");
            if (observed.Counters is not null) sinceRead.Clear();
        }
        if (observed.Kind == OutcomeKind.Unmodeled)
        {
            // Nothing was observed: neither the model's prediction nor the case's own expectations can be checked.
            var why = predicted.Kind != OutcomeKind.Unmodeled ? $"{targetName} could not run it: {observed.Note}"
                : observed.Note == predicted.Note ? $"the model does not say, and {targetName} did not run it: {predicted.Note}"
                : $"the model does not say: {predicted.Note}; {targetName} could not run it: {observed.Note}";
            var stated = CaseExpectations.Count(step);
            if (stated > 0) why += $"; {stated} expectation(s) of the case not checked: nothing was observed";
            return new StepVerdict(step, VerdictKind.NotApplicable, [], predicted, [], observed, why);
        }
        var own = CaseExpectations.Evaluate(step, predicted, observed);
        if (predicted.Kind == OutcomeKind.Unmodeled)
        {
            // The model says nothing, so there is nothing to compare with; the case's own expectations need no
            // model and are checked against what the target did: one that fails fails the step.
            var why = $"the model does not say: {predicted.Note}" + OwnChecks(own);
            return new StepVerdict(step, own.Problems.Count == 0 ? VerdictKind.NotApplicable : VerdictKind.Fail,
                own.Problems, predicted, [], observed, why, own.Checked);
        }
        var counters = Counters(observed, out var uncompared);
        var (problems, expected, notes) = comparer.Compare(predicted, observed, counters);
        if (uncompared is not null) notes.Add(uncompared);
        // A step that differs on its own: the sum of a later read over it would only repeat that.
        if (problems.Count > 0 && observed.Counters is null) Uncounted($"step {step.Index + 1} differed");
        problems.AddRange(own.Problems);
        // A build-dependent answer is a pass, and says so: reports show the note as the step's reason.
        return new StepVerdict(step, problems.Count == 0 ? VerdictKind.Pass : VerdictKind.Fail, problems, predicted, expected, observed,
            notes.Count == 0 ? null : string.Join("; ", notes), own.Checked);
    }

    private static string OwnChecks(ExpectationCheck own) =>
        (own.Problems.Count > 0 ? $"; the case's own expectations were checked against the target ({own.Problems.Count} problem(s))"
            : own.Checked > 0 ? $"; the case's own expectations held ({own.Checked} checked)"
            : "; the case expects nothing of it that could be checked without the model") +
        (own.Unchecked.Count > 0 ? $"; not checked: {string.Join(", ", own.Unchecked)}" : "");
}
