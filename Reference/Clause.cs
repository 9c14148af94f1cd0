namespace Udpconf.Reference;

/// <summary>
/// A clause id the model knows: one of the catalog's (<see cref="ClauseId.Catalog"/>, Reference/clauses.md) or one of
/// the model's own (<see cref="ClauseId.Additions"/>). Outcomes, traces and stops carry clauses, never free text: a
/// <see cref="ClauseId"/> constant converts to one, and any other string is refused where it is converted (a
/// programming error in the model, so an exception, not a modeled kernel error).
/// </summary>
public readonly record struct Clause
{
    /// <summary>Every id: the constants of <see cref="ClauseId"/> (its catalog and its additions together), read from the
    /// constants themselves rather than through <see cref="ClauseId.Catalog"/>: this table is built once per process, and
    /// a mutant of the code it was built through, on at that moment, would stay in it (README, "Static mutants").</summary>
    private static readonly Dictionary<string, Clause> Known = typeof(ClauseId).GetFields()
        .ToDictionary(f => (string)f.GetRawConstantValue()!, f => new Clause((string)f.GetRawConstantValue()!), StringComparer.Ordinal);

    private Clause(string id) => Id = id;

    /// <summary>The id as the catalog, case files and reports write it.</summary>
    public string Id { get; }

    /// <summary>The clause of a known id, or null.</summary>
    public static Clause? Find(string id) => Known.TryGetValue(id, out var clause) ? clause : (Clause?)null;

    public static implicit operator Clause(string id) =>
        Known.TryGetValue(id, out var clause) ? clause : throw new ArgumentException($"'{id}' is not a clause id of the catalog or the model", nameof(id));

    public override string ToString() => Id;
}
