using Udpconf.Reference;
using Xunit;

namespace Udpconf.Tests.Model;

/// <summary>Outcomes carry clauses, not free text: every id of the catalog and the model converts, nothing else does.</summary>
public class ClauseTests
{
    [Fact]
    public void Every_catalog_and_model_id_is_a_clause_and_nothing_else_is()
    {
        foreach (var id in ClauseId.Catalog.Concat(ClauseId.Additions))
        {
            Clause clause = id;
            Assert.Equal(id, clause.Id);
            Assert.Equal(clause, Clause.Find(id));
        }
        Assert.Null(Clause.Find("udp_sendmsg.no_such_clause"));
        // The same characters in another string (read from a case file, not a constant of the code) convert alike.
        foreach (var id in ClauseId.Catalog.Concat(ClauseId.Additions))
        {
            Clause copy = new string(id.AsSpan());
            Assert.Equal((Clause)id, copy);
        }
        var refused = Assert.Throws<ArgumentException>(() => { Clause typo = "udp_sendmsg.dport_zer0"; });
        Assert.Contains("udp_sendmsg.dport_zer0", refused.Message);
    }

    [Fact]
    public void An_outcome_names_its_clause_by_id_in_reports()
    {
        var outcome = new Reference.Model(Reference.Host.HostConfig.Default, Profile.Linux).Run(new Reference.Api.SocketOp("s"));
        Assert.Equal(ClauseId.SocketCreate, outcome.Clause);
        Assert.Equal(ClauseId.SocketCreate, outcome.Clause.ToString());
    }
}
