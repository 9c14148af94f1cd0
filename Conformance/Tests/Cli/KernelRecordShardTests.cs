using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets.Model;
using Udpconf.TestSupport;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>kernel-record --shard I/N and --merge: N parts of a record make the record one run makes, and parts that
/// are not one whole run of the checkout's cases write nothing.</summary>
public class KernelRecordShardTests
{
    private static readonly DateOnly Day = new(2026, 12, 6);

    /// <summary>The record's parts as N runners would write them, from runs on the model (what each case gives does
    /// not matter to the split; the model gives it without a kernel).</summary>
    private static KernelVerdicts[] Parts(IReadOnlyList<CaseFile> cases, int count, string release = "6.18.0-test") =>
        Enumerable.Range(1, count).Select(i =>
        {
            var shard = new Shard(i, count);
            var part = Sharding.Part(cases, c => c.Id, shard);
            return KernelVerdicts.From(release, Day, CaseRunner.RunAll(part, Profile.All, p => new ModelTarget(p)), shard);
        }).ToArray();

    private static IReadOnlyList<CaseFile> Library() => CaseLibrary.Load(CaseLibrary.DefaultFolder(SpecMap.FindRoot(AppContext.BaseDirectory)!));

    [Fact]
    public void Three_parts_of_the_case_library_merge_into_the_record_of_one_run()
    {
        var cases = Library();
        var whole = KernelVerdicts.From("6.18.0-test", Day, CaseRunner.RunAll(cases, Profile.All, p => new ModelTarget(p), TestContext.Current.CancellationToken));
        var parts = Parts(cases, 3);
        Assert.All(parts, p => Assert.InRange(p.Cases.Count, 1, whole.Cases.Count - 1));
        // Given in any order.
        var (merged, problems) = KernelVerdicts.Merge([("p3", parts[2]), ("p1", parts[0]), ("p2", parts[1])], cases, Profile.All);
        Assert.Empty(problems);
        Assert.Equal(whole.ToJson(), merged!.ToJson());
        Assert.DoesNotContain("\"shard\"", merged.ToJson());
        Assert.Contains("\"shard\": \"2/3\"", parts[1].ToJson());
    }

    [Fact]
    public void Parts_that_are_not_one_whole_run_are_refused_each_reason_said()
    {
        var cases = Library();
        var parts = Parts(cases, 3);
        string[] Refused(params (string, KernelVerdicts)[] given)
        {
            var (record, problems) = KernelVerdicts.Merge(given, cases, Profile.All);
            Assert.Null(record);
            return [.. problems];
        }
        Assert.Contains("part 2 of 3 missing", Refused(("a", parts[0]), ("c", parts[2])));
        Assert.Contains("part 1/3 is given 2 times", Refused(("a", parts[0]), ("a2", parts[0]), ("b", parts[1]), ("c", parts[2])));
        var other = Parts(cases, 3, "6.1.0-other");
        Assert.Contains(Refused(("a", parts[0]), ("b", parts[1]), ("c", other[2])), p => p.Contains("different kernels"));
        Assert.Contains(Refused(("a", parts[0]), ("b", parts[1]), ("c", parts[2] with { Shard = null })), p => p.Contains("c is not a part"));
        var splitTwo = Parts(cases, 2);
        Assert.Contains(Refused(("a", parts[0]), ("b", splitTwo[1])), p => p.Contains("split 2 ways and 3 ways"));
        // A part run on another checkout's cases: one case of part 1 gone from it, one case recorded in the wrong part.
        var lost = parts[0] with { Cases = parts[0].Cases.Skip(2).ToArray() };
        Assert.Contains(Refused(("a", lost), ("b", parts[1]), ("c", parts[2])), p => p.Contains("in no part: " + parts[0].Cases[0].Case));
        var moved = parts[1] with { Cases = [.. parts[1].Cases, parts[0].Cases[0]] };
        Assert.Contains(Refused(("a", parts[0]), ("b", moved), ("c", parts[2])), p => p.Contains($"b: {parts[0].Cases[0].Case} belongs to part 1/3, not 2/3"));
        var foreign = parts[2] with { Cases = [.. parts[2].Cases, new KernelVerdict("no/such_case", "linux", VerdictKind.Pass)] };
        Assert.Contains(Refused(("a", parts[0]), ("b", parts[1]), ("c", foreign)), p => p.Contains("no/such_case (linux) is not a run of this checkout's cases"));
    }

    [Fact]
    public void The_command_merges_the_parts_files_into_the_checkout_record_and_refuses_an_incomplete_set()
    {
        Capability.NotInMutationRun("kernel-record's command line");
        using var cases = new TempCases().With("a/ok", TempCases.Passing).With("b/frag", TempCases.Fragmented).With("c/spec", TempCases.SpecOnly).AsRepository();
        Directory.CreateDirectory(cases.PathOf("Reference"));
        var library = CaseLibrary.Load(cases.Folder);
        var parts = Parts(library, 2);
        var files = parts.Select((p, i) => { var path = cases.PathOf($"part{i + 1}.json"); File.WriteAllText(path, p.ToJson()); return path; }).ToArray();

        var incomplete = CliHarness.Run(cases.Root, "kernel-record", "--merge", files[1]);
        Assert.True(incomplete.ExitCode == 1, incomplete.ToString());
        Assert.Contains("part 1 of 2 missing", incomplete.Error);
        Assert.False(File.Exists(cases.PathOf(KernelVerdicts.RelativePath)));

        File.WriteAllText(cases.PathOf("broken.json"), "{ not json");
        var broken = CliHarness.Run(cases.Root, "kernel-record", "--merge", files[0], "--merge", files[1], "--merge", cases.PathOf("broken.json"));
        Assert.True(broken.ExitCode == 1, broken.ToString());
        Assert.Contains("broken.json", broken.Error);
        Assert.False(File.Exists(cases.PathOf(KernelVerdicts.RelativePath)));

        var run = CliHarness.Run(cases.Root, "kernel-record", "--merge", files[1], "--merge", files[0]);
        var whole = KernelVerdicts.From("6.18.0-test", Day, CaseRunner.RunAll(library, Profile.All, p => new ModelTarget(p), TestContext.Current.CancellationToken));
        Assert.Equal(whole.ToJson(), File.ReadAllText(cases.PathOf(KernelVerdicts.RelativePath)));
        // The model passes its own cases under linux: the record verifies the profile against the parts' kernel.
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("LinuxVerifiedAgainst = \"6.18.0-test\"", File.ReadAllText(cases.PathOf("Reference/ProfileVerification.cs")));
    }

    [Theory]
    [InlineData("--shard 1/2", "--shard needs --out")]
    [InlineData("--out x.json", "--out is where --shard writes")]
    [InlineData("--shard 3/2 --out x.json", "--shard takes I/N")]
    [InlineData("--merge a.json --shard 1/2", "--merge takes the parts' files only")]
    public void Options_that_do_not_make_a_part_or_a_merge_are_refused(string options, string message)
    {
        Capability.NotInMutationRun("kernel-record's command line");
        using var cases = new TempCases().With("a/ok", TempCases.Passing).AsRepository();
        var run = CliHarness.Run(cases.Root, ["kernel-record", .. options.Split(' ')]);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(message, run.Error + run.Out);
    }

    [Fact]
    public void A_part_recorded_on_the_live_kernel_holds_its_share_and_leaves_the_checkout_alone()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        using var cases = new TempCases().With("a/ok", TempCases.Passing).With("b/frag", TempCases.Fragmented).With("c/spec", TempCases.SpecOnly).AsRepository();
        Directory.CreateDirectory(cases.PathOf("Reference"));
        var outputs = new[] { 1, 2 }.Select(i =>
        {
            var path = cases.PathOf($"parts/{i}.json");
            var run = CliHarness.Run(cases.Root, "kernel-record", "--shard", $"{i}/2", "--out", path);
            Assert.True(run.ExitCode == 0, run.ToString());
            return path;
        }).ToArray();
        Assert.False(File.Exists(cases.PathOf(KernelVerdicts.RelativePath)));
        var parts = outputs.Select(p => KernelVerdicts.Parse(File.ReadAllText(p))).ToArray();
        Assert.Equal(["a/ok", "c/spec"], parts[0].Cases.Select(c => c.Case).Distinct());
        Assert.Equal(["b/frag"], parts[1].Cases.Select(c => c.Case).Distinct());
        var merged = CliHarness.Run(cases.Root, "kernel-record", "--merge", outputs[0], "--merge", outputs[1]);
        Assert.True(merged.ExitCode == 0, merged.ToString());
        Assert.Equal(5, KernelVerdicts.Parse(File.ReadAllText(cases.PathOf(KernelVerdicts.RelativePath))).Cases.Count);
    }
}
