using System.Text;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Cases;

/// <summary>
/// Writes a host, operations and expectation lines as the text of a case file (grammar in Conformance/CASES.md),
/// such that <see cref="CaseParser.Parse"/> of the text gives back the same host and the same operations, byte for
/// byte. Every value is written in the most readable form that reads back exactly: data as <c>N</c> (0, 1, 2, …),
/// <c>N*xx</c>, <c>"text"</c> (with \" \\ \n \t escaped; in iov lists too), <c>N!</c> or <c>hex:</c>; addresses as <c>A.B.C.D:PORT</c>, <c>mapped</c>, <c>in6</c>,
/// <c>unspec</c>, <c>null</c> or <c>hex:</c> with <c>addrlen</c>, <c>family</c> and <c>addr-unreadable</c> only where
/// needed; control messages as <c>cmsg</c> words where they re-encode to the same bytes, else <c>control hex:</c>.
/// </summary>
/// <remarks>
/// Shapes the case format cannot hold, for which the writer throws <see cref="NotSupportedException"/> (the message
/// names the operation and why):
/// <list type="bullet">
/// <item>a partly readable buffer (some readable bytes, then an unreadable tail) anywhere but in the data of
/// <c>sendto</c> (<c>readable N</c>): iov blocks, addresses, option values and msg_control are read whole or not at
/// all;</item>
/// <item>a buffer with more readable bytes than its length, or a negative length;</item>
/// <item>a bind/connect/sendto address buffer shorter than its length argument (up to 256): the parser pads the
/// bytes to the length (sendmsg can, with <c>namelen</c>);</item>
/// <item>a NULL msg_control with a msg_controllen other than 0 (<c>controllen N</c> alone gives an empty buffer);</item>
/// <item>a host change that sets both the MTU and up/down, or neither;</item>
/// <item>names with blanks or quotes, descriptor names starting with '#', named descriptors with a number, data
/// blocks over 1 MiB that are unreadable in sendmsg;</item>
/// <item>hosts whose first interface is not the standard <c>lo</c>, with a second <c>lo</c>, duplicate names or
/// indexes, MTUs outside 68 to 65536, prefixes outside 0 to 32, a PMTU mode without a name, an errno without a name,
/// a port range with low above high, routes to undefined links, or route fields the route's kind cannot carry.</item>
/// </list>
/// An empty list of secondary addresses is written as none and reads back as null (the same host).
/// </remarks>
public static class CaseWriter
{
    private const string OperationIndent = "  ";
    private const string ExpectationIndent = "    ";

    /// <summary>
    /// The text of a case file: the title as <c>#</c> lines (one per line of <paramref name="title"/>; the parser
    /// joins them with blanks), the headers, the <c>host:</c> section and the <c>steps:</c> section, each operation
    /// followed by its expectation lines, indented.
    /// </summary>
    /// <param name="profiles">Empty: no <c>profiles:</c> line (both profiles).</param>
    /// <param name="expectationLines">Per operation, its expectation lines as text (<c>=&gt; EMSGSIZE</c>,
    /// <c>wire: 1</c>, <c>packet 1 csum=0xffff</c>); null: none.</param>
    /// <exception cref="ArgumentException">No clause, no operation, an unknown clause, profile or feature, or an
    /// expectation line that is not one.</exception>
    /// <exception cref="NotSupportedException">The host or an operation has a shape the case format cannot
    /// hold (see the remarks of <see cref="CaseWriter"/>).</exception>
    public static string Write(
        string title,
        IReadOnlyList<string> clauses,
        IReadOnlyList<string> profiles,
        IReadOnlyList<Feature> features,
        HostConfig host,
        IReadOnlyList<Operation> operations,
        IReadOnlyList<IReadOnlyList<string>>? expectationLines = null)
    {
        if (clauses.Count == 0) throw new ArgumentException("a case names at least one clause", nameof(clauses));
        var known = ClauseId.Catalog.Concat(ClauseId.Additions).ToHashSet();
        foreach (var clause in clauses.Where(c => !known.Contains(c)))
            throw new ArgumentException($"unknown clause id '{clause}'", nameof(clauses));
        foreach (var profile in profiles.Where(p => Profile.Find(p) is null))
            throw new ArgumentException($"unknown profile '{profile}' (spec, linux)", nameof(profiles));
        foreach (var feature in features.Where(f => !Feature.Known.Contains(f)))
            throw new ArgumentException($"unknown feature '{feature}' ({string.Join(", ", Feature.Known)})", nameof(features));
        if (operations.Count == 0) throw new ArgumentException("a case has at least one step", nameof(operations));
        if (expectationLines is not null && expectationLines.Count != operations.Count)
            throw new ArgumentException($"{expectationLines.Count} lists of expectation lines for {operations.Count} operations", nameof(expectationLines));

        var text = new StringBuilder();
        foreach (var line in title.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
            text.Append("# ").Append(line).Append('\n');
        text.Append("clauses: ").Append(string.Join(' ', clauses)).Append('\n');
        if (profiles.Count > 0) text.Append("profiles: ").Append(string.Join(' ', profiles)).Append('\n');
        if (features.Count > 0) text.Append("features: ").Append(string.Join(' ', features)).Append('\n');
        text.Append("\nhost:\n");
        foreach (var line in Host(host)) text.Append(OperationIndent).Append(line).Append('\n');
        text.Append("\nsteps:\n");
        for (var i = 0; i < operations.Count; i++)
        {
            text.Append(OperationIndent).Append(Operation(operations[i])).Append('\n');
            if (expectationLines is null) continue;
            foreach (var line in expectationLines[i])
                text.Append(ExpectationIndent).Append(Expectation(line, i)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The lines of the <c>host:</c> section, unindented: links (after <c>lo</c>, which every host has),
    /// routes, output drops, then the settings that differ from the defaults.</summary>
    /// <exception cref="NotSupportedException">The host cannot be written (see the remarks of
    /// <see cref="CaseWriter"/>).</exception>
    public static IEnumerable<string> Host(HostConfig host) => HostLines.Write(host);

    /// <summary>One operation line, unindented, as the steps: section reads it.</summary>
    /// <exception cref="NotSupportedException">The operation has a shape the case format cannot hold (see the
    /// remarks of <see cref="CaseWriter"/>).</exception>
    public static string Operation(Operation op) => OperationLines.Write(op);

    private static string Expectation(string line, int step)
    {
        var text = line.Trim();
        var first = text.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        if (text.Contains('\n') || text.Contains('\r') || !StepBuilder.IsExpectation(first))
            throw new ArgumentException($"step {step + 1}: '{line}' is not an expectation line (=>, wire:, packet, counters:, errqueue:)");
        return text;
    }
}
