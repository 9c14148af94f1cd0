using System.Text.Json;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;
using Udpconf.Suite.Targets;
using Xunit;

namespace Udpconf.Tests.Reports;

/// <summary>A step answered with thousands of packets, or a case failing on many steps, is summarised in the reports
/// (how many were left out is said) instead of dumped; the failure pcap keeps every packet.</summary>
public sealed class ReportBoundsTests
{
    /// <summary>Answers every operation with 0 and <paramref name="packets"/> 28-byte packets on tun0.</summary>
    private sealed class Flooding(int packets) : ITarget
    {
        public string Name => "flood";
        public IReadOnlySet<Feature> Features { get; } = new HashSet<Feature>();
        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default) =>
            new(operations.Select(_ => new Observation(OutcomeKind.Value, 0, null,
                Enumerable.Range(0, packets).Select(i => new ObservedPacket("tun0", new byte[28])).ToArray())).ToArray());
        public ITargetSession Open(HostConfig host, bool ipv6 = false) => throw new NotSupportedException();
    }

    private static CaseResult Run(int steps, int packets)
    {
        var text = "clauses: udp_sendmsg.dport_zero\nsteps:\n  socket s\n" + string.Concat(Enumerable.Repeat("  sendto s 10 to 198.51.100.7:0\n", steps - 1));
        var parsed = CaseParser.Parse("/cases/flood.case", "flood", text);
        Assert.True(parsed.Case is not null, string.Join("\n", parsed.Diagnostics));
        return CaseRunner.Run(parsed.Case, Profile.Linux, new Flooding(packets), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Thousands_of_packets_in_one_step_are_counted_not_dumped()
    {
        var result = Run(steps: 2, packets: 5000);
        Assert.Equal(VerdictKind.Fail, result.Kind);

        using var json = JsonDocument.Parse(JsonReport.Write([result]));
        var step = json.RootElement.GetProperty("results")[0].GetProperty("steps")[1].GetProperty("observed");
        Assert.Equal(ReportText.PacketsShown, step.GetProperty("packets").GetArrayLength());
        Assert.Equal(5000 - ReportText.PacketsShown, step.GetProperty("packetsOmitted").GetInt32());

        var markdown = MarkdownReport.Write([result]);
        Assert.Contains($"… {5000 - ReportText.PacketsShown} more packets (the failure pcap has them all)", markdown);
        Assert.True(markdown.Length < 400_000, $"report.md is {markdown.Length} characters");

        var described = FailurePcap.Describe(result);
        Assert.Contains($"… {2 * 5000 - FailurePcap.DissectedRecords} more records: open the pcap", described);
        Assert.Equal(24 + 2 * 5000 * (16 + 28), FailurePcap.Write(result).Length); // every packet kept in the pcap
    }

    [Fact]
    public void A_case_failing_on_many_steps_shows_the_first_and_counts_the_rest()
    {
        var result = Run(steps: 300, packets: 1);
        var failing = result.Steps.Count(ReportText.IsFailure);
        Assert.True(failing > ReportText.FailingStepsShown, $"{failing} failing steps");
        var markdown = MarkdownReport.Write([result]);
        Assert.Contains($"… and {failing - ReportText.FailingStepsShown} more failing steps (report.json lists them all).", markdown);
        Assert.Equal(ReportText.FailingStepsShown, markdown.Split("#### Step ").Length - 1);
    }
}
