using System.Text;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Pcap;

namespace Udpconf.Suite.Reports;

/// <summary>
/// A pcap of one failing result for Wireshark: for each failing step, the packets the model expected, then the
/// packets the target put on the wire. The pcap itself cannot say which is which, so <see cref="Describe"/> writes
/// the companion text that labels every record by its number in the file.
/// </summary>
public static class FailurePcap
{
    /// <summary>One record of the failure pcap: which step it belongs to and whether it was expected or observed.</summary>
    public sealed record Record(StepVerdict Step, bool Expected, int Index, int Count, byte[] Bytes)
    {
        public string Label => $"step {Step.Step.Index + 1} {(Expected ? "expected" : "observed")} {Index + 1}/{Count}";
    }

    public static IReadOnlyList<Record> Records(CaseResult result)
    {
        var records = new List<Record>();
        foreach (var step in result.Steps.Where(ReportText.IsFailure))
        {
            var expected = step.ExpectedPackets;
            var observed = ReportText.ObservedOnWire(step.Observed);
            records.AddRange(expected.Select((bytes, i) => new Record(step, true, i, expected.Count, bytes)));
            records.AddRange(observed.Select((bytes, i) => new Record(step, false, i, observed.Count, bytes)));
        }
        return records;
    }

    public static byte[] Write(CaseResult result) => PcapFile.Write(Records(result).Select(r => r.Bytes));

    /// <summary>The readable companion of <see cref="Write"/>: per failing step its operation, the expected and
    /// observed results and the problems, then every record of the pcap labelled and dissected.</summary>
    public static string Describe(CaseResult result)
    {
        var text = new StringBuilder();
        text.AppendLine($"# {result.CaseId} ({result.Profile}) on {result.Target}: {result.Kind}");
        if (result.Clauses.Count > 0) text.AppendLine("# clauses: " + string.Join(" ", result.Clauses));
        if (result.Reason is not null) text.AppendLine(result.Reason);
        var records = Records(result).ToList();
        foreach (var step in result.Steps.Where(ReportText.IsFailure))
        {
            text.AppendLine();
            text.AppendLine(ReportText.StepTitle(step));
            if (step.Predicted is { } predicted) text.AppendLine($"  expected: {predicted}");
            if (step.Observed is { } observed) text.AppendLine($"  observed: {observed.Describe()}");
            if (step.Reason is not null) text.AppendLine($"  {step.Reason}");
            foreach (var problem in step.Problems) text.AppendLine("  " + ReportText.Describe(problem));
            var first = records.FindIndex(r => ReferenceEquals(r.Step, step));
            var mine = records.Where(r => ReferenceEquals(r.Step, step)).ToArray();
            text.AppendLine(mine.Length == 0
                ? "  no packets expected or observed"
                : $"  pcap records {first + 1}-{first + mine.Length}: {mine.Count(r => r.Expected)} expected, then {mine.Count(r => !r.Expected)} observed");
        }
        text.AppendLine();
        text.Append(Dissection.Describe(records.Select(r => r.Bytes).ToArray(), i => records[i].Label));
        return text.ToString();
    }
}
