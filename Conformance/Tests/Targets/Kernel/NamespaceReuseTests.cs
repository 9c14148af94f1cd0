using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.TestSupport;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>The kernel target runs a case in the reset namespace of an earlier case on the same host, with one marker
/// after the case's last step, reading the error queue only of sockets given an option or a control message: every
/// case of the library observes there what it observes in a new namespace with a marker after every step and every
/// error queue read (the way every case ran before).</summary>
public class NamespaceReuseTests
{
    [Fact]
    public void Every_case_observes_in_a_reused_namespace_what_it_observes_in_a_new_one()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var root = SpecMap.FindRoot(AppContext.BaseDirectory)!;
        var cases = CaseLibrary.Load(CaseLibrary.DefaultFolder(root)).Where(f => f.Case is { } c && c.AppliesTo(Profile.Linux.Name)).Select(f => f.Case!).ToArray();
        using var reusing = new KernelTarget();
        using var fresh = new KernelTarget(reuseNamespaces: false, markerEveryStep: true, drainEveryErrorQueue: true);
        var differences = new List<string>();
        var compared = 0;
        // Twice through the library in the reusing target, so that every case also runs after others on its host.
        foreach (var @case in cases.Concat(cases))
        {
            var operations = @case.Steps.Select(s => s.Operation).ToArray();
            var reused = reusing.Run(@case.Host, operations, TestContext.Current.CancellationToken);
            var alone = fresh.Run(@case.Host, operations, TestContext.Current.CancellationToken);
            Assert.Equal(alone.Failure, reused.Failure);
            // The reference reads every step's counters; the reusing target once for the run: each of its reads must be
            // the sum of the reference's over the steps it covers.
            var expected = ChosenValues.CountedAs(alone.Observations, reused.Observations);
            for (var i = 0; i < alone.Observations.Count; i++)
            {
                compared++;
                var (a, b) = (ChosenValues.Masked(operations[i], expected[i]), ChosenValues.Masked(operations[i], reused.Observations[i]));
                if (a != b) differences.Add($"{@case.Id} step {i + 1}:\n  new:    {Cut(a)}\n  reused: {Cut(b)}");
            }
        }
        Assert.True(differences.Count == 0, $"{differences.Count} of {compared} steps differ:\n" + string.Join("\n", differences.Take(10)));
        Assert.True(compared > 1000, $"{compared} steps compared");
    }

    private const string Host = """
        clauses: udp_sendmsg.result
        profiles: linux

        host:
          link tun0 192.0.2.1/24 mtu 1500
          route default via 192.0.2.254 dev tun0

        steps:

        """;

    /// <summary>A run that leaves a route exception for 198.51.100.7: a DF datagram corked at MTU 1500 and pushed at
    /// 1006 is refused, and the ICMP fragmentation needed the host answers itself with teaches the path MTU.</summary>
    private const string Learn = """
          socket c
          setsockopt c IP_MTU_DISCOVER do
          sendto c 1400 to 198.51.100.7:9 flags MORE
          link tun0 mtu 1006
          sendto c 10 to 198.51.100.7:9
        """;

    /// <summary>A corked datagram to the same address, pushed after an MTU change and another socket's send there
    /// (found by `fuzz --seed 5 --count 500` in a reset namespace, shrunk).</summary>
    private const string Cork = """
          socket b
          socket a
          sendto b 2953 to 198.51.100.7:9 flags MORE
          link tun0 mtu 65535
          sendto a 38777 to 198.51.100.7:9
          sendto b 61324 to 198.51.100.7:9
        """;

    /// <summary>Measured on 6.18.44 with the reset that only flushed the route cache: the exception the first run
    /// learned stayed (the flush hides it from the dump, which said there was none), the cork's route was bound to it,
    /// and the other socket's send replaced that route and discarded the corked datagram: no packet. In a new
    /// namespace, and after a reset that takes the links down and up, the datagram goes out.</summary>
    [Fact]
    public void A_route_exception_learned_in_one_run_does_not_reach_the_next_run_in_the_namespace()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var learn = Parse("learn", Host + Learn);
        var cork = Parse("cork", Host + Cork);
        var corkOps = cork.Steps.Select(s => s.Operation).ToArray();
        using var kernel = new KernelTarget();
        var alone = RunAll(kernel, cork.Host, corkOps);
        Assert.NotEmpty(alone[^1].Packets);
        using var session = kernel.Open(learn.Host);
        var learned = new List<Observation>();
        session.RunAll(learn.Steps.Select(s => s.Operation).ToArray(), learned.Add);
        Assert.Equal(Errno.EMSGSIZE, learned[^1].Error); // the push refused: the ICMP to self went out
        Assert.True(session.Reset(), "the namespace could not be reset");
        var reused = new List<Observation>();
        session.RunAll(corkOps, reused.Add);
        for (var i = 0; i < corkOps.Length; i++)
            Assert.Equal(ChosenValues.Masked(corkOps[i], alone[i]), ChosenValues.Masked(corkOps[i], reused[i]));
    }

    private static List<Observation> RunAll(KernelTarget kernel, Reference.Host.HostConfig host, Reference.Api.Operation[] operations)
    {
        using var session = kernel.Open(host);
        var observed = new List<Observation>();
        session.RunAll(operations, observed.Add);
        return observed;
    }

    private static Case Parse(string id, string text)
    {
        var parsed = CaseParser.Parse($"/cases/{id}.case", id, text);
        Assert.True(parsed.Case is not null, string.Join("\n", parsed.Diagnostics));
        return parsed.Case;
    }

    private static string Cut(string text) => text.Length <= 400 ? text : text[..400] + "…";
}
