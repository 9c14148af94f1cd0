namespace Udpconf.Reference;

/// <summary>
/// A clause id the model knows: one of the catalog's (<see cref="ClauseId.Catalog"/>, Reference/clauses.md) or one of
/// the model's own (<see cref="ClauseId.Additions"/>). Outcomes, traces and stops carry clauses, never free text: a
/// <see cref="ClauseId"/> constant converts to one, and any other string is refused where it is converted (a
/// programming error in the model, so an exception, not a modeled kernel error).
/// </summary>
public readonly record struct Clause
{
    private static readonly Dictionary<string, Clause> Known =
        ClauseId.Catalog.Concat(ClauseId.Additions).ToDictionary(id => id, id => new Clause(id), StringComparer.Ordinal);

    private Clause(string id) => Id = id;

    /// <summary>The id as the catalog, case files and reports write it.</summary>
    public string Id { get; }

    /// <summary>The clause of a known id, or null.</summary>
    public static Clause? Find(string id) => Known.TryGetValue(id, out var clause) ? clause : (Clause?)null;

    public static implicit operator Clause(string id) =>
        Known.TryGetValue(id, out var clause) ? clause : throw new ArgumentException($"'{id}' is not a clause id of the catalog or the model", nameof(id));

    public override string ToString() => Id;
}
