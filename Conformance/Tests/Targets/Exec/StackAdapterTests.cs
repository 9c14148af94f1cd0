using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Exec;
using Xunit;

namespace Udpconf.Tests.Targets.Exec;

/// <summary>
/// Real third-party stacks through their adapters, built with the tool where their packages are installed: lwIP 2.1.3
/// (adapters/lwip, liblwip-dev) and gVisor's netstack (adapters/gvisor, golang-gvisor-gvisor-dev). Every case runs on
/// each, none may end in an error (that would be the adapter or the protocol failing, not the stack answering), and
/// the verdicts published in reports/ are exactly those of a fresh run (re-publish with ./udpconf publish when cases
/// or an adapter change).
/// </summary>
public class StackAdapterTests
{
    private static string Root() => SpecMap.FindRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    /// <summary>The stacks: adapter folder and binary, the name it gives, its report, and the packages it needs.</summary>
    public static TheoryData<string, string, string, string, string> Stacks => new()
    {
        { "lwip", "udpconf-lwip", "lwip 2.1.3", "lwip-2.1.3.json", "liblwip-dev" },
        { "gvisor", "udpconf-gvisor", "gvisor netstack 20221219", "gvisor-netstack-20221219.json", "golang-go golang-gvisor-gvisor-dev" },
    };

    private static ExecTarget Adapter(string root, string folder, string binary, string name, string packages)
    {
        var adapter = Path.Combine(root, "adapters", folder, "build", binary);
        Capability.RequireLive(File.Exists(adapter),
            $"the {folder} adapter is not built ({adapter}): install {packages} (apt-get install {packages}) and build the solution");
        var target = ExecTarget.Connect($"\"{adapter}\"", out var why);
        Assert.True(target is not null, why);
        Assert.Equal($"exec:{name}", target!.Name);
        return target;
    }

    [Fact]
    public void The_differential_machine_finds_a_departure_of_lwip_and_shrinks_it()
    {
        var result = Udpconf.Suite.Fuzz.Fuzzer.Run(Adapter(Root(), "lwip", "udpconf-lwip", "lwip 2.1.3", "liblwip-dev"), Profile.Linux, 20, 1);
        var failure = Assert.IsType<Udpconf.Suite.Fuzz.FuzzFailure>(result.Failure);
        Assert.True(failure.Steps.Count <= 4, failure.CaseText);
        Assert.NotNull(CaseParser.Parse("x.case", "fuzz/lwip", failure.CaseText).Case);
    }

    [Theory]
    [MemberData(nameof(Stacks))]
    public void The_published_report_matches_a_fresh_run_of_every_case(string folder, string binary, string name, string report, string packages)
    {
        var root = Root();
        var target = Adapter(root, folder, binary, name, packages);

        var token = TestContext.Current.CancellationToken;
        var results = CaseLibrary.Load(CaseLibrary.DefaultFolder(root))
            .Select(f => f.Case).OfType<Case>().Where(c => c.AppliesTo(Profile.Linux.Name))
            .Select(c => CaseRunner.Run(c, Profile.Linux, target, token)).ToArray();
        var fresh = KernelVerdicts.From(name, DateOnly.FromDateTime(DateTime.UtcNow), results);
        var published = KernelVerdicts.Parse(File.ReadAllText(Path.Combine(root, "reports", report)));

        Assert.Empty(fresh.Cases.Where(v => v.Verdict == VerdictKind.Error).Select(v => $"{v.Case}: {v.Reason}"));
        var differences = fresh.Cases.Zip(published.Cases)
            .Where(p => p.First.Case != p.Second.Case || p.First.Verdict != p.Second.Verdict || p.First.Problem?.What != p.Second.Problem?.What
                        || Text(p.First.Failed) != Text(p.Second.Failed) || Rules(p.First) != Rules(p.Second))
            .Select(p => $"{p.First.Case}: now {p.First.Verdict} {p.First.Problem?.What} [{Text(p.First.Failed)}] {Rules(p.First)}, " +
                         $"published {p.Second.Case} {p.Second.Verdict} {p.Second.Problem?.What} [{Text(p.Second.Failed)}] {Rules(p.Second)}")
            .ToList();
        if (fresh.Cases.Count != published.Cases.Count) differences.Add($"{fresh.Cases.Count} cases now, {published.Cases.Count} published");
        Assert.True(differences.Count == 0,
            $"reports/{report} is stale: run ./udpconf publish --target exec:adapters/{folder}/build/{binary} --out reports/{report}\n" +
            string.Join("\n", differences));
    }

    /// <summary>The differential machine's findings on gVisor, each shrunk to a case and explained in
    /// reports/gvisor-netstack-20221219.md: each still holds on the model and still fails on gVisor.</summary>
    [Fact]
    public void The_published_fuzz_findings_on_gvisor_pass_on_the_model_and_fail_on_gvisor()
    {
        var root = Root();
        var target = Adapter(root, "gvisor", "udpconf-gvisor", "gvisor netstack 20221219", "golang-go golang-gvisor-gvisor-dev");
        var folder = Path.Combine(root, "reports", "gvisor-netstack-20221219.fuzz");
        var files = CaseLibrary.Load(folder);
        Assert.True(files.Count >= 10, $"{files.Count} findings in {folder}");
        var token = TestContext.Current.CancellationToken;
        foreach (var file in files)
        {
            var @case = Assert.IsType<Case>(file.Case);
            Assert.Equal(VerdictKind.Pass, CaseRunner.Run(@case, Profile.Linux, new Udpconf.Suite.Targets.Model.ModelTarget(Profile.Linux), token).Kind);
            Assert.True(CaseRunner.Run(@case, Profile.Linux, target, token).Kind == VerdictKind.Fail, $"{file.Id} no longer fails on gVisor");
        }
    }

    private static string Text(IReadOnlyList<string>? clauses) => string.Join(" ", clauses ?? []);

    /// <summary>The RFC findings of a case as rule and step, without the bytes-dependent text (a checksum value).</summary>
    private static string Rules(KernelVerdict verdict) => string.Join(" ", (verdict.Rfc ?? []).Select(f => $"{f.Rule}@{f.Step}.{f.Packet}"));
}
