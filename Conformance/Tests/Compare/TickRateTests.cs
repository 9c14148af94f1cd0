using Xunit;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;

namespace Udpconf.Tests.Compare;

/// <summary>A timeout read back in jiffies depends on the build's CONFIG_HZ: the model answers with the host's tick-rate
/// symbol, the comparison binds it from the first reading that tells the rates apart, and every later reading must
/// agree with that rate; the case's own <c>value timeout:</c> accepts any rate a kernel is built with.</summary>
public sealed class TickRateTests
{
    private const string Text = """
        clauses: options.timeout
        profiles: linux

        host:
          link tun0 192.0.2.1/24

        steps:
          socket s
          setsockopt s 1/21 hex:00000000000000000100000000000000
          getsockopt s 1/21 len 16
            => 16 value timeout:0.000001
          setsockopt s 1/21 hex:0000000000000000a10f000000000000
          getsockopt s 1/21 len 16
            => 16 value timeout:0.004001
        """;

    private static byte[] Tv(long seconds, long micros) => [.. BitConverter.GetBytes(seconds), .. BitConverter.GetBytes(micros)];

    /// <summary>A target that answers the two readings with the bytes given.</summary>
    private sealed class Reading(byte[] first, byte[] second) : ITarget
    {
        public string Name => "reading";
        public IReadOnlySet<Feature> Features { get; } = new HashSet<Feature>();
        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default) =>
            new([
                new Observation(OutcomeKind.Value, 3, null, []),
                new Observation(OutcomeKind.Value, 0, null, []),
                new Observation(OutcomeKind.Value, 16, null, [], first),
                new Observation(OutcomeKind.Value, 0, null, []),
                new Observation(OutcomeKind.Value, 16, null, [], second),
            ]);
        public ITargetSession Open(HostConfig host, bool ipv6 = false) => throw new NotSupportedException();
    }

    private static CaseResult RunWith(byte[] first, byte[] second)
    {
        var parsed = CaseParser.Parse("hz.case", "hz", Text);
        Assert.Empty(parsed.Diagnostics);
        return CaseRunner.Run(parsed.Case!, Profile.Linux, new Reading(first, second));
    }

    [Theory]
    [Trait("clause", "options.timeout")]
    [InlineData(4000L, 8000L)]   // HZ 250, the build measured
    [InlineData(1000L, 5000L)]   // HZ 1000
    [InlineData(3333L, 6666L)]   // HZ 300
    [InlineData(10000L, 10000L)] // HZ 100
    public void Readings_at_one_tick_rate_pass(long first, long second)
    {
        var result = RunWith(Tv(0, first), Tv(0, second));
        Assert.True(result.Kind == VerdictKind.Pass, string.Join("; ", result.Steps.SelectMany(s => s.Problems)));
    }

    [Fact]
    [Trait("clause", "options.timeout")]
    public void Readings_at_two_tick_rates_fail_the_model_comparison_but_not_the_case_lines()
    {
        // 1 µs read as at HZ 250, 4001 µs as at HZ 1000: each a kernel's answer, not both one kernel's.
        var result = RunWith(Tv(0, 4000), Tv(0, 5000));
        Assert.Equal(VerdictKind.Fail, result.Kind);
        var problem = Assert.Single(result.Steps[4].Problems);
        Assert.Equal(ProblemSource.Model, problem.Source);
        Assert.Equal("option value", problem.What);
        Assert.Contains("HZ = 250", problem.Expected);
        Assert.Empty(result.Steps[2].Problems);
    }

    [Fact]
    [Trait("clause", "options.timeout")]
    public void A_reading_no_tick_rate_gives_fails_the_case_and_the_model()
    {
        var result = RunWith(Tv(0, 2000), Tv(0, 8000));
        Assert.Equal(VerdictKind.Fail, result.Kind);
        var problems = result.Steps[2].Problems;
        Assert.Contains(problems, p => p.Source == ProblemSource.Case && p.Expected.Contains("timeout:0.000001"));
        Assert.Contains(problems, p => p.Source == ProblemSource.Model && p.Expected.Contains("HZ in 100|250|300|1000"));
    }

    [Theory]
    [InlineData("timeout:0.000000", "a timeout set, not 0")]
    [InlineData("timeout:1.5", "six digits")]
    [InlineData("timeout:-1.000000", "SECONDS.MICROS")]
    [InlineData("timeout:x", "SECONDS.MICROS")]
    public void A_malformed_timeout_value_is_a_case_error(string value, string problem)
    {
        var parsed = CaseParser.Parse("bad.case", "bad", Text.Replace("value timeout:0.000001", "value " + value));
        var diagnostic = Assert.Single(parsed.Diagnostics);
        Assert.Contains(problem, diagnostic.Problem);
        Assert.Equal(11, diagnostic.Position.Line);
    }
}
