using FsCheck;
using Udpconf.Reference;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Fuzz;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets.Model;
using Xunit;

namespace Udpconf.Properties.Differential;

/// <summary>
/// The differential machine (FsCheck.Experimental) against live targets: the model's prediction and the target's
/// answer compared after every operation. It must pass where the target is right (the model itself, the live
/// kernel under the linux profile) and catch deliberately broken targets with a short shrunk case.
/// </summary>
public class DifferentialTests
{
    /// <summary>Enough sequences for thousands of operations on the kernel in CI (about 20 per sequence).</summary>
    private const int KernelSequences = 150;

    private static FuzzResult Fuzz(ITarget target, Profile profile, int count, ulong seed) => Fuzzer.Run(target, profile, count, seed);

    private static string Explain(FuzzResult result) => result.Failure is { } failure
        ? $"seed {result.Seed}, shrunk to {failure.Steps.Count} operations:\n{failure.CaseText}"
        : $"no failure in {result.Sequences} sequences ({result.Operations} operations), seed {result.Seed}";

    [Theory]
    [InlineData("spec")]
    [InlineData("linux")]
    public void The_model_as_a_target_agrees_with_itself(string profileName)
    {
        var profile = Profile.Find(profileName)!;
        var result = Fuzz(new ModelTarget(profile), profile, 100, 20261125);
        Assert.True(result.Failure is null, Explain(result));
        Assert.Equal(100, result.Sequences);
        Assert.True(result.Operations > 1000, $"only {result.Operations} operations");
    }

    [Fact]
    public void The_live_kernel_agrees_with_the_linux_profile()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var result = Fuzz(new KernelTarget(), Profile.Linux, KernelSequences, 4);
        Assert.True(result.Failure is null, Explain(result));
        Assert.True(result.Operations >= 2000, $"only {result.Operations} operations on the kernel");
    }

    public static TheoryData<string> Mutants() => ["zero-checksum", "cork-flush"];

    private static ITarget Mutant(string name) => name switch
    {
        "zero-checksum" => new ZeroChecksumForgotten(Profile.Linux),
        _ => new CorkFlushedOnLengthCheck(Profile.Linux),
    };

    [Theory]
    [MemberData(nameof(Mutants))]
    public void The_differential_machine_catches_a_mutant_and_shrinks_it_to_a_short_case(string name)
    {
        var mutant = Mutant(name);
        var result = Fuzz(mutant, Profile.Linux, 300, 11);
        var failure = Assert.IsType<FuzzFailure>(result.Failure);
        Assert.True(failure.Steps.Count <= 6, $"shrunk only to {failure.Steps.Count} operations:\n{failure.CaseText}");

        // The written case is a case of the suite: it parses, passes on the model and fails on the mutant.
        var parsed = CaseParser.Parse("fuzz.case", "fuzz/found", failure.CaseText);
        Assert.True(parsed.Case is not null, string.Join("\n", parsed.Diagnostics) + "\n" + failure.CaseText);
        Assert.Equal(VerdictKind.Pass, CaseRunner.Run(parsed.Case!, Profile.Linux, new ModelTarget(Profile.Linux), TestContext.Current.CancellationToken).Kind);
        Assert.Equal(VerdictKind.Fail, CaseRunner.Run(parsed.Case!, Profile.Linux, mutant, TestContext.Current.CancellationToken).Kind);
    }

    /// <summary>
    /// The differential machine's power over survivors of issue 16 (mutants every test once let through, each killed
    /// by a case since): which of them 300 generated sequences (seed 11) find. Those it misses are listed with why; a
    /// mutant that moves from one list to the other fails the test, so that the measure stays true.
    /// </summary>
    [Fact]
    public void The_differential_machine_finds_the_survivors_its_generators_reach()
    {
        var missed = new Dictionary<string, string>
        {
        };
        var found = new List<string>();
        var unexpected = new List<string>();
        foreach (var (name, make) in SurvivorMutant.Sample)
        {
            var result = Fuzz(make(Profile.Linux), Profile.Linux, 300, 11);
            if (result.Failure is not null) found.Add(name);
            if ((result.Failure is null) != missed.ContainsKey(name))
                unexpected.Add(result.Failure is null ? $"{name}: not found in {result.Operations} operations" : $"{name}: found: {Explain(result)}");
        }
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
        Assert.NotEmpty(found);
    }

    /// <summary>The laws over targets hold for the model in both profiles and fail for the mutant they are about.</summary>
    [Fact]
    public void The_target_laws_hold_for_the_model_and_catch_their_mutants()
    {
        foreach (var profile in Profile.All)
        {
            Assert.Null(Falsify(TargetLaws.A_checksum_that_computes_to_zero_goes_out_as_0xFFFF(new ModelTarget(profile))));
            Assert.Null(Falsify(TargetLaws.A_send_refused_by_the_length_check_leaves_the_cork_alone(new ModelTarget(profile))));
        }
        Assert.NotNull(Falsify(TargetLaws.A_checksum_that_computes_to_zero_goes_out_as_0xFFFF(new ZeroChecksumForgotten(Profile.Linux))));
        Assert.NotNull(Falsify(TargetLaws.A_send_refused_by_the_length_check_leaves_the_cork_alone(new CorkFlushedOnLengthCheck(Profile.Linux))));
    }

    [Fact]
    public void The_target_laws_hold_on_the_live_kernel()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var kernel = new KernelTarget();
        Assert.Null(Falsify(TargetLaws.A_checksum_that_computes_to_zero_goes_out_as_0xFFFF(kernel), 40));
        Assert.Null(Falsify(TargetLaws.A_send_refused_by_the_length_check_leaves_the_cork_alone(kernel), 40));
    }

    /// <summary>The failure message of <paramref name="property"/> (with its shrunk counterexample), or null when it held.</summary>
    private static string? Falsify(Property property, int count = 100)
    {
        try
        {
            Check.One(Config.QuickThrowOnFailure.WithMaxTest(count).WithQuietOnSuccess(true), property);
            return null;
        }
        catch (Exception e) { return e.Message; }
    }
}
