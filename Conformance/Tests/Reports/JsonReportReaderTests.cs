using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;
using Xunit;

namespace Udpconf.Tests.Reports;

/// <summary>
/// The JSON report read back (<see cref="JsonReportReader"/>): results rebuilt from it write the very reports the run
/// wrote — JSON, JUnit, Markdown, failure pcaps and their text — and a report that is not what format 1 writes is
/// refused with the JSON path of its first problem. <see cref="ReportMerge.LibraryOrder"/> is the case library's order.
/// </summary>
public class JsonReportReaderTests
{
    private static readonly PerMutant<IReadOnlyList<CaseResult>> Fixture = new(ReportFixture.Results);
    private static IReadOnlyList<CaseResult> Results => Fixture.Value;

    private static ReportRead Parse(string json) => JsonReportReader.Parse("report.json", Encoding.UTF8.GetBytes(json));

    private static IReadOnlyList<CaseResult> ReadBack(string json)
    {
        var read = Parse(json);
        Assert.True(read.Report is not null, read.Problem);
        return [.. read.Report.Results.Select(r => r.Result)];
    }

    private static string WithoutTimes(string xml) => Regex.Replace(xml, "time=\"[0-9.]+\"", "time=\"\"");

    [Fact]
    public void Results_read_back_write_every_report_as_the_run_did()
    {
        var json = JsonReport.Write(Results);
        var back = ReadBack(json);
        // Durations included: a millisecond with three decimals is a whole number of ticks.
        Assert.Equal(json, JsonReport.Write(back));
        Assert.Equal(WithoutTimes(JUnitReport.Write(Results)), WithoutTimes(JUnitReport.Write(back)));
        Assert.Equal(MarkdownReport.Write(Results), MarkdownReport.Write(back));
        Assert.Equal(MarkdownReport.Write(Results, "interrupted"), MarkdownReport.Write(back, "interrupted"));
        var failing = Results.Select((r, i) => (r, i)).Where(x => ReportText.IsFailure(x.r) && x.r.Case is not null).ToArray();
        Assert.Equal(2, failing.Length);
        foreach (var (result, i) in failing)
        {
            Assert.Equal(FailurePcap.Write(result), FailurePcap.Write(back[i]));
            Assert.Equal(FailurePcap.Describe(result), FailurePcap.Describe(back[i]));
        }
        // What the matrix reads: the clauses each run passed or failed, and the RFC findings.
        Assert.Equal(Results.Select(r => r.ClauseVerdicts.ToArray()), back.Select(r => r.ClauseVerdicts.ToArray()));
        Assert.Equal(Results.SelectMany(r => r.RfcFindings), back.SelectMany(r => r.RfcFindings));
        Assert.NotEmpty(back.SelectMany(r => r.RfcFindings));
    }

    [Fact]
    public void A_partial_report_says_why_and_a_whole_one_does_not()
    {
        Assert.Equal("interrupted after 3 of 6 runs", Parse(JsonReport.Write(Results, "interrupted after 3 of 6 runs")).Report!.Partial);
        Assert.Null(Parse(JsonReport.Write(Results)).Report!.Partial);
    }

    [Theory]
    [InlineData("unknown clause", "$.results[1].steps[1].predicted.clause: 'nope' is not a clause id of this udpconf")]
    [InlineData("extra field", "$.results[0].comment: not a field of a format-1 report")]
    [InlineData("summary", "$.summary.total: 99, but the results count 6")]
    [InlineData("observed result", "$.results[0].steps[0].observed.result: 'EINVAL' is not a result of kind Value")]
    [InlineData("hex", "$.results[2].steps[2].observed.packets[0].hex: not lowercase hex")]
    [InlineData("length", "$.results[2].steps[2].observed.packets[0].length: 1, but its hex holds 38 bytes")]
    [InlineData("title on malformed", "$.results[3].profiles: missing")]
    [InlineData("verdict", "$.results[0].verdict: 'maybe' is not pass, fail, error, not-applicable")]
    [InlineData("index", "$.results[0].steps[0].index: 0: steps are numbered from 1")]
    [InlineData("duration", "$.results[0].durationMs: -1, not a duration in milliseconds")]
    [InlineData("results", "$.results: an object, not an array")]
    [InlineData("case expects", "$.results[0].steps[1].caseExpects.result: 'EINVAL [nope]' is not a result a case expects")]
    [InlineData("not applicable steps", "$.results[0].notApplicableSteps: 2, but 0 of its steps are not applicable")]
    [InlineData("folder", "$.results[0].folder: 'elsewhere', but the folder of case 'udp_sendmsg/ok' is 'udp_sendmsg'")]
    [InlineData("position", "$.results[0].steps[0].position: 'here' is not file:")]
    [InlineData("source", "$.results[1].steps[1].problems[0].source: 'someone' is not model, case or target")]
    public void A_report_that_format_1_would_not_write_is_refused_with_the_JSON_path(string change, string problem)
    {
        var node = JsonNode.Parse(JsonReport.Write(Results))!;
        var results = node["results"]!;
        switch (change)
        {
            case "unknown clause": results[1]!["steps"]![1]!["predicted"]!["clause"] = "nope"; break;
            case "extra field": results[0]!.AsObject().Add("comment", "hand-edited"); break;
            case "summary": node["summary"]!["total"] = 99; break;
            case "observed result": results[0]!["steps"]![0]!["observed"]!["result"] = "EINVAL"; break;
            case "hex": results[2]!["steps"]![2]!["observed"]!["packets"]![0]!["hex"] = "zz"; break;
            case "length": results[2]!["steps"]![2]!["observed"]!["packets"]![0]!["length"] = 1; break;
            case "title on malformed": results[3]!.AsObject().Add("title", "now it parsed"); break;
            case "verdict": results[0]!["verdict"] = "maybe"; break;
            case "index": results[0]!["steps"]![0]!["index"] = 0; break;
            case "duration": results[0]!["durationMs"] = -1; break;
            case "results": node["results"] = new JsonObject(); break;
            case "case expects": results[0]!["steps"]![1]!["caseExpects"]!["result"] = "EINVAL [nope]"; break;
            case "not applicable steps": results[0]!["notApplicableSteps"] = 2; break;
            case "folder": results[0]!["folder"] = "elsewhere"; break;
            case "position": results[0]!["steps"]![0]!["position"] = "here"; break;
            case "source": results[1]!["steps"]![1]!["problems"]![0]!["source"] = "someone"; break;
            default: throw new ArgumentException(change);
        }
        var read = Parse(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Assert.Null(read.Report);
        Assert.StartsWith(problem, read.Problem);
    }

    [Fact]
    public void Text_that_is_not_a_report_is_refused_without_an_exception()
    {
        Assert.StartsWith("not valid JSON (a truncated file?): ", Parse(JsonReport.Write(Results)[..500]).Problem);
        Assert.StartsWith("$: no \"format\": not a udpconf JSON report", Parse("[1, 2]").Problem);
        Assert.StartsWith("$.format: \"1\", not 1", Parse("{\"format\": \"1\"}").Problem);
        Assert.StartsWith("not valid JSON", Parse(new string('[', 100) + new string(']', 100)).Problem);
        // Invalid UTF-8 in a string is one line, not a crash.
        var json = Encoding.UTF8.GetBytes(JsonReport.Write(Results).Replace("\"udp_sendmsg/ok\"", "\"udp_sendmsg/o\u00ff\""));
        var at = json.AsSpan().IndexOf("o\u00ff"u8);
        json[at + 1] = 0xff;
        json[at + 2] = (byte)'k';
        var read = JsonReportReader.Parse("report.json", json);
        Assert.Null(read.Report);
        Assert.NotNull(read.Problem);
    }

    [Fact]
    public void A_file_begins_as_a_report_or_is_not_one()
    {
        var folder = TempFolders.Create("reports-").FullName;
        string File(string name, string text)
        {
            var path = Path.Combine(folder, name);
            System.IO.File.WriteAllText(path, text);
            return path;
        }
        Assert.True(JsonReportReader.LooksLikeReport(File("report.json", JsonReport.Write(Results))));
        Assert.True(JsonReportReader.LooksLikeReport(File("compact.json", "{\"format\":1}")));
        Assert.False(JsonReportReader.LooksLikeReport(File("package.json", "{\"name\": \"x\", \"format\": 1}")));
        Assert.False(JsonReportReader.LooksLikeReport(File("empty.json", "")));
        Assert.False(JsonReportReader.LooksLikeReport(folder));
    }

    [Fact]
    public void The_library_order_is_that_of_the_case_files_paths_then_the_folders_not_searched()
    {
        string[] ids = ["zz/late", "a/", "udp/ok", "udp/ok-2", "udp/ok/deeper", "a-b/", "broken"];
        Assert.Equal(["broken", "udp/ok-2", "udp/ok", "udp/ok/deeper", "zz/late", "a/", "a-b/"], ids.Order(ReportMerge.LibraryOrder));
        // As the files are sorted: "ok-2.case" < "ok.case" < "ok/deeper.case".
        Assert.Equal(["ok-2.case", "ok.case", "ok/deeper.case"], new[] { "ok.case", "ok/deeper.case", "ok-2.case" }.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Merged_parts_are_the_whole_report_in_its_order()
    {
        var json = JsonReport.Write(Results);
        var whole = Parse(json).Report!;
        // The fixture's runs dealt out to two parts, each in its own order, given in the wrong order.
        ReportFile Part(int index) => new($"part-{index}.json", null, [.. whole.Results.Where((_, i) => i % 2 == index)]);
        var merged = ReportMerge.Merge([Part(1), Part(0)], [], [], path => path);
        Assert.Empty(merged.Problems);
        Assert.Null(merged.Partial);
        using var buffer = new MemoryStream();
        ReportMerge.WriteJson(buffer, merged.Results, null);
        // The fixture is linux then spec, in the order the runner gave (not the library's): spec comes first once merged.
        var expected = Results.Where(r => r.Profile == "spec").Concat(Results.Where(r => r.Profile != "spec").OrderBy(r => r.CaseId, ReportMerge.LibraryOrder)).ToArray();
        Assert.Equal(JsonReport.Write(expected), Encoding.UTF8.GetString(buffer.ToArray()));
        Assert.Equal(["model:spec", "model:linux"], merged.Columns.Select(c => c.Label));
    }
}
