using System.Text.Json;
using System.Xml.Linq;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Pcap;
using Udpconf.Suite.Reports;
using Xunit;

namespace Udpconf.Tests.Reports;

/// <summary>The JUnit, JSON and Markdown reports and the failure pcaps, on a run with a result of every kind.</summary>
public class ReportTests
{
    private static readonly PerMutant<IReadOnlyList<CaseResult>> Fixture = new(ReportFixture.Results);
    private static IReadOnlyList<CaseResult> Results => Fixture.Value;

    [Fact]
    public void The_fixture_has_every_kind_of_result()
    {
        Assert.Equal(
            [VerdictKind.Pass, VerdictKind.Fail, VerdictKind.Fail, VerdictKind.Error, VerdictKind.NotApplicable, VerdictKind.Pass],
            Results.Select(r => r.Kind));
    }

    [Fact]
    public void JUnit_parses_and_counts_testcases_failures_errors_and_skips()
    {
        var xml = XDocument.Parse(JUnitReport.Write(Results));
        var root = xml.Root!;
        Assert.Equal("testsuites", root.Name.LocalName);
        Assert.Equal(["6", "2", "1", "1"], new[] { "tests", "failures", "errors", "skipped" }.Select(a => root.Attribute(a)!.Value));
        var suites = root.Elements("testsuite").ToArray();
        Assert.Equal(["model:linux", "model:spec"], suites.Select(s => s.Attribute("name")!.Value));
        var linux = suites[0];
        Assert.Equal(5, linux.Elements("testcase").Count());
        Assert.Equal(2, linux.Descendants("failure").Count());
        Assert.Single(linux.Descendants("error"));
        Assert.Single(linux.Descendants("skipped"));
        Assert.Equal("5", linux.Attribute("tests")!.Value);

        var wrong = linux.Elements("testcase").Single(t => t.Attribute("name")!.Value == "udp_sendmsg/wrong");
        Assert.Equal("udp_sendmsg", wrong.Attribute("classname")!.Value);
        var failure = wrong.Element("failure")!;
        Assert.Contains("[case] result: expected EINVAL [udp_sendmsg.dport_zero], observed 10 (udp_sendmsg.dport_zero)", failure.Attribute("message")!.Value);
        Assert.Contains("deciding clause", failure.Value);

        var ttl = linux.Elements("testcase").Single(t => t.Attribute("name")!.Value == "ip_push/ttl").Element("failure")!;
        Assert.Contains("packet 1 ttl: expected 64, observed 1", ttl.Value);

        var error = linux.Descendants("error").Single();
        Assert.Contains("/cases/broken.case:4:26: expected a port, found 'x'", error.Attribute("message")!.Value);
        Assert.Equal("cases", error.Parent!.Attribute("classname")!.Value);
        Assert.Contains("not for profile linux", linux.Descendants("skipped").Single().Attribute("message")!.Value);
    }

    [Fact]
    public void Json_parses_with_every_result_step_problem_and_packet()
    {
        using var json = JsonDocument.Parse(JsonReport.Write(Results));
        var root = json.RootElement;
        Assert.Equal(6, root.GetProperty("summary").GetProperty("total").GetInt32());
        Assert.Equal(2, root.GetProperty("summary").GetProperty("fail").GetInt32());
        var results = root.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(Results.Select(r => r.CaseId), results.Select(r => r.GetProperty("case").GetString()));
        Assert.Equal(["pass", "fail", "fail", "error", "not-applicable", "pass"], results.Select(r => r.GetProperty("verdict").GetString()));

        var ttlStep = results[2].GetProperty("steps")[2];
        Assert.Equal("sendto s 10 to 198.51.100.7:9", ttlStep.GetProperty("operation").GetString());
        Assert.Equal("udp_sendmsg.result", ttlStep.GetProperty("predicted").GetProperty("clause").GetString());
        var expected = Convert.FromHexString(ttlStep.GetProperty("expectedPackets")[0].GetProperty("hex").GetString()!);
        var observed = Convert.FromHexString(ttlStep.GetProperty("observed").GetProperty("packets")[0].GetProperty("hex").GetString()!);
        Assert.Equal(Results[2].Steps[2].ExpectedPackets[0], expected);
        Assert.Equal(64, expected[8]);
        Assert.Equal(1, observed[8]);
        var problems = ttlStep.GetProperty("problems").EnumerateArray().ToArray();
        Assert.Contains(problems, p => p.GetProperty("what").GetString() == "packet 1 ttl" && p.GetProperty("clause").GetString() == "ip_push.ttl");
        Assert.Contains("/cases/broken.case:4:26", results[3].GetProperty("reason").GetString());
    }

    [Fact]
    public void Markdown_summarises_by_clause_and_shows_each_failure_side_by_side()
    {
        var text = MarkdownReport.Write(Results);
        Assert.Contains("| clause | linux | spec |", text);
        // linux: ok passes, wrong and ttl fail, spec_only does not apply; spec: ok passes.
        Assert.Contains("| `udp_sendmsg.dport_zero` | **1 / 2 / 1** | 1 / 0 / 0 |", text);
        Assert.Contains("| (no clause: malformed) | **0 / 1 / 0** | — |", text);
        Assert.Contains("### `ip_push/ttl` (linux) on `model:linux`: fail", text);
        Assert.Contains("| ✗ | packet 1 ttl (model) | 64 | 1 | `ip_push.ttl` |", text);
        Assert.Contains("ttl=64", text);
        Assert.Contains("ttl=1 ", text);
        Assert.Contains("/cases/broken.case:4:26: expected a port", text);
        Assert.DoesNotContain("### `udp_sendmsg/ok`", text);
    }

    [Fact]
    public void The_failure_pcap_holds_the_expected_then_the_observed_packets()
    {
        var ttl = Results[2];
        Assert.True(PcapFile.TryRead(FailurePcap.Write(ttl), out var packets, out _, out var problem), problem);
        Assert.Equal(2, packets.Count);
        Assert.Equal(64, packets[0][8]);
        Assert.Equal(1, packets[1][8]);
        var text = FailurePcap.Describe(ttl);
        Assert.Contains("packet 1 (step 3 expected 1/1)", text);
        Assert.Contains("packet 2 (step 3 observed 1/1)", text);
        Assert.Contains("pcap records 1-2: 1 expected, then 1 observed", text);
    }

    [Fact]
    public void A_result_failing_only_on_its_return_value_gives_both_packets_too()
    {
        var wrong = Results[1];
        Assert.True(PcapFile.TryRead(FailurePcap.Write(wrong), out var packets, out _, out var problem), problem);
        Assert.Equal(2, packets.Count);
        Assert.Equal(packets[0], packets[1]);
    }

    [Fact]
    public void Report_directory_names_failure_files_by_case_and_profile()
    {
        var dir = TempFolders.Create("udpconf-reports-").FullName;
        try
        {
            var written = ReportDirectory.Write(dir, Results);
            Assert.Equal(["junit.xml", "report.json", "report.md"], written.Take(3).Select(Path.GetFileName));
            Assert.Equal(
                ["ip_push-ttl.linux.pcap", "ip_push-ttl.linux.txt", "udp_sendmsg-wrong.linux.pcap", "udp_sendmsg-wrong.linux.txt"],
                Directory.GetFiles(Path.Combine(dir, "failures")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
