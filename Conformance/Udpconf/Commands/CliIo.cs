using Spectre.Console;
using Udpconf.Suite;

namespace Udpconf.Cli.Commands;

/// <summary>
/// Where a command writes and where it stands: the results on <see cref="Out"/>, messages about the run (which
/// target was chosen, errors) on <see cref="Error"/> so that a redirected stdout holds only the results. Tests
/// build one over string writers; nothing in the commands touches the static Console.
/// </summary>
/// <param name="Interactive">Stdout is a terminal: live progress is worth drawing.</param>
/// <param name="WorkingDirectory">The folder relative paths and the repository root are found from.</param>
public sealed record CliIo(IAnsiConsole Out, IAnsiConsole Error, bool Interactive, string WorkingDirectory)
{
    /// <summary>The process's own stdout and stderr.</summary>
    public static CliIo System()
    {
        var interactive = !Console.IsOutputRedirected;
        var output = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        // A redirected stdout (a CI log) has no width; 80 columns would wrap every problem line of the tables.
        if (!interactive) output.Profile.Width = 160;
        var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        // Redirected, a message stays one line whatever its length (a log is read with grep).
        if (Console.IsErrorRedirected) error.Profile.Width = 1 << 16;
        return new CliIo(output, error, interactive, Directory.GetCurrentDirectory());
    }

    /// <summary>Plain text on two writers, no colours, no live display: for tests and for tools that embed the CLI.</summary>
    public static CliIo Capture(TextWriter output, TextWriter error, string workingDirectory)
    {
        IAnsiConsole Plain(TextWriter writer)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(writer),
            });
            console.Profile.Width = 160;
            return console;
        }
        return new CliIo(Plain(output), Plain(error), false, workingDirectory);
    }

    /// <summary>A relative path as the user typed it is relative to <see cref="WorkingDirectory"/>.</summary>
    public string FullPath(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary>A path shown relative to the working folder when it lies below it.</summary>
    public string Show(string path)
    {
        var relative = Path.GetRelativePath(WorkingDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    /// <summary>The folder udpconf itself is in (its dll, or the single file); tests put it outside the checkout to run
    /// as a downloaded udpconf does.</summary>
    public string ToolDirectory { get; init; } = AppContext.BaseDirectory;

    /// <summary>The repository root: above the working folder, else above udpconf itself (so that the launcher
    /// works from any folder); null outside a checkout (a downloaded single file, which has the cases built in).</summary>
    public string? Root => SpecMap.FindRoot(WorkingDirectory) ?? SpecMap.FindRoot(ToolDirectory);

    /// <summary>The repository root, or null after saying on stderr that there is none (with <paramref name="hint"/>):
    /// for the commands that read or write the checkout itself.</summary>
    public string? RootOrFail(string hint = "")
    {
        if (Root is { } root) return root;
        Fail("no Conformance.sln above the current folder" + (hint.Length > 0 ? hint : ": this command needs a checkout of udpconf"));
        return null;
    }

    public void Fail(string message) => Error.WriteLine("udpconf: " + message);
}

public static class ConsoleLines
{
    /// <summary>Writes <paramref name="text"/> as one line, never wrapped at the console's width: a diagnostic
    /// (file:line:column: problem) is read by grep and editors, and a long path must not break it in two (under a
    /// 160-column redirected stdout, a case folder deep in a temporary folder did).</summary>
    public static void PlainLine(this IAnsiConsole console, string text) => console.Profile.Out.Writer.WriteLine(text);
}

/// <summary>Output paths are checked before any case runs: a report that cannot be written must not cost a whole run.</summary>
public static class OutputPaths
{
    /// <summary>True when every folder can be created and written into and every file's folder likewise (and no file
    /// path is a folder, no folder path a file); else false after saying which option and why (the caller exits 2).</summary>
    public static bool Check(CliIo io, IEnumerable<(string Option, string? Path)> folders, IEnumerable<(string Option, string? Path)> files)
    {
        foreach (var (option, path) in folders)
        {
            if (path is null) continue;
            var full = io.FullPath(path);
            if (File.Exists(full)) return Refuse(io, option, path, "is a file, not a folder");
            if (Writable(full) is { } why) return Refuse(io, option, path, why);
        }
        foreach (var (option, path) in files)
        {
            if (path is null) continue;
            var full = io.FullPath(path);
            if (Directory.Exists(full)) return Refuse(io, option, path, "is a folder, not a file");
            if (Writable(Path.GetDirectoryName(full)!) is { } why) return Refuse(io, option, path, why);
        }
        return true;
    }

    /// <summary>Null when <paramref name="folder"/>, or the nearest folder above it that exists (where it would be
    /// created), takes a file; nothing is created but a probe file, removed at once.</summary>
    private static string? Writable(string folder)
    {
        try
        {
            var existing = folder;
            while (!Directory.Exists(existing))
            {
                if (File.Exists(existing)) return $"cannot be created: {existing} is a file";
                existing = Path.GetDirectoryName(existing) ?? throw new IOException($"no folder above {folder} exists");
            }
            var probe = Path.Combine(existing, $".udpconf-write-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return $"cannot be written: {e.Message}";
        }
    }

    private static bool Refuse(CliIo io, string option, string path, string why)
    {
        io.Fail($"{option} {path} {why}");
        return false;
    }
}
