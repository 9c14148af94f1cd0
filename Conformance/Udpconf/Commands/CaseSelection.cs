using System.ComponentModel;
using Spectre.Console.Cli;
using Udpconf.Suite.Cases;

namespace Udpconf.Cli.Commands;

/// <summary>The options that choose cases, shared by check and list.</summary>
public class CaseFilterSettings : CommandSettings
{
    [CommandArgument(0, "[PATHS]")]
    [Description("Case id prefixes to keep, e.g. [green]udp_sendmsg/[/] or [green]udp_cork/limit[/] (default: every case).")]
    public string[] Paths { get; set; } = [];

    [CommandOption("--clause <ID>")]
    [Description("Keep the cases that name this clause id; repeat for several (e.g. [green]--clause udp_sendmsg.dport_zero[/]).")]
    public string[] Clauses { get; set; } = [];

    [CommandOption("--cases <DIR>")]
    [Description("The folder of case files (default: Conformance/cases under the repository root).")]
    public string? Cases { get; set; }
}

/// <summary>Finds the case folder and loads the cases a command asked for.</summary>
public static class CaseSelection
{
    /// <summary>The case folder: --cases, else Conformance/cases above the working folder; null (after saying
    /// why) when there is none.</summary>
    public static string? Folder(CliIo io, string? option)
    {
        if (option is not null)
        {
            var folder = io.FullPath(option);
            if (Directory.Exists(folder)) return folder;
            io.Fail($"the case folder {option} does not exist");
            return null;
        }
        var root = io.Root;
        if (root is null)
        {
            io.Fail("no Conformance.sln above the current folder or udpconf: pass --cases DIR");
            return null;
        }
        var found = CaseLibrary.DefaultFolder(root);
        if (Directory.Exists(found)) return found;
        io.Fail($"the case folder {found} does not exist");
        return null;
    }

    /// <summary>The cases under the folder that match the filters, malformed ones included (they carry their
    /// diagnostics, and a clause filter cannot exclude what could not be read).</summary>
    public static IReadOnlyList<CaseFile> Load(string folder, CaseFilterSettings settings) =>
        CaseLibrary.Filter(CaseLibrary.Load(folder), settings.Paths ?? [], settings.Clauses ?? []).ToArray();

    /// <summary>Says on stderr that nothing matched; the caller exits 2.</summary>
    public static void NothingMatched(CliIo io, string folder, CaseFilterSettings settings)
    {
        var filters = (settings.Paths ?? []).Concat((settings.Clauses ?? []).Select(c => "--clause " + c)).ToArray();
        io.Fail(filters.Length == 0
            ? $"no case files (*{CaseLibrary.Extension}) under {io.Show(folder)}"
            : $"no case under {io.Show(folder)} matches {string.Join(" ", filters)}");
    }
}
