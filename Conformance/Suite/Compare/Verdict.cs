using Udpconf.Reference;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets;

namespace Udpconf.Suite.Compare;

public enum VerdictKind { Pass, Fail, NotApplicable, Error }

/// <summary>The one place verdicts get their names, as reports write them and tools match them: pass, fail, error,
/// not-applicable.</summary>
public static class VerdictNames
{
    public static readonly IReadOnlyList<VerdictKind> All = [VerdictKind.Pass, VerdictKind.Fail, VerdictKind.Error, VerdictKind.NotApplicable];

    public static string Name(this VerdictKind kind) => kind switch
    {
        VerdictKind.Pass => "pass",
        VerdictKind.Fail => "fail",
        VerdictKind.Error => "error",
        VerdictKind.NotApplicable => "not-applicable",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a verdict"),
    };

    /// <summary>The verdict a name stands for, or null for another word.</summary>
    public static VerdictKind? Parse(string? name) => All.Cast<VerdictKind?>().FirstOrDefault(k => k!.Value.Name() == name);
}

/// <summary>Who expected what a problem says was not observed.</summary>
public enum ProblemSource
{
    /// <summary>The model's prediction.</summary>
    Model,
    /// <summary>The case file's own expectation.</summary>
    Case,
    /// <summary>The target itself: it broke instead of answering.</summary>
    Target,
}

/// <summary>One difference found at a step: which clause it concerns and what was expected and observed.</summary>
/// <param name="Source">Who expected it.</param>
public sealed record Problem(ProblemSource Source, string What, string Expected, string Observed, Clause? Clause)
{
    /// <summary>The source as reports write it: model, case, target.</summary>
    public string SourceName => Source.ToString().ToLowerInvariant();
}

/// <summary>The verdict of one step, with everything needed to show expected against observed.</summary>
/// <param name="Kind">NotApplicable: the model does not say (its case's own expectations, checked against the target,
/// held) or the target could not run it.</param>
/// <param name="CaseChecks">How many of the case's own expectations on this step were checked against the target.</param>
public sealed record StepVerdict(
    Step Step,
    VerdictKind Kind,
    IReadOnlyList<Problem> Problems,
    Outcome? Predicted,
    IReadOnlyList<byte[]> ExpectedPackets,
    Observation? Observed,
    string? Reason = null,
    int CaseChecks = 0)
{
    /// <summary>The clauses this step bears on: the deciding clause of the prediction and those of the problems.</summary>
    public IReadOnlyList<Clause> Clauses =>
        Problems.Select(p => p.Clause).Append(Predicted?.Clause).OfType<Clause>().Distinct().ToArray();
}

/// <summary>The verdict of one case on one target under one profile.</summary>
public sealed record CaseResult(
    string CaseId,
    string File,
    Case? Case,
    string Profile,
    string Target,
    VerdictKind Kind,
    IReadOnlyList<StepVerdict> Steps,
    string? Reason,
    TimeSpan Duration)
{
    public IReadOnlyList<string> Clauses => Case?.Clauses ?? [];
}
