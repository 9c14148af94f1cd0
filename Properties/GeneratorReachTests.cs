using FsCheck.Fluent;
using Udpconf.Reference;
using Xunit;

namespace Udpconf.Properties;

/// <summary>The "never throws" law is only as strong as the states the generator reaches: it must drive the model
/// through most of the catalog, deciding outcomes with many different clauses.</summary>
public class GeneratorReachTests
{
    /// <summary>The first part of the catalog (the notes' 2.6) under spec, the second (current Linux) under linux.</summary>
    [Theory]
    [InlineData("spec")]
    [InlineData("linux")]
    [InlineData("linux-6.1")]
    public void Generated_sequences_pass_through_most_catalog_clauses(string profileName)
    {
        Capability.NotInMutationRun("the generators' reach (seconds of generated sequences; it measures the generators, not the model)");
        var profile = Profile.Find(profileName)!;
        var part = profile == Profile.Spec ? ClauseId.Catalog.Except(ClauseId.BeyondNotes) : ClauseId.BeyondNotes;
        var passed = new HashSet<string>();
        var deciding = new HashSet<string>();
        var kinds = new HashSet<OutcomeKind>();
        var tickRateReadings = 0;
        foreach (var sequence in OperationGenerators.Sequences().Generator.Sample(5000, new FsCheck.Rnd(20261125UL, 0x9E3779B97F4A7C15UL), 30))
        {
            var model = new Model(ModelLaws.Host, profile);
            foreach (var op in sequence.Operations)
            {
                var outcome = model.Run(op);
                passed.UnionWith(outcome.Trace.Select(c => c.Id));
                deciding.Add(outcome.Clause.Id);
                kinds.Add(outcome.Kind);
                if (outcome.SymbolicOption is not null) tickRateReadings++;
            }
        }
        // An older kernel line: what it adds is reached (a segment size on a device without checksum offload).
        if (profile.Family is not null)
        {
            Assert.Contains(ClauseId.GsoNeedsOffload, passed);
            return;
        }
        // Unreachable by design: no second thread corks the socket, and IPv4 lengths never fill 18 page fragments;
        // udp_gso.needs_offload belongs to kernel lines before 6.11 (linux-6.1, above).
        string[] unreachable = [ClauseId.CorkAppBug, ClauseId.MaxFrags, ClauseId.GsoNeedsOffload];
        var missing = part.Except(passed).Except(unreachable).ToArray();
        Assert.True(missing.Length == 0, $"{missing.Length} catalog clauses never reached: {string.Join(", ", missing)}");
        Assert.True(deciding.Count >= 35, $"only {deciding.Count} deciding clauses: {string.Join(", ", deciding)}");
        if (profile == Profile.Spec) Assert.Contains(OutcomeKind.KernelFault, kinds); // CVE-2009-2698 is fixed in current kernels
        Assert.Contains(OutcomeKind.Error, kinds);
        Assert.Contains(OutcomeKind.Value, kinds);
        // A timeout read back in jiffies binds the tick rate: the differential machine must get there.
        if (profile == Profile.Linux) Assert.True(tickRateReadings > 0, "no timeout read back in jiffies of the tick rate");
    }
}
