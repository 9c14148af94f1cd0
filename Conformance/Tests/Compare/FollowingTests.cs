using Xunit;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;

namespace Udpconf.Tests.Compare;

/// <summary>A case says something about every step, not only up to its first difference: the model follows a target
/// that refused a call (replayed without it), and a socket whose state it cannot know any more has its later
/// differences shown as not applicable, not counted as failures.</summary>
public sealed class FollowingTests
{
    private const string Text = """
        clauses: setsockopt.option
        profiles: linux

        host:
          link tun0 192.0.2.1/24

        steps:
          socket s
          setsockopt s 0/2 {0}
          getsockopt s 0/2
          getsockopt s 0/2
        """;

    /// <summary>A target that answers with the observations given, in order.</summary>
    private sealed class Scripted(params Observation[] observations) : ITarget
    {
        public string Name => "scripted";
        public IReadOnlySet<Feature> Features { get; } = new HashSet<Feature>();
        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default) => new(observations);
        public ITargetSession Open(HostConfig host, bool ipv6 = false) => throw new NotSupportedException();
    }

    private static Observation Value(long value, byte[]? option = null) => new(OutcomeKind.Value, value, null, [], option);
    private static Observation Error(Errno errno) => new(OutcomeKind.Error, -1, errno, []);

    private static CaseResult Run(string ttl, params Observation[] observations)
    {
        var parsed = CaseParser.Parse("follow.case", "follow", Text.Replace("{0}", ttl));
        Assert.Empty(parsed.Diagnostics);
        return CaseRunner.Run(parsed.Case!, Profile.Linux, new Scripted(observations));
    }

    [Fact]
    public void After_a_refused_call_the_model_goes_on_from_the_targets_state()
    {
        // The target refuses IP_TTL 5 and keeps 64: the model, replayed without the call, agrees from then on.
        var result = Run("5", Value(3), Error(Errno.ENOPROTOOPT), Value(4, [64, 0, 0, 0]), Value(4, [64, 0, 0, 0]));
        Assert.Equal([VerdictKind.Pass, VerdictKind.Fail, VerdictKind.Pass, VerdictKind.Pass], result.Steps.Select(s => s.Kind));
        Assert.Equal(VerdictKind.Fail, result.Kind);
    }

    [Fact]
    public void After_a_call_the_model_refused_and_the_target_took_differences_are_shown_not_counted()
    {
        // IP_TTL 256 is EINVAL on Linux; the target takes it and reads it back: the socket's state is the target's own.
        var result = Run("hex:00010000", Value(3), Value(0), Value(4, [0, 1, 0, 0]), Value(4, [64, 0, 0, 0]));
        Assert.Equal([VerdictKind.Pass, VerdictKind.Fail, VerdictKind.NotApplicable, VerdictKind.Pass], result.Steps.Select(s => s.Kind));
        Assert.Contains("cannot follow since step 2", result.Steps[2].Reason);
        Assert.Contains("option value", result.Steps[2].Reason);
    }

    [Fact]
    public void A_target_that_agrees_is_judged_as_before()
    {
        var result = Run("5", Value(3), Value(0), Value(4, [5, 0, 0, 0]), Value(4, [5, 0, 0, 0]));
        Assert.All(result.Steps, s => Assert.Equal(VerdictKind.Pass, s.Kind));
    }
}
