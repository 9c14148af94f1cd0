using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>The whole case suite on the live kernel under the linux profile: every case passes (or the kernel
/// target cannot run it). CI runs as root, so CI checks the kernel it runs on, not only the recorded run.</summary>
public class KernelSuiteTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    [Fact]
    public void Every_case_passes_on_the_live_kernel_under_the_linux_profile()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var files = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root));
        Assert.NotEmpty(files);
        var target = new KernelTarget();
        var failures = new List<string>();
        var passed = 0;
        foreach (var result in CaseRunner.RunAll(files, [Profile.Linux], _ => target, TestContext.Current.CancellationToken))
        {
            if (ReportText.IsFailure(result)) failures.Add($"{result.CaseId}: {result.Kind}: {ReportText.FirstProblem(result)}");
            else if (result.Kind == VerdictKind.Pass) passed++;
        }
        Assert.True(failures.Count == 0,
            $"{failures.Count} case(s) fail on {target.Name} under linux ({passed} passed):{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
        Assert.True(passed > 0, "no case ran on the kernel");
    }
}

/// <summary>Conformance/kernel-verdicts.json, the recorded run spec-map.md's live-kernel column is read from, is
/// complete for the cases of the tree and agrees with the release the linux profile claims.</summary>
public class KernelVerdictsTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    private static KernelVerdicts Recorded()
    {
        var path = KernelVerdicts.PathIn(Root);
        Assert.True(File.Exists(path), $"{KernelVerdicts.RelativePath} is missing: run ./udpconf kernel-record (as root)");
        return KernelVerdicts.Parse(File.ReadAllText(path));
    }

    [Fact]
    public void The_recorded_run_names_a_kernel_and_covers_every_case_and_profile_with_no_linux_failure()
    {
        var record = Recorded();
        Assert.False(string.IsNullOrWhiteSpace(record.Implementation), "the recorded run names no kernel release");
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", record.Date);
        Assert.All(record.Cases, v => Assert.Contains(v.Verdict, VerdictNames.All));

        var expected = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root))
            .SelectMany(f => Profile.All.Where(p => f.Case is null || f.Case.AppliesTo(p.Name)).Select(p => $"{f.Id} {p.Name}"))
            .Order(StringComparer.Ordinal).ToArray();
        var recorded = record.Cases.Select(v => $"{v.Case} {v.Profile}").Order(StringComparer.Ordinal).ToArray();
        var missing = expected.Except(recorded).ToArray();
        var extra = recorded.Except(expected).ToArray();
        Assert.True(missing.Length == 0 && extra.Length == 0 && recorded.Length == recorded.Distinct().Count(),
            $"{KernelVerdicts.RelativePath} does not match the cases (run ./udpconf kernel-record): " +
            $"missing {string.Join(", ", missing)}; not a case {string.Join(", ", extra)}");

        var linuxFailures = record.Cases.Where(v => v.Profile == Profile.Linux.Name && v.IsFailure)
            .Select(v => $"{v.Case}: {v.Verdict} {v.Reason}{(v.Problem is { } p ? $"step {p.Step} {p.What}: expected {p.Expected}, observed {p.Observed} ({p.Clause})" : "")}")
            .ToArray();
        Assert.True(linuxFailures.Length == 0, $"linux cases failed on kernel {record.Implementation}:{Environment.NewLine}{string.Join(Environment.NewLine, linuxFailures)}");
        foreach (var (profile, counts) in record.Counts)
            foreach (var kind in VerdictNames.All)
                Assert.Equal(record.Cases.Count(v => v.Profile == profile && v.Verdict == kind), counts.GetValueOrDefault(kind.Name()));
    }

    [Fact]
    public void The_linux_profile_is_verified_against_the_recorded_kernel()
    {
        var record = Recorded();
        Assert.True(ProfileVerification.LinuxVerifiedAgainst == record.Implementation,
            $"ProfileVerification.LinuxVerifiedAgainst is {ProfileVerification.LinuxVerifiedAgainst ?? "null"} but {KernelVerdicts.RelativePath} " +
            $"records kernel {record.Implementation}: run ./udpconf kernel-record");
        Assert.Equal(ProfileVerification.LinuxVerifiedAgainst, Profile.Linux.VerifiedAgainst);
    }

    [Fact]
    public void The_recorded_json_is_written_as_kernel_record_writes_it()
    {
        var path = KernelVerdicts.PathIn(Root);
        var text = File.ReadAllText(path);
        var record = Recorded();
        var keys = record.Cases.Select(v => (v.Case, v.Profile)).ToArray();
        Assert.True(keys.SequenceEqual(keys.OrderBy(k => k.Case, StringComparer.Ordinal).ThenBy(k => k.Profile, StringComparer.Ordinal)),
            $"{KernelVerdicts.RelativePath} is not sorted by case and profile: run ./udpconf kernel-record");
        Assert.True(record.ToJson() == text, $"{KernelVerdicts.RelativePath} was edited by hand or is unsorted: run ./udpconf kernel-record");
    }
}
