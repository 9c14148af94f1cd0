using System.Collections.Frozen;
using System.Numerics;
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

    /// <summary>The same clauses in a table searched by reference: a <see cref="ClauseId"/> constant is an interned
    /// literal wherever it is written, so the conversion the model makes at every clause it passes finds its interned id
    /// at the slot its object hash names or a few after, without hashing or comparing characters (the frozen table's
    /// lookup was a fifth of a plain send's time under perf, a Dictionary with a reference comparer a tenth; issue 17).
    /// Any other string with the same characters still finds its clause in <see cref="Known"/>. Slots: a power of two,
    /// at least four per clause, so a search ends at an empty slot soon.</summary>
    private static readonly (string? Id, Clause Clause)[] ByReference = BuildByReference();

    private static (string? Id, Clause Clause)[] BuildByReference()
    {
        var slots = new (string? Id, Clause Clause)[(int)BitOperations.RoundUpToPowerOf2((uint)Known.Count * 4)];
        foreach (var clause in Known.Values)
        {
            var id = string.Intern(clause.Id);
            var slot = RuntimeHelpers.GetHashCode(id) & (slots.Length - 1);
            while (slots[slot].Id is not null) slot = (slot + 1) & (slots.Length - 1);
            slots[slot] = (id, clause);
        }
        return slots;
    }

    private static bool FindByReference(string id, out Clause clause)
    {
        var slot = RuntimeHelpers.GetHashCode(id) & (ByReference.Length - 1);
        for (; ByReference[slot].Id is { } candidate; slot = (slot + 1) & (ByReference.Length - 1))
            if (ReferenceEquals(candidate, id))
            {
                clause = ByReference[slot].Clause;
                return true;
            }
        clause = default;
        return false;
    }

    /// <summary>How many clauses there are: every <see cref="Index"/> is below it.</summary>
    internal static int Count => Known.Count;

    private sealed class Entry(string id, int index)
    {
        public string Id { get; } = id;
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

    public static implicit operator Clause(string id) =>
        FindByReference(id, out var clause) || Known.TryGetValue(id, out clause) ? clause : throw new ArgumentException($"'{id}' is not a clause id of the catalog or the model", nameof(id));

    public override string ToString() => Id;
}
