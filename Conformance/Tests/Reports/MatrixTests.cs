using System.Text.RegularExpressions;
using Udpconf.Reference;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;
using Xunit;

namespace Udpconf.Tests.Reports;

/// <summary>The conformance matrix as a pure function of targets and results, and its Markdown and HTML renderings.</summary>
public class MatrixTests
{
    private static readonly DateTimeOffset When = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static Case Case(string id, params string[] clauses) => new() { Id = id, File = $"/cases/{id}.case", Clauses = clauses };

    private static CaseResult Result(Case @case, string profile, string target, VerdictKind kind) =>
        new(@case.Id, @case.File, @case, profile, target, kind, [], null, TimeSpan.Zero);

    private static MatrixTarget Target(string label, string profile, params CaseResult[] results) =>
        new(label, label, profile, Matrix.Slug(label), results);

    [Fact]
    public void Rows_are_the_catalog_then_the_models_own_clauses_then_others_then_the_malformed_files()
    {
        var odd = Case("odd", "zz.unknown", ClauseId.DportZero);
        var target = Target("model:spec", "spec",
            Result(odd, "spec", "model:spec", VerdictKind.Pass),
            CaseRunner.Malformed("broken", "/cases/broken.case", [], "spec", "model:spec"));
        var matrix = Matrix.Build([target], [odd], When);
        var labels = matrix.Rows.Select(r => r.Label).ToArray();
        Assert.Equal([.. ClauseId.Catalog, .. ClauseId.Additions, "zz.unknown", Matrix.MalformedRow], labels);
        Assert.Equal(MatrixRowKind.Model, matrix.Rows.Single(r => r.Label == ClauseId.Additions[0]).Kind);
        Assert.Equal(MatrixRowKind.Other, matrix.Rows.Single(r => r.Label == "zz.unknown").Kind);
        var malformed = Assert.Single(matrix.Rows, r => r.Kind == MatrixRowKind.Malformed);
        Assert.Equal(MatrixStatus.Fail, malformed.Cells[0].Status);
        // No failure file for what could not be parsed: the link is the case's section of report.md.
        Assert.Equal("model-spec/report.md#broken-spec-on-modelspec-error", Assert.Single(malformed.Cells[0].Failures).Href);
    }

    [Fact]
    public void A_cell_fails_on_any_failure_or_error_passes_on_a_pass_and_counts_both()
    {
        var cases = Enumerable.Range(1, 6).Select(i => Case($"c{i}", ClauseId.DportZero)).ToArray();
        VerdictKind[] kinds = [VerdictKind.Pass, VerdictKind.Pass, VerdictKind.Pass, VerdictKind.Fail, VerdictKind.Error, VerdictKind.NotApplicable];
        var mixed = Target("kernel", "linux", cases.Select((c, i) => Result(c, "linux", "kernel:6.1", kinds[i])).ToArray());
        var clean = Target("model:linux", "linux", cases.Select(c => Result(c, "linux", "model:linux", VerdictKind.Pass)).ToArray());
        var none = Target("model:spec", "spec", cases.Select(c => Result(c, "spec", "model:spec", VerdictKind.NotApplicable)).ToArray());
        var matrix = Matrix.Build([mixed, clean, none], cases, When);
        var row = matrix.Rows.Single(r => r.Label == ClauseId.DportZero);

        Assert.Equal(MatrixStatus.Fail, row.Cells[0].Status);
        Assert.Equal("fail 2/5 (+1 n.a.)", row.Cells[0].Text);
        Assert.Equal(["c4", "c5"], row.Cells[0].Failures.Select(f => f.CaseId));
        Assert.Equal("kernel/failures/c4.linux.txt", row.Cells[0].Failures[0].Href);
        Assert.Equal(VerdictKind.Error, row.Cells[0].Failures[1].Kind);
        Assert.Equal("pass 6/6", row.Cells[1].Text);
        Assert.Equal(MatrixStatus.NotApplicable, row.Cells[2].Status);
        // A clause no selected case names is "—" everywhere.
        Assert.All(matrix.Rows.Single(r => r.Label == ClauseId.Credentials).Cells, c => Assert.Equal("—", c.Text));
        Assert.Equal(new MatrixTotals(new ReportText.Tally(3, 1, 1, 1), 0, 1, 0), matrix.Totals[0]);
    }

    [Fact]
    public void A_clause_whose_cases_did_not_run_on_a_profile_is_not_applicable_there()
    {
        var specOnly = Case("spec_only", ClauseId.DportZero) with { Profiles = ["spec"] };
        var matrix = Matrix.Build(
            [Target("model:spec", "spec", Result(specOnly, "spec", "model:spec", VerdictKind.Pass)), Target("model:linux", "linux")],
            [specOnly], When);
        var row = matrix.Rows.Single(r => r.Label == ClauseId.DportZero);
        Assert.Equal(["pass 1/1", "n.a."], row.Cells.Select(c => c.Text));
    }

    [Fact]
    public void The_clause_filter_keeps_only_its_rows()
    {
        var both = Case("both", ClauseId.DportZero, ClauseId.Credentials);
        var matrix = Matrix.Build([Target("model:spec", "spec", Result(both, "spec", "model:spec", VerdictKind.Pass))], [both], When,
            [ClauseId.DportZero]);
        Assert.Equal([ClauseId.DportZero], matrix.Rows.Select(r => r.Label));
    }

    [Fact]
    public void Links_percent_encode_every_path_segment_and_fall_back_to_the_report_anchor()
    {
        var odd = Case("dir/a b#1%<&>", ClauseId.DportZero);
        var target = Target("model:linux", "linux", Result(odd, "linux", "model:linux", VerdictKind.Fail));
        var result = target.Results[0];
        Assert.Equal("model-linux/failures/dir-a%20b%231%25%3C%26%3E.linux.txt", Matrix.Link(target, result, hasFailureFile: true));
        Assert.Equal("model-linux/report.md#dira-b1-linux-on-modellinux-fail", Matrix.Link(target, result, hasFailureFile: false));
        var matrix = Matrix.Build([target], [odd], When, hasFailureFile: (_, _) => false);
        Assert.Equal("model-linux/report.md#dira-b1-linux-on-modellinux-fail",
            matrix.Rows.Single(r => r.Label == ClauseId.DportZero).Cells[0].Failures[0].Href);
    }

    [Theory]
    [InlineData("model:spec", "model-spec")]
    [InlineData("model:linux", "model-linux")]
    [InlineData("kernel", "kernel")]
    public void Slugs_of_named_targets_are_readable(string label, string slug) => Assert.Equal(slug, Matrix.Slug(label));

    [Fact]
    public void Slugs_of_commands_are_safe_and_distinct()
    {
        string[] commands = ["exec:./build/my stack --profile=linux", "exec:./build/my stack --profile linux", "exec:../../etc/passwd", "exec:€€", "exec:" + new string('x', 300)];
        var slugs = commands.Select(Matrix.Slug).ToArray();
        Assert.Equal(slugs.Length, slugs.Distinct().Count());
        Assert.All(slugs, s => Assert.Matches("^exec-([A-Za-z0-9_][A-Za-z0-9._-]*-)?[0-9a-f]{8}$", s));
        Assert.All(slugs, s => Assert.True(s.Length <= 60, s));
        Assert.StartsWith("exec-build-my-stack-profile-linux-", slugs[0]);
    }

    [Fact]
    public void Html_escapes_every_id_name_and_clause()
    {
        const string Nasty = "<script>alert('x&y')</script>\"";
        var odd = Case("odd/" + Nasty, "evil.<b>&clause\"'");
        var target = new MatrixTarget("exec:" + Nasty, "exec:" + Nasty + " v1", "linux", Matrix.Slug("exec:" + Nasty),
            [Result(odd, "linux", "exec", VerdictKind.Fail)]);
        var html = MatrixHtml.Write(Matrix.Build([target], [odd], When));

        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<b>", html);
        Assert.Contains("odd/&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;&quot;", html);
        Assert.Contains("evil.&lt;b&gt;&amp;clause&quot;&#39;", html);
        Assert.Contains("exec:&lt;script&gt;", html);
        // Every attribute value is quoted and holds no raw quote, angle bracket or unescaped ampersand.
        foreach (Match attribute in Regex.Matches(html, "(?:href|title|class)=\"([^\"]*)\""))
            Assert.DoesNotMatch("[<>]|&(?!(amp|lt|gt|quot|#39);)", attribute.Groups[1].Value);
    }

    [Fact]
    public void Html_is_one_self_contained_page_with_a_coloured_cell_per_target()
    {
        var fails = Case("fails", ClauseId.DportZero);
        var passes = Case("passes", ClauseId.Oob);
        MatrixTarget[] targets =
        [
            Target("model:spec", "spec", Result(fails, "spec", "model:spec", VerdictKind.Pass), Result(passes, "spec", "model:spec", VerdictKind.Pass)),
            Target("model:linux", "linux", Result(fails, "linux", "model:linux", VerdictKind.Fail), Result(passes, "linux", "model:linux", VerdictKind.NotApplicable)),
        ];
        var html = MatrixHtml.Write(Matrix.Build(targets, [fails, passes], When));

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<style>", html);
        Assert.DoesNotMatch("(?i)<(script|link|img|iframe)\\b|\\bsrc=|@import|url\\(|https?://", html);
        Assert.Contains("2026-01-02 03:04 UTC", html);
        var body = html[html.IndexOf("<table class=\"matrix\">", StringComparison.Ordinal)..];
        var rows = Regex.Matches(body, "<tr><th scope=\"row\">.*?</tr>").Select(m => m.Value).ToArray();
        Assert.Equal(ClauseId.Catalog.Count + ClauseId.Additions.Count, rows.Length);
        Assert.All(rows, row => Assert.Equal(2, Regex.Count(row, "<td class=\"(pass|fail|na|none)\"")));
        var dport = rows.Single(r => r.Contains($"<code>{ClauseId.DportZero}</code>", StringComparison.Ordinal));
        Assert.Matches("<td class=\"pass\"[^>]*>pass 1/1</td><td class=\"fail\"[^>]*>fail 1/1<ul><li><a href=\"model-linux/failures/fails.linux.txt\">fails</a>", dport);
        var oob = rows.Single(r => r.Contains($"<code>{ClauseId.Oob}</code>", StringComparison.Ordinal));
        Assert.Contains("<td class=\"na\"", oob);
    }

    [Fact]
    public void Markdown_is_a_header_then_a_table_of_one_column_per_target()
    {
        var fails = Case("a|b`c", ClauseId.DportZero);
        MatrixTarget[] targets =
        [
            Target("model:spec", "spec", Result(fails, "spec", "model:spec", VerdictKind.Pass)),
            Target("model:linux", "linux", Result(fails, "linux", "model:linux", VerdictKind.Fail)),
            new("kernel", "kernel:6.18.1", "linux", "kernel", [Result(fails, "linux", "kernel:6.18.1", VerdictKind.NotApplicable)]),
        ];
        var markdown = MatrixMarkdown.Write(Matrix.Build(targets, [fails], When));
        var lines = markdown.Split('\n');

        Assert.Equal("# udpconf conformance matrix", lines[0]);
        Assert.Contains("Generated 2026-01-02 03:04 UTC: 1 cases on 3 targets.", markdown);
        Assert.Contains("| `kernel` | `kernel:6.18.1` | linux | 0 passed, 0 failed, 0 errors, 1 not applicable | 0 pass, 0 fail, 1 n.a. | 0 of 10 broken | [`kernel/report.md`](kernel/report.md) |", lines);

        var header = Array.IndexOf(lines, "| clause | `model:spec` | `model:linux` | `kernel` |");
        Assert.True(header > 0, markdown);
        Assert.Equal("|---|---|---|---|", lines[header + 1]);
        var table = lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')).ToArray();
        Assert.Equal(ClauseId.Catalog.Count + ClauseId.Additions.Count, table.Length);
        // Every row has exactly one cell per target: no '|' from an id splits a cell.
        Assert.All(table, row => Assert.Equal(5, Regex.Count(row, @"(?<!\\)\|")));
        Assert.Contains($"| `{ClauseId.DportZero}` | pass 1/1 | **fail 1/1**: [``a\\|b`c``](model-linux/failures/a%7Cb%60c.linux.txt) | n.a. (1) |", table);
        Assert.Contains($"| `{ClauseId.Additions[0]}` (model) | — | — | — |", table);
    }

    [Fact]
    public void A_page_published_without_the_reports_names_failures_without_links()
    {
        var fails = Case("fails", ClauseId.DportZero);
        var matrix = Matrix.Build([Target("model:linux", "linux", Result(fails, "linux", "model:linux", VerdictKind.Fail))], [fails], When, links: false);
        Assert.Equal("", matrix.Rows.Single(r => r.Label == ClauseId.DportZero).Cells[0].Failures.Single().Href);
        var markdown = MatrixMarkdown.Write(matrix);
        Assert.Contains("**fail 1/1**: `fails`", markdown);
        Assert.DoesNotContain("](", markdown);
        Assert.DoesNotContain("<a href", MatrixHtml.Write(matrix));
    }

    [Fact]
    public void A_failing_case_counts_under_the_clauses_it_differed_under_and_RFC_rules_have_rows_of_their_own()
    {
        var text = "clauses: udp_sendmsg.dport_zero\nhost:\n  link tun0 192.0.2.1/24\n  route default via 192.0.2.254 dev tun0\nsteps:\n  socket s\n  sendto s 10 to 198.51.100.7:9\n";
        var parsed = CaseParser.Parse("/cases/ttl.case", "ttl", text).Case!;
        // A target that sends the datagram with TTL 0 (header checksum made right): it differs from Linux under
        // ip_push.ttl, and breaks RFC 1122's TTL rule; the clause the case names was never judged.
        var model = CaseRunner.Run(parsed, Profile.Linux, new Udpconf.Suite.Targets.Model.ModelTarget(Profile.Linux), TestContext.Current.CancellationToken);
        var packet = model.Steps[1].Observed!.Packets[0].Bytes.ToArray();
        packet[8] = 0;
        packet[10] = packet[11] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Udpconf.TestSupport.Rfc1071.Checksum(packet.AsSpan(0, 20)));
        var result = CaseRunner.Run(parsed, Profile.Linux, new Replay([model.Steps[0].Observed!, model.Steps[1].Observed! with { Packets = [new("tun0", packet)] }]),
            TestContext.Current.CancellationToken);
        Assert.Equal(VerdictKind.Fail, result.Kind);
        Assert.Equal(VerdictKind.Fail, result.VerdictOn(ClauseId.Ttl));
        Assert.Equal(VerdictKind.NotApplicable, result.VerdictOn(ClauseId.DportZero));

        var matrix = Matrix.Build([Target("exec:x", "linux", result)], [parsed], When);
        Assert.Equal("fail 1/1", matrix.Rows.Single(r => r.Label == ClauseId.Ttl).Cells[0].Text);
        Assert.Equal(MatrixStatus.NotApplicable, matrix.Rows.Single(r => r.Label == ClauseId.DportZero).Cells[0].Status);
        Assert.Equal(RfcRules.All.Select(r => r.Id), matrix.Rfc.Select(r => r.Label));
        Assert.Equal("fail 1/1", matrix.Rfc.Single(r => r.Label == "rfc1122.ttl").Cells[0].Text);
        Assert.Equal("pass 1/1", matrix.Rfc.Single(r => r.Label == "rfc768.checksum").Cells[0].Text);
        Assert.Equal(1, matrix.Totals[0].RfcBroken);
    }

    /// <summary>A target that answers with given observations.</summary>
    private sealed class Replay(IReadOnlyList<Udpconf.Suite.Targets.Observation> observations) : Udpconf.Suite.Targets.ITarget
    {
        public string Name => "exec:x";
        public IReadOnlySet<Feature> Features { get; } = Feature.Known.ToHashSet();
        public Udpconf.Suite.Targets.TargetRun Run(Udpconf.Reference.Host.HostConfig host, IReadOnlyList<Udpconf.Reference.Api.Operation> operations, CancellationToken cancellation = default) =>
            new(observations);
        public Udpconf.Suite.Targets.ITargetSession Open(Udpconf.Reference.Host.HostConfig host, bool ipv6 = false) => throw new NotSupportedException();
    }
}
