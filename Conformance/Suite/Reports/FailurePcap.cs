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
    /// <summary>How many pcap records the text dissects.</summary>
    public const int DissectedRecords = 1000;

    public static string Describe(CaseResult result)
    {
        var text = new StringBuilder();
        text.AppendLine($"# {result.CaseId} ({result.Profile}) on {result.Target}: {result.Kind}");
        if (result.Clauses.Count > 0) text.AppendLine("# clauses: " + string.Join(" ", result.Clauses));
        if (result.Reason is not null) text.AppendLine(result.Reason);
        var records = Records(result).ToList();
        // Where each step's records start, and how many it has of each side: one pass, not one per step.
        var byStep = new Dictionary<StepVerdict, (int First, int Expected, int Observed)>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < records.Count; i++)
        {
            var (first, expected, observed) = byStep.GetValueOrDefault(records[i].Step, (i, 0, 0));
            byStep[records[i].Step] = records[i].Expected ? (first, expected + 1, observed) : (first, expected, observed + 1);
        }
        foreach (var step in result.Steps.Where(ReportText.IsFailure))
        {
            text.AppendLine();
            text.AppendLine(ReportText.StepTitle(step));
            if (step.Predicted is { } predicted) text.AppendLine($"  expected: {predicted}");
            if (step.Observed is { } observed) text.AppendLine($"  observed: {observed.Describe()}");
            if (step.Reason is not null) text.AppendLine($"  {step.Reason}");
            foreach (var problem in step.Problems) text.AppendLine("  " + ReportText.Describe(problem));
            var (first, expected, observedCount) = byStep.GetValueOrDefault(step, (-1, 0, 0));
            text.AppendLine(first < 0
                ? "  no packets expected or observed"
                : $"  pcap records {first + 1}-{first + expected + observedCount}: {expected} expected, then {observedCount} observed");
        }
        text.AppendLine();
        // Every record is in the pcap; the text dissects a bounded number of them (a hostile implementation may send
        // thousands per step).
        var shown = records.Take(DissectedRecords).Select(r => r.Bytes).ToArray();
        text.Append(Dissection.Describe(shown, i => records[i].Label));
        if (records.Count > DissectedRecords) text.AppendLine($"… {records.Count - DissectedRecords} more records: open the pcap");
        return text.ToString();
    }
}
