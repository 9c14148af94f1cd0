using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Exec;
using Xunit;

namespace Udpconf.Tests.Targets.Exec;

/// <summary>
/// lwIP 2.1.3, a real third-party stack, through its adapter (adapters/lwip, built with the tool where liblwip-dev is
/// installed): every case runs on it, and the verdicts published in reports/lwip-2.1.3.json are exactly those of a
/// fresh run (re-publish with ./udpconf publish when cases or the adapter change).
/// </summary>
public class LwipTests
{
    private static string Root() => SpecMap.FindRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    private static ExecTarget Lwip(string root)
    {
        var adapter = Path.Combine(root, "adapters", "lwip", "build", "udpconf-lwip");
        Capability.Require(File.Exists(adapter),
            $"the lwIP adapter is not built ({adapter}): install liblwip-dev (apt-get install liblwip-dev) and build the solution");
        var target = ExecTarget.Connect($"\"{adapter}\"", out var why);
        Assert.True(target is not null, why);
        Assert.Equal("exec:lwip 2.1.3", target!.Name);
        return target;
    }

    [Fact]
    public void The_differential_machine_finds_a_departure_of_lwip_and_shrinks_it()
    {
        var result = Udpconf.Suite.Fuzz.Fuzzer.Run(Lwip(Root()), Profile.Linux, 20, 1);
        var failure = Assert.IsType<Udpconf.Suite.Fuzz.FuzzFailure>(result.Failure);
        Assert.True(failure.Steps.Count <= 4, failure.CaseText);
        Assert.NotNull(CaseParser.Parse("x.case", "fuzz/lwip", failure.CaseText).Case);
    }

    [Fact]
    public void The_published_lwip_report_matches_a_fresh_run_of_every_case()
    {
        var root = Root();
        var target = Lwip(root);

        var token = TestContext.Current.CancellationToken;
        var results = CaseLibrary.Load(CaseLibrary.DefaultFolder(root))
            .Select(f => f.Case).OfType<Case>().Where(c => c.AppliesTo(Profile.Linux.Name))
            .Select(c => CaseRunner.Run(c, Profile.Linux, target, token)).ToArray();
        var fresh = KernelVerdicts.From("lwip 2.1.3", DateOnly.FromDateTime(DateTime.UtcNow), results);
        var published = KernelVerdicts.Parse(File.ReadAllText(Path.Combine(root, "reports", "lwip-2.1.3.json")));

        // No case may end in an error: that would be the adapter or the protocol failing, not lwIP answering.
        Assert.Empty(fresh.Cases.Where(v => v.Verdict == VerdictKind.Error).Select(v => $"{v.Case}: {v.Reason}"));
        var differences = fresh.Cases.Zip(published.Cases)
            .Where(p => p.First.Case != p.Second.Case || p.First.Verdict != p.Second.Verdict || p.First.Problem?.What != p.Second.Problem?.What)
            .Select(p => $"{p.First.Case}: now {p.First.Verdict} {p.First.Problem?.What}, published {p.Second.Case} {p.Second.Verdict} {p.Second.Problem?.What}")
            .ToList();
        if (fresh.Cases.Count != published.Cases.Count) differences.Add($"{fresh.Cases.Count} cases now, {published.Cases.Count} published");
        Assert.True(differences.Count == 0,
            "reports/lwip-2.1.3.json is stale: run ./udpconf publish --target exec:adapters/lwip/build/udpconf-lwip --out reports/lwip-2.1.3.json\n" +
            string.Join("\n", differences));
    }
}
