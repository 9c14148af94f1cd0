using FsCheck.Fluent;
using Udpconf.Reference;
using Xunit;

namespace Udpconf.Properties;

/// <summary>The "never throws" law is only as strong as the states the generator reaches: it must drive the model
/// through most of the catalog, deciding outcomes with many different clauses.</summary>
public class GeneratorReachTests
{
    [Fact]
    public void Generated_sequences_pass_through_most_catalog_clauses()
    {
        var passed = new HashSet<string>();
        var deciding = new HashSet<string>();
        var kinds = new HashSet<OutcomeKind>();
        // Both profiles: the catalog's second part (current Linux beyond the notes: shutdown, sendmmsg) is modeled
        // under linux only.
        foreach (var sequence in OperationGenerators.Sequences().Generator.Sample(2000, new FsCheck.Rnd(20261125UL, 0x9E3779B97F4A7C15UL), 30))
        foreach (var profile in new[] { Profile.Spec, Profile.Linux })
        {
            var model = new Model(ModelLaws.Host, profile);
            foreach (var op in sequence.Operations)
            {
                var outcome = model.Run(op);
                passed.UnionWith(outcome.Trace.Select(c => c.Id));
                deciding.Add(outcome.Clause.Id);
                kinds.Add(outcome.Kind);
            }
        }
        // Unreachable by design: no second thread corks the socket, and IPv4 lengths never fill 18 page fragments.
        string[] unreachable = [ClauseId.CorkAppBug, ClauseId.MaxFrags];
        var missing = ClauseId.Catalog.Except(passed).Except(unreachable).ToArray();
        Assert.True(missing.Length == 0, $"{missing.Length} catalog clauses never reached: {string.Join(", ", missing)}");
        Assert.True(deciding.Count >= 35, $"only {deciding.Count} deciding clauses: {string.Join(", ", deciding)}");
        Assert.Contains(OutcomeKind.KernelFault, kinds);
        Assert.Contains(OutcomeKind.Error, kinds);
        Assert.Contains(OutcomeKind.Value, kinds);
    }
}
