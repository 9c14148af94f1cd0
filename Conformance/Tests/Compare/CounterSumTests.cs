using Xunit;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;

namespace Udpconf.Tests.Compare;

/// <summary>Issue 17: a target that reads the counters once for a run of steps (the live kernel) is held to the sum of
/// the model's predictions over the steps each read covers; a read over a step that was not compared, or that differed
/// on its own, is not compared, and says so.</summary>
public sealed class CounterSumTests
{
    private const string Text = """
        # four steps, three datagrams
        clauses: udp_sendmsg.result
        profiles: linux

        host:
          link tun0 192.0.2.1/24 mtu 1500
          route default via 192.0.2.254 dev tun0

        steps:
          socket s
          sendto s 10 to 198.51.100.7:9
          sendto s 10 to 198.51.100.7:9
          sendto s 10 to 198.51.100.7:9
        """;

    /// <summary>The model as the target, its observations reported as a target that reads the counters once after the
    /// last step reports them, <paramref name="change"/> applied to each (index, observation).</summary>
    private sealed class CountingOnce(Func<int, Observation, Observation>? change = null, bool honourEveryStep = true) : ITarget
    {
        private readonly ModelTarget model = new(Profile.Linux);
        public bool AskedForEveryStep { get; private set; }
        public string Name => "once";
        public IReadOnlySet<Feature> Features => model.Features;
        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default) =>
            Run(host, operations, _ => { }, cancellation);
        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, Action<Observation> observed, CancellationToken cancellation = default,
            bool countersEveryStep = false)
        {
            AskedForEveryStep = countersEveryStep;
            var each = model.Run(host, operations, cancellation).Observations;
            var sum = default(CounterDelta);
            var reported = each.Select((o, i) =>
            {
                sum += o.Counters!.Value;
                var last = i == each.Count - 1;
                var read = countersEveryStep && honourEveryStep ? o : o with { Counters = last ? sum : null, CounterSteps = last ? each.Count : 1 };
                return change?.Invoke(i, read) ?? read;
            }).ToArray();
            foreach (var o in reported) observed(o);
            return new TargetRun(reported);
        }
        public ITargetSession Open(HostConfig host, bool ipv6 = false) => throw new NotSupportedException();
    }

    private static CaseResult RunOn(ITarget target, string text = Text)
    {
        var parsed = CaseParser.Parse("counters.case", "counters", text);
        Assert.Empty(parsed.Diagnostics);
        return CaseRunner.Run(parsed.Case!, Profile.Linux, target);
    }

    [Fact]
    public void One_read_over_the_run_equal_to_the_sum_of_the_predictions_passes()
    {
        var result = RunOn(new CountingOnce());
        Assert.Equal(VerdictKind.Pass, result.Kind);
        Assert.All(result.Steps, s => Assert.Null(s.Reason));
    }

    [Fact]
    public void One_read_over_the_run_that_differs_from_the_sum_fails_its_step_and_names_the_steps_it_covers()
    {
        var result = RunOn(new CountingOnce((i, o) => o.Counters is { } c ? o with { Counters = c with { OutDatagrams = c.OutDatagrams - 1 } } : o));
        Assert.Equal(VerdictKind.Fail, result.Kind);
        Assert.All(result.Steps.Take(3), s => Assert.Equal(VerdictKind.Pass, s.Kind));
        var problem = Assert.Single(result.Steps[3].Problems);
        Assert.Equal("counters over the last 4 steps", problem.What);
        Assert.StartsWith("OutDatagrams=3 ", problem.Expected);
        Assert.StartsWith("OutDatagrams=2 ", problem.Observed);
    }

    [Fact]
    public void A_step_that_differs_on_its_own_leaves_the_read_over_it_uncompared_with_a_note()
    {
        // Step 2's packet is lost: that step fails; the read after step 4, whose sum would only repeat it, is not compared.
        var result = RunOn(new CountingOnce((i, o) => i == 1 ? o with { Packets = [] } : o.Counters is { } c ? o with { Counters = c with { OutDatagrams = 99 } } : o));
        Assert.Equal(VerdictKind.Fail, result.Steps[1].Kind);
        Assert.Equal(VerdictKind.Pass, result.Steps[3].Kind);
        Assert.Contains("counters over the last 4 steps not compared: step 2 differed", result.Steps[3].Reason);
    }

    [Fact]
    public void A_case_that_states_counters_asks_the_target_for_every_step()
    {
        var target = new CountingOnce();
        var result = RunOn(target, Text + "\n    counters: OutDatagrams=1\n");
        Assert.True(target.AskedForEveryStep);
        Assert.Equal(VerdictKind.Pass, result.Kind);
        Assert.False(new Func<bool>(() => { var plain = new CountingOnce(); RunOn(plain); return plain.AskedForEveryStep; })());
    }

    [Fact]
    public void A_stated_counter_is_not_checked_against_a_read_over_several_steps()
    {
        // A target that reads once whatever it is asked: the case's own counter expectation is left unchecked, not
        // checked against the sum (or against the model's prediction standing in).
        var result = RunOn(new CountingOnce(honourEveryStep: false), Text + "\n    counters: OutDatagrams=1\n");
        Assert.DoesNotContain(result.Steps[3].Problems, p => p.Source == ProblemSource.Case);
        Assert.Equal(0, result.Steps[3].CaseChecks);
        Assert.Equal(VerdictKind.Pass, result.Steps[3].Kind);
    }
}
