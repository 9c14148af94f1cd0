using System.Diagnostics;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;
using Udpconf.Reference.Symbols;

namespace Udpconf.Suite.Compare;

/// <summary>Runs one case on one target: the model predicts under the profile, the target runs, and each step is
/// judged against both the prediction and the case's own expectations.</summary>
public static class CaseRunner
{
    public static CaseResult Run(Case @case, Profile profile, ITarget target, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        CaseResult Result(VerdictKind kind, IReadOnlyList<StepVerdict> steps, string? reason) =>
            new(@case.Id, @case.File, @case, profile.Name, target.Name, kind, steps, reason, clock.Elapsed);

        if (!@case.AppliesTo(profile.Name)) return Result(VerdictKind.NotApplicable, [], $"the case is not for profile {profile.Name}");
        var missing = @case.Requires.Where(f => !target.Features.Contains(f)).ToArray();
        if (missing.Length > 0) return Result(VerdictKind.NotApplicable, [], $"{target.Name} lacks {string.Join(", ", missing)}");

        // The target runs on another thread and hands over each observation as it has it; the steps are judged here as
        // they arrive (on both cores for a target that runs step after step). The verdicts count only if the run ends well.
        TargetRun run;
        List<StepVerdict> verdicts;
        var observed = new Handoff<Observation>();
        // A case that states a step's counters needs that step's own: the target reads them after every step then.
        var countersEveryStep = @case.Steps.Any(s => s.Expectation.Counters.Count > 0);
        // A thread of its own (LongRunning): the run blocks while the target works, and blocked pool threads starve the
        // pool when cases run several at a time (check went from 3.8 to 5.2 s with pool threads).
        var running = Task.Factory.StartNew(() =>
        {
            try { return target.Run(@case.Host, @case.Steps.Select(s => s.Operation).ToArray(), observed.Add, cancellation, countersEveryStep); }
            finally { observed.Complete(); }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try { verdicts = new Following(@case, profile, target.Name).Judge(observed.Take); }
        catch { running.ContinueWith(_ => { }).Wait(); throw; }
        try
        {
            run = running.GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Result(VerdictKind.Error, [], $"{target.Name} failed: {e.Message}");
        }
        if (run.Failure is not null) return Result(VerdictKind.Error, [], run.Failure);

        // A case passes when something was checked and held: a step compared with the model, or a case's own
        // expectation on a step the model does not say. One whose every check was skipped is not applicable.
        if (verdicts.Any(v => v.Kind == VerdictKind.Error)) return Result(VerdictKind.Error, verdicts, null);
        if (verdicts.Any(v => v.Kind == VerdictKind.Fail)) return Result(VerdictKind.Fail, verdicts, null);
        if (verdicts.Any(v => v.Kind == VerdictKind.Pass || v.CaseChecks > 0)) return Result(VerdictKind.Pass, verdicts, null);
        var first = verdicts.FirstOrDefault(v => v.Reason is not null);
        return Result(VerdictKind.NotApplicable, verdicts,
            "nothing could be checked: every step is not applicable and none has an expectation of the case that could be checked" +
            (first is null ? "" : $" (step {first.Step.Index + 1}: {first.Reason})"));
    }

    /// <summary>The runs of <paramref name="cases"/> under <paramref name="profiles"/>, profile by profile, in the
    /// cases' order. A case written for one profile only is not run under the other: it is not "not applicable" there,
    /// it is simply not a case of that profile. Malformed files are kept for every profile, so that every report names
    /// them.</summary>
    public static IReadOnlyList<(Profile Profile, CaseFile File)> Runs(IReadOnlyList<CaseFile> cases, IReadOnlyList<Profile> profiles) =>
        profiles.SelectMany(profile => cases
                .Where(file => file.Case is null || file.Case.AppliesTo(profile.Name))
                .Select(file => (profile, file)))
            .ToArray();

    /// <summary>One case file on one target: the case's verdict, or the error verdict of a file that did not parse.</summary>
    public static CaseResult Run(CaseFile file, Profile profile, ITarget target, CancellationToken cancellation = default) =>
        file.Case is { } @case
            ? Run(@case, profile, target, cancellation)
            : Malformed(file.Id, file.Path, file.Diagnostics, profile.Name, target.Name);

    /// <summary>Every run of <see cref="Runs"/>, one after the other, each on the target <paramref name="target"/> gives
    /// for its profile; lazily, so that a caller can show progress or stop between runs.</summary>
    public static IEnumerable<CaseResult> RunAll(IReadOnlyList<CaseFile> cases, IReadOnlyList<Profile> profiles, Func<Profile, ITarget> target,
        CancellationToken cancellation = default) =>
        Runs(cases, profiles).Select(run => Run(run.File, run.Profile, target(run.Profile), cancellation));

    /// <summary>
    /// <paramref name="run"/> of every item, up to <paramref name="degree"/> at a time, each on a thread of its own, the results
    /// handed out in the items' order as each one's turn comes (so reports, progress and an interruption see the order
    /// of a run one at a time). Leaving the enumeration early waits for the runs already started.
    /// </summary>
    public static IEnumerable<T> InOrder<TItem, T>(IReadOnlyList<TItem> items, Func<TItem, T> run, int degree)
    {
        if (degree <= 1)
        {
            foreach (var item in items) yield return run(item);
            yield break;
        }
        var window = new Queue<Task<T>>();
        var next = 0;
        try
        {
            while (next < items.Count || window.Count > 0)
            {
                while (next < items.Count && window.Count < degree)
                {
                    var item = items[next++];
                    window.Enqueue(Task.Factory.StartNew(() => run(item), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
                }
                yield return window.Dequeue().GetAwaiter().GetResult();
            }
        }
        finally
        {
            foreach (var started in window)
                try { started.Wait(); }
                catch (AggregateException) { /* a run abandoned with the enumeration: its result is not wanted */ }
        }
    }

    /// <summary>A case file that did not parse: an error verdict carrying every diagnostic.</summary>
    public static CaseResult Malformed(string id, string file, IReadOnlyList<Diagnostic> diagnostics, string profile, string target) =>
        new(id, file, null, profile, target, VerdictKind.Error, [], string.Join(Environment.NewLine, diagnostics), TimeSpan.Zero);

    /// <summary>
    /// Judges a run's steps one after the other with a model that follows the target past a difference where it can,
    /// so that a case says something about every step, not only up to its first difference. Where the target refused
    /// (an errno) a call the model let through, and the call leaves nothing behind when it fails (bind, connect,
    /// setsockopt, shutdown, nonblock, a send), the model is replayed without that call and goes on from the target's
    /// state. Where the target let through a bind, connect, setsockopt or shutdown the model refused, or refused a
    /// socket the model made, the socket's state is unknown from then on: its later steps are still judged,
    /// a pass stays a pass, and a difference is not applicable, shown with what differs (it may follow from the first).
    /// A call of those kinds the target could not run at all (not applicable: the adapter has no way to make it) is
    /// taken out of the model the same way, since it did nothing on the target.
    /// </summary>
    private sealed class Following(Case @case, Profile profile, string targetName)
    {
        private readonly List<int> ran = [];
        private readonly Dictionary<string, int> diverged = [];
        private bool followed;
        /// <summary>The case was written for the profile's family (linux for linux-6.1): its own expectations describe
        /// the newest kernel, and one the line's model does not meet either is not checked.</summary>
        private readonly bool inherited = @case.Inherits(profile.Name);
        private Model model = new(@case.Host, profile);
        private StepJudge? judge;

        /// <param name="next">The target's next observation, in order; null once it has no more.</param>
        public List<StepVerdict> Judge(Func<Observation?> next)
        {
            judge = new StepJudge(model.Symbols, targetName);
            var verdicts = new List<StepVerdict>(@case.Steps.Count);
            for (var i = 0; i < @case.Steps.Count; i++)
            {
                var step = @case.Steps[i];
                var name = SocketName(step.Operation);
                if (step.Operation is SocketOp && name is not null) diverged.Remove(name);
                // Predicted before the observation is waited for: the model's state depends only on the steps before,
                // so the prediction is made while the target runs the step.
                var predicted = model.Run(step.Operation);
                var observed = next();
                ran.Add(i);
                var verdict = judge.Judge(step, predicted, observed);
                // The RFC-level judgement of what the target sent, apart from the model (reports read it; the
                // differential machine, which judges through the same StepJudge, does not pay for it).
                if (observed is { Packets.Count: > 0 }) verdict = verdict with { Rfc = RfcRules.Check(observed.Packets, @case.Host) };
                if ((followed || inherited) && verdict.Kind == VerdictKind.Fail) verdict = WithoutStaleExpectations(verdict, step, predicted);
                if (name is not null && diverged.TryGetValue(name, out var since) && verdict.Kind == VerdictKind.Fail)
                {
                    // What differs may follow from the earlier difference: shown, not counted as a failure.
                    verdicts.Add(verdict with
                    {
                        Kind = VerdictKind.NotApplicable,
                        Reason = $"{targetName}'s socket {name} has been in a state the model cannot follow since step {since + 1}; " +
                                 $"it differs here too: {string.Join("; ", verdict.Problems.Select(p => $"{p.What}: expected {p.Expected}, observed {p.Observed}"))}",
                    });
                    continue;
                }
                verdicts.Add(verdict);
                if (verdict.Kind == VerdictKind.Fail && observed is not null) Follow(i, step.Operation, predicted, observed, name);
                // A call the target could not run did nothing there: the model goes on without it, as for a refusal.
                else if (observed is { Kind: OutcomeKind.Unmodeled } && predicted.Kind is OutcomeKind.Value or OutcomeKind.Error && Undoable(step.Operation))
                    Replay(i);
                // A socket the target could not make: what it answers for that name later is not the socket's.
                else if (observed is { Kind: OutcomeKind.Unmodeled } && step.Operation is SocketOp && predicted.Kind == OutcomeKind.Value && name is not null)
                    diverged[name] = i;
            }
            return verdicts;
        }

        private void Follow(int index, Operation operation, Outcome predicted, Observation observed, string? name)
        {
            var refused = observed.Kind == OutcomeKind.Error && predicted.Kind == OutcomeKind.Value;
            var accepted = observed.Kind == OutcomeKind.Value && predicted.Kind == OutcomeKind.Error;
            if (refused && Undoable(operation))
            {
                // The target did not do it: neither does the model.
                Replay(index);
            }
            else if ((refused && operation is SocketOp || accepted && operation is BindOp or ConnectOp or SetSockOptOp or ShutdownOp) && name is not null)
            {
                // A socket the target did not make, or a call that set state the model does not know. (A send the
                // target made where the model refused leaves the socket as it was: the same departure, judged again.)
                diverged[name] = index;
            }
        }

        /// <summary>Calls that leave nothing behind where they fail: the model can be replayed without one.</summary>
        private static bool Undoable(Operation operation) =>
            operation is BindOp or ConnectOp or SetSockOptOp or ShutdownOp or SetNonblockOp or SendToOp or SendMsgOp;

        /// <summary>After the model followed the target, the case's own expectations were written for a run that did
        /// not happen: one the followed model does not meet either is stale, and its problem is dropped (and named in
        /// the step's reason). The model's symbols are given the model target's values for this check.</summary>
        private StepVerdict WithoutStaleExpectations(StepVerdict verdict, Step step, Outcome predicted)
        {
            if (!verdict.Problems.Any(p => p.Source == ProblemSource.Case)) return verdict;
            var own = ModelTarget.Observe(predicted, Bindings.FromSeed(1, model.Symbols));
            var stale = CaseExpectations.Check(step, predicted, own).Select(p => p.What).ToHashSet(StringComparer.Ordinal);
            if (stale.Count == 0) return verdict;
            var kept = verdict.Problems.Where(p => p.Source != ProblemSource.Case || !stale.Contains(p.What)).ToArray();
            var why = followed
                ? $"the model followed {targetName} past an earlier difference and does not meet them either"
                : $"they are {profile.Family}'s, and the {profile.Name} model does not meet them either";
            var note = $"the case's own expectation(s) on {string.Join(", ", stale.Order(StringComparer.Ordinal))} not checked: {why}";
            return verdict with
            {
                Problems = kept,
                Kind = kept.Length == 0 ? VerdictKind.Pass : VerdictKind.Fail,
                Reason = verdict.Reason is null ? note : verdict.Reason + "; " + note,
            };
        }

        /// <summary>The model replayed without step <paramref name="index"/>.</summary>
        private void Replay(int index)
        {
            followed = true;
            ran.Remove(index);
            model = new Model(@case.Host, profile);
            foreach (var k in ran) model.Run(@case.Steps[k].Operation);
            judge!.Rebase(model.Symbols);
        }

        private static string? SocketName(Operation operation) =>
            operation is SocketOp socket ? socket.Name : Operation.DescriptorOf(operation)?.Name;
    }
}
