using Udpconf.Suite.Reports;

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
    /// <paramref name="idRoot"/> (by default the folder itself). A sub-folder that cannot be listed (or is too deep)
    /// is kept as a malformed entry with its diagnostic, so that the run reports it and goes on
    /// (<see cref="CaseFiles.Find"/>); <paramref name="list"/> replaces the listing of a folder, for tests.</summary>
    public static IReadOnlyList<CaseFile> Load(string folder, string? idRoot = null, CaseFiles.Lister? list = null)
    {
        var (files, problems) = CaseFiles.Find(folder, Extension, list);
        return files.Select(path => LoadFile(path, idRoot ?? folder))
            .Concat(problems.Select(p => new CaseFile(FolderId(idRoot ?? folder, p.Path), p.Path, null,
                [new Diagnostic(new SourcePosition(p.Path, 0, 0), p.Problem)])))
            .ToArray();
    }

    /// <summary>One case file, its id its path relative to <paramref name="idRoot"/> without the extension.</summary>
    public static CaseFile LoadFile(string path, string idRoot)
    {
        var parsed = CaseParser.ParseFile(path, idRoot);
        return new CaseFile(IdOf(idRoot, path), path, parsed.Case, parsed.Diagnostics);
    }

    /// <summary>Case files that are not on disk (the copy of the library built into udpconf): each a path relative to
    /// the library ('/'-separated, ending in <see cref="Extension"/>) and its text, given the ids and the order
    /// <see cref="Load"/> gives the same files in a folder, and named <paramref name="shownFolder"/>/path in
    /// diagnostics and reports.</summary>
    public static IReadOnlyList<CaseFile> FromTexts(IEnumerable<(string Path, string Text)> files, string shownFolder) =>
        files.OrderBy(f => f.Path, StringComparer.Ordinal)
            .Select(f =>
            {
                var id = SafeText.Line(f.Path[..^Extension.Length]);
                var file = shownFolder + "/" + f.Path;
                var parsed = CaseParser.Parse(file, id, f.Text);
                return new CaseFile(id, file, parsed.Case, parsed.Diagnostics);
            })
            .ToArray();

    /// <summary>A path relative to <paramref name="idRoot"/>, '/'-separated, without the extension; control
    /// characters of a file name escaped (such a case is never run: its name is only ever shown).</summary>
    private static string FolderId(string idRoot, string path) =>
        SafeText.Line(System.IO.Path.GetRelativePath(idRoot, path).Replace('\\', '/')) + "/";

    public static string IdOf(string idRoot, string path) =>
        SafeText.Line(System.IO.Path.ChangeExtension(System.IO.Path.GetRelativePath(idRoot, path), null).Replace('\\', '/'));

    /// <summary>Keeps the cases whose id starts with one of the paths or that name one of the clauses (no filter: all).</summary>
    public static IEnumerable<CaseFile> Filter(IEnumerable<CaseFile> cases, IReadOnlyCollection<string> paths, IReadOnlyCollection<string> clauses) =>
        cases.Where(c =>
            (paths.Count == 0 || paths.Any(p => c.Id.StartsWith(p.Trim('/').Replace(".case", ""), StringComparison.Ordinal))) &&
            (clauses.Count == 0 || c.Case is null || c.Case.Clauses.Any(clauses.Contains)));
}
