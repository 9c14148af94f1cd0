using System.ComponentModel;
using Spectre.Console.Cli;
using Udpconf.Suite;
using Udpconf.Suite.Cases;

namespace Udpconf.Cli.Commands;

/// <summary>The options that choose cases, shared by check and list.</summary>
public class CaseFilterSettings : CommandSettings
{
    [CommandArgument(0, "[PATHS]")]
    [Description("Case files and folders anywhere (a folder is searched for *.case; the ids of cases outside the case folder " +
                 "are their paths relative to the folder given, or the file's name), or case id prefixes in the case folder, " +
                 "e.g. [green]udp_sendmsg/[/] or [green]udp_cork/limit[/] (default: every case of the case folder).")]
    public string[] Paths { get; set; } = [];

    [CommandOption("--clause <ID>")]
    [Description("Keep the cases that name this clause id; repeat for several (e.g. [green]--clause udp_sendmsg.dport_zero[/]).")]
    public string[] Clauses { get; set; } = [];

    [CommandOption("--cases <DIR>")]
    [Description("The folder of case files (default: Conformance/cases under the repository root; outside a checkout, the " +
                 "copy of it built into udpconf).")]
    public string? Cases { get; set; }

    [CommandOption("--shard <I/N>")]
    [Description("Only the I-th of N parts of the selected cases (1 <= I <= N <= 1000), e.g. [green]--shard 2/4[/]: in id order, " +
                 "case k (from 0) belongs to part k mod N + 1, so N runners given 1/N to N/N run every case once; " +
                 "[green]udpconf merge[/] joins their reports.")]
    public string? Shard { get; set; }

    /// <summary>The part --shard asks for, or null for the whole selection (or a --shard that is not I/N, which
    /// <see cref="CaseSelection.Select"/> refuses).</summary>
    public Shard? Part => Shard is null ? null : Sharding.Parse(Shard);
}

/// <summary>The cases a command asked for and where they came from (for "N cases from …").</summary>
public sealed record CaseSet(IReadOnlyList<CaseFile> Cases, string Source);

/// <summary>The case library ids are looked up in: a folder, or (<see cref="Folder"/> null) the copy of
/// Conformance/cases built into udpconf (<see cref="BuiltInCases"/>).</summary>
/// <param name="Shown">How messages name it: the folder relative to the working folder, or the built-in copy.</param>
public sealed record CaseLibrarySource(string? Folder, string Shown)
{
    public IReadOnlyList<CaseFile> Load() => Folder is null ? BuiltInCases.Load() : CaseLibrary.Load(Folder);
}

/// <summary>Finds the case library and loads the cases a command asked for.</summary>
public static class CaseSelection
{
    /// <summary>
    /// The cases of the command's arguments, malformed ones included: each argument that is an existing file or
    /// folder (relative to the working folder) is a path, a folder searched recursively for *.case; every other
    /// argument is a case id prefix in the case library (<see cref="Library"/>). A case inside the case
    /// folder keeps its id there; one outside is named by its path relative to the folder given, or by its file name.
    /// With no argument, every case of the case library. Null, after one line on stderr, when an argument is neither a
    /// path nor the start of an id, a folder given holds no case, the case library is needed and missing, or nothing
    /// is left after the clause filter (the caller exits 2).
    /// </summary>
    public static CaseSet? Select(CliIo io, CaseFilterSettings settings)
    {
        var arguments = settings.Paths ?? [];
        var paths = arguments.Where(a => File.Exists(io.FullPath(a)) || Directory.Exists(io.FullPath(a))).ToArray();
        var prefixes = arguments.Except(paths).ToArray();

        // The case library is needed for prefixes and when no path is given; a path inside its folder keeps its id there.
        CaseLibrarySource? library = null;
        string? folder = null;
        if (prefixes.Length > 0 || paths.Length == 0)
        {
            library = Library(io, settings.Cases);
            if (library is null) return null;
            folder = library.Folder;
        }
        else if (settings.Cases is { } option) folder = Directory.Exists(io.FullPath(option)) ? io.FullPath(option) : null;
        else if (io.Root is { } root && Directory.Exists(CaseLibrary.DefaultFolder(root))) folder = CaseLibrary.DefaultFolder(root);

        var files = new List<CaseFile>();
        var sources = new List<string>();
        if (library is not null)
        {
            var all = library.Load();
            foreach (var prefix in prefixes.Where(p => !CaseLibrary.Filter(all, [p], []).Any()))
            {
                io.Fail($"'{prefix}' is neither a case file or folder nor the start of a case id under {library.Shown}");
                return null;
            }
            files.AddRange(CaseLibrary.Filter(all, prefixes, []));
            sources.Add(library.Shown);
        }
        foreach (var path in paths)
        {
            var full = Path.TrimEndingDirectorySeparator(io.FullPath(path));
            var inside = folder is not null && IsInside(full, folder);
            var found = Directory.Exists(full)
                ? CaseLibrary.Load(full, inside ? folder! : full)
                : [CaseLibrary.LoadFile(full, inside ? folder! : Path.GetDirectoryName(full)!)];
            if (found.Count == 0)
            {
                io.Fail($"no case files (*{CaseLibrary.Extension}) under {path}");
                return null;
            }
            files.AddRange(found);
            sources.Add(io.Show(full));
        }
        var clauses = settings.Clauses ?? [];
        // A file on disk has a full path; a built-in case's name is relative (Conformance/cases/…) and never one of them.
        var selected = CaseLibrary.Filter(files.DistinctBy(f => Path.IsPathRooted(f.Path) ? Path.GetFullPath(f.Path) : f.Path), [], clauses).ToArray();
        var source = string.Join(", ", sources.Distinct());
        if (selected.Length == 0)
        {
            io.Fail(clauses.Length == 0
                ? $"no case files (*{CaseLibrary.Extension}) under {source}"
                : $"no case under {source} matches {string.Join(" ", clauses.Select(c => "--clause " + c))}");
            return null;
        }
        if (settings.Shard is null) return new CaseSet(selected, source);
        if (Sharding.Parse(settings.Shard) is not { } shard)
        {
            io.Fail($"--shard takes I/N with 1 <= I <= N <= {Sharding.MostParts}, not '{settings.Shard}'");
            return null;
        }
        // A part may be empty (more runners than cases): that runner runs nothing and reports nothing, successfully.
        return new CaseSet(Sharding.Part(selected, c => c.Id, shard), $"{source} (part {shard.Index} of {shard.Count})");
    }

    private static bool IsInside(string path, string folder)
    {
        var relative = Path.GetRelativePath(folder, path);
        return relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }

    /// <summary>The case library: the folder --cases names, else Conformance/cases of the checkout above the working
    /// folder (or above udpconf), else, outside any checkout, the copy built into udpconf; null (after saying why) when
    /// --cases names no folder, or the checkout has no case folder.</summary>
    public static CaseLibrarySource? Library(CliIo io, string? option)
    {
        if (option is not null)
        {
            var folder = io.FullPath(option);
            if (Directory.Exists(folder)) return new CaseLibrarySource(folder, io.Show(folder));
            io.Fail($"the case folder {option} does not exist");
            return null;
        }
        if (io.Root is not { } root)
        {
            if (BuiltInCases.Present) return new CaseLibrarySource(null, BuiltInCases.Name);
            io.RootOrFail(" or udpconf, and this udpconf has no cases built in: pass --cases DIR");
            return null;
        }
        var found = CaseLibrary.DefaultFolder(root);
        if (Directory.Exists(found)) return new CaseLibrarySource(found, io.Show(found));
        io.Fail($"the case folder {found} does not exist");
        return null;
    }
}
