using System.Text.Json;
using System.Xml.Linq;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets.Model;
using Udpconf.Tests.Cli;
using Xunit;

namespace Udpconf.Tests.Verdicts;

/// <summary>
/// Steps the model does not say (<see cref="OutcomeKind.Unmodeled"/>, e.g. an IPv6 datagram) are not applicable, never
/// a silent pass: the case's own expectations on them are still checked against what the target observed (an
/// impossible one fails), they are counted in every report, and a case of which nothing was checked is not
/// applicable. The cases are in Conformance/Tests/Data/unmodeled (not in the suite).
/// </summary>
public class NotApplicableStepTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    private static string Folder => Path.Combine(Root, "Conformance", "Tests", "Data", "unmodeled");

    private static Case Load(string name)
    {
        var parsed = CaseParser.ParseFile(Path.Combine(Folder, name + ".case"), Folder);
        Assert.True(parsed.Case is not null, string.Join("\n", parsed.Diagnostics));
        return parsed.Case;
    }

    private static CaseResult Run(string name, ITarget target, Profile? profile = null) =>
        CaseRunner.Run(Load(name), profile ?? Profile.Linux, target, TestContext.Current.CancellationToken);

    // ---- the case's own expectations on a step the model does not say ----

    [Fact]
    public void An_impossible_expectation_on_a_step_the_model_does_not_say_fails_where_the_target_observes_the_step()
    {
        var result = Run("impossible_ipv6_dst", new SeesIpv6Target());
        Assert.Equal(VerdictKind.Fail, result.Kind);
        var step = result.Steps[1];
        Assert.Equal(VerdictKind.Fail, step.Kind);
        var problem = Assert.Single(step.Problems);
        Assert.Equal((ProblemSource.Case, "packet 1 dst", "2001:db8::2"), (problem.Source, problem.What, problem.Expected));
        Assert.StartsWith("(not IPv4", problem.Observed);
        Assert.Contains("the model does not say", step.Reason);
        Assert.Equal(VerdictKind.Pass, result.Steps[0].Kind);
    }

    [Fact]
    public void An_impossible_expectation_on_an_IPv6_datagram_fails_on_the_live_kernel()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var result = Run("impossible_ipv6_dst", new KernelTarget());
        Assert.True(result.Kind == VerdictKind.Fail, ReportText.AllProblems(result));
        var problem = Assert.Single(result.Steps[1].Problems);
        Assert.Equal("packet 1 dst", problem.What);
        Assert.StartsWith("(not IPv4", problem.Observed);
    }

    [Fact]
    public void On_the_model_target_nothing_of_the_step_is_observed_so_its_expectations_are_reported_unchecked()
    {
        // The model target is the model: for a step the model does not say it observes nothing, so the impossible
        // expectation cannot be checked there. The step is not applicable, says so, and is counted; the case
        // passes on what was checked (its socket step).
        var result = Run("impossible_ipv6_dst", new ModelTarget(Profile.Linux));
        Assert.Equal(VerdictKind.Pass, result.Kind);
        var step = result.Steps[1];
        Assert.Equal(VerdictKind.NotApplicable, step.Kind);
        Assert.Equal(0, step.CaseChecks);
        Assert.Contains("3 expectation(s) of the case not checked: nothing was observed", step.Reason);
        Assert.Equal(1, ReportText.Tally.Of([result]).NotApplicableSteps);
    }

    [Fact]
    public void Expectations_that_hold_on_a_step_the_model_does_not_say_leave_it_not_applicable_and_are_counted()
    {
        var result = Run("ipv6_held", new SeesIpv6Target());
        Assert.Equal(VerdictKind.Pass, result.Kind);
        var step = result.Steps[1];
        Assert.Equal(VerdictKind.NotApplicable, step.Kind);
        Assert.Equal(2, step.CaseChecks);
        Assert.Contains("the case's own expectations held (2 checked)", step.Reason);
    }

    [Fact]
    public void Expectations_that_hold_on_an_IPv6_datagram_hold_on_the_live_kernel()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var result = Run("ipv6_held", new KernelTarget());
        Assert.True(result.Kind == VerdictKind.Pass, ReportText.AllProblems(result));
        Assert.Equal((VerdictKind.NotApplicable, 2), (result.Steps[1].Kind, result.Steps[1].CaseChecks));
    }

    [Fact]
    public void A_deciding_clause_on_a_step_the_model_does_not_say_is_reported_as_not_checked()
    {
        var text = File.ReadAllText(Path.Combine(Folder, "ipv6_held.case")).Replace("=> 10", "=> 10 udp_sendmsg.dport_zero");
        var parsed = CaseParser.Parse("clause.case", "clause", text);
        Assert.NotNull(parsed.Case);
        var result = CaseRunner.Run(parsed.Case, Profile.Linux, new SeesIpv6Target(), TestContext.Current.CancellationToken);
        Assert.Equal(VerdictKind.NotApplicable, result.Steps[1].Kind);
        Assert.Contains("not checked: the deciding clause udp_sendmsg.dport_zero (the model does not say)", result.Steps[1].Reason);
    }

    [Fact]
    public void A_case_of_which_nothing_was_checked_is_not_applicable_with_the_reason()
    {
        foreach (var target in new ITarget[] { new ModelTarget(Profile.Linux), new SeesIpv6Target() })
        {
            var result = Run("nothing_checked", target);
            Assert.Equal(VerdictKind.NotApplicable, result.Kind);
            Assert.StartsWith("nothing could be checked", result.Reason);
            Assert.Contains("socket type 1 is not a UDP socket", result.Reason);
        }
    }

    [Fact]
    public void Checksum_valid_checks_a_fragmented_datagram_reassembled()
    {
        // 3000 bytes over an MTU of 1500: three fragments; csum=valid on each verifies the whole datagram.
        const string text = """
            clauses: ip_append_data.fragment_layout
            steps:
              socket s
              sendto s 3000 to 198.51.100.7:9
                => 3000
                wire: 3
                packet 1 mf=1 csum=valid
                packet 3 mf=0 csum=valid
            """;
        var parsed = CaseParser.Parse("frag.case", "frag", text);
        Assert.NotNull(parsed.Case);
        var pass = CaseRunner.Run(parsed.Case, Profile.Linux, new ModelTarget(Profile.Linux), TestContext.Current.CancellationToken);
        Assert.True(pass.Kind == VerdictKind.Pass, ReportText.AllProblems(pass));

        // A byte of the last fragment's data changed (the IP header checksum is not what csum checks): no longer valid.
        var broken = CaseRunner.Run(parsed.Case, Profile.Linux, new LastByteFlipped(new ModelTarget(Profile.Linux)), TestContext.Current.CancellationToken);
        var problems = broken.Steps[1].Problems.Where(p => p.Source == ProblemSource.Case).ToArray();
        Assert.Equal(["packet 1 csum", "packet 3 csum"], problems.Select(p => p.What));
        Assert.All(problems, p => Assert.Contains("does not verify over the datagram reassembled from 3 fragments", p.Observed));
    }

    [Fact]
    public void Checksum_valid_on_a_fragment_whose_datagram_is_incomplete_says_which_bytes_are_missing()
    {
        var packets = new ModelTarget(Profile.Linux).Run(HostConfig.Default,
            [new SocketOp("s", AddressFamily.Inet, SocketType.Dgram, 0),
             new SendToOp(Fd.Named("s"), UserBuffer.Pattern(3000), MsgFlags.None, UserBuffer.Of(SockAddr.In(Ipv4Address.Parse("198.51.100.7"), 9)), SockAddr.InLength)],
            TestContext.Current.CancellationToken).Observations[1].Packets;
        Assert.Equal(3, packets.Count);
        Assert.True(CaseExpectations.ChecksumOf(packets, 0).Valid);
        var (valid, observed) = CaseExpectations.ChecksumOf([packets[0], packets[2]], 0);
        Assert.False(valid);
        Assert.Contains("are in no fragment of this step", observed);
        Assert.Contains("not among this step's packets", CaseExpectations.ChecksumOf([packets[0], packets[1]], 1).Observed);
    }

    // ---- the counts in every report ----

    [Fact]
    public void Check_on_the_model_counts_not_applicable_steps_in_the_summary_json_junit_and_markdown()
    {
        using var temp = new TempCases();
        var dir = temp.PathOf("reports");
        var run = CliHarness.Run(Root, "check", "--target", "model", "--cases", Folder, "--report-dir", dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        // impossible_ipv6_dst and ipv6_held pass (socket step) with one n/a step each, under each profile;
        // nothing_checked is not applicable under each, its one step n/a.
        Assert.Contains("udpconf check: 4 passed, 0 failed, 0 errors, 2 not applicable; 6 steps not applicable (6 runs of 3 cases", run.Out);
        Assert.Contains("6 steps not applicable (listed below)", run.Out);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
        var summary = json.RootElement.GetProperty("summary");
        Assert.Equal((4, 0, 0, 2, 6), (summary.GetProperty("pass").GetInt32(), summary.GetProperty("fail").GetInt32(),
            summary.GetProperty("error").GetInt32(), summary.GetProperty("notApplicable").GetInt32(), summary.GetProperty("notApplicableSteps").GetInt32()));
        Assert.All(json.RootElement.GetProperty("results").EnumerateArray(), r => Assert.Equal(1, r.GetProperty("notApplicableSteps").GetInt32()));

        var junit = XDocument.Load(Path.Combine(dir, "junit.xml"));
        Assert.Equal("2", junit.Root!.Attribute("skipped")!.Value);
        foreach (var suite in junit.Root.Elements("testsuite"))
        {
            Assert.Equal("1", suite.Attribute("skipped")!.Value);
            Assert.Equal("3", Property(suite, "notApplicableSteps"));
        }
        var impossible = junit.Descendants("testcase").Where(t => t.Attribute("name")!.Value == "impossible_ipv6_dst").ToArray();
        Assert.Equal(2, impossible.Length);
        Assert.All(impossible, t =>
        {
            Assert.Empty(t.Elements("skipped"));
            Assert.Equal("1", Property(t, "notApplicableSteps"));
            Assert.Contains("step 2 at", t.Element("system-out")!.Value);
            Assert.Contains("not applicable: the model does not say", t.Element("system-out")!.Value);
        });
        Assert.All(junit.Descendants("testcase").Where(t => t.Attribute("name")!.Value == "nothing_checked"),
            t => Assert.StartsWith("nothing could be checked", t.Element("skipped")!.Attribute("message")!.Value));

        var markdown = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("4 passed, 0 failed, 0 errors, 2 not applicable; 6 steps not applicable", markdown);
        Assert.Contains("## Not applicable", markdown);
        Assert.Contains("| `impossible_ipv6_dst` | spec | pass | 1 step not applicable (2): ", markdown);
    }

    [Fact]
    public void Check_on_the_live_kernel_fails_the_impossible_expectation_and_counts_the_rest()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        using var temp = new TempCases();
        var json = temp.PathOf("report.json");
        var run = CliHarness.Run(Root, "check", "--target", "kernel", "--cases", Folder, "--json", json);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("udpconf check: 1 passed, 1 failed, 0 errors, 1 not applicable; 2 steps not applicable (3 runs of 3 cases", run.Out);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(2, report.RootElement.GetProperty("summary").GetProperty("notApplicableSteps").GetInt32());
    }

    [Fact]
    public void The_matrix_counts_not_applicable_steps_beside_a_pass()
    {
        var cases = new[] { Load("impossible_ipv6_dst"), Load("ipv6_held"), Load("nothing_checked") };
        var results = cases.Select(c => CaseRunner.Run(c, Profile.Linux, new ModelTarget(Profile.Linux), TestContext.Current.CancellationToken)).ToArray();
        var matrix = Matrix.Build([new MatrixTarget("model:linux", "model:linux", "linux", "model-linux", results)], cases, DateTimeOffset.UnixEpoch);
        Assert.Equal("pass 2/2 (+2 n.a. steps)", matrix.Rows.Single(r => r.Label == "udpv6_sendmsg.unmodeled").Cells[0].Text);
        Assert.Equal("n.a. (1)", matrix.Rows.Single(r => r.Label == "socket.unsupported").Cells[0].Text);
        Assert.Equal(3, matrix.Totals[0].Results.NotApplicableSteps);
        Assert.Contains("; 3 steps not applicable", Matrix.Summary(matrix.Totals[0]));
    }

    private static string? Property(XElement element, string name) =>
        element.Element("properties")?.Elements("property").FirstOrDefault(p => p.Attribute("name")!.Value == name)?.Attribute("value")!.Value;

    /// <summary>The model, except that where it does not say (an IPv6 datagram) it "observes" what a kernel sends:
    /// the call returns the length and one IPv6 packet leaves on tun0. Lets the checks run without root.</summary>
    private sealed class SeesIpv6Target : ITarget
    {
        private readonly ModelTarget inner = new(Profile.Linux);
        public string Name => "sees-ipv6";
        public IReadOnlySet<Feature> Features => inner.Features;

        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default)
        {
            var run = inner.Run(host, operations, cancellation);
            return run with
            {
                Observations = run.Observations.Select((o, i) => o.Kind != OutcomeKind.Unmodeled ? o
                    : operations[i] is SendToOp send ? new Observation(OutcomeKind.Value, send.Data.Length, null, [new ObservedPacket("tun0", Ipv6Udp((int)send.Data.Length))])
                    : new Observation(OutcomeKind.Value, 3, null, [])).ToArray(),
            };
        }

        public ITargetSession Open(HostConfig host, bool ipv6 = false) => throw new NotSupportedException();

        private static byte[] Ipv6Udp(int length)
        {
            var packet = new byte[40 + 8 + length];
            packet[0] = 0x60;
            packet[4] = (byte)((8 + length) >> 8);
            packet[5] = (byte)(8 + length);
            packet[6] = 17;
            packet[7] = 64;
            byte[] prefix = [0x20, 0x01, 0x0d, 0xb8];
            prefix.CopyTo(packet, 8);
            packet[23] = 1;
            prefix.CopyTo(packet, 24);
            packet[39] = 2;
            packet[43] = 9;
            packet[45] = (byte)(8 + length);
            return packet;
        }
    }

    /// <summary>The model, with the last data byte of every step's last packet changed.</summary>
    private sealed class LastByteFlipped(ITarget inner) : ITarget
    {
        public string Name => inner.Name;
        public IReadOnlySet<Feature> Features => inner.Features;

        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default)
        {
            var run = inner.Run(host, operations, cancellation);
            return run with
            {
                Observations = run.Observations.Select(o => o.Packets.Count == 0 ? o : o with
                {
                    Packets = o.Packets.Select((p, i) => i < o.Packets.Count - 1 ? p : p with { Bytes = Flipped(p.Bytes) }).ToArray(),
                }).ToArray(),
            };
        }

        public ITargetSession Open(HostConfig host, bool ipv6 = false) => throw new NotSupportedException();

        private static byte[] Flipped(byte[] bytes)
        {
            var copy = (byte[])bytes.Clone();
            copy[^1] ^= 0xFF;
            return copy;
        }
    }
}
