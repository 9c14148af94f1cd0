using System.Collections.Frozen;
using System.Runtime.CompilerServices;

namespace Udpconf.Reference;

/// <summary>
/// A clause id the model knows: one of the catalog's (<see cref="ClauseId.Catalog"/>, Reference/clauses.md) or one of
/// the model's own (<see cref="ClauseId.Additions"/>). Outcomes, traces and stops carry clauses, never free text: a
/// <see cref="ClauseId"/> constant converts to one, and any other string is refused where it is converted (a
/// programming error in the model, so an exception, not a modeled kernel error).
/// </summary>
/// <remarks>One reference wide: it holds the one entry of its id (equal clauses hold the same entry), which also numbers
/// the clause, so that a call keeps its trace's clauses once with a bit each (<see cref="Call.Pass(Clause, ClauseSite)"/>)
/// instead of searching the trace at every clause passed (issue 17: 0.7-0.8 us of a plain send's 4-6 us).</remarks>
public readonly record struct Clause
{
    /// <summary>Every id: the constants of <see cref="ClauseId"/> (its catalog and its additions together), read from the
    /// constants themselves rather than through <see cref="ClauseId.Catalog"/>: this table is built once per process, and
    /// a mutant of the code it was built through, on at that moment, would stay in it (README, "Static mutants").</summary>
    private static readonly FrozenDictionary<string, Clause> Known = typeof(ClauseId).GetFields()
        .Select((f, index) => new Clause(new Entry((string)f.GetRawConstantValue()!, index)))
        .ToFrozenDictionary(c => c.Id, StringComparer.Ordinal);

    /// <summary>The clauses last converted from each interned id string, one slot per string by its object hash: a
    /// <see cref="ClauseId"/> constant is an interned literal wherever it is written, so the conversion the model makes
    /// at every clause it passes is a hash read from the string's header and one reference comparison, with neither
    /// string hashing nor a comparer's interface call (the frozen table's lookup, then a dictionary keyed by reference,
    /// were a fifth and then a sixth of a plain send's time under perf; issue 17). A slot holds an entry, one
    /// reference, so that threads converting at once never read half of another's write. Two ids that share a slot
    /// take turns in it; any other string with the same characters finds its clause in <see cref="Known"/>.</summary>
    private static readonly Entry?[] Recent = new Entry?[RecentSlots];
    private const int RecentSlots = 4096;

    /// <summary>Every clause by its <see cref="Index"/>.</summary>
    private static readonly Clause[] ByIndex = Known.Values.OrderBy(c => c.Index).ToArray();

    /// <summary>How many clauses there are: every <see cref="Index"/> is below it.</summary>
    internal static int Count => ByIndex.Length;

    /// <summary>The clause numbered <paramref name="index"/>.</summary>
    internal static Clause At(int index) => ByIndex[index];

    private sealed class Entry(string id, int index)
    {
        /// <summary>The interned instance of the id, the one a <see cref="ClauseId"/> constant is.</summary>
        public string Id { get; } = string.Intern(id);
        public int Index { get; } = index;
    }

    private readonly Entry entry;

    private Clause(Entry entry) => this.entry = entry;

    /// <summary>The id as the catalog, case files and reports write it.</summary>
    public string Id => entry.Id;

    /// <summary>The clause's number, 0 to <see cref="Count"/> - 1, one per id.</summary>
    internal int Index => entry.Index;

    /// <summary>The clause of a known id, or null.</summary>
    public static Clause? Find(string id) => Known.TryGetValue(id, out var clause) ? clause : (Clause?)null;

    public static implicit operator Clause(string id)
    {
        var slot = RuntimeHelpers.GetHashCode(id) & (RecentSlots - 1);
        return Recent[slot] is { } entry && ReferenceEquals(entry.Id, id) ? new Clause(entry) : Convert(id, slot);
    }

    /// <summary>The clause of <paramref name="id"/> from <see cref="Known"/>, kept in its slot when the string is the
    /// id's interned instance (another with the same characters would never be found there by reference).</summary>
    private static Clause Convert(string id, int slot)
    {
        if (!Known.TryGetValue(id, out var clause)) throw new ArgumentException($"'{id}' is not a clause id of the catalog or the model", nameof(id));
        if (ReferenceEquals(clause.Id, id)) Recent[slot] = clause.entry;
        return clause;
    }

    public override string ToString() => Id;
}
