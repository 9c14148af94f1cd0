namespace Udpconf.Suite.Cases;

/// <summary>The case files under a folder, parsed; malformed ones kept with their diagnostics so that a run can
/// report them and go on with the others.</summary>
public sealed record CaseFile(string Id, string Path, Case? Case, IReadOnlyList<Diagnostic> Diagnostics);

public static class CaseLibrary
{
    public const string Extension = ".case";

    /// <summary>Conformance/cases under the repository root.</summary>
    public static string DefaultFolder(string root) => System.IO.Path.Combine(root, "Conformance", "cases");

    /// <summary>The case files under <paramref name="folder"/>, recursively, with ids relative to
    /// <paramref name="idRoot"/> (by default the folder itself).</summary>
    public static IReadOnlyList<CaseFile> Load(string folder, string? idRoot = null) =>
        Directory.EnumerateFiles(folder, "*" + Extension, SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => LoadFile(path, idRoot ?? folder))
            .ToArray();

    /// <summary>One case file, its id its path relative to <paramref name="idRoot"/> without the extension.</summary>
    public static CaseFile LoadFile(string path, string idRoot)
    {
        var parsed = CaseParser.ParseFile(path, idRoot);
        var id = System.IO.Path.ChangeExtension(System.IO.Path.GetRelativePath(idRoot, path), null).Replace('\\', '/');
        return new CaseFile(id, path, parsed.Case, parsed.Diagnostics);
    }

    /// <summary>Keeps the cases whose id starts with one of the paths or that name one of the clauses (no filter: all).</summary>
    public static IEnumerable<CaseFile> Filter(IEnumerable<CaseFile> cases, IReadOnlyCollection<string> paths, IReadOnlyCollection<string> clauses) =>
        cases.Where(c =>
            (paths.Count == 0 || paths.Any(p => c.Id.StartsWith(p.Trim('/').Replace(".case", ""), StringComparison.Ordinal))) &&
            (clauses.Count == 0 || c.Case is null || c.Case.Clauses.Any(clauses.Contains)));
}
