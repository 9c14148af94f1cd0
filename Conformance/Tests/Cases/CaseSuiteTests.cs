using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;
using Xunit;

namespace Udpconf.Tests.Cases;

/// <summary>Every case file parses, and passes on the model target of every profile it applies to (kernel lines
/// included): the model
/// agrees with what each case says, byte for byte with its own prediction.</summary>
public class CaseSuiteTests
{
    private static readonly PerMutant<IReadOnlyList<CaseFile>> Files =
        new(() => CaseLibrary.Load(CaseLibrary.DefaultFolder(SpecMap.FindRoot(AppContext.BaseDirectory)!)));

    public static TheoryData<string> CaseIds() => new(Files.Value.Select(c => c.Id));

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void The_case_parses_and_passes_on_the_model(string id)
    {
        var file = Files.Value.Single(c => c.Id == id);
        Assert.True(file.Case is not null, string.Join(Environment.NewLine, file.Diagnostics));
        // The kernel lines too: a case naming only linux-6.12 or linux-6.1 is checked under them.
        foreach (var profile in Profile.All.Concat(Profile.KernelLines).Where(p => file.Case.AppliesTo(p.Name)))
        {
            var result = CaseRunner.Run(file.Case, profile, new ModelTarget(profile), TestContext.Current.CancellationToken);
            var problems = result.Steps.Where(s => s.Kind != VerdictKind.Pass)
                .Select(s => $"{s.Step.Position} {s.Step.Text}: {s.Kind} {s.Reason} " +
                             string.Join("; ", s.Problems.Select(p => $"[{p.SourceName}] {p.What}: expected {p.Expected}, observed {p.Observed}")));
            Assert.True(result.Kind is VerdictKind.Pass, $"{profile.Name}: {result.Kind} {result.Reason}{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        }
    }
}
