using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;

namespace Udpconf.Suite.Reports;

/// <summary>The wording every report shares, so that the terminal summary, JUnit, JSON and Markdown say the
/// same thing about a failure in the same words.</summary>
public static class ReportText
{
    /// <summary>The case's folder (its id up to the last '/'), JUnit's classname; "cases" for a case at the top.</summary>
    public static string Folder(string caseId)
    {
        var slash = caseId.LastIndexOf('/');
        return slash < 0 ? "cases" : caseId[..slash];
    }

    /// <summary>A file name for one result: the id with '/' as '-', then the profile.</summary>
    public static string FileStem(CaseResult result) => $"{result.CaseId.Replace('/', '-')}.{result.Profile}";

    public static bool IsFailure(CaseResult result) => result.Kind is VerdictKind.Fail or VerdictKind.Error;

    public static bool IsFailure(StepVerdict step) => step.Kind is VerdictKind.Fail or VerdictKind.Error;

    public static string Describe(Problem problem) =>
        $"[{problem.SourceName}] {problem.What}: expected {problem.Expected}, observed {problem.Observed}" +
        (problem.Clause is null ? "" : $" ({problem.Clause})");

    public static string StepTitle(StepVerdict step) => $"step {step.Step.Index + 1} at {step.Step.Position}: {step.Step.Text}";

    /// <summary>One line saying why a result is not a pass: the first problem of the first failing step, else the
    /// result's or the step's reason (a malformed case gives its first diagnostic).</summary>
    public static string FirstProblem(CaseResult result)
    {
        foreach (var step in result.Steps.Where(IsFailure))
        {
            if (step.Problems.Count > 0) return $"step {step.Step.Index + 1} `{step.Step.Text}`: {Describe(step.Problems[0])}";
            if (step.Reason is not null) return $"step {step.Step.Index + 1} `{step.Step.Text}`: {step.Reason}";
        }
        return FirstLine(Reason(result) ?? result.Kind.ToString());
    }

    /// <summary>Every problem of a result, one per line, grouped by step: the body of a JUnit failure and of a
    /// terminal listing.</summary>
    public static string AllProblems(CaseResult result)
    {
        var lines = new List<string>();
        if (result.Reason is not null) lines.Add(result.Reason);
        foreach (var step in result.Steps.Where(IsFailure))
        {
            lines.Add(StepTitle(step));
            if (step.Reason is not null) lines.Add($"  {step.Reason}");
            if (step.Predicted is { } predicted) lines.Add($"  predicted: {predicted}");
            if (step.Observed is { } observed) lines.Add($"  observed:  {observed.Describe()}");
            lines.AddRange(step.Problems.Select(p => "  " + Describe(p)));
        }
        return string.Join("\n", lines);
    }

    /// <summary>The reason of a result, or of its first step that has one (a case that is not applicable because
    /// every step is unmodeled carries its reasons on the steps).</summary>
    public static string? Reason(CaseResult result) =>
        result.Reason ?? result.Steps.Select(s => s.Reason).FirstOrDefault(r => r is not null);

    public static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    /// <summary>How much of one step a report spells out: a hostile or broken implementation may answer one call with
    /// thousands of packets, and a case may fail on thousands of steps. Beyond these a report says how many it left
    /// out; the failure pcap keeps every packet. A legal datagram has at most 1,366 fragments (65,535 bytes at MTU 68),
    /// so only such a datagram, or a stream of them, is ever cut.</summary>
    public const int PacketsShown = 200, FailingStepsShown = 100;

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    /// <summary>The packets a step's observation put on a captured link (lo is not one), as the comparison counts them.</summary>
    public static IReadOnlyList<byte[]> ObservedOnWire(Observation? observation) =>
        observation?.Packets.Where(p => Comparer.OnWire(p.Interface)).Select(p => p.Bytes).ToArray() ?? [];

    /// <summary>The steps of a result that were not applicable: the model does not say (the case's own expectations
    /// were still checked) or the target could not run them.</summary>
    public static IReadOnlyList<StepVerdict> NotApplicableSteps(CaseResult result) =>
        result.Steps.Where(s => s.Kind == VerdictKind.NotApplicable).ToArray();

    /// <summary>The results a reader should see as not applicable in whole or in part: not applicable, or with a step
    /// that was.</summary>
    public static bool HasNotApplicable(CaseResult result) =>
        result.Kind == VerdictKind.NotApplicable || result.Steps.Any(s => s.Kind == VerdictKind.NotApplicable);

    /// <summary>"N step(s) not applicable" with the step numbers and the first reason, for a result with such steps.</summary>
    public static string NotApplicableStepsText(CaseResult result)
    {
        var steps = NotApplicableSteps(result);
        if (steps.Count == 0) return "";
        return $"{steps.Count} step{(steps.Count == 1 ? "" : "s")} not applicable ({string.Join(", ", steps.Select(s => s.Step.Index + 1))}): " +
               FirstLine(steps[0].Reason ?? "not applicable");
    }

    /// <summary>Counts of verdict kinds, in the order reports show them, and the not-applicable steps of all the
    /// results (a passing case may have some: they are counted, never silent).</summary>
    public sealed record Tally(int Pass, int Fail, int Error, int NotApplicable, int NotApplicableSteps = 0)
    {
        public int Total => Pass + Fail + Error + NotApplicable;

        public static Tally Of(IEnumerable<CaseResult> results)
        {
            var list = results.ToArray();
            return new Tally(
                list.Count(r => r.Kind == VerdictKind.Pass), list.Count(r => r.Kind == VerdictKind.Fail),
                list.Count(r => r.Kind == VerdictKind.Error), list.Count(r => r.Kind == VerdictKind.NotApplicable),
                list.Sum(r => r.Steps.Count(s => s.Kind == VerdictKind.NotApplicable)));
        }

        public override string ToString() => $"{Pass} passed, {Fail} failed, {Error} errors, {NotApplicable} not applicable" +
            (NotApplicableSteps == 0 ? "" : $"; {NotApplicableSteps} step{(NotApplicableSteps == 1 ? "" : "s")} not applicable");
    }
}
