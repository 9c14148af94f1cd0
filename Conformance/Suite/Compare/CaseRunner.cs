using System.Diagnostics;
using Udpconf.Reference;
using Udpconf.Reference.Symbols;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets;

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
        var missing = @case.Features.Where(f => !target.Features.Contains(f)).ToArray();
        if (missing.Length > 0) return Result(VerdictKind.NotApplicable, [], $"{target.Name} lacks {string.Join(", ", missing)}");

        var model = new Model(@case.Host, profile);
        var predictions = @case.Steps.Select(step => model.Run(step.Operation)).ToArray();

        TargetRun run;
        try
        {
            run = target.Run(@case.Host, @case.Steps.Select(s => s.Operation).ToArray(), cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Result(VerdictKind.Error, [], $"{target.Name} failed: {e.Message}");
        }
        if (run.Failure is not null) return Result(VerdictKind.Error, [], run.Failure);

        var bindings = new Bindings();
        var comparer = new Comparer(model.Symbols, bindings);
        var verdicts = new List<StepVerdict>();
        for (var i = 0; i < @case.Steps.Count; i++)
        {
            var step = @case.Steps[i];
            var predicted = predictions[i];
            if (i >= run.Observations.Count)
            {
                verdicts.Add(new StepVerdict(step, VerdictKind.Error, [], predicted, [], null, $"{target.Name} gave no observation"));
                continue;
            }
            var observed = run.Observations[i];
            if (predicted.Kind == OutcomeKind.Unmodeled || observed.Kind == OutcomeKind.Unmodeled)
            {
                var why = predicted.Kind == OutcomeKind.Unmodeled ? $"the model does not say: {predicted.Note}" : $"{target.Name} could not run it: {observed.Note}";
                verdicts.Add(new StepVerdict(step, VerdictKind.NotApplicable, [], predicted, [], observed, why));
                continue;
            }
            var (problems, expected, notes) = comparer.Compare(predicted, observed);
            problems.AddRange(CaseExpectations.Check(step, predicted, observed));
            // A build-dependent answer is a pass, and says so: reports show the note as the step's reason.
            verdicts.Add(new StepVerdict(step, problems.Count == 0 ? VerdictKind.Pass : VerdictKind.Fail, problems, predicted, expected, observed,
                notes.Count == 0 ? null : string.Join("; ", notes)));
        }
        var kind = verdicts.Any(v => v.Kind == VerdictKind.Error) ? VerdictKind.Error
            : verdicts.Any(v => v.Kind == VerdictKind.Fail) ? VerdictKind.Fail
            : verdicts.All(v => v.Kind == VerdictKind.NotApplicable) ? VerdictKind.NotApplicable
            : VerdictKind.Pass;
        return Result(kind, verdicts, null);
    }

    /// <summary>A case file that did not parse: an error verdict carrying every diagnostic.</summary>
    public static CaseResult Malformed(string id, string file, IReadOnlyList<Diagnostic> diagnostics, string profile, string target) =>
        new(id, file, null, profile, target, VerdictKind.Error, [], string.Join(Environment.NewLine, diagnostics), TimeSpan.Zero);
}
