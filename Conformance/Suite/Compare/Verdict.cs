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
    /// <summary>The packets of the step that break an RFC (<see cref="RfcRules"/>), judged apart from the model: a
    /// finding does not change <see cref="Kind"/>, which says whether the target did what Linux does.</summary>
    public IReadOnlyList<RfcFinding> Rfc { get; init; } = [];

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

    /// <summary>The verdict of the run on one clause: an error, a not-applicable run and a pass are the run's; a failing
    /// run fails the clause where a step failed under it (<see cref="ClauseVerdicts"/>), passes it where the clause held,
    /// and says nothing of it (not applicable) where no step was judged under it.</summary>
    public VerdictKind VerdictOn(string clause) => Kind switch
    {
        // A failing run no step of which says what failed (none of the runner's: their failures are steps) fails
        // every clause it names.
        VerdictKind.Fail when !Steps.Any(s => s.Kind == VerdictKind.Fail) => Clauses.Contains(clause) ? VerdictKind.Fail : VerdictKind.NotApplicable,
        VerdictKind.Fail => ClauseVerdicts.TryGetValue(clause, out var verdict) ? verdict : VerdictKind.NotApplicable,
        _ => Kind,
    };

    /// <summary>Every RFC finding of the run, with its step (1-based).</summary>
    public IEnumerable<(int Step, RfcFinding Finding)> RfcFindings =>
        Steps.SelectMany(s => s.Rfc.Select(f => (s.Step.Index + 1, f)));

    /// <summary>What the run says of each clause its judged steps bore on, beyond the first difference: a clause
    /// fails where a failing step has a problem under it, and holds where a passing step's model went through it (its
    /// trace) and no step failed under it. Steps the model could not follow and steps not applicable say nothing.</summary>
    public IReadOnlyDictionary<string, VerdictKind> ClauseVerdicts
    {
        get
        {
            // Computed once per result (the matrix asks it for every clause of every result), kept outside the record
            // so that equality is not touched; a copy made with `with` is another result and computes its own.
            return ClauseVerdictCache.GetValue(this, result => result.ComputeClauseVerdicts());
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CaseResult, IReadOnlyDictionary<string, VerdictKind>> ClauseVerdictCache = new();

    private SortedDictionary<string, VerdictKind> ComputeClauseVerdicts()
    {
        var verdicts = new SortedDictionary<string, VerdictKind>(StringComparer.Ordinal);
        foreach (var step in Steps)
        {
            if (step.Kind == VerdictKind.Fail)
            {
                foreach (var clause in step.Problems.Select(p => p.Clause).OfType<Clause>()) verdicts[clause.Id] = VerdictKind.Fail;
                // A problem under no clause is charged to every clause the case names.
                if (step.Problems.Any(p => p.Clause is null))
                    foreach (var clause in Clauses) verdicts[clause] = VerdictKind.Fail;
            }
            else if (step.Kind == VerdictKind.Pass && step.Predicted is { } predicted)
                foreach (var clause in predicted.Trace.Append(predicted.Clause)) verdicts.TryAdd(clause.Id, VerdictKind.Pass);
        }
        return verdicts;
    }
}
