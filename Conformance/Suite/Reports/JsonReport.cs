using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Udpconf.Reference;
using Udpconf.Suite.Compare;

namespace Udpconf.Suite.Reports;

/// <summary>
/// The whole run as JSON for tools: every result (case × profile × target), every step with the case's own
/// expectation, the model's prediction (with its deciding clause), the target's observation, the problems with
/// their clauses, and every packet as lowercase hex. Written field by field so that the layout is stable and does
/// not follow renames of the C# records. <c>notApplicableSteps</c> (in the summary and per result) counts the steps
/// that were not applicable, passing cases' included; <c>caseChecks</c> per step counts the case's own expectations
/// checked against the target.
/// </summary>
public static class JsonReport
{
    public const int FormatVersion = 1;

    /// <param name="partial">Why the run stopped early (an interruption), or null for a whole run.</param>
    /// <param name="shard">The part of a sharded run this report holds ("I/N", <c>--shard</c>), or null for a whole run:
    /// merge checks with it that no part is missing.</param>
    public static string Write(IReadOnlyList<CaseResult> results, string? partial = null, string? shard = null)
    {
        using var buffer = new MemoryStream();
        Write(buffer, results, partial, shard);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes the report to <paramref name="stream"/> as it goes: a run of many long cases makes a report of
    /// tens of MB, which is not held in memory twice (bytes, then a string).</summary>
    public static void Write(Stream stream, IReadOnlyList<CaseResult> results, string? partial = null, string? shard = null) =>
        Write(stream, results, ReportText.Tally.Of(results), partial, shard, Result);

    /// <summary>The report's frame (format, partial, shard, the summary of <paramref name="tally"/>) around results each
    /// written by <paramref name="write"/>: a run's own, or a merge's copied from its parts.</summary>
    public static void Write<T>(Stream stream, IReadOnlyList<T> results, ReportText.Tally tally, string? partial, string? shard,
        Action<Utf8JsonWriter, T> write)
    {
        // Relaxed escaping keeps '<', '>' and '+' readable in problem texts; the output is a file, never HTML.
        var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(stream, options))
        {
            json.WriteStartObject();
            json.WriteNumber("format", FormatVersion);
            if (partial is not null) json.WriteString("partial", partial);
            if (shard is not null) json.WriteString("shard", shard);
            json.WriteStartObject("summary");
            json.WriteNumber("total", tally.Total);
            json.WriteNumber("pass", tally.Pass);
            json.WriteNumber("fail", tally.Fail);
            json.WriteNumber("error", tally.Error);
            json.WriteNumber("notApplicable", tally.NotApplicable);
            json.WriteNumber("notApplicableSteps", tally.NotApplicableSteps);
            json.WriteEndObject();
            json.WriteStartArray("results");
            foreach (var result in results)
            {
                write(json, result);
                json.Flush();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
    }

    private static void Result(Utf8JsonWriter json, CaseResult result)
    {
        json.WriteStartObject();
        json.WriteString("case", result.CaseId);
        json.WriteString("file", result.File);
        json.WriteString("folder", ReportText.Folder(result.CaseId));
        if (result.Case is { } @case) json.WriteString("title", @case.Title);
        json.WriteString("profile", result.Profile);
        json.WriteString("target", result.Target);
        json.WriteString("verdict", result.Kind.Name());
        json.WriteString("reason", result.Reason);
        json.WriteNumber("notApplicableSteps", ReportText.NotApplicableSteps(result).Count);
        json.WriteNumber("durationMs", Math.Round(result.Duration.TotalMilliseconds, 3));
        Strings(json, "clauses", result.Clauses);
        if (result.Case is { } c)
        {
            Strings(json, "profiles", c.Profiles);
            Strings(json, "features", c.Features.Select(f => f.Name));
        }
        json.WriteStartArray("steps");
        foreach (var step in result.Steps)
        {
            Step(json, step);
            if (json.BytesPending > 1 << 20) json.Flush(); // out to the stream every MiB, not held to the end
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Step(Utf8JsonWriter json, StepVerdict step)
    {
        json.WriteStartObject();
        json.WriteNumber("index", step.Step.Index + 1);
        json.WriteString("position", step.Step.Position.ToString());
        json.WriteNumber("line", step.Step.Position.Line);
        json.WriteString("operation", step.Step.Text);
        json.WriteString("verdict", step.Kind.Name());
        json.WriteString("reason", step.Reason);
        json.WriteNumber("caseChecks", step.CaseChecks);
        Strings(json, "clauses", step.Clauses.Select(c => c.Id));

        var expectation = step.Step.Expectation;
        json.WriteStartObject("caseExpects");
        json.WriteString("result", expectation.Result?.ToString());
        if (expectation.PacketCount is { } count) json.WriteNumber("packets", count);
        else json.WriteNull("packets");
        json.WriteEndObject();

        if (step.Predicted is { } predicted)
        {
            json.WriteStartObject("predicted");
            json.WriteString("kind", predicted.Kind.ToString());
            json.WriteString("result", ResultText(predicted));
            json.WriteString("clause", predicted.Clause.Id);
            json.WriteString("note", predicted.Note);
            Strings(json, "trace", predicted.Trace.Select(c => c.Id));
            json.WriteEndObject();
        }
        else json.WriteNull("predicted");
        Packets(json, "expectedPackets", step.ExpectedPackets.Select(p => ((string?)null, p)));

        if (step.Observed is { } observed)
        {
            json.WriteStartObject("observed");
            json.WriteString("kind", observed.Kind.ToString());
            json.WriteString("result", observed.Describe());
            json.WriteString("note", observed.Note);
            if (observed.OptionValue is { } option) json.WriteString("optionValue", ReportText.Hex(option.Span));
            Packets(json, "packets", observed.Packets.Select(p => ((string?)p.Interface, p.Bytes)));
            json.WriteEndObject();
        }
        else json.WriteNull("observed");

        json.WriteStartArray("problems");
        foreach (var problem in step.Problems)
        {
            json.WriteStartObject();
            json.WriteString("source", problem.SourceName);
            json.WriteString("what", problem.What);
            json.WriteString("expected", problem.Expected);
            json.WriteString("observed", problem.Observed);
            json.WriteString("clause", problem.Clause?.Id);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("rfc");
        foreach (var finding in step.Rfc.Take(ReportText.PacketsShown))
        {
            json.WriteStartObject();
            json.WriteString("rule", finding.Rule);
            json.WriteNumber("packet", finding.Packet);
            json.WriteString("what", finding.What);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (step.Rfc.Count > ReportText.PacketsShown) json.WriteNumber("rfcOmitted", step.Rfc.Count - ReportText.PacketsShown);
        json.WriteEndObject();
    }

    private static void Packets(Utf8JsonWriter json, string name, IEnumerable<(string? Interface, byte[] Bytes)> packets)
    {
        json.WriteStartArray(name);
        var count = 0;
        foreach (var (link, bytes) in packets)
        {
            if (++count > ReportText.PacketsShown) continue;
            json.WriteStartObject();
            if (link is not null) json.WriteString("interface", link);
            json.WriteNumber("length", bytes.Length);
            json.WriteString("hex", ReportText.Hex(bytes));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        // The rest is counted, not written (ReportText.PacketsShown); the failure pcap has every packet.
        if (count > ReportText.PacketsShown) json.WriteNumber(name + "Omitted", count - ReportText.PacketsShown);
    }

    private static void Strings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }

    private static string ResultText(Outcome outcome) => outcome.Kind switch
    {
        OutcomeKind.Value => outcome.Value.ToString(),
        OutcomeKind.Error => outcome.Error.ToString()!,
        OutcomeKind.KernelFault => "fault",
        OutcomeKind.Blocks => "blocks",
        _ => outcome.Kind.ToString(),
    };

}
