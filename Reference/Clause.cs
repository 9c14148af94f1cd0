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

    /// <summary>The same clauses keyed by their interned id strings and found by reference: a <see cref="ClauseId"/>
    /// constant is an interned literal wherever it is written, so the conversion the model makes at every clause it
    /// passes neither hashes nor compares characters (the frozen table's lookup was a fifth of a plain send's time under
    /// perf; issue 17). Any other string with the same characters finds its clause in <see cref="Known"/>.</summary>
    private static readonly Dictionary<string, Clause> ByReference = Known.Values.ToDictionary(c => string.Intern(c.Id), SameObject.Instance);

    private sealed class SameObject : IEqualityComparer<string>
    {
        public static readonly SameObject Instance = new();
        public bool Equals(string? x, string? y) => ReferenceEquals(x, y);
        public int GetHashCode(string id) => RuntimeHelpers.GetHashCode(id);
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
        ByReference.TryGetValue(id, out var clause) || Known.TryGetValue(id, out clause) ? clause : throw new ArgumentException($"'{id}' is not a clause id of the catalog or the model", nameof(id));

    public override string ToString() => Id;
}
