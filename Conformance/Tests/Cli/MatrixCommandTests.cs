using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>udpconf matrix on the model's two profiles (the kernel is exercised elsewhere): exit codes, the files,
/// the cells and their links.</summary>
public class MatrixCommandTests
{
    /// <summary>2.6 refuses an IP_TTL control message, current kernels take it: passes under spec, fails under linux.</summary>
    private const string LinuxFails = """
        # 2.6 refuses an IP_TTL control message; current kernels take it.
        clauses: udp_sendmsg.cmsg
        steps:
          socket s
          sendmsg s iov 10 to 198.51.100.7:9 cmsg ttl 7
            => EINVAL udp_sendmsg.cmsg
            wire: none
        """;

    /// <summary>For the spec profile only, on a clause no other case names: n.a. in the linux column.</summary>
    private const string SpecOnly = """
        clauses: sys_sendto.bad_fd
        profiles: spec
        steps:
          sendto #99 10 to 198.51.100.7:9
            => EBADF sys_sendto.bad_fd
        """;

    private const string OddId = "odd/x<y&z> \"#1%";

    private static TempCases Cases() => new TempCases()
        .With("udp_sendmsg/ok", TempCases.Passing)
        .With("udp_sendmsg/linux_fails", LinuxFails)
        .With("sys_sendto/spec_only", SpecOnly);

    private static CliRun Matrix(TempCases cases, string output, params string[] more) =>
        CliHarness.Run(cases.Root, ["matrix", "--target", "model:spec", "--target", "model:linux", "--cases", cases.Folder, "--out", output, .. more]);

    /// <summary>The cells of a clause's row in matrix.md, split on the '|' that are not escaped.</summary>
    private static string[] Row(string markdown, string clause)
    {
        var line = markdown.Split('\n').Single(l => l.StartsWith($"| `{clause}` |", StringComparison.Ordinal));
        return Regex.Split(line.Trim(), @"(?<!\\)\|").Select(c => c.Trim()).Where((_, i) => i > 1).SkipLast(1).ToArray();
    }

    [Fact]
    public void The_model_profiles_write_every_report_and_the_matrix_and_exit_0_despite_failures()
    {
        using var cases = Cases();
        var output = cases.PathOf("out");
        var run = Matrix(cases, output);
        Assert.True(run.ExitCode == 0, run.ToString());

        foreach (var slug in new[] { "model-spec", "model-linux" })
            foreach (var name in new[] { "junit.xml", "report.json", "report.md" })
                Assert.True(File.Exists(Path.Combine(output, slug, name)), $"{slug}/{name}\n{run}");
        Assert.True(File.Exists(Path.Combine(output, "model-linux", "failures", "udp_sendmsg-linux_fails.linux.pcap")), run.ToString());
        Assert.False(Directory.Exists(Path.Combine(output, "model-spec", "failures")), "nothing failed under spec");
        Assert.True(File.Exists(Path.Combine(output, "matrix.md")));
        Assert.True(File.Exists(Path.Combine(output, "matrix.html")));

        Assert.Contains("wrote out/matrix.md", run.Out);
        Assert.Contains("wrote out/matrix.html", run.Out);
        Assert.Contains("wrote out/model-linux/report.md", run.Out);
        Assert.Contains("model:spec (profile spec): 3 passed, 0 failed, 0 errors, 0 not applicable", run.Out);
        Assert.Contains("model:linux (profile linux): 1 passed, 1 failed, 0 errors, 0 not applicable", run.Out);
        Assert.Contains("(2 runs of 3 cases)", run.Out);
    }

    [Fact]
    public void A_case_failing_under_one_profile_fails_only_in_its_column_and_links_to_its_failure_report()
    {
        using var cases = Cases();
        var output = cases.PathOf("out");
        var run = Matrix(cases, output);
        Assert.True(run.ExitCode == 0, run.ToString());
        var markdown = File.ReadAllText(Path.Combine(output, "matrix.md"));

        var cells = Row(markdown, "udp_sendmsg.cmsg");
        Assert.Equal("pass 1/1", cells[0]);
        Assert.StartsWith("**fail 1/1**", cells[1]);
        var link = Regex.Match(cells[1], @"\]\(([^)]+)\)").Groups[1].Value;
        Assert.Equal("model-linux/failures/udp_sendmsg-linux_fails.linux.txt", link);
        var report = File.ReadAllText(Path.Combine(output, link));
        Assert.Contains("udp_sendmsg/linux_fails (linux) on model:linux: Fail", report);
        Assert.Contains("expected: ", report);
        Assert.Contains("observed: 10", report);

        // The same link in the page.
        var html = File.ReadAllText(Path.Combine(output, "matrix.html"));
        Assert.Contains($"<a href=\"{link}\">udp_sendmsg/linux_fails</a>", html);
        // The passing clause passes in both columns.
        Assert.Equal(["pass 1/1", "pass 1/1"], Row(markdown, "udp_sendmsg.dport_zero"));
    }

    [Fact]
    public void A_case_for_one_profile_is_not_applicable_in_the_other_column_and_unnamed_clauses_are_dashes()
    {
        using var cases = Cases();
        var output = cases.PathOf("out");
        var run = Matrix(cases, output);
        Assert.True(run.ExitCode == 0, run.ToString());
        var markdown = File.ReadAllText(Path.Combine(output, "matrix.md"));
        Assert.Equal(["pass 1/1", "n.a."], Row(markdown, "sys_sendto.bad_fd"));
        Assert.Equal(["—", "—"], Row(markdown, "scm_send.credentials"));
        var html = File.ReadAllText(Path.Combine(output, "matrix.html"));
        Assert.Matches("<code>sys_sendto.bad_fd</code></th><td class=\"pass\"[^>]*>pass 1/1</td><td class=\"na\"[^>]*>n.a.</td>", html);
    }

    [Fact]
    public void An_odd_case_id_is_escaped_in_the_page_and_its_links_still_reach_its_failure_files()
    {
        using var cases = Cases().With(OddId, TempCases.Failing);
        var output = cases.PathOf("out");
        var run = Matrix(cases, output);
        Assert.True(run.ExitCode == 0, run.ToString());

        var html = File.ReadAllText(Path.Combine(output, "matrix.html"));
        Assert.DoesNotContain("x<y", html);
        Assert.Contains("odd/x&lt;y&amp;z&gt; &quot;#1%", html);
        var hrefs = Regex.Matches(html, "<a href=\"([^\"]*failures/[^\"]*)\">odd/").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(2, hrefs.Length);
        foreach (var href in hrefs)
        {
            // What a browser does: undo the HTML escaping, then the percent-encoding, relative to the page.
            var path = Uri.UnescapeDataString(WebUtility.HtmlDecode(href));
            Assert.True(File.Exists(Path.Combine(output, path)), path);
        }
        var markdown = File.ReadAllText(Path.Combine(output, "matrix.md"));
        Assert.Contains("[`odd/x<y&z> \"#1%`](model-spec/failures/odd-x%3Cy%26z%3E%20%22%231%25.spec.txt)", markdown);
    }

    [Fact]
    public void Model_alone_is_both_profiles_and_the_clause_filter_keeps_its_rows()
    {
        using var cases = Cases();
        var output = cases.PathOf("out");
        var run = CliHarness.Run(cases.Root, "matrix", "--target", "model", "--cases", cases.Folder, "--out", output, "--clause", "udp_sendmsg.cmsg");
        Assert.True(run.ExitCode == 0, run.ToString());
        var markdown = File.ReadAllText(Path.Combine(output, "matrix.md"));
        Assert.Contains("| clause | `model:spec` | `model:linux` |", markdown);
        var rows = markdown.Split('\n').SkipWhile(l => !l.StartsWith("| clause |", StringComparison.Ordinal)).Skip(2).Where(l => l.StartsWith('|')).ToArray();
        Assert.Equal(["udp_sendmsg.cmsg"], rows.Select(r => r.Split('`')[1]));
        Assert.Contains("(1 runs of 1 cases)", run.Out);
    }

    [Theory]
    [InlineData("--target pigeon")]
    [InlineData("--target model:bsd")]
    [InlineData("--target exec:")]
    [InlineData("--target model:spec no_such_case/")]
    [InlineData("--target model:spec --no-such-option")]
    public void Bad_usage_and_unreachable_targets_exit_2_and_write_nothing(string arguments)
    {
        using var cases = Cases();
        var output = cases.PathOf("out");
        var run = CliHarness.Run(cases.Root, ["matrix", .. arguments.Split(' '), "--cases", cases.Folder, "--out", output]);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.NotEqual("", run.Error.Trim());
        Assert.False(Directory.Exists(output), run.ToString());
    }

    [Fact]
    public void An_output_that_cannot_be_a_folder_exits_2_before_any_case_runs()
    {
        using var cases = Cases();
        var file = cases.PathOf("a-file");
        File.WriteAllText(file, "");
        var run = Matrix(cases, file);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("cannot write the matrix", run.Error);
        Assert.DoesNotContain("passed", run.Out);
    }

    [Fact]
    public void A_missing_case_folder_exits_2()
    {
        using var cases = Cases();
        var run = CliHarness.Run(cases.Root, "matrix", "--target", "model:spec", "--cases", cases.PathOf("nowhere"), "--out", cases.PathOf("out"));
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("does not exist", run.Error);
    }
}
