using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.TestSupport;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>The kernel target runs a case in the reset namespace of an earlier case on the same host, with one marker
/// after the case's last step: every case of the library observes there what it observes in a new namespace with a
/// marker after every step (the way every case ran before).</summary>
public class NamespaceReuseTests
{
    [Fact]
    public void Every_case_observes_in_a_reused_namespace_what_it_observes_in_a_new_one()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var root = SpecMap.FindRoot(AppContext.BaseDirectory)!;
        var cases = CaseLibrary.Load(CaseLibrary.DefaultFolder(root)).Where(f => f.Case is { } c && c.AppliesTo(Profile.Linux.Name)).Select(f => f.Case!).ToArray();
        using var reusing = new KernelTarget();
        using var fresh = new KernelTarget(reuseNamespaces: false, markerEveryStep: true);
        var differences = new List<string>();
        var compared = 0;
        // Twice through the library in the reusing target, so that every case also runs after others on its host.
        foreach (var @case in cases.Concat(cases))
        {
            var operations = @case.Steps.Select(s => s.Operation).ToArray();
            var reused = reusing.Run(@case.Host, operations, TestContext.Current.CancellationToken);
            var alone = fresh.Run(@case.Host, operations, TestContext.Current.CancellationToken);
            Assert.Equal(alone.Failure, reused.Failure);
            for (var i = 0; i < alone.Observations.Count; i++)
            {
                compared++;
                var (a, b) = (ChosenValues.Masked(operations[i], alone.Observations[i]), ChosenValues.Masked(operations[i], reused.Observations[i]));
                if (a != b) differences.Add($"{@case.Id} step {i + 1}:\n  new:    {Cut(a)}\n  reused: {Cut(b)}");
            }
        }
        Assert.True(differences.Count == 0, $"{differences.Count} of {compared} steps differ:\n" + string.Join("\n", differences.Take(10)));
        Assert.True(compared > 1000, $"{compared} steps compared");
    }

    private static string Cut(string text) => text.Length <= 400 ? text : text[..400] + "…";
}
