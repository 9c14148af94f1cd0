using System.Diagnostics;
using Udpconf.Reference;
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
        var missing = @case.Requires.Where(f => !target.Features.Contains(f)).ToArray();
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

        var judge = new StepJudge(model.Symbols, target.Name);
        var verdicts = @case.Steps.Select((step, i) => judge.Judge(step, predictions[i], i < run.Observations.Count ? run.Observations[i] : null)).ToList();
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

    /// <summary>A case file that did not parse: an error verdict carrying every diagnostic.</summary>
    public static CaseResult Malformed(string id, string file, IReadOnlyList<Diagnostic> diagnostics, string profile, string target) =>
        new(id, file, null, profile, target, VerdictKind.Error, [], string.Join(Environment.NewLine, diagnostics), TimeSpan.Zero);
}
