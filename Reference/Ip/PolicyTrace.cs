using System.Runtime.CompilerServices;
using Udpconf.Reference.Host;

namespace Udpconf.Reference.Ip;

/// <summary>A route lookup's policy clauses (<see cref="IRouteTrace"/>) passed on a call as they come, at the site where
/// the lookup was made, the last kept to tell a rule's refusal (<see cref="RouteLookup.Refusal"/>). A value: a send's
/// lookup allocates nothing for its trace (issue 17).</summary>
public struct PolicyTrace : IRouteTrace
{
    private readonly Call call;
    private readonly ClauseSite site;

    public PolicyTrace(Call call, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        this.call = call;
        site = new ClauseSite(file, line, member);
        Last = null;
        Passed = 0;
    }

    /// <summary>The last clause passed, null before any.</summary>
    public string? Last { get; private set; }

    /// <summary>How many clauses were passed.</summary>
    public int Passed { get; private set; }

    public void Pass(string clause)
    {
        Last = clause;
        Passed++;
        call.Pass(clause, site);
    }
}
