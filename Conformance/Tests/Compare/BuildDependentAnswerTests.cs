using Xunit;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;

namespace Udpconf.Tests.Compare;

/// <summary>Where kernels answer by build (an <see cref="Alternative"/> of the prediction), the comparison accepts the
/// other answer, says which build it belongs to, and still refuses any third answer.</summary>
public sealed class BuildDependentAnswerTests
{
    private const string Text = """
        # getsockopt of a multicast-routing option number
        clauses: getsockopt.option
        profiles: linux

        host:
          link tun0 192.0.2.1/24 mtu 1500

        steps:
          socket s
          getsockopt s 0/200
        """;

    /// <summary>A target that opens the socket and answers the getsockopt with a fixed errno.</summary>
    private sealed class Answering(Errno errno) : ITarget
    {
        public string Name => "fixed";
        public IReadOnlySet<Feature> Features { get; } = new HashSet<Feature>();
        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default) =>
            new([new Observation(OutcomeKind.Value, 3, null, []), new Observation(OutcomeKind.Error, -1, errno, [])]);
        public ITargetSession Open(HostConfig host, bool ipv6 = false) => throw new NotSupportedException();
    }

    private static CaseResult RunWith(Errno errno)
    {
        var parsed = CaseParser.Parse("build.case", "build", Text);
        Assert.Empty(parsed.Diagnostics);
        return CaseRunner.Run(parsed.Case!, Profile.Linux, new Answering(errno));
    }

    [Fact]
    [Trait("clause", "getsockopt.option")]
    public void The_model_answer_passes_without_a_note()
    {
        var result = RunWith(Errno.EOPNOTSUPP);
        Assert.Equal(VerdictKind.Pass, result.Kind);
        Assert.Null(result.Steps[1].Reason);
        Assert.DoesNotContain("depend on the build", Udpconf.Suite.Reports.MarkdownReport.Write([result]));
    }

    [Fact]
    [Trait("clause", "getsockopt.option")]
    public void The_other_build_answer_passes_and_names_the_build_option()
    {
        var result = RunWith(Errno.ENOPROTOOPT);
        Assert.Equal(VerdictKind.Pass, result.Kind);
        Assert.Equal(
            "ENOPROTOOPT instead of EOPNOTSUPP [getsockopt.option]: allowed, the answer of a kernel built without multicast routing (CONFIG_IP_MROUTE not set)",
            result.Steps[1].Reason);
        var markdown = Udpconf.Suite.Reports.MarkdownReport.Write([result]);
        Assert.Contains("## Answers that depend on the build", markdown);
        Assert.Contains($"step 2 `getsockopt s 0/200`: {result.Steps[1].Reason}", markdown);
    }

    [Fact]
    [Trait("clause", "getsockopt.option")]
    public void Any_other_answer_fails()
    {
        var result = RunWith(Errno.EINVAL);
        Assert.Equal(VerdictKind.Fail, result.Kind);
        var problem = Assert.Single(result.Steps[1].Problems);
        Assert.Equal(("result", "EOPNOTSUPP", "EINVAL"), (problem.What, problem.Expected, problem.Observed));
    }
}
