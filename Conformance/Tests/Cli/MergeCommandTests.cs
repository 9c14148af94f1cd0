using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Udpconf.Suite;
using Udpconf.Suite.Reports;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>
/// udpconf merge: N shards' merged reports equal the unsharded run's (the issue's acceptance criterion) — report.json
/// byte for byte but each result's durationMs, junit.xml but its times, report.md and the failure pcaps byte for
/// byte, the matrix but its date — on temporary cases and on real ones; and every bad input is one line on stderr
/// naming the file, the good inputs still merged, with the exit code that says so.
/// </summary>
public class MergeCommandTests
{
    /// <summary>Ids whose order in the library is not their ordinal order: "ok-2.case" sorts before "ok.case".</summary>
    private static TempCases Cases() => new TempCases()
        .With("udp_sendmsg/ok", TempCases.Passing)
        .With("udp_sendmsg/ok-2", TempCases.Passing)
        .With("udp_sendmsg/wrong", TempCases.Failing)
        .With("ip_append_data/frag", TempCases.Fragmented)
        .With("broken", TempCases.Malformed)
        .With("spec_only", TempCases.SpecOnly)
        .With("zz/late", TempCases.Fragmented);

    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    /// <summary>durationMs is the one field a run of the same cases changes.</summary>
    private static string WithoutDurations(string json) => Regex.Replace(json, "\"durationMs\": [0-9.eE+-]+", "\"durationMs\": 0");

    private static string WithoutTimes(string xml) => Regex.Replace(xml, "time=\"[0-9.]+\"", "time=\"\"");

    private static string WithoutDate(string text) => Regex.Replace(text, @"Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "Generated DATE");

    /// <summary>Every file of one report folder equals the other's: JSON but durations, XML but times, the rest byte for byte.</summary>
    private static void SameFolder(string expected, string actual)
    {
        string[] Files(string folder) => [.. Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal)];
        Assert.Equal(Files(expected), Files(actual));
        foreach (var file in Files(expected))
        {
            var (want, got) = (Path.Combine(expected, file), Path.Combine(actual, file));
            if (file.EndsWith(".json", StringComparison.Ordinal)) Assert.Equal(WithoutDurations(File.ReadAllText(want)), WithoutDurations(File.ReadAllText(got)));
            else if (file.EndsWith(".xml", StringComparison.Ordinal)) Assert.Equal(WithoutTimes(File.ReadAllText(want)), WithoutTimes(File.ReadAllText(got)));
            else if (file.EndsWith(".md", StringComparison.Ordinal) || file.EndsWith(".html", StringComparison.Ordinal))
                Assert.Equal(WithoutDate(File.ReadAllText(want)), WithoutDate(File.ReadAllText(got)));
            else Assert.True(File.ReadAllBytes(want).SequenceEqual(File.ReadAllBytes(got)), $"{file} differs");
        }
    }

    private static int Results(string json) => Regex.Matches(File.ReadAllText(json), "\"durationMs\"").Count;

    /// <summary>check --shard i/n --json for every part, into parts/; the paths.</summary>
    private static string[] Parts(TempCases cases, int count, params string[] more) => [.. Enumerable.Range(1, count).Select(i =>
    {
        var path = Directory.CreateDirectory(cases.PathOf("parts")).FullName + $"/part-{i}.json";
        var run = CliHarness.Run(cases.Root, ["check", "--target", "model", "--cases", cases.Folder, "--shard", $"{i}/{count}", "--json", path, .. more]);
        Assert.True(run.ExitCode is 0 or 1, run.ToString());
        return path;
    })];

    [Fact]
    public void Three_shards_merged_are_the_unsharded_check_report_for_report()
    {
        using var cases = Cases();
        var full = CliHarness.Run(cases.Root, "check", "--target", "model", "--cases", cases.Folder, "--report-dir", cases.PathOf("full"));
        Assert.True(full.ExitCode == 1, full.ToString());
        var parts = Enumerable.Range(1, 3).Select(i => cases.PathOf($"part-{i}")).ToArray();
        for (var i = 0; i < 3; i++)
        {
            var part = CliHarness.Run(cases.Root, "check", "--target", "model", "--cases", cases.Folder, "--shard", $"{i + 1}/3", "--report-dir", parts[i]);
            Assert.True(part.ExitCode is 0 or 1, part.ToString());
        }
        // Each part holds some of the runs, none all of them: the merge has something to do.
        var counts = parts.Select(p => Results(Path.Combine(p, "report.json"))).ToArray();
        Assert.Equal(Results(cases.PathOf("full/report.json")), counts.Sum());
        Assert.All(counts, c => Assert.InRange(c, 1, counts.Sum() - 1));

        // Given in another order than the parts': the order is the unsharded run's whatever the inputs' order.
        var merge = CliHarness.Run(cases.Root, ["merge", parts[2], parts[0], parts[1], "--report-dir", cases.PathOf("merged"),
            "--json", cases.PathOf("out/merged.json"), "--junit", cases.PathOf("out/junit.xml"), "--markdown", cases.PathOf("out/report.md")]);
        Assert.True(merge.ExitCode == 1, merge.ToString()); // udp_sendmsg/wrong fails, broken is an error: as check
        Assert.Equal("", merge.Error);
        SameFolder(cases.PathOf("full"), cases.PathOf("merged"));
        Assert.Equal(WithoutDurations(File.ReadAllText(cases.PathOf("full/report.json"))), WithoutDurations(File.ReadAllText(cases.PathOf("out/merged.json"))));
        Assert.Equal(WithoutTimes(File.ReadAllText(cases.PathOf("full/junit.xml"))), WithoutTimes(File.ReadAllText(cases.PathOf("out/junit.xml"))));
        Assert.Equal(File.ReadAllText(cases.PathOf("full/report.md")), File.ReadAllText(cases.PathOf("out/report.md")));
        // The library's order, not the ids': ok-2 before ok.
        var json = File.ReadAllText(cases.PathOf("out/merged.json"));
        Assert.True(json.IndexOf("\"udp_sendmsg/ok-2\"", StringComparison.Ordinal) < json.IndexOf("\"udp_sendmsg/ok\"", StringComparison.Ordinal));
        Assert.Contains("udpconf merge: 9 passed, 2 failed, 2 errors, 0 not applicable (13 runs of 7 cases from 3 reports", merge.Out);
        Assert.Contains("broken.case:4:26: expected a port, found 'x'", merge.Out);
    }

    [Fact]
    public void Real_cases_in_three_shards_merge_to_the_unsharded_report()
    {
        var output = TempFolders.Create("merge-real-").FullName;
        string[] Check(params string[] more) =>
            ["check", "ip_push/", "order/", "udp_cork/", "--target", "model", "--cases", Path.Combine(Root, "Conformance", "cases"), .. more];
        var full = CliHarness.Run(Root, Check("--json", Path.Combine(output, "full.json")));
        Assert.True(full.ExitCode == 0, full.ToString());
        var parts = Enumerable.Range(1, 3).Select(i => Path.Combine(output, $"part-{i}.json")).ToArray();
        for (var i = 0; i < 3; i++)
            Assert.Equal(0, CliHarness.Run(Root, Check("--shard", $"{i + 1}/3", "--json", parts[i])).ExitCode);
        var merge = CliHarness.Run(Root, ["merge", .. parts, "--json", Path.Combine(output, "merged.json")]);
        Assert.True(merge.ExitCode == 0, merge.ToString());
        Assert.True(Results(Path.Combine(output, "full.json")) > 100, "the three folders hold over a hundred runs");
        Assert.Equal(WithoutDurations(File.ReadAllText(Path.Combine(output, "full.json"))), WithoutDurations(File.ReadAllText(Path.Combine(output, "merged.json"))));
    }

    [Fact]
    public void A_sharded_matrix_merges_to_the_unsharded_matrix_with_its_columns_in_their_order()
    {
        using var cases = Cases();
        // linux first: not the order the profiles would give, so the columns' order must come from the matrix pages.
        string[] Matrix(string output, params string[] more) =>
            ["matrix", "--target", "model:linux", "--target", "model:spec", "--cases", cases.Folder, "--out", output, .. more];
        Assert.Equal(0, CliHarness.Run(cases.Root, Matrix(cases.PathOf("full"))).ExitCode);
        var parts = Enumerable.Range(1, 3).Select(i => cases.PathOf($"parts/m-{i}")).ToArray();
        for (var i = 0; i < 3; i++) Assert.Equal(0, CliHarness.Run(cases.Root, Matrix(parts[i], "--shard", $"{i + 1}/3")).ExitCode);

        var merge = CliHarness.Run(cases.Root, "merge", cases.PathOf("parts"), "--matrix", cases.PathOf("merged"));
        Assert.True(merge.ExitCode == 1, merge.ToString());
        Assert.Equal("", merge.Error);
        SameFolder(cases.PathOf("full"), cases.PathOf("merged"));
        var markdown = File.ReadAllText(cases.PathOf("merged/matrix.md"));
        Assert.True(markdown.IndexOf("| `model:linux` |", StringComparison.Ordinal) < markdown.IndexOf("| `model:spec` |", StringComparison.Ordinal));

        // Without the pages the columns are named and placed as matrix names them by default: the reports are the same.
        foreach (var part in parts) File.Delete(Path.Combine(part, "matrix.html"));
        var bare = CliHarness.Run(cases.Root, "merge", cases.PathOf("parts"), "--matrix", cases.PathOf("bare"));
        Assert.True(bare.ExitCode == 1, bare.ToString());
        foreach (var column in new[] { "model-spec", "model-linux" }) SameFolder(cases.PathOf($"full/{column}"), cases.PathOf($"bare/{column}"));
        var columns = File.ReadAllText(cases.PathOf("bare/matrix.md"));
        Assert.True(columns.IndexOf("| `model:spec` |", StringComparison.Ordinal) < columns.IndexOf("| `model:linux` |", StringComparison.Ordinal));
    }

    [Fact]
    public void Passing_parts_merge_with_exit_0_and_print_the_tally()
    {
        using var cases = new TempCases().With("a", TempCases.Passing).With("b", TempCases.Fragmented).With("c", TempCases.SpecOnly);
        var parts = Parts(cases, 2);
        var run = CliHarness.Run(cases.Root, ["merge", .. parts]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("udpconf merge: 5 passed, 0 failed, 0 errors, 0 not applicable (5 runs of 3 cases from 2 reports", run.Out);
        Assert.Contains("nothing written", run.Out);
    }

    [Theory]
    [InlineData("garbage", "not valid JSON (a truncated file?): ")]
    [InlineData("truncated", "not valid JSON (a truncated file?): ")]
    [InlineData("empty", "empty: not a JSON report")]
    [InlineData("format", "$.format: 2, not 1: this udpconf reads reports of format 1")]
    [InlineData("no format", "$: no \"format\": not a udpconf JSON report")]
    [InlineData("missing field", "$.results[0].verdict: missing")]
    [InlineData("wrong type", "$.results[0].steps: a string, not an array")]
    [InlineData("extra field", "$.results[0].steps[0].comment: not a field of a format-1 report")]
    [InlineData("step clauses", "$.results[0].steps[0].clauses: [nope], but its prediction and problems name [socket.create]")]
    [InlineData("shard", "$.shard: '0/3' is not a part I/N")]
    public void A_bad_input_is_one_line_naming_the_file_and_the_others_are_merged_marked_partial(string bad, string problem)
    {
        using var cases = Cases();
        var parts = Parts(cases, 3);
        var text = File.ReadAllText(parts[1]);
        var node = JsonNode.Parse(text)!;
        var result = node["results"]![0]!.AsObject();
        switch (bad)
        {
            case "missing field": result.Remove("verdict"); break;
            case "wrong type": result["steps"] = "none"; break;
            case "extra field": result["steps"]![0]!.AsObject().Add("comment", "hand-edited"); break;
            case "step clauses": result["steps"]![0]!["clauses"] = new JsonArray("nope"); break;
        }
        File.WriteAllText(parts[1], bad switch
        {
            "garbage" => "this is not JSON",
            "truncated" => text[..(text.Length / 2)],
            "empty" => "",
            "format" => text.Replace("\"format\": 1", "\"format\": 2"),
            "no format" => text.Replace("\"format\": 1,", ""),
            "shard" => text.Replace("\"shard\": \"2/3\"", "\"shard\": \"0/3\""),
            _ => node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }),
        });
        var merged = cases.PathOf("merged.json");
        var run = CliHarness.Run(cases.Root, ["merge", .. parts, "--json", merged]);
        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Assert.Single(run.Error.Split('\n'), l => l.StartsWith("udpconf: parts/part-2.json: ", StringComparison.Ordinal));
        Assert.StartsWith($"udpconf: parts/part-2.json: {problem}", line);
        Assert.Contains("udpconf: merged from an incomplete run: 1 input could not be read (parts/part-2.json)", run.Error);
        // The good parts are merged, and the report says it is not whole.
        Assert.Equal(Results(parts[0]) + Results(parts[2]), Results(merged));
        // Its part is missing from the run, which the other parts' "shard" fields say.
        Assert.Contains("\"partial\": \"merged from an incomplete run: 1 input could not be read (parts/part-2.json); part 2 of 3 missing\"", File.ReadAllText(merged));
    }

    [Fact]
    public void A_part_whose_report_never_came_makes_the_merge_incomplete_and_is_named()
    {
        using var cases = Cases();
        var parts = Parts(cases, 4);
        Assert.Contains("\"shard\": \"3/4\"", File.ReadAllText(parts[2]));
        var run = CliHarness.Run(cases.Root, ["merge", parts[0], parts[3], "--json", cases.PathOf("merged.json")]);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("udpconf: merged from an incomplete run: parts 2-3 of 4 missing", run.Error);
        Assert.Contains("\"partial\": \"merged from an incomplete run: parts 2-3 of 4 missing\"", File.ReadAllText(cases.PathOf("merged.json")));
        // Parts of two different splits are not one run, even when each split's parts are all there.
        var other = Directory.CreateDirectory(cases.PathOf("halves")).FullName;
        var halves = Enumerable.Range(1, 2).Select(i => CliHarness.Run(cases.Root, "check", "--target", "model", "--cases", cases.Folder, "--shard", $"{i}/2", "--json", $"{other}/half-{i}.json")).ToArray();
        var mixed = CliHarness.Run(cases.Root, ["merge", .. parts, other + "/half-1.json"]);
        Assert.True(mixed.ExitCode == 1, mixed.ToString());
        Assert.Contains("the inputs are parts of runs split 2 ways and 4 ways, not of one run", mixed.Error);
        // The merged report of a whole run names no part: it is the unsharded run's.
        var whole = CliHarness.Run(cases.Root, ["merge", .. parts, "--json", cases.PathOf("whole.json")]);
        Assert.DoesNotContain("\"shard\"", File.ReadAllText(cases.PathOf("whole.json")));
        Assert.DoesNotContain("missing", whole.Error);
    }

    [Fact]
    public void A_result_given_twice_is_an_error_naming_both_files_and_is_merged_once()
    {
        using var cases = Cases();
        var parts = Parts(cases, 2);
        var copy = cases.PathOf("again/part-1.json");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(parts[0], copy);
        var merged = cases.PathOf("merged.json");
        var run = CliHarness.Run(cases.Root, ["merge", .. parts, copy, "--json", merged]);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("udpconf: again/part-1.json: $.results[0]: ", run.Error);
        Assert.Contains(" is in parts/part-1.json too (parts that overlap?): left out", run.Error);
        Assert.Equal(Results(parts[0]) + Results(parts[1]), Results(merged));
        Assert.DoesNotContain("\"partial\"", File.ReadAllText(merged));
        // The same file named twice is read once.
        var same = CliHarness.Run(cases.Root, ["merge", .. parts, parts[0]]);
        Assert.DoesNotContain("too", same.Error);
    }

    [Fact]
    public void A_partial_part_is_said_and_the_merged_reports_are_partial()
    {
        using var cases = Cases();
        var parts = Parts(cases, 2);
        File.WriteAllText(parts[1], File.ReadAllText(parts[1]).Replace("\"format\": 1,", "\"format\": 1,\n  \"partial\": \"interrupted after 2 of 6 runs\","));
        var run = CliHarness.Run(cases.Root, ["merge", .. parts, "--report-dir", cases.PathOf("merged"), "--matrix", cases.PathOf("matrix")]);
        Assert.True(run.ExitCode == 1, run.ToString());
        const string Partial = "merged from an incomplete run: parts/part-2.json is partial (interrupted after 2 of 6 runs)";
        Assert.Contains("udpconf: " + Partial, run.Error);
        Assert.Contains($"\"partial\": \"{Partial}\"", File.ReadAllText(cases.PathOf("merged/report.json")));
        Assert.Contains($"**Partial report: {Partial}.**", File.ReadAllText(cases.PathOf("merged/report.md")));
        Assert.Contains("name=\"partial\"", File.ReadAllText(cases.PathOf("merged/junit.xml")));
        Assert.Contains($"\n**Partial matrix: {Partial}.**\n\n## Targets", File.ReadAllText(cases.PathOf("matrix/matrix.md")));
        Assert.Contains($"<p><strong>Partial matrix: {Partial}.</strong></p>", File.ReadAllText(cases.PathOf("matrix/matrix.html")));
        Assert.Contains($"\"partial\": \"{Partial}\"", File.ReadAllText(cases.PathOf("matrix/model-linux/report.json")));
    }

    [Fact]
    public void An_input_that_is_not_there_or_a_folder_without_reports_is_exit_2_and_nothing_is_written()
    {
        using var cases = Cases();
        var parts = Parts(cases, 2);
        Directory.CreateDirectory(cases.PathOf("empty"));
        File.WriteAllText(cases.PathOf("empty/notes.txt"), "no report here");
        File.WriteAllText(cases.PathOf("empty/other.json"), "{\"name\": \"not a report\"}");
        var output = cases.PathOf("merged.json");

        var none = CliHarness.Run(cases.Root, ["merge", parts[0], "empty", "--json", output]);
        Assert.True(none.ExitCode == 2, none.ToString());
        Assert.Contains("udpconf: empty/other.json: not a udpconf report (it does not begin with {\"format\"): skipped", none.Error);
        Assert.Contains("udpconf: empty: no udpconf JSON report in the folder", none.Error);
        var missing = CliHarness.Run(cases.Root, ["merge", parts[0], "nowhere.json", "--json", output]);
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.StartsWith("udpconf: nowhere.json: no such file or folder", missing.Error);
        var device = CliHarness.Run(cases.Root, "merge", "/dev/null");
        Assert.True(device.ExitCode == 2, device.ToString());
        Assert.Contains("udpconf: /dev/null: neither a regular file nor a folder", device.Error);
        var unwritable = CliHarness.Run(cases.Root, ["merge", .. parts, "--json", "parts"]);
        Assert.True(unwritable.ExitCode == 2, unwritable.ToString());
        Assert.StartsWith("udpconf: --json parts is a folder, not a file", unwritable.Error);
        File.WriteAllText(cases.PathOf("bad.json"), "{");
        var unreadable = CliHarness.Run(cases.Root, "merge", "bad.json", "--json", output);
        Assert.True(unreadable.ExitCode == 2, unreadable.ToString());
        Assert.Contains("udpconf: no report to merge: none of the 1 input(s) could be read", unreadable.Error);
        Assert.False(File.Exists(output));
        var usage = CliHarness.Run(cases.Root, "merge");
        Assert.True(usage.ExitCode == 2, usage.ToString());
    }

    [Fact]
    public void A_report_larger_than_the_limit_is_refused_unread()
    {
        using var cases = Cases();
        var parts = Parts(cases, 2);
        var huge = cases.PathOf("parts/huge.json");
        using (var file = File.Create(huge)) file.SetLength(JsonReportReader.MaxFileBytes + 1); // sparse: nothing is written
        var run = CliHarness.Run(cases.Root, "merge", parts[0], huge);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains($"udpconf: parts/huge.json: {JsonReportReader.MaxFileBytes + 1} bytes, larger than the 256 MiB a report may have", run.Error);
        Assert.Contains($"({Results(parts[0])} runs of", run.Out);
    }

    [Fact]
    public void A_folder_of_artifacts_is_searched_and_the_merge_does_not_read_its_own_output()
    {
        using var cases = Cases();
        var parts = Parts(cases, 3);
        string[] Merge() => ["merge", "parts", "--json", "parts/merged.json", "--report-dir", "parts/all"];
        var first = CliHarness.Run(cases.Root, Merge());
        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.Equal("", first.Error);
        var again = CliHarness.Run(cases.Root, Merge());
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("udpconf: parts/merged.json: written by this merge: not read", again.Error);
        Assert.Contains("udpconf: parts/all/report.json: written by this merge: not read", again.Error);
        Assert.DoesNotContain("too", again.Error);
        Assert.Equal(parts.Sum(Results), Results(cases.PathOf("parts/merged.json")));
    }

    /// <summary>20000 bytes at MTU 68: 417 fragments, more than a report writes out; the case expects the wrong count.</summary>
    private const string Flood = """
        clauses: ip_append_data.fraglen
        host:
          link tun0 192.0.2.1/24 mtu 68
          route default via 192.0.2.254 dev tun0
        steps:
          socket s
          sendto s 20000 to 198.51.100.7:9
            => 20000
            wire: 1
        """;

    [Fact]
    public void Packets_a_report_did_not_write_out_stay_counted_in_the_merged_JSON_and_merge_says_what_the_others_show()
    {
        using var cases = Cases().With("ip_append_data/flood", Flood);
        var full = CliHarness.Run(cases.Root, "check", "--target", "model", "--cases", cases.Folder, "--json", cases.PathOf("full.json"));
        Assert.Contains("\"packetsOmitted\": 217", File.ReadAllText(cases.PathOf("full.json")));
        var parts = Parts(cases, 2);
        var run = CliHarness.Run(cases.Root, ["merge", .. parts, "--json", cases.PathOf("merged.json")]);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(WithoutDurations(File.ReadAllText(cases.PathOf("full.json"))), WithoutDurations(File.ReadAllText(cases.PathOf("merged.json"))));
        // (The captured stderr wraps at 160 columns.)
        Assert.Contains("udpconf: parts/part-2.json: 2 result(s) have steps with more packets or RFC findings than a report writes out (200): the merged " +
                        "report.json counts them, report.md, junit.xml and the failure pcaps show the first 200", Regex.Replace(run.Error, @"\s+", " "));
    }

    [Fact]
    public void Parts_of_a_run_given_several_folders_are_merged_in_library_order_and_merge_says_so()
    {
        using var cases = Cases();
        // zz/ then udp_sendmsg/: check keeps the order of its arguments, which the reports do not record.
        var parts = Parts(cases, 2, cases.PathOf("Conformance/cases/zz"), cases.PathOf("Conformance/cases/udp_sendmsg"));
        var run = CliHarness.Run(cases.Root, ["merge", .. parts]);
        Assert.Contains("its results are not in the case library's order (cases given as several folders or files?)", run.Error);
    }
}
